//! Listing: windows, pages, tokens, single orders, and seeding.

use super::*;

#[tokio::test(flavor = "current_thread")]
async fn pages_cover_the_window_once_in_date_order() {
    let (_, vc) = setup();
    let numbers = seed_retail(&vc, 25);
    // One order outside the window.
    vc.add_retail_order(orders::retail_order(
        "OUTSIDE1",
        t("2025-03-01T00:00:00Z"),
        1,
    ))
    .unwrap();
    let (seen, pages) = all_pages(&vc, created(10)).await;
    assert_eq!(pages, 3);
    assert_eq!(seen, numbers);
}

#[tokio::test(flavor = "current_thread")]
async fn the_window_includes_its_start_and_excludes_its_end() {
    let (_, vc) = setup();
    vc.add_retail_order(orders::retail_order(
        "ATSTART1",
        t("2025-03-03T12:00:00Z"),
        1,
    ))
    .unwrap();
    vc.add_retail_order(orders::retail_order(
        "ATEND001",
        t("2025-03-10T12:00:00Z"),
        1,
    ))
    .unwrap();
    let (seen, _) = all_pages(&vc, created(100)).await;
    assert_eq!(seen, ["ATSTART1"]);
}

#[tokio::test(flavor = "current_thread")]
async fn shuffled_pages_are_deterministic_and_still_cover_the_window_once() {
    let (_, vc) = setup();
    let numbers = seed_retail(&vc, 40);
    vc.set_shuffle(Some(7));
    let (first, _) = all_pages(&vc, created(15)).await;
    let (second, _) = all_pages(&vc, created(15)).await;
    assert_eq!(first, second);
    assert_ne!(first, numbers);
    let mut sorted = first.clone();
    sorted.sort_by_key(|n| numbers.iter().position(|m| m == n));
    assert_eq!(sorted, numbers);
    vc.set_shuffle(Some(8));
    let (third, _) = all_pages(&vc, created(15)).await;
    assert_ne!(first, third);
}

#[tokio::test(flavor = "current_thread")]
async fn overlapping_pages_repeat_the_last_order_of_the_previous_page() {
    let (_, vc) = setup();
    let numbers = seed_retail(&vc, 10);
    vc.set_page_overlap(true);
    let mut q = created(4);
    let first = vc.purchase_orders(&q).await.unwrap();
    q.next_token = first.next_token.clone();
    let second = vc.purchase_orders(&q).await.unwrap();
    assert_eq!(first.orders.len(), 4);
    assert_eq!(second.orders.len(), 4);
    assert_eq!(second.orders[0], first.orders[3]);
    let (seen, _) = all_pages(&vc, created(4)).await;
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique, numbers);
    assert!(seen.len() > numbers.len());
}

#[tokio::test(flavor = "current_thread")]
async fn windows_limits_and_tokens_are_checked_as_amazon_checks_them() {
    let (_, vc) = setup();
    seed_retail(&vc, 5);
    let refused = |q: OrderQuery| {
        let vc = &vc;
        async move {
            let err = vc.purchase_orders(&q).await.unwrap_err();
            assert_eq!(err.kind, ErrorKind::Rejected, "{err}");
            assert_eq!(err.messages[0].code, "InvalidInput");
            err
        }
    };
    let err = refused(query(
        WindowKind::Created,
        "2025-03-01T00:00:00Z",
        "2025-03-08T00:00:01Z",
        10,
    ))
    .await;
    assert!(err.messages[0].message.contains("7 days"), "{err}");
    assert_eq!(err.messages[0].field.as_deref(), Some("createdAfter"));
    let err = refused(query(
        WindowKind::Changed,
        "2025-03-01T00:00:00Z",
        "2025-03-09T00:00:00Z",
        10,
    ))
    .await;
    assert_eq!(err.messages[0].field.as_deref(), Some("changedAfter"));
    refused(query(WindowKind::Created, NOW, NOW, 10)).await;
    refused(created(0)).await;
    refused(created(101)).await;
    // Exactly seven days is fine.
    assert!(
        vc.purchase_orders(&query(
            WindowKind::Created,
            "2025-03-01T00:00:00Z",
            "2025-03-08T00:00:00Z",
            100
        ))
        .await
        .is_ok()
    );

    let first = vc.purchase_orders(&created(2)).await.unwrap();
    let token = first.next_token.unwrap();
    let mut other_window = created(2);
    other_window.after = t("2025-03-04T00:00:00Z");
    other_window.next_token = Some(token.clone());
    let err = refused(other_window).await;
    assert_eq!(err.messages[0].field.as_deref(), Some("nextToken"));
    let mut changed = created(2);
    changed.kind = WindowKind::Changed;
    changed.next_token = Some(token.clone());
    refused(changed).await;
    let mut garbage = created(2);
    garbage.next_token = Some("not a token".into());
    refused(garbage).await;
    // A retail token means nothing to Direct Fulfillment.
    let mut df_query = created(2);
    df_query.next_token = Some(token);
    assert_eq!(
        DirectFulfillmentOrdersApi::orders(&vc, &df_query)
            .await
            .unwrap_err()
            .kind,
        ErrorKind::Rejected
    );
    // Direct Fulfillment has no changed window.
    let mut df_changed = created(2);
    df_changed.kind = WindowKind::Changed;
    assert_eq!(
        DirectFulfillmentOrdersApi::orders(&vc, &df_changed)
            .await
            .unwrap_err()
            .kind,
        ErrorKind::Rejected
    );
}

