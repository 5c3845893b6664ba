//! Page-load timings in headless Chromium: runs `tests/browser/bench.mjs` (edge-host and
//! Chromium started as the browser tests do) and reads the JSON line it prints.

use std::process::{Command, Stdio};

use crate::bench::stats::Summary;
use crate::error::{Error, Result};
use crate::process::{self, announce};
use crate::workspace::Workspace;

/// Page loads of each kind (`OTP_EDGE_BENCH_LOADS` of bench.mjs).
pub const LOADS: usize = 5;

/// The timings of a visit, each `(column, bold in the report, mark, since mark)`: the
/// page's `performance.mark()` in ms since navigation start, or since another mark.
pub const COLUMNS: [(&str, bool, &str, Option<&str>); 4] = [
    // The browser module is instantiated.
    ("browser module ready", true, "module-ready", None),
    // The page is wired and has estimated the clock offset (5 × `GET /api/time`).
    ("page ready", false, "page-ready", None),
    // The QR code is in the page (the automated click comes right after page-ready).
    ("QR drawn", true, "qr-drawn", None),
    // From pressing "OTP setting…" to the QR code: `POST /api/otp/setup` and drawing.
    ("press → QR", false, "qr-drawn", Some("setup-start")),
];

/// First visits (fresh profile) and repeat visits (same browser).
#[derive(Debug, Clone)]
pub struct BrowserResults {
    /// Page loads of each kind.
    pub loads: usize,
    /// A fresh Chromium profile (nothing cached), then the same browser again: one
    /// summary (ms) per [`COLUMNS`] entry each.
    pub visits: [Vec<Summary>; 2],
    /// `chromium --version`.
    pub chromium: String,
}

/// Runs bench.mjs with the environment of the browser tests.
pub fn run(ws: &Workspace) -> Result<BrowserResults> {
    announce(format!(
        "node tests/browser/bench.mjs ({LOADS} page loads in headless Chromium, fresh profile and repeat visit)"
    ));
    let mut cmd = Command::new("node");
    cmd.arg(ws.browser_tests().join("bench.mjs"))
        .env("OTP_EDGE_HOST_BIN", ws.edge_host_bin())
        .env("OTP_EDGE_COMPONENT", ws.component_wasm())
        .env("OTP_EDGE_BENCH_LOADS", LOADS.to_string())
        .current_dir(&ws.root)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    let out = process::output(&mut cmd)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines().filter(|l| !l.starts_with('{')) {
        eprintln!("    {line}");
    }
    if !out.status.success() {
        return Err(Error::CommandFailed {
            what: "the browser benchmark".into(),
            command: process::display(&cmd),
            status: out.status,
        });
    }
    let chromium = crate::bench::machine::output(Command::new("chromium").arg("--version"));
    parse(&stdout, chromium.unwrap_or_else(|| "unknown".into()))
        .ok_or_else(|| Error::Project("bench.mjs printed no {\"browser_bench\": …} line".into()))
}

/// The results in bench.mjs's output.
fn parse(stdout: &str, chromium: String) -> Option<BrowserResults> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("{\"browser_bench\""))?;
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let bench = v.get("browser_bench")?;
    // Summaries of one kind of visit from the list of per-load mark times.
    let visit = |kind: &str| -> Option<Vec<Summary>> {
        let loads = bench.get(kind)?.as_array()?;
        let mark = |load: &serde_json::Value, name: &str| load.get(name)?.as_f64();
        let column = |(_, _, end, start): &(&str, bool, &str, Option<&str>)| {
            let since = |l| start.map_or(Some(0.0), |s| mark(l, s));
            let values = loads.iter().map(|l| Some(mark(l, end)? - since(l)?));
            Summary::of(values.collect::<Option<Vec<f64>>>()?)
        };
        COLUMNS.iter().map(column).collect()
    };
    Some(BrowserResults {
        loads: usize::try_from(bench.get("loads")?.as_u64()?).ok()?,
        visits: [visit("first_visit")?, visit("repeat_visit")?],
        chromium,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_json_line() {
        let load = |m: f64| {
            let [page, setup, qr] = [m + 10.0, m + 20.0, m + 25.0];
            format!(
                r#"{{"module-ready":{m},"page-ready":{page},"setup-start":{setup},"qr-drawn":{qr}}}"#
            )
        };
        let out = format!(
            "ok - edge-host starts\n{{\"browser_bench\":{{\"loads\":2,\"first_visit\":[{},{}],\"repeat_visit\":[{},{}]}}}}\n2 passed, 0 failed\n",
            load(100.0),
            load(120.0),
            load(50.0),
            load(60.0)
        );
        let r = parse(&out, "Chromium 1".into()).unwrap();
        assert_eq!(r.loads, 2);
        assert_eq!(r.visits[0][0].median, 110.0);
        assert_eq!(r.visits[1][1].max, 70.0);
        assert_eq!(r.visits[0][3].median, 5.0);
        assert!(parse("ok - edge-host starts\n", String::new()).is_none());
    }
}
