//! The order record's stored JSON form: a compatibility promise, held to a fixture.

use avc_order_sync::NetSuiteStatus;
use avc_order_sync::lifecycle::{Event, OrderRecord};
use avc_order_sync::testing::json;
use serde_json::Value;

use crate::it::support::lifecycle::*;

/// A manual retail order created in NetSuite, waiting for approval, as schema version 1
/// stores it. Without `purchase_orders` it is the form stored before the purchase
/// order's versions were kept.
const WAITING_FOR_APPROVAL_V1: &str = r#"{
  "schema_version": 1,
  "external_id": "AVC-RP-4Z32PABC",
  "purchase_order": {
    "program": "RetailProcurement",
    "number": "4Z32PABC",
    "state": "New",
    "ordered_at": "2025-03-01T08:00:00Z",
    "changed_at": null,
    "state_changed_at": null,
    "selling_party": "ABCDE",
    "buying_party": null,
    "ship_to": {
      "id": "ABE8",
      "address": null
    },
    "ship_from": null,
    "bill_to": null,
    "ship_window": {
      "start": "2025-03-10T08:00:00Z",
      "end": "2025-03-16T08:00:00Z"
    },
    "delivery_window": null,
    "details": {
      "Retail": {
        "order_type": "RegularOrder",
        "payment_method": null,
        "deal_code": null,
        "is_import": false
      }
    },
    "lines": [
      {
        "sequence": "1",
        "asin": null,
        "vendor_sku": "SKU-1",
        "title": null,
        "ordered": {
          "amount": 3,
          "unit": "Cases",
          "unit_size": 12
        },
        "net_cost": {
          "money": {
            "amount": "9.50",
            "currency": "USD"
          },
          "basis": "Each"
        },
        "list_price": null,
        "back_order_allowed": false
      },
      {
        "sequence": "2",
        "asin": "B000000002",
        "vendor_sku": "SKU-2",
        "title": null,
        "ordered": {
          "amount": 10,
          "unit": "Eaches",
          "unit_size": 1
        },
        "net_cost": {
          "money": {
            "amount": "4.00",
            "currency": "USD"
          },
          "basis": "Each"
        },
        "list_price": null,
        "back_order_allowed": true
      }
    ]
  },
  "state": {
    "kind": "ExpectApproval",
    "problems": []
  },
  "internal_id": "5001",
  "acknowledgement_version": null,
  "confirmed": null,
  "approval": null,
  "acknowledgement_deadline": "2025-03-02T08:00:00Z",
  "deadline_notices": {
    "warned": false,
    "missed": false
  },
  "attempt": null,
  "sales_order": {
    "external_id": "AVC-RP-4Z32PABC",
    "customer": "1234",
    "subsidiary": "1",
    "location": "3",
    "custom_form": null,
    "currency": "1",
    "tran_date": "2025-03-01",
    "ship_date": "2025-03-10",
    "other_ref_num": "4Z32PABC",
    "memo": "Amazon Vendor Central RP PO 4Z32PABC",
    "status": "PendingApproval",
    "shipping_address": null,
    "lines": [
      {
        "item": "98",
        "quantity": 36,
        "rate": "9.50",
        "sequence": "1",
        "description": null,
        "is_closed": false,
        "custom_fields": {}
      },
      {
        "item": "99",
        "quantity": 10,
        "rate": "4.00",
        "sequence": "2",
        "description": null,
        "is_closed": false,
        "custom_fields": {}
      }
    ],
    "custom_fields": {}
  },
  "sales_order_revision": 0,
  "change_pending": false,
  "history": [
    {
      "at": "2025-03-01T08:01:00Z",
      "event": "PurchaseOrderReceived",
      "from": null,
      "to": "ExpectSalesOrderCreated"
    },
    {
      "at": "2025-03-01T08:01:00Z",
      "event": "SalesOrderCreated",
      "from": "ExpectSalesOrderCreated",
      "to": "ExpectApproval"
    }
  ],
  "purchase_orders": [
    {
      "receivedAt": "2025-03-01T08:01:00Z",
      "amazonState": "New",
      "orderedAt": "2025-03-01T08:00:00Z",
      "shipWindow": {
        "start": "2025-03-10T08:00:00Z",
        "end": "2025-03-16T08:00:00Z"
      },
      "lines": [
        {
          "sequence": "1",
          "vendorSku": "SKU-1",
          "ordered": 3,
          "unit": "Cases",
          "unitSize": 12,
          "netCost": {
            "money": {
              "amount": "9.50",
              "currency": "USD"
            },
            "basis": "Each"
          }
        },
        {
          "sequence": "2",
          "asin": "B000000002",
          "vendorSku": "SKU-2",
          "ordered": 10,
          "unit": "Eaches",
          "unitSize": 1,
          "netCost": {
            "money": {
              "amount": "4.00",
              "currency": "USD"
            },
            "basis": "Each"
          }
        }
      ]
    }
  ]
}"#;

fn waiting_for_approval() -> Story {
    let mut story = Story::receive(retail_po(), settings(false, false));
    story.then(Event::SalesOrderCreated {
        internal_id: so_id(),
    });
    story
}

