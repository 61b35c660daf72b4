//! The audit trail of one order: what a vendor attaches to a chargeback dispute.
//!
//! [`AuditTrail::of`] builds it from the order's record, purely: every version of the
//! purchase order Amazon sent with its change stamps, what the reviewer approved
//! against what was ordered, every acknowledgement sent (its time, version, each
//! line's code, quantity and cost, the transaction id and Amazon's answer), the
//! compliance clocks with when each was met, and the order's transitions with their
//! times. Amazon's chargeback disputes must be filed within 30 days, and for
//! unconfirmed units the evidence Amazon asks for is that the ASIN was confirmed on
//! the PO: each acknowledgement line carries the ASIN and vendor SKU of its PO line.
//!
//! The trail holds no consumer data. A Direct Fulfillment order's ship-to (the
//! consumer's name, address and phone), its gift message and Amazon's customer order
//! number are not part of it; the vendor code is the selling party's id.
//!
//! # The JSON shape
//!
//! The trail serializes with serde in camelCase and carries
//! `"schema": "avc-order-sync.audit/1"` ([`AUDIT_SCHEMA`]). Fields may be added under
//! the same schema; none is renamed, removed or changes meaning without a new one.
//! Optional fields are left out when empty. Instants are RFC 3339 in UTC; money is
//! `{"money": {"amount": "9.50", "currency": "USD"}, "basis": "Each"}` with the amount
//! an exact decimal string. The top-level keys:
//!
//! | key | what |
//! |---|---|
//! | `schema` | [`AUDIT_SCHEMA`] |
//! | `program` | `RetailProcurement` or `DirectFulfillment` |
//! | `purchaseOrderNumber`, `vendorCode` | the PO and the selling party's id |
//! | `externalId`, `internalId` | the NetSuite sales order's ids (`internalId` once created) |
//! | `orderedAt` | when Amazon placed the order |
//! | `state`, `status` | the order's state now, and NetSuite Connector's wording for it |
//! | `amazonState` | Amazon's state of the order, as last read |
//! | `purchaseOrderVersions` | [`AuditPurchaseOrderVersion`]s, oldest first |
//! | `approval` | [`AuditApproval`]: who decided, and each line's approved quantity and cost against the order |
//! | `acknowledgements` | [`AuditAcknowledgement`]s, oldest first |
//! | `clocks` | [`ComplianceClocks`]: each clock's time and when it was met |
//! | `history` | [`AuditTransition`]s, oldest first |
//!
//! # The CSV
//!
//! [`AuditTrail::write_csv`] writes the lines as CSV (RFC 4180: comma separated,
//! CRLF line ends, a field with a comma, a quote or a line break quoted and its
//! quotes doubled) under the fixed header [`AUDIT_CSV_HEADER`]: a row for each line of
//! each purchase order version (`row` is `purchaseOrder`), then a row for each line
//! of each acknowledgement (`row` is `acknowledgement`). The columns:
//!
//! | column | purchase order row | acknowledgement row |
//! |---|---|---|
//! | `purchaseOrderNumber`, `program` (`RP`, `DF`), `vendorCode` | the order | the order |
//! | `row` | `purchaseOrder` | `acknowledgement` |
//! | `version` | the version's number, from 1 | the acknowledgement version |
//! | `at` | when the sync took the version in (empty when not known) | when Amazon took it (its transaction began) |
//! | `stampedAt` | Amazon's change stamp (`purchaseOrderChangedDate`), else the order date | the acknowledgement time written in it |
//! | `sequence`, `asin`, `vendorSku` | the line | the PO line it answers |
//! | `code` | `Ordered` | `Accepted`, `Backordered`, `Rejected`; DF status code (`00`, …) |
//! | `eaches` | ordered, in eaches | the part's quantity, in eaches |
//! | `netCost`, `currency`, `costBasis` | Amazon's net cost | the cost confirmed (retail) |
//! | `rejectionReason` | | why, for a rejected retail part |
//! | `transactionId`, `answer`, `answeredAt`, `amazonMessages` | | Amazon's transaction, its answer (`Pending`, `Processing`, `Confirmed`, `Rejected`, `Superseded`), when it came, and a rejection's codes and messages |
//!
//! # Example
//! ```
//! use avc_order_sync::lifecycle::OrderRecord;
//! use avc_order_sync::testing::fixtures::{df_po, settings, t};
//! use avc_order_sync::{AUDIT_CSV_HEADER, AUDIT_SCHEMA, AuditTrail};
//!
//! let settings = settings();
//! let (record, _) = OrderRecord::receive(df_po(), t(1), &settings);
//! let trail = AuditTrail::of(&record, &settings);
//! let json = serde_json::to_value(&trail)?;
//! assert_eq!(json["schema"], AUDIT_SCHEMA);
//! assert_eq!(json["purchaseOrderVersions"][0]["lines"][0]["vendorSku"], "SKU-1");
//! assert!(!json.to_string().contains("Jane Consumer"));
//!
//! let csv = trail.to_csv();
//! assert!(csv.starts_with(&AUDIT_CSV_HEADER.join(",")));
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::io;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::acknowledgement::{AcknowledgementCode, AcknowledgementVersion, df_status};
use crate::compliance::ComplianceClocks;
use crate::ids::{
    Asin, ExternalId, InternalId, ItemSequenceNumber, PartyId, PurchaseOrderNumber, TransactionId,
    VendorSku,
};
use crate::lifecycle::{
    Approval, EventKind, OrderRecord, PurchaseOrderVersion, PurchaseOrderVersionLine, StateKind,
};
use crate::order::{AmazonOrderState, Price, PriceBasis, Program};
use crate::settings::Settings;
use crate::store::OrderKey;
use crate::view::{AcknowledgementAnswer, AcknowledgementView};

