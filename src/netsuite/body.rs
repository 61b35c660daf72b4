//! The `salesOrder` body the sync sends: create (`POST`), upsert (`PUT .../eid:`) and
//! partial update (`PATCH`).

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{CUSTOM_PRICE_LEVEL, RecordRef};
use crate::decimal::{Decimal, DecimalError};
use crate::ids::{ExternalId, InternalId, ItemSequenceNumber};
use crate::order::Address;
use crate::sales_order::{
    CustomFields, LINE_SEQUENCE_FIELD, SalesOrderDraft, SalesOrderLineDraft, SalesOrderStatus,
};
use crate::text::excerpt;

/// The prefix of a custom body field's script id.
const CUSTOM_BODY_PREFIX: &str = "custbody_";
/// The prefix of a custom line field's script id.
const CUSTOM_LINE_PREFIX: &str = "custcol_";

/// A `salesOrder` body to create, upsert or partially update a sales order.
///
/// Every field is optional and omitted when `None`: in a `PATCH`, a field left out
/// stays as it is, while `null` would clear it, so this type never writes `null`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesOrderBody {
    /// The external id: the sync's idempotency key for the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<ExternalId>,
    /// The customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<RecordRef>,
    /// The subsidiary (required in OneWorld accounts unless the customer's primary one
    /// applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subsidiary: Option<RecordRef>,
    /// The location the order ships from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<RecordRef>,
    /// The entry form, which decides mandatory fields and scripts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_form: Option<RecordRef>,
    /// The transaction currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<RecordRef>,
    /// The transaction date, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tran_date: Option<NaiveDate>,
    /// The ship date, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_date: Option<NaiveDate>,
    /// "PO/Check Number": the Amazon PO number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_ref_num: Option<String>,
    /// The memo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
    /// The approval status to set: `{"id": "A"}` or `{"id": "B"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_status: Option<RecordRef>,
    /// The shipping address subrecord.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<ShippingAddress>,
    /// The `item` sublist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemSublist>,
    /// Custom body fields (`custbody_*`), written as top-level properties; a name
    /// without the prefix would collide with a standard field.
    #[serde(flatten)]
    pub custom_fields: CustomFields,
}

/// The `shippingAddress` subrecord.
///
/// `Debug` shows only the country: a Direct Fulfillment ship-to is a consumer.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingAddress {
    /// The addressee's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addressee: Option<String>,
    /// The attention line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention: Option<String>,
    /// Address line 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr1: Option<String>,
    /// Address line 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr2: Option<String>,
    /// Address line 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr3: Option<String>,
    /// The city.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// The state or province.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    /// The country, by its ISO 3166-1 two-letter code (`{"id": "US"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<RecordRef>,
    /// The phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr_phone: Option<String>,
}

impl fmt::Debug for ShippingAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShippingAddress")
            .field("country", &self.country.as_ref().map(|c| c.id.as_str()))
            .finish_non_exhaustive()
    }
}

/// The `item` sublist of a body: `{"items": [...]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ItemSublist {
    /// The lines. Without `replace=item`, a line whose `line` matches updates that
    /// line and any other line is appended.
    #[serde(default)]
    pub items: Vec<SalesOrderLine>,
}

/// One `item` line of a body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesOrderLine {
    /// NetSuite's line key; set only to change an existing line in a `PATCH`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<RecordRef>,
    /// The quantity in the item's base unit, a JSON integer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u64>,
    /// The unit rate, a JSON number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::decimal::json_number::option"
    )]
    pub rate: Option<Decimal>,
    /// The line amount (`rate × quantity`), a JSON number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::decimal::json_number::option"
    )]
    pub amount: Option<Decimal>,
    /// The price level; `{"id": "-1"}` (custom) so the rate sent is the rate kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<RecordRef>,
    /// The line description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether the line is closed (nothing more will ship on it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_closed: Option<bool>,
    /// Custom line fields (`custcol_*`), written as properties of the line; a name
    /// without the prefix would collide with a standard field.
    #[serde(flatten)]
    pub custom_fields: CustomFields,
}

