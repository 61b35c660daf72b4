//! Amazon's compliance clocks and the rules that cost a vendor chargebacks, as pure
//! functions of a PO's own dates and the [`ComplianceRules`] in the settings.
//!
//! Each rule, with the page that states it (the figures are defaults a setting
//! changes, since Amazon's guidance moves):
//!
//! - **The first acknowledgement** is due 24 hours after the PO
//!   ([`ComplianceRules::first_acknowledgement_hours`]; Amazon, "Submit order
//!   acknowledgement"; Direct Fulfillment alike, "Submit an acknowledgement"). For a
//!   retail PO sent on November 22, November 23, December 25 or January 1 (its date
//!   in UTC) the window is 48 hours ([`ComplianceRules::holiday_dates`],
//!   [`ComplianceRules::holiday_acknowledgement_hours`]; Amazon's holiday guidance as
//!   an EDI vendor relays it).
//! - **Updates** to quantity, price or dates replace the line's earlier
//!   acknowledgement and are expected within 48 hours; after that only ship or
//!   delivery dates ([`ComplianceRules::update_window_hours`]; the Vendor Retail
//!   Procurement FAQ). The window is counted from the PO, as consultants read it
//!   ("within 48 hours … of being issued by vendor central").
//! - **Down confirmed**: units reduced more than five days after the start of the ship
//!   or delivery window cost 3 % of their cost ([`ComplianceRules::down_confirm_days`];
//!   consultants' pages on PO On-Time Accuracy).
//! - **Rejected PO rate**: rejecting more than 20 % of a line's ordered quantity costs
//!   3 % of cost on the units above it, in some categories
//!   ([`RejectionRateGuard`]; consultants' pages on the Rejected PO Rate).
//! - **A first `Rejected` never becomes `Accepted` or `Backordered`** (the Vendor
//!   Retail Procurement FAQ): the acknowledgement rules refuse it before anything
//!   is sent ([`crate::order::ProblemKind::RejectedLineAccepted`]).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::acknowledgement::{Acknowledgement, AcknowledgementCode, AcknowledgementVersion};
use crate::decimal::Decimal;
use crate::ids::{ItemSequenceNumber, PartyId};
use crate::lifecycle::AcceptedLine;
use crate::money::Money;
use crate::order::AmazonOrderState;
use crate::order::{Program, PurchaseOrder};

/// The share of cost a down-confirmed or over-rejected unit is charged, in percent.
pub const CHARGEBACK_PERCENT: u32 = 3;

/// The compliance rules: every clock's length and warning lead time, and the
/// guards that hold an order for a person. The defaults are Amazon's rules as
/// [`crate::compliance`] cites them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ComplianceRules {
    /// Hours after the PO within which the first acknowledgement is due.
    pub first_acknowledgement_hours: u32,
    /// The same for a retail PO sent on one of [`Self::holiday_dates`].
    pub holiday_acknowledgement_hours: u32,
    /// The dates (month and day, of the PO's date in UTC) whose retail POs get
    /// [`Self::holiday_acknowledgement_hours`].
    pub holiday_dates: BTreeSet<MonthDay>,
    /// Hours after the PO within which Amazon takes quantity and price updates.
    pub update_window_hours: u32,
    /// Minutes before the update window closes to warn, while an update may still
    /// be needed.
    pub update_window_warning_minutes: u32,
    /// Days after the start of the ship or delivery window after which lowering
    /// confirmed units is charged as down confirmed.
    pub down_confirm_days: u32,
    /// Minutes before the down-confirm cut-off to warn, while units are confirmed.
    pub down_confirm_warning_minutes: u32,
    /// Send a lowering of confirmed units after the down-confirm cut-off without a
    /// person's confirmation.
    pub allow_late_down_confirm: bool,
    /// The rejection-rate guards; none unless set.
    pub rejection_rate_guards: Vec<RejectionRateGuard>,
    /// Minutes before a backordered line's scheduled date to warn that it needs an
    /// updated date, since Amazon cancels a backorder whose date passes (and charges
    /// the cancelled confirmed units as not filled).
    pub backorder_warning_minutes: u32,
}

impl Default for ComplianceRules {
    fn default() -> Self {
        ComplianceRules {
            first_acknowledgement_hours: 24,
            holiday_acknowledgement_hours: 48,
            holiday_dates: [(11, 22), (11, 23), (12, 25), (1, 1)]
                .into_iter()
                .map(|(month, day)| MonthDay { month, day })
                .collect(),
            update_window_hours: 48,
            update_window_warning_minutes: 240,
            down_confirm_days: 5,
            down_confirm_warning_minutes: 1440,
            allow_late_down_confirm: false,
            rejection_rate_guards: Vec::new(),
            backorder_warning_minutes: 1440,
        }
    }
}

