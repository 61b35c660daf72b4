//! The log of the purchase order's versions: each copy Amazon sent that differs from
//! the one before, in a compact form that holds what a dispute needs (the change
//! stamps, the windows, each line's codes, quantity and cost) and nothing personal.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{Asin, ItemSequenceNumber, VendorSku};
use crate::order::{
    AmazonOrderState, DateWindow, OrderLine, Price, ProgramDetails, PurchaseOrder, QuantityUnit,
};

use super::record::OrderRecord;

/// One version of a purchase order as Amazon sent it, without its parties: no ship-to,
/// bill-to or buyer, so no consumer's name, address or phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseOrderVersion {
    /// When the sync took this version in; `None` for the version a record stored
    /// before the log was kept held when it was first logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<DateTime<Utc>>,
    /// Amazon's state of the order in this version.
    pub amazon_state: AmazonOrderState,
    /// When Amazon placed the order (`purchaseOrderDate`, DF `orderDate`).
    pub ordered_at: DateTime<Utc>,
    /// When Amazon last changed the order (`purchaseOrderChangedDate`), if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_at: Option<DateTime<Utc>>,
    /// When its state last changed (`purchaseOrderStateChangedDate`), retail only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_changed_at: Option<DateTime<Utc>>,
    /// The pick-up window (retail, Amazon-paid freight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_window: Option<DateWindow>,
    /// The delivery window (retail, vendor-paid freight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_window: Option<DateWindow>,
    /// The date the order must ship by (Direct Fulfillment `requiredShipDate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_ship_date: Option<DateTime<Utc>>,
    /// The lines, in Amazon's order.
    pub lines: Vec<PurchaseOrderVersionLine>,
}

/// One line of a [`PurchaseOrderVersion`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseOrderVersionLine {
    /// `itemSequenceNumber`, verbatim.
    pub sequence: ItemSequenceNumber,
    /// The ASIN, when Amazon sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<Asin>,
    /// The vendor's product id, when Amazon sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_sku: Option<VendorSku>,
    /// The ordered amount, in [`Self::unit`]; 0 for a line Amazon cancelled.
    pub ordered: u64,
    /// Eaches or cases.
    pub unit: QuantityUnit,
    /// Eaches per case; 1 for eaches.
    pub unit_size: u64,
    /// Amazon's cost: retail `netCost`, Direct Fulfillment `netPrice`.
    pub net_cost: Price,
}

impl PurchaseOrderVersionLine {
    /// The ordered quantity in eaches; `None` on overflow.
    #[must_use]
    pub fn eaches(&self) -> Option<u64> {
        match self.unit {
            QuantityUnit::Eaches => Some(self.ordered),
            QuantityUnit::Cases => self.ordered.checked_mul(self.unit_size),
        }
    }
}

impl PurchaseOrderVersion {
    /// The version of `po`, taken in at `received_at`.
    #[must_use]
    pub fn of(po: &PurchaseOrder, received_at: Option<DateTime<Utc>>) -> Self {
        PurchaseOrderVersion {
            received_at,
            amazon_state: po.state.clone(),
            ordered_at: po.ordered_at,
            changed_at: po.changed_at,
            state_changed_at: po.state_changed_at,
            ship_window: po.ship_window,
            delivery_window: po.delivery_window,
            required_ship_date: match &po.details {
                ProgramDetails::DirectFulfillment(df) => Some(df.required_ship_date),
                ProgramDetails::Retail(_) => None,
            },
            lines: po.lines.iter().map(line_of).collect(),
        }
    }

    /// `true` when both say the same, whenever each was taken in.
    fn same_as(&self, other: &PurchaseOrderVersion) -> bool {
        PurchaseOrderVersion {
            received_at: None,
            ..self.clone()
        } == PurchaseOrderVersion {
            received_at: None,
            ..other.clone()
        }
    }
}

fn line_of(line: &OrderLine) -> PurchaseOrderVersionLine {
    PurchaseOrderVersionLine {
        sequence: line.sequence.clone(),
        asin: line.asin.clone(),
        vendor_sku: line.vendor_sku.clone(),
        ordered: line.ordered.amount,
        unit: line.ordered.unit,
        unit_size: line.ordered.unit_size,
        net_cost: line.net_cost,
    }
}

impl OrderRecord {
    /// Every version of the purchase order Amazon sent, oldest first: each copy that
    /// differs from the one before in its state, change stamps, windows or lines.
    /// Empty for a record stored before the log was kept and not changed since.
    #[must_use]
    pub fn purchase_order_log(&self) -> &[PurchaseOrderVersion] {
        &self.purchase_orders
    }

    /// Logs the record's purchase order when it differs from the last version logged.
    /// `before` is the record the transition started from (`None` for a new record):
    /// a record stored before the log was kept logs its earlier version first, with no
    /// time, and logs nothing when its order did not change, so a transition that
    /// changes nothing leaves it equal.
    ///
    /// A purchase order with no lines is the stand-in of an order Amazon sent
    /// unreadable ([`super::UnreadableOrder`]), not a version Amazon sent: it is not
    /// logged.
    pub(super) fn log_purchase_order(&mut self, before: Option<&OrderRecord>, now: DateTime<Utc>) {
        if self.purchase_order.lines.is_empty() {
            return;
        }
        let current = PurchaseOrderVersion::of(&self.purchase_order, Some(now));
        if self
            .purchase_orders
            .last()
            .is_some_and(|last| last.same_as(&current))
        {
            return;
        }
        if let Some(before) = before.filter(|b| !b.purchase_order.lines.is_empty()) {
            if self.purchase_orders.is_empty() {
                let earlier = PurchaseOrderVersion::of(&before.purchase_order, None);
                if earlier.same_as(&current) {
                    return;
                }
                self.purchase_orders.push(earlier);
            }
        }
        self.purchase_orders.push(current);
    }
}
