//! Orders, settings and a small driver for the lifecycle stories.

use avc_order_sync::lifecycle::{Command, Event, OrderRecord, StateKind, TransitionError};
use avc_order_sync::{
    Acknowledgement, AcknowledgementVersion, DirectFulfillmentAcknowledgement,
    RetailAcknowledgement,
};
use avc_order_sync::{
    Address, AmazonOrderState, Asin, DateWindow, DirectFulfillmentDetails, InternalId,
    ItemSequenceNumber, Money, NetSuiteStatus, OrderLine, Party, PartyId, Price, PriceBasis,
    Program, ProgramDetails, PurchaseOrder, PurchaseOrderNumber, Quantity, QuantityUnit,
    RetailDetails, SalesOrderLineSnapshot, SalesOrderSnapshot, Settings, TransactionId, VendorSku,
};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};

/// 2025-03-01 08:00 UTC: when Amazon placed the orders below.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap()
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

fn usd(amount: &str) -> Price {
    Price {
        money: Money::new(amount.parse().unwrap(), "USD".parse().unwrap()),
        basis: PriceBasis::Each,
    }
}

fn line(seq: &str, sku: &str, ordered: Quantity, cost: &str) -> OrderLine {
    OrderLine {
        sequence: ItemSequenceNumber::new(seq).unwrap(),
        asin: None,
        vendor_sku: Some(VendorSku::new(sku).unwrap()),
        title: None,
        ordered,
        net_cost: usd(cost),
        list_price: None,
        back_order_allowed: false,
    }
}

/// Retail PO 4Z32PABC: line 1 is 3 cases of 12 SKU-1 at 9.50 each; line 2 is 10
/// eaches of SKU-2 at 4.00, back orders allowed.
pub fn retail_po() -> PurchaseOrder {
    let mut second = line("2", "SKU-2", Quantity::eaches_of(10), "4.00");
    second.back_order_allowed = true;
    second.asin = Some(Asin::new("B000000002").unwrap());
    PurchaseOrder {
        program: Program::RetailProcurement,
        number: PurchaseOrderNumber::new("4Z32PABC").unwrap(),
        state: AmazonOrderState::New,
        ordered_at: t0(),
        changed_at: None,
        state_changed_at: None,
        selling_party: PartyId::new("ABCDE").unwrap(),
        buying_party: None,
        ship_to: Some(Party {
            id: Some(PartyId::new("ABE8").unwrap()),
            address: None,
        }),
        ship_from: None,
        bill_to: None,
        ship_window: Some(DateWindow {
            start: t0() + TimeDelta::days(9),
            end: t0() + TimeDelta::days(15),
        }),
        delivery_window: None,
        details: ProgramDetails::Retail(RetailDetails {
            order_type: Some("RegularOrder".into()),
            payment_method: None,
            deal_code: None,
            is_import: false,
        }),
        lines: vec![
            line(
                "1",
                "SKU-1",
                Quantity {
                    amount: 3,
                    unit: QuantityUnit::Cases,
                    unit_size: 12,
                },
                "9.50",
            ),
            second,
        ],
    }
}

/// Direct Fulfillment order DF0001 for a consumer: 1 of SKU-1 and 2 of SKU-2.
pub fn df_po() -> PurchaseOrder {
    PurchaseOrder {
        program: Program::DirectFulfillment,
        number: PurchaseOrderNumber::new("DF0001").unwrap(),
        state: AmazonOrderState::New,
        ordered_at: t0(),
        changed_at: None,
        state_changed_at: None,
        selling_party: PartyId::new("ABCDE").unwrap(),
        buying_party: None,
        ship_to: Some(Party {
            id: None,
            address: Some(Address {
                name: "Jane Consumer".into(),
                address_line1: "17 Private Lane".into(),
                city: Some("Springfield".into()),
                phone: Some("555-0100".into()),
                country_code: "US".into(),
                ..Address::default()
            }),
        }),
        ship_from: Some(Party {
            id: Some(PartyId::new("WH01").unwrap()),
            address: None,
        }),
        bill_to: None,
        ship_window: None,
        delivery_window: None,
        details: ProgramDetails::DirectFulfillment(DirectFulfillmentDetails {
            customer_order_number: "111-222".into(),
            ship_method: "UPS_2ND".into(),
            required_ship_date: t0() + TimeDelta::days(2),
            promised_delivery_date: None,
            is_priority: false,
            is_gift: false,
            is_pslip_required: false,
            message_to_customer: Some("Happy birthday, Jane".into()),
        }),
        lines: vec![
            line("1", "SKU-1", Quantity::eaches_of(1), "20.00"),
            line("2", "SKU-2", Quantity::eaches_of(2), "5.00"),
        ],
    }
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
    SalesOrderSnapshot {
        internal_id: so_id(),
        external_id: draft.external_id.clone(),
        tran_id: Some("SO1001".into()),
        status,
        last_modified: None,
        ship_date: draft.ship_date,
        lines: draft
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| SalesOrderLineSnapshot {
                line: u64::try_from(i + 1).unwrap(),
                sequence: Some(l.sequence.clone()),
                item: l.item.clone(),
                quantity: l.quantity,
                rate: l.rate,
                is_closed: false,
                expected_ship_date: None,
            })
            .collect(),
    }
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
        let number = self.record.purchase_order().number.to_string();
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
