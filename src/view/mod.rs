//! The operator's view: status groups as NetSuite Connector's filters name them,
//! filtered and paged queries over the store, and one order's view.
//!
//! Everything here is pure. A store answers a query from an index it keeps beside each
//! record: the columns of [`IndexEntry`], computed by [`IndexEntry::of`] on every save,
//! so a page of 100 costs the same from a store of a thousand orders as from one of a
//! hundred thousand. The engine then loads only the page's records
//! ([`crate::Engine::orders`]).
//!
//! The serialized shapes ([`OrderView`], [`OrderSummary`], [`OrderPage`]) are stable
//! and versioned by [`VIEW_SCHEMA_VERSION`]: fields may be added, none is renamed or
//! removed without a new version.

mod html;
mod order;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::lifecycle::{OrderRecord, StateKind};
use crate::order::Program;
use crate::store::OrderKey;

pub use html::{ActionKind, Dashboard, DashboardRequest, escape_html};
pub(crate) use order::acknowledgements;
pub use order::{
    AcknowledgementAnswer, AcknowledgementLineView, AcknowledgementView, FoundLateView,
    HistoryView, OrderSummary, OrderView,
};

/// The version of the views' JSON shape, written in each as `schemaVersion`.
pub const VIEW_SCHEMA_VERSION: u32 = 1;

/// The most orders one page holds; a larger request is cut to it.
pub const MAX_PAGE_SIZE: usize = 500;

/// A filter on the order's state, as NetSuite Connector's dashboard offers them (All,
/// Open, Error, Complete, Canceled, Held, and for Vendor Central: Waiting for approval,
/// Waiting for response from Amazon, Rejected), and "needs attention".
///
/// Each group is a set of [`StateKind`]s ([`StatusGroup::states`]), so a store indexes
/// the state alone and every group is a union of its index's ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StatusGroup {
    /// Every order.
    All,
    /// Orders on their way: neither ended, held, nor waiting for a person other than
    /// the reviewer.
    Open,
    /// Orders a failure stopped: an error posting to NetSuite or Amazon, an unreadable
    /// order, a change Amazon made after the acknowledgement that needs a review.
    Error,
    /// Orders NetSuite closed ("Complete").
    Complete,
    /// Orders Amazon or an operator cancelled.
    Canceled,
    /// Orders an operator held.
    Held,
    /// Sales orders waiting in Pending Approval.
    WaitingForApproval,
    /// Acknowledgements sent, Amazon's answer not yet in.
    WaitingForAmazon,
    /// Acknowledgements Amazon rejected, waiting to be updated and reposted.
    Rejected,
    /// Every order a person must act on: [`StatusGroup::Error`] and
    /// [`StatusGroup::Rejected`].
    NeedsAttention,
}

const OPEN: &[StateKind] = &[
    StateKind::ExpectSalesOrderCreated,
    StateKind::ExpectApproval,
    StateKind::ExpectSalesOrderRead,
    StateKind::ExpectAcknowledgementSubmitted,
    StateKind::ExpectAcknowledgementConfirmation,
    StateKind::ExpectShipment,
    StateKind::ExpectSalesOrderUpdated,
    StateKind::ExpectSalesOrderClosed,
];
const ERROR: &[StateKind] = &[StateKind::ExpectFix, StateKind::ExpectChangeReview];
const ATTENTION: &[StateKind] = &[
    StateKind::ExpectFix,
    StateKind::ExpectChangeReview,
    StateKind::ExpectRepost,
];

impl StatusGroup {
    /// Every group, in the dashboard's order.
    pub const ALL: [StatusGroup; 10] = [
        StatusGroup::All,
        StatusGroup::Open,
        StatusGroup::Error,
        StatusGroup::Complete,
        StatusGroup::Canceled,
        StatusGroup::Held,
        StatusGroup::WaitingForApproval,
        StatusGroup::WaitingForAmazon,
        StatusGroup::Rejected,
        StatusGroup::NeedsAttention,
    ];