/// A rejection-rate guard: an approval that rejects more than
/// [`Self::max_rejected_percent`] of a line's ordered quantity is held for a person.
///
/// Amazon's PO does not name a product category, so a guard is set per vendor code
/// (the selling party), which a vendor assigns to categories already; `None` guards
/// every vendor code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RejectionRateGuard {
    /// The vendor code it guards; `None` for all.
    #[serde(default)]
    pub vendor_code: Option<PartyId>,
    /// The largest share of a line's ordered quantity rejected without a hold, in
    /// percent (Amazon's threshold is 20).
    #[serde(default = "default_max_rejected_percent")]
    pub max_rejected_percent: u8,
}

fn default_max_rejected_percent() -> u8 {
    20
}

/// A month and a day, written `"MM-DD"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    /// 1 to 12.
    pub month: u8,
    /// 1 to 31.
    pub day: u8,
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

impl FromStr for MonthDay {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a month and day written MM-DD");
        let (m, d) = s.split_once('-').ok_or_else(bad)?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        let day: u8 = d.parse().map_err(|_| bad())?;
        // February 29 is a date some years have.
        if chrono::NaiveDate::from_ymd_opt(2024, u32::from(month), u32::from(day)).is_none() {
            return Err(bad());
        }
        Ok(MonthDay { month, day })
    }
}

impl Serialize for MonthDay {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MonthDay {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

fn after(t: DateTime<Utc>, delta: TimeDelta) -> DateTime<Utc> {
    t.checked_add_signed(delta).unwrap_or(t)
}

fn before(t: DateTime<Utc>, delta: TimeDelta) -> DateTime<Utc> {
    t.checked_sub_signed(delta).unwrap_or(t)
}

impl ComplianceRules {
    /// `true` when a PO of `program` placed at `ordered_at` gets the holiday window.
    #[must_use]
    pub fn is_holiday(&self, program: Program, ordered_at: DateTime<Utc>) -> bool {
        let date = ordered_at.date_naive();
        program == Program::RetailProcurement
            && u8::try_from(date.month())
                .ok()
                .zip(u8::try_from(date.day()).ok())
                .is_some_and(|(month, day)| self.holiday_dates.contains(&MonthDay { month, day }))
    }

    /// When the first acknowledgement of a PO is due.
    #[must_use]
    pub fn first_acknowledgement_due(
        &self,
        program: Program,
        ordered_at: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let hours = if self.is_holiday(program, ordered_at) {
            self.holiday_acknowledgement_hours
        } else {
            self.first_acknowledgement_hours
        };
        after(ordered_at, TimeDelta::hours(i64::from(hours)))
    }

    /// When Amazon stops taking quantity and price updates for a PO.
    #[must_use]
    pub fn update_window_closes(&self, ordered_at: DateTime<Utc>) -> DateTime<Utc> {
        after(
            ordered_at,
            TimeDelta::hours(i64::from(self.update_window_hours)),
        )
    }

    /// After this instant, lowering a retail PO's confirmed units is down confirmed:
    /// [`Self::down_confirm_days`] after its ship window starts (or its delivery
    /// window, for vendor-paid freight). `None` for a Direct Fulfillment order or a
    /// PO with neither window.
    #[must_use]
    pub fn down_confirm_cutoff(&self, po: &PurchaseOrder) -> Option<DateTime<Utc>> {
        if po.program != Program::RetailProcurement {
            return None;
        }
        let start = po
            .ship_window
            .as_ref()
            .or(po.delivery_window.as_ref())?
            .start;
        Some(after(
            start,
            TimeDelta::days(i64::from(self.down_confirm_days)),
        ))
    }

    /// Every clock of a PO. `first_acknowledged_at` is when the first acknowledgement
    /// went to Amazon, if it did.
    #[must_use]
    pub fn clocks(
        &self,
        po: &PurchaseOrder,
        first_acknowledged_at: Option<DateTime<Utc>>,
    ) -> ComplianceClocks {
        let due = self.first_acknowledgement_due(po.program, po.ordered_at);
        let closes = self.update_window_closes(po.ordered_at);
        ComplianceClocks {
            first_acknowledgement: ClockReading {
                at: due,
                warn_at: None,
                met_at: first_acknowledged_at,
            },
            update_window: ClockReading {
                at: closes,
                warn_at: Some(before(
                    closes,
                    TimeDelta::minutes(i64::from(self.update_window_warning_minutes)),
                )),
                met_at: None,
            },
            down_confirm_cutoff: self.down_confirm_cutoff(po).map(|at| ClockReading {
                at,
                warn_at: Some(before(
                    at,
                    TimeDelta::minutes(i64::from(self.down_confirm_warning_minutes)),
                )),
                met_at: None,
            }),
            holiday: self.is_holiday(po.program, po.ordered_at),
        }
    }

