//! The NetSuite sales order the sync creates: a draft in the crate's own terms, which
//! [`crate::netsuite`] writes as the REST record body.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::decimal::Decimal;
use crate::ids::{ExternalId, InternalId, ItemSequenceNumber, PurchaseOrderNumber};
use crate::order::Address;

mod changes;

pub use changes::{LineChange, LineFields, SalesOrderChanges};

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

/// A sales order's status as NetSuite reports it (the read-only `status` letter).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum NetSuiteStatus {
    /// `A`: waits for approval.
    PendingApproval,
    /// `B`: approved, nothing shipped yet.
    PendingFulfillment,
    /// `C`: cancelled.
    Cancelled,
    /// `D`: partly shipped.
    PartiallyFulfilled,
    /// `E`: partly shipped, partly billed.
    PendingBillingPartiallyFulfilled,
    /// `F`: shipped, to be billed.
    PendingBilling,
    /// `G`: billed.
    Billed,
    /// `H`: every line closed.
    Closed,
    /// A letter this version does not know, kept as read.
    Other(String),
}

impl NetSuiteStatus {
    /// The status for NetSuite's letter (`"B"`), or for the compound form
    /// (`"SalesOrd:B"`) saved searches use.
    pub fn from_letter(letter: &str) -> Self {
        let bare = letter.strip_prefix("SalesOrd:").unwrap_or(letter);
        match bare {
            "A" => NetSuiteStatus::PendingApproval,
            "B" => NetSuiteStatus::PendingFulfillment,
            "C" => NetSuiteStatus::Cancelled,
            "D" => NetSuiteStatus::PartiallyFulfilled,
            "E" => NetSuiteStatus::PendingBillingPartiallyFulfilled,
            "F" => NetSuiteStatus::PendingBilling,
            "G" => NetSuiteStatus::Billed,
            "H" => NetSuiteStatus::Closed,
            other => NetSuiteStatus::Other(crate::text::excerpt(other)),
        }
    }

    /// NetSuite's letter.
    pub fn letter(&self) -> &str {
        match self {
            NetSuiteStatus::PendingApproval => "A",
            NetSuiteStatus::PendingFulfillment => "B",
            NetSuiteStatus::Cancelled => "C",
            NetSuiteStatus::PartiallyFulfilled => "D",
            NetSuiteStatus::PendingBillingPartiallyFulfilled => "E",
            NetSuiteStatus::PendingBilling => "F",
            NetSuiteStatus::Billed => "G",
            NetSuiteStatus::Closed => "H",
            NetSuiteStatus::Other(s) => s,
        }
    }
}

/// The custom line field that carries the Amazon PO line's `itemSequenceNumber`, so an
/// approved sales order can be acknowledged line by line.
pub const LINE_SEQUENCE_FIELD: &str = "custcol_avc_item_seq";

/// A sales-order line as read back from NetSuite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesOrderLineSnapshot {
    /// NetSuite's line key (`line`).
    pub line: u64,
    /// The Amazon PO line, from [`LINE_SEQUENCE_FIELD`]; `None` for a line a person
    /// added in NetSuite.
    pub sequence: Option<ItemSequenceNumber>,
    /// The item.
    pub item: InternalId,
    /// The quantity in eaches, as the reviewer left it.
    pub quantity: u64,
    /// The unit rate, as the reviewer left it.
    pub rate: Decimal,
    /// Whether the line is closed.
    pub is_closed: bool,
    /// The expected ship date, when set.
    pub expected_ship_date: Option<NaiveDate>,
}

/// A sales order as read back from NetSuite: what approval decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesOrderSnapshot {
    /// The internal id.
    pub internal_id: InternalId,
    /// The external id the sync gave it.
    pub external_id: ExternalId,
    /// NetSuite's document number (`tranId`), when read.
    pub tran_id: Option<String>,
    /// The status.
    pub status: NetSuiteStatus,
    /// When the record last changed.
    pub last_modified: Option<chrono::DateTime<chrono::Utc>>,
    /// The header ship date (`shipDate`), when set.
    #[serde(default)]
    pub ship_date: Option<NaiveDate>,
    /// The lines.
    pub lines: Vec<SalesOrderLineSnapshot>,
}
