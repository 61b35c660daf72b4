//! Two purchase orders in the domain types, the settings that map them, and the sales
//! order NetSuite reads back once one is created: the starting point of tests that
//! drive an [`OrderRecord`](crate::lifecycle::OrderRecord) by hand, without the
//! simulators.
//!
//! [`retail_po`] and [`df_po`] were placed at [`t(0)`](t), 2025-03-01 08:00 UTC; their
//! items are mapped by [`settings`]. [`sales_order_snapshot`] is what NetSuite answers
//! for the sales order created from a draft.
//!
//! # Example
//! ```
//! use avc_order_sync::lifecycle::OrderRecord;
//! use avc_order_sync::testing::fixtures::{retail_po, settings, t};
//!
//! let (record, commands) = OrderRecord::receive(retail_po(), t(1), &settings());
//! assert_eq!(record.purchase_order().number.to_string(), "4Z32PABC");
//! assert!(!commands.is_empty());
//! ```

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use crate::ids::{Asin, InternalId, ItemSequenceNumber, PartyId, PurchaseOrderNumber, VendorSku};
#[cfg(test)]
use crate::mapping::sales_order_draft;
use crate::money::Money;
use crate::order::{
    Address, AmazonOrderState, DateWindow, DirectFulfillmentDetails, OrderLine, Party, Price,
    PriceBasis, Program, ProgramDetails, PurchaseOrder, Quantity, QuantityUnit, RetailDetails,
};
#[cfg(test)]
use crate::sales_order::SalesOrderStatus;
use crate::sales_order::{
    NetSuiteStatus, SalesOrderDraft, SalesOrderLineSnapshot, SalesOrderSnapshot,
};
use crate::settings::Settings;

/// Runs a future that never waits on anything outside itself (the memory store's,
/// the interceptor's) to its end, without a runtime.
#[cfg(test)]
pub(crate) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = Box::pin(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

/// The instant `hours` after the fixture orders were placed, 2025-03-01 08:00 UTC.
pub fn t(hours: u32) -> DateTime<Utc> {
    let placed = Utc
        .with_ymd_and_hms(2025, 3, 1, 8, 0, 0)
        .single()
        .unwrap_or_default();
    placed
        .checked_add_signed(TimeDelta::hours(i64::from(hours)))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Settings that map the fixture orders: a customer per program (with location 3 for
/// Retail), US dollars, SKU-1 and SKU-2 by vendor SKU, BEANS by vendor SKU with a weight
/// per each, and ASIN B000000003. Auto acknowledgement is off and every policy is the
/// default.
pub fn settings() -> Settings {
    Settings::from_json(
        r#"{
          "customers": {
            "retailProcurement": { "customer": "1234", "location": "3" },
            "directFulfillment": { "customer": "1250" }
          },
          "currencies": { "USD": "1" },
          "items": {
            "byVendorSku": {
              "SKU-1": { "item": "98" },
              "SKU-2": { "item": "99" },
              "BEANS": { "item": "120", "weightPerEach": { "pounds": "2.5" } }
            },
            "byAsin": { "B000000003": { "item": "100" } }
          }
        }"#,
    )
    .unwrap()
}

pub(crate) fn usd(amount: &str) -> Price {
    Price {
        money: Money::new(amount.parse().unwrap(), "USD".parse().unwrap()),
        basis: PriceBasis::Each,
    }
}

pub(crate) fn line(seq: &str, sku: &str, ordered: Quantity, cost: &str) -> OrderLine {
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

pub(crate) fn cases(amount: u64, unit_size: u64) -> Quantity {
    Quantity {
        amount,
        unit: QuantityUnit::Cases,
        unit_size,
    }
}

/// Retail PO 4Z32PABC from vendor ABCDE to fulfilment centre ABE8, to ship 9 to 15 days
/// after it was placed: line 1, 3 cases of 12 SKU-1 at 9.50 each; line 2, 10 eaches of
/// SKU-2 (ASIN B000000002) at 4.00, back orders allowed.
pub fn retail_po() -> PurchaseOrder {
    let mut second = line("2", "SKU-2", Quantity::eaches_of(10), "4.00");
    second.back_order_allowed = true;
    second.asin = Some(Asin::new("B000000002").unwrap());
    PurchaseOrder {
        program: Program::RetailProcurement,
        number: PurchaseOrderNumber::new("4Z32PABC").unwrap(),
        state: AmazonOrderState::New,
        ordered_at: t(0),
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
            start: t(0) + chrono::TimeDelta::days(9),
            end: t(0) + chrono::TimeDelta::days(15),
        }),
        delivery_window: None,
        details: ProgramDetails::Retail(RetailDetails {
            order_type: Some("RegularOrder".into()),
            payment_method: None,
            deal_code: None,
            is_import: false,
        }),
        lines: vec![line("1", "SKU-1", cases(3, 12), "9.50"), second],
    }
}

/// Direct Fulfillment order DF0001 from warehouse WH01, shipped to a consumer (Jane
/// Consumer, with an address, a phone number and a gift message: personal data) two
/// days after it was placed: 1 each of SKU-1 at 20.00 and 2 eaches of SKU-2 at 5.00.
pub fn df_po() -> PurchaseOrder {
    PurchaseOrder {
        program: Program::DirectFulfillment,
        number: PurchaseOrderNumber::new("DF0001").unwrap(),
        state: AmazonOrderState::New,
        ordered_at: t(0),
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
            required_ship_date: t(0) + chrono::TimeDelta::days(2),
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

/// The sales order created from `po` with [`settings`], read back with `status`.
#[cfg(test)]
pub(crate) fn snapshot(po: &PurchaseOrder, status: NetSuiteStatus) -> SalesOrderSnapshot {
    let mapped = sales_order_draft(po, &settings(), SalesOrderStatus::PendingApproval).unwrap();
    sales_order_snapshot(&mapped.draft, status)
}

/// The sales order NetSuite holds once `draft` is created, read back with `status`:
/// internal id 5001, transaction id SO1001, one open line per draft line numbered from
/// 1, as the reviewer found them. Edit its lines to play the reviewer.
pub fn sales_order_snapshot(draft: &SalesOrderDraft, status: NetSuiteStatus) -> SalesOrderSnapshot {
    SalesOrderSnapshot {
        internal_id: InternalId::new("5001").unwrap(),
        external_id: draft.external_id.clone(),
        tran_id: Some("SO1001".into()),
        status,
        last_modified: None,
        ship_date: draft.ship_date,
        lines: draft
            .lines
            .iter()
            .zip(1..)
            .map(|(l, line)| SalesOrderLineSnapshot {
                line,
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
