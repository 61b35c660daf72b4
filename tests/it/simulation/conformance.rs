//! Every answer the Vendor Central simulator gives during the fault simulation, written
//! as the served simulator writes it on the wire, validates against Amazon's models in
//! `../shared/reference/sp-api`.
//!
//! `cargo test simulator_conformance -- --nocapture` runs 30 seeds (`AVC_CONFORMANCE_SEEDS=N`
//! for more) and prints `checked N simulator responses against Amazon's models: V
//! violations`. A Direct Fulfillment answer is checked against both versions of the
//! API, since the served simulator gives the same order in both. Entries a page lists
//! as unreadable on purpose are counted apart: they stand for what Amazon sent broken.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use avc_order_sync::amazon::{direct_fulfillment as df, retail};
use avc_order_sync::{ClientError, Page};

use super::sim_harness::{AmazonAnswer, hearing_amazon, run_seed};
use crate::it::http::served_simulators::{page_json, refusal_json, transaction_json};
use crate::it::http::sp_api_model::{Model, Models, Violation, required_models};

const DEFAULT_SEEDS: u64 = 30;

const RETAIL: &str = "vendorOrders.json";
const RETAIL_TRANSACTIONS: &str = "vendorTransactionStatus.json";
const DF_V1: &str = "vendorDirectFulfillmentOrdersV1.json";
const DF_2021: &str = "vendorDirectFulfillmentOrders_2021-12-28.json";
const DF_TRANSACTIONS_V1: &str = "vendorDirectFulfillmentTransactionsV1.json";
const DF_TRANSACTIONS_2021: &str = "vendorDirectFulfillmentTransactions_2021-12-28.json";

/// One body to check: the model, the operation, the status and the body.
struct Body {
    model: &'static str,
    operation: &'static str,
    status: u16,
    body: Value,
}

fn body(model: &'static str, operation: &'static str, status: u16, body: Value) -> Body {
    Body {
        model,
        operation,
        status,
        body,
    }
}

/// A page without the entries listed as unreadable on purpose, and how many there were.
fn readable<T: Clone>(page: &Page<T>) -> (Page<T>, usize) {
    (
        Page {
            orders: page.orders.clone(),
            malformed: Vec::new(),
            next_token: page.next_token.clone(),
        },
        page.malformed.len(),
    )
}

/// The bodies of a refusal, in the versions named (`v1` wraps nothing more: the errors
/// are the response's `errors`; 2021-12-28 answers `ErrorList`).
fn refusals(error: &ClientError, versions: &[(&'static str, &'static str)]) -> Vec<Body> {
    let (status, errors) = refusal_json(error);
    versions
        .iter()
        .map(|(model, operation)| body(model, operation, status, errors.clone()))
        .collect()
}

