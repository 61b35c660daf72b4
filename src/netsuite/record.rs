//! The `salesOrder` record as `GET /salesOrder/{id}?expandSubResources=true` returns
//! it, and its conversion to [`SalesOrderSnapshot`].

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Link, string_or_number};
use crate::decimal::Decimal;
use crate::ids::{ExternalId, InternalId, ItemSequenceNumber};
use crate::order::parse_instant;
use crate::sales_order::{
    CustomFields, LINE_SEQUENCE_FIELD, NetSuiteStatus, SalesOrderLineSnapshot, SalesOrderSnapshot,
};
use crate::text::excerpt;

/// A sales order as NetSuite returns it.
///
/// Lenient: every field is optional and fields this type does not name are kept in
/// [`SalesOrderRecord::other_fields`]. `Debug` lists only the names of those other
/// fields, since they include the shipping address.
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesOrderRecord {
    /// The internal id.
    #[serde(
        default,
        deserialize_with = "string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// The external id the sync gave the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The document number NetSuite generated (`SO1234`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tran_id: Option<String>,
    /// "PO/Check Number": the Amazon PO number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_ref_num: Option<String>,
    /// The read-only lifecycle status, letters `A` to `H`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<EnumValue>,
    /// The settable approval status, `A` or `B`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_status: Option<EnumValue>,
    /// The customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<NamedRef>,
    /// The transaction date, `YYYY-MM-DD`, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tran_date: Option<String>,
    /// The ship date, `YYYY-MM-DD`, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_date: Option<String>,
    /// When the record last changed, ISO 8601 in UTC, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<String>,
    /// Links to the record itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// The `item` sublist; it holds lines only when read with `expandSubResources=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<RecordItemSublist>,
    /// Every other field, custom body fields (`custbody_*`) among them, as sent.
    #[serde(flatten)]
    pub other_fields: CustomFields,
}

impl fmt::Debug for SalesOrderRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SalesOrderRecord")
            .field("id", &self.id)
            .field("external_id", &self.external_id)
            .field("tran_id", &self.tran_id)
            .field("other_ref_num", &self.other_ref_num)
            .field("status", &self.status)
            .field("order_status", &self.order_status)
            .field("entity", &self.entity)
            .field("tran_date", &self.tran_date)
            .field("ship_date", &self.ship_date)
            .field("last_modified_date", &self.last_modified_date)
            .field("item", &self.item)
            .field(
                "other_fields",
                &self.other_fields.keys().collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// A list or enum value NetSuite returns either as a bare id (`"B"`, with
/// `simpleEnumFormat=true` or in older replies) or as `{"id": "B", "refName": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EnumValue {
    /// The bare id.
    Bare(String),
    /// The object form.
    Object {
        /// The id (a status letter).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The display name (`Pending Fulfillment`).
        #[serde(default, rename = "refName", skip_serializing_if = "Option::is_none")]
        ref_name: Option<String>,
    },
}

impl EnumValue {
    /// The id, whichever form it came in.
    pub fn id(&self) -> Option<&str> {
        match self {
            EnumValue::Bare(id) => Some(id),
            EnumValue::Object { id, .. } => id.as_deref(),
        }
    }

    /// The display name, when NetSuite sent one.
    pub fn ref_name(&self) -> Option<&str> {
        match self {
            EnumValue::Bare(_) => None,
            EnumValue::Object { ref_name, .. } => ref_name.as_deref(),
        }
    }
}

/// A reference to another record as NetSuite returns it: `{"id", "refName", "links"}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedRef {
    /// The referenced record's internal id.
    #[serde(
        default,
        deserialize_with = "string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// The referenced record's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_name: Option<String>,
}

/// The `item` sublist of a read record.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RecordItemSublist {
    /// A link to the sublist itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// The lines; absent when the record was read without `expandSubResources=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<SalesOrderRecordLine>>,
}

