//! Changes to a sales order NetSuite holds: one patch type, built from two drafts
//! (Amazon changed the PO) or from the order as NetSuite holds it and a draft (a
//! create sent again found it).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::decimal::Decimal;
use crate::ids::{InternalId, ItemSequenceNumber};

use super::{
    NetSuiteStatus, SalesOrderDraft, SalesOrderLineDraft, SalesOrderSnapshot, SalesOrderStatus,
};

/// Changes to apply to an existing sales order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SalesOrderChanges {
    /// Line changes, keyed by the PO line sequence.
    pub lines: Vec<LineChange>,
    /// A new ship date, when it changed.
    pub ship_date: Option<NaiveDate>,
    /// A new approval status (NetSuite's `orderStatus`): Pending Approval while
    /// Amazon's rejection of the acknowledgement stands, Pending Fulfillment when an
    /// operator reposts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<SalesOrderStatus>,
}

impl SalesOrderChanges {
    /// `true` when there is nothing to change.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.ship_date.is_none() && self.status.is_none()
    }

    /// The changes that turn sales order `old`, as it was sent to NetSuite, into
    /// `new`: what Amazon's change to a PO asks of the order NetSuite holds. Lines are
    /// matched by PO line.
    ///
    /// - A line whose item, quantity or rate changed is set, with the draft's
    ///   quantity and rate both; its item is named only when the draft's item changed. A
    ///   change that does not touch the item leaves the line's item as NetSuite holds
    ///   it, since a reviewer may have put a substitute there.
    /// - A line closed in `new` (or dropped from it) is closed; a line closed in
    ///   `old` stays closed, never reopened.
    /// - A line `new` adds is added, unless it is closed: NetSuite never had it.
    /// - The ship date, when it changed to another date.
    #[must_use]
    pub fn between(old: &SalesOrderDraft, new: &SalesOrderDraft) -> SalesOrderChanges {
        let before: BTreeMap<&ItemSequenceNumber, _> =
            old.lines.iter().map(|l| (&l.sequence, l)).collect();
        let mut lines = Vec::new();
        for line in &new.lines {
            match before.get(&line.sequence) {
                // A closed line NetSuite never had needs nothing.
                None if line.is_closed => {}
                None => lines.push(LineChange::Add {
                    line: Box::new(line.clone()),
                }),
                // A line closed stays closed (see `carry_closed_lines`).
                Some(o) if o.is_closed => {}
                Some(_) if line.is_closed => lines.push(LineChange::Close {
                    sequence: line.sequence.clone(),
                }),
                Some(o)
                    if o.item != line.item
                        || o.quantity != line.quantity
                        || o.rate != line.rate =>
                {
                    lines.push(LineChange::Set {
                        sequence: line.sequence.clone(),
                        item: (o.item != line.item).then(|| line.item.clone()),
                        quantity: Some(line.quantity),
                        rate: Some(line.rate),
                    })
                }
                Some(_) => {}
            }
        }
        for line in old.lines.iter().filter(|l| !l.is_closed) {
            if !new.lines.iter().any(|l| l.sequence == line.sequence) {
                lines.push(LineChange::Close {
                    sequence: line.sequence.clone(),
                });
            }
        }
        SalesOrderChanges {
            lines,
            ship_date: (old.ship_date != new.ship_date)
                .then_some(new.ship_date)
                .flatten(),
            status: None,
        }
    }

    /// The changes that bring an existing sales order, as NetSuite holds it, to
    /// `draft`: what a create sent again must do to the order it finds (see
    /// [`crate::NetSuiteApi::upsert_sales_order`]). Empty when NetSuite holds the draft.
    ///
    /// - The approval status, when NetSuite shows the order Pending Approval or
    ///   Pending Fulfillment and the draft says the other one. Past those (cancelled,
    ///   closed, fulfilled) NetSuite no longer lets it be set, and it is left.
    /// - The ship date, when the draft has one and NetSuite holds another or none. A
    ///   draft without one leaves NetSuite's.
    /// - For each draft line NetSuite has (matched by its PO line, the first line
    ///   carrying it): the item, quantity and rate that differ, and a close when the
    ///   draft closes a line NetSuite has open. A line closed in NetSuite is never
    ///   reopened. A new item goes with the draft's quantity and rate, so that the
    ///   price NetSuite may take from the new item does not stay.
    /// - Each draft line NetSuite lacks, as a new line, closed or not as the draft
    ///   has it.
    ///
    /// Lines the draft does not name, among them lines a person added in NetSuite,
    /// are left as they are.
    ///
    /// This differs from [`SalesOrderChanges::between`] in two places, because it
    /// answers another question. `between` carries Amazon's change to an order a
    /// reviewer may have worked on, so it keeps the reviewer's substitute item and
    /// skips a closed line NetSuite never had. `towards` finishes a create whose
    /// answer was lost: the order NetSuite holds must become the draft that was sent,
    /// item and closed lines included, before anyone has reviewed it.
    ///
    /// # Example
    /// ```
    /// use avc_order_sync::{
    ///     NetSuiteStatus, SalesOrderDraft, SalesOrderLineDraft, SalesOrderLineSnapshot,
    ///     SalesOrderSnapshot, SalesOrderStatus, SalesOrderChanges, LineChange,
    /// };
    ///
    /// let line = SalesOrderLineDraft {
    ///     item: "98".parse()?,
    ///     quantity: 12,
    ///     rate: "9.50".parse()?,
    ///     sequence: "1".parse()?,
    ///     description: None,
    ///     is_closed: false,
    ///     custom_fields: Default::default(),
    /// };
    /// let draft = SalesOrderDraft {
    ///     external_id: "AVC-RP-4Z32PABC".parse()?,
    ///     customer: "1234".parse()?,
    ///     subsidiary: None,
    ///     location: None,
    ///     custom_form: None,
    ///     currency: None,
    ///     tran_date: "2025-03-01".parse()?,
    ///     ship_date: "2025-03-12".parse().ok(),
    ///     other_ref_num: "4Z32PABC".parse()?,
    ///     memo: None,
    ///     status: SalesOrderStatus::PendingApproval,
    ///     shipping_address: None,
    ///     lines: vec![line],
    ///     custom_fields: Default::default(),
    /// };
    /// // NetSuite holds the order as first created: 18 eaches, shipping on the 10th.
    /// let held = SalesOrderSnapshot {
    ///     internal_id: "1001".parse()?,
    ///     external_id: draft.external_id.clone(),
    ///     tran_id: None,
    ///     status: NetSuiteStatus::PendingApproval,
    ///     last_modified: None,
    ///     ship_date: "2025-03-10".parse().ok(),
    ///     lines: vec![SalesOrderLineSnapshot {
    ///         line: 1,
    ///         sequence: Some("1".parse()?),
    ///         item: "98".parse()?,
    ///         quantity: 18,
    ///         rate: "9.50".parse()?,
    ///         is_closed: false,
    ///         expected_ship_date: None,
    ///     }],
    /// };
    /// let update = SalesOrderChanges::towards(&held, &draft);
    /// assert_eq!(update.status, None);
    /// assert_eq!(update.ship_date, draft.ship_date);
    /// assert_eq!(
    ///     update.lines,
    ///     [LineChange::Set {
    ///         sequence: "1".parse()?,
    ///         item: None,
    ///         quantity: Some(12),
    ///         rate: None,
    ///     }]
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn towards(snapshot: &SalesOrderSnapshot, draft: &SalesOrderDraft) -> SalesOrderChanges {
        let held_status = match snapshot.status {
            NetSuiteStatus::PendingApproval => Some(SalesOrderStatus::PendingApproval),
            NetSuiteStatus::PendingFulfillment => Some(SalesOrderStatus::PendingFulfillment),
            _ => None,
        };
        let mut changes = SalesOrderChanges {
            status: held_status
                .filter(|held| *held != draft.status)
                .map(|_| draft.status),
            ship_date: draft.ship_date.filter(|d| snapshot.ship_date != Some(*d)),
            lines: Vec::new(),
        };
        for line in &draft.lines {
            let Some(held) = snapshot
                .lines
                .iter()
                .find(|l| l.sequence.as_ref() == Some(&line.sequence))
            else {
                changes.lines.push(LineChange::Add {
                    line: Box::new(line.clone()),
                });
                continue;
            };
            let new_item = held.item != line.item;
            if new_item || held.quantity != line.quantity || held.rate != line.rate {
                changes.lines.push(LineChange::Set {
                    sequence: line.sequence.clone(),
                    item: new_item.then(|| line.item.clone()),
                    quantity: (new_item || held.quantity != line.quantity).then_some(line.quantity),
                    rate: (new_item || held.rate != line.rate).then_some(line.rate),
                });
            }
            if line.is_closed && !held.is_closed {
                changes.lines.push(LineChange::Close {
                    sequence: line.sequence.clone(),
                });
            }
        }
        changes
    }

    /// Closes the lines for `sequences`, and changes nothing else.
    #[must_use]
    pub fn closing(sequences: impl IntoIterator<Item = ItemSequenceNumber>) -> SalesOrderChanges {
        SalesOrderChanges {
            lines: sequences
                .into_iter()
                .map(|sequence| LineChange::Close { sequence })
                .collect(),
            ..SalesOrderChanges::default()
        }
    }
}

