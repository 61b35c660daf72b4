//! The dashboard's pages, as HTML strings: the status counts, a filtered and paged
//! table of orders, and a page per order with its history, acknowledgements and the
//! operator's actions. Pure: an integrator's web server asks the engine for the data
//! ([`crate::Engine::orders`], [`crate::Engine::order`], [`crate::Engine::group_counts`]),
//! renders it here, and routes requests back with [`DashboardRequest::parse`].
//!
//! Every value from outside (PO numbers, Amazon's and NetSuite's messages, reasons) is
//! escaped; no page shows a Direct Fulfillment ship-to, since no view holds one. Actions
//! are POST forms carrying the token the server gives [`Dashboard`]; a GET never
//! changes anything.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::{AcknowledgementAnswer, OrderFilter, OrderPage, OrderView, PageToken, StatusGroup};
use crate::compliance::ComplianceClocks;
use crate::ids::PurchaseOrderNumber;
use crate::lifecycle::{EventKind, StateKind, accepts};
use crate::order::{Program, format_instant, parse_instant};
use crate::store::OrderKey;

/// Text made inert in HTML, in element content and in quoted attributes alike.
#[must_use]
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text as one part of a URL: every byte but the unreserved ones percent-encoded.
#[must_use]
pub(crate) fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A URL part decoded; `None` when an escape is broken or the bytes are not UTF-8.
#[must_use]
pub(crate) fn decode_component(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// An action an operator can take on an order from its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// [`crate::OperatorAction::RetryNow`].
    Retry,
    /// [`crate::OperatorAction::Repost`].
    Repost,
    /// [`crate::OperatorAction::Hold`].
    Hold,
    /// [`crate::OperatorAction::Release`].
    Release,
    /// [`crate::OperatorAction::Cancel`].
    Cancel,
    /// [`crate::OperatorAction::Refetch`].
    Refetch,
}

impl ActionKind {
    /// Every action, in the order the page shows them.
    pub const ALL: [ActionKind; 6] = [
        ActionKind::Retry,
        ActionKind::Repost,
        ActionKind::Hold,
        ActionKind::Release,
        ActionKind::Cancel,
        ActionKind::Refetch,
    ];

    /// The action's name in URLs (`repost`).
    #[must_use]
    pub const fn slug(self) -> &'static str {
        match self {
            ActionKind::Retry => "retry",
            ActionKind::Repost => "repost",
            ActionKind::Hold => "hold",
            ActionKind::Release => "release",
            ActionKind::Cancel => "cancel",
            ActionKind::Refetch => "refetch",
        }
    }

    /// The button's text.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            ActionKind::Retry => "Retry",
            ActionKind::Repost => "Repost",
            ActionKind::Hold => "Hold",
            ActionKind::Release => "Release",
            ActionKind::Cancel => "Cancel",
            ActionKind::Refetch => "Re-fetch",
        }
    }

    /// The action a slug names.
    #[must_use]
    pub fn from_slug(slug: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|a| a.slug() == slug)
    }

    /// The event the action hands the order.
    #[must_use]
    pub const fn event(self) -> EventKind {
        match self {
            ActionKind::Retry => EventKind::RetryRequested,
            ActionKind::Repost => EventKind::RepostRequested,
            ActionKind::Hold => EventKind::HoldRequested,
            ActionKind::Release => EventKind::ReleaseRequested,
            ActionKind::Cancel => EventKind::CancelRequested,
            ActionKind::Refetch => EventKind::PurchaseOrderChanged,
        }
    }

    /// `true` when an order in `state` takes the action (the lifecycle's table).
    #[must_use]
    pub fn applies_to(self, state: StateKind) -> bool {
        accepts(state, self.event())
    }

    /// Whether the form asks for a reason (hold and cancel).
    #[must_use]
    pub const fn needs_reason(self) -> bool {
        matches!(self, ActionKind::Hold | ActionKind::Cancel)
    }

    /// The actions an order in `state` takes.
    #[must_use]
    pub fn for_state(state: StateKind) -> Vec<ActionKind> {
        ActionKind::ALL
            .into_iter()
            .filter(|a| a.applies_to(state))
            .collect()
    }
}

