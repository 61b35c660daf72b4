//! Settings and a small driver for the lifecycle stories, over the orders in
//! `avc_order_sync::testing::fixtures`.

use avc_order_sync::lifecycle::{Command, Event, OrderRecord, StateKind, TransitionError};
use avc_order_sync::testing::fixtures;
pub use avc_order_sync::testing::fixtures::{df_po, retail_po};
use avc_order_sync::{
    Acknowledgement, AcknowledgementVersion, DirectFulfillmentAcknowledgement,
    RetailAcknowledgement,
};
use avc_order_sync::{
    InternalId, NetSuiteStatus, PurchaseOrder, SalesOrderSnapshot, Settings, TransactionId,
};
use chrono::{DateTime, TimeDelta, Utc};

/// 2025-03-01 08:00 UTC: when Amazon placed [`retail_po`] and [`df_po`].
pub fn t0() -> DateTime<Utc> {
    fixtures::t(0)
}

/// Settings as an integrator would write them, with auto acknowledgement as asked.
pub fn settings(auto_retail: bool, auto_df: bool) -> Settings {
    let mut s = Settings::from_json(
        r#"{
          "customers": {
            "retailProcurement": { "customer": "1234", "subsidiary": "1", "location": "3" },
            "directFulfillment": { "customer": "1250", "subsidiary": "1" }
          },
          "currencies": { "USD": "1" },
          "items": {
            "byVendorSku": { "SKU-1": { "item": "98" }, "SKU-2": { "item": "99" } }
          },
          "policies": { "changedAfterAcknowledgement": "updateSalesOrder" }
        }"#,
    )
    .unwrap();
    s.auto_acknowledge.retail_procurement = auto_retail;
    s.auto_acknowledge.direct_fulfillment = auto_df;
    s
}

pub fn v(n: u32) -> AcknowledgementVersion {
    AcknowledgementVersion(n)
}

pub fn txn(id: &str) -> TransactionId {
    TransactionId::new(id).unwrap()
}

pub fn so_id() -> InternalId {
    InternalId::new("5001").unwrap()
}

/// The sales order NetSuite holds for `record`, as created from its draft, read back
/// with `status`. Edit its lines to play the reviewer.
pub fn snapshot_of(record: &OrderRecord, status: NetSuiteStatus) -> SalesOrderSnapshot {
    let draft = record.sales_order().expect("the sales order was created");
    fixtures::sales_order_snapshot(draft, status)
}

pub fn read(snapshot: SalesOrderSnapshot) -> Event {
    Event::SalesOrderRead {
        snapshot: Box::new(snapshot),
    }
}

pub fn changed(po: PurchaseOrder) -> Event {
    Event::PurchaseOrderChanged {
        purchase_order: Box::new(po),
    }
}

/// An order's story: the record, the settings, a clock, and what the last step asked
/// the engine to do.
pub struct Story {
    pub record: OrderRecord,
    pub settings: Settings,
    pub now: DateTime<Utc>,
    pub commands: Vec<Command>,
}

impl Story {
    /// Amazon sends `po`, a minute after placing it.
    pub fn receive(po: PurchaseOrder, settings: Settings) -> Story {
        let now = t0() + TimeDelta::minutes(1);
        let (record, commands) = OrderRecord::receive(po, now, &settings);
        Story {
            record,
            settings,
            now,
            commands,
        }
    }

    /// Lets `minutes` pass.
    pub fn wait(&mut self, minutes: i64) -> &mut Self {
        self.now += TimeDelta::minutes(minutes);
        self
    }

    /// Something happens; it must fit the order.
    pub fn then(&mut self, event: Event) -> &mut Self {
        let (record, commands) = self
            .record
            .handle(&event, self.now, &self.settings)
            .unwrap_or_else(|e| panic!("{e}"));
        self.record = record;
        self.commands = commands;
        self
    }

    /// Something happens that must not fit. The record stays as it was by
    /// construction (the transition takes `&self`); what can go wrong is the error, so
    /// this checks that it names this order, the event that arrived, and the state the
    /// order is in with what that state waits for.
    pub fn refused(&mut self, event: Event) -> TransitionError {
        let err = self
            .record
            .handle(&event, self.now, &self.settings)
            .expect_err("the event should not fit");
        let number = self.record.purchase_order().number.clone();
        let state = self.state();
        match &err {
            TransitionError::InappropriateEvent {
                purchase_order_number,
                state: named,
                event: kind,
                expected,
            } => {
                assert_eq!(*purchase_order_number, number, "{err}");
                assert_eq!(*named, state, "{err}");
                assert_eq!(*kind, event.kind(), "{err}");
                assert!(!expected.contains(kind), "{err}");
            }
            TransitionError::UnexpectedCommand {
                purchase_order_number,
                state: named,
                command_key,
                expected,
            } => {
                assert_eq!(*purchase_order_number, number, "{err}");
                assert_eq!(*named, state, "{err}");
                assert_ne!(expected.as_ref(), Some(command_key), "{err}");
            }
            TransitionError::WrongPurchaseOrder {
                purchase_order_number,
                event: kind,
                ..
            }
            | TransitionError::WrongSalesOrder {
                purchase_order_number,
                event: kind,
                ..
            }
            | TransitionError::UnknownAcknowledgementVersion {
                purchase_order_number,
                event: kind,
                ..
            } => {
                assert_eq!(*purchase_order_number, number, "{err}");
                assert_eq!(*kind, event.kind(), "{err}");
            }
            TransitionError::UnknownSalesOrderRevision {
                purchase_order_number,
                ..
            } => assert_eq!(*purchase_order_number, number, "{err}"),
            other => panic!("a refusal this story does not know: {other}"),
        }
        err
    }

    pub fn state(&self) -> StateKind {
        self.record.state().kind()
    }

    /// The one command the last step asked for.
    pub fn command(&self) -> &Command {
        assert_eq!(self.commands.len(), 1, "{:#?}", self.commands);
        &self.commands[0]
    }

    /// The acknowledgement the last step asked to submit, with its version.
    pub fn submitted(&self) -> (AcknowledgementVersion, Acknowledgement) {
        match self.command() {
            Command::SubmitAcknowledgement {
                key,
                acknowledgement,
            } => {
                assert_eq!(
                    key.purchase_order_number,
                    self.record.purchase_order().number
                );
                (key.version, (**acknowledgement).clone())
            }
            other => panic!("expected SubmitAcknowledgement, got {other:?}"),
        }
    }

    /// The keys of the commands the last step asked for.
    pub fn keys(&self) -> Vec<String> {
        self.commands.iter().map(|c| c.key().to_string()).collect()
    }

    /// The events in the order's history, oldest first.
    pub fn history(&self) -> Vec<String> {
        self.record
            .history()
            .iter()
            .map(|h| h.event.to_string())
            .collect()
    }
}

pub fn retail(ack: &Acknowledgement) -> &RetailAcknowledgement {
    match ack {
        Acknowledgement::Retail(a) => a,
        other => panic!("expected a retail acknowledgement, got {other:?}"),
    }
}

pub fn df(ack: &Acknowledgement) -> &DirectFulfillmentAcknowledgement {
    match ack {
        Acknowledgement::DirectFulfillment(a) => a,
        other => panic!("expected a Direct Fulfillment acknowledgement, got {other:?}"),
    }
}
