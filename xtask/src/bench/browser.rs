//! Page-load timings in headless Chromium: runs `tests/browser/bench.mjs` (edge-host and
//! Chromium started as the browser tests do) and reads the JSON line it prints.

use std::process::{Command, Stdio};

use crate::bench::stats::Summary;
use crate::error::{Error, Result};
use crate::process::{self, announce};
use crate::workspace::Workspace;

/// Page loads of each kind (`OTP_EDGE_BENCH_LOADS` of bench.mjs).
pub const LOADS: usize = 5;

/// The timings, in milliseconds since navigation start, of one kind of visit.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The browser module is instantiated.
    pub module_ready: Summary,
    /// The page is wired and has estimated the clock offset (5 × `GET /api/time`).
    pub page_ready: Summary,
    /// The QR code is in the page (the automated click comes right after page-ready).
    pub qr_drawn: Summary,
    /// From pressing "OTP setting…" to the QR code: `POST /api/otp/setup` and drawing.
    pub click_to_qr: Summary,
}

/// First visits (fresh profile) and repeat visits (same browser).
#[derive(Debug, Clone)]
pub struct BrowserResults {
    /// Page loads of each kind.
    pub loads: usize,
    /// Fresh Chromium profile: nothing cached.
    pub first_visit: Visit,
    /// The same browser loading the page again.
    pub repeat_visit: Visit,
    /// `chromium --version`.
    pub chromium: String,
}

/// Runs bench.mjs with the environment of the browser tests.
pub fn run(ws: &Workspace) -> Result<BrowserResults> {
    let script = ws.browser_tests().join("bench.mjs");
    announce(format!(
        "node tests/browser/bench.mjs ({LOADS} page loads in headless Chromium, fresh profile and repeat visit)"
    ));
    let mut cmd = Command::new("node");
    cmd.arg(&script)
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
    let chromium = Command::new("chromium")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    parse(&stdout, chromium)
        .ok_or_else(|| Error::Project("bench.mjs printed no {\"browser_bench\": …} line".into()))
}

/// The results in bench.mjs's output.
fn parse(stdout: &str, chromium: String) -> Option<BrowserResults> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("{\"browser_bench\""))?;
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let bench = v.get("browser_bench")?;
    Some(BrowserResults {
        loads: usize::try_from(bench.get("loads")?.as_u64()?).ok()?,
        first_visit: visit(bench.get("first_visit")?)?,
        repeat_visit: visit(bench.get("repeat_visit")?)?,
        chromium,
    })
}

/// Summaries of one kind of visit from the list of per-load mark times.
fn visit(loads: &serde_json::Value) -> Option<Visit> {
    let loads = loads.as_array()?;
    let mark = |load: &serde_json::Value, name: &str| load.get(name)?.as_f64();
    let column = |f: &dyn Fn(&serde_json::Value) -> Option<f64>| -> Option<Summary> {
        let values: Option<Vec<f64>> = loads.iter().map(f).collect();
        Summary::of(&values?)
    };
    Some(Visit {
        module_ready: column(&|l| mark(l, "module-ready"))?,
        page_ready: column(&|l| mark(l, "page-ready"))?,
        qr_drawn: column(&|l| mark(l, "qr-drawn"))?,
        click_to_qr: column(&|l| Some(mark(l, "qr-drawn")? - mark(l, "setup-start")?))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_json_line() {
        let load = |m: f64| {
            format!(
                "{{\"module-ready\":{m},\"page-ready\":{},\"setup-start\":{},\"qr-drawn\":{}}}",
                m + 10.0,
                m + 20.0,
                m + 25.0
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
        assert_eq!(r.first_visit.module_ready.median, 110.0);
        assert_eq!(r.repeat_visit.page_ready.max, 70.0);
        assert_eq!(r.first_visit.click_to_qr.median, 5.0);
        assert!(parse("ok - edge-host starts\n", String::new()).is_none());
    }
}
