//! One order as an operator sees it, and its line in a list.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{IndexEntry, VIEW_SCHEMA_VERSION};
use crate::acknowledgement::{Acknowledgement, AcknowledgementVersion};
use crate::client::ServiceMessage;
use crate::compliance::{ComplianceClocks, ComplianceRules};
use crate::ids::{ExternalId, InternalId, ItemSequenceNumber, TransactionId};
use crate::lifecycle::{EventKind, OrderRecord, OrderState, StateKind};
use crate::order::{AmazonOrderState, Price};
use crate::store::{OrderKey, StoredOrder};

/// One order's line in a list: its state, typed and in NetSuite Connector's words,
/// and why it needs a person, if it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderSummary {
    /// [`VIEW_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The order.
    pub key: OrderKey,
    /// Its state.
    pub state: StateKind,
    /// NetSuite Connector's wording for it (`"Waiting for approval"`).
    pub status: String,
    /// `true` when a person must act ([`super::StatusGroup::NeedsAttention`]).
    pub needs_attention: bool,
    /// Why the order waits for a person, or how it ended.
    pub reason: Option<String>,
    /// The NetSuite sales order, once created.
    pub internal_id: Option<InternalId>,
    /// When the sync first stored it.
    pub created_at: DateTime<Utc>,
    /// When it last changed state.
    pub changed_at: DateTime<Utc>,
}

impl OrderSummary {
    /// The summary of a stored order.
    #[must_use]
    pub fn of(key: &OrderKey, record: &OrderRecord) -> Self {
        let index = IndexEntry::of(key, record);
        OrderSummary {
            schema_version: VIEW_SCHEMA_VERSION,
            key: key.clone(),
            state: index.state,
            status: record.status_label().to_owned(),
            needs_attention: super::StatusGroup::NeedsAttention.contains(index.state),
            reason: record.reason(),
            internal_id: record.internal_id().cloned(),
            created_at: index.created_at,
            changed_at: index.changed_at,
        }
    }
}

/// Everything an operator needs to know of one order, for a page or a tool. Holds no
/// personal data: a Direct Fulfillment order's ship-to is not part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    /// The order's line: state, wording, reason, ids and times.
    #[serde(flatten)]
    pub summary: OrderSummary,
    /// The sales order's external id, which the sync gave it.
    pub external_id: ExternalId,
    /// Amazon's state of the order, as last read.
    pub amazon_state: AmazonOrderState,
    /// When Amazon placed the order.
    pub ordered_at: DateTime<Utc>,
    /// The first acknowledgement's deadline: 24 hours, or the holiday window.
    pub acknowledgement_deadline: DateTime<Utc>,
    /// Every compliance clock: the first acknowledgement's deadline and when it was
    /// met, the update window, the down-confirm cut-off
    /// ([`crate::compliance::ComplianceClocks`]).
    pub clocks: ComplianceClocks,
    /// Every acknowledgement sent, oldest first, with Amazon's answer to each
    /// ([`OrderRecord::acknowledgement_log`]). A record stored before the log was kept
    /// shows the one Amazon confirmed last and the one out or rejected now.
    pub acknowledgements: Vec<AcknowledgementView>,
    /// The confirmed acknowledgement's backordered lines with their dates: Amazon
    /// cancels a backorder whose date passes, so a person updates the line's
    /// expected ship date in NetSuite and reposts (the Repost action) to send it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backorders: Vec<crate::compliance::Backorder>,
    /// What Amazon recorded of the confirmed acknowledgement, read once more after
    /// it was confirmed, and every difference from what was sent (drift).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconciliation: Option<crate::compliance::Reconciliation>,
    /// Every transition, oldest first.
    pub history: Vec<HistoryView>,
    /// How a deep sweep found the order, when Amazon listed it late; left out for an
    /// order the regular retrieval found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found_late: Option<FoundLateView>,
}