    /// The rejection-rate threshold for a vendor code, in percent: the guard for the
    /// code, else the guard for all codes; `None` when no guard applies.
    #[must_use]
    pub fn rejection_threshold(&self, vendor_code: &PartyId) -> Option<u8> {
        let for_code = self
            .rejection_rate_guards
            .iter()
            .find(|g| g.vendor_code.as_ref() == Some(vendor_code));
        for_code
            .or_else(|| {
                self.rejection_rate_guards
                    .iter()
                    .find(|g| g.vendor_code.is_none())
            })
            .map(|g| g.max_rejected_percent)
    }
}

/// A PO's compliance clocks, as the order view and the audit trail show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceClocks {
    /// The first acknowledgement's deadline, and when it was met.
    pub first_acknowledgement: ClockReading,
    /// The end of the window for quantity and price updates.
    pub update_window: ClockReading,
    /// The down-confirm cut-off, for a retail PO with a ship or delivery window.
    pub down_confirm_cutoff: Option<ClockReading>,
    /// `true` when the first acknowledgement has the holiday window.
    pub holiday: bool,
}

/// One clock: when it runs out, when its warning is due, and when it was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockReading {
    /// When it runs out.
    pub at: DateTime<Utc>,
    /// When its warning is due, for a clock warned by its own setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_at: Option<DateTime<Utc>>,
    /// When it was met, for a clock something meets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub met_at: Option<DateTime<Utc>>,
}

impl ClockReading {
    /// `true` once `now` is past the clock and it was not met before it ran out.
    #[must_use]
    pub fn is_missed(&self, now: DateTime<Utc>) -> bool {
        match self.met_at {
            Some(met) => met > self.at,
            None => now > self.at,
        }
    }
}

/// `true` when rejecting `rejected` of `ordered` units rejects more than `percent`
/// of them: 20 of 100 at 20 % does not, 21 does.
#[must_use]
pub fn rejects_more_than(ordered: u64, rejected: u64, percent: u8) -> bool {
    u128::from(rejected) * 100 > u128::from(ordered) * u128::from(percent)
}

/// The units rejected above the `percent` threshold of `ordered`: the units a
/// rejected-PO-rate chargeback is charged on.
#[must_use]
pub fn units_above_threshold(ordered: u64, rejected: u64, percent: u8) -> u64 {
    let allowed = u128::from(ordered) * u128::from(percent) / 100;
    u64::try_from(u128::from(rejected).saturating_sub(allowed)).unwrap_or(u64::MAX)
}

/// What a chargeback of [`CHARGEBACK_PERCENT`] on `units` at `unit_cost` would
/// cost; `None` on overflow.
#[must_use]
pub fn chargeback(unit_cost: &Money, units: u64) -> Option<Money> {
    let units = i64::try_from(units).ok()?;
    let cost = unit_cost.checked_mul_quantity(units).ok()?;
    let share = Decimal::new(i128::from(CHARGEBACK_PERCENT), 2).ok()?;
    let amount = cost.amount().checked_mul(&share).ok()?;
    Some(Money::new(amount, cost.currency()))
}

/// A backordered line of an acknowledgement: the units Amazon counts as confirmed
/// and the date they are scheduled for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Backorder {
    /// The line.
    pub sequence: ItemSequenceNumber,
    /// The units backordered, in the line's unit.
    pub quantity: u64,
    /// The scheduled ship date, else the scheduled delivery date.
    pub scheduled: DateTime<Utc>,
}

/// The backordered lines of a retail acknowledgement that carry a scheduled date, in
/// line order. A Direct Fulfillment acknowledgement has none: it accepts or rejects
/// the whole order.
#[must_use]
pub fn backorders(acknowledgement: &Acknowledgement) -> Vec<Backorder> {
    let Acknowledgement::Retail(ack) = acknowledgement else {
        return Vec::new();
    };
    ack.lines
        .iter()
        .flat_map(|line| {
            line.decisions.iter().filter_map(move |d| {
                let scheduled = d.scheduled_ship_date.or(d.scheduled_delivery_date)?;
                (d.code == AcknowledgementCode::Backordered).then_some(Backorder {
                    sequence: line.sequence.clone(),
                    quantity: d.quantity.amount,
                    scheduled,
                })
            })
        })
        .collect()
}

/// `true` when a retail acknowledgement confirms any units (accepted or
/// backordered): lowering them later can be down confirmed.
#[must_use]
pub fn confirms_units(acknowledgement: &Acknowledgement) -> bool {
    let Acknowledgement::Retail(ack) = acknowledgement else {
        return false;
    };
    ack.lines.iter().flat_map(|l| &l.decisions).any(|d| {
        matches!(
            d.code,
            AcknowledgementCode::Accepted | AcknowledgementCode::Backordered
        ) && d.quantity.amount > 0
    })
}