/// Why a body cannot be built from the crate's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// A draft line's `rate` or `amount` cannot be written as a JSON number without
    /// rounding, or `rate × quantity` overflows. Fix the rate or quantity of that PO
    /// line; sending it would book a different price.
    #[error("`item.items[{index}].{field}` of PO line {sequence} cannot be written: {error}")]
    DraftLine {
        /// The line's position in the draft.
        index: usize,
        /// The PO line.
        sequence: ItemSequenceNumber,
        /// `rate` or `amount`.
        field: &'static str,
        /// What went wrong with the number.
        error: DecimalError,
    },
    /// A line patch's `rate` or `amount` cannot be written as a JSON number without
    /// rounding, or `rate × quantity` overflows.
    #[error("`item.items[{index}].{field}` of sales-order line {line} cannot be written: {error}")]
    PatchLine {
        /// The patch's position in the list.
        index: usize,
        /// NetSuite's line key.
        line: u64,
        /// `rate` or `amount`.
        field: &'static str,
        /// What went wrong with the number.
        error: DecimalError,
    },
    /// A custom field's name lacks the prefix NetSuite gives custom fields of its kind,
    /// so it could be taken for (and collide with) a standard field.
    #[error("custom field `{field}` does not start with `{expected_prefix}`")]
    CustomFieldName {
        /// The field name, shortened when long.
        field: String,
        /// `custbody_` for body fields, `custcol_` for line fields.
        expected_prefix: &'static str,
    },
    /// A draft line's custom fields hold [`LINE_SEQUENCE_FIELD`] with a value other
    /// than the line's own sequence.
    #[error(
        "`item.items[{index}].{}` of PO line {sequence} is set to `{found}` in the custom fields",
        LINE_SEQUENCE_FIELD
    )]
    SequenceConflict {
        /// The line's position in the draft.
        index: usize,
        /// The PO line.
        sequence: ItemSequenceNumber,
        /// The conflicting value, shortened when long.
        found: String,
    },
    /// The shipping address's country is not a two-letter ISO 3166-1 code, which is
    /// all NetSuite's `country` takes (Direct Fulfillment sometimes sends `USA`).
    #[error("`shippingAddress.country` `{country}` is not a two-letter ISO 3166-1 code")]
    Country {
        /// The country code, shortened when long.
        country: String,
    },
    /// Two line patches name the same NetSuite line.
    #[error("sales-order line {line} is patched more than once")]
    DuplicateLine {
        /// NetSuite's line key.
        line: u64,
    },
}