#[tokio::test(flavor = "current_thread")]
async fn the_changed_window_selects_pos_by_their_changed_date() {
    let (clock, vc) = setup();
    let numbers = seed_retail(&vc, 3);
    let changed = query(
        WindowKind::Changed,
        "2025-03-10T00:00:00Z",
        "2025-03-11T00:00:00Z",
        10,
    );
    assert!(
        vc.purchase_orders(&changed)
            .await
            .unwrap()
            .orders
            .is_empty()
    );

    clock.advance(Duration::from_secs(3600));
    vc.set_retail_quantity(&numbers[1], "1", 1).unwrap();
    let page = vc.purchase_orders(&changed).await.unwrap();
    assert_eq!(page.orders.len(), 1);
    let details = page.orders[0].order_details.as_ref().unwrap();
    assert_eq!(
        details.purchase_order_changed_date.as_deref(),
        Some("2025-03-10T13:00:00Z")
    );
    assert_eq!(
        details.items.as_ref().unwrap()[0]
            .ordered_quantity
            .as_ref()
            .unwrap()
            .amount,
        Some(1.into())
    );
    let po = page.orders[0].to_purchase_order().unwrap();
    assert_eq!(po.changed_at, Some(t("2025-03-10T13:00:00Z")));
}

/// Every page of a Direct Fulfillment listing, numbers in the order listed.
async fn all_df_pages(vc: &VendorCentral, mut q: OrderQuery) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = DirectFulfillmentOrdersApi::orders(vc, &q).await.unwrap();
        pages += 1;
        assert!(page.orders.len() <= q.limit as usize);
        seen.extend(
            page.orders
                .iter()
                .map(|o| o.purchase_order_number.clone().unwrap()),
        );
        match page.next_token {
            Some(token) => q.next_token = Some(token),
            None => return (seen, pages),
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_cancelled_window_lists_only_the_df_orders_created_in_it_and_cancelled_since() {
    let (_, vc) = setup();
    let numbers: Vec<String> = (0..12)
        .map(|i| {
            let number = purchase_order_number(500 + i);
            let at = t("2025-03-04T00:00:00Z") + TimeDelta::hours(i as i64);
            vc.add_df_order(orders::df_order(&number, at, 1)).unwrap();
            number
        })
        .collect();
    // Cancelled, but created before the window.
    vc.add_df_order(orders::df_order("EARLY001", t("2025-03-01T00:00:00Z"), 1))
        .unwrap();
    vc.cancel_df_order("EARLY001").unwrap();
    // Unreadable entries have no status to match: never listed as cancelled.
    vc.add_unreadable_order(
        Program::DirectFulfillment,
        t("2025-03-04T00:30:00Z"),
        MalformedOrder {
            purchase_order_number: Some("BROKEN01".into()),
            reason: "`orderDetails` is not an object".into(),
        },
    );
    let cancelled = |limit| {
        query(
            WindowKind::Cancelled,
            "2025-03-03T12:00:00Z",
            "2025-03-10T12:00:00Z",
            limit,
        )
    };
    assert_eq!(all_df_pages(&vc, cancelled(100)).await, (Vec::new(), 1));

    let chosen: Vec<String> = numbers.iter().step_by(2).cloned().collect();
    for number in &chosen {
        vc.cancel_df_order(number).unwrap();
    }
    // An order Amazon holds as cancelled in another spelling is cancelled too.
    let mut lower = orders::df_order("LOWER001", t("2025-03-05T00:00:00Z"), 1);
    lower.order_details.as_mut().unwrap().order_status =
        Some(df::OrderStatus::Other("cancelled".into()));
    vc.add_df_order(lower).unwrap();
    let mut expected = chosen.clone();
    expected.push("LOWER001".into());

    // Paged as any listing: by date, the filters sent again with each token.
    let (seen, pages) = all_df_pages(&vc, cancelled(3)).await;
    assert_eq!(seen, expected);
    assert_eq!(pages, 3);
    let page = DirectFulfillmentOrdersApi::orders(&vc, &cancelled(100))
        .await
        .unwrap();
    assert!(page.malformed.is_empty());
    assert!(page.orders.iter().all(|o| {
        o.to_purchase_order().unwrap().state == crate::order::AmazonOrderState::Cancelled
    }));
    // The created window still lists every order, cancelled or not.
    let (all, _) = all_df_pages(
        &vc,
        query(
            WindowKind::Created,
            "2025-03-03T12:00:00Z",
            "2025-03-10T12:00:00Z",
            100,
        ),
    )
    .await;
    assert_eq!(all.len(), 13);

    // Shuffled and overlapping pages cover the cancelled orders too.
    vc.set_shuffle(Some(3));
    vc.set_page_overlap(true);
    let (mut seen, _) = all_df_pages(&vc, cancelled(2)).await;
    seen.sort();
    seen.dedup();
    let mut sorted = expected.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
}

#[tokio::test(flavor = "current_thread")]
async fn a_cancelled_window_is_checked_as_any_other() {
    let (_, vc) = setup();
    for i in 0..3 {
        let number = purchase_order_number(600 + i);
        let at = t("2025-03-04T00:00:00Z") + TimeDelta::hours(i as i64);
        vc.add_df_order(orders::df_order(&number, at, 1)).unwrap();
        vc.cancel_df_order(&number).unwrap();
    }
    let cancelled = query(
        WindowKind::Cancelled,
        "2025-03-03T12:00:00Z",
        "2025-03-10T12:00:00Z",
        2,
    );
    let refused = |q: OrderQuery| {
        let vc = &vc;
        async move {
            let err = DirectFulfillmentOrdersApi::orders(vc, &q)
                .await
                .unwrap_err();
            assert_eq!(err.kind, ErrorKind::Rejected, "{err}");
            err
        }
    };
    // Seven days at most.
    let mut long = cancelled.clone();
    long.after = t("2025-03-03T11:59:59Z");
    let err = refused(long).await;
    assert_eq!(err.messages[0].field.as_deref(), Some("createdAfter"));
    // A token of the cancelled listing goes only with the cancelled filter, and the
    // other way round.
    let first = DirectFulfillmentOrdersApi::orders(&vc, &cancelled)
        .await
        .unwrap();
    let token = first.next_token.unwrap();
    let mut created = cancelled.clone();
    created.kind = WindowKind::Created;
    created.next_token = Some(token.clone());
    refused(created).await;
    let mut next = cancelled.clone();
    next.next_token = Some(token);
    assert_eq!(
        DirectFulfillmentOrdersApi::orders(&vc, &next)
            .await
            .unwrap()
            .orders
            .len(),
        1
    );
    // Retail has no such listing.
    let err = vc.purchase_orders(&cancelled).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Rejected);
    assert_eq!(err.messages[0].field.as_deref(), Some("status"));
    assert_eq!(vc.calls(AmazonOperation::GetOrders), 4);
}

