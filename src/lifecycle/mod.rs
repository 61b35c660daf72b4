//! The order lifecycle as a pure state machine.
//!
//! Given what happened to an order, [`OrderRecord::handle`] says what its state is now
//! and what must be done next. It reads no clock (`now` is a parameter), performs no
//! I/O and never awaits: the engine executes the returned [`Command`]s and feeds their
//! outcomes back as [`Event`]s, persisting the record and its commands before acting
//! on them.
//!
//! ```text
//!  Amazon / NetSuite / clock / operator
//!                 │ Event
//!                 ▼
//!   OrderRecord::handle(&record, &event, now, &settings)
//!                 │
//!                 ▼
//!   (next OrderRecord, Vec<Command>) ── persist ──► execute ──► Event …
//! ```
//!
//! The states ([`OrderState`]) are named for what the order waits for; each maps to a
//! NetSuite Connector status ([`OrderRecord::status_label`]). The full diagram and
//! transition table are in `docs/state-machine.md`, generated from [`TRANSITIONS`].
//!
//! The flows:
//! 1. **Retail, auto acknowledgement**: received → acknowledged at once, every line
//!    accepted as ordered → on Amazon's confirmation the sales order is created Pending
//!    Fulfillment → "Order posted, awaiting shipment".
//! 2. **Direct Fulfillment, auto acknowledgement**: the same, with code `00` for the
//!    whole order.
//! 3. **Retail, manual**: created Pending Approval → the reviewer approves (perhaps
//!    lowering quantities or the rate) → the acknowledgement is built from the approved
//!    order, checked against Amazon's rules, and sent → confirmed.
//! 4. **Direct Fulfillment, manual**: approved in full accepts (`00`); every line
//!    closed rejects with the code for the reason; part of the order is a problem shown
//!    to the reviewer, and nothing is sent.
//! 5. **Rejected by Amazon**: "Rejected" with Amazon's reasons → fix in NetSuite →
//!    repost → a new acknowledgement version → confirmed.
//! 6. **Changed or cancelled by Amazon**: before acknowledgement the sales order is
//!    updated; after, the configured policy applies; a PO closed or cancelled by
//!    Amazon closes the sales order.
//! 7. **Operator actions**: retry now, repost, hold, release, cancel, each where it
//!    makes sense.

pub mod answers;
mod command;
mod command_key;
mod error;
mod event;
mod failure;
mod intake;
mod kinds;
mod late;
mod machine;
pub mod outbox;
mod record;
mod retry;
mod state;
mod table;
mod versions;

#[cfg(test)]
mod proptests;

pub use crate::sales_order::{LineChange, SalesOrderChanges};
pub use command::{AcknowledgementKey, Command, CommandKey, CommandKind, Notice, Service};
pub use command_key::CommandKeyError;
pub use error::{SalesOrderId, TransitionError};
pub use event::{Event, EventKind};
pub use failure::{CommandFailure, FailureKind};
pub use intake::{
    AcceptedLine, AmazonAcceptance, UnreadableOrder, accepted_at_amazon, acknowledged_before,
    awaits_cancellation, doubt_of_cancellation, rejects_whole,
};
pub use late::FoundLate;
pub use record::{
    Approval, Attempt, ConfirmedAcknowledgement, DeadlineNotices, HALVING_ROUND, HistoryEntry,
    MAX_UNJUDGED_RESENDS, OrderRecord, RaisedNotices, SCHEMA_VERSION,
};
pub use retry::{RetryDecision, RetryPolicy};
pub use state::{Attention, CloseReason, MappingStep, OrderState, StateKind};
pub use table::{
    START, START_ACKNOWLEDGED, TRANSITIONS, Transition, accepted, accepts, rule,
    state_machine_markdown,
};
pub use versions::{PurchaseOrderVersion, PurchaseOrderVersionLine};
