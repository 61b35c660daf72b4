//! The indexes against a scan of every order: for any history of seeding, changes,
//! cancellations, late listings and unreadable entries, every page of every window
//! (at every offset, shuffled or not, overlapping or not) is the page a scan of every
//! order gives, and the indexes hold exactly what the records say.

use super::*;
use crate::testing::vendor_central::listing::check_query;

/// One thing that happens to the simulator, in order.
#[derive(Debug, Clone)]
enum Step {
    /// Seeds a retail PO placed `minutes` after the base, its body already changed
    /// `changed` minutes after the base when `Some`.
    Retail { minutes: i64, changed: Option<i64> },
    /// Seeds a Direct Fulfillment order placed `minutes` after the base, `CANCELLED`
    /// from the start or `NEW`.
    Df { minutes: i64, cancelled: bool },
    /// Seeds an unreadable entry.
    Unreadable { retail: bool, minutes: i64 },
    /// Moves the clock on.
    Advance { minutes: u64 },
    /// `change_retail_order`: the PO is changed now.
    ChangeRetail { pick: usize },
    /// `set_retail_quantity` on line 1: changed now, or an unknown line refused.
    SetQuantity { pick: usize, line: &'static str },
    /// `close_retail_order`: its state changes, its change date does not.
    CloseRetail { pick: usize },
    /// `acknowledge_retail_order_elsewhere`, rejecting everything.
    AcknowledgeRetailElsewhere { pick: usize },
    /// `cancel_df_order`.
    CancelDf { pick: usize },
    /// `accept_df_order_elsewhere`: a cancelled order can come back.
    AcceptDf { pick: usize },
    /// An acknowledgement through a transaction, decided a minute later: accepted, or
    /// rejected (the order turns `CANCELLED`).
    AcknowledgeDf { pick: usize, accept: bool },
    /// `list_late` from `hours` after the clock's start.
    ListLate {
        retail: bool,
        pick: usize,
        hours: i64,
    },
}

/// The base of the seeded dates: a week before the clock's start.
fn base() -> DateTime<Utc> {
    t(NOW) - TimeDelta::days(7)
}

fn step() -> impl Strategy<Value = Step> {
    let minutes = 0i64..7 * 24 * 60;
    prop_oneof![
        4 => (minutes.clone(), proptest::option::of(minutes.clone()))
            .prop_map(|(minutes, changed)| Step::Retail { minutes, changed }),
        4 => (minutes.clone(), any::<bool>())
            .prop_map(|(minutes, cancelled)| Step::Df { minutes, cancelled }),
        1 => (any::<bool>(), minutes).prop_map(|(retail, minutes)| Step::Unreadable { retail, minutes }),
        2 => (0u64..36 * 60).prop_map(|minutes| Step::Advance { minutes }),
        2 => any::<usize>().prop_map(|pick| Step::ChangeRetail { pick }),
        1 => (any::<usize>(), prop_oneof![Just("1"), Just("99")])
            .prop_map(|(pick, line)| Step::SetQuantity { pick, line }),
        1 => any::<usize>().prop_map(|pick| Step::CloseRetail { pick }),
        1 => any::<usize>().prop_map(|pick| Step::AcknowledgeRetailElsewhere { pick }),
        2 => any::<usize>().prop_map(|pick| Step::CancelDf { pick }),
        1 => any::<usize>().prop_map(|pick| Step::AcceptDf { pick }),
        2 => (any::<usize>(), any::<bool>())
            .prop_map(|(pick, accept)| Step::AcknowledgeDf { pick, accept }),
        1 => (any::<bool>(), any::<usize>(), -24i64..72)
            .prop_map(|(retail, pick, hours)| Step::ListLate { retail, pick, hours }),
    ]
}

fn pick(numbers: &[String], pick: usize) -> Option<&String> {
    (!numbers.is_empty()).then(|| &numbers[pick % numbers.len()])
}

/// Plays the steps on a fresh simulator; every step may be refused (an unknown
/// line), which changes nothing.
fn play(steps: &[Step]) -> (ManualClock, VendorCentral) {
    let (clock, vc) = setup();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (mut retail, mut df) = (Vec::new(), Vec::new());
    for (i, step) in steps.iter().enumerate() {
        let number = purchase_order_number(i as u64);
        let at = |minutes: i64| base() + TimeDelta::minutes(minutes);
        match step {
            Step::Retail { minutes, changed } => {
                let mut order = orders::retail_order(&number, at(*minutes), 2);
                if let (Some(changed), Some(details)) = (changed, order.order_details.as_mut()) {
                    details.purchase_order_changed_date = Some(format_instant(&at(*changed)));
                }
                vc.add_retail_order(order).unwrap();
                retail.push(number);
            }
            Step::Df { minutes, cancelled } => {
                let mut order = orders::df_order(&number, at(*minutes), 1);
                if *cancelled {
                    order.order_details.as_mut().unwrap().order_status =
                        Some(df::OrderStatus::Cancelled);
                }
                vc.add_df_order(order).unwrap();
                df.push(number);
            }
            Step::Unreadable { retail, minutes } => {
                let program = match retail {
                    true => Program::RetailProcurement,
                    false => Program::DirectFulfillment,
                };
                let malformed = MalformedOrder {
                    purchase_order_number: Some(number),
                    reason: "`orderDetails` is not an object".into(),
                };
                vc.add_unreadable_order(program, at(*minutes), malformed);
            }
            Step::Advance { minutes } => clock.advance(Duration::from_secs(60 * minutes)),
            Step::ChangeRetail { pick: p } => {
                if let Some(n) = pick(&retail, *p) {
                    vc.change_retail_order(n, |_| {}).unwrap();
                }
            }
            Step::SetQuantity { pick: p, line } => {
                if let Some(n) = pick(&retail, *p) {
                    let _refused_for_an_unknown_line = vc.set_retail_quantity(n, line, 1);
                }
            }
            Step::CloseRetail { pick: p } => {
                if let Some(n) = pick(&retail, *p) {
                    vc.close_retail_order(n).unwrap();
                }
            }
            Step::AcknowledgeRetailElsewhere { pick: p } => {
                if let Some(n) = pick(&retail, *p) {
                    vc.acknowledge_retail_order_elsewhere(n, &[]).unwrap();
                }
            }
            Step::CancelDf { pick: p } => {
                if let Some(n) = pick(&df, *p) {
                    vc.cancel_df_order(n).unwrap();
                }
            }
            Step::AcceptDf { pick: p } => {
                if let Some(n) = pick(&df, *p) {
                    vc.accept_df_order_elsewhere(n).unwrap();
                }
            }
            Step::AcknowledgeDf { pick: p, accept } => {
                if let Some(n) = pick(&df, *p) {
                    let order = vc.df_order(n).unwrap();
                    let code = match accept {
                        true => df_status::ACCEPTED,
                        false => df_status::OUT_OF_STOCK,
                    };
                    let ack = accept_df(&order, code, clock.now());
                    runtime
                        .block_on(DirectFulfillmentOrdersApi::submit_acknowledgements(
                            &vc,
                            &[ack],
                        ))
                        .unwrap();
                }
            }
            Step::ListLate {
                retail: r,
                pick: p,
                hours,
            } => {
                let (program, numbers) = match r {
                    true => (Program::RetailProcurement, &retail),
                    false => (Program::DirectFulfillment, &df),
                };
                if let Some(n) = pick(numbers, *p) {
                    let from = t(NOW) + TimeDelta::hours(*hours);
                    vc.list_late(program, n, from).unwrap();
                }
            }
        }
    }
    (clock, vc)
}

/// An entry of a window as the scan finds it.
type Scanned<T> = (DateTime<Utc>, String, Result<T, MalformedOrder>);

fn listed(state: &State, program: Program, number: &str, now: DateTime<Utc>) -> bool {
    match state.listed_from.get(&(program, number.to_owned())) {
        Some(from) => *from <= now,
        None => true,
    }
}

fn unreadable_scan<T>(state: &State, program: Program, q: &OrderQuery) -> Vec<Scanned<T>> {
    let mut entries = Vec::new();
    for u in &state.unreadable {
        if u.program == program && q.after <= u.listed_at && u.listed_at < q.before {
            let key = u
                .malformed
                .purchase_order_number
                .clone()
                .unwrap_or_default();
            entries.push((u.listed_at, key, Err(u.malformed.clone())));
        }
    }
    entries
}

/// Every retail PO of the window, found by looking at every one.
fn retail_scan(state: &State, q: &OrderQuery, now: DateTime<Utc>) -> Vec<Scanned<retail::Order>> {
    let program = Program::RetailProcurement;
    let mut entries = Vec::new();
    for (number, record) in &state.retail {
        let date = match q.kind {
            WindowKind::Changed => record.changed_at,
            _ => Some(record.listed_at),
        };
        let Some(date) = date else { continue };
        if q.after <= date && date < q.before && listed(state, program, number, now) {
            entries.push((date, number.clone(), Ok(record.order.clone())));
        }
    }
    if q.kind == WindowKind::Created {
        entries.extend(unreadable_scan(state, program, q));
    }
    entries
}

/// Every Direct Fulfillment order of the window, found by looking at every one.
fn df_scan(state: &State, q: &OrderQuery, now: DateTime<Utc>) -> Vec<Scanned<df::Order>> {
    let program = Program::DirectFulfillment;
    let cancelled = q.kind == WindowKind::Cancelled;
    let mut entries = Vec::new();
    for (number, record) in &state.df {
        let status = record
            .order
            .order_details
            .as_ref()
            .and_then(|d| d.order_status.as_ref())
            .and_then(|s| s.known());
        if q.after <= record.listed_at
            && record.listed_at < q.before
            && listed(state, program, number, now)
            && (!cancelled || status == Some(df::OrderStatus::Cancelled))
        {
            entries.push((record.listed_at, number.clone(), Ok(record.order.clone())));
        }
    }
    if !cancelled {
        entries.extend(unreadable_scan(state, program, q));
    }
    entries
}

fn token(program: Program, q: &OrderQuery, offset: usize) -> String {
    let text = format!(
        "{}:{}:{}:{}:{offset}",
        program.code(),
        match q.kind {
            WindowKind::Created => "C",
            WindowKind::Changed => "U",
            WindowKind::Cancelled => "X",
        },
        q.after.timestamp_micros(),
        q.before.timestamp_micros(),
    );
    text.bytes().map(|b| format!("{b:02X}")).collect()
}

/// The indexes rebuilt from the records, against the ones kept in step.
fn assert_indexes_hold(state: &State) -> Result<(), TestCaseError> {
    let by = |pairs: Vec<(DateTime<Utc>, String)>| pairs.into_iter().collect::<BTreeSet<_>>();
    let retail_listed = by(state
        .retail
        .iter()
        .map(|(n, r)| (r.listed_at, n.clone()))
        .collect());
    let retail_changed = by(state
        .retail
        .iter()
        .filter_map(|(n, r)| Some((r.changed_at?, n.clone())))
        .collect());
    let df_listed = by(state
        .df
        .iter()
        .map(|(n, r)| (r.listed_at, n.clone()))
        .collect());
    let df_cancelled = by(state
        .df
        .iter()
        .filter(|(_, r)| r.status().known() == Some(df::OrderStatus::Cancelled))
        .map(|(n, r)| (r.listed_at, n.clone()))
        .collect());
    prop_assert_eq!(&state.retail_listed, &retail_listed);
    prop_assert_eq!(&state.retail_changed, &retail_changed);
    prop_assert_eq!(&state.df_listed, &df_listed);
    prop_assert_eq!(&state.df_cancelled, &df_cancelled);
    for t in &state.transactions {
        let found = state.transaction(&t.id).map(|found| &found.id);
        prop_assert_eq!(found, Some(&t.id));
    }
    Ok(())
}

/// Every page of the window, at every offset up to past its end and along its
/// tokens, against the page the scan's entries give.
fn assert_window_matches_scan<T: Clone + PartialEq + fmt::Debug>(
    program: Program,
    q: &OrderQuery,
    list: impl Fn(&OrderQuery) -> Result<Page<T>, ClientError>,
    scan: impl Fn(&OrderQuery) -> Vec<Scanned<T>>,
    state: &State,
    now: DateTime<Utc>,
) -> Result<(), TestCaseError> {
    let entries = scan(q).len();
    for offset in 0..=entries + 2 {
        let mut q = q.clone();
        q.next_token = (offset > 0).then(|| token(program, &q, offset));
        let listed = list(&q).unwrap();
        let expected = state.page(program, &q, offset, scan(&q));
        prop_assert_eq!(&listed, &expected, "offset {}", offset);
    }
    let mut q = q.clone();
    let mut pages = 0;
    loop {
        let listed = list(&q).unwrap();
        // The offset the token carries, read as the listing reads it.
        let offset = check_query(AmazonOperation::GetOrders, program, &q, now).unwrap();
        prop_assert_eq!(&listed, &state.page(program, &q, offset, scan(&q)));
        pages += 1;
        prop_assert!(pages <= entries + 2, "the tokens do not end");
        match listed.next_token {
            Some(token) => q.next_token = Some(token),
            None => break,
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn indexed_windows_give_what_a_scan_of_every_order_gives(
        steps in proptest::collection::vec(step(), 0..40),
        windows in proptest::collection::vec((0i64..9 * 24 * 60, 1i64..=7 * 24 * 60), 1..4),
        limit in prop_oneof![1u32..=4, Just(100u32)],
        shuffle in proptest::option::of(any::<u64>()),
        overlap in any::<bool>(),
    ) {
        let (clock, vc) = play(&steps);
        let now = clock.now();
        let mut state = lock(&vc.state);
        state.settle(now);
        state.config.shuffle_seed = shuffle;
        state.config.page_overlap = overlap;
        assert_indexes_hold(&state)?;
        let state = &*state;
        for (start, length) in windows {
            let after = base() + TimeDelta::minutes(start);
            for kind in [WindowKind::Created, WindowKind::Changed] {
                let q = OrderQuery {
                    kind,
                    after,
                    before: after + TimeDelta::minutes(length),
                    limit,
                    next_token: None,
                };
                assert_window_matches_scan(
                    Program::RetailProcurement,
                    &q,
                    |q| state.list_retail(AmazonOperation::GetPurchaseOrders, q, now),
                    |q| retail_scan(state, q, now),
                    state,
                    now,
                )?;
            }
            for kind in [WindowKind::Created, WindowKind::Cancelled] {
                let q = OrderQuery {
                    kind,
                    after,
                    before: after + TimeDelta::minutes(length),
                    limit,
                    next_token: None,
                };
                assert_window_matches_scan(
                    Program::DirectFulfillment,
                    &q,
                    |q| state.list_df(AmazonOperation::GetOrders, q, now),
                    |q| df_scan(state, q, now),
                    state,
                    now,
                )?;
            }
        }
    }
}

/// A table the proptest might miss: a change moves a PO from one changed window to
/// the next, and a cancellation undone takes the order out of the cancelled window.
#[test]
fn a_change_moves_a_po_between_changed_windows_and_an_undone_cancellation_leaves() {
    let (clock, vc) = setup();
    let placed = t("2025-03-09T00:00:00Z");
    for i in 0..3 {
        let number = purchase_order_number(i);
        vc.add_retail_order(orders::retail_order(&number, placed, 1))
            .unwrap();
        vc.add_df_order(orders::df_order(&number, placed, 1))
            .unwrap();
    }
    let (first, second) = (purchase_order_number(0), purchase_order_number(2));
    vc.change_retail_order(&first, |_| {}).unwrap();
    vc.cancel_df_order(&first).unwrap();
    vc.cancel_df_order(&second).unwrap();
    clock.advance(Duration::from_secs(2 * 24 * 3600));
    vc.change_retail_order(&first, |_| {}).unwrap();
    vc.accept_df_order_elsewhere(&first).unwrap();
    let state = lock(&vc.state);
    let now = clock.now();
    let numbers =
        |orders: Vec<Option<String>>| -> Vec<String> { orders.into_iter().flatten().collect() };
    let changed = |after: DateTime<Utc>| {
        let q = OrderQuery {
            kind: WindowKind::Changed,
            after,
            before: after + TimeDelta::days(1),
            limit: 100,
            next_token: None,
        };
        let page = state
            .list_retail(AmazonOperation::GetPurchaseOrders, &q, now)
            .unwrap();
        numbers(
            page.orders
                .into_iter()
                .map(|o| o.purchase_order_number)
                .collect(),
        )
    };
    assert_eq!(changed(t(NOW)), Vec::<String>::new());
    assert_eq!(changed(now - TimeDelta::hours(1)), vec![first.clone()]);
    let q = OrderQuery {
        kind: WindowKind::Cancelled,
        after: placed,
        before: placed + TimeDelta::days(1),
        limit: 100,
        next_token: None,
    };
    let page = state.list_df(AmazonOperation::GetOrders, &q, now).unwrap();
    let cancelled = numbers(
        page.orders
            .into_iter()
            .map(|o| o.purchase_order_number)
            .collect(),
    );
    assert_eq!(cancelled, vec![second]);
}
