//! The memory store's index for the operator's queries: per state and program, the
//! orders by time, so a page costs the same whatever the store holds.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::OrderKey;
use crate::lifecycle::StateKind;
use crate::order::Program;
use crate::view::{
    IndexEntry, IndexPage, OrderFilter, PageRequest, TimeField, finish_page, sort_order,
};

type ByTime = BTreeMap<Reverse<DateTime<Utc>>, BTreeSet<OrderKey>>;

/// Every order's [`IndexEntry`], and the orders of each state and program by created
/// and by changed time, newest first.
#[derive(Debug, Default)]
pub(super) struct MemoryIndex {
    entries: BTreeMap<OrderKey, IndexEntry>,
    created: BTreeMap<(StateKind, Program), ByTime>,
    changed: BTreeMap<(StateKind, Program), ByTime>,
    counts: BTreeMap<StateKind, usize>,
}

fn insert(map: &mut BTreeMap<(StateKind, Program), ByTime>, e: &IndexEntry, at: DateTime<Utc>) {
    map.entry((e.state, e.key.program))
        .or_default()
        .entry(Reverse(at))
        .or_default()
        .insert(e.key.clone());
}

fn remove(map: &mut BTreeMap<(StateKind, Program), ByTime>, e: &IndexEntry, at: DateTime<Utc>) {
    let slot = (e.state, e.key.program);
    let Some(times) = map.get_mut(&slot) else {
        return;
    };
    if let Some(keys) = times.get_mut(&Reverse(at)) {
        keys.remove(&e.key);
        if keys.is_empty() {
            times.remove(&Reverse(at));
        }
    }
    if times.is_empty() {
        map.remove(&slot);
    }
}

impl MemoryIndex {
    /// Puts an order's entry in place of its previous one.
    pub(super) fn put(&mut self, entry: IndexEntry) {
        if let Some(old) = self.entries.remove(&entry.key) {
            remove(&mut self.created, &old, old.created_at);
            remove(&mut self.changed, &old, old.changed_at);
            if let Some(n) = self.counts.get_mut(&old.state) {
                *n = n.saturating_sub(1);
            }
        }
        insert(&mut self.created, &entry, entry.created_at);
        insert(&mut self.changed, &entry, entry.changed_at);
        *self.counts.entry(entry.state).or_default() += 1;
        self.entries.insert(entry.key.clone(), entry);
    }

    /// How many orders are in each state; states with none are left out.
    pub(super) fn counts(&self) -> BTreeMap<StateKind, usize> {
        self.counts
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| (*k, *n))
            .collect()
    }

    /// One page: at most `size + 1` candidates from each state and program the filter
    /// takes, merged and cut to the page.
    pub(super) fn page(&self, filter: &OrderFilter, page: &PageRequest) -> IndexPage {
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
        for state in filter.group.states() {
            for program in programs {
                let Some(times) = map.get(&(*state, *program)) else {
                    continue;
                };
                let range = match start {
                    Some(at) => times.range(Reverse(at)..),
                    None => times.range(..),
                };
                let taken = range
                    .take_while(|(at, _)| filter.from.is_none_or(|from| at.0 >= from))
                    .flat_map(|(_, keys)| keys.iter())
                    .filter_map(|key| self.entries.get(key))
                    .filter(|e| {
                        filter.matches(e) && page.starts_before(e.time(filter.time), &e.key)
                    })
                    .take(size.saturating_add(1));
                found.extend(taken);
            }
        }
        found.sort_by(|a, b| sort_order(a, b, filter.time));
        finish_page(found.into_iter().cloned(), filter.time, size)
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

    fn walk(index: &MemoryIndex, filter: &OrderFilter, size: usize) -> Vec<IndexEntry> {
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
        let mut index = MemoryIndex::default();
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
            let mut index = MemoryIndex::default();
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
