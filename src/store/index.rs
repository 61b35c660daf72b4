//! The memory store's index for the operator's queries: per state and program, the
//! orders by time, so a page costs the same whatever the store holds.
//!
//! Orders are named by the store's compact id (their place in its table of orders)
//! rather than by their key, so that the index holds no copy of a PO number: a page
//! reads the keys it answers with through the store.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::OrderKey;
use crate::lifecycle::StateKind;
use crate::order::Program;
use crate::view::{
    IndexEntry, IndexPage, OrderFilter, PageRequest, TimeField, finish_page, sort_order,
};

/// The orders of one state and program, newest first, then by id. Within one time
/// a page sorts them by key.
type ByTime = BTreeSet<(Reverse<DateTime<Utc>>, u32)>;

/// An order's columns, without its key.
#[derive(Debug, Clone, Copy)]
struct Columns {
    program: Program,
    state: StateKind,
    created_at: DateTime<Utc>,
    changed_at: DateTime<Utc>,
}

/// Every order's index columns, by id, and the orders of each state and program by
/// created and by changed time, newest first.
#[derive(Debug, Default)]
pub(super) struct MemoryIndex {
    columns: Vec<Option<Columns>>,
    created: BTreeMap<(StateKind, Program), ByTime>,
    changed: BTreeMap<(StateKind, Program), ByTime>,
    counts: BTreeMap<StateKind, usize>,
}

fn insert(
    map: &mut BTreeMap<(StateKind, Program), ByTime>,
    c: &Columns,
    at: DateTime<Utc>,
    id: u32,
) {
    map.entry((c.state, c.program))
        .or_default()
        .insert((Reverse(at), id));
}

fn remove(
    map: &mut BTreeMap<(StateKind, Program), ByTime>,
    c: &Columns,
    at: DateTime<Utc>,
    id: u32,
) {
    let slot = (c.state, c.program);
    let Some(times) = map.get_mut(&slot) else {
        return;
    };
    times.remove(&(Reverse(at), id));
    if times.is_empty() {
        map.remove(&slot);
    }
}

impl MemoryIndex {
    /// Puts the entry of the order `id` names in place of its previous one.
    pub(super) fn put(&mut self, id: u32, entry: &IndexEntry) {
        let at = id as usize;
        if self.columns.len() <= at {
            self.columns.resize(at + 1, None);
        }
        let new = Columns {
            program: entry.key.program,
            state: entry.state,
            created_at: entry.created_at,
            changed_at: entry.changed_at,
        };
        let old = self.columns.get_mut(at).and_then(|c| c.replace(new));
        if let Some(old) = old {
            remove(&mut self.created, &old, old.created_at, id);
            remove(&mut self.changed, &old, old.changed_at, id);
            if let Some(n) = self.counts.get_mut(&old.state) {
                *n = n.saturating_sub(1);
            }
        }
        insert(&mut self.created, &new, new.created_at, id);
        insert(&mut self.changed, &new, new.changed_at, id);
        *self.counts.entry(new.state).or_default() += 1;
    }