/// The audit trail's schema, written in each trail as `schema`.
pub const AUDIT_SCHEMA: &str = "avc-order-sync.audit/1";

/// The CSV header of [`AuditTrail::write_csv`], in column order.
pub const AUDIT_CSV_HEADER: [&str; 20] = [
    "purchaseOrderNumber",
    "program",
    "vendorCode",
    "row",
    "version",
    "at",
    "stampedAt",
    "sequence",
    "asin",
    "vendorSku",
    "code",
    "eaches",
    "netCost",
    "currency",
    "costBasis",
    "rejectionReason",
    "transactionId",
    "answer",
    "answeredAt",
    "amazonMessages",
];

/// One order's audit trail: the evidence for a chargeback dispute, with no consumer
/// data. The shape is stable under [`AUDIT_SCHEMA`] (see [the module](crate::audit)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditTrail {
    /// [`AUDIT_SCHEMA`].
    pub schema: String,
    /// The program.
    pub program: Program,
    /// The PO number.
    pub purchase_order_number: PurchaseOrderNumber,
    /// The vendor code the order is placed with (`sellingParty.partyId`).
    pub vendor_code: PartyId,
    /// The NetSuite sales order's external id, which the sync gave it.
    pub external_id: ExternalId,
    /// The NetSuite sales order's internal id, once NetSuite created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_id: Option<InternalId>,
    /// When Amazon placed the order.
    pub ordered_at: DateTime<Utc>,
    /// The order's state now.
    pub state: StateKind,
    /// NetSuite Connector's wording for the state (`"Order posted, awaiting shipment"`).
    pub status: String,
    /// Amazon's state of the order, as last read.
    pub amazon_state: AmazonOrderState,
    /// Every version of the purchase order Amazon sent, oldest first.
    pub purchase_order_versions: Vec<AuditPurchaseOrderVersion>,
    /// Who decided what the acknowledgement says, and what was approved of each line
    /// against what was ordered.
    pub approval: AuditApproval,
    /// Every acknowledgement sent, oldest first, with Amazon's answer to each.
    pub acknowledgements: Vec<AuditAcknowledgement>,
    /// The compliance clocks: the first acknowledgement's deadline and when it was
    /// met, the update window, the down-confirm cut-off.
    pub clocks: ComplianceClocks,
    /// What Amazon recorded of the confirmed acknowledgement, read once more after it
    /// was confirmed (a retail PO's status report, a Direct Fulfillment order's
    /// state), with every difference from what was sent; absent before it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amazon_recorded: Option<crate::compliance::Reconciliation>,
    /// Every transition of the order, oldest first.
    pub history: Vec<AuditTransition>,
}

/// One version of the purchase order, numbered in the order the sync took them in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditPurchaseOrderVersion {
    /// 1 for the first version the record holds, one more for each after it.
    pub version: u32,
    /// The version: its change stamps, windows and lines.
    #[serde(flatten)]
    pub purchase_order: PurchaseOrderVersion,
}

/// What was approved against what was ordered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditApproval {
    /// Who decided (`Reviewed` for a reviewer's approval in NetSuite,
    /// `AutoAcknowledgement`, …); `None` before anyone did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<Approval>,
    /// The acknowledgement version the approved figures are read from: the latest
    /// one built from the approved sales order. `None` before the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledgement_version: Option<AcknowledgementVersion>,
    /// Each line of the latest purchase order version.
    pub lines: Vec<ApprovedLine>,
}