/// The wire bodies of one answer, as the served simulator writes them, and how many
/// page entries were left out as unreadable.
fn bodies(answer: &AmazonAnswer) -> (Vec<Body>, usize) {
    let payload = |v: Value| json!({ "payload": v });
    match answer {
        AmazonAnswer::RetailPage(Ok(page)) => {
            let (page, skipped) = readable(page);
            let list = payload(page_json(&page));
            (vec![body(RETAIL, "getPurchaseOrders", 200, list)], skipped)
        }
        AmazonAnswer::RetailPage(Err(e)) => (refusals(e, &[(RETAIL, "getPurchaseOrders")]), 0),
        AmazonAnswer::RetailOrder(Ok(order)) => (
            vec![body(RETAIL, "getPurchaseOrder", 200, payload(wire(order)))],
            0,
        ),
        AmazonAnswer::RetailOrder(Err(e)) => (refusals(e, &[(RETAIL, "getPurchaseOrder")]), 0),
        AmazonAnswer::RetailSubmit(Ok(id)) => (
            vec![body(
                RETAIL,
                "submitAcknowledgement",
                202,
                payload(json!({"transactionId": id.as_str()})),
            )],
            0,
        ),
        AmazonAnswer::RetailSubmit(Err(e)) => {
            (refusals(e, &[(RETAIL, "submitAcknowledgement")]), 0)
        }
        AmazonAnswer::RetailTransaction(id, Ok(outcome)) => (
            vec![body(
                RETAIL_TRANSACTIONS,
                "getTransaction",
                200,
                payload(transaction_json(id, outcome, false)),
            )],
            0,
        ),
        AmazonAnswer::RetailTransaction(_, Err(e)) => {
            (refusals(e, &[(RETAIL_TRANSACTIONS, "getTransaction")]), 0)
        }
        AmazonAnswer::RetailStatus(Ok(status)) => (
            vec![body(
                RETAIL,
                "getPurchaseOrdersStatus",
                200,
                payload(json!({"ordersStatus": status.iter().map(wire).collect::<Vec<_>>()})),
            )],
            0,
        ),
        AmazonAnswer::RetailStatus(Err(e)) => {
            (refusals(e, &[(RETAIL, "getPurchaseOrdersStatus")]), 0)
        }
        AmazonAnswer::DfPage(Ok(page)) => {
            let (page, skipped) = readable(page);
            let list = page_json(&page);
            (
                vec![
                    body(DF_V1, "getOrders", 200, payload(list.clone())),
                    body(DF_2021, "getOrders", 200, list),
                ],
                skipped,
            )
        }
        AmazonAnswer::DfPage(Err(e)) => (
            refusals(e, &[(DF_V1, "getOrders"), (DF_2021, "getOrders")]),
            0,
        ),
        AmazonAnswer::DfOrder(Ok(order)) => (
            vec![
                body(DF_V1, "getOrder", 200, payload(wire(order))),
                body(DF_2021, "getOrder", 200, wire(order)),
            ],
            0,
        ),
        AmazonAnswer::DfOrder(Err(e)) => (
            refusals(e, &[(DF_V1, "getOrder"), (DF_2021, "getOrder")]),
            0,
        ),
        AmazonAnswer::DfSubmit(Ok(id)) => {
            let id = json!({"transactionId": id.as_str()});
            (
                vec![
                    body(DF_V1, "submitAcknowledgement", 202, payload(id.clone())),
                    body(DF_2021, "submitAcknowledgement", 202, id),
                ],
                0,
            )
        }
        AmazonAnswer::DfSubmit(Err(e)) => (
            refusals(
                e,
                &[
                    (DF_V1, "submitAcknowledgement"),
                    (DF_2021, "submitAcknowledgement"),
                ],
            ),
            0,
        ),
        AmazonAnswer::DfTransaction(id, Ok(outcome)) => (
            vec![
                body(
                    DF_TRANSACTIONS_V1,
                    "getTransactionStatus",
                    200,
                    payload(transaction_json(id, outcome, false)),
                ),
                body(
                    DF_TRANSACTIONS_2021,
                    "getTransactionStatus",
                    200,
                    transaction_json(id, outcome, true),
                ),
            ],
            0,
        ),
        AmazonAnswer::RetailSent(_) | AmazonAnswer::DfSent(_) => (Vec::new(), 0),
        AmazonAnswer::DfTransaction(_, Err(e)) => (
            refusals(
                e,
                &[
                    (DF_TRANSACTIONS_V1, "getTransactionStatus"),
                    (DF_TRANSACTIONS_2021, "getTransactionStatus"),
                ],
            ),
            0,
        ),
    }
}

/// The request bodies of acknowledgements the engine sent, as its HTTP clients write
/// them, with the model and operation whose request schema they must meet.
fn requests(answer: &AmazonAnswer) -> Vec<(&'static str, Value)> {
    match answer {
        AmazonAnswer::RetailSent(acks) => vec![(
            RETAIL,
            wire(&retail::SubmitAcknowledgementRequest::from_domain(acks)),
        )],
        AmazonAnswer::DfSent(acks) => {
            let body = wire(&df::SubmitAcknowledgementRequest::from_domain(acks));
            vec![(DF_V1, body.clone()), (DF_2021, body)]
        }
        _ => Vec::new(),
    }
}

