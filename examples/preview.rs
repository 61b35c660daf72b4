//! A dry run to check mappings before going live: what the sync would send for a
//! response body Amazon returned, without sending anything.
//!
//! ```sh
//! cargo run --example preview -- --settings examples/settings.json orders.json
//! ```
//!
//! `orders.json` is a response body exactly as Amazon returns it: Vendor Orders
//! `getPurchaseOrders` or `getPurchaseOrder`, or Direct Fulfillment Orders `getOrders`
//! or `getOrder` in either version (v1 wraps it in `payload`, 2021-12-28 does not).
//! The preview tells them apart by shape.
//!
//! It prints one JSON object per order, one per line:
//!
//! ```text
//! {"purchaseOrderNumber":"2JK3S9VC","program":"RetailProcurement","salesOrder":{...},"acknowledgement":null,"problems":[]}
//! ```
//!
//! `salesOrder` is the NetSuite REST body the sync would send, `acknowledgement` the
//! SP-API body auto acknowledgement would post (or `null`), and `problems` why the
//! order would be held instead. For a Direct Fulfillment order the sales order holds
//! the consumer's shipping address: the output is for the integrator's own eyes.
//!
//! Exits 0 when every order was shown, problems included; 2 with a one-line message on
//! standard error when the arguments, the settings or the orders body cannot be used;
//! 1 when the output cannot be written. Reads the two files and nothing else.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use chrono::{DateTime, SubsecRound, Utc};

const USAGE: &str = "usage: preview --settings <settings.json> <orders.json>";

/// The two files to read.
struct Arguments {
    settings: PathBuf,
    orders: PathBuf,
}

/// Reads `--settings <path> <orders>` (or `--settings=<path>`), in any order.
fn arguments(args: impl Iterator<Item = OsString>) -> Result<Arguments, String> {
    let mut settings = None;
    let mut orders = None;
    let mut args = args;
    while let Some(arg) = args.next() {
        let text = arg.to_str();
        if text == Some("--settings") {
            let path = args.next().ok_or("`--settings` needs a file")?;
            if settings.replace(PathBuf::from(path)).is_some() {
                return Err("`--settings` is given twice".into());
            }
        } else if let Some(path) = text.and_then(|t| t.strip_prefix("--settings=")) {
            if settings.replace(PathBuf::from(path)).is_some() {
                return Err("`--settings` is given twice".into());
            }
        } else if text.is_some_and(|t| t.starts_with("--")) {
            return Err(format!("unknown option `{}`", text.unwrap_or_default()));
        } else if orders.replace(PathBuf::from(arg)).is_some() {
            return Err("more than one orders file".into());
        }
    }
    Ok(Arguments {
        settings: settings.ok_or("`--settings` is missing")?,
        orders: orders.ok_or("the orders file is missing")?,
    })
}

/// The message on one line, control characters escaped and cut to a readable length,
/// since it may quote a key or value from the files.
fn one_line(message: &str) -> String {
    const MAX_CHARS: usize = 500;
    let mut out = String::new();
    for (i, c) in message.chars().enumerate() {
        if i == MAX_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn fail(message: &str) -> ExitCode {
    // Nothing more can be done if standard error is gone too.
    let _ = writeln!(std::io::stderr(), "preview: {}", one_line(message));
    ExitCode::from(2)
}

fn read(what: &str, path: &PathBuf) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the {what} file `{}`: {e}", path.display()))
}

fn main() -> ExitCode {
    let args = match arguments(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(e) => return fail(&format!("{e} ({USAGE})")),
    };
    let settings = match read("settings", &args.settings) {
        Ok(text) => text,
        Err(e) => return fail(&e),
    };
    let orders = match read("orders", &args.orders) {
        Ok(text) => text,
        Err(e) => return fail(&e),
    };
    // Acknowledgement dates to the millisecond, as Amazon writes them.
    let now = DateTime::<Utc>::from(SystemTime::now()).trunc_subsecs(3);
    let preview = match avc_order_sync::preview(&settings, &orders, now) {
        Ok(preview) => preview,
        Err(e) => return fail(&e.to_string()),
    };

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in &preview.lines {
        let written = serde_json::to_string(line)
            .map_err(std::io::Error::other)
            .and_then(|json| writeln!(out, "{json}"));
        if let Err(e) = written {
            let _ = writeln!(std::io::stderr(), "preview: cannot write the output: {e}");
            return ExitCode::from(1);
        }
    }
    if let Err(e) = out.flush() {
        let _ = writeln!(std::io::stderr(), "preview: cannot write the output: {e}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