/// One line's approved quantity and cost against what Amazon ordered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovedLine {
    /// The PO line.
    pub sequence: ItemSequenceNumber,
    /// Its ASIN, when Amazon sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<Asin>,
    /// Its vendor SKU, when Amazon sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_sku: Option<VendorSku>,
    /// What Amazon ordered, in eaches; `None` on overflow.
    pub ordered_eaches: Option<u64>,
    /// Amazon's net cost.
    pub ordered_net_cost: Price,
    /// Eaches accepted (to ship now); `None` before an acknowledgement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_eaches: Option<u64>,
    /// Eaches back-ordered (to ship later); `None` before an acknowledgement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backordered_eaches: Option<u64>,
    /// Eaches rejected; `None` before an acknowledgement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_eaches: Option<u64>,
    /// The net cost confirmed (retail); `None` when the acknowledgement carries none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_net_cost: Option<Price>,
    /// `true` when the approval keeps fewer eaches than ordered, or another cost.
    pub changed: bool,
}

/// An acknowledgement as sent, and Amazon's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditAcknowledgement {
    /// Its version: 1 for the first, one more for each repost.
    pub version: AcknowledgementVersion,
    /// When the vendor acknowledged, as written in it; `None` when the record no
    /// longer holds its body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// When Amazon took it (its transaction began); `None` before, and in a record
    /// stored before the acknowledgement log was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    /// Amazon's transaction id, once Amazon took it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<TransactionId>,
    /// Amazon's answer (`{"kind": "Confirmed", "at": …}`, `Rejected` with Amazon's
    /// codes and messages, `Pending`, `Processing`, `Superseded`).
    pub answer: AcknowledgementAnswer,
    /// Each line's answer.
    pub lines: Vec<AuditAcknowledgementLine>,
}

/// One part of a line's answer in an acknowledgement, with the codes of its PO line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditAcknowledgementLine {
    /// The PO line.
    pub sequence: ItemSequenceNumber,
    /// The PO line's ASIN, when Amazon sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asin: Option<Asin>,
    /// The PO line's vendor SKU, when Amazon sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_sku: Option<VendorSku>,
    /// `Accepted`, `Backordered` or `Rejected` for a retail line; the order's status
    /// code (`00`, …) for a Direct Fulfillment one.
    pub code: String,
    /// The quantity this part covers, in eaches, when it can be told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eaches: Option<u64>,
    /// Why it is rejected, for a rejected retail part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// The cost confirmed for the line, for a retail line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_cost: Option<Price>,
}

/// One transition of the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditTransition {
    /// When it was handled.
    pub at: DateTime<Utc>,
    /// The event.
    pub event: EventKind,
    /// The state before; `None` for the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<StateKind>,
    /// The state after.
    pub to: StateKind,
}

impl AuditTrail {
    /// The audit trail of a record, its clocks under the settings' `compliance`.
    ///
    /// A record stored before the purchase order log was kept shows its current
    /// purchase order as its one version, with no `receivedAt`; one stored before the
    /// acknowledgement log was kept shows the acknowledgements its state still holds.
    #[must_use]
    pub fn of(record: &OrderRecord, settings: &Settings) -> Self {
        let po = record.purchase_order();
        let versions: Vec<PurchaseOrderVersion> = match record.purchase_order_log() {
            [] if po.lines.is_empty() => Vec::new(),
            [] => vec![PurchaseOrderVersion::of(po, None)],
            log => log.to_vec(),
        };
        let acknowledgements: Vec<AuditAcknowledgement> = crate::view::acknowledgements(record)
            .into_iter()
            .map(|view| acknowledgement(view, &versions))
            .collect();
        AuditTrail {
            schema: AUDIT_SCHEMA.to_owned(),
            program: po.program,
            purchase_order_number: po.number.clone(),
            vendor_code: po.selling_party.clone(),
            external_id: record.external_id().clone(),
            internal_id: record.internal_id().cloned(),
            ordered_at: po.ordered_at,
            state: record.state().kind(),
            status: record.status_label().to_owned(),
            amazon_state: po.state.clone(),
            approval: approval(record.approval(), &versions, &acknowledgements),
            acknowledgements,
            clocks: record.compliance_clocks(&settings.compliance),
            amazon_recorded: record.reconciliation().cloned(),
            history: record
                .history()
                .iter()
                .map(|h| AuditTransition {
                    at: h.at,
                    event: h.event,
                    from: h.from,
                    to: h.to,
                })
                .collect(),
            purchase_order_versions: (1..)
                .zip(versions)
                .map(|(version, purchase_order)| AuditPurchaseOrderVersion {
                    version,
                    purchase_order,
                })
                .collect(),
        }
    }