/// A request to the dashboard, as [`DashboardRequest::parse`] reads it from a path and
/// a query string (GET) or a form body (POST).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DashboardRequest {
    /// `GET {base}?group=…&afterAt=…&afterProgram=…&afterNumber=…`: the list.
    List {
        /// The filter.
        filter: OrderFilter,
        /// Where the page starts.
        after: Option<PageToken>,
    },
    /// `GET {base}/order/{RP|DF}/{number}`: one order's page.
    Order {
        /// The order.
        key: OrderKey,
    },
    /// `POST {base}/order/{RP|DF}/{number}/{action}` with `token` (and `reason`).
    Action {
        /// The order.
        key: OrderKey,
        /// The action.
        action: ActionKind,
        /// The reason, for hold and cancel.
        reason: Option<String>,
        /// The token the form carried; the server checks it.
        token: String,
    },
}

fn pairs(text: &str) -> impl Iterator<Item = (String, String)> + '_ {
    text.split('&').filter(|p| !p.is_empty()).filter_map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        Some((decode_component(k)?, decode_component(v)?))
    })
}

fn field(text: &str, name: &str) -> Option<String> {
    pairs(text).find(|(k, _)| k == name).map(|(_, v)| v)
}

fn program_of(code: &str) -> Option<Program> {
    match code {
        "RP" => Some(Program::RetailProcurement),
        "DF" => Some(Program::DirectFulfillment),
        _ => None,
    }
}

impl DashboardRequest {
    /// Reads a request under `base` (the path the dashboard is mounted at, without a
    /// trailing `/`). `query` is the query string for a GET and the form body
    /// (`application/x-www-form-urlencoded`) for a POST. `None` for anything else:
    /// answer it 404 (or 405 for a GET of an action).
    #[must_use]
    pub fn parse(post: bool, base: &str, path: &str, query: &str) -> Option<DashboardRequest> {
        let rest = path.strip_prefix(base)?;
        let rest = rest.strip_prefix('/').unwrap_or(rest);
        let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
        match (post, parts.as_slice()) {
            (false, []) => {
                let group = match field(query, "group") {
                    Some(slug) => StatusGroup::from_slug(&slug)?,
                    None => StatusGroup::All,
                };
                let program = match field(query, "program").as_deref() {
                    None | Some("") => None,
                    Some(code) => Some(program_of(code)?),
                };
                let after = match (field(query, "afterAt"), field(query, "afterProgram")) {
                    (Some(at), Some(program)) => Some(PageToken {
                        at: parse_instant(&at).ok()?,
                        key: OrderKey {
                            program: program_of(&program)?,
                            number: PurchaseOrderNumber::new(field(query, "afterNumber")?).ok()?,
                        },
                    }),
                    _ => None,
                };
                Some(DashboardRequest::List {
                    filter: OrderFilter {
                        program,
                        ..OrderFilter::group(group)
                    },
                    after,
                })
            }
            (false, ["order", program, number]) => Some(DashboardRequest::Order {
                key: key_of(program, number)?,
            }),
            (true, ["order", program, number, action]) => Some(DashboardRequest::Action {
                key: key_of(program, number)?,
                action: ActionKind::from_slug(action)?,
                reason: field(query, "reason").filter(|r| !r.trim().is_empty()),
                token: field(query, "token")?,
            }),
            _ => None,
        }
    }
}

fn key_of(program: &str, number: &str) -> Option<OrderKey> {
    Some(OrderKey {
        program: program_of(program)?,
        number: PurchaseOrderNumber::new(decode_component(number)?).ok()?,
    })
}

/// The dashboard's renderer: where it is mounted, and the token its forms carry.
#[derive(Clone)]
pub struct Dashboard {
    base: String,
    token: String,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}\
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;\
padding:.4rem .6rem;text-align:left;vertical-align:top}nav a{margin-right:.8rem}\
nav a.current{font-weight:bold}.attention{color:#a40000}form{display:inline-block;\
margin-right:.5rem}ol.timeline li{margin-bottom:.3rem}";

