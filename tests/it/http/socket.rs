//! The HTTP clients over a real socket: the library's SP-API and NetSuite clients on
//! the example's `ureq` transport, against the local services
//! ([`spawn_local_services`]), which hold every request to what SP-API and NetSuite
//! check before the simulators answer it.

use std::time::Duration;

use avc_order_sync::http::{HttpMethod, HttpRequest, HttpTransport};
use serde_json::{Value, json};

use super::local::{LWA_TOKEN, NETSUITE_TOKEN, RDT_TOKEN};
use super::transport::{Credentials, IntegratorTransport};

// ---------------------------------------------------------------------------------
// What a strict SP-API refuses
// ---------------------------------------------------------------------------------

/// Good request bodies, as Amazon's models write them, and the same with one member
/// the model lacks.
pub fn acknowledgement_bodies(number: &str) -> [(&'static str, Value); 3] {
    let retail = json!({"acknowledgements": [{
        "purchaseOrderNumber": number,
        "sellingParty": {"partyId": "API01"},
        "acknowledgementDate": "2025-03-01T00:00:00Z",
        "items": [{
            "itemSequenceNumber": "1",
            "amazonProductIdentifier": "B07DFVDRAB",
            "orderedQuantity": {"amount": 1, "unitOfMeasure": "Eaches", "unitSize": 1},
            "netCost": {"currencyCode": "USD", "amount": "9.50"},
            "itemAcknowledgements": [{
                "acknowledgementCode": "Accepted",
                "acknowledgedQuantity": {"amount": 1, "unitOfMeasure": "Eaches", "unitSize": 1}
            }]
        }]
    }]});
    let df = json!({"orderAcknowledgements": [{
        "purchaseOrderNumber": number,
        "vendorOrderNumber": "SO-1",
        "acknowledgementDate": "2025-03-01T00:00:00Z",
        "acknowledgementStatus": {"code": "00", "description": "Shipping 100 percent of ordered product"},
        "sellingParty": {"partyId": "API01"},
        "shipFromParty": {"partyId": "ABCD"},
        "itemAcknowledgements": [{
            "itemSequenceNumber": "00001",
            "buyerProductIdentifier": "B07DFVDRAB",
            "acknowledgedQuantity": {"amount": 1, "unitOfMeasure": "Each"}
        }]
    }]});
    [
        ("/vendor/orders/v1/acknowledgements", retail),
        (
            "/vendor/directFulfillment/orders/v1/acknowledgements",
            df.clone(),
        ),
        (
            "/vendor/directFulfillment/orders/2021-12-28/acknowledgements",
            df,
        ),
    ]
}

/// Sends one request to a local SP-API with the tokens it expects: the status and
/// the JSON body (`null` for none).
pub async fn sp_api_request(
    base_url: &str,
    method: HttpMethod,
    path: &str,
    query: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, Value) {
    let transport = IntegratorTransport::new(
        base_url,
        Credentials::SpApi {
            access_token: LWA_TOKEN.into(),
            restricted_data_token: Some(RDT_TOKEN.into()),
        },
    );
    let request = HttpRequest {
        method,
        path: path.to_owned(),
        query: query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
    };
    let response = transport
        .send(request)
        .await
        .expect("the local SP-API answers");
    let body = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    (response.status, body)
}

/// Checks that a local SP-API refuses, as SP-API does, an unknown query parameter
/// and an unknown body member in each acknowledgement POST, with SP-API's error body;
/// and that the same requests without them pass that check.
pub async fn assert_refuses_what_sp_api_refuses(base_url: &str, number: &str) {
    let refused = |(status, body): (u16, Value), what: &str, at: &str| {
        assert_eq!(status, 400, "{what}: {body}");
        let error = &body["errors"][0];
        assert_eq!(error["code"], "InvalidInput", "{what}: {body}");
        assert!(error["message"].is_string(), "{what}: {body}");
        assert_eq!(error["details"], at, "{what}: {body}");
        assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{what}: {body}");
        assert_eq!(
            body["errors"].as_array().map(Vec::len),
            Some(1),
            "{what}: {body}"
        );
    };
    let window = [
        ("createdAfter", "2025-02-27T00:00:00Z"),
        ("createdBefore", "2025-03-01T00:00:00Z"),
        ("includeDetails", "true"),
    ];
    for path in [
        "/vendor/orders/v1/purchaseOrders",
        "/vendor/directFulfillment/orders/v1/purchaseOrders",
        "/vendor/directFulfillment/orders/2021-12-28/purchaseOrders",
    ] {
        let (status, body) = sp_api_request(base_url, HttpMethod::Get, path, &window, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        let mut extra = window.to_vec();
        extra.push(("createdSince", "2025-02-27T00:00:00Z"));
        refused(
            sp_api_request(base_url, HttpMethod::Get, path, &extra, None).await,
            path,
            "createdSince",
        );
    }
    let (status, _) = sp_api_request(
        base_url,
        HttpMethod::Get,
        "/vendor/orders/v1/purchaseOrdersStatus",
        &[("purchaseOrderNumber", number), ("shipFromPartyId", "ABCD")],
        None,
    )
    .await;
    assert_eq!(
        status, 400,
        "shipFromPartyId is not a status report parameter"
    );
    for (path, good) in acknowledgement_bodies(number) {
        let (status, body) =
            sp_api_request(base_url, HttpMethod::Post, path, &[], Some(&good)).await;
        assert_eq!(status, 202, "{path}: {body}");
        let mut bad = good.clone();
        let (first, at) = match bad.get_mut("acknowledgements") {
            Some(acks) => (
                &mut acks[0]["items"][0],
                "acknowledgements[0].items[0].note",
            ),
            None => (
                &mut bad["orderAcknowledgements"][0]["itemAcknowledgements"][0],
                "orderAcknowledgements[0].itemAcknowledgements[0].note",
            ),
        };
        first["note"] = json!("not in the model");
        refused(
            sp_api_request(base_url, HttpMethod::Post, path, &[], Some(&bad)).await,
            path,
            at,
        );
    }
}

/// Sends one request to a local NetSuite at `base_url` as a hand-written client
/// would, with the headers the library sends (bearer token, `Prefer: transient`,
/// `X-NetSuite-PropertyNameValidation: Error`): the status and the JSON body
/// (`null` when empty).
pub fn netsuite_raw(
    base_url: &str,
    method: &str,
    path_and_query: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let http: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{base_url}{path_and_query}"))
        .header("Authorization", format!("Bearer {NETSUITE_TOKEN}"))
        .header("Prefer", "transient")
        .header("X-NetSuite-PropertyNameValidation", "Error")
        .header("content-type", "application/json")
        .body(body.map(Value::to_string).unwrap_or_default())
        .expect("a request");
    let mut response = http.run(request).expect("the local NetSuite answers");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Asserts `answer` is NetSuite's refusal: 400, `Bad Request`, one detail with this
/// `o:errorCode` and this member (`o:errorPath` or `o:errorQueryParam`) naming what
/// was refused.
pub fn assert_netsuite_refusal(answer: &(u16, Value), code: &str, member: &str, value: &str) {
    let (status, body) = answer;
    assert_eq!(*status, 400, "{body}");
    assert_eq!(body["status"], json!(400), "{body}");
    assert_eq!(body["title"], json!("Bad Request"), "{body}");
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("https://")),
        "{body}"
    );
    let details = body["o:errorDetails"].as_array().expect("o:errorDetails");
    assert_eq!(details.len(), 1, "{body}");
    assert_eq!(details[0]["o:errorCode"], json!(code), "{body}");
    assert_eq!(details[0][member], json!(value), "{body}");
    assert!(
        details[0]["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
}

// ---------------------------------------------------------------------------------
// The tests: the clients driven directly over the socket
// ---------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::it::http::local::{RECORDS, spawn_local_services};
    use avc_order_sync::amazon::retail;
    use avc_order_sync::http::{
        DirectFulfillmentVersion, NetSuiteRestClient, SpApiDirectFulfillmentClient,
        SpApiRetailClient,
    };
    use avc_order_sync::testing::{AmazonOperation, NetSuiteOperation, ScriptedFailure};
    use avc_order_sync::{
        AcknowledgementCode, ClientError, DirectFulfillmentOrdersApi, ErrorKind, LineChange,
        LineDecision, NetSuiteApi, NetSuiteStatus, OrderQuery, Page, Program, QuantityUnit,
        RetailAcknowledgement, RetailAcknowledgementLine, RetailOrdersApi, SalesOrderChanges,
        SalesOrderDraft, SalesOrderLineDraft, SalesOrderStatus, TransactionOutcome, WindowKind,
    };

    /// Calls `f` until it is not rate limited, waiting what the service asked, at most
    /// five times: what the engine does with a rate-limited answer.
    async fn with_retry<T, F, Fut>(mut f: F) -> (Result<T, ClientError>, u32)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ClientError>>,
    {
        let mut rate_limited = 0;
        loop {
            match f().await {
                Err(ClientError {
                    kind: ErrorKind::RateLimited { retry_after },
                    ..
                }) if rate_limited < 5 => {
                    rate_limited += 1;
                    let wait = retry_after.unwrap_or(Duration::from_millis(10));
                    std::thread::sleep(wait.min(Duration::from_secs(1)));
                }
                other => return (other, rate_limited),
            }
        }
    }

    fn draft(external_id: &str, po: &str) -> SalesOrderDraft {
        let line = |item: &str, quantity, rate: &str, sequence: &str| SalesOrderLineDraft {
            item: item.parse().unwrap(),
            quantity,
            rate: rate.parse().unwrap(),
            sequence: sequence.parse().unwrap(),
            description: None,
            is_closed: false,
            custom_fields: Default::default(),
        };
        SalesOrderDraft {
            external_id: external_id.parse().unwrap(),
            customer: "1234".parse().unwrap(),
            subsidiary: None,
            location: None,
            custom_form: None,
            currency: None,
            tran_date: "2025-03-01".parse().unwrap(),
            ship_date: None,
            other_ref_num: po.parse().unwrap(),
            memo: None,
            status: SalesOrderStatus::PendingApproval,
            shipping_address: None,
            lines: vec![line("98", 10, "346.27", "1"), line("99", 12, "2.6033", "2")],
            custom_fields: Default::default(),
        }
    }

    #[tokio::test]
    async fn socket_retail_orders_across_pages_then_acknowledged() {
        let services = spawn_local_services();
        assert!(services.base_url().starts_with("http://127.0.0.1:"));
        let client = services.retail_client();

        let mut query = OrderQuery {
            kind: WindowKind::Created,
            after: "2025-02-27T00:00:00Z".parse().unwrap(),
            before: "2025-03-01T00:00:00Z".parse().unwrap(),
            limit: 1,
            next_token: None,
        };
        let mut orders = Vec::new();
        let mut waits = 0;
        for _ in 0..10 {
            let (page, rate_limited): (Result<Page<retail::Order>, _>, _) =
                with_retry(|| client.purchase_orders(&query)).await;
            waits += rate_limited;
            let page = page.unwrap();
            assert!(page.malformed.is_empty());
            orders.extend(page.orders);
            match page.next_token {
                Some(token) => query.next_token = Some(token),
                None => break,
            }
            if waits == 0 {
                // Amazon's rate limit answers the second page once.
                services.amazon.fail_next_with(
                    AmazonOperation::GetPurchaseOrders,
                    ScriptedFailure::of(ErrorKind::RateLimited { retry_after: None }),
                    1,
                );
            }
        }
        assert_eq!(waits, 1, "one 429, answered by waiting and asking again");
        let numbers: Vec<_> = orders
            .iter()
            .filter_map(|o| o.purchase_order_number.as_deref())
            .collect();
        assert_eq!(numbers, ["2JK3S9VC", "3TRD2IAB"]);
        let requests = services.served.log();
        let second_pages: Vec<_> = requests
            .iter()
            .filter(|r| r.contains("nextToken"))
            .collect();
        assert_eq!(second_pages.len(), 2, "{requests:?}");
        for request in second_pages {
            // The filters go again with the token.
            assert!(
                request.contains("createdAfter=2025-02-27T00:00:00Z"),
                "{request}"
            );
            assert!(
                request.contains("createdBefore=2025-03-01T00:00:00Z"),
                "{request}"
            );
            assert!(request.contains("includeDetails=true"), "{request}");
        }
        let purchase_orders: Vec<_> = orders
            .iter()
            .map(|o| o.to_purchase_order().expect("a valid order"))
            .collect();

        // Acknowledge the first PO: accept line 1, back-order line 2.
        let po = &purchase_orders[0];
        let ack = RetailAcknowledgement {
            purchase_order_number: po.number.clone(),
            selling_party: "API01".parse().unwrap(),
            acknowledged_at: "2025-03-01T12:00:00Z".parse().unwrap(),
            lines: po
                .lines
                .iter()
                .map(|line| RetailAcknowledgementLine {
                    sequence: line.sequence.clone(),
                    asin: line.asin.clone(),
                    vendor_sku: line.vendor_sku.clone(),
                    ordered: line.ordered,
                    net_cost: line.net_cost,
                    list_price: None,
                    discount_multiplier: None,
                    decisions: vec![LineDecision {
                        code: if line.ordered.unit == QuantityUnit::Cases {
                            AcknowledgementCode::Backordered
                        } else {
                            AcknowledgementCode::Accepted
                        },
                        quantity: line.ordered,
                        scheduled_ship_date: None,
                        scheduled_delivery_date: None,
                        rejection_reason: None,
                    }],
                })
                .collect(),
        };
        let id = client
            .submit_acknowledgements(std::slice::from_ref(&ack))
            .await
            .unwrap();
        // Amazon received the body the library wrote, in the transaction whose id the
        // client read from the answer.
        let received = services.amazon.acknowledgements();
        let sent = serde_json::to_value(retail::SubmitAcknowledgementRequest::from_domain(&[ack]))
            .unwrap();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].transaction_id, id);
        assert_eq!(received[0].body, sent["acknowledgements"][0]);
        assert_eq!(
            client.transaction_status(&id).await.unwrap(),
            TransactionOutcome::Processing
        );
        assert_eq!(
            services.amazon.transaction_outcome(&id),
            Some(TransactionOutcome::Processing)
        );
        let missing = client
            .purchase_order(&"NOPE0001".parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(missing.kind, ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn socket_direct_fulfillment_in_both_versions() {
        let services = spawn_local_services();
        for version in [
            DirectFulfillmentVersion::V1,
            DirectFulfillmentVersion::V2021_12_28,
        ] {
            let client = services.direct_fulfillment_client(version);
            let query = OrderQuery {
                kind: WindowKind::Created,
                after: "2025-02-27T00:00:00Z".parse().unwrap(),
                before: "2025-03-01T00:00:00Z".parse().unwrap(),
                limit: 10,
                next_token: None,
            };
            // The order reads need the Restricted Data Token, which the transport adds.
            let page = client.orders(&query).await.unwrap();
            assert_eq!(page.orders.len(), 1, "{version}");
            let po = page.orders[0].to_purchase_order().expect("a valid order");
            let ack = avc_order_sync::DirectFulfillmentAcknowledgement {
                purchase_order_number: po.number.clone(),
                vendor_order_number: "SO1001".into(),
                acknowledged_at: "2025-03-01T12:00:00Z".parse().unwrap(),
                status_code: "00".into(),
                status_description: "Shipping 100 percent of ordered product".into(),
                selling_party: "999US".parse().unwrap(),
                ship_from: "ABCD".parse().unwrap(),
                lines: po
                    .lines
                    .iter()
                    .map(|l| avc_order_sync::DirectFulfillmentAcknowledgementLine {
                        sequence: l.sequence.clone(),
                        asin: l.asin.clone(),
                        vendor_sku: l.vendor_sku.clone(),
                        quantity: l.ordered.amount,
                    })
                    .collect(),
            };
            let id = client.submit_acknowledgements(&[ack]).await.unwrap();
            // Amazon decides the transaction after its processing time.
            services.clock.advance(Duration::from_secs(120));
            assert_eq!(
                client.transaction_status(&id).await.unwrap(),
                TransactionOutcome::Success
            );
        }
        let received = services.amazon.acknowledgements();
        assert_eq!(received.len(), 2, "{received:?}");
        assert!(
            received
                .iter()
                .all(|a| a.program == Program::DirectFulfillment
                    && a.purchase_order_number == "2JK3S9VC"),
            "{received:?}"
        );

        // A transport that sends the plain token where the RDT is needed gets 403.
        let wrong = SpApiDirectFulfillmentClient::new(
            IntegratorTransport::new(
                services.base_url(),
                Credentials::SpApi {
                    access_token: LWA_TOKEN.into(),
                    restricted_data_token: Some(LWA_TOKEN.into()),
                },
            ),
            DirectFulfillmentVersion::V1,
        );
        let err = wrong.order(&"2JK3S9VC".parse().unwrap()).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unauthorized);
    }

    #[tokio::test]
    async fn socket_netsuite_sales_orders_created_read_updated_and_listed() {
        let services = spawn_local_services();
        let client = services.netsuite_client().with_suiteql_page_size(1);
        // NetSuite's concurrency limit refuses the first create once.
        services.netsuite.fail_next_with(
            NetSuiteOperation::UpsertSalesOrder,
            ScriptedFailure::of(ErrorKind::RateLimited { retry_after: None }),
            1,
        );

        let first = draft("AVC-RP-2JK3S9VC", "2JK3S9VC");
        let (id, rate_limited) = with_retry(|| client.upsert_sales_order(&first)).await;
        assert_eq!(rate_limited, 1);
        assert_eq!(id.unwrap().as_str(), "1001", "the id from `Location`");
        // Again, as after a lost answer: the same order, no second one.
        assert_eq!(
            client.upsert_sales_order(&first).await.unwrap().as_str(),
            "1001"
        );
        let second = draft("AVC-RP-3TRD2IAB", "3TRD2IAB");
        assert_eq!(
            client.upsert_sales_order(&second).await.unwrap().as_str(),
            "1002"
        );
        assert_eq!(services.netsuite.record_count(), 2);
        let posts = services
            .served
            .log()
            .iter()
            .filter(|r| r.starts_with("POST /services/rest/record"))
            .count();
        assert_eq!(posts, 3, "one refused for concurrency, two creates");

        let snapshot = client
            .sales_order(&first.external_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(snapshot.internal_id.as_str(), "1001");
        assert_eq!(snapshot.status, NetSuiteStatus::PendingApproval);
        assert_eq!(snapshot.lines.len(), 2);
        assert_eq!(snapshot.lines[1].rate.to_string(), "2.6033");
        assert_eq!(
            client
                .sales_order(&"AVC-RP-NOPE".parse().unwrap())
                .await
                .unwrap(),
            None
        );

        // The reviewer's decision arrives as changes: approve, move the ship date, put
        // another item on line 2 and lower it, add a line.
        let update = SalesOrderChanges {
            status: Some(SalesOrderStatus::PendingFulfillment),
            ship_date: "2025-03-12".parse().ok(),
            lines: vec![
                LineChange::Set {
                    sequence: "2".parse().unwrap(),
                    item: Some("101".parse().unwrap()),
                    quantity: Some(6),
                    rate: None,
                },
                LineChange::Add {
                    line: Box::new(SalesOrderLineDraft {
                        item: "100".parse().unwrap(),
                        quantity: 1,
                        rate: "5".parse().unwrap(),
                        sequence: "3".parse().unwrap(),
                        description: None,
                        is_closed: false,
                        custom_fields: Default::default(),
                    }),
                },
            ],
        };
        services.clock.advance(Duration::from_secs(60));
        client
            .update_sales_order(&first.external_id, &update)
            .await
            .unwrap();
        let snapshot = client
            .sales_order(&first.external_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(snapshot.status, NetSuiteStatus::PendingFulfillment);
        assert_eq!(snapshot.ship_date, "2025-03-12".parse().ok());
        let quantities: Vec<_> = snapshot.lines.iter().map(|l| l.quantity).collect();
        assert_eq!(quantities, [10, 6, 1]);
        let items: Vec<_> = snapshot.lines.iter().map(|l| l.item.as_str()).collect();
        assert_eq!(items, ["98", "101", "100"]);
        assert_eq!(
            snapshot.lines[2].sequence.as_ref().map(|s| s.as_str()),
            Some("3")
        );
        let err = client
            .update_sales_order(&"AVC-RP-NOPE".parse().unwrap(), &update)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound);

        services.clock.advance(Duration::from_secs(60));
        client.close_sales_order(&second.external_id).await.unwrap();
        let closed = client
            .sales_order(&second.external_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(closed.status, NetSuiteStatus::Closed);

        // Both changed since the start, read one row per page, in UTC.
        let since = "2025-03-01T00:00:00Z".parse().unwrap();
        let changes = client.changed_sales_orders(since).await.unwrap();
        let seen: Vec<_> = changes
            .iter()
            .map(|c| (c.external_id.as_str(), c.status.clone()))
            .collect();
        assert_eq!(
            seen,
            [
                ("AVC-RP-2JK3S9VC", NetSuiteStatus::PendingFulfillment),
                ("AVC-RP-3TRD2IAB", NetSuiteStatus::Closed),
            ]
        );
        // SuiteQL answers in the user's time zone; the client reads the instants back.
        for change in &changes {
            let record = services.netsuite.snapshot(&change.external_id).unwrap();
            assert_eq!(Some(change.last_modified), record.last_modified);
            assert_eq!(change.internal_id, record.internal_id);
        }
        let suiteql = services
            .served
            .log()
            .iter()
            .filter(|r| r.starts_with("POST /services/rest/query/v1/suiteql"))
            .count();
        assert_eq!(suiteql, 2, "one page per row, until `hasMore` is false");
        let later = client
            .changed_sales_orders(changes[1].last_modified)
            .await
            .unwrap();
        assert_eq!(later.len(), 1);
    }

    #[tokio::test]
    async fn socket_a_create_sent_again_with_a_newer_draft_changes_the_one_order() {
        let services = spawn_local_services();
        let client = services.netsuite_client();
        let first = draft("AVC-RP-5LXQ8M2D", "5LXQ8M2D");
        // The create goes through, and its answer is lost: the caller never sees the id.
        let _lost = client.upsert_sales_order(&first).await.unwrap();
        assert_eq!(services.netsuite.record_count(), 1);

        // Amazon lowers line 2 and moves the ship date meanwhile; the create is sent
        // again with the newer draft.
        let mut newer = first.clone();
        newer.lines[1].quantity = 7;
        newer.ship_date = "2025-03-12".parse().ok();
        let id = client.upsert_sales_order(&newer).await.unwrap();
        assert_eq!(id.as_str(), "1001");
        let order = client
            .sales_order(&newer.external_id)
            .await
            .unwrap()
            .unwrap();
        let quantities: Vec<_> = order.lines.iter().map(|l| l.quantity).collect();
        assert_eq!(quantities, [10, 7]);
        assert_eq!(order.ship_date, newer.ship_date);

        // Once more, as if that answer was lost too, through NetSuite refusing a second
        // create (a read that missed the order): still the one order, brought to the
        // draft again.
        services.netsuite.fail_next_with(
            NetSuiteOperation::SalesOrder,
            ScriptedFailure::of(ErrorKind::NotFound),
            1,
        );
        let mut newest = newer.clone();
        newest.lines[1].quantity = 5;
        let id = client.upsert_sales_order(&newest).await.unwrap();
        assert_eq!(id.as_str(), "1001");
        let order = client
            .sales_order(&newest.external_id)
            .await
            .unwrap()
            .unwrap();
        let quantities: Vec<_> = order.lines.iter().map(|l| l.quantity).collect();
        assert_eq!(quantities, [10, 5]);

        // Sent again with the draft NetSuite holds: read, and nothing written.
        client.upsert_sales_order(&newest).await.unwrap();

        assert_eq!(services.netsuite.record_count(), 1);
        let writes: Vec<_> = services
            .served
            .log()
            .into_iter()
            .filter(|r| !r.starts_with("GET "))
            .map(|r| r.split('?').next().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(
            writes,
            [
                "POST /services/rest/record/v1/salesOrder",
                "PATCH /services/rest/record/v1/salesOrder/eid:AVC-RP-5LXQ8M2D",
                "POST /services/rest/record/v1/salesOrder",
                "PATCH /services/rest/record/v1/salesOrder/eid:AVC-RP-5LXQ8M2D",
            ],
            "two creates, one refused as a duplicate, and a patch for each newer draft"
        );
        assert_eq!(services.served.refused_creates(), 1);
    }

    /// The local NetSuite refuses what NetSuite refuses: a SuiteQL body with a
    /// member besides `q` or a `?` in it, an unknown query parameter, a misspelt
    /// field on a sales order; and its SuiteQL reads the literals written in `q`.
    #[tokio::test]
    async fn socket_netsuite_refuses_what_netsuite_refuses() {
        let services = spawn_local_services();
        let client = services.netsuite_client();
        client
            .upsert_sales_order(&draft("AVC-RP-4Z32PABC", "4Z32PABC"))
            .await
            .unwrap();
        client
            .upsert_sales_order(&draft("OTHER-4Z32PABD", "4Z32PABD"))
            .await
            .unwrap();
        let base = services.base_url().to_owned();
        let suiteql = |path: &str, body: Value| {
            let base = base.clone();
            let path = path.to_owned();
            tokio::task::spawn_blocking(move || netsuite_raw(&base, "POST", &path, Some(&body)))
        };
        let query = |pattern: &str, since: &str| {
            format!(
                "SELECT t.id, t.externalid, t.status FROM transaction t \
                 WHERE t.type = 'SalesOrd' AND t.externalid LIKE '{pattern}' \
                 AND t.lastmodifieddate >= TO_TIMESTAMP('{since}', 'YYYY-MM-DD HH24:MI:SS') \
                 ORDER BY t.lastmodifieddate, t.id"
            )
        };
        let path = "/services/rest/query/v1/suiteql?limit=10&offset=0";

        // The literals are read from `q`: the prefix and the watermark both filter.
        let (status, page) = suiteql(path, json!({"q": query("AVC-%", "2000-01-01 00:00:00")}))
            .await
            .unwrap();
        assert_eq!(status, 200, "{page}");
        let ids: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["externalid"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["AVC-RP-4Z32PABC"]);
        let (status, page) = suiteql(path, json!({"q": query("AVC-%", "2100-01-01 00:00:00")}))
            .await
            .unwrap();
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["items"], json!([]));

        // Bound parameters do not exist over REST.
        let refused = suiteql(
            path,
            json!({"q": query("AVC-%", "2000-01-01 00:00:00"), "params": []}),
        )
        .await
        .unwrap();
        assert_netsuite_refusal(&refused, "INVALID_CONTENT", "o:errorPath", "params");
        let placeholders = "SELECT t.id FROM transaction t WHERE t.externalid LIKE ? \
                            AND t.lastmodifieddate >= TO_TIMESTAMP(?, 'YYYY-MM-DD HH24:MI:SS')";
        let refused = suiteql(
            path,
            json!({"q": placeholders, "params": ["AVC-%", "2000-01-01 00:00:00"]}),
        )
        .await
        .unwrap();
        assert_netsuite_refusal(&refused, "INVALID_CONTENT", "o:errorPath", "params");
        let refused = suiteql(path, json!({"q": placeholders})).await.unwrap();
        assert_netsuite_refusal(&refused, "INVALID_PARAMETER", "o:errorQueryParam", "q");
        // A `?` inside a literal is text, not a placeholder.
        let (status, page) = suiteql(path, json!({"q": query("AVC?%", "2000-01-01 00:00:00")}))
            .await
            .unwrap();
        assert_eq!((status, page["items"].clone()), (200, json!([])), "{page}");
        // A watermark that is not a timestamp in its format is refused.
        let refused = suiteql(path, json!({"q": query("AVC-%", "yesterday")}))
            .await
            .unwrap();
        assert_netsuite_refusal(&refused, "INVALID_PARAMETER", "o:errorQueryParam", "q");
        let refused = suiteql(
            "/services/rest/query/v1/suiteql?limit=10&ofset=0",
            json!({"q": query("AVC-%", "2000-01-01 00:00:00")}),
        )
        .await
        .unwrap();
        assert_netsuite_refusal(&refused, "INVALID_PARAMETER", "o:errorQueryParam", "ofset");

        // A misspelt field on a create, on a line, on an update; an unknown query
        // parameter on a read.
        let record = |method: &'static str, path: String, body: Option<Value>| {
            let base = base.clone();
            tokio::task::spawn_blocking(move || netsuite_raw(&base, method, &path, body.as_ref()))
        };
        let create = json!({"externalId": "AVC-RP-4Z32PABE", "entity": {"id": "1234"},
            "tranDate": "2025-03-01", "otherRefNumber": "4Z32PABE",
            "item": {"items": [{"item": {"id": "98"}, "quantity": 1, "rate": 2.5}]}});
        let refused = record("POST", RECORDS.to_owned(), Some(create.clone()))
            .await
            .unwrap();
        assert_netsuite_refusal(&refused, "INVALID_CONTENT", "o:errorPath", "otherRefNumber");
        let mut misspelt_line = create.clone();
        misspelt_line
            .as_object_mut()
            .unwrap()
            .remove("otherRefNumber");
        misspelt_line["item"]["items"][0]["quantiy"] = json!(1);
        let refused = record("POST", RECORDS.to_owned(), Some(misspelt_line))
            .await
            .unwrap();
        assert_netsuite_refusal(
            &refused,
            "INVALID_CONTENT",
            "o:errorPath",
            "item.items[0].quantiy",
        );
        let eid = format!("{RECORDS}/eid:AVC-RP-4Z32PABC");
        let refused = record(
            "PATCH",
            eid.clone(),
            Some(json!({"shipdate": "2025-03-09"})),
        )
        .await
        .unwrap();
        assert_netsuite_refusal(&refused, "INVALID_CONTENT", "o:errorPath", "shipdate");
        let refused = record(
            "PATCH",
            eid.clone(),
            Some(json!({"item": {"items": [{"line": 1, "isclosed": true}]}})),
        )
        .await
        .unwrap();
        assert_netsuite_refusal(
            &refused,
            "INVALID_CONTENT",
            "o:errorPath",
            "item.items[0].isclosed",
        );
        let refused = record("PATCH", format!("{eid}?replace=item"), Some(json!({})))
            .await
            .unwrap();
        assert_netsuite_refusal(
            &refused,
            "INVALID_PARAMETER",
            "o:errorQueryParam",
            "replace",
        );
        let refused = record("GET", format!("{eid}?expandSubresources=true"), None)
            .await
            .unwrap();
        assert_netsuite_refusal(
            &refused,
            "INVALID_PARAMETER",
            "o:errorQueryParam",
            "expandSubresources",
        );
        // Nothing refused was applied.
        let (status, record) = record("GET", format!("{eid}?expandSubResources=true"), None)
            .await
            .unwrap();
        assert_eq!(status, 200, "{record}");
        assert_eq!(record.get("shipDate"), None, "{record}");
        assert!(
            client
                .sales_order(&"AVC-RP-4Z32PABE".parse().unwrap())
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn socket_errors_are_classified_from_the_wire() {
        let services = spawn_local_services();
        let bad_login = NetSuiteRestClient::new(IntegratorTransport::new(
            services.base_url(),
            Credentials::NetSuiteBearer("expired".into()),
        ));
        let err = bad_login
            .sales_order(&"AVC-RP-X".parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unauthorized);
        assert_eq!(err.messages[0].code, "INVALID_LOGIN");

        // Nothing listens on this port any more: a connection failure, transient.
        let closed = {
            let gone = spawn_local_services();
            gone.base_url().to_owned()
        };
        let client = SpApiRetailClient::new(IntegratorTransport::new(
            &closed,
            Credentials::SpApi {
                access_token: LWA_TOKEN.into(),
                restricted_data_token: Some(RDT_TOKEN.into()),
            },
        ));
        let err = client
            .purchase_order(&"2JK3S9VC".parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Transient);
    }

    #[tokio::test]
    async fn socket_sp_api_refuses_unknown_query_parameters_and_body_members() {
        let services = spawn_local_services();
        assert_refuses_what_sp_api_refuses(services.base_url(), "2JK3S9VC").await;
        // Only the three good acknowledgements reached Vendor Central.
        assert_eq!(services.amazon.transaction_count(), 3);
    }
}