impl ComplianceRules {
    /// When to warn about a backorder scheduled at `scheduled`.
    #[must_use]
    pub fn backorder_warning_at(&self, scheduled: DateTime<Utc>) -> DateTime<Utc> {
        before(
            scheduled,
            TimeDelta::minutes(i64::from(self.backorder_warning_minutes)),
        )
    }
}

/// What Amazon recorded of a confirmed acknowledgement, read once more after it was
/// confirmed: a retail PO's status report, or a Direct Fulfillment order's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[non_exhaustive]
pub enum AmazonRecord {
    /// The eaches Amazon's status report shows accepted (or backordered) per line.
    Lines {
        /// Every line the report shows, in the PO's order.
        lines: Vec<AcceptedLine>,
    },
    /// A Direct Fulfillment order's state at Amazon.
    Order {
        /// The state.
        state: AmazonOrderState,
    },
    /// What Amazon recorded could not be read.
    Unreadable {
        /// Why, one line.
        reason: String,
    },
}

/// A line (or, for Direct Fulfillment, the whole order) Amazon recorded differently
/// from the acknowledgement it confirmed: both sides, in eaches accepted or
/// backordered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineDrift {
    /// The line; `None` for a Direct Fulfillment order, accepted or rejected whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<ItemSequenceNumber>,
    /// The eaches the acknowledgement accepted.
    pub sent: u64,
    /// The eaches Amazon recorded accepted.
    pub recorded: u64,
}

impl fmt::Display for LineDrift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sequence {
            Some(line) => write!(
                f,
                "line {line} sent {} accepted, Amazon recorded {}",
                self.sent, self.recorded
            ),
            None => write!(
                f,
                "the order sent {}, Amazon recorded it {}",
                if self.sent > 0 {
                    "accepted"
                } else {
                    "rejected"
                },
                if self.recorded > 0 {
                    "accepted"
                } else {
                    "cancelled"
                }
            ),
        }
    }
}

/// The reconciliation of a confirmed acknowledgement with what Amazon recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reconciliation {
    /// The acknowledgement compared.
    pub version: AcknowledgementVersion,
    /// When Amazon's record was read.
    pub read_at: DateTime<Utc>,
    /// What Amazon recorded.
    pub recorded: AmazonRecord,
    /// Every difference; empty when Amazon recorded what was sent.
    pub drift: Vec<LineDrift>,
}

/// The eaches an acknowledgement line accepts or backorders (saturating: a quantity
/// too large to count in eaches counts as the most there can be).
fn confirmed_eaches(line: &crate::acknowledgement::RetailAcknowledgementLine) -> u64 {
    line.decisions
        .iter()
        .filter(|d| d.code != AcknowledgementCode::Rejected)
        .map(|d| d.quantity.eaches().unwrap_or(u64::MAX))
        .fold(0, u64::saturating_add)
}

/// Compares what Amazon recorded with the acknowledgement it confirmed.
///
/// A retail line differs when Amazon's report shows other eaches accepted than the
/// acknowledgement accepted or backordered; a line the report leaves out is not
/// judged (the report could not be read for it). A Direct Fulfillment order differs
/// when Amazon cancelled an order the acknowledgement accepted, or shows accepted
/// one it rejected; an order Amazon still shows new is not judged yet. A record that
/// could not be read has no drift.
#[must_use]
pub fn drift(acknowledgement: &Acknowledgement, recorded: &AmazonRecord) -> Vec<LineDrift> {
    match (acknowledgement, recorded) {
        (Acknowledgement::Retail(ack), AmazonRecord::Lines { lines }) => ack
            .lines
            .iter()
            .filter_map(|line| {
                let at_amazon = lines.iter().find(|l| l.sequence == line.sequence)?;
                let sent = confirmed_eaches(line);
                (sent != at_amazon.eaches).then(|| LineDrift {
                    sequence: Some(line.sequence.clone()),
                    sent,
                    recorded: at_amazon.eaches,
                })
            })
            .collect(),
        (Acknowledgement::DirectFulfillment(ack), AmazonRecord::Order { state }) => {
            let total = ack
                .lines
                .iter()
                .map(|l| l.quantity)
                .fold(0, u64::saturating_add);
            let accepted = ack.status_code == crate::acknowledgement::df_status::ACCEPTED;
            let sent = if accepted { total } else { 0 };
            let recorded = match state {
                AmazonOrderState::Accepted | AmazonOrderState::Shipped => total,
                AmazonOrderState::Cancelled => 0,
                _ => return Vec::new(),
            };
            if sent == recorded {
                Vec::new()
            } else {
                vec![LineDrift {
                    sequence: None,
                    sent,
                    recorded,
                }]
            }
        }
        _ => Vec::new(),
    }
}

mod guards;

pub use guards::check_approval;

#[cfg(test)]
mod tests;