/// One line change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change")]
#[non_exhaustive]
pub enum LineChange {
    /// Add a line for a PO line the sales order does not have.
    Add {
        /// The line.
        line: Box<SalesOrderLineDraft>,
    },
    /// Set the line for `sequence`: each field given, and nothing else. A field left
    /// `None` stays as NetSuite holds it; a record stored before the fields were
    /// optional reads with both the quantity and the rate given.
    Set {
        /// The PO line.
        sequence: ItemSequenceNumber,
        /// The new item, only when it changed: a change that does not touch the item
        /// leaves the line's item as NetSuite holds it (a reviewer may have put a
        /// substitute there).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        item: Option<InternalId>,
        /// The quantity in eaches, when it changes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quantity: Option<u64>,
        /// The rate, when it changes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rate: Option<Decimal>,
    },
    /// Close the line for `sequence` (Amazon cancelled it).
    Close {
        /// The PO line.
        sequence: ItemSequenceNumber,
    },
}

/// One PO line's changes in a [`SalesOrderChanges`], merged: what a client writes to
/// the sales-order line that carries the PO line. [`SalesOrderChanges::line_fields`]
/// gives them; a client implementing [`crate::NetSuiteApi::update_sales_order`]
/// writes each field that is set, and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineFields<'a> {
    /// The PO line.
    pub sequence: &'a ItemSequenceNumber,
    /// A new item.
    pub item: Option<&'a InternalId>,
    /// A new quantity in eaches.
    pub quantity: Option<u64>,
    /// A new unit rate.
    pub rate: Option<Decimal>,
    /// Close the line.
    pub close: bool,
}

