//! `getPurchaseOrders` and `getOrders`: windows, pages and next tokens.

use super::*;

/// Amazon's limit on a window: "date range must not exceed 7 days".
const MAX_WINDOW_DAYS: i64 = 7;
/// How far back Amazon lists: "available to pull data from the past 6 months".
const LISTING_HORIZON_MONTHS: u32 = 6;

/// Where a follow-up page starts, and the filters of the query it continues.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cursor {
    program: Program,
    kind: WindowKind,
    after: i64,
    before: i64,
    offset: usize,
}

fn kind_code(kind: WindowKind) -> &'static str {
    match kind {
        WindowKind::Created => "C",
        WindowKind::Changed => "U",
        WindowKind::Cancelled => "X",
    }
}

impl Cursor {
    /// Opaque to callers: hex of the position and filters.
    fn encode(&self) -> String {
        let text = format!(
            "{}:{}:{}:{}:{}",
            self.program.code(),
            kind_code(self.kind),
            self.after,
            self.before,
            self.offset
        );
        text.bytes().map(|b| format!("{b:02X}")).collect()
    }

    fn decode(token: &str) -> Option<Cursor> {
        if token.len() % 2 != 0 || token.len() > 256 || !token.is_ascii() {
            return None;
        }
        let bytes = (0..token.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&token[i..i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.split(':');
        let program = match parts.next()? {
            "RP" => Program::RetailProcurement,
            "DF" => Program::DirectFulfillment,
            _ => return None,
        };
        let kind = match parts.next()? {
            "C" => WindowKind::Created,
            "U" => WindowKind::Changed,
            "X" => WindowKind::Cancelled,
            _ => return None,
        };
        let cursor = Cursor {
            program,
            kind,
            after: parts.next()?.parse().ok()?,
            before: parts.next()?.parse().ok()?,
            offset: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(cursor)
    }
}

fn window_names(kind: WindowKind) -> (&'static str, &'static str) {
    match kind {
        WindowKind::Created | WindowKind::Cancelled => ("createdAfter", "createdBefore"),
        WindowKind::Changed => ("changedAfter", "changedBefore"),
    }
}

/// Checks the query as Amazon does and returns the offset it starts at.
pub(super) fn check_query(
    op: AmazonOperation,
    program: Program,
    query: &OrderQuery,
    now: DateTime<Utc>,
) -> Result<usize, ClientError> {
    let (after_name, before_name) = window_names(query.kind);
    let mut messages = Vec::new();
    if program == Program::DirectFulfillment && query.kind == WindowKind::Changed {
        messages.push(message(
            "InvalidInput",
            "changedAfter and changedBefore are not parameters of getOrders; use createdAfter and createdBefore.",
            Some("changedAfter".into()),
        ));
    }
    if program == Program::RetailProcurement && query.kind == WindowKind::Cancelled {
        messages.push(message(
            "InvalidInput",
            "status is not a parameter of getPurchaseOrders.",
            Some("status".into()),
        ));
    }
    if !(1..=100).contains(&query.limit) {
        messages.push(message(
            "InvalidInput",
            format!(
                "limit {} is out of range: it must be between 1 and 100.",
                query.limit
            ),
            Some("limit".into()),
        ));
    }
    if query.after >= query.before {
        messages.push(message(
            "InvalidInput",
            format!("{after_name} must be before {before_name}."),
            Some(after_name.into()),
        ));
    } else if query.before - query.after > TimeDelta::days(MAX_WINDOW_DAYS) {
        messages.push(message(
            "InvalidInput",
            format!(
                "Invalid Input: the date range between {after_name} and {before_name} must not exceed {MAX_WINDOW_DAYS} days."
            ),
            Some(after_name.into()),
        ));
    }
    let oldest = now
        .checked_sub_months(chrono::Months::new(LISTING_HORIZON_MONTHS))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    if query.after < oldest {
        messages.push(message(
            "InvalidInput",
            format!(
                "Invalid Input: {after_name} must be within the past {LISTING_HORIZON_MONTHS} months."
            ),
            Some(after_name.into()),
        ));
    }
    if !messages.is_empty() {
        return Err(rejected(op, messages));
    }
    let Some(token) = &query.next_token else {
        return Ok(0);
    };
    let Some(cursor) = Cursor::decode(token) else {
        return Err(rejected(
            op,
            vec![message(
                "InvalidInput",
                "Invalid nextToken.",
                Some("nextToken".into()),
            )],
        ));
    };
    let expected = Cursor {
        program,
        kind: query.kind,
        after: query.after.timestamp_micros(),
        before: query.before.timestamp_micros(),
        offset: cursor.offset,
    };
    if cursor != expected {
        return Err(rejected(
            op,
            vec![message(
                "InvalidInput",
                "The nextToken does not match the other parameters of the request: send the original filters with it.",
                Some("nextToken".into()),
            )],
        ));
    }
    Ok(cursor.offset)
}

/// An entry of a window: an order or an unreadable entry, with its listing date and
/// PO number for ordering.
type Entry<T> = (DateTime<Utc>, String, Result<T, MalformedOrder>);

fn in_window(t: DateTime<Utc>, query: &OrderQuery) -> bool {
    query.after <= t && t < query.before
}

/// Whether the window lists unreadable entries: created windows do; a `status=CANCELLED`
/// window does not (an unreadable entry has no status to match), nor does a changed
/// window (an unreadable entry has no change date).
fn lists_unreadable(program: Program, kind: WindowKind) -> bool {
    match program {
        Program::RetailProcurement => kind == WindowKind::Created,
        Program::DirectFulfillment => kind != WindowKind::Cancelled,
    }
}

impl State {
    pub(super) fn list_retail(
        &self,
        op: AmazonOperation,
        query: &OrderQuery,
        now: DateTime<Utc>,
    ) -> Result<Page<retail::Order>, ClientError> {
        let offset = check_query(op, Program::RetailProcurement, query, now)?;
        Ok(
            self.window_page(Program::RetailProcurement, query, offset, now, |n| {
                self.retail.get(n).map(|r| &r.order)
            }),
        )
    }

    /// `status=CANCELLED` lists the orders created in the window whose status is
    /// CANCELLED now, paged as any listing.
    pub(super) fn list_df(
        &self,
        op: AmazonOperation,
        query: &OrderQuery,
        now: DateTime<Utc>,
    ) -> Result<Page<df::Order>, ClientError> {
        let offset = check_query(op, Program::DirectFulfillment, query, now)?;
        Ok(
            self.window_page(Program::DirectFulfillment, query, offset, now, |n| {
                self.df.get(n).map(|r| &r.order)
            }),
        )
    }

    /// The index a window's orders are read from, by the date the window selects on:
    /// the listing date, the retail change date, or the listing date of the Direct
    /// Fulfillment orders cancelled now. (A retail `status` window and a Direct
    /// Fulfillment changed window are refused before they get here; they read the
    /// listing index.)
    fn window_index(
        &self,
        program: Program,
        kind: WindowKind,
    ) -> &BTreeSet<(DateTime<Utc>, String)> {
        match (program, kind) {
            (Program::RetailProcurement, WindowKind::Changed) => &self.retail_changed,
            (Program::RetailProcurement, _) => &self.retail_listed,
            (Program::DirectFulfillment, WindowKind::Cancelled) => &self.df_cancelled,
            (Program::DirectFulfillment, _) => &self.df_listed,
        }
    }

    /// The orders of the window listed at `now`, in date order, as index entries.
    fn window<'a>(
        &'a self,
        program: Program,
        query: &'a OrderQuery,
        now: DateTime<Utc>,
    ) -> impl Iterator<Item = &'a (DateTime<Utc>, String)> + 'a {
        self.window_index(program, query.kind)
            .range((query.after, String::new())..)
            .take_while(|(at, _)| *at < query.before)
            .filter(move |(_, number)| self.is_listed(program, number, now))
    }

    /// One page of a window. Without shuffling or unreadable entries to merge, the
    /// page is read straight from the index, cloning only the page: what keeps a
    /// 100,000-order window cheap to page through. Otherwise the window's entries
    /// (and only the window's) are gathered, ordered and cut by [`State::page`].
    fn window_page<'a, T: Clone + 'a>(
        &'a self,
        program: Program,
        query: &OrderQuery,
        offset: usize,
        now: DateTime<Utc>,
        order: impl Fn(&str) -> Option<&'a T>,
    ) -> Page<T> {
        let unreadable = lists_unreadable(program, query.kind);
        if self.config.shuffle_seed.is_none()
            && !(unreadable && self.unreadable.iter().any(|u| u.program == program))
        {
            return self.indexed_page(program, query, offset, now, order);
        }
        let mut entries: Vec<Entry<T>> = self
            .window(program, query, now)
            .filter_map(|(at, number)| order(number).map(|o| (*at, number.clone(), Ok(o.clone()))))
            .collect();
        if unreadable {
            entries.extend(self.unreadable_in(program, query));
        }
        self.page(program, query, offset, entries)
    }

    /// A page read straight from the window's index, with the paging of
    /// [`State::page`].
    fn indexed_page<'a, T: Clone + 'a>(
        &'a self,
        program: Program,
        query: &OrderQuery,
        offset: usize,
        now: DateTime<Utc>,
        order: impl Fn(&str) -> Option<&'a T>,
    ) -> Page<T> {
        let limit = query.limit as usize;
        let overlap = self.config.page_overlap && offset > 0 && limit > 1;
        let start = if overlap { offset - 1 } else { offset };
        let end = if overlap {
            offset.saturating_add(limit - 1)
        } else {
            offset.saturating_add(limit)
        };
        let mut window = self.window(program, query, now).skip(start);
        let mut orders = Vec::new();
        for _ in start..end {
            match window.next() {
                Some((_, number)) => orders.extend(order(number).cloned()),
                None => break,
            }
        }
        let more = window.next().is_some();
        let next = more.then(|| {
            Cursor {
                program,
                kind: query.kind,
                after: query.after.timestamp_micros(),
                before: query.before.timestamp_micros(),
                offset: end,
            }
            .encode()
        });
        Page {
            orders,
            malformed: Vec::new(),
            next_token: next,
        }
    }

    /// Whether listings show the order at `now`: not while Amazon lists it late
    /// ([`VendorCentral::list_late`]).
    fn is_listed(&self, program: Program, number: &str, now: DateTime<Utc>) -> bool {
        self.listed_from
            .get(&(program, number.to_owned()))
            .is_none_or(|from| *from <= now)
    }

    fn unreadable_in<T>(&self, program: Program, query: &OrderQuery) -> Vec<Entry<T>> {
        self.unreadable
            .iter()
            .filter(|u| u.program == program && in_window(u.listed_at, query))
            .map(|u| {
                let key = u
                    .malformed
                    .purchase_order_number
                    .clone()
                    .unwrap_or_default();
                (u.listed_at, key, Err(u.malformed.clone()))
            })
            .collect()
    }

    /// One page of the window's entries from `offset`: by date unless shuffled, the
    /// previous page's last entry repeated first when pages overlap.
    pub(super) fn page<T>(
        &self,
        program: Program,
        query: &OrderQuery,
        offset: usize,
        mut entries: Vec<Entry<T>>,
    ) -> Page<T> {
        entries.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        if let Some(seed) = self.config.shuffle_seed {
            let filters = [
                seed.to_string(),
                program.code().to_owned(),
                kind_code(query.kind).to_owned(),
                query.after.timestamp_micros().to_string(),
                query.before.timestamp_micros().to_string(),
            ];
            let parts: Vec<&str> = filters.iter().map(String::as_str).collect();
            SplitMix64::new(stable_hash(&parts)).shuffle(&mut entries);
        }
        let limit = query.limit as usize;
        let overlap = self.config.page_overlap && offset > 0 && limit > 1;
        let start = if overlap { offset - 1 } else { offset }.min(entries.len());
        // A token's offset is caller input: saturate rather than overflow.
        let end = if overlap {
            offset.saturating_add(limit - 1)
        } else {
            offset.saturating_add(limit)
        }
        .min(entries.len());
        let next = (end < entries.len()).then(|| {
            Cursor {
                program,
                kind: query.kind,
                after: query.after.timestamp_micros(),
                before: query.before.timestamp_micros(),
                offset: end,
            }
            .encode()
        });
        let mut orders = Vec::new();
        let mut malformed = Vec::new();
        for (_, _, entry) in entries.drain(start..end) {
            match entry {
                Ok(order) => orders.push(order),
                Err(m) => malformed.push(m),
            }
        }
        Page {
            orders,
            malformed,
            next_token: next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::orders::{purchase_order_number, retail_order};
    use proptest::prelude::*;

    proptest! {
        /// Paging a window from its first page to its last yields every order in it:
        /// exactly once without overlap; with overlap, each page after the first
        /// starts with the previous page's last order and nothing else repeats.
        #[test]
        fn pages_cover_the_window(
            count in 0usize..180,
            limit in 1u32..=100,
            shuffle in proptest::option::of(any::<u64>()),
            overlap in any::<bool>(),
        ) {
            let clock = crate::testing::ManualClock::new("2025-03-10T00:00:00Z".parse().unwrap());
            let vc = VendorCentral::new(clock);
            let start: DateTime<Utc> = "2025-03-04T00:00:00Z".parse().unwrap();
            for i in 0..count {
                let number = purchase_order_number(i as u64);
                let at = start + TimeDelta::minutes(37 * i as i64);
                vc.add_retail_order(retail_order(&number, at, 1)).unwrap();
            }
            vc.set_shuffle(shuffle);
            vc.set_page_overlap(overlap);
            let mut query = OrderQuery {
                kind: WindowKind::Created,
                after: start,
                before: "2025-03-11T00:00:00Z".parse().unwrap(),
                limit,
                next_token: None,
            };
            let mut pages: Vec<Vec<String>> = Vec::new();
            loop {
                let page = lock(&vc.state)
                    .list_retail(AmazonOperation::GetPurchaseOrders, &query, vc.clock.now())
                    .unwrap();
                prop_assert!(page.orders.len() <= limit as usize);
                pages.push(
                    page.orders.iter().map(|o| o.purchase_order_number.clone().unwrap()).collect(),
                );
                match page.next_token {
                    Some(token) => query.next_token = Some(token),
                    None => break,
                }
                prop_assert!(pages.len() <= count + 1);
            }
            let mut seen: Vec<String> = Vec::new();
            for (i, page) in pages.iter().enumerate() {
                let repeats_previous = overlap && limit > 1 && i > 0;
                if repeats_previous {
                    prop_assert_eq!(page.first(), pages[i - 1].last());
                    seen.extend(page.iter().skip(1).cloned());
                } else {
                    seen.extend(page.iter().cloned());
                }
            }
            let mut sorted = seen.clone();
            sorted.sort();
            sorted.dedup();
            prop_assert_eq!(sorted.len(), seen.len());
            prop_assert_eq!(seen.len(), count);
        }
    }

    #[test]
    fn a_window_older_than_six_months_is_refused_as_amazon_does() {
        let now: DateTime<Utc> = "2026-11-27T08:00:00Z".parse().unwrap();
        let vc = VendorCentral::new(crate::testing::ManualClock::new(now));
        let query = |after: &str| OrderQuery {
            kind: WindowKind::Created,
            after: after.parse().unwrap(),
            before: after.parse::<DateTime<Utc>>().unwrap() + TimeDelta::days(7),
            limit: 100,
            next_token: None,
        };
        let state = lock(&vc.state);
        for after in ["2026-05-27T07:59:59Z", "2026-04-27T08:00:00Z"] {
            let op = AmazonOperation::GetPurchaseOrders;
            let err = state.list_retail(op, &query(after), now).unwrap_err();
            assert_eq!(err.kind, ErrorKind::Rejected, "{after}");
            assert_eq!(err.messages[0].code, "InvalidInput");
            assert_eq!(err.messages[0].field.as_deref(), Some("createdAfter"));
            let op = AmazonOperation::GetOrders;
            let err = state.list_df(op, &query(after), now).unwrap_err();
            assert_eq!(err.messages[0].code, "InvalidInput");
        }
        let op = AmazonOperation::GetPurchaseOrders;
        assert!(
            state
                .list_retail(op, &query("2026-05-27T08:00:00Z"), now)
                .is_ok()
        );
        let mut changed = query("2026-05-01T00:00:00Z");
        changed.kind = WindowKind::Changed;
        let err = state.list_retail(op, &changed, now).unwrap_err();
        assert_eq!(err.messages[0].field.as_deref(), Some("changedAfter"));
    }

    #[test]
    fn an_order_listed_late_is_in_no_listing_until_then_and_read_by_number_throughout() {
        use crate::testing::orders::df_order;
        let clock = crate::testing::ManualClock::new("2025-03-10T00:00:00Z".parse().unwrap());
        let vc = VendorCentral::new(clock.clone());
        let placed: DateTime<Utc> = "2025-03-09T00:00:00Z".parse().unwrap();
        let from = placed + TimeDelta::days(3);
        for (i, late) in [(0, false), (1, true), (2, false)] {
            let number = purchase_order_number(i);
            vc.add_retail_order(retail_order(
                &number,
                placed + TimeDelta::hours(i as i64),
                1,
            ))
            .unwrap();
            vc.add_df_order(df_order(&number, placed + TimeDelta::hours(i as i64), 1))
                .unwrap();
            if late {
                vc.list_late(Program::RetailProcurement, &number, from)
                    .unwrap();
                vc.list_late(Program::DirectFulfillment, &number, from)
                    .unwrap();
            }
        }
        assert!(
            vc.list_late(Program::RetailProcurement, "NOPE", from)
                .is_err()
        );
        let late = purchase_order_number(1);
        let listed = |shuffle: Option<u64>, limit: u32| -> (Vec<String>, Vec<String>) {
            vc.set_shuffle(shuffle);
            let query = |next_token| OrderQuery {
                kind: WindowKind::Created,
                after: placed,
                before: placed + TimeDelta::days(1),
                limit,
                next_token,
            };
            let now = vc.clock.now();
            let (mut retail, mut df) = (Vec::new(), Vec::new());
            let mut token = None;
            loop {
                let page = lock(&vc.state)
                    .list_retail(AmazonOperation::GetPurchaseOrders, &query(token), now)
                    .unwrap();
                retail.extend(
                    page.orders
                        .iter()
                        .filter_map(|o| o.purchase_order_number.clone()),
                );
                token = page.next_token;
                if token.is_none() {
                    break;
                }
            }
            loop {
                let page = lock(&vc.state)
                    .list_df(AmazonOperation::GetOrders, &query(token), now)
                    .unwrap();
                df.extend(
                    page.orders
                        .iter()
                        .filter_map(|o| o.purchase_order_number.clone()),
                );
                token = page.next_token;
                if token.is_none() {
                    break;
                }
            }
            (retail, df)
        };
        for (shuffle, limit) in [(None, 100), (None, 1), (Some(7), 1)] {
            let (retail, df) = listed(shuffle, limit);
            assert_eq!(retail.len(), 2, "{retail:?}");
            assert!(!retail.contains(&late) && !df.contains(&late), "{df:?}");
            assert_eq!(df.len(), 2);
        }
        assert!(vc.retail_order(&late).is_some() && vc.df_order(&late).is_some());
        clock.advance(std::time::Duration::from_secs(3 * 24 * 3600));
        for (shuffle, limit) in [(None, 100), (None, 1), (Some(7), 1)] {
            let (retail, df) = listed(shuffle, limit);
            assert!(
                retail.contains(&late) && df.contains(&late),
                "{retail:?} {df:?}"
            );
            assert_eq!((retail.len(), df.len()), (3, 3));
        }
    }

    #[test]
    fn a_token_past_the_end_gives_an_empty_last_page() {
        let clock = crate::testing::ManualClock::new("2025-03-10T00:00:00Z".parse().unwrap());
        let vc = VendorCentral::new(clock);
        let mut query = OrderQuery {
            kind: WindowKind::Created,
            after: "2025-03-04T00:00:00Z".parse().unwrap(),
            before: "2025-03-10T00:00:00Z".parse().unwrap(),
            limit: 100,
            next_token: None,
        };
        for offset in [usize::MAX, usize::MAX - 50, 7] {
            query.next_token = Some(
                Cursor {
                    program: Program::RetailProcurement,
                    kind: query.kind,
                    after: query.after.timestamp_micros(),
                    before: query.before.timestamp_micros(),
                    offset,
                }
                .encode(),
            );
            for overlap in [false, true] {
                vc.set_page_overlap(overlap);
                let page = lock(&vc.state)
                    .list_retail(AmazonOperation::GetPurchaseOrders, &query, vc.clock.now())
                    .unwrap();
                assert!(page.orders.is_empty());
                assert_eq!(page.next_token, None);
            }
        }
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let cursor = Cursor {
            program: Program::DirectFulfillment,
            kind: WindowKind::Created,
            after: -5,
            before: 1_740_000_000_000_000,
            offset: 150,
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        for bad in ["", "zz", "4", "é1", "5250", &"41".repeat(200)] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }
}