#[test]
fn the_record_is_stored_in_its_versioned_json_form() {
    let story = waiting_for_approval();
    let written = serde_json::to_value(&story.record).unwrap();
    let fixture: Value = serde_json::from_str(WAITING_FOR_APPROVAL_V1).unwrap();
    if let Some(difference) = json::first_difference(&fixture, &written) {
        panic!("the stored form changed at {difference}");
    }
    let read: OrderRecord = serde_json::from_str(WAITING_FOR_APPROVAL_V1).unwrap();
    assert_eq!(read, story.record);
}

#[test]
fn a_record_stored_before_the_purchase_order_log_loads_and_goes_on() {
    let mut value: Value = serde_json::from_str(WAITING_FOR_APPROVAL_V1).unwrap();
    value.as_object_mut().unwrap().remove("purchase_orders");
    let old: OrderRecord = serde_json::from_value(value).unwrap();
    assert!(old.purchase_order_log().is_empty());
    let story = waiting_for_approval();
    assert_eq!(old.state(), story.record.state());
    assert_eq!(old.purchase_order(), story.record.purchase_order());
    assert_eq!(old.history(), story.record.history());

    let mut story = story;
    story.record = old;
    let approved = snapshot_of(&story.record, NetSuiteStatus::PendingFulfillment);
    story.then(read(approved));
    assert_eq!(story.submitted().0, v(1));
    // Nothing Amazon sent changed, so nothing is logged.
    assert!(story.record.purchase_order_log().is_empty());
}

#[test]
fn a_record_from_an_unknown_schema_version_is_refused() {
    let mut value: Value = serde_json::from_str(WAITING_FOR_APPROVAL_V1).unwrap();
    value["schema_version"] = Value::from(2);
    let err = serde_json::from_value::<OrderRecord>(value).unwrap_err();
    assert!(
        err.to_string()
            .contains("order record `schema_version` 2 is not one this version reads (1)"),
        "{err}"
    );
}

#[test]
fn a_stored_record_picks_up_where_it_left_off() {
    let record: OrderRecord = serde_json::from_str(WAITING_FOR_APPROVAL_V1).unwrap();
    let mut story = waiting_for_approval();
    story.record = record;
    let approved = snapshot_of(&story.record, NetSuiteStatus::PendingFulfillment);
    story.then(read(approved));
    assert_eq!(story.submitted().0, v(1));
}

#[test]
fn debug_and_errors_never_show_the_consumer() {
    // A Direct Fulfillment order carries the consumer's name, address and phone, and
    // the record keeps them: the checks below would pass on a record without them.
    const SECRETS: [&str; 4] = ["Jane", "Private Lane", "555-0100", "Happy birthday"];
    let mut story = Story::receive(df_po(), settings(false, false));
    let stored = serde_json::to_string(&story.record).unwrap();
    for secret in SECRETS {
        assert!(
            stored.contains(secret),
            "the record does not carry {secret}"
        );
    }
    let mut shown = format!("{:?} {:?}", story.record, story.commands);
    story.then(Event::SalesOrderCreated {
        internal_id: so_id(),
    });
    let err = story.refused(Event::RepostRequested);
    shown.push_str(&format!(
        "{:?} {:?} {err} {err:?}",
        story.record,
        story.record.state()
    ));
    for secret in SECRETS {
        assert!(!shown.contains(secret), "{secret} shown in {shown}");
    }
}

#[test]
fn the_record_gives_the_reason_a_person_needs_and_none_for_an_order_on_its_way() {
    let mut story = Story::receive(retail_po(), settings(false, false));
    assert_eq!(story.record.reason(), None, "{:?}", story.state());
    story.then(Event::HoldRequested {
        reason: "customer on credit hold".into(),
    });
    assert_eq!(
        story.record.reason().as_deref(),
        Some("customer on credit hold")
    );
    story.then(Event::ReleaseRequested);
    assert_eq!(story.record.reason(), None, "{:?}", story.state());

    // With nothing mapped, the order waits for a person, who is told what is missing.
    let unmapped = Story::receive(retail_po(), avc_order_sync::Settings::default());
    let reason = unmapped
        .record
        .reason()
        .unwrap_or_else(|| panic!("an unmapped order says why: {:?}", unmapped.state()));
    assert!(
        reason.contains("customer") || reason.contains("item"),
        "{reason}"
    );
}

#[test]
fn an_order_awaits_approval_in_pending_approval_and_under_a_hold_but_not_before_its_create() {
    let mut story = Story::receive(retail_po(), settings(false, false));
    assert!(
        !story.record.state().awaits_approval(),
        "{:?}",
        story.state()
    );
    story.then(Event::SalesOrderCreated {
        internal_id: so_id(),
    });
    assert_eq!(story.state(), avc_order_sync::StateKind::ExpectApproval);
    assert!(story.record.state().awaits_approval());
    story.then(Event::HoldRequested {
        reason: "check".into(),
    });
    assert_eq!(story.state(), avc_order_sync::StateKind::Held);
    assert!(story.record.state().awaits_approval());

    let automatic = Story::receive(df_po(), settings(false, true));
    assert!(!automatic.record.state().awaits_approval());
}