impl SalesOrderChanges {
    /// The changes to lines the order has, one entry per PO line in the order they
    /// are first named, a set and a close of one line merged.
    #[must_use]
    pub fn line_fields(&self) -> Vec<LineFields<'_>> {
        let mut fields: Vec<LineFields<'_>> = Vec::new();
        for change in &self.lines {
            let (sequence, item, quantity, rate, close) = match change {
                LineChange::Set {
                    sequence,
                    item,
                    quantity,
                    rate,
                } => (sequence, item.as_ref(), *quantity, *rate, false),
                LineChange::Close { sequence } => (sequence, None, None, None, true),
                LineChange::Add { .. } => continue,
            };
            match fields.iter_mut().find(|f| f.sequence == sequence) {
                Some(f) => {
                    f.item = item.or(f.item);
                    f.quantity = quantity.or(f.quantity);
                    f.rate = rate.or(f.rate);
                    f.close |= close;
                }
                None => fields.push(LineFields {
                    sequence,
                    item,
                    quantity,
                    rate,
                    close,
                }),
            }
        }
        fields
    }

    /// The lines to add, in order.
    pub fn added_lines(&self) -> impl Iterator<Item = &SalesOrderLineDraft> {
        self.lines.iter().filter_map(|change| match change {
            LineChange::Add { line } => Some(&**line),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sales_order::SalesOrderLineSnapshot;

    fn draft_line(sequence: &str, item: &str, quantity: u64, rate: &str) -> SalesOrderLineDraft {
        SalesOrderLineDraft {
            item: item.parse().unwrap(),
            quantity,
            rate: rate.parse().unwrap(),
            sequence: sequence.parse().unwrap(),
            description: None,
            is_closed: false,
            custom_fields: Default::default(),
        }
    }

    fn draft(lines: Vec<SalesOrderLineDraft>) -> SalesOrderDraft {
        SalesOrderDraft {
            external_id: "AVC-RP-4Z32PABC".parse().unwrap(),
            customer: "1234".parse().unwrap(),
            subsidiary: None,
            location: None,
            custom_form: None,
            currency: None,
            tran_date: "2025-03-01".parse().unwrap(),
            ship_date: "2025-03-10".parse().ok(),
            other_ref_num: "4Z32PABC".parse().unwrap(),
            memo: None,
            status: SalesOrderStatus::PendingApproval,
            shipping_address: None,
            lines,
            custom_fields: Default::default(),
        }
    }

    /// The order as NetSuite holds it after creating it from `draft`, Pending
    /// Approval. The fixture opens every line (a line NetSuite has closed is a test's
    /// own edit), so the drafts given here must have only open lines.
    fn held(draft: &SalesOrderDraft) -> SalesOrderSnapshot {
        assert!(
            draft.lines.iter().all(|l| !l.is_closed),
            "held takes a draft of open lines; close the snapshot's lines in the test"
        );
        crate::testing::fixtures::sales_order_snapshot(draft, NetSuiteStatus::PendingApproval)
    }

    fn two_lines() -> SalesOrderDraft {
        draft(vec![
            draft_line("1", "98", 12, "9.50"),
            draft_line("2", "99", 10, "4.00"),
        ])
    }

    #[test]
    fn an_order_that_holds_the_draft_needs_nothing() {
        let draft = two_lines();
        let mut snapshot = held(&draft);
        assert!(SalesOrderChanges::towards(&snapshot, &draft).is_empty());
        // The same rate written with another scale, a line a person added, and a line
        // the draft does not name change nothing.
        snapshot.lines[0].rate = "9.5".parse().unwrap();
        snapshot.lines.push(SalesOrderLineSnapshot {
            line: 3,
            sequence: None,
            item: "500".parse().unwrap(),
            quantity: 1,
            rate: Decimal::ZERO,
            is_closed: false,
            expected_ship_date: None,
        });
        snapshot.lines.push(SalesOrderLineSnapshot {
            sequence: Some("7".parse().unwrap()),
            line: 4,
            ..snapshot.lines[1].clone()
        });
        assert!(SalesOrderChanges::towards(&snapshot, &draft).is_empty());
    }

    #[test]
    fn each_line_gets_only_the_fields_that_differ() {
        let before = two_lines();
        let snapshot = held(&before);
        let mut after = before.clone();
        after.lines[0].quantity = 6;
        after.lines[1].rate = "4.25".parse().unwrap();
        let update = SalesOrderChanges::towards(&snapshot, &after);
        assert_eq!(
            update.lines,
            [
                set("1", None, Some(6), None),
                set("2", None, None, Some("4.25"))
            ]
        );
        assert_eq!((update.status, update.ship_date), (None, None));

        // A new item takes the draft's quantity and rate with it.
        let mut moved = before.clone();
        moved.lines[1].item = "100".parse().unwrap();
        let update = SalesOrderChanges::towards(&snapshot, &moved);
        assert_eq!(
            update.lines,
            [set("2", Some("100"), Some(10), Some("4.00"))]
        );
    }

    #[test]
    fn lines_are_closed_and_added_but_never_reopened() {
        let before = two_lines();
        let mut snapshot = held(&before);
        snapshot.lines[1].is_closed = true;
        let mut after = before.clone();
        after.lines[0].is_closed = true;
        after.lines.push(draft_line("3", "100", 8, "1.10"));
        let update = SalesOrderChanges::towards(&snapshot, &after);
        assert_eq!(
            update.lines,
            [
                LineChange::Close {
                    sequence: "1".parse().unwrap()
                },
                LineChange::Add {
                    line: Box::new(after.lines[2].clone())
                },
            ]
        );
        // Closed in NetSuite and closed in the draft: nothing to do.
        let mut closed = after.clone();
        closed.lines[1].is_closed = true;
        closed.lines.truncate(2);
        snapshot.lines[0].is_closed = true;
        assert!(SalesOrderChanges::towards(&snapshot, &closed).is_empty());
    }

    #[test]
    fn the_status_is_set_only_while_netsuite_lets_it_be() {
        let draft = two_lines();
        let mut snapshot = held(&draft);
        let mut approved = draft.clone();
        approved.status = SalesOrderStatus::PendingFulfillment;
        assert_eq!(
            SalesOrderChanges::towards(&snapshot, &approved).status,
            Some(SalesOrderStatus::PendingFulfillment)
        );
        // Re-applying a Pending Approval draft resets an approval, as NetSuite does.
        snapshot.status = NetSuiteStatus::PendingFulfillment;
        assert_eq!(
            SalesOrderChanges::towards(&snapshot, &draft).status,
            Some(SalesOrderStatus::PendingApproval)
        );
        assert_eq!(
            SalesOrderChanges::towards(&snapshot, &approved).status,
            None
        );
        for past in [
            NetSuiteStatus::Cancelled,
            NetSuiteStatus::Closed,
            NetSuiteStatus::PartiallyFulfilled,
            NetSuiteStatus::Billed,
            NetSuiteStatus::Other("Z".into()),
        ] {
            snapshot.status = past;
            assert!(SalesOrderChanges::towards(&snapshot, &approved).is_empty());
        }
    }

    #[test]
    fn a_ship_date_is_set_when_the_draft_has_another_one() {
        let draft = two_lines();
        let mut snapshot = held(&draft);
        let mut later = draft.clone();
        later.ship_date = "2025-03-12".parse().ok();
        assert_eq!(
            SalesOrderChanges::towards(&snapshot, &later).ship_date,
            later.ship_date
        );
        snapshot.ship_date = None;
        assert_eq!(
            SalesOrderChanges::towards(&snapshot, &later).ship_date,
            later.ship_date
        );
        // A draft without one leaves NetSuite's.
        let mut none = draft.clone();
        none.ship_date = None;
        snapshot.ship_date = draft.ship_date;
        assert!(SalesOrderChanges::towards(&snapshot, &none).is_empty());
    }

    fn set(
        sequence: &str,
        item: Option<&str>,
        quantity: Option<u64>,
        rate: Option<&str>,
    ) -> LineChange {
        LineChange::Set {
            sequence: sequence.parse().unwrap(),
            item: item.map(|i| i.parse().unwrap()),
            quantity,
            rate: rate.map(|r| r.parse().unwrap()),
        }
    }

    #[test]
    fn changes_with_a_ship_date_alone_are_not_empty() {
        assert!(SalesOrderChanges::default().is_empty());
        let dated = SalesOrderChanges {
            ship_date: "2025-03-12".parse().ok(),
            ..SalesOrderChanges::default()
        };
        assert!(!dated.is_empty());
    }

    #[test]
    fn a_reviewers_substitute_survives_amazons_change_but_not_a_create_sent_again() {
        // NetSuite holds line 2 with a substitute a reviewer put there.
        let sent = two_lines();
        let mut snapshot = held(&sent);
        snapshot.lines[1].item = "777".parse().unwrap();
        // Amazon lowers line 2: between the drafts, the item did not change.
        let mut lowered = sent.clone();
        lowered.lines[1].quantity = 4;
        assert_eq!(
            SalesOrderChanges::between(&sent, &lowered).lines,
            [set("2", None, Some(4), Some("4.00"))]
        );
        // A create sent again brings the order to the draft, item included.
        assert_eq!(
            SalesOrderChanges::towards(&snapshot, &sent).lines,
            [set("2", Some("99"), Some(10), Some("4.00"))]
        );
        // Amazon moving the line to another item names it either way.
        let mut moved = sent.clone();
        moved.lines[1].item = "100".parse().unwrap();
        assert_eq!(
            SalesOrderChanges::between(&sent, &moved).lines,
            [set("2", Some("100"), Some(10), Some("4.00"))]
        );
    }

    #[test]
    fn a_closed_line_netsuite_never_had_is_added_only_by_a_create_sent_again() {
        let sent = two_lines();
        let snapshot = held(&sent);
        let mut cut = sent.clone();
        let mut third = draft_line("3", "100", 8, "1.10");
        third.is_closed = true;
        cut.lines.push(third.clone());
        assert!(SalesOrderChanges::between(&sent, &cut).is_empty());
        assert_eq!(
            SalesOrderChanges::towards(&snapshot, &cut).lines,
            [LineChange::Add {
                line: Box::new(third)
            }]
        );
    }

    #[test]
    fn a_set_and_a_close_of_one_line_are_written_as_one_line() {
        let sent = two_lines();
        let snapshot = held(&sent);
        let mut after = sent.clone();
        after.lines[0].quantity = 6;
        after.lines[0].is_closed = true;
        after.lines.push(draft_line("3", "100", 8, "1.10"));
        let changes = SalesOrderChanges::towards(&snapshot, &after);
        let sequence: ItemSequenceNumber = "1".parse().unwrap();
        assert_eq!(
            changes.line_fields(),
            [LineFields {
                sequence: &sequence,
                item: None,
                quantity: Some(6),
                rate: None,
                close: true,
            }]
        );
        assert_eq!(changes.added_lines().collect::<Vec<_>>(), [&after.lines[2]]);
    }
}
