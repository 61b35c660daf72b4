//! The cycle's shared state: what one cycle has learnt so far, and the report it builds.

use super::*;

/// What one cycle has learnt so far, shared by the tasks of the cycle.
#[derive(Default)]
pub(super) struct CycleState {
    pub(super) report: CycleReport,
    pub(super) queue: Vec<(OrderKey, Command)>,
    pub(super) touched: BTreeMap<OrderKey, ReportLine>,
    pub(super) seen: HashSet<OrderKey>,
    pub(super) reads: HashSet<OrderKey>,
    /// The NetSuite watermark this cycle's poll earned, saved once its reads are done.
    pub(super) netsuite_mark: Option<DateTime<Utc>>,
    /// When each sales order the poll queued a read for changed, until the read
    /// succeeds.
    pub(super) unread: BTreeMap<OrderKey, DateTime<Utc>>,
    /// When each queued command was marked in flight, by order and command key.
    pub(super) marks: HashMap<(OrderKey, CommandKey), DateTime<Utc>>,
}

pub(super) struct Cycle {
    pub(super) state: Mutex<CycleState>,
}

impl Cycle {
    pub(super) fn new(now: DateTime<Utc>) -> Self {
        let mut state = CycleState::default();
        state.report.started_at = Some(now);
        Cycle {
            state: Mutex::new(state),
        }
    }

    pub(super) fn with<R>(&self, f: impl FnOnce(&mut CycleState) -> R) -> R {
        // Every critical section is a few plain field updates: a poisoned lock still
        // holds consistent data.
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    pub(super) fn error(&self, message: String) {
        self.with(|s| s.report.errors.push(message));
    }

    pub(super) fn queue(&self, key: OrderKey, command: Command) {
        self.with(|s| s.queue.push((key, command)));
    }

    /// Whether `flight` is the marker this cycle saved with a command it queued (and
    /// has not claimed for sending yet).
    pub(super) fn owns(&self, key: &OrderKey, flight: &InFlight) -> bool {
        self.with(|s| {
            s.marks.get(&(key.clone(), flight.command_key.clone())) == Some(&flight.started_at)
        })
    }

    /// Remembers the in-flight marker saved with a queued command: an acknowledgement
    /// is sent only while its marker is still this one (see `Engine::claim`).
    pub(super) fn mark(&self, key: &OrderKey, flight: &InFlight) {
        self.with(|s| {
            s.marks
                .insert((key.clone(), flight.command_key.clone()), flight.started_at)
        });
    }

    pub(super) fn touch(&self, key: &OrderKey, record: &OrderRecord) {
        let line = ReportLine::of(key, record);
        self.with(|s| {
            s.touched.insert(key.clone(), line);
        });
    }
}

pub(super) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub(super) use crate::time::{earlier, later};
