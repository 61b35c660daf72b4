//! Scripted failures and call counters, shared by both simulators.

use std::collections::{BTreeMap, VecDeque};

use crate::client::{ErrorKind, ServiceMessage};

/// When a scripted failure strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailurePoint {
    /// Before the call has any effect: nothing is recorded, as when the request never
    /// reached the service.
    BeforeEffect,
    /// After the effect took place: the service did the work (an acknowledgement is
    /// recorded, a sales order written) but the answer was lost.
    AfterEffect,
}

/// A failure a simulator returns instead of its answer, for the next call of one
/// operation.
///
/// # Example
/// ```
/// use avc_order_sync::testing::{FailurePoint, ScriptedFailure};
/// use avc_order_sync::ErrorKind;
/// let lost_answer = ScriptedFailure::transient().after_effect();
/// assert_eq!(lost_answer.point, FailurePoint::AfterEffect);
/// assert_eq!(lost_answer.kind, ErrorKind::Transient);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedFailure {
    /// Before or after the effect.
    pub point: FailurePoint,
    /// How the failure is classified.
    pub kind: ErrorKind,
    /// The service's messages to attach; when empty the simulator writes the service's
    /// usual message for the kind.
    pub messages: Vec<ServiceMessage>,
}

impl ScriptedFailure {
    /// A transient failure (a timeout, HTTP 5xx) before the effect.
    pub fn transient() -> Self {
        ScriptedFailure::of(ErrorKind::Transient)
    }

    /// A failure of the given kind before the effect.
    pub fn of(kind: ErrorKind) -> Self {
        ScriptedFailure {
            point: FailurePoint::BeforeEffect,
            kind,
            messages: Vec::new(),
        }
    }

    /// This failure, striking after the effect took place.
    pub fn after_effect(mut self) -> Self {
        self.point = FailurePoint::AfterEffect;
        self
    }

    /// This failure, with these service messages.
    pub fn with_messages(mut self, messages: Vec<ServiceMessage>) -> Self {
        self.messages = messages;
        self
    }
}

/// Per-operation queues of scripted failures, and call counters.
#[derive(Debug)]
pub(crate) struct Script<Op: Ord> {
    queues: BTreeMap<Op, VecDeque<ScriptedFailure>>,
    calls: BTreeMap<Op, u64>,
}

impl<Op: Ord + Copy> Script<Op> {
    pub(crate) fn new() -> Self {
        Script {
            queues: BTreeMap::new(),
            calls: BTreeMap::new(),
        }
    }

    pub(crate) fn push(&mut self, op: Op, failure: ScriptedFailure, count: usize) {
        let queue = self.queues.entry(op).or_default();
        queue.extend(std::iter::repeat_n(failure, count));
    }

    pub(crate) fn clear(&mut self) {
        self.queues.clear();
    }

    /// Counts a call and takes the failure scripted for it, if any.
    pub(crate) fn count(&mut self, op: Op) {
        *self.calls.entry(op).or_default() += 1;
    }

    pub(crate) fn take(&mut self, op: Op) -> Option<ScriptedFailure> {
        self.queues.get_mut(&op)?.pop_front()
    }

    pub(crate) fn pending(&self, op: Op) -> usize {
        self.queues.get(&op).map_or(0, VecDeque::len)
    }

    pub(crate) fn calls(&self, op: Op) -> u64 {
        self.calls.get(&op).copied().unwrap_or(0)
    }

    pub(crate) fn total_calls(&self) -> u64 {
        self.calls.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_taken_in_order_per_operation() {
        let mut script = Script::<u8>::new();
        script.push(1, ScriptedFailure::transient(), 2);
        script.push(1, ScriptedFailure::transient().after_effect(), 1);
        assert_eq!(script.pending(1), 3);
        assert_eq!(script.take(2), None);
        assert_eq!(
            script.take(1).map(|f| f.point),
            Some(FailurePoint::BeforeEffect)
        );
        assert_eq!(
            script.take(1).map(|f| f.point),
            Some(FailurePoint::BeforeEffect)
        );
        assert_eq!(
            script.take(1).map(|f| f.point),
            Some(FailurePoint::AfterEffect)
        );
        assert_eq!(script.take(1), None);
        script.count(1);
        script.count(1);
        script.count(2);
        assert_eq!(
            (script.calls(1), script.calls(2), script.total_calls()),
            (2, 1, 3)
        );
    }
}