impl SalesOrderBody {
    /// The create or upsert body for a draft.
    ///
    /// Each line is written with `price` `{"id": "-1"}` so the rate sent wins, its
    /// amount as `rate × quantity` in exact decimal arithmetic, its PO line sequence
    /// in [`LINE_SEQUENCE_FIELD`], and `isClosed` only when it is closed. Custom fields
    /// holding `null` are left out. County and district have no place in NetSuite's
    /// address and are not written.
    ///
    /// # Errors
    /// [`BodyError::DraftLine`] when a rate or amount cannot be written exactly or
    /// overflows; [`BodyError::CustomFieldName`] for a custom field without its
    /// `custbody_` / `custcol_` prefix; [`BodyError::SequenceConflict`];
    /// [`BodyError::Country`] for a country code that is not two letters.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::netsuite::SalesOrderBody;
    /// use avc_order_sync::{SalesOrderDraft, SalesOrderLineDraft, SalesOrderStatus};
    ///
    /// let draft = SalesOrderDraft {
    ///     external_id: "AVC-RP-4Z32PABC".parse()?,
    ///     customer: "1234".parse()?,
    ///     subsidiary: None,
    ///     location: None,
    ///     custom_form: None,
    ///     currency: None,
    ///     tran_date: "2025-03-01".parse()?,
    ///     ship_date: None,
    ///     other_ref_num: "4Z32PABC".parse()?,
    ///     memo: None,
    ///     status: SalesOrderStatus::PendingApproval,
    ///     shipping_address: None,
    ///     lines: vec![SalesOrderLineDraft {
    ///         item: "98".parse()?,
    ///         quantity: 12,
    ///         rate: "9.50".parse()?,
    ///         sequence: "1".parse()?,
    ///         description: None,
    ///         is_closed: false,
    ///         custom_fields: Default::default(),
    ///     }],
    ///     custom_fields: Default::default(),
    /// };
    /// let body = SalesOrderBody::from_draft(&draft)?;
    /// let json = serde_json::to_value(&body)?;
    /// assert_eq!(json["item"]["items"][0]["amount"], serde_json::json!(114.0));
    /// assert_eq!(json["item"]["items"][0]["custcol_avc_item_seq"], "1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_draft(draft: &SalesOrderDraft) -> Result<SalesOrderBody, BodyError> {
        let lines = draft
            .lines
            .iter()
            .enumerate()
            .map(|(index, line)| line_from_draft(index, line))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SalesOrderBody {
            external_id: Some(draft.external_id.clone()),
            entity: Some(RecordRef::from(&draft.customer)),
            subsidiary: draft.subsidiary.as_ref().map(RecordRef::from),
            location: draft.location.as_ref().map(RecordRef::from),
            custom_form: draft.custom_form.as_ref().map(RecordRef::from),
            currency: draft.currency.as_ref().map(RecordRef::from),
            tran_date: Some(draft.tran_date),
            ship_date: draft.ship_date,
            other_ref_num: Some(draft.other_ref_num.as_str().to_owned()),
            memo: draft.memo.clone(),
            order_status: Some(status_ref(draft.status)),
            shipping_address: draft
                .shipping_address
                .as_ref()
                .map(ShippingAddress::from_address)
                .transpose()?,
            item: Some(ItemSublist { items: lines }),
            custom_fields: custom_fields(&draft.custom_fields, CUSTOM_BODY_PREFIX)?,
        })
    }
}

impl ShippingAddress {
    /// The subrecord for an address.
    ///
    /// Empty text is left out; county and district are not written (NetSuite's address
    /// has no field for them); the country code is upper-cased.
    ///
    /// # Errors
    /// [`BodyError::Country`] when the country code is not two ASCII letters.
    pub fn from_address(address: &Address) -> Result<ShippingAddress, BodyError> {
        let country = address.country_code.trim();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(BodyError::Country {
                country: excerpt(&address.country_code),
            });
        }
        let text = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
        let opt = |s: &Option<String>| s.as_deref().and_then(text);
        Ok(ShippingAddress {
            addressee: text(&address.name),
            attention: opt(&address.attention),
            addr1: text(&address.address_line1),
            addr2: opt(&address.address_line2),
            addr3: opt(&address.address_line3),
            city: opt(&address.city),
            state: opt(&address.state_or_region),
            zip: opt(&address.postal_code),
            country: Some(RecordRef::new(country.to_ascii_uppercase())),
            addr_phone: opt(&address.phone),
        })
    }
}

fn status_ref(status: SalesOrderStatus) -> RecordRef {
    RecordRef::new(status.letter())
}

/// Copies custom fields, refusing a name without the prefix and leaving out `null`s.
fn custom_fields(fields: &CustomFields, prefix: &'static str) -> Result<CustomFields, BodyError> {
    let mut out = CustomFields::new();
    for (name, value) in fields {
        if !name.starts_with(prefix) || name.len() == prefix.len() {
            return Err(BodyError::CustomFieldName {
                field: excerpt(name),
                expected_prefix: prefix,
            });
        }
        if !value.is_null() {
            out.insert(name.clone(), value.clone());
        }
    }
    Ok(out)
}

/// Checks that a decimal will travel as a JSON number unchanged.
fn exact(value: Decimal) -> Result<Decimal, DecimalError> {
    value.to_json_number().map(|_| value)
}

