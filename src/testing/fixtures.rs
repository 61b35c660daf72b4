//! Orders, settings and snapshots for the unit and property tests.

use chrono::{DateTime, TimeZone, Utc};

use crate::ids::{Asin, InternalId, ItemSequenceNumber, PartyId, PurchaseOrderNumber, VendorSku};
use crate::mapping::sales_order_draft;
use crate::money::Money;
use crate::order::{
    Address, AmazonOrderState, DateWindow, DirectFulfillmentDetails, OrderLine, Party, Price,
    PriceBasis, Program, ProgramDetails, PurchaseOrder, Quantity, QuantityUnit, RetailDetails,
};
use crate::sales_order::{
    NetSuiteStatus, SalesOrderLineSnapshot, SalesOrderSnapshot, SalesOrderStatus,
};
use crate::settings::Settings;

pub(crate) fn t(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, hour, 0, 0)
        .single()
        .unwrap_or_default()
}

pub(crate) fn settings() -> Settings {
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

/// Retail PO 4Z32PABC: line 1, 3 cases of 12 SKU-1 at 9.50; line 2, 10 eaches of
/// SKU-2 at 4.00 (back orders allowed).
pub(crate) fn retail_po() -> PurchaseOrder {
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

/// Direct Fulfillment order DF0001 shipped to a consumer: two lines of SKU-1 and
/// SKU-2, 1 and 2 eaches.
pub(crate) fn df_po() -> PurchaseOrder {
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
            message_to_customer: None,
        }),
        lines: vec![
            line("1", "SKU-1", Quantity::eaches_of(1), "20.00"),
            line("2", "SKU-2", Quantity::eaches_of(2), "5.00"),
        ],
    }
}

/// The sales order as created from `po`, read back with `status`.
pub(crate) fn snapshot(po: &PurchaseOrder, status: NetSuiteStatus) -> SalesOrderSnapshot {
    let mapped = sales_order_draft(po, &settings(), SalesOrderStatus::PendingApproval).unwrap();
    SalesOrderSnapshot {
        internal_id: InternalId::new("5001").unwrap(),
        external_id: mapped.draft.external_id.clone(),
        tran_id: Some("SO1001".into()),
        status,
        last_modified: None,
        ship_date: mapped.draft.ship_date,
        lines: mapped
            .draft
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