/// One `item` line of a read record.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesOrderRecordLine {
    /// NetSuite's line key, used to `PATCH` this line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<NamedRef>,
    /// The quantity, a JSON number (`12` or `12.0`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::decimal::json_number::option"
    )]
    pub quantity: Option<Decimal>,
    /// The unit rate, a JSON number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::decimal::json_number::option"
    )]
    pub rate: Option<Decimal>,
    /// The line amount, a JSON number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::decimal::json_number::option"
    )]
    pub amount: Option<Decimal>,
    /// Whether the line is closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_closed: Option<bool>,
    /// The expected ship date, `YYYY-MM-DD`, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_ship_date: Option<String>,
    /// The line description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Every other field, custom line fields (`custcol_*`) among them, as sent.
    #[serde(flatten)]
    pub other_fields: CustomFields,
}

/// One thing wrong with a read record, naming the field and, on a line, NetSuite's
/// line key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotProblem {
    /// The field's path in the record (`item.items[1].quantity`).
    pub field: String,
    /// NetSuite's `line` key, when the problem is on a line that has one.
    pub line: Option<u64>,
    /// What is wrong.
    pub kind: SnapshotProblemKind,
}

/// What is wrong with one field of a read record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnapshotProblemKind {
    /// A field the snapshot needs is absent.
    Missing,
    /// A quantity is not a whole number of eaches.
    FractionalQuantity {
        /// The quantity as read.
        value: String,
    },
    /// A quantity is below zero.
    NegativeQuantity {
        /// The quantity as read.
        value: String,
    },
    /// A field is present but its value is not usable.
    Invalid {
        /// Why, in lower case.
        reason: String,
    },
}

impl fmt::Display for SnapshotProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.field)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        match &self.kind {
            SnapshotProblemKind::Missing => f.write_str(" is missing"),
            SnapshotProblemKind::FractionalQuantity { value } => {
                write!(f, " is `{value}`, not a whole number of eaches")
            }
            SnapshotProblemKind::NegativeQuantity { value } => {
                write!(f, " is `{value}`, below zero")
            }
            SnapshotProblemKind::Invalid { reason } => write!(f, " is invalid: {reason}"),
        }
    }
}

/// A read record that cannot become a [`SalesOrderSnapshot`], with every problem
/// found in it. The order needs a person's attention in NetSuite; reading it again
/// will not help until it changes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "sales order {record} cannot be read: {}",
    crate::text::Joined(problems, "; ")
)]
#[non_exhaustive]
pub struct SnapshotError {
    /// The record's internal id, else its external id, else `<unknown>`.
    pub record: String,
    /// Every problem, in the order found. Never empty.
    pub problems: Vec<SnapshotProblem>,
}

#[derive(Default)]
struct Problems(Vec<SnapshotProblem>);

impl Problems {
    fn push(&mut self, field: impl Into<String>, line: Option<u64>, kind: SnapshotProblemKind) {
        self.0.push(SnapshotProblem {
            field: field.into(),
            line,
            kind,
        });
    }

    fn require<T>(&mut self, value: Option<T>, field: &str, line: Option<u64>) -> Option<T> {
        if value.is_none() {
            self.push(field, line, SnapshotProblemKind::Missing);
        }
        value
    }

    fn check<T, E: fmt::Display>(
        &mut self,
        result: Result<T, E>,
        field: &str,
        line: Option<u64>,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(
                    field,
                    line,
                    SnapshotProblemKind::Invalid {
                        reason: e.to_string(),
                    },
                );
                None
            }
        }
    }
}

/// Text that is present and not blank.
fn present(text: Option<&str>) -> Option<&str> {
    text.filter(|s| !s.trim().is_empty())
}

impl SalesOrderRecord {
    /// The lines, when the record was read with `expandSubResources=true`.
    pub fn lines(&self) -> Option<&[SalesOrderRecordLine]> {
        self.item.as_ref()?.items.as_deref()
    }

    /// A custom body field (`custbody_*`) by script id.
    pub fn custom_field(&self, name: &str) -> Option<&serde_json::Value> {
        self.other_fields.get(name)
    }

