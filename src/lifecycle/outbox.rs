//! The outbox: which of a step's commands go out now, and the in-flight marker the
//! order is saved with.
//!
//! The engine saves an order's record together with a marker naming the command it is
//! about to execute, and only then executes it. [`plan`] decides, from the marker the
//! order was loaded with and the commands the machine asked for, what is sent and what
//! the marker becomes. The engine executes the plan.

use super::command::{Command, Notice};
use super::command_key::CommandKey;

/// The order's in-flight marker as loaded, and what the caller knows about it.
#[derive(Debug, Clone, Copy)]
pub struct Outbox<'a> {
    /// The marker the order was loaded with: the key of a command started and not yet
    /// recorded.
    pub marker: Option<&'a CommandKey>,
    /// The command whose outcome this step records, if any.
    pub answers: Option<&'a CommandKey>,
    /// The marker's command is out: started by another worker or an earlier cycle, and
    /// still within its grace.
    pub marker_out: bool,
}

/// The in-flight marker to save with the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker {
    /// Keep the marker the order was loaded with (or none, if it had none).
    Keep,
    /// The marked command was answered and nothing else goes out: clear it.
    Clear,
    /// A command goes out: mark it, started now.
    Set(CommandKey),
}

/// What to do with one step's commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Notices for the observer.
    pub notices: Vec<Notice>,
    /// Commands to execute after the save, in order.
    pub send: Vec<Command>,
    /// The marker to save.
    pub marker: Marker,
}

impl Plan {
    /// `true` when the plan sends nothing and leaves the marker as it was.
    #[must_use]
    pub fn is_idle(&self) -> bool {
        self.send.is_empty() && self.marker == Marker::Keep
    }
}

/// Decides what goes out after a step.
///
/// - While another command of the order is out, nothing else starts: the two could
///   land in either order (a close before the create it should close). Its answer, or
///   the end of its grace, sends what the order waits for then.
/// - An order that waits for a command neither out nor due for a retry (its marker was
///   answered while the command waited for it) sends it now: `waiting` is the command
///   the record waits for, asked only then, and `retry_scheduled` says a retry is
///   already set for a later time.
/// - The first command sent is the one marked. Otherwise an answered marker is
///   cleared, and any other is kept.
///
/// Notices are never held back.
#[must_use]
pub fn plan(
    outbox: Outbox<'_>,
    commands: Vec<Command>,
    retry_scheduled: bool,
    waiting: impl FnOnce() -> Option<Command>,
) -> Plan {
    let mut notices = Vec::new();
    let mut send = Vec::new();
    for command in commands {
        match command {
            Command::Notify { notice, .. } => notices.push(notice),
            other => send.push(other),
        }
    }
    let answered = outbox.marker.is_some() && outbox.marker == outbox.answers;
    if outbox.marker_out && !answered {
        send.clear();
    }
    let marked = outbox.marker.is_some() && !answered;
    if send.is_empty() && !marked && !retry_scheduled {
        send.extend(waiting());
    }
    let marker = match send.first() {
        Some(command) => Marker::Set(command.key()),
        None if answered => Marker::Clear,
        None => Marker::Keep,
    };
    Plan {
        notices,
        send,
        marker,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ExternalId, InternalId, PurchaseOrderNumber};

    fn read(id: &str) -> Command {
        Command::ReadSalesOrder {
            external_id: ExternalId::new(format!("AVC-RP-{id}")).unwrap_or_else(|_| unreachable!()),
            internal_id: InternalId::new("5001").ok(),
        }
    }

    fn notify() -> Command {
        Command::Notify {
            purchase_order_number: PurchaseOrderNumber::new("4Z32PABC")
                .unwrap_or_else(|_| unreachable!()),
            notice: Notice::ChangeToReview,
            occurrence: 1,
        }
    }

    fn never() -> Option<Command> {
        panic!("the waiting command is asked for only when nothing else goes out")
    }

    #[test]
    fn with_no_marker_the_first_command_is_sent_and_marked() {
        let outbox = Outbox {
            marker: None,
            answers: None,
            marker_out: false,
        };
        let plan = plan(outbox, vec![read("A"), read("B")], false, never);
        assert_eq!(plan.send, vec![read("A"), read("B")]);
        assert_eq!(plan.marker, Marker::Set(read("A").key()));
    }

    #[test]
    fn while_another_command_is_out_nothing_starts_but_notices_are_raised() {
        let out = read("A").key();
        let outbox = Outbox {
            marker: Some(&out),
            answers: None,
            marker_out: true,
        };
        let plan = plan(outbox, vec![read("B"), notify()], false, never);
        assert!(plan.send.is_empty());
        assert_eq!(plan.marker, Marker::Keep);
        assert!(plan.is_idle());
        assert_eq!(plan.notices.len(), 1);
    }

    #[test]
    fn the_answer_to_the_marked_command_frees_the_order_to_send_the_next() {
        let out = read("A").key();
        let outbox = Outbox {
            marker: Some(&out),
            answers: Some(&out),
            marker_out: true,
        };
        let plan = plan(outbox, vec![read("B")], false, never);
        assert_eq!(plan.send, vec![read("B")]);
        assert_eq!(plan.marker, Marker::Set(read("B").key()));
    }

    #[test]
    fn an_answered_marker_with_nothing_to_send_sends_what_the_order_waits_for() {
        let out = read("A").key();
        let outbox = Outbox {
            marker: Some(&out),
            answers: Some(&out),
            marker_out: false,
        };
        let waiting = plan(outbox, Vec::new(), false, || Some(read("C")));
        assert_eq!(waiting.send, vec![read("C")]);
        assert_eq!(waiting.marker, Marker::Set(read("C").key()));

        let settled = plan(outbox, Vec::new(), false, || None);
        assert!(settled.send.is_empty());
        assert_eq!(settled.marker, Marker::Clear);
    }

    #[test]
    fn a_scheduled_retry_is_not_sent_early() {
        let out = read("A").key();
        let outbox = Outbox {
            marker: Some(&out),
            answers: Some(&out),
            marker_out: false,
        };
        let plan = plan(outbox, Vec::new(), true, never);
        assert!(plan.send.is_empty());
        assert_eq!(plan.marker, Marker::Clear);
    }

    #[test]
    fn an_unanswered_marker_is_kept_and_the_waiting_command_not_sent_twice() {
        let out = read("A").key();
        let other = read("B").key();
        let outbox = Outbox {
            marker: Some(&out),
            answers: Some(&other),
            marker_out: false,
        };
        let plan = plan(outbox, Vec::new(), false, never);
        assert!(plan.send.is_empty());
        assert_eq!(plan.marker, Marker::Keep);
    }
}
