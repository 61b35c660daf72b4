//! Alerts as webhook bodies: an [`Observer`] that turns each notice the engine raises
//! into the JSON body of a webhook call, run over the built-in simulators.
//!
//! Three retail orders wait for a reviewer. One is approved, and Amazon lowers its
//! cost while the acknowledgement is on its way, so Amazon rejects it; one is never
//! approved and waits longer than `policies.approvalOverdueMinutes`; one is held by an
//! operator. Cycles run on a simulated clock for thirteen hours; each body is printed
//! as it would be posted. Each notice comes once per cause, however many cycles pass.
//!
//! The body:
//!
//! ```json
//! {
//!   "order": { "program": "RetailProcurement", "purchaseOrderNumber": "4Z32PABC" },
//!   "kind": "rejected",
//!   "reason": "Amazon rejected acknowledgement v1: …; fix the sales order in NetSuite and repost",
//!   "raisedAt": "2026-11-27T08:10:00Z",
//!   "times": { "deadline": "…", "waitingSince": "…" }
//! }
//! ```
//!
//! - `order`: the order's key, the program and Amazon's PO number;
//! - `kind`: [`Notice::slug`], stable, for routing (`deadline-approaching`,
//!   `deadline-missed`, `rejected`, `approval-overdue`, `retries-exhausted`,
//!   `credentials-refused`, `unreadable`, `mapping-problem`, `compliance-hold`,
//!   `held`, `change-to-review`, `update-window-closing`, `down-confirm-cutoff`,
//!   `backorder-date-due`, `drift`, `found-late`);
//! - `reason`: the notice's `Display`, a line saying what to do;
//! - `raisedAt`: when the engine raised it, by the engine's clock;
//! - `times`: the instants the notice names, when it names any (`deadline` for the
//!   deadline notices, `waitingSince` for an approval overdue), RFC 3339 in UTC.
//!
//! No body carries personal data: notices hold no ship-to name, address or phone, and
//! no credentials.
//!
//! Run it with `cargo run --example webhook_alerts`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use avc_order_sync::lifecycle::Notice;
use avc_order_sync::testing::orders::{self, RetailLine, RetailOrderBuilder};
use avc_order_sync::testing::{World, catalogue_settings};
use avc_order_sync::{Clock, Observer, OperatorAction, OrderKey, Program, PurchaseOrderNumber};
use chrono::TimeDelta;
use serde_json::{Value, json};

type Error = Box<dyn std::error::Error>;

/// Turns each notice into a webhook body. A real one would post it (and, since a
/// crash between saving an order and this call loses the notice rather than
/// repeating it, a real one that must miss none also reads the store's orders that
/// need a person); this one prints it and keeps it.
struct WebhookAlerts {
    clock: Arc<dyn Clock>,
    bodies: Mutex<Vec<Value>>,
}

impl WebhookAlerts {
    /// The body for `notice` about the order `key`.
    fn body(&self, key: &OrderKey, notice: &Notice) -> Value {
        let mut times = serde_json::Map::new();
        match notice {
            Notice::DeadlineApproaching { deadline } | Notice::DeadlineMissed { deadline } => {
                times.insert("deadline".into(), json!(deadline));
            }
            Notice::ApprovalOverdue { waiting_since, .. } => {
                times.insert("waitingSince".into(), json!(waiting_since));
            }
            _ => {}
        }
        json!({
            "order": {
                "program": key.program,
                "purchaseOrderNumber": key.number.to_string(),
            },
            "kind": notice.slug(),
            "reason": notice.to_string(),
            "raisedAt": self.clock.now(),
            "times": times,
        })
    }
}

impl Observer for WebhookAlerts {
    fn notice(&self, key: &OrderKey, notice: &Notice) {
        let body = self.body(key, notice);
        match serde_json::to_string_pretty(&body) {
            Ok(text) => println!("POST /alerts\n{text}"),
            Err(e) => eprintln!("alert for {key} not written: {e}"),
        }
        if let Ok(mut bodies) = self.bodies.lock() {
            bodies.push(body);
        }
    }
}

fn key(number: &str) -> Result<OrderKey, Error> {
    Ok(OrderKey {
        program: Program::RetailProcurement,
        number: PurchaseOrderNumber::new(number)?,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // Retail orders wait for a reviewer.
    let mut world = World::new(catalogue_settings(false, false));
    let alerts = Arc::new(WebhookAlerts {
        clock: Arc::new(world.clock.clone()),
        bodies: Mutex::new(Vec::new()),
    });
    world.engine = world.another_engine().with_observer(alerts.clone());

    let placed = world.now() - TimeDelta::minutes(20);
    let rejected = orders::purchase_order_number(11);
    let waiting = orders::purchase_order_number(12);
    let held = orders::purchase_order_number(13);
    // A kettle at 18.40 each.
    world.amazon.add_retail_order(
        RetailOrderBuilder::new(&rejected, placed)
            .line(RetailLine::product(&orders::PRODUCTS[0], 2))
            .build(),
    )?;
    world
        .amazon
        .add_retail_order(orders::retail_order(&waiting, placed, 2))?;
    world
        .amazon
        .add_retail_order(orders::retail_order(&held, placed, 1))?;
    world.run_cycle().await?;

    // The reviewer approves one; an operator holds another.
    let external = |number: &str| -> Result<_, Error> {
        Ok(avc_order_sync::external_id(
            Program::RetailProcurement,
            &PurchaseOrderNumber::new(number)?,
        ))
    };
    world.netsuite.approve(&external(&rejected)?)?;
    world
        .act(
            &key(&held)?,
            OperatorAction::Hold {
                reason: "the buyer asked to wait for a price list".into(),
            },
        )
        .await?;

    let end = world.now() + TimeDelta::hours(13);
    let mut lowered = false;
    while world.now() < end {
        let report = world.run_cycle().await?;
        // Once the acknowledgement is on its way, Amazon lowers the kettle's cost:
        // the acknowledgement's cost is above the PO's, and Amazon rejects it.
        if !lowered && world.amazon.acknowledgement_count(&rejected) == 1 {
            world.amazon.set_retail_net_cost(&rejected, "1", "17.90")?;
            lowered = true;
        }
        let wait = report
            .next_wakeup
            .map_or(Duration::from_secs(1800), |at| {
                (at - world.now()).to_std().unwrap_or_default()
            })
            .clamp(Duration::from_secs(60), Duration::from_secs(1800));
        world.advance(wait);
    }

    let bodies = alerts.bodies.lock().map_err(|_| "alerts poisoned")?;
    let kinds: Vec<String> = bodies
        .iter()
        .map(|b| {
            format!(
                "{} {}",
                b["order"]["purchaseOrderNumber"].as_str().unwrap_or("?"),
                b["kind"].as_str().unwrap_or("?")
            )
        })
        .collect();
    println!("\n{} alerts: {}", bodies.len(), kinds.join(", "));
    Ok(())
}