    /// The order's key in the store.
    #[must_use]
    pub fn key(&self) -> OrderKey {
        OrderKey {
            program: self.program,
            number: self.purchase_order_number.clone(),
        }
    }

    /// Writes the trail's CSV rows, without the header ([`write_csv_header`] writes
    /// it once, before the rows of one order or many).
    ///
    /// # Errors
    /// The writer's.
    pub fn write_csv<W: io::Write + ?Sized>(&self, out: &mut W) -> io::Result<()> {
        for row in self.csv_rows() {
            write_csv_row(out, &row)?;
        }
        Ok(())
    }

    /// The trail's CSV: [`AUDIT_CSV_HEADER`] and its rows.
    #[must_use]
    pub fn to_csv(&self) -> String {
        let mut out = Vec::new();
        // Writing to a `Vec` never fails, and every field is a `str`, so UTF-8.
        let _ = write_csv_header(&mut out).and_then(|()| self.write_csv(&mut out));
        String::from_utf8_lossy(&out).into_owned()
    }

    fn csv_rows(&self) -> Vec<[String; AUDIT_CSV_HEADER.len()]> {
        let order = [
            self.purchase_order_number.to_string(),
            self.program.code().to_owned(),
            self.vendor_code.to_string(),
        ];
        let mut rows = Vec::new();
        for version in &self.purchase_order_versions {
            let po = &version.purchase_order;
            let stamped = po.changed_at.unwrap_or(po.ordered_at);
            for line in &po.lines {
                let [amount, currency, basis] = price_columns(Some(&line.net_cost));
                rows.push([
                    order[0].clone(),
                    order[1].clone(),
                    order[2].clone(),
                    "purchaseOrder".to_owned(),
                    version.version.to_string(),
                    time(po.received_at),
                    crate::order::format_instant(&stamped),
                    line.sequence.to_string(),
                    text(line.asin.as_ref()),
                    text(line.vendor_sku.as_ref()),
                    "Ordered".to_owned(),
                    text(line.eaches().as_ref()),
                    amount,
                    currency,
                    basis,
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
        }
        for ack in &self.acknowledgements {
            let (answer, answered_at, messages) = answer_columns(&ack.answer);
            for line in &ack.lines {
                let [amount, currency, basis] = price_columns(line.net_cost.as_ref());
                rows.push([
                    order[0].clone(),
                    order[1].clone(),
                    order[2].clone(),
                    "acknowledgement".to_owned(),
                    ack.version.0.to_string(),
                    time(ack.sent_at),
                    time(ack.acknowledged_at),
                    line.sequence.to_string(),
                    text(line.asin.as_ref()),
                    text(line.vendor_sku.as_ref()),
                    line.code.clone(),
                    text(line.eaches.as_ref()),
                    amount,
                    currency,
                    basis,
                    line.rejection_reason.clone().unwrap_or_default(),
                    text(ack.transaction_id.as_ref()),
                    answer.to_owned(),
                    time(answered_at),
                    messages.clone(),
                ]);
            }
        }
        rows
    }
}

/// A CSV field for an optional value: empty when there is none.
fn text<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// A CSV field for an optional instant, as Amazon writes instants.
fn time(at: Option<DateTime<Utc>>) -> String {
    at.as_ref()
        .map(crate::order::format_instant)
        .unwrap_or_default()
}

/// Writes [`AUDIT_CSV_HEADER`] as a CSV row.
///
/// # Errors
/// The writer's.
pub fn write_csv_header<W: io::Write + ?Sized>(out: &mut W) -> io::Result<()> {
    write_csv_row(out, &AUDIT_CSV_HEADER)
}

/// Writes one CSV row: fields separated by commas, a field with a comma, a quote or
/// a line break quoted with its quotes doubled, and a CRLF at the end (RFC 4180).
fn write_csv_row<W: io::Write + ?Sized, S: AsRef<str>>(
    out: &mut W,
    fields: &[S],
) -> io::Result<()> {
    let mut line = String::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        push_csv_field(&mut line, field.as_ref());
    }
    line.push_str("\r\n");
    out.write_all(line.as_bytes())
}

fn push_csv_field(line: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        line.push('"');
        line.push_str(&field.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(field);
    }
}

fn price_columns(price: Option<&Price>) -> [String; 3] {
    match price {
        None => Default::default(),
        Some(p) => [
            p.money.amount().to_string(),
            p.money.currency().to_string(),
            match p.basis {
                PriceBasis::Each => "Each".to_owned(),
                PriceBasis::Weight(unit) => format!("{unit:?}"),
            },
        ],
    }
}

fn answer_columns(answer: &AcknowledgementAnswer) -> (&'static str, Option<DateTime<Utc>>, String) {
    match answer {
        AcknowledgementAnswer::Pending => ("Pending", None, String::new()),
        AcknowledgementAnswer::Processing { .. } => ("Processing", None, String::new()),
        AcknowledgementAnswer::Confirmed { at } => ("Confirmed", Some(*at), String::new()),
        AcknowledgementAnswer::Rejected { errors, at } => (
            "Rejected",
            *at,
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        ),
        AcknowledgementAnswer::Superseded => ("Superseded", None, String::new()),
    }
}

/// The line `sequence` in the latest version that has it.
fn po_line<'a>(
    versions: &'a [PurchaseOrderVersion],
    sequence: &ItemSequenceNumber,
) -> Option<&'a PurchaseOrderVersionLine> {
    versions
        .iter()
        .rev()
        .find_map(|v| v.lines.iter().find(|l| l.sequence == *sequence))
}