    /// The states in the group.
    #[must_use]
    pub fn states(self) -> &'static [StateKind] {
        match self {
            StatusGroup::All => StateKind::ALL,
            StatusGroup::Open => OPEN,
            StatusGroup::Error => ERROR,
            StatusGroup::Complete => &[StateKind::Closed],
            StatusGroup::Canceled => &[StateKind::Cancelled],
            StatusGroup::Held => &[StateKind::Held],
            StatusGroup::WaitingForApproval => &[StateKind::ExpectApproval],
            StatusGroup::WaitingForAmazon => &[StateKind::ExpectAcknowledgementConfirmation],
            StatusGroup::Rejected => &[StateKind::ExpectRepost],
            StatusGroup::NeedsAttention => ATTENTION,
        }
    }

    /// `true` when an order in `state` is in the group.
    #[must_use]
    pub fn contains(self, state: StateKind) -> bool {
        self.states().contains(&state)
    }

    /// The filter's name on the dashboard.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            StatusGroup::All => "All",
            StatusGroup::Open => "Open",
            StatusGroup::Error => "Error",
            StatusGroup::Complete => "Complete",
            StatusGroup::Canceled => "Canceled",
            StatusGroup::Held => "Held",
            StatusGroup::WaitingForApproval => "Waiting for approval",
            StatusGroup::WaitingForAmazon => "Waiting for response from Amazon",
            StatusGroup::Rejected => "Rejected",
            StatusGroup::NeedsAttention => "Needs attention",
        }
    }

    /// The group's name in URLs and JSON (`waitingForApproval`).
    #[must_use]
    pub const fn slug(self) -> &'static str {
        match self {
            StatusGroup::All => "all",
            StatusGroup::Open => "open",
            StatusGroup::Error => "error",
            StatusGroup::Complete => "complete",
            StatusGroup::Canceled => "canceled",
            StatusGroup::Held => "held",
            StatusGroup::WaitingForApproval => "waitingForApproval",
            StatusGroup::WaitingForAmazon => "waitingForAmazon",
            StatusGroup::Rejected => "rejected",
            StatusGroup::NeedsAttention => "needsAttention",
        }
    }

    /// The group a [`StatusGroup::slug`] names.
    #[must_use]
    pub fn from_slug(slug: &str) -> Option<StatusGroup> {
        StatusGroup::ALL.into_iter().find(|g| g.slug() == slug)
    }
}

/// Which of an order's times a query filters and sorts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TimeField {
    /// When the sync first stored the order.
    Created,
    /// When the order last changed state (its latest history entry).
    #[default]
    Changed,
}

/// Which orders a query asks for. Pages are sorted by the [`TimeField`], newest first,
/// then by key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderFilter {
    /// The status group.
    pub group: StatusGroup,
    /// One program only, or both.
    pub program: Option<Program>,
    /// The time the range and the sort are on.
    pub time: TimeField,
    /// Orders at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Orders before this time.
    pub until: Option<DateTime<Utc>>,
}

impl OrderFilter {
    /// Every order of `group`, of both programs, at any time, by change.
    #[must_use]
    pub fn group(group: StatusGroup) -> Self {
        OrderFilter {
            group,
            program: None,
            time: TimeField::Changed,
            from: None,
            until: None,
        }
    }

    /// `true` when the order an index entry describes passes the filter.
    #[must_use]
    pub fn matches(&self, entry: &IndexEntry) -> bool {
        let at = entry.time(self.time);
        self.group.contains(entry.state)
            && self.program.is_none_or(|p| p == entry.key.program)
            && self.from.is_none_or(|from| at >= from)
            && self.until.is_none_or(|until| at < until)
    }
}

/// Where a page starts: after the last order of the page before, by the sort's time
/// and key. A token stays valid while orders change: an order that moves is found at
/// its new place, never twice on one walk through the pages unless it changed meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageToken {
    /// The last order's time.
    pub at: DateTime<Utc>,
    /// The last order.
    pub key: OrderKey,
}

/// One page of a query: how many orders and where to start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageRequest {
    /// The most orders on the page, at most [`MAX_PAGE_SIZE`].
    pub limit: usize,
    /// After the page that ended here; `None` for the first page.
    pub after: Option<PageToken>,
}

impl PageRequest {
    /// The first page of `limit` orders.
    #[must_use]
    pub fn first(limit: usize) -> Self {
        PageRequest { limit, after: None }
    }

