//! The example settings file, as an integrator ships it, driving real orders.

use avc_order_sync::lifecycle::{Command, StateKind};
use avc_order_sync::{SalesOrderStatus, Settings, VendorSku};

use crate::it::support::lifecycle::*;

const EXAMPLE: &str = include_str!("../../../examples/settings.json");

#[test]
fn the_example_settings_file_loads_and_drives_both_programs() {
    let settings = Settings::from_json(EXAMPLE).unwrap();

    // Retail is manual there: the order is created for review, for vendor code ABCDE's
    // own customer and location, with the program's subsidiary and form.
    let mut po = retail_po();
    po.lines[0].vendor_sku = Some(VendorSku::new("ABC123").unwrap());
    po.lines[1].vendor_sku = Some(VendorSku::new("9780321127426").unwrap());
    let story = Story::receive(po, settings.clone());
    let Command::CreateSalesOrder { draft, .. } = story.command() else {
        panic!("expected CreateSalesOrder, got {:?}", story.commands);
    };
    assert_eq!(draft.status, SalesOrderStatus::PendingApproval);
    assert_eq!(draft.customer.as_str(), "1240");
    assert_eq!(draft.location.as_ref().map(|l| l.as_str()), Some("4"));
    assert_eq!(draft.subsidiary.as_ref().map(|l| l.as_str()), Some("1"));
    assert_eq!(draft.custom_form.as_ref().map(|l| l.as_str()), Some("68"));
    assert_eq!(
        draft
            .lines
            .iter()
            .map(|l| l.item.as_str())
            .collect::<Vec<_>>(),
        ["101", "98"]
    );

    // Direct Fulfillment is acknowledged automatically there.
    let mut po = df_po();
    po.lines[0].vendor_sku = Some(VendorSku::new("ABC123").unwrap());
    po.lines[1].vendor_sku = Some(VendorSku::new("9780321127426").unwrap());
    let story = Story::receive(po, settings);
    assert_eq!(story.state(), StateKind::ExpectAcknowledgementSubmitted);
    assert_eq!(df(&story.submitted().1).status_code, "00");
}