/// `rate × quantity`, checked, and exact as a JSON number.
fn amount(rate: &Decimal, quantity: u64) -> Result<Decimal, DecimalError> {
    let quantity = i64::try_from(quantity).map_err(|_| DecimalError::Overflow {
        operation: format!("{rate} × {quantity}"),
    })?;
    exact(rate.checked_mul_quantity(quantity)?)
}

fn line_from_draft(index: usize, line: &SalesOrderLineDraft) -> Result<SalesOrderLine, BodyError> {
    let draft_error = |field, error| BodyError::DraftLine {
        index,
        sequence: line.sequence.clone(),
        field,
        error,
    };
    let rate = exact(line.rate).map_err(|e| draft_error("rate", e))?;
    let amount = amount(&rate, line.quantity).map_err(|e| draft_error("amount", e))?;
    let mut fields = custom_fields(&line.custom_fields, CUSTOM_LINE_PREFIX)?;
    let sequence = serde_json::Value::String(line.sequence.as_str().to_owned());
    if let Some(found) = fields.get(LINE_SEQUENCE_FIELD) {
        if *found != sequence {
            return Err(BodyError::SequenceConflict {
                index,
                sequence: line.sequence.clone(),
                found: excerpt(&found.to_string()),
            });
        }
    }
    fields.insert(LINE_SEQUENCE_FIELD.to_owned(), sequence);
    Ok(SalesOrderLine {
        line: None,
        item: Some(RecordRef::from(&line.item)),
        quantity: Some(line.quantity),
        rate: Some(rate),
        amount: Some(amount),
        price: Some(RecordRef::new(CUSTOM_PRICE_LEVEL)),
        description: line.description.clone(),
        is_closed: line.is_closed.then_some(true),
        custom_fields: fields,
    })
}

/// A change to one existing sales-order line, keyed by NetSuite's `line`.
///
/// Only the fields set are sent; a new item is written as a create writes it,
/// `{"id": …}`. When both `quantity` and `rate` are set the amount is sent too,
/// computed exactly; with only one of them NetSuite recomputes it.
///
/// # Example
/// ```
/// use avc_order_sync::netsuite::{LinePatch, SalesOrderPatch};
/// let patch = SalesOrderPatch::lines(vec![
///     LinePatch { quantity: Some(6), ..LinePatch::new(1) },
///     LinePatch::close(2),
/// ])?;
/// assert_eq!(
///     serde_json::to_value(&patch)?,
///     serde_json::json!({"item": {"items": [
///         {"line": 1, "quantity": 6},
///         {"line": 2, "isClosed": true},
///     ]}}),
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinePatch {
    /// NetSuite's line key of the line to change.
    pub line: u64,
    /// The new item.
    pub item: Option<InternalId>,
    /// The new quantity in eaches.
    pub quantity: Option<u64>,
    /// The new unit rate.
    pub rate: Option<Decimal>,
    /// Close (`true`) or reopen (`false`) the line.
    pub is_closed: Option<bool>,
}

impl LinePatch {
    /// A patch of `line` that changes nothing yet.
    pub const fn new(line: u64) -> Self {
        LinePatch {
            line,
            item: None,
            quantity: None,
            rate: None,
            is_closed: None,
        }
    }

    /// A patch that closes `line`: how a line is rejected or cancelled after creation,
    /// since lines are closed rather than deleted.
    pub const fn close(line: u64) -> Self {
        LinePatch {
            line,
            item: None,
            quantity: None,
            rate: None,
            is_closed: Some(true),
        }
    }

    fn is_empty(&self) -> bool {
        self.item.is_none()
            && self.quantity.is_none()
            && self.rate.is_none()
            && self.is_closed.is_none()
    }
}

/// A `PATCH /salesOrder/{id}` body that changes only what it names: the approval
/// status, the ship date, and lines matched by their `line` key.
///
/// It is sent without `replace=item`, so lines it does not name stay as they are;
/// the sync never replaces the sublist.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(transparent)]
pub struct SalesOrderPatch {
    body: SalesOrderBody,
}