#[tokio::test(flavor = "current_thread")]
async fn unreadable_entries_are_reported_as_malformed_and_the_page_goes_on() {
    let (_, vc) = setup();
    seed_retail(&vc, 2);
    vc.add_unreadable_order(
        Program::RetailProcurement,
        t("2025-03-04T00:30:00Z"),
        MalformedOrder {
            purchase_order_number: Some("BROKEN01".into()),
            reason: "`orderDetails` is not an object".into(),
        },
    );
    let page = vc.purchase_orders(&created(10)).await.unwrap();
    assert_eq!(page.orders.len(), 2);
    assert_eq!(page.malformed.len(), 1);
    assert_eq!(
        page.malformed[0].purchase_order_number.as_deref(),
        Some("BROKEN01")
    );
    assert!(
        DirectFulfillmentOrdersApi::orders(&vc, &created(10))
            .await
            .unwrap()
            .malformed
            .is_empty()
    );
}

#[tokio::test(flavor = "current_thread")]
async fn single_orders_are_found_or_not_found() {
    let (_, vc) = setup();
    let numbers = seed_retail(&vc, 1);
    let order = vc.purchase_order(&number(&numbers[0])).await.unwrap();
    assert_eq!(
        order.purchase_order_number.as_deref(),
        Some(numbers[0].as_str())
    );
    let err = vc.purchase_order(&number("NOSUCHPO")).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert_eq!(err.messages[0].code, "ResourceNotFound");
    assert_eq!(
        vc.purchase_order_status(&number("NOSUCHPO")).await.unwrap(),
        None
    );
    let err = DirectFulfillmentOrdersApi::order(&vc, &number(&numbers[0]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
}

#[test]
fn seeding_refuses_duplicates_and_orders_without_a_date() {
    let (_, vc) = setup();
    let order = orders::retail_order("4Z32PABC", t("2025-03-04T00:00:00Z"), 1);
    vc.add_retail_order(order.clone()).unwrap();
    assert_eq!(
        vc.add_retail_order(order),
        Err(SimulatorError::DuplicateOrder {
            number: "4Z32PABC".into()
        })
    );
    let undated = retail::Order {
        purchase_order_number: Some("UNDATED1".into()),
        ..retail::Order::default()
    };
    assert!(matches!(
        vc.add_retail_order(undated.clone()),
        Err(SimulatorError::NoOrderDate { .. })
    ));
    vc.add_retail_order_listed_at(undated, t("2025-03-04T00:00:00Z"))
        .unwrap();
    assert_eq!(
        vc.add_df_order(df::Order::default()),
        Err(SimulatorError::NoOrderDate {
            number: String::new(),
            field: "orderDetails.orderDate"
        })
    );
    assert_eq!(
        vc.add_df_order_listed_at(df::Order::default(), t(NOW)),
        Err(SimulatorError::MissingNumber)
    );
}
