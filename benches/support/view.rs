//! A store of many orders for the operator's queries: the filtered page the report
//! and the `view` bench measure.

use std::sync::Arc;

use avc_order_sync::lifecycle::{Event, OrderRecord};
use avc_order_sync::testing::fixtures::{df_po, retail_po, settings, t};
use avc_order_sync::testing::{ManualClock, NetSuite, VendorCentral};
use avc_order_sync::{
    Clients, Engine, InternalId, MemoryStore, OrderFilter, OrderKey, OrderStore, PageRequest,
    Program, PurchaseOrderNumber, StatusGroup,
};
use chrono::TimeDelta;

/// The page measured: retail orders waiting for approval, newest change first.
pub fn filter() -> OrderFilter {
    OrderFilter {
        program: Some(Program::RetailProcurement),
        ..OrderFilter::group(StatusGroup::WaitingForApproval)
    }
}

/// The page size measured.
pub fn first_page() -> PageRequest {
    PageRequest::first(100)
}

/// An engine over a [`MemoryStore`] of `n` orders, and the store, saved straight into the store:
/// half retail, half Direct Fulfillment, received a second apart; of each eight of a
/// program, four wait for approval (so that even the small store fills two pages),
/// two for their sales order, one is held and one cancelled.
pub fn engine_with_orders(n: usize) -> (Engine, Arc<MemoryStore>) {
    let settings = settings();
    let store = Arc::new(MemoryStore::new());
    let internal_id = InternalId::new("5001").expect("a valid id");
    for i in 0..n {
        let mut po = if i % 2 == 0 { retail_po() } else { df_po() };
        po.number = PurchaseOrderNumber::new(format!("V{i:07}")).expect("a valid number");
        let received = t(1) + TimeDelta::seconds(i as i64);
        let key = OrderKey {
            program: po.program,
            number: po.number.clone(),
        };
        let mut record = OrderRecord::receive(po, received, &settings).0;
        let event = match (i / 2) % 8 {
            0..4 => Some(Event::SalesOrderCreated {
                internal_id: internal_id.clone(),
            }),
            6 => Some(Event::HoldRequested {
                reason: "checked by hand".into(),
            }),
            7 => Some(Event::CancelRequested {
                reason: "a duplicate".into(),
            }),
            _ => None,
        };
        if let Some(event) = event {
            let later = received + TimeDelta::minutes(5);
            record = record
                .handle(&event, later, &settings)
                .expect("the fixture order takes the event")
                .0;
        }
        ready(store.save(&key, &record, None, None, None)).expect("a new order");
    }
    let clock = ManualClock::new(t(1));
    let amazon = Arc::new(VendorCentral::new(clock.clone()));
    let netsuite = Arc::new(NetSuite::new(clock.clone()));
    let engine = Engine::new(
        settings,
        Clients {
            retail: amazon.clone(),
            direct_fulfillment: amazon,
            netsuite,
        },
        store.clone(),
        Arc::new(clock),
    );
    (engine, store)
}

/// Runs a future that never waits, as every [`MemoryStore`] call and so the engine's
/// queries over one are: polled once, it is done.
pub fn ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}