impl SalesOrderPatch {
    /// A patch that sets `orderStatus`: `B` approves a pending order, `A` resets its
    /// approval (only before any fulfillment).
    pub fn status(status: SalesOrderStatus) -> Self {
        SalesOrderPatch::default().with_status(status)
    }

    /// A patch of the given lines.
    ///
    /// # Errors
    /// [`BodyError::PatchLine`] when a rate or amount cannot be written exactly or
    /// overflows; [`BodyError::DuplicateLine`] when two patches name the same line.
    pub fn lines(lines: Vec<LinePatch>) -> Result<Self, BodyError> {
        SalesOrderPatch::default().with_lines(lines)
    }

    /// This patch, also setting `orderStatus`.
    pub fn with_status(mut self, status: SalesOrderStatus) -> Self {
        self.body.order_status = Some(status_ref(status));
        self
    }

    /// This patch, also setting the header `shipDate` (`YYYY-MM-DD`, as a create
    /// writes it).
    pub fn with_ship_date(mut self, date: NaiveDate) -> Self {
        self.body.ship_date = Some(date);
        self
    }

    /// This patch, with its line changes replaced by `lines`. Patches that change
    /// nothing are left out.
    ///
    /// # Errors
    /// As [`SalesOrderPatch::lines`].
    pub fn with_lines(mut self, lines: Vec<LinePatch>) -> Result<Self, BodyError> {
        let mut seen = BTreeSet::new();
        let mut items = Vec::with_capacity(lines.len());
        for (index, patch) in lines.iter().enumerate() {
            if !seen.insert(patch.line) {
                return Err(BodyError::DuplicateLine { line: patch.line });
            }
            if patch.is_empty() {
                continue;
            }
            let patch_error = |field, error| BodyError::PatchLine {
                index,
                line: patch.line,
                field,
                error,
            };
            let rate = patch
                .rate
                .map(exact)
                .transpose()
                .map_err(|e| patch_error("rate", e))?;
            let amount = match (rate, patch.quantity) {
                (Some(rate), Some(quantity)) => {
                    Some(amount(&rate, quantity).map_err(|e| patch_error("amount", e))?)
                }
                _ => None,
            };
            items.push(SalesOrderLine {
                line: Some(patch.line),
                item: patch.item.as_ref().map(RecordRef::from),
                quantity: patch.quantity,
                rate,
                amount,
                // A new rate only holds on the custom price level.
                price: rate.map(|_| RecordRef::new(CUSTOM_PRICE_LEVEL)),
                is_closed: patch.is_closed,
                ..SalesOrderLine::default()
            });
        }
        self.body.item = (!items.is_empty()).then_some(ItemSublist { items });
        Ok(self)
    }

    /// `true` when the patch changes nothing (sending it would be a no-op).
    pub fn is_empty(&self) -> bool {
        self.body == SalesOrderBody::default()
    }

