//! edge-host as the benchmarks run it, started by the one harness the end-to-end tests
//! use too ([`::tests::Launch`]): a given data directory and wasmtime cache directory,
//! its access log to a file, timed until it says it listens; its CPU time and peak
//! memory read from /proc; stopped with SIGTERM.

use std::fs;
use std::path::Path;
use std::time::Duration;

use ::tests::edge_host::{start_retrying, tail};
use ::tests::{EdgeHost, Launch};

use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// Starts edge-host on `data` (its stderr, the access log, to `<data>/edge-host.log`)
/// with wasmtime's compilation cache under `cache` (`XDG_CACHE_HOME`: a fresh directory
/// gives a cold start) and `env` added to its environment, and waits until it listens.
pub fn start(
    ws: &Workspace,
    data: &Path,
    cache: &Path,
    seal_keys: &str,
    env: &[(&str, &str)],
) -> Result<EdgeHost> {
    for dir in [data, cache] {
        fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
    }
    start_retrying(|| {
        let mut launch = Launch::new(data)
            .var("seal_keys", seal_keys)
            .var("issuer", "otp-edge-bench")
            .env("XDG_CACHE_HOME", cache)
            .log_to(&data.join("edge-host.log"));
        for (name, value) in env {
            launch = launch.env(name, value);
        }
        launch.bin = ws.edge_host_bin();
        launch.component = ws.component_wasm();
        launch.web = ws.web_dir();
        launch
    })
    .map_err(Error::Project)
}

/// Stops edge-host with SIGTERM (SIGKILL after 15 s); returns the key-value writes and
/// flushes of its `key-value: N writes in M flushes` line on stopping, when it wrote one.
pub fn stop(host: EdgeHost) -> Result<Option<(u64, u64)>> {
    let log = host.log_path();
    host.stop_within(Duration::from_secs(15))
        .map_err(Error::Project)?;
    Ok(log.and_then(|log| writes_and_flushes(&tail(&log, 5))))
}

/// The numbers of the last `key-value: N writes in M flushes` line in `log`.
fn writes_and_flushes(log: &str) -> Option<(u64, u64)> {
    let line = log
        .lines()
        .rev()
        .find_map(|l| l.split("key-value: ").nth(1))?;
    let mut words = line.split_whitespace();
    Some((words.next()?.parse().ok()?, words.nth(2)?.parse().ok()?))
}

/// One `GET path` to `base` (`http://127.0.0.1:PORT`) on a new connection, with
/// `Connection: close`: the status (0 when there was no HTTP answer) and the time from
/// connecting to the end of the answer. A plain socket, so the time is edge-host's and
/// the loopback's, not an HTTP client's setup.
pub fn timed_get(base: &str, path: &str) -> (u16, Duration) {
    use std::io::{Read, Write};
    let started = std::time::Instant::now();
    let addr = base.trim_start_matches("http://");
    let answer = std::net::TcpStream::connect(addr).and_then(|mut stream| {
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes())?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer)?;
        Ok(answer)
    });
    let elapsed = started.elapsed();
    let status = answer.ok().and_then(|a| {
        let head = String::from_utf8_lossy(a.get(..12)?).into_owned();
        head.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
    });
    (status.unwrap_or(0), elapsed)
}

/// A process's peak resident memory so far (`VmHWM` of /proc/PID/status), KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let value = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    value.trim().trim_end_matches("kB").trim().parse().ok()
}

/// CPU time a process (all threads) has used: `[user, kernel]` in ns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuTime(pub [f64; 2]);

impl CpuTime {
    /// utime and stime (fields 14 and 15) of /proc/PID/stat, at 100 clock ticks a second.
    pub fn of(pid: u32) -> Option<CpuTime> {
        Self::parse(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
    }

    fn parse(stat: &str) -> Option<CpuTime> {
        // The command name (field 2) is in parentheses and may hold spaces; after it
        // comes field 3, so field n is fields[n - 3].
        let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
        let ns = |i: usize| Some(fields.get(i)?.parse::<f64>().ok()? * 1e7);
        Some(CpuTime([ns(11)?, ns(12)?]))
    }

    /// `[user, kernel]` ns per each of `n` responses since `earlier`.
    pub fn per(self, earlier: CpuTime, n: u64) -> [f64; 2] {
        [0, 1].map(|i| (self.0[i] - earlier.0[i]).max(0.0) / n.max(1) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_writes_and_flushes_edge_host_reports() {
        let log = "POST /api/session/otp 200 1ms\n\
                   edge-host: key-value: 6349 writes in 2112 flushes (group commit)\n\
                   edge-host: stopped";
        assert_eq!(writes_and_flushes(log), Some((6349, 2112)));
        assert_eq!(writes_and_flushes("edge-host: stopped"), None);
    }

    #[test]
    fn a_timed_get_reads_the_status_of_the_answer() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = [0u8; 256];
            let n = conn.read(&mut request).unwrap();
            conn.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
            String::from_utf8_lossy(&request[..n]).into_owned()
        });
        assert_eq!(timed_get(&base, "/api/time").0, 204);
        assert!(
            server
                .join()
                .unwrap()
                .starts_with("GET /api/time HTTP/1.1\r\n")
        );
        // Nothing listens there any more.
        assert_eq!(timed_get(&base, "/api/time").0, 0);
    }

    #[test]
    fn reads_cpu_time_and_memory_from_proc() {
        let stat = "1234 (edge host) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 31 0 0 20 0 9 0";
        assert_eq!(CpuTime::parse(stat), Some(CpuTime([2.5e9, 3.1e8])));
        assert_eq!(CpuTime::parse("garbage"), None);
        assert!(CpuTime::of(std::process::id()).is_some());
        assert!(peak_rss_kib(std::process::id()).is_some());
    }
}
