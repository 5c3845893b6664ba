//! The load: fixed connections for a fixed time on 127.0.0.1.
//!
//! - `GET` of one path through [oha](https://github.com/hatoo/oha) and its
//!   `--output-format json` (latency percentiles, status counts, errors);
//! - the sign-in OTP step (and `GET` on Spin) through otp-loadgen (`xtask/loadgen`, a
//!   release binary built with edge-host, [`crate::build::load_client`]): a small
//!   client on hyper/tokio that sends each prepared body exactly once and reports
//!   HdrHistogram percentiles as JSON.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::bench::load::Run;
use crate::error::{Error, Result};
use crate::process::display;
use crate::workspace::Workspace;

/// A request with no answer within this counts as an error.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What to send.
#[derive(Debug, Clone)]
pub enum Script {
    /// `GET` of a path (through oha).
    Get(&'static str),
    /// `GET` of a path through otp-loadgen (for a server that needs the client's
    /// quick ACKs: oha's would wait 40 ms on Spin).
    ClientGet(&'static str),
    /// `POST /api/session/otp` with each of these JSON bodies once.
    OtpStep(Vec<String>),
}

/// Sends `script` to `base` (`http://127.0.0.1:PORT`) on `connections` connections for
/// `seconds`; the run's load figures (the rest of [`Run`] left empty).
pub fn run(base: &str, connections: u32, seconds: u64, script: Script) -> Result<Run> {
    let duration = Duration::from_secs(seconds);
    let (path, bodies) = match script {
        Script::Get(path) => return oha(base, connections, duration, path),
        Script::ClientGet(path) => (path, Vec::new()),
        Script::OtpStep(bodies) => ("/api/session/otp", bodies),
    };
    let mut command = Command::new(Workspace::locate().load_client_bin());
    command
        .args([base, path, &connections.to_string(), &seconds.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown = display(&command);
    let spawned = |source| Error::Spawn {
        command: shown.clone(),
        source,
    };
    let mut child = command.spawn().map_err(spawned)?;
    if let Some(mut stdin) = child.stdin.take() {
        // Each body is one line (JSON has no raw newlines); then end of input.
        let lines: String = bodies.iter().map(|b| format!("{b}\n")).collect();
        stdin.write_all(lines.as_bytes()).map_err(spawned)?;
    }
    let out = child.wait_with_output().map_err(spawned)?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_client(&text).ok_or_else(|| {
        let (stderr, status) = (String::from_utf8_lossy(&out.stderr), out.status);
        Error::Project(format!(
            "{shown} printed no JSON summary ({status}):\n{text}{stderr}"
        ))
    })
}

/// otp-loadgen's JSON summary (`xtask/loadgen/src/main.rs`).
fn parse_client(text: &str) -> Option<Run> {
    let json: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
    let count = |name: &str| json[name].as_u64();
    Some(Run {
        requests: count("requests")?,
        duration: Duration::from_secs_f64(json["seconds"].as_f64()?),
        p50_ns: json["p50_us"].as_f64()? * 1e3,
        p99_ns: json["p99_us"].as_f64()? * 1e3,
        non200: count("non200")?,
        socket_errors: count("socket_errors")?,
        exhausted: count("exhausted")?,
        ..Run::default()
    })
}

/// The oha version line (`oha 1.16.0`).
pub fn oha_version() -> String {
    crate::bench::machine::output(Command::new("oha").arg("--version")).unwrap_or("oha".into())
}

/// `GET base+path` through oha.
fn oha(base: &str, connections: u32, duration: Duration, path: &str) -> Result<Run> {
    let (c, z) = (
        connections.to_string(),
        format!("{}ms", duration.as_millis()),
    );
    let (t, url) = (format!("{}s", TIMEOUT.as_secs()), format!("{base}{path}"));
    let mut command = Command::new("oha");
    // Requests in flight at the end are answered and counted, not aborted.
    let flags = "--no-tui --output-format json --wait-ongoing-requests-after-deadline";
    command
        .args(flags.split(' '))
        .args(["-c", &c, "-z", &z, "-t", &t, &url]);
    let out = command.output().map_err(|source| Error::Spawn {
        command: display(&command),
        source,
    })?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_oha(&text, duration).ok_or_else(|| {
        let (stderr, status) = (String::from_utf8_lossy(&out.stderr), out.status);
        let command = display(&command);
        Error::Project(format!(
            "{command} printed no JSON summary ({status}):\n{text}{stderr}"
        ))
    })
}

/// oha's JSON: `summary` (seconds), `latencyPercentiles` (seconds),
/// `statusCodeDistribution` and `errorDistribution` (counts by name).
fn parse_oha(text: &str, duration: Duration) -> Option<Run> {
    let json: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
    let count = |v: &serde_json::Value| -> u64 {
        let counts = v.as_object().into_iter().flat_map(|m| m.values());
        counts.filter_map(|v| v.as_u64()).sum()
    };
    let statuses = &json["statusCodeDistribution"];
    let requests = count(statuses);
    let ns = |p: &str| json["latencyPercentiles"][p].as_f64().map(|s| s * 1e9);
    let total = json["summary"]["total"].as_f64();
    Some(Run {
        requests,
        duration: total.map_or(duration, Duration::from_secs_f64),
        p50_ns: ns("p50")?,
        p99_ns: ns("p99")?,
        non200: requests - statuses["200"].as_u64().unwrap_or(0),
        socket_errors: count(&json["errorDistribution"]),
        ..Run::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ohas_json_summary() {
        let text = r#"{"summary":{"successRate":1.0,"total":3.0012,"slowest":0.0041,
            "fastest":0.0001,"average":0.0002,"requestsPerSec":5000.0},
            "latencyPercentiles":{"p10":0.0001,"p50":0.000132,"p90":0.0002,"p99":0.000413},
            "statusCodeDistribution":{"200":15000,"500":3},"errorDistribution":{"timeout":2}}"#;
        let run = parse_oha(text, Duration::from_secs(3)).unwrap();
        assert_eq!((run.requests, run.non200, run.socket_errors), (15003, 3, 2));
        assert!((run.p50_ns - 132e3).abs() < 1e-3 && (run.p99_ns - 413e3).abs() < 1e-3);
        assert!((run.rps() - 15003.0 / 3.0012).abs() < 1e-6);
    }

    #[test]
    fn reads_the_clients_json_summary() {
        let text = r#"{"requests":2999,"seconds":3.0004,"p50_us":412,"p99_us":1031,
            "non200":1,"socket_errors":0,"exhausted":2}"#;
        let run = parse_client(text).unwrap();
        assert_eq!((run.requests, run.non200, run.socket_errors), (2999, 1, 0));
        assert_eq!(run.exhausted, 2);
        assert!((run.p50_ns - 412e3).abs() < 1e-6 && (run.p99_ns - 1031e3).abs() < 1e-6);
        assert!(
            parse_client(r#"{"requests":1}"#).is_none(),
            "a field missing"
        );
    }
}