    /// The patch as a body.
    pub fn as_body(&self) -> &SalesOrderBody {
        &self.body
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{InternalId, PurchaseOrderNumber};
    use proptest::prelude::*;
    use serde_json::json;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn line(rate: &str, quantity: u64) -> SalesOrderLineDraft {
        SalesOrderLineDraft {
            item: InternalId::new("98").unwrap(),
            quantity,
            rate: d(rate),
            sequence: ItemSequenceNumber::new("00001").unwrap(),
            description: None,
            is_closed: false,
            custom_fields: CustomFields::new(),
        }
    }

    fn draft(lines: Vec<SalesOrderLineDraft>) -> SalesOrderDraft {
        SalesOrderDraft {
            external_id: ExternalId::new("AVC-RP-4Z32PABC").unwrap(),
            customer: InternalId::new("1234").unwrap(),
            subsidiary: None,
            location: None,
            custom_form: None,
            currency: None,
            tran_date: NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
            ship_date: None,
            other_ref_num: PurchaseOrderNumber::new("4Z32PABC").unwrap(),
            memo: None,
            status: SalesOrderStatus::PendingApproval,
            shipping_address: None,
            lines,
            custom_fields: CustomFields::new(),
        }
    }

    #[test]
    fn a_minimal_draft_writes_no_nulls_and_no_absent_fields() {
        let body = SalesOrderBody::from_draft(&draft(vec![line("9.50", 12)])).unwrap();
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json,
            json!({
                "externalId": "AVC-RP-4Z32PABC",
                "entity": {"id": "1234"},
                "tranDate": "2025-03-01",
                "otherRefNum": "4Z32PABC",
                "orderStatus": {"id": "A"},
                "item": {"items": [{
                    "item": {"id": "98"},
                    "quantity": 12,
                    "rate": 9.5,
                    "amount": 114.0,
                    "price": {"id": "-1"},
                    "custcol_avc_item_seq": "00001",
                }]},
            })
        );
        assert!(!serde_json::to_string(&body).unwrap().contains("null"));
    }

