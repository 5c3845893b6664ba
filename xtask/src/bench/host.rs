//! edge-host as the benchmarks run it, started by the one harness the end-to-end tests
//! use too ([`::tests::Launch`]): a given data directory and wasmtime cache directory,
//! its access log to a file, timed until it says it listens; its CPU time and peak
//! memory read from /proc; stopped with SIGTERM.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ::tests::edge_host::{start_retrying, tail};
use ::tests::{EdgeHost, Launch};

use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// How long edge-host may take to stop after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// How to start edge-host.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// `--data-dir`.
    pub data_dir: PathBuf,
    /// `XDG_CACHE_HOME` for wasmtime's compilation cache (`<dir>/wasmtime`): a fresh
    /// directory gives a cold start, one filled by an earlier start a warm one.
    pub cache_home: PathBuf,
    /// The `seal_keys` variable.
    pub seal_keys: String,
}

/// A running edge-host started by the benchmarks.
pub struct RunningHost(EdgeHost);

impl std::ops::Deref for RunningHost {
    type Target = EdgeHost;
    fn deref(&self) -> &EdgeHost {
        &self.0
    }
}

impl RunningHost {
    /// Starts edge-host (stderr, its access log, goes to `<data-dir>/edge-host.log`)
    /// and waits until it listens.
    pub fn start(ws: &Workspace, options: &HostOptions) -> Result<RunningHost> {
        for dir in [&options.data_dir, &options.cache_home] {
            fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
        }
        start_retrying(|| {
            let mut launch = Launch::new(&options.data_dir)
                .var("seal_keys", &options.seal_keys)
                .var("issuer", "otp-edge-bench")
                .env("XDG_CACHE_HOME", &options.cache_home)
                .log_to(&options.data_dir.join("edge-host.log"));
            launch.bin = ws.edge_host_bin();
            launch.component = ws.component_wasm();
            launch.web = ws.web_dir();
            launch
        })
        .map(RunningHost)
        .map_err(Error::Project)
    }

    /// `http://ADDR`.
    pub fn base_url(&self) -> String {
        self.0.base.clone()
    }

    /// The CPU time (all threads) edge-host has used so far.
    pub fn cpu_time(&self) -> Option<CpuTime> {
        let stat = fs::read_to_string(format!("/proc/{}/stat", self.pid())).ok()?;
        let (user, system) = cpu_ticks(&stat)?;
        let seconds = |ticks: u64| Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second());
        Some(CpuTime {
            user: seconds(user),
            system: seconds(system),
        })
    }

    /// edge-host's peak resident memory so far (`VmHWM`), KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Stops edge-host with SIGTERM (SIGKILL when it does not stop in time); returns
    /// the key-value writes and flushes it reported on stopping (its `key-value: N
    /// writes in M flushes` line), when it did.
    pub fn stop(self) -> Result<Option<(u64, u64)>> {
        let log = self.0.log_path();
        self.0.stop_within(STOP_TIMEOUT).map_err(Error::Project)?;
        Ok(log.and_then(|log| writes_and_flushes(&tail(&log, 5))))
    }
}

/// The numbers of edge-host's `key-value: N writes in M flushes` line in `log`.
fn writes_and_flushes(log: &str) -> Option<(u64, u64)> {
    let line = log
        .lines()
        .rev()
        .find_map(|l| l.split("key-value: ").nth(1))?;
    let mut words = line.split_whitespace();
    let writes = words.next()?.parse().ok()?;
    let flushes = words.nth(2)?.parse().ok()?;
    Some((writes, flushes))
}

/// CPU time of a process, user and kernel.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuTime {
    /// In the process itself.
    pub user: Duration,
    /// In the kernel on its behalf.
    pub system: Duration,
}

impl CpuTime {
    /// The CPU time since `earlier`, divided by `n`.
    pub fn since_per(self, earlier: CpuTime, n: u64) -> CpuTime {
        let per = |now: Duration, then: Duration| now.saturating_sub(then).div_f64(n.max(1) as f64);
        CpuTime {
            user: per(self.user, earlier.user),
            system: per(self.system, earlier.system),
        }
    }

    /// User and kernel together.
    pub fn total(self) -> Duration {
        self.user + self.system
    }
}

/// utime and stime (fields 14 and 15) of a /proc/PID/stat line, in clock ticks.
fn cpu_ticks(stat: &str) -> Option<(u64, u64)> {
    // The command name (field 2) is in parentheses and may hold spaces.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // after_name starts at field 3 (state): field n is fields[n - 3].
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime, stime))
}

/// `getconf CLK_TCK` (100 on Linux unless told otherwise).
fn clock_ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// One `GET path` on a new connection (`Connection: close`): the status and the time
/// from connecting to the end of the response.
pub fn get(addr: SocketAddr, path: &str) -> Result<(u16, Duration)> {
    let io = |e: std::io::Error| Error::Project(format!("GET http://{addr}{path}: {e}"));
    let started = Instant::now();
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(30)).map_err(io)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(io)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
    .map_err(io)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).map_err(io)?;
    let took = started.elapsed();
    let status = status_code(&response).ok_or_else(|| {
        Error::Project(format!(
            "GET http://{addr}{path}: not an HTTP response: {:?}",
            String::from_utf8_lossy(&response[..response.len().min(80)])
        ))
    })?;
    Ok((status, took))
}

/// The status code of an HTTP/1.x response.
fn status_code(response: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(&response[..response.len().min(32)]).ok()?;
    let mut parts = text.split_whitespace();
    parts.next()?.starts_with("HTTP/1.").then_some(())?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {

    #[test]
    fn reads_the_writes_and_flushes_edge_host_reports() {
        let log = "POST /api/session/otp 200 1ms\n\
                   edge-host: key-value: 6349 writes in 2112 flushes (group commit)\n\
                   edge-host: stopped";
        assert_eq!(writes_and_flushes(log), Some((6349, 2112)));
        assert_eq!(writes_and_flushes("edge-host: stopped"), None);
    }
    use super::*;

    #[test]
    fn reads_cpu_ticks_from_proc_stat() {
        let stat =
            "1234 (edge host) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 31 0 0 20 0 9 0 100 0 0";
        assert_eq!(cpu_ticks(stat), Some((250, 31)));
        assert_eq!(cpu_ticks("garbage"), None);
    }

    #[test]
    fn reads_status_lines() {
        assert_eq!(status_code(b"HTTP/1.1 200 OK\r\n\r\n{}"), Some(200));
        assert_eq!(status_code(b"HTTP/1.0 404 Not Found\r\n"), Some(404));
        assert_eq!(status_code(b"SSH-2.0"), None);
    }

    #[test]
    fn own_cpu_time_is_readable() {
        let stat = fs::read_to_string("/proc/self/stat").unwrap();
        assert!(cpu_ticks(&stat).is_some());
    }
}