/// A wire type as serde writes it.
fn wire<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The schema a body is checked against: the one the model gives the operation and
/// status. The 2021-12-28 Direct Fulfillment transactions model names a bare `Error`
/// for statuses other than 400, where the service (and every other model here)
/// answers `ErrorList`: its refusals are checked as `ErrorList`.
fn check_body<'m>(models: &'m Models, body: &Body) -> (&'m Model, Vec<Violation>) {
    let model = models.model(body.model);
    if body.model == DF_TRANSACTIONS_2021 && body.status >= 400 {
        return (model, model.validate("ErrorList", &body.body));
    }
    let found = match model.response_schema(body.operation, body.status) {
        Some(schema) => model.validate_schema(schema, &body.body),
        None => {
            let problem = format!(
                "{} declares no response {} for {}",
                body.model, body.status, body.operation
            );
            vec![Violation {
                path: "$".into(),
                amazon: problem.clone(),
                problem,
                value: false,
            }]
        }
    };
    (model, found)
}

/// What the seeds' answers came to.
#[derive(Default)]
struct Tally {
    responses: u64,
    bodies: u64,
    unreadable_entries: u64,
    violations: u64,
    first: Vec<String>,
    /// Bodies checked per model, operation and status.
    kinds: BTreeMap<(&'static str, &'static str, u16), u64>,
    /// Acknowledgement requests the engine sent, and what their bodies broke.
    requests: u64,
    request_violations: u64,
    /// Kinds whose first body, spoilt, was caught.
    spoilt_caught: BTreeMap<(&'static str, &'static str, u16), bool>,
}

/// The body with a member no model has, added to its most deeply nested object.
fn spoilt(body: &Value) -> (Value, String) {
    fn deepest(value: &Value, path: String, depth: usize, best: &mut (usize, String)) {
        match value {
            Value::Object(members) => {
                if depth >= best.0 {
                    *best = (depth, path.clone());
                }
                for (name, member) in members {
                    deepest(member, format!("{path}/{name}"), depth + 1, best);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    deepest(item, format!("{path}/{i}"), depth + 1, best);
                }
            }
            _ => {}
        }
    }
    let mut best = (0, String::new());
    deepest(body, String::new(), 0, &mut best);
    let mut spoilt = body.clone();
    if let Some(Value::Object(members)) = spoilt.pointer_mut(&best.1) {
        members.insert("unexpectedMember".into(), json!(true));
    }
    (spoilt, best.1)
}

impl Tally {
    fn hear(&mut self, models: &Models, seed: u64, answer: &AmazonAnswer) {
        let sent = requests(answer);
        if !sent.is_empty() {
            self.requests += 1;
            for (file, body) in sent {
                let model = models.model(file);
                let found = match model.request_schema("submitAcknowledgement") {
                    Some(schema) => model.validate_schema(schema, &body),
                    None => panic!("{file} has no submitAcknowledgement body"),
                };
                self.request_violations += found.len() as u64;
                for violation in found {
                    if self.first.len() < 20 {
                        self.first.push(format!(
                            "seed {seed}: {file} submitAcknowledgement request: {violation}"
                        ));
                    }
                }
            }
            return;
        }
        self.responses += 1;
        let (bodies, skipped) = bodies(answer);
        self.unreadable_entries += skipped as u64;
        for body in &bodies {
            self.bodies += 1;
            let kind = (body.model, body.operation, body.status);
            *self.kinds.entry(kind).or_default() += 1;
            if let std::collections::btree_map::Entry::Vacant(entry) =
                self.spoilt_caught.entry(kind)
            {
                let (bad, at) = spoilt(&body.body);
                let bad = Body { body: bad, ..*body };
                let caught = check_body(models, &bad)
                    .1
                    .iter()
                    .any(|v| v.path.ends_with(".unexpectedMember") && v.path.len() > at.len());
                entry.insert(caught);
            }
            let (model, found) = check_body(models, body);
            self.violations += found.len() as u64;
            for violation in found {
                if self.first.len() < 20 {
                    self.first.push(format!(
                        "seed {seed}: {} {} {}: {violation}",
                        model.file, body.operation, body.status
                    ));
                }
            }
        }
    }
}