    #[test]
    fn quantity_is_a_json_integer() {
        let body = SalesOrderBody::from_draft(&draft(vec![line("3", 7)])).unwrap();
        let text = serde_json::to_string(&body).unwrap();
        assert!(text.contains(r#""quantity":7,"#), "{text}");
        assert!(text.contains(r#""amount":21,"#), "{text}");
    }

    #[test]
    fn a_rate_too_precise_for_a_json_number_is_refused_naming_the_line() {
        let mut lines = vec![line("1", 1), line("0.12345678901234567890", 1)];
        lines[1].sequence = ItemSequenceNumber::new("00002").unwrap();
        let err = SalesOrderBody::from_draft(&draft(lines)).unwrap_err();
        match &err {
            BodyError::DraftLine {
                index,
                sequence,
                field,
                error,
            } => {
                assert_eq!(*index, 1);
                assert_eq!(sequence.as_str(), "00002");
                assert_eq!(*field, "rate");
                assert!(matches!(error, DecimalError::NotExactInJson { .. }));
            }
            other => panic!("{other:?}"),
        }
        let text = err.to_string();
        assert!(
            text.starts_with("`item.items[1].rate` of PO line 00002"),
            "{text}"
        );
    }

    #[test]
    fn an_amount_too_large_is_refused() {
        // The rate is exact; the amount has more significant digits than a JSON number.
        let err =
            SalesOrderBody::from_draft(&draft(vec![line("123456789.123", 1_000_003)])).unwrap_err();
        assert!(
            matches!(
                err,
                BodyError::DraftLine {
                    field: "amount",
                    error: DecimalError::NotExactInJson { .. },
                    ..
                }
            ),
            "{err:?}"
        );
        let huge = Decimal::new(i128::MAX / 2, 0).unwrap();
        let mut l = line("1", 3);
        l.rate = huge;
        let err = SalesOrderBody::from_draft(&draft(vec![l])).unwrap_err();
        assert!(matches!(err, BodyError::DraftLine { .. }), "{err:?}");
        let err = SalesOrderBody::from_draft(&draft(vec![line("1", u64::MAX)])).unwrap_err();
        assert!(
            matches!(
                err,
                BodyError::DraftLine {
                    field: "amount",
                    error: DecimalError::Overflow { .. },
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn custom_fields_need_their_prefix_and_nulls_are_left_out() {
        let mut d = draft(vec![line("1", 1)]);
        d.custom_fields
            .insert("custbody_avc_vendor_code".into(), json!("ABCDE"));
        d.custom_fields.insert("custbody_empty".into(), json!(null));
        let body = SalesOrderBody::from_draft(&d).unwrap();
        assert_eq!(body.custom_fields.len(), 1);

        d.custom_fields.insert("entity".into(), json!({"id": "9"}));
        assert_eq!(
            SalesOrderBody::from_draft(&d).unwrap_err(),
            BodyError::CustomFieldName {
                field: "entity".into(),
                expected_prefix: "custbody_"
            }
        );

        let mut d = draft(vec![line("1", 1)]);
        d.lines[0]
            .custom_fields
            .insert("custbody_wrong_level".into(), json!("x"));
        assert!(matches!(
            SalesOrderBody::from_draft(&d),
            Err(BodyError::CustomFieldName {
                expected_prefix: "custcol_",
                ..
            })
        ));
    }

    #[test]
    fn the_sequence_field_may_repeat_the_sequence_but_not_contradict_it() {
        let mut d = draft(vec![line("1", 1)]);
        d.lines[0]
            .custom_fields
            .insert(LINE_SEQUENCE_FIELD.into(), json!("00001"));
        assert!(SalesOrderBody::from_draft(&d).is_ok());
        d.lines[0]
            .custom_fields
            .insert(LINE_SEQUENCE_FIELD.into(), json!("7"));
        assert!(matches!(
            SalesOrderBody::from_draft(&d),
            Err(BodyError::SequenceConflict { index: 0, .. })
        ));
    }

    #[test]
    fn closed_lines_say_so_and_open_lines_leave_it_out() {
        let mut l = line("1", 0);
        l.is_closed = true;
        let body = SalesOrderBody::from_draft(&draft(vec![l, line("2", 1)])).unwrap();
        let items = &body.item.unwrap().items;
        assert_eq!(items[0].is_closed, Some(true));
        assert_eq!(items[1].is_closed, None);
    }

    fn planted_address(country: &str) -> Address {
        Address {
            name: "Jane Consumer".into(),
            attention: Some("Front Desk Jane".into()),
            address_line1: "17 Private Lane".into(),
            address_line2: Some("".into()),
            city: Some("Springfield".into()),
            state_or_region: Some("IL".into()),
            postal_code: Some("62704".into()),
            county: Some("Sangamon".into()),
            country_code: country.into(),
            phone: Some("555-0100".into()),
            ..Address::default()
        }
    }

    #[test]
    fn shipping_address_debug_shows_only_the_country() {
        let mut d = draft(vec![line("1", 1)]);
        d.shipping_address = Some(planted_address("us"));
        let body = SalesOrderBody::from_draft(&d).unwrap();
        let address = body.shipping_address.as_ref().unwrap();
        assert_eq!(address.addressee.as_deref(), Some("Jane Consumer"));
        assert_eq!(address.addr2, None);
        assert_eq!(address.country, Some(RecordRef::new("US")));
        for shown in [
            format!("{body:?}"),
            format!("{body:#?}"),
            format!("{address:?}"),
        ] {
            for secret in ["Jane", "Private", "555", "Springfield", "62704", "IL"] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
            assert!(shown.contains("US"), "{shown}");
        }
        let json = serde_json::to_value(address).unwrap();
        assert_eq!(json["addrPhone"], "555-0100");
        assert!(json.get("county").is_none());
    }

    #[test]
    fn a_three_letter_country_is_refused() {
        let mut d = draft(vec![line("1", 1)]);
        d.shipping_address = Some(planted_address("USA"));
        assert_eq!(
            SalesOrderBody::from_draft(&d).unwrap_err(),
            BodyError::Country {
                country: "USA".into()
            }
        );
    }

    #[test]
    fn patches_name_only_what_changes() {
        assert_eq!(
            serde_json::to_value(SalesOrderPatch::status(
                SalesOrderStatus::PendingFulfillment
            ))
            .unwrap(),
            json!({"orderStatus": {"id": "B"}})
        );
        let patch = SalesOrderPatch::lines(vec![
            LinePatch {
                quantity: Some(6),
                rate: Some(d("9.25")),
                ..LinePatch::new(1)
            },
            LinePatch {
                rate: Some(d("4")),
                ..LinePatch::new(3)
            },
            LinePatch::new(4),
            LinePatch::close(2),
        ])
        .unwrap()
        .with_status(SalesOrderStatus::PendingFulfillment);
        assert_eq!(
            serde_json::to_value(&patch).unwrap(),
            json!({
                "orderStatus": {"id": "B"},
                "item": {"items": [
                    {"line": 1, "quantity": 6, "rate": 9.25, "amount": 55.5, "price": {"id": "-1"}},
                    {"line": 3, "rate": 4, "price": {"id": "-1"}},
                    {"line": 2, "isClosed": true},
                ]},
            })
        );
        // A new item and ship date are written as a create writes them.
        let moved = SalesOrderPatch::lines(vec![LinePatch {
            item: Some(InternalId::new("99").unwrap()),
            ..LinePatch::new(5)
        }])
        .unwrap()
        .with_ship_date(NaiveDate::from_ymd_opt(2025, 3, 12).unwrap());
        assert_eq!(
            serde_json::to_value(&moved).unwrap(),
            json!({
                "shipDate": "2025-03-12",
                "item": {"items": [{"line": 5, "item": {"id": "99"}}]},
            })
        );
        assert!(
            SalesOrderPatch::lines(vec![LinePatch::new(1)])
                .unwrap()
                .is_empty()
        );
        assert!(SalesOrderPatch::lines(vec![]).unwrap().is_empty());
    }

    #[test]
    fn patches_refuse_duplicate_lines_and_inexact_numbers() {
        assert_eq!(
            SalesOrderPatch::lines(vec![LinePatch::close(2), LinePatch::close(2)]).unwrap_err(),
            BodyError::DuplicateLine { line: 2 }
        );
        let err = SalesOrderPatch::lines(vec![LinePatch {
            rate: Some(d("1.000000000000000000001")),
            ..LinePatch::new(5)
        }])
        .unwrap_err();
        assert!(
            matches!(
                err,
                BodyError::PatchLine {
                    line: 5,
                    field: "rate",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with("`item.items[0].rate` of sales-order line 5"),
            "{err}"
        );
    }

    #[test]
    fn the_body_reads_back_what_it_wrote() {
        let mut d = draft(vec![line("9.50", 12)]);
        d.memo = Some("Amazon VC RP PO 4Z32PABC".into());
        d.shipping_address = Some(planted_address("US"));
        d.custom_fields
            .insert("custbody_avc_ack_state".into(), json!({"id": "1"}));
        let body = SalesOrderBody::from_draft(&d).unwrap();
        let text = serde_json::to_string(&body).unwrap();
        let back: SalesOrderBody = serde_json::from_str(&text).unwrap();
        assert_eq!(back, body);
    }

    proptest! {
        #[test]
        fn rates_and_amounts_with_up_to_six_decimals_survive_the_wire(
            mantissa in -1_000_000_000i64..1_000_000_000,
            scale in 0u32..=6,
            quantity in 0u64..100_000,
        ) {
            let rate = Decimal::new(mantissa.into(), scale).unwrap();
            let mut l = line("0", quantity);
            l.rate = rate;
            let body = SalesOrderBody::from_draft(&draft(vec![l])).unwrap();
            let text = serde_json::to_string(&body).unwrap();
            let back: SalesOrderBody = serde_json::from_str(&text).unwrap();
            let sent = &back.item.unwrap().items[0];
            prop_assert_eq!(sent.rate, Some(rate));
            let expected = Decimal::new(i128::from(mantissa) * i128::from(quantity), scale).unwrap();
            prop_assert_eq!(sent.amount, Some(expected));
            prop_assert_eq!(sent.quantity, Some(quantity));
        }

        #[test]
        fn arbitrary_bytes_into_the_body_parser_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = serde_json::from_slice::<SalesOrderBody>(&bytes);
        }

        #[test]
        fn arbitrary_json_into_the_body_parser_never_panics(value in super::super::arbitrary_json()) {
            let _ = serde_json::from_value::<SalesOrderBody>(value);
        }
    }
}