    /// How many orders are in each state; states with none are left out.
    pub(super) fn counts(&self) -> BTreeMap<StateKind, usize> {
        self.counts
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| (*k, *n))
            .collect()
    }

    /// The entry of the order `id` names, with its key as `key_of` gives it.
    fn entry<'k>(
        &self,
        id: u32,
        key_of: &impl Fn(u32) -> Option<&'k OrderKey>,
    ) -> Option<IndexEntry> {
        let c = self.columns.get(id as usize).copied().flatten()?;
        Some(IndexEntry {
            key: key_of(id)?.clone(),
            state: c.state,
            created_at: c.created_at,
            changed_at: c.changed_at,
        })
    }

    /// One page: at most `size + 1` candidates from each state and program the filter
    /// takes, merged and cut to the page. `key_of` gives the key of an order by id.
    pub(super) fn page<'k>(
        &self,
        filter: &OrderFilter,
        page: &PageRequest,
        key_of: impl Fn(u32) -> Option<&'k OrderKey>,
    ) -> IndexPage {
        let size = page.size();
        let map = match filter.time {
            TimeField::Created => &self.created,
            TimeField::Changed => &self.changed,
        };
        let programs: &[Program] = match &filter.program {
            Some(p) => std::slice::from_ref(p),
            None => &[Program::RetailProcurement, Program::DirectFulfillment],
        };
        // Newest first: the range starts at the latest time the page may hold.
        let start = match (&page.after, filter.until) {
            (Some(t), Some(u)) => Some(t.at.min(u)),
            (Some(t), None) => Some(t.at),
            (None, u) => u,
        };
        let mut found = Vec::new();
        let mut same_time: Vec<IndexEntry> = Vec::new();
        for state in filter.group.states() {
            for program in programs {
                let Some(times) = map.get(&(*state, *program)) else {
                    continue;
                };
                let range = match start {
                    Some(at) => times.range((Reverse(at), 0)..),
                    None => times.range(..),
                };
                let mut range = range
                    .take_while(|(at, _)| filter.from.is_none_or(|from| at.0 >= from))
                    .peekable();
                let mut taken = 0;
                // One time at a time: its orders sorted by key, as a page orders them.
                while let Some(&(at, id)) = range.next() {
                    same_time.clear();
                    same_time.extend(self.entry(id, &key_of));
                    while let Some((_, id)) = range.next_if(|(next, _)| *next == at) {
                        same_time.extend(self.entry(*id, &key_of));
                    }
                    same_time.sort_by(|a, b| a.key.cmp(&b.key));
                    for e in same_time.drain(..) {
                        if taken > size {
                            break;
                        }
                        if filter.matches(&e) && page.starts_before(e.time(filter.time), &e.key) {
                            found.push(e);
                            taken += 1;
                        }
                    }
                    if taken > size {
                        break;
                    }
                }
            }
        }
        found.sort_by(|a, b| sort_order(a, b, filter.time));
        finish_page(found.into_iter(), filter.time, size)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use proptest::prelude::*;

    use super::*;
    use crate::ids::PurchaseOrderNumber;
    use crate::view::{StatusGroup, page_of};

    fn base() -> DateTime<Utc> {
        "2025-03-03T12:00:00Z".parse().unwrap()
    }

    fn entry(n: u32, state: usize, program: bool, created: i64, changed: i64) -> IndexEntry {
        IndexEntry {
            key: OrderKey {
                program: if program {
                    Program::RetailProcurement
                } else {
                    Program::DirectFulfillment
                },
                number: PurchaseOrderNumber::new(format!("PO{n:05}")).unwrap(),
            },
            state: StateKind::ALL[state % StateKind::ALL.len()],
            created_at: base() + TimeDelta::minutes(created),
            changed_at: base() + TimeDelta::minutes(created + changed),
        }
    }

    /// The index with the table of keys a store keeps beside it.
    #[derive(Default)]
    struct Keyed {
        index: MemoryIndex,
        keys: Vec<OrderKey>,
        ids: BTreeMap<OrderKey, u32>,
    }

    impl Keyed {
        fn put(&mut self, e: IndexEntry) {
            let next = u32::try_from(self.keys.len()).unwrap();
            let id = *self.ids.entry(e.key.clone()).or_insert(next);
            if id == next {
                self.keys.push(e.key.clone());
            }
            self.index.put(id, &e);
        }

        fn page(&self, filter: &OrderFilter, page: &PageRequest) -> IndexPage {
            self.index
                .page(filter, page, |id| self.keys.get(id as usize))
        }

        fn counts(&self) -> BTreeMap<StateKind, usize> {
            self.index.counts()
        }
    }

    fn walk(index: &Keyed, filter: &OrderFilter, size: usize) -> Vec<IndexEntry> {
        let mut page = PageRequest::first(size);
        let mut all = Vec::new();
        for _ in 0..10_000 {
            let found = index.page(filter, &page);
            assert!(found.entries.len() <= size.max(1));
            all.extend(found.entries);
            match found.next {
                Some(token) => page.after = Some(token),
                None => return all,
            }
        }
        panic!("the pages never ended");
    }

    #[test]
    fn a_page_is_the_newest_of_the_group_and_the_next_starts_after_it() {
        let mut index = Keyed::default();
        let approval = StateKind::ALL
            .iter()
            .position(|s| *s == StateKind::ExpectApproval)
            .unwrap();
        for n in 0..5 {
            index.put(entry(n, approval, true, i64::from(n), 0));
        }
        index.put(entry(9, approval + 1, true, 100, 0));
        let filter = OrderFilter::group(StatusGroup::WaitingForApproval);
        let first = index.page(&filter, &PageRequest::first(2));
        let numbers: Vec<_> = first
            .entries
            .iter()
            .map(|e| e.key.number.to_string())
            .collect();
        assert_eq!(numbers, ["PO00004", "PO00003"]);
        let token = first.next.clone().expect("more pages");
        assert_eq!(token.key.number.as_str(), "PO00003");
        let rest = walk(&index, &filter, 2);
        assert_eq!(rest.len(), 5);
        assert_eq!(index.counts().get(&StateKind::ExpectApproval), Some(&5));

        // An order that moves on leaves the group and its count.
        index.put(entry(4, approval + 1, true, 4, 10));
        assert_eq!(walk(&index, &filter, 2).len(), 4);
        assert_eq!(index.counts().get(&StateKind::ExpectApproval), Some(&4));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The index answers every page as the plain rule does, and a walk through
        /// the pages sees every order the filter takes exactly once.
        #[test]
        fn the_index_agrees_with_the_rule(
            orders in proptest::collection::vec(
                (0u32..60, 0usize..32, any::<bool>(), 0i64..40, 0i64..40), 0..80),
            group in 0usize..StatusGroup::ALL.len(),
            program in proptest::option::of(any::<bool>()),
            by_created in any::<bool>(),
            from in proptest::option::of(0i64..60),
            span in proptest::option::of(0i64..60),
            size in 1usize..7,
        ) {
            let mut index = Keyed::default();
            let mut latest = BTreeMap::new();
            for (n, state, retail, created, changed) in orders {
                let e = entry(n, state, retail, created, changed);
                latest.insert(e.key.clone(), e.clone());
                index.put(e);
            }
            let filter = OrderFilter {
                group: StatusGroup::ALL[group],
                program: program.map(|r| if r { Program::RetailProcurement } else { Program::DirectFulfillment }),
                time: if by_created { TimeField::Created } else { TimeField::Changed },
                from: from.map(|m| base() + TimeDelta::minutes(m)),
                until: from.zip(span).map(|(m, s)| base() + TimeDelta::minutes(m + s)),
            };
            let mut page = PageRequest::first(size);
            loop {
                let got = index.page(&filter, &page);
                let want = page_of(latest.values(), &filter, &page);
                prop_assert_eq!(&got, &want);
                match got.next {
                    Some(t) => page.after = Some(t),
                    None => break,
                }
            }
            let walked = walk(&index, &filter, size);
            let mut keys: Vec<_> = walked.iter().map(|e| e.key.clone()).collect();
            keys.sort();
            let before = keys.len();
            keys.dedup();
            prop_assert_eq!(before, keys.len(), "an order on two pages");
            let expected = latest.values().filter(|e| filter.matches(e)).count();
            prop_assert_eq!(keys.len(), expected);
            let counted: usize = index.counts().values().sum();
            prop_assert_eq!(counted, latest.len());
        }
    }
}