/// How a deep sweep found an order Amazon listed late
/// ([`crate::lifecycle::FoundLate`]): its acknowledgement clock, which runs from the PO
/// date, was already running when the sync first saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FoundLateView {
    /// When the sweep found it.
    pub found_at: DateTime<Utc>,
    /// How long after its PO date, in whole minutes.
    pub late_by_minutes: i64,
    /// The same, for a person (`"2 days 3 hours"`).
    pub late_by: String,
}

/// An acknowledgement as sent, and Amazon's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcknowledgementView {
    /// Its version: 1 for the first, one more for each repost.
    pub version: AcknowledgementVersion,
    /// When the vendor acknowledged, as written in it; `None` for one Amazon
    /// rejected, whose body the record no longer holds.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Each line's answer; empty for one Amazon rejected, in a record stored before
    /// the acknowledgement log was kept.
    pub lines: Vec<AcknowledgementLineView>,
    /// When Amazon took it (its transaction began); `None` before, and in a record
    /// stored before the acknowledgement log was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    /// Amazon's transaction id, once Amazon took it; kept after Amazon's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<TransactionId>,
    /// Amazon's answer so far.
    pub answer: AcknowledgementAnswer,
}

/// One part of a line's answer in an acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcknowledgementLineView {
    /// The PO line.
    pub sequence: ItemSequenceNumber,
    /// `Accepted`, `Backordered` or `Rejected` for a retail line; the order's status
    /// code (`00`, `01`, ...) for a Direct Fulfillment one.
    pub code: String,
    /// The quantity this part covers, in eaches, when it can be told.
    pub eaches: Option<u64>,
    /// Why it is rejected, for a rejected retail part.
    pub rejection_reason: Option<String>,
    /// The cost confirmed for the line, for a retail line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_cost: Option<Price>,
}

/// What Amazon made of an acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum AcknowledgementAnswer {
    /// Built and not yet sent, or sent and not yet taken.
    Pending,
    /// Amazon took it; its transaction is being processed.
    Processing {
        /// Amazon's transaction id.
        transaction_id: TransactionId,
    },
    /// Amazon confirmed it.
    Confirmed {
        /// When the confirmation was handled.
        at: DateTime<Utc>,
    },
    /// Amazon rejected it, with its reasons as sent.
    Rejected {
        /// Amazon's codes and messages.
        errors: Vec<ServiceMessage>,
        /// When the rejection was handled; `None` in a record stored before the
        /// acknowledgement log was kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<DateTime<Utc>>,
    },
    /// A later version replaced it before Amazon judged it (Amazon refused a
    /// transaction it shared with others, and it went out again in a smaller one).
    Superseded,
}

impl AcknowledgementAnswer {
    /// `true` while Amazon's answer may still come.
    #[must_use]
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            AcknowledgementAnswer::Pending | AcknowledgementAnswer::Processing { .. }
        )
    }
}

/// One transition of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryView {
    /// When it was handled.
    pub at: DateTime<Utc>,
    /// The event.
    pub event: EventKind,
    /// The state before; `None` for the first.
    pub from: Option<StateKind>,
    /// The state after.
    pub to: StateKind,
    /// NetSuite Connector's wording for the state after.
    pub status: String,
}

impl OrderView {
    /// The view of a stored order, its clocks under `rules` (the settings'
    /// `compliance`).
    #[must_use]
    pub fn of(key: &OrderKey, stored: &StoredOrder, rules: &ComplianceRules) -> Self {
        let record = &stored.record;
        let po = record.purchase_order();
        OrderView {
            summary: OrderSummary::of(key, record),
            external_id: record.external_id().clone(),
            amazon_state: po.state.clone(),
            ordered_at: po.ordered_at,
            acknowledgement_deadline: record.acknowledgement_deadline(),
            clocks: record.compliance_clocks(rules),
            acknowledgements: acknowledgements(record),
            backorders: record
                .confirmed_acknowledgement()
                .map(|c| crate::compliance::backorders(&c.acknowledgement))
                .unwrap_or_default(),
            reconciliation: record.reconciliation().cloned(),
            history: record
                .history()
                .iter()
                .map(|h| HistoryView {
                    at: h.at,
                    event: h.event,
                    from: h.from,
                    to: h.to,
                    status: h.to.connector_status().to_owned(),
                })
                .collect(),
            found_late: record.found_late().map(|late| FoundLateView {
                found_at: late.found_at,
                late_by_minutes: late.late_by().num_minutes(),
                late_by: late.late_by_text(),
            }),
        }
    }
}