    /// The order as the sync sees it: status, lines with their PO sequence, quantities
    /// and rates as the reviewer left them.
    ///
    /// # Errors
    /// A [`SnapshotError`] listing every problem: a missing `id`, `externalId`,
    /// `status` or `item.items` (a read without `expandSubResources=true`); on a line,
    /// a missing `line`, `item`, `quantity` or `rate`, a quantity that is fractional or
    /// negative, an unreadable sequence or `expectedShipDate`; an unreadable
    /// `lastModifiedDate` or `shipDate`.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::netsuite::SalesOrderRecord;
    /// use avc_order_sync::NetSuiteStatus;
    ///
    /// let record: SalesOrderRecord = serde_json::from_str(r#"{
    ///     "id": "987", "externalId": "AVC-RP-4Z32PABC", "status": "B",
    ///     "item": {"items": [{"line": 1, "item": {"id": "98"}, "quantity": 12.0,
    ///                         "rate": 9.5, "custcol_avc_item_seq": "00001"}]}
    /// }"#)?;
    /// let snapshot = record.to_snapshot()?;
    /// assert_eq!(snapshot.status, NetSuiteStatus::PendingFulfillment);
    /// assert_eq!(snapshot.lines[0].quantity, 12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_snapshot(&self) -> Result<SalesOrderSnapshot, SnapshotError> {
        let mut p = Problems::default();
        let internal_id = p
            .require(present(self.id.as_deref()), "id", None)
            .and_then(|id| p.check(InternalId::new(id), "id", None));
        let external_id = p
            .require(present(self.external_id.as_deref()), "externalId", None)
            .and_then(|id| p.check(ExternalId::new(id), "externalId", None));
        let status = match &self.status {
            None => p.require(None, "status", None),
            Some(value) => p
                .require(present(value.id()), "status.id", None)
                .map(NetSuiteStatus::from_letter),
        };
        let last_modified = self
            .last_modified_date
            .as_deref()
            .and_then(|t| p.check(parse_instant(t), "lastModifiedDate", None));
        let ship_date = self
            .ship_date
            .as_deref()
            .and_then(|text| p.check(date(text), "shipDate", None));
        let lines = p
            .require(self.lines(), "item.items", None)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter_map(|(index, line)| line_snapshot(&mut p, index, line))
            .collect();
        match (internal_id, external_id, status) {
            (Some(internal_id), Some(external_id), Some(status)) if p.0.is_empty() => {
                Ok(SalesOrderSnapshot {
                    internal_id,
                    external_id,
                    tran_id: self.tran_id.clone(),
                    status,
                    last_modified,
                    ship_date,
                    lines,
                })
            }
            _ => Err(SnapshotError {
                record: present(self.id.as_deref())
                    .or(present(self.external_id.as_deref()))
                    .map(excerpt)
                    .unwrap_or_else(|| "<unknown>".into()),
                problems: p.0,
            }),
        }
    }
}

/// A date field that is not `YYYY-MM-DD`; the text is shortened.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a `YYYY-MM-DD` date")]
struct NotADate(String);

/// A `YYYY-MM-DD` date, as NetSuite writes date fields.
fn date(text: &str) -> Result<NaiveDate, NotADate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| NotADate(excerpt(text)))
}

fn line_snapshot(
    p: &mut Problems,
    index: usize,
    line: &SalesOrderRecordLine,
) -> Option<SalesOrderLineSnapshot> {
    let path = |field: &str| format!("item.items[{index}].{field}");
    let key = line.line;
    let line_key = p.require(key, &path("line"), None);
    let item = p
        .require(
            present(line.item.as_ref().and_then(|i| i.id.as_deref())),
            &path("item.id"),
            key,
        )
        .and_then(|id| p.check(InternalId::new(id), &path("item.id"), key));
    let quantity = p
        .require(line.quantity, &path("quantity"), key)
        .and_then(|q| match eaches(&q) {
            Ok(n) => Some(n),
            Err(kind) => {
                p.push(path("quantity"), key, kind);
                None
            }
        });
    let rate = p.require(line.rate, &path("rate"), key);
    let sequence = sequence(p, &path(LINE_SEQUENCE_FIELD), key, line);
    let expected_ship_date = line
        .expected_ship_date
        .as_deref()
        .and_then(|text| p.check(date(text), &path("expectedShipDate"), key));
    Some(SalesOrderLineSnapshot {
        line: line_key?,
        sequence: sequence?,
        item: item?,
        quantity: quantity?,
        rate: rate?,
        is_closed: line.is_closed.unwrap_or(false),
        expected_ship_date,
    })
}

