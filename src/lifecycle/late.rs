//! Orders Amazon listed late: found by a deep sweep of past windows after the
//! retrieval's watermark had passed their date.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::command::{Command, Notice};
use super::record::OrderRecord;

/// How a deep sweep found an order that the regular retrieval never listed: Amazon
/// listed it late (as in its outage of September 2021, when POs shown in Vendor
/// Central were missing from the API for days), so its acknowledgement clock, which
/// runs from the PO date, may already be short.
///
/// # Example
/// ```
/// use avc_order_sync::lifecycle::FoundLate;
///
/// let late = FoundLate {
///     ordered_at: "2026-03-02T08:00:00Z".parse()?,
///     found_at: "2026-03-04T11:30:00Z".parse()?,
/// };
/// assert_eq!(late.late_by(), chrono::TimeDelta::minutes(51 * 60 + 30));
/// assert_eq!(late.late_by_text(), "2 days 3 hours");
/// # Ok::<(), chrono::ParseError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundLate {
    /// The PO date, from which the acknowledgement deadline runs.
    pub ordered_at: DateTime<Utc>,
    /// When the sweep found it.
    pub found_at: DateTime<Utc>,
}

impl FoundLate {
    /// How long after its PO date the order was found (zero for a PO dated later
    /// than it was found, as a clock set back can make it).
    #[must_use]
    pub fn late_by(&self) -> TimeDelta {
        (self.found_at - self.ordered_at).max(TimeDelta::zero())
    }

    /// [`FoundLate::late_by`] for a person: `"45 minutes"`, `"30 hours"`, `"2 days
    /// 3 hours"`.
    #[must_use]
    pub fn late_by_text(&self) -> String {
        duration_text(self.late_by())
    }
}

/// A duration in minutes below an hour, in hours below two days, else in days and
/// hours.
pub(crate) fn duration_text(d: TimeDelta) -> String {
    let minutes = d.num_minutes().max(0);
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if minutes < 60 {
        plural(minutes, "minute")
    } else if minutes < 48 * 60 {
        plural(minutes / 60, "hour")
    } else {
        let hours = minutes / 60;
        match hours % 24 {
            0 => plural(hours / 24, "day"),
            rest => format!("{} {}", plural(hours / 24, "day"), plural(rest, "hour")),
        }
    }
}

impl OrderRecord {
    /// Marks a record just started from an order a deep sweep found, the store not
    /// holding it before ([`OrderRecord::receive_with`] or
    /// [`OrderRecord::receive_acknowledged`]), and adds [`Notice::FoundLate`] to its
    /// first commands: raised once, with the record that starts the order.
    #[must_use]
    pub fn found_by_sweep(
        mut self,
        mut commands: Vec<Command>,
        found_at: DateTime<Utc>,
    ) -> (OrderRecord, Vec<Command>) {
        let late = FoundLate {
            ordered_at: self.purchase_order.ordered_at,
            found_at,
        };
        self.found_late = Some(late);
        commands.push(Command::Notify {
            purchase_order_number: self.purchase_order.number.clone(),
            notice: Notice::FoundLate {
                ordered_at: late.ordered_at,
                found_at,
                deadline: self.acknowledgement_deadline,
            },
            // The transition that started the record: the key stays unique per
            // order, as each notice's slug is its own.
            occurrence: u64::try_from(self.history.len()).unwrap_or(u64::MAX),
        });
        (self, commands)
    }

    /// How a deep sweep found the order, when Amazon listed it late; `None` for an
    /// order the regular retrieval found (and for a record stored before sweeps).
    #[must_use]
    pub fn found_late(&self) -> Option<&FoundLate> {
        self.found_late.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::{Command, Notice, StateKind};
    use crate::testing::fixtures::{retail_po, settings, t};

    #[test]
    fn a_record_found_by_a_sweep_keeps_how_late_and_raises_one_notice() {
        let s = settings();
        let po = retail_po();
        let ordered = po.ordered_at;
        let (record, commands) = OrderRecord::receive(po, t(50), &s);
        let before = commands.len();
        let (record, commands) = record.found_by_sweep(commands, t(50));
        assert_eq!(record.state().kind(), StateKind::ExpectSalesOrderCreated);
        assert_eq!(commands.len(), before + 1);
        let late = record.found_late().copied().unwrap();
        assert_eq!(late.ordered_at, ordered);
        assert_eq!(late.late_by(), t(50) - ordered);
        let Some(Command::Notify { notice, .. }) = commands.last() else {
            panic!("{commands:?}")
        };
        assert_eq!(
            *notice,
            Notice::FoundLate {
                ordered_at: ordered,
                found_at: t(50),
                deadline: record.acknowledgement_deadline(),
            }
        );
        // Kept through the next transitions, and through a round trip.
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["found_late"]["found_at"], "2025-03-03T10:00:00Z");
        let back: OrderRecord = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, record);
        // A record stored before sweeps reads as found by the retrieval, and one the
        // retrieval found writes nothing.
        let mut older = json;
        older.as_object_mut().unwrap().remove("found_late");
        let back: OrderRecord = serde_json::from_value(older).unwrap();
        assert_eq!(back.found_late(), None);
        let (fresh, _) = OrderRecord::receive(retail_po(), t(0), &s);
        assert!(
            serde_json::to_value(fresh)
                .unwrap()
                .get("found_late")
                .is_none()
        );
    }

    #[test]
    fn lateness_reads_in_minutes_hours_or_days() {
        let text = |minutes| duration_text(TimeDelta::minutes(minutes));
        assert_eq!(text(-5), "0 minutes");
        assert_eq!(text(1), "1 minute");
        assert_eq!(text(59), "59 minutes");
        assert_eq!(text(60), "1 hour");
        assert_eq!(text(47 * 60 + 59), "47 hours");
        assert_eq!(text(48 * 60), "2 days");
        assert_eq!(text(73 * 60), "3 days 1 hour");
    }
}