/// The acknowledgements of a record: its log, or for a record stored before the log
/// was kept, the ones its state still holds.
pub(crate) fn acknowledgements(record: &OrderRecord) -> Vec<AcknowledgementView> {
    let log = record.acknowledgement_log();
    if !log.is_empty() {
        return log.to_vec();
    }
    let mut out = Vec::new();
    if let Some(confirmed) = record.confirmed_acknowledgement() {
        out.push(AcknowledgementView::of(
            confirmed.version,
            &confirmed.acknowledgement,
            AcknowledgementAnswer::Confirmed {
                at: confirmed.confirmed_at,
            },
        ));
    }
    let version = record.acknowledgement_version();
    let now = match (record.state().unheld(), version) {
        (OrderState::ExpectAcknowledgementSubmitted { acknowledgement }, Some(v)) => Some(
            AcknowledgementView::of(v, acknowledgement, AcknowledgementAnswer::Pending),
        ),
        (
            OrderState::ExpectAcknowledgementConfirmation {
                acknowledgement,
                transaction_id,
                ..
            },
            Some(v),
        ) => Some(AcknowledgementView {
            transaction_id: Some(transaction_id.clone()),
            ..AcknowledgementView::of(
                v,
                acknowledgement,
                AcknowledgementAnswer::Processing {
                    transaction_id: transaction_id.clone(),
                },
            )
        }),
        (
            OrderState::ExpectRepost {
                errors, version, ..
            },
            _,
        ) => Some(AcknowledgementView {
            version: *version,
            acknowledged_at: None,
            lines: Vec::new(),
            sent_at: None,
            transaction_id: None,
            answer: AcknowledgementAnswer::Rejected {
                errors: errors.clone(),
                at: None,
            },
        }),
        _ => None,
    };
    out.extend(now.filter(|n| out.iter().all(|o| o.version != n.version)));
    out
}

impl AcknowledgementView {
    /// The view of `acknowledgement`, sent as `version`, with Amazon's `answer`.
    #[must_use]
    pub fn of(
        version: AcknowledgementVersion,
        acknowledgement: &Acknowledgement,
        answer: AcknowledgementAnswer,
    ) -> Self {
        let (acknowledged_at, lines) = match acknowledgement {
            Acknowledgement::Retail(a) => (
                a.acknowledged_at,
                a.lines
                    .iter()
                    .flat_map(|line| {
                        line.decisions.iter().map(|d| AcknowledgementLineView {
                            sequence: line.sequence.clone(),
                            code: format!("{:?}", d.code),
                            eaches: d.quantity.eaches(),
                            rejection_reason: d.rejection_reason.map(|r| format!("{r:?}")),
                            net_cost: Some(line.net_cost),
                        })
                    })
                    .collect(),
            ),
            Acknowledgement::DirectFulfillment(a) => (
                a.acknowledged_at,
                a.lines
                    .iter()
                    .map(|line| AcknowledgementLineView {
                        sequence: line.sequence.clone(),
                        code: a.status_code.clone(),
                        eaches: Some(line.quantity),
                        rejection_reason: None,
                        net_cost: None,
                    })
                    .collect(),
            ),
        };
        AcknowledgementView {
            version,
            acknowledged_at: Some(acknowledged_at),
            lines,
            sent_at: None,
            transaction_id: None,
            answer,
        }
    }
}
