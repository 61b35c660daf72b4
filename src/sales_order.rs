//! The NetSuite sales order the sync creates: a draft in the crate's own terms, which
//! [`crate::netsuite`] writes as the REST record body.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::decimal::Decimal;
use crate::ids::{ExternalId, InternalId, ItemSequenceNumber, PurchaseOrderNumber};
use crate::order::Address;

/// The approval status a sales order is created or set with: the only two values
/// NetSuite lets a client set (`orderStatus` `A` and `B`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SalesOrderStatus {
    /// `A`: waits for a person to review and approve it (manual acknowledgement).
    PendingApproval,
    /// `B`: approved, ready to fulfil (auto acknowledgement, or after approval).
    PendingFulfillment,
}

impl SalesOrderStatus {
    /// NetSuite's letter for the status.
    pub const fn letter(&self) -> &'static str {
        match self {
            SalesOrderStatus::PendingApproval => "A",
            SalesOrderStatus::PendingFulfillment => "B",
        }
    }
}

impl fmt::Display for SalesOrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SalesOrderStatus::PendingApproval => "Pending Approval",
            SalesOrderStatus::PendingFulfillment => "Pending Fulfillment",
        })
    }
}

/// Custom body or line fields (`custbody_*`, `custcol_*`), by script id.
pub type CustomFields = BTreeMap<String, serde_json::Value>;

/// One sales-order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesOrderLineDraft {
    /// The NetSuite item's internal id.
    pub item: InternalId,
    /// The quantity in eaches.
    pub quantity: u64,
    /// The unit rate (Amazon's net cost per each).
    pub rate: Decimal,
    /// The PO line this comes from, kept so the acknowledgement can name it.
    pub sequence: ItemSequenceNumber,
    /// A line description.
    pub description: Option<String>,
    /// Whether the line is closed (a line Amazon cancelled, or one to reject).
    pub is_closed: bool,
    /// Custom line fields.
    pub custom_fields: CustomFields,
}

/// A NetSuite sales order to create or update, keyed by its external id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesOrderDraft {
    /// The idempotency key: one sales order per external id.
    pub external_id: ExternalId,
    /// The customer (`entity`).
    pub customer: InternalId,
    /// The subsidiary, where the account needs one (OneWorld).
    pub subsidiary: Option<InternalId>,
    /// The location.
    pub location: Option<InternalId>,
    /// The custom form.
    pub custom_form: Option<InternalId>,
    /// The currency, where the account needs one.
    pub currency: Option<InternalId>,
    /// The transaction date.
    pub tran_date: NaiveDate,
    /// The date to ship by.
    pub ship_date: Option<NaiveDate>,
    /// The Amazon PO number, written to `otherRefNum`.
    pub other_ref_num: PurchaseOrderNumber,
    /// A memo.
    pub memo: Option<String>,
    /// Pending Approval or Pending Fulfillment.
    pub status: SalesOrderStatus,
    /// Where to ship; a consumer's address for Direct Fulfillment (redacted in `Debug`).
    pub shipping_address: Option<Address>,
    /// The lines.
    pub lines: Vec<SalesOrderLineDraft>,
    /// Custom body fields.
    pub custom_fields: CustomFields,
}