    /// The limit, cut to [`MAX_PAGE_SIZE`].
    #[must_use]
    pub fn size(&self) -> usize {
        self.limit.min(MAX_PAGE_SIZE)
    }

    /// `true` when an entry sorts after the page's start: an earlier time, or the same
    /// time and a later key.
    #[must_use]
    pub fn starts_before(&self, at: DateTime<Utc>, key: &OrderKey) -> bool {
        self.after
            .as_ref()
            .is_none_or(|t| at < t.at || (at == t.at && *key > t.key))
    }
}

/// The columns a store keeps beside each record for queries, computed from the record
/// by [`IndexEntry::of`] on every save.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexEntry {
    /// The order.
    pub key: OrderKey,
    /// Its state.
    pub state: StateKind,
    /// When the sync first stored it.
    pub created_at: DateTime<Utc>,
    /// When it last changed state.
    pub changed_at: DateTime<Utc>,
}

impl IndexEntry {
    /// The index columns of a record.
    #[must_use]
    pub fn of(key: &OrderKey, record: &OrderRecord) -> Self {
        let history = record.history();
        let first = history
            .first()
            .map_or(record.purchase_order().ordered_at, |h| h.at);
        let last = history.last().map_or(first, |h| h.at);
        IndexEntry {
            key: key.clone(),
            state: record.state().kind(),
            created_at: first,
            changed_at: last,
        }
    }

    /// The entry's time for a sort on `field`.
    #[must_use]
    pub fn time(&self, field: TimeField) -> DateTime<Utc> {
        match field {
            TimeField::Created => self.created_at,
            TimeField::Changed => self.changed_at,
        }
    }
}

/// The orders of one page, as a store answers: their index entries, sorted, and the
/// token of the next page when there may be one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IndexPage {
    /// The page's entries, newest first.
    pub entries: Vec<IndexEntry>,
    /// Where the next page starts; `None` after the last.
    pub next: Option<PageToken>,
}

/// The page of a filter over entries in any order: what a store without an index of
/// its own answers, and the rule every store's answer must agree with.
#[must_use]
pub fn page_of<'a>(
    entries: impl IntoIterator<Item = &'a IndexEntry>,
    filter: &OrderFilter,
    page: &PageRequest,
) -> IndexPage {
    let mut found: Vec<&IndexEntry> = entries
        .into_iter()
        .filter(|e| filter.matches(e) && page.starts_before(e.time(filter.time), &e.key))
        .collect();
    found.sort_by(|a, b| sort_order(a, b, filter.time));
    finish_page(found.into_iter().cloned(), filter.time, page.size())
}

/// The sort of a page: newest first, then by key.
pub(crate) fn sort_order(a: &IndexEntry, b: &IndexEntry, field: TimeField) -> std::cmp::Ordering {
    b.time(field)
        .cmp(&a.time(field))
        .then_with(|| a.key.cmp(&b.key))
}

/// Takes `size` entries of sorted ones, with the next page's token when one more is
/// there.
pub(crate) fn finish_page(
    sorted: impl Iterator<Item = IndexEntry>,
    field: TimeField,
    size: usize,
) -> IndexPage {
    let mut entries: Vec<IndexEntry> = sorted.take(size.saturating_add(1)).collect();
    let more = entries.len() > size;
    entries.truncate(size);
    let next = if more {
        entries.last().map(|e| PageToken {
            at: e.time(field),
            key: e.key.clone(),
        })
    } else {
        None
    };
    IndexPage { entries, next }
}

/// A page of orders as the engine answers a query: each order's summary, and where
/// the next page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderPage {
    /// [`VIEW_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The filter asked for.
    pub filter: OrderFilter,
    /// The orders, newest first.
    pub orders: Vec<OrderSummary>,
    /// Where the next page starts; `None` after the last.
    pub next: Option<PageToken>,
}

/// How many orders each [`StatusGroup`] holds, from the count of each state, in the
/// dashboard's order.
#[must_use]
pub fn group_counts(
    states: &std::collections::BTreeMap<StateKind, usize>,
) -> Vec<(StatusGroup, usize)> {
    StatusGroup::ALL
        .into_iter()
        .map(|g| {
            let n = g
                .states()
                .iter()
                .map(|s| states.get(s).copied().unwrap_or(0))
                .sum();
            (g, n)
        })
        .collect()
}