fn seeds() -> u64 {
    match std::env::var("AVC_CONFORMANCE_SEEDS") {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("AVC_CONFORMANCE_SEEDS={text:?}: {e}")),
        Err(_) => DEFAULT_SEEDS,
    }
}

#[test]
fn simulator_conformance_of_every_answer_in_the_fault_simulation() {
    let models = required_models();
    let tally = std::rc::Rc::new(std::cell::RefCell::new(Tally::default()));
    for seed in 0..seeds() {
        let heard = tally.clone();
        hearing_amazon(
            move |answer| heard.borrow_mut().hear(models, seed, &answer),
            || run_seed(seed, false),
        );
    }
    let tally = tally.borrow();
    println!(
        "checked {} simulator responses against Amazon's models: {} violations",
        tally.responses, tally.violations
    );
    println!(
        "  ({} bodies over both Direct Fulfillment versions, {} page entries unreadable on purpose not checked)",
        tally.bodies, tally.unreadable_entries
    );
    println!(
        "  (and {} acknowledgement requests the engine sent, checked against the models' request schemas, values included: {} violations)",
        tally.requests, tally.request_violations
    );
    for ((model, operation, status), count) in &tally.kinds {
        println!("  {count:>7} {model} {operation} {status}");
    }
    for line in &tally.first {
        println!("  {line}");
    }
    let missed: Vec<_> = tally
        .spoilt_caught
        .iter()
        .filter(|(_, caught)| !**caught)
        .map(|(kind, _)| kind)
        .collect();
    assert!(
        missed.is_empty(),
        "a body given a member no model has passed the check: {missed:?}"
    );
    assert!(
        tally.responses >= 1_000,
        "only {} responses",
        tally.responses
    );
    assert_eq!(
        tally.violations,
        0,
        "simulator answers that Amazon's models refuse, first ones:\n{}",
        tally.first.join("\n")
    );
    assert!(tally.requests > 0, "no acknowledgement was sent");
    assert_eq!(
        tally.request_violations,
        0,
        "acknowledgements the engine sent that Amazon's models refuse:\n{}",
        tally.first.join("\n")
    );
}

/// Answers the fault simulation rarely or never draws: refusals, failed transactions,
/// the status report after acknowledgements, cancellations and a close, cancelled
/// listings.
mod every_kind {
    use std::time::Duration;