impl Dashboard {
    /// A renderer for a dashboard mounted at `base` (`""` for the root, or `/orders`),
    /// whose forms carry `token`. Make the token per process or per session, random,
    /// and check it on every POST.
    #[must_use]
    pub fn new(base: &str, token: &str) -> Self {
        Dashboard {
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        }
    }

    fn order_href(&self, key: &OrderKey) -> String {
        format!(
            "{}/order/{}/{}",
            self.base,
            key.program.code(),
            encode_component(key.number.as_str())
        )
    }

    fn list_href(&self, filter: &OrderFilter, after: Option<&PageToken>) -> String {
        let mut href = format!("{}/?group={}", self.base, filter.group.slug());
        if let Some(p) = filter.program {
            let _ = write!(href, "&program={}", p.code());
        }
        if let Some(t) = after {
            let _ = write!(
                href,
                "&afterAt={}&afterProgram={}&afterNumber={}",
                encode_component(&format_instant(&t.at)),
                t.key.program.code(),
                encode_component(t.key.number.as_str())
            );
        }
        href
    }

    /// The list: the count of each group (each a link to its filter), and the page's
    /// table with a link to each order and the next page.
    #[must_use]
    pub fn list_page(&self, counts: &[(StatusGroup, usize)], page: &OrderPage) -> String {
        let mut html = head("Orders");
        html.push_str("<h1>Orders</h1>\n<nav id=\"groups\">");
        for (group, count) in counts {
            let filter = OrderFilter {
                program: page.filter.program,
                ..OrderFilter::group(*group)
            };
            let current = if *group == page.filter.group {
                " class=\"current\""
            } else {
                ""
            };
            let _ = write!(
                html,
                "<a{current} id=\"group-{}\" href=\"{}\">{} ({count})</a>",
                group.slug(),
                escape_html(&self.list_href(&filter, None)),
                escape_html(group.label()),
            );
        }
        html.push_str("</nav>\n");
        let _ = write!(
            html,
            "<h2>{}</h2>\n<table id=\"orders\">\n<thead><tr><th>Program</th><th>PO</th>\
             <th>Status</th><th>NetSuite</th><th>Changed</th><th>Reason</th></tr></thead>\n<tbody>\n",
            escape_html(page.filter.group.label())
        );
        if page.orders.is_empty() {
            html.push_str("<tr><td colspan=\"6\">No orders.</td></tr>\n");
        }
        for order in &page.orders {
            let class = if order.needs_attention {
                " class=\"attention\""
            } else {
                ""
            };
            let reason = order.reason.as_deref().unwrap_or("");
            let _ = writeln!(
                html,
                "<tr{class} data-state=\"{}\"><td>{}</td><td><a href=\"{}\">{}</a></td>\
                 <td title=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                order.state.as_str(),
                order.key.program.code(),
                escape_html(&self.order_href(&order.key)),
                escape_html(order.key.number.as_str()),
                escape_html(reason),
                escape_html(&order.status),
                escape_html(order.internal_id.as_ref().map_or("", |id| id.as_str())),
                time(&order.changed_at),
                escape_html(reason),
            );
        }
        html.push_str("</tbody>\n</table>\n");
        if let Some(next) = &page.next {
            let _ = writeln!(
                html,
                "<p><a id=\"next\" href=\"{}\">Next page</a></p>",
                escape_html(&self.list_href(&page.filter, Some(next)))
            );
        }
        html.push_str("</body>\n</html>\n");
        html
    }