/// A quantity as a whole, non-negative number of eaches.
fn eaches(quantity: &Decimal) -> Result<u64, SnapshotProblemKind> {
    let value = || excerpt(&quantity.to_string());
    if quantity.is_negative() {
        return Err(SnapshotProblemKind::NegativeQuantity { value: value() });
    }
    let whole = quantity.normalized();
    if whole.scale() != 0 {
        return Err(SnapshotProblemKind::FractionalQuantity { value: value() });
    }
    u64::try_from(whole.mantissa()).map_err(|_| SnapshotProblemKind::Invalid {
        reason: format!("`{}` is too large", value()),
    })
}

/// The PO line sequence in [`LINE_SEQUENCE_FIELD`]: `Some(None)` when absent (a line a
/// person added), `None` after recording a problem.
fn sequence(
    p: &mut Problems,
    field: &str,
    key: Option<u64>,
    line: &SalesOrderRecordLine,
) -> Option<Option<ItemSequenceNumber>> {
    match line.other_fields.get(LINE_SEQUENCE_FIELD) {
        None | Some(serde_json::Value::Null) => Some(None),
        Some(serde_json::Value::String(s)) if s.is_empty() => Some(None),
        Some(serde_json::Value::String(s)) => p
            .check(ItemSequenceNumber::new(s.as_str()), field, key)
            .map(Some),
        Some(other) => {
            // A number would have lost the PO's leading zeros ("00001" is not "1").
            p.push(
                field,
                key,
                SnapshotProblemKind::Invalid {
                    reason: format!("expected text, found `{}`", excerpt(&other.to_string())),
                },
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn record(value: serde_json::Value) -> SalesOrderRecord {
        serde_json::from_value(value).unwrap()
    }

    fn base() -> serde_json::Value {
        json!({
            "id": "987",
            "externalId": "AVC-RP-4Z32PABC",
            "tranId": "SO1001",
            "status": {"id": "A", "refName": "Pending Approval"},
            "lastModifiedDate": "2025-03-01T14:22:05Z",
            "shipDate": "2025-03-10",
            "item": {"items": [
                {"line": 1, "item": {"id": "98", "refName": "Widget"}, "quantity": 12,
                 "rate": 9.5, "amount": 114.0, "custcol_avc_item_seq": "00001",
                 "expectedShipDate": "2025-03-10"},
                {"line": 2, "item": {"id": "99"}, "quantity": 3.0, "rate": 1.25,
                 "isClosed": true},
            ]},
        })
    }

    #[test]
    fn a_record_becomes_a_snapshot() {
        let snap = record(base()).to_snapshot().unwrap();
        assert_eq!(snap.internal_id.as_str(), "987");
        assert_eq!(snap.external_id.as_str(), "AVC-RP-4Z32PABC");
        assert_eq!(snap.tran_id.as_deref(), Some("SO1001"));
        assert_eq!(snap.status, NetSuiteStatus::PendingApproval);
        assert_eq!(
            snap.last_modified.unwrap().to_rfc3339(),
            "2025-03-01T14:22:05+00:00"
        );
        assert_eq!(snap.ship_date, NaiveDate::from_ymd_opt(2025, 3, 10));
        let first = &snap.lines[0];
        assert_eq!(first.sequence.as_ref().unwrap().as_str(), "00001");
        assert_eq!(first.quantity, 12);
        assert_eq!(first.rate, "9.50".parse::<Decimal>().unwrap());
        assert_eq!(
            first.expected_ship_date,
            NaiveDate::from_ymd_opt(2025, 3, 10)
        );
        assert!(!first.is_closed);
        let second = &snap.lines[1];
        assert_eq!(second.sequence, None);
        assert_eq!(second.quantity, 3);
        assert!(second.is_closed);
    }

    #[test]
    fn status_is_read_bare_compound_or_as_an_object() {
        for (status, expected) in [
            (json!("B"), NetSuiteStatus::PendingFulfillment),
            (json!("SalesOrd:H"), NetSuiteStatus::Closed),
            (
                json!({"id": "C", "refName": "Cancelled"}),
                NetSuiteStatus::Cancelled,
            ),
            (json!("Z"), NetSuiteStatus::Other("Z".into())),
        ] {
            let mut v = base();
            v["status"] = status;
            assert_eq!(record(v).to_snapshot().unwrap().status, expected);
        }
        let mut v = base();
        v["orderStatus"] = json!("B");
        assert_eq!(record(v).order_status.unwrap().id(), Some("B"));
    }

    #[test]
    fn fractional_and_negative_quantities_are_typed_problems_naming_the_line() {
        let mut v = base();
        v["item"]["items"][0]["quantity"] = json!(12.5);
        v["item"]["items"][1]["quantity"] = json!(-3);
        let err = record(v).to_snapshot().unwrap_err();
        assert_eq!(err.record, "987");
        assert_eq!(
            err.problems,
            vec![
                SnapshotProblem {
                    field: "item.items[0].quantity".into(),
                    line: Some(1),
                    kind: SnapshotProblemKind::FractionalQuantity {
                        value: "12.5".into()
                    },
                },
                SnapshotProblem {
                    field: "item.items[1].quantity".into(),
                    line: Some(2),
                    kind: SnapshotProblemKind::NegativeQuantity { value: "-3".into() },
                },
            ]
        );
        let text = err.to_string();
        assert!(
            text.contains("`item.items[0].quantity` (line 1) is `12.5`, not a whole number"),
            "{text}"
        );
        assert!(
            text.starts_with("sales order 987 cannot be read: "),
            "{text}"
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let v = json!({
            "status": {"refName": "Pending Approval"},
            "lastModifiedDate": "yesterday",
            "shipDate": "10.03.2025",
            "item": {"items": [
                {"item": {"id": "98"}, "quantity": 1, "custcol_avc_item_seq": 1,
                 "expectedShipDate": "03/10/2025"},
            ]},
        });
        let err = record(v).to_snapshot().unwrap_err();
        let fields: Vec<_> = err.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "id",
                "externalId",
                "status.id",
                "lastModifiedDate",
                "shipDate",
                "item.items[0].line",
                "item.items[0].rate",
                "item.items[0].custcol_avc_item_seq",
                "item.items[0].expectedShipDate",
            ]
        );
        assert_eq!(err.record, "<unknown>");
    }

    #[test]
    fn a_read_without_expanded_lines_is_refused() {
        let mut v = base();
        v["item"] = json!({"links": [{"rel": "self", "href": "https://h/salesOrder/987/item"}]});
        let err = record(v).to_snapshot().unwrap_err();
        assert_eq!(err.problems[0].field, "item.items");
        assert_eq!(err.problems[0].kind, SnapshotProblemKind::Missing);
    }

    #[test]
    fn debug_leaves_out_the_values_of_unnamed_fields() {
        let mut v = base();
        v["shippingAddress"] = json!({"addressee": "Jane Consumer", "addr1": "17 Private Lane"});
        v["shipAddress"] = json!("Jane Consumer\n17 Private Lane");
        let shown = format!("{:?}", record(v));
        assert!(
            !shown.contains("Jane") && !shown.contains("Private"),
            "{shown}"
        );
        assert!(shown.contains("shippingAddress"), "{shown}");
    }

    proptest! {
        #[test]
        fn arbitrary_json_into_the_record_parser_never_panics(value in super::super::arbitrary_json()) {
            if let Ok(r) = serde_json::from_value::<SalesOrderRecord>(value.clone()) {
                let _ = r.to_snapshot();
                let _ = format!("{r:?}");
            }
            // The same value as the items of a record, to reach the line conversion.
            let wrapped = json!({"id": "1", "externalId": "X", "status": "B", "item": {"items": [value]}});
            if let Ok(r) = serde_json::from_value::<SalesOrderRecord>(wrapped) {
                let _ = r.to_snapshot();
            }
        }

        #[test]
        fn arbitrary_bytes_into_the_record_parser_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            if let Ok(r) = serde_json::from_slice::<SalesOrderRecord>(&bytes) {
                let _ = r.to_snapshot();
            }
        }

        #[test]
        fn whole_quantities_in_either_spelling_read_exactly(q in 0u32..10_000_000, float in any::<bool>()) {
            let mut v = base();
            v["item"]["items"][0]["quantity"] = if float { json!(f64::from(q)) } else { json!(q) };
            let snap = record(v).to_snapshot().unwrap();
            prop_assert_eq!(snap.lines[0].quantity, u64::from(q));
        }
    }
}
