//! The transition's error: an event that does not fit the order.

use std::fmt;

use crate::ids::{ExternalId, InternalId, PurchaseOrderNumber};
use crate::order::Program;

use super::command_key::CommandKey;
use super::event::EventKind;
use super::state::StateKind;

/// Why an event was not applied. The record it was applied to is unchanged (the
/// transition takes `&self`), so the caller keeps the stored state as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransitionError {
    /// The event does not fit the order's state (rustls's "inappropriate message"):
    /// for example an approval read while the acknowledgement is already out, or an
    /// operator's release of an order that is not held. Log it; nothing changed.
    #[error(
        "order {purchase_order_number}: event `{event}` does not fit state `{state}`, which accepts {}",
        KindList(expected)
    )]
    InappropriateEvent {
        /// The PO number.
        purchase_order_number: PurchaseOrderNumber,
        /// The state the order is in.
        state: StateKind,
        /// The event that arrived.
        event: EventKind,
        /// The events the state accepts.
        expected: Vec<EventKind>,
    },
    /// A purchase-order event carries another PO, or the same number in another
    /// program. The engine routed the event to the wrong record.
    #[error(
        "order {purchase_order_number}: event `{event}` carries purchase order `{found}` ({program})"
    )]
    WrongPurchaseOrder {
        /// The record's PO number.
        purchase_order_number: PurchaseOrderNumber,
        /// The event.
        event: EventKind,
        /// The PO number the event carries.
        found: PurchaseOrderNumber,
        /// The program of the PO the event carries.
        program: Program,
    },
    /// A NetSuite event names another sales order than the record's.
    #[error(
        "order {purchase_order_number}: event `{event}` names sales order `{found}`, but the order's is `{expected}`"
    )]
    WrongSalesOrder {
        /// The PO number.
        purchase_order_number: PurchaseOrderNumber,
        /// The event.
        event: EventKind,
        /// The record's external or internal id.
        expected: SalesOrderId,
        /// The id the event carries, of the same kind.
        found: SalesOrderId,
    },
    /// An acknowledgement event names a version the order never built.
    #[error(
        "order {purchase_order_number}: event `{event}` is for acknowledgement version {found}, but the latest built is {}",
        latest.map_or_else(|| "none".to_owned(), |v| v.to_string())
    )]
    UnknownAcknowledgementVersion {
        /// The PO number.
        purchase_order_number: PurchaseOrderNumber,
        /// The event.
        event: EventKind,
        /// The version the event names.
        found: u32,
        /// The latest version built, if any.
        latest: Option<u32>,
    },
    /// A `SalesOrderUpdated` names an update the order never asked for.
    #[error(
        "order {purchase_order_number}: `SalesOrderUpdated` is for update {found}, but the latest asked for is {latest}"
    )]
    UnknownSalesOrderRevision {
        /// The PO number.
        purchase_order_number: PurchaseOrderNumber,
        /// The revision the event names.
        found: u32,
        /// The latest revision asked for (0 for none).
        latest: u32,
    },
    /// A `CommandFailed` names a command the order is not waiting for.
    #[error(
        "order {purchase_order_number}: `CommandFailed` names `{command_key}`, but in state `{state}` the order waits for {}",
        expected.as_ref().map_or_else(|| "no command".to_owned(), |k| format!("`{k}`"))
    )]
    UnexpectedCommand {
        /// The PO number.
        purchase_order_number: PurchaseOrderNumber,
        /// The state.
        state: StateKind,
        /// The key the event names.
        command_key: CommandKey,
        /// The key of the command the state waits for, if any.
        expected: Option<CommandKey>,
    },
}

/// A sales order as a record and an event name it: by the external id the sync gave
/// it, or by the internal id NetSuite gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SalesOrderId {
    /// The sync's external id.
    External(ExternalId),
    /// NetSuite's internal id.
    Internal(InternalId),
}

impl fmt::Display for SalesOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SalesOrderId::External(id) => fmt::Display::fmt(id, f),
            SalesOrderId::Internal(id) => fmt::Display::fmt(id, f),
        }
    }
}

struct KindList<'a>(&'a [EventKind]);

impl fmt::Display for KindList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no event");
        }
        for (i, k) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{k}`")?;
        }
        Ok(())
    }
}