fn acknowledgement(
    view: AcknowledgementView,
    versions: &[PurchaseOrderVersion],
) -> AuditAcknowledgement {
    AuditAcknowledgement {
        version: view.version,
        acknowledged_at: view.acknowledged_at,
        sent_at: view.sent_at,
        transaction_id: view.transaction_id,
        answer: view.answer,
        lines: view
            .lines
            .into_iter()
            .map(|line| {
                let on_po = po_line(versions, &line.sequence);
                AuditAcknowledgementLine {
                    asin: on_po.and_then(|l| l.asin.clone()),
                    vendor_sku: on_po.and_then(|l| l.vendor_sku.clone()),
                    sequence: line.sequence,
                    code: line.code,
                    eaches: line.eaches,
                    rejection_reason: line.rejection_reason,
                    net_cost: line.net_cost,
                }
            })
            .collect(),
    }
}

/// What each part of an acknowledgement line says, as the three quantities.
#[derive(Default)]
struct Kept {
    accepted: Option<u64>,
    backordered: Option<u64>,
    rejected: Option<u64>,
}

fn add(total: &mut Option<u64>, eaches: Option<u64>) {
    *total = total.zip(eaches).and_then(|(t, e)| t.checked_add(e));
}

fn approval(
    decided_by: Option<Approval>,
    versions: &[PurchaseOrderVersion],
    acknowledgements: &[AuditAcknowledgement],
) -> AuditApproval {
    let approved = acknowledgements.iter().rev().find(|a| !a.lines.is_empty());
    let accepted = format!("{:?}", AcknowledgementCode::Accepted);
    let backordered = format!("{:?}", AcknowledgementCode::Backordered);
    let lines = versions
        .last()
        .map(|v| v.lines.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|line| {
            let ordered_eaches = line.eaches();
            let mut kept = Kept::default();
            let mut approved_net_cost = None;
            if let Some(ack) = approved {
                kept = Kept {
                    accepted: Some(0),
                    backordered: Some(0),
                    rejected: Some(0),
                };
                for part in ack.lines.iter().filter(|p| p.sequence == line.sequence) {
                    let code = part.code.as_str();
                    let total = if code == accepted || code == df_status::ACCEPTED {
                        &mut kept.accepted
                    } else if code == backordered {
                        &mut kept.backordered
                    } else {
                        &mut kept.rejected
                    };
                    add(total, part.eaches);
                    approved_net_cost = approved_net_cost.or(part.net_cost);
                }
            }
            let kept_eaches = kept
                .accepted
                .zip(kept.backordered)
                .and_then(|(a, b)| a.checked_add(b));
            let changed = approved.is_some()
                && (kept_eaches != ordered_eaches
                    || approved_net_cost.is_some_and(|c| c != line.net_cost));
            ApprovedLine {
                sequence: line.sequence.clone(),
                asin: line.asin.clone(),
                vendor_sku: line.vendor_sku.clone(),
                ordered_eaches,
                ordered_net_cost: line.net_cost,
                accepted_eaches: kept.accepted,
                backordered_eaches: kept.backordered,
                rejected_eaches: kept.rejected,
                approved_net_cost,
                changed,
            }
        })
        .collect();
    AuditApproval {
        decided_by,
        acknowledgement_version: approved.map(|a| a.version),
        lines,
    }
}

#[cfg(test)]
mod tests;
