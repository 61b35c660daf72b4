//! Instruction counts from valgrind's callgrind, for figures that repeat run to run.
//!
//! The report runs itself again under `valgrind --tool=callgrind` with instrumentation
//! and collection off at the start ([`count`]). The child switches both on around the
//! part it measures with callgrind's client requests ([`measure`]), and switches
//! collection off again while a simulator answers ([`outside`]), so the count is the
//! engine's alone. Each measured part is dumped under its own name, and the parent
//! reads the dumps' totals back.
//!
//! Outside valgrind every request is a no-op: the instruction sequence rotates a
//! register by 128 bits and exchanges a register with itself.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const fn tool_base(a: u8, b: u8) -> u64 {
    ((a as u64) << 24) | ((b as u64) << 16)
}

const CALLGRIND: u64 = tool_base(b'C', b'T');
const ZERO_STATS: u64 = CALLGRIND + 1;
const TOGGLE_COLLECT: u64 = CALLGRIND + 2;
const DUMP_STATS_AT: u64 = CALLGRIND + 3;
const START_INSTRUMENTATION: u64 = CALLGRIND + 4;
const STOP_INSTRUMENTATION: u64 = CALLGRIND + 5;

/// The environment variable that names the part a child run measures.
pub const CHILD: &str = "AVC_REPORT_COUNT";

#[cfg(target_arch = "x86_64")]
fn request(default: u64, code: u64, arg: u64) -> u64 {
    let args: [u64; 6] = [code, arg, 0, 0, 0, 0];
    let result: u64;
    // SAFETY: valgrind's documented client-request sequence for amd64. Natively the
    // four rotations of `rdi` add up to 128 bits (no change) and `xchg rbx, rbx` does
    // nothing, so `rdx` keeps `default`; under valgrind the core reads the six words
    // `rax` points to (alive for the whole statement) and writes its answer to `rdx`.
    unsafe {
        std::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            inout("rdx") default => result,
            in("rax") args.as_ptr(),
        );
    }
    result
}

#[cfg(not(target_arch = "x86_64"))]
fn request(default: u64, _code: u64, _arg: u64) -> u64 {
    default
}

thread_local! {
    static COLLECTING: Cell<bool> = const { Cell::new(false) };
}

fn set_collecting(on: bool) {
    COLLECTING.with(|c| {
        if c.get() != on {
            request(0, TOGGLE_COLLECT, 0);
            c.set(on);
        }
    });
}

/// Runs `f` with collection off, if it was on: what a simulator does in answer to
/// the engine is not the engine's cost.
pub fn outside<R>(f: impl FnOnce() -> R) -> R {
    let was = COLLECTING.with(Cell::get);
    set_collecting(false);
    let r = f();
    set_collecting(was);
    r
}

/// Runs `f` instrumented and collected, and dumps its count under `name`.
pub fn measure<R>(name: &str, f: impl FnOnce() -> R) -> R {
    request(0, START_INSTRUMENTATION, 0);
    request(0, ZERO_STATS, 0);
    set_collecting(true);
    let r = f();
    set_collecting(false);
    let name = std::ffi::CString::new(name).expect("names hold no NUL");
    request(0, DUMP_STATS_AT, name.as_ptr() as u64);
    request(0, STOP_INSTRUMENTATION, 0);
    r
}

/// Whether valgrind can be run here.
pub fn available() -> bool {
    cfg!(target_arch = "x86_64")
        && Command::new("valgrind")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
}

/// Runs this binary again under callgrind with `CHILD=part`, and returns the count of
/// instructions of every part it measured, by name.
pub fn count(part: &str) -> Result<BTreeMap<String, u64>, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = std::env::temp_dir().join(format!("avc-report-{}-{part}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let out = dir.join("callgrind.out");
    let status = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--instr-atstart=no",
            "--collect-atstart=no",
            "--dump-instr=no",
            "--compress-strings=no",
        ])
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(&exe)
        .env(CHILD, part)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("valgrind: {e}"))?;
    if !status.success() {
        return Err(format!("the callgrind run of {part} failed: {status}"));
    }
    let counts = read_dumps(&dir)?;
    // `AVC_REPORT_KEEP=1` keeps the dumps, for `callgrind_annotate`.
    if std::env::var_os("AVC_REPORT_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        eprintln!("callgrind dumps kept in {}", dir.display());
    }
    Ok(counts)
}

fn read_dumps(dir: &Path) -> Result<BTreeMap<String, u64>, String> {
    let mut counts = BTreeMap::new();
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
        let name = text
            .lines()
            .find_map(|l| l.strip_prefix("desc: Trigger: Client Request: "))
            .map(str::to_owned);
        let total = text
            .lines()
            .find_map(|l| l.strip_prefix("summary: ").or(l.strip_prefix("totals: ")))
            .and_then(|n| n.split_whitespace().next()?.parse::<u64>().ok());
        if let (Some(name), Some(total)) = (name, total) {
            counts.insert(name, total);
        }
    }
    Ok(counts)
}