    use avc_order_sync::amazon::{direct_fulfillment as df, retail};
    use avc_order_sync::testing::orders::{self, RetailLine, RetailOrderBuilder};
    use avc_order_sync::testing::{AmazonOperation, ManualClock, VendorCentral};
    use avc_order_sync::{
        AcknowledgementCode, DirectFulfillmentAcknowledgement,
        DirectFulfillmentAcknowledgementLine, LineDecision, RejectionReason, RetailAcknowledgement,
        RetailAcknowledgementLine, df_status,
    };
    use avc_order_sync::{
        DirectFulfillmentOrdersApi, OrderQuery, PurchaseOrderNumber, RetailOrdersApi,
        TransactionId, WindowKind,
    };
    use chrono::{DateTime, Utc};
    use serde_json::json;

    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("a date")
    }

    fn number(s: &str) -> PurchaseOrderNumber {
        s.parse().expect("a PO number")
    }

    fn window(kind: WindowKind) -> OrderQuery {
        OrderQuery {
            kind,
            after: t("2025-03-03T12:00:00Z"),
            before: t("2025-03-10T12:00:00Z"),
            limit: 100,
            next_token: None,
        }
    }

    /// Accepts every line in full, but rejects `rejected` (a sequence) in full.
    fn retail_ack(order: &retail::Order, rejected: Option<&str>) -> RetailAcknowledgement {
        let po = order.to_purchase_order().expect("a readable PO");
        RetailAcknowledgement {
            purchase_order_number: po.number,
            selling_party: po.selling_party,
            acknowledged_at: t("2025-03-10T12:00:00Z"),
            lines: po
                .lines
                .iter()
                .filter(|l| l.ordered.amount > 0)
                .map(|l| {
                    let reject = rejected == Some(l.sequence.as_str());
                    RetailAcknowledgementLine {
                        sequence: l.sequence.clone(),
                        asin: l.asin.clone(),
                        vendor_sku: l.vendor_sku.clone(),
                        ordered: l.ordered,
                        net_cost: l.net_cost,
                        list_price: None,
                        discount_multiplier: None,
                        decisions: vec![LineDecision {
                            code: if reject {
                                AcknowledgementCode::Rejected
                            } else {
                                AcknowledgementCode::Accepted
                            },
                            quantity: l.ordered,
                            scheduled_ship_date: None,
                            scheduled_delivery_date: None,
                            rejection_reason: reject
                                .then_some(RejectionReason::TemporarilyUnavailable),
                        }],
                    }
                })
                .collect(),
        }
    }

    fn df_ack(order: &df::Order, code: &str) -> DirectFulfillmentAcknowledgement {
        let po = order.to_purchase_order().expect("a readable order");
        DirectFulfillmentAcknowledgement {
            purchase_order_number: po.number.clone(),
            vendor_order_number: format!("SO-{}", po.number),
            acknowledged_at: t("2025-03-10T12:00:00Z"),
            status_code: code.to_owned(),
            status_description: df_status::description(code)
                .unwrap_or("Canceled")
                .to_owned(),
            selling_party: po.selling_party.clone(),
            ship_from: po
                .ship_from
                .as_ref()
                .and_then(|s| s.id.clone())
                .expect("a warehouse"),
            lines: po
                .lines
                .iter()
                .map(|l| DirectFulfillmentAcknowledgementLine {
                    sequence: l.sequence.clone(),
                    asin: l.asin.clone(),
                    vendor_sku: l.vendor_sku.clone(),
                    quantity: l.ordered.amount,
                })
                .collect(),
        }
    }

    /// Runs the calls, each answer heard as in the fault simulation.
    async fn calls(vc: &VendorCentral, clock: &ManualClock, heard: &mut Vec<AmazonAnswer>) {
        let order = RetailOrderBuilder::new("4Z32PABC", t("2025-03-04T00:00:00Z"))
            .line(RetailLine::eaches("B07DFVDRAB", "SKU-1", 10, "9.50"))
            .line(RetailLine::cases("B076SDSABC", "SKU-2", 5, 6, "4.00"))
            .line(RetailLine::eaches("B0000SKU3A", "SKU-3", 3, "1.25"))
            .build();
        vc.add_retail_order(order.clone()).expect("seeded");
        vc.add_retail_order(orders::retail_order(
            "2JK3S9VC",
            t("2025-03-05T00:00:00Z"),
            2,
        ))
        .expect("seeded");
        let accepted = orders::df_order("5KL4T0WD", t("2025-03-09T00:00:00Z"), 2);
        let rejected = orders::df_order("6MN5U1XE", t("2025-03-09T01:00:00Z"), 1);
        vc.add_df_order(accepted.clone()).expect("seeded");
        vc.add_df_order(rejected.clone()).expect("seeded");

        heard.push(AmazonAnswer::RetailPage(
            RetailOrdersApi::purchase_orders(vc, &window(WindowKind::Created)).await,
        ));
        heard.push(AmazonAnswer::RetailOrder(
            RetailOrdersApi::purchase_order(vc, &number("4Z32PABC")).await,
        ));
        heard.push(AmazonAnswer::RetailOrder(
            RetailOrdersApi::purchase_order(vc, &number("NOSUCHPO")).await,
        ));
        heard.push(AmazonAnswer::RetailStatus(
            vc.purchase_order_status(&number("4Z32PABC")).await,
        ));
        // A line cut, one rejected in full, the rest accepted.
        vc.set_retail_quantity("4Z32PABC", "1", 4).expect("changed");
        let changed = vc.retail_order("4Z32PABC").expect("held");
        let submitted =
            RetailOrdersApi::submit_acknowledgements(vc, &[retail_ack(&changed, Some("3"))]).await;
        let id = submitted.as_ref().ok().cloned();
        heard.push(AmazonAnswer::RetailSubmit(submitted));
        clock.advance(Duration::from_secs(120));
        if let Some(id) = id {
            heard.push(AmazonAnswer::RetailTransaction(
                id.clone(),
                RetailOrdersApi::transaction_status(vc, &id).await,
            ));
            heard.push(AmazonAnswer::DfTransaction(
                id.clone(),
                DirectFulfillmentOrdersApi::transaction_status(vc, &id).await,
            ));
        }
        heard.push(AmazonAnswer::RetailStatus(
            vc.purchase_order_status(&number("4Z32PABC")).await,
        ));
        heard.push(AmazonAnswer::RetailStatus(
            vc.purchase_order_status(&number("NOSUCHPO")).await,
        ));
        // A cancelled line, a change listed in a changed window, then a close.
        vc.cancel_retail_line("2JK3S9VC", "2").expect("cancelled");
        let mut changed_window = window(WindowKind::Changed);
        changed_window.before = t("2025-03-10T12:10:00Z");
        heard.push(AmazonAnswer::RetailPage(
            RetailOrdersApi::purchase_orders(vc, &changed_window).await,
        ));
        heard.push(AmazonAnswer::RetailStatus(
            vc.purchase_order_status(&number("2JK3S9VC")).await,
        ));
        vc.close_retail_order("4Z32PABC").expect("closed");
        heard.push(AmazonAnswer::RetailStatus(
            vc.purchase_order_status(&number("4Z32PABC")).await,
        ));
        // A transaction Amazon fails: the PO is closed.
        let submitted =
            RetailOrdersApi::submit_acknowledgements(vc, &[retail_ack(&order, None)]).await;
        let id = submitted.as_ref().ok().cloned();
        heard.push(AmazonAnswer::RetailSubmit(submitted));
        clock.advance(Duration::from_secs(120));
        if let Some(id) = id {
            heard.push(AmazonAnswer::RetailTransaction(
                id.clone(),
                RetailOrdersApi::transaction_status(vc, &id).await,
            ));
        }
        // Refused at once: a body outside the model, a window over 7 days, a limit
        // out of range, an unknown transaction.
        heard.push(AmazonAnswer::RetailSubmit(
            vc.submit_retail_acknowledgement_body(&json!({"acknowledgements": [{"note": 1}]}))
                .await,
        ));
        let mut wide = window(WindowKind::Created);
        wide.after = t("2025-02-01T00:00:00Z");
        heard.push(AmazonAnswer::RetailPage(
            RetailOrdersApi::purchase_orders(vc, &wide).await,
        ));
        let mut no_limit = window(WindowKind::Created);
        no_limit.limit = 0;
        heard.push(AmazonAnswer::DfPage(
            DirectFulfillmentOrdersApi::orders(vc, &no_limit).await,
        ));
        let unknown: TransactionId = "20190827182357-8725bde9-c61c-49f9-86ac-46efd82d4da5"
            .parse()
            .expect("an id");
        heard.push(AmazonAnswer::RetailTransaction(
            unknown.clone(),
            RetailOrdersApi::transaction_status(vc, &unknown).await,
        ));

        // Direct Fulfillment: listed, read, accepted, rejected, failed, cancelled.
        heard.push(AmazonAnswer::DfPage(
            DirectFulfillmentOrdersApi::orders(vc, &window(WindowKind::Created)).await,
        ));
        heard.push(AmazonAnswer::DfOrder(
            DirectFulfillmentOrdersApi::order(vc, &number("5KL4T0WD")).await,
        ));
        heard.push(AmazonAnswer::DfOrder(
            DirectFulfillmentOrdersApi::order(vc, &number("NOSUCHPO")).await,
        ));
        let submitted = DirectFulfillmentOrdersApi::submit_acknowledgements(
            vc,
            &[
                df_ack(&accepted, df_status::ACCEPTED),
                df_ack(&rejected, df_status::OUT_OF_STOCK),
            ],
        )
        .await;
        let id = submitted.as_ref().ok().cloned();
        heard.push(AmazonAnswer::DfSubmit(submitted));
        if let Some(id) = &id {
            heard.push(AmazonAnswer::DfTransaction(
                id.clone(),
                DirectFulfillmentOrdersApi::transaction_status(vc, id).await,
            ));
        }
        clock.advance(Duration::from_secs(120));
        if let Some(id) = id {
            heard.push(AmazonAnswer::DfTransaction(
                id.clone(),
                DirectFulfillmentOrdersApi::transaction_status(vc, &id).await,
            ));
        }
        heard.push(AmazonAnswer::DfOrder(
            DirectFulfillmentOrdersApi::order(vc, &number("6MN5U1XE")).await,
        ));
        let submitted = DirectFulfillmentOrdersApi::submit_acknowledgements(
            vc,
            &[df_ack(&accepted, df_status::ACCEPTED)],
        )
        .await;
        let id = submitted.as_ref().ok().cloned();
        heard.push(AmazonAnswer::DfSubmit(submitted));
        clock.advance(Duration::from_secs(120));
        if let Some(id) = id {
            heard.push(AmazonAnswer::DfTransaction(
                id.clone(),
                DirectFulfillmentOrdersApi::transaction_status(vc, &id).await,
            ));
        }
        heard.push(AmazonAnswer::DfSubmit(
            vc.submit_df_acknowledgement_body(&json!({"orderAcknowledgements": "none"}))
                .await,
        ));
        vc.cancel_df_order("5KL4T0WD").expect("cancelled");
        heard.push(AmazonAnswer::DfPage(
            DirectFulfillmentOrdersApi::orders(vc, &window(WindowKind::Cancelled)).await,
        ));

        // The rate limit and a scripted failure.
        vc.set_rate_limits_enabled(true);
        for _ in 0..11 {
            heard.push(AmazonAnswer::RetailOrder(
                RetailOrdersApi::purchase_order(vc, &number("2JK3S9VC")).await,
            ));
        }
        vc.fail_next(AmazonOperation::GetTransactionStatus, 1);
        heard.push(AmazonAnswer::DfTransaction(
            unknown.clone(),
            DirectFulfillmentOrdersApi::transaction_status(vc, &unknown).await,
        ));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn simulator_conformance_of_every_kind_of_answer() {
        let models = required_models();
        let clock = ManualClock::new(t("2025-03-10T12:00:00Z"));
        let vc = VendorCentral::new(clock.clone());
        vc.set_rate_limits_enabled(false);
        let mut heard = Vec::new();
        calls(&vc, &clock, &mut heard).await;
        let mut tally = Tally::default();
        for answer in &heard {
            tally.hear(models, 0, answer);
        }
        let kinds: Vec<String> = tally
            .kinds
            .keys()
            .map(|(m, o, s)| format!("{m} {o} {s}"))
            .collect();
        println!(
            "checked {} answers of every kind against Amazon's models: {} violations",
            tally.responses, tally.violations
        );
        for kind in &kinds {
            println!("  {kind}");
        }
        // Every refusal status the simulator gives is among them.
        for status in [400, 404, 429, 503] {
            assert!(
                tally.kinds.keys().any(|(_, _, s)| *s == status),
                "no answer with status {status}: {kinds:?}"
            );
        }
        assert!(tally.spoilt_caught.values().all(|caught| *caught));
        assert_eq!(
            tally.violations,
            0,
            "simulator answers that Amazon's models refuse:\n{}",
            tally.first.join("\n")
        );
    }
}