    /// One order's page: its state and reason, the NetSuite ids, Amazon's state, the
    /// deadline, the acknowledgements with Amazon's answers, the history as a
    /// timeline, and a form for each action its state takes.
    #[must_use]
    pub fn order_page(&self, view: &OrderView) -> String {
        let s = &view.summary;
        let title = format!("{} {}", s.key.program.code(), s.key.number);
        let mut html = head(&title);
        let _ = writeln!(
            html,
            "<p><a href=\"{}\">All orders</a></p>\n<h1>{}</h1>",
            escape_html(&self.list_href(&OrderFilter::group(StatusGroup::All), None)),
            escape_html(&title)
        );
        let _ = writeln!(
            html,
            "<dl id=\"order\" data-state=\"{}\">\n<dt>Status</dt><dd id=\"status\">{}</dd>",
            s.state.as_str(),
            escape_html(&s.status)
        );
        if let Some(reason) = &s.reason {
            let _ = writeln!(
                html,
                "<dt>Reason</dt><dd id=\"reason\" class=\"attention\">{}</dd>",
                escape_html(reason)
            );
        }
        let _ = writeln!(
            html,
            "<dt>NetSuite internal id</dt><dd>{}</dd>\n<dt>External id</dt><dd>{}</dd>\n\
             <dt>Amazon's state</dt><dd>{:?}</dd>\n<dt>Ordered</dt><dd>{}</dd>\n\
             <dt>Acknowledge by</dt><dd>{}</dd>",
            escape_html(s.internal_id.as_ref().map_or("not yet", |id| id.as_str())),
            escape_html(view.external_id.as_str()),
            view.amazon_state,
            time(&view.ordered_at),
            time(&view.acknowledgement_deadline),
        );
        if let Some(late) = &view.found_late {
            let _ = writeln!(
                html,
                "<dt>Found late</dt><dd id=\"found-late\" class=\"attention\">Amazon listed it \
                 late: a deep sweep found it {}, {} after its PO date</dd>",
                time(&late.found_at),
                escape_html(&late.late_by)
            );
        }
        html.push_str("</dl>\n");
        clocks(&mut html, &view.clocks);
        backorders_and_drift(&mut html, view);
        let actions = ActionKind::for_state(s.state);
        if !actions.is_empty() {
            html.push_str("<h2>Actions</h2>\n<div id=\"actions\">\n");
            for action in actions {
                let _ = write!(
                    html,
                    "<form method=\"post\" action=\"{}/{}\"><input type=\"hidden\" \
                     name=\"token\" value=\"{}\">",
                    escape_html(&self.order_href(&s.key)),
                    action.slug(),
                    escape_html(&self.token)
                );
                if action.needs_reason() {
                    html.push_str(
                        "<input name=\"reason\" required placeholder=\"Reason\" aria-label=\"Reason\">",
                    );
                }
                let _ = writeln!(
                    html,
                    "<button id=\"action-{}\" type=\"submit\">{}</button></form>",
                    action.slug(),
                    action.label()
                );
            }
            html.push_str("</div>\n");
        }
        html.push_str("<h2>Acknowledgements</h2>\n");
        if view.acknowledgements.is_empty() {
            html.push_str("<p>None sent.</p>\n");
        }
        for ack in &view.acknowledgements {
            let _ = writeln!(
                html,
                "<h3>Version {}</h3>\n<p class=\"answer\">{}</p>",
                ack.version.0,
                answer(&ack.answer)
            );
            if let Some(at) = &ack.acknowledged_at {
                let _ = writeln!(html, "<p>Acknowledged {}</p>", time(at));
            }
            if let Some(id) = &ack.transaction_id {
                let sent = ack
                    .sent_at
                    .map_or_else(String::new, |at| format!(", taken {}", time(&at)));
                let _ = writeln!(
                    html,
                    "<p>Amazon transaction <code>{}</code>{sent}</p>",
                    escape_html(id.as_str())
                );
            }
            if !ack.lines.is_empty() {
                html.push_str(
                    "<table class=\"lines\"><thead><tr><th>Line</th><th>Code</th>\
                     <th>Eaches</th><th>Cost</th><th>Rejection</th></tr></thead><tbody>\n",
                );
                for line in &ack.lines {
                    let _ = writeln!(
                        html,
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        escape_html(line.sequence.as_str()),
                        escape_html(&line.code),
                        line.eaches.map_or_else(String::new, |e| e.to_string()),
                        line.net_cost
                            .map_or_else(String::new, |c| escape_html(&c.money.to_string())),
                        escape_html(line.rejection_reason.as_deref().unwrap_or(""))
                    );
                }
                html.push_str("</tbody></table>\n");
            }
        }
        html.push_str("<h2>History</h2>\n<ol class=\"timeline\">\n");
        for h in &view.history {
            let _ = writeln!(
                html,
                "<li><time>{}</time> {}: {}</li>",
                time(&h.at),
                h.event.as_str(),
                escape_html(&h.status)
            );
        }
        html.push_str("</ol>\n</body>\n</html>\n");
        html
    }
}

fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape_html(title)
    )
}

fn time(at: &DateTime<Utc>) -> String {
    escape_html(&format_instant(at))
}

fn answer(answer: &AcknowledgementAnswer) -> String {
    match answer {
        AcknowledgementAnswer::Pending => "Not yet sent".to_owned(),
        AcknowledgementAnswer::Processing { transaction_id } => format!(
            "Sent; Amazon is processing transaction {}",
            escape_html(transaction_id.as_str())
        ),
        AcknowledgementAnswer::Confirmed { at } => format!("Confirmed by Amazon {}", time(at)),
        AcknowledgementAnswer::Rejected { errors, at } => {
            let mut out = match at {
                Some(at) => format!("Rejected by Amazon {}:<ul>", time(at)),
                None => "Rejected by Amazon:<ul>".to_owned(),
            };
            for e in errors {
                let _ = write!(
                    out,
                    "<li><code>{}</code> {}</li>",
                    escape_html(&e.code),
                    escape_html(&e.message)
                );
            }
            out.push_str("</ul>");
            out
        }
        AcknowledgementAnswer::Superseded => {
            "Sent again as a later version before Amazon judged it".to_owned()
        }
    }
}

/// The compliance clocks as a table: each clock, when it runs out, and when it was
/// met or is warned.
/// The backordered lines, with the way to send a new date, and Amazon's record of
/// the confirmed acknowledgement when it differs from what was sent.
fn backorders_and_drift(html: &mut String, view: &OrderView) {
    if !view.backorders.is_empty() {
        html.push_str(
            "<h2>Backordered lines</h2>\n<p>Amazon cancels a backorder whose date passes: \
             set the line's new expected ship date in NetSuite, then Repost to send it.</p>\n\
             <table id=\"backorders\">\n<tr><th>Line</th><th>Units</th><th>Scheduled</th></tr>\n",
        );
        for b in &view.backorders {
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape_html(b.sequence.as_str()),
                b.quantity,
                time(&b.scheduled)
            );
        }
        html.push_str("</table>\n");
    }
    let Some(reconciliation) = &view.reconciliation else {
        return;
    };
    if reconciliation.drift.is_empty() {
        let _ = writeln!(
            html,
            "<p id=\"reconciliation\">Amazon recorded acknowledgement v{} as sent (read {}).</p>",
            reconciliation.version.0,
            time(&reconciliation.read_at)
        );
        return;
    }
    let _ = writeln!(
        html,
        "<h2>Drift</h2>\n<p>Amazon recorded acknowledgement v{} differently from what was \
         sent (read {}).</p>\n<table id=\"drift\">\n<tr><th>Line</th><th>Sent</th>\
         <th>Amazon recorded</th></tr>",
        reconciliation.version.0,
        time(&reconciliation.read_at)
    );
    for d in &reconciliation.drift {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape_html(d.sequence.as_ref().map_or("the order", |s| s.as_str())),
            d.sent,
            d.recorded
        );
    }
    html.push_str("</table>\n");
}

fn clocks(html: &mut String, clocks: &ComplianceClocks) {
    html.push_str(
        "<h2>Compliance clocks</h2>\n<table id=\"clocks\">\n<tr><th>Clock</th><th>Runs out</th>\
         <th>Warned</th><th>Met</th></tr>\n",
    );
    let first = if clocks.holiday {
        "First acknowledgement (holiday, 48 hours)"
    } else {
        "First acknowledgement"
    };
    let rows = [
        (first, Some(&clocks.first_acknowledgement)),
        ("Quantity and price updates", Some(&clocks.update_window)),
        (
            "Lowering confirmed units (down confirmed after)",
            clocks.down_confirm_cutoff.as_ref(),
        ),
    ];
    for (name, reading) in rows {
        let Some(reading) = reading else { continue };
        let or_dash = |t: Option<DateTime<Utc>>| t.as_ref().map_or("—".to_owned(), time);
        let _ = writeln!(
            html,
            "<tr><td>{name}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            time(&reading.at),
            or_dash(reading.warn_at),
            or_dash(reading.met_at),
        );
    }
    html.push_str("</table>\n");
}
