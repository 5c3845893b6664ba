//! edge-host under load: cold and warm starts, then `GET /api/time` and the sign-in OTP
//! step (success path) at several connection counts, each repeated, on 127.0.0.1
//! ([`loadgen`]: oha for `GET`, otp-loadgen for the OTP step). The same [`Level`]s
//! hold Spin's figures ([`crate::bench::spin`]).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ::tests::EdgeHost;

use crate::bench::host::{self, CpuTime};
use crate::bench::loadgen::{self, Script};
use crate::bench::profile::{self, Profile};
use crate::bench::state;
use crate::bench::stats::Summary;
use crate::error::{Error, Result};
use crate::process::announce;
use crate::workspace::Workspace;

/// Connection counts of the load levels.
pub const CONNECTIONS: [u32; 3] = [1, 8, 64];
/// The largest of them.
pub const BUSY: u32 = CONNECTIONS[CONNECTIONS.len() - 1];
/// Runs of each level (median and range over these).
pub const RUNS: usize = 3;
/// Length of each run, seconds.
pub const RUN_SECONDS: u64 = 3;
/// Cold starts (empty compilation cache) and starts with the cache filled.
pub const STARTS: [usize; 2] = [3, 5];
/// Prepared sign-ins per OTP run: this many times the rate of the `GET /api/time` run
/// just before it at the same level (an OTP step does strictly more work) over a run,
/// so a run never runs out (one that does is reported as such) …
pub const HEADROOM: f64 = 1.2;
/// … at least and at most: preparing takes long enough that the prepared codes' time
/// step must not have passed by the time the run sends them.
pub const SIGN_INS: [usize; 2] = [2_000, 20_000];

/// What a load level sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /api/time`.
    Time,
    /// `POST /api/session/otp` with a valid code.
    OtpStep,
}

/// One run at one level: what the load generator measured ([`loadgen`]) and what was
/// read of the server.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// Responses received.
    pub requests: u64,
    /// How long the run sent.
    pub duration: Duration,
    /// Median latency, ns.
    pub p50_ns: f64,
    /// 99th percentile latency, ns.
    pub p99_ns: f64,
    /// Responses with a status other than 200.
    pub non200: u64,
    /// Connections that ran out of prepared bodies.
    pub exhausted: u64,
    /// Connect, read and write errors and timeouts.
    pub socket_errors: u64,
    /// The server's CPU time (all threads) per response, `[user, kernel]` ns.
    pub cpu_ns: Option<[f64; 2]>,
    /// The server's peak resident memory at the end of the run, KiB.
    pub peak_rss_kib: Option<u64>,
    /// Key-value writes and flushes (committed transactions) edge-host reported for the
    /// run (OTP step only: a fresh edge-host per run).
    pub writes_and_flushes: Option<(u64, u64)>,
}

impl Run {
    /// Responses per second.
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.duration.as_secs_f64().max(1e-9)
    }
}

/// All runs of one endpoint at one connection count.
#[derive(Debug, Clone)]
pub struct Level {
    /// What was sent.
    pub endpoint: Endpoint,
    /// Open connections.
    pub connections: u32,
    /// The runs.
    pub runs: Vec<Run>,
}

impl Level {
    /// Median and range over the runs of `f` (runs where it is `None` left out).
    pub fn over_runs(&self, f: impl Fn(&Run) -> Option<f64>) -> Option<Summary> {
        Summary::of(self.runs.iter().filter_map(f))
    }
}

/// The level of `endpoint` at `connections` in `levels`, if measured.
pub fn level(levels: &[Level], endpoint: Endpoint, connections: u32) -> Option<&Level> {
    levels
        .iter()
        .find(|l| l.endpoint == endpoint && l.connections == connections)
}

/// Everything measured on edge-host.
#[derive(Debug, Clone, Default)]
pub struct HostResults {
    /// Cold starts and starts with the compilation cache filled, each
    /// `[listening, first response, first request alone, second request]` from spawning.
    pub starts: [Vec<[Duration; 4]>; 2],
    /// Load levels, `GET /api/time` first.
    pub levels: Vec<Level>,
    /// Sign-ins prepared for the largest OTP run.
    pub sign_ins: usize,
    /// The profile of the OTP step, taken when it missed one of its lines
    /// ([`crate::bench::report::host_lines`]).
    pub profile: Option<Profile>,
}

/// Where a run's edge-hosts keep their files, and the key they seal with.
struct Scratch<'a> {
    ws: &'a Workspace,
    /// `target/bench/edge-host`.
    dir: PathBuf,
    /// The `seal_keys` every edge-host of the run gets.
    seal_keys: String,
}

impl Scratch<'_> {
    /// An empty data directory `data/<name>`.
    fn data_dir(&self, name: &str) -> Result<PathBuf> {
        let dir = self.dir.join("data").join(name);
        remove_dir(&dir)?;
        Ok(dir)
    }

    /// edge-host on `data` with the compilation cache in `cache` and `env`.
    fn start(&self, data: &Path, cache: &Path, env: &[(&str, &str)]) -> Result<EdgeHost> {
        host::start(self.ws, data, cache, &self.seal_keys, env)
    }
}

/// `GET /api/time` (through oha).
const TIME: Script = Script::Get("/api/time");

/// The levels of each of `endpoints` at each of `connections`: [`RUNS`] rounds per
/// level, each round `run(connections, round)` measuring one run of every endpoint in
/// turn (so endpoints compared with each other are measured close together), announced
/// as `what`. Answers every endpoint's levels in turn, the first endpoint's first.
pub fn levels<const K: usize>(
    what: &str,
    endpoints: [Endpoint; K],
    connections: &[u32],
    mut run: impl FnMut(u32, usize) -> Result<[Run; K]>,
) -> Result<Vec<Level>> {
    let mut levels: [Vec<Level>; K] = std::array::from_fn(|_| Vec::new());
    let each = if K > 1 { " each" } else { "" };
    for &n in connections {
        let mut runs: [Vec<Run>; K] = std::array::from_fn(|_| Vec::new());
        for i in 0..RUNS {
            announce(format!(
                "{what}, {n} connection(s), {RUN_SECONDS} s{each}, run {}/{RUNS}",
                i + 1
            ));
            for (k, measured) in run(n, i)?.into_iter().enumerate() {
                runs[k].push(measured);
            }
        }
        for ((endpoint, runs), levels) in endpoints.into_iter().zip(runs).zip(&mut levels) {
            levels.push(Level {
                endpoint,
                connections: n,
                runs,
            });
        }
    }
    Ok(levels.into_iter().flatten().collect())
}

/// Measures starts and load levels, and profiles the OTP step when it crosses a
/// line ([`crate::bench::report::host_lines`], with `fsync_ns` the measured flush);
/// `scratch` is emptied first.
pub fn run(ws: &Workspace, scratch: &Path, fsync_ns: Option<f64>) -> Result<HostResults> {
    remove_dir(scratch)?;
    let seal_keys = state::fresh_seal_keys()?;
    let dir = scratch.to_path_buf();
    let s = Scratch { ws, dir, seal_keys };
    let mut results = HostResults::default();
    // Cold starts each with a fresh cache; warm ones with the last one's (kept for the rest).
    let mut cache = PathBuf::new();
    for (kind, n) in STARTS.into_iter().enumerate() {
        for i in 0..n {
            if kind == 0 {
                cache = s.dir.join(format!("cache-cold-{i}"));
                remove_dir(&cache)?;
            }
            let what = ["cold start (empty wasmtime cache)", "start (cache filled)"][kind];
            announce(format!("edge-host {what} {}/{n}", i + 1));
            results.starts[kind].push(one_start(&s, &cache)?);
        }
    }
    (results.levels, results.sign_ins) = time_and_otp_step(&s, &cache)?;
    let lines = crate::bench::report::host_lines(&results, fsync_ns);
    if lines.iter().any(|(_, met)| !met) {
        let (dir, data) = (s.dir.join("profile"), s.data_dir("profile")?);
        let start = |data: &Path| s.start(data, &cache, &[profile::PERF_MAP]);
        results.profile = Some(profile::otp_step(&dir, &data, &s.seal_keys, start)?);
    }
    remove_dir(&s.dir.join("data"))?;
    Ok(results)
}

/// The levels of `GET /api/time` and of the OTP step at each of [`CONNECTIONS`], with
/// the largest number of sign-ins prepared for an OTP run. Their runs alternate — a
/// `GET` run, then an OTP run at the same level — so that the two figures the lines
/// compare are measured minutes apart at most, not a whole section apart: this VM's
/// speed drifts within a bench run (two runs in a row gave `GET /api/time` 101 and
/// 137 µs of CPU at 1 connection while the step stayed at 390–393 µs).
fn time_and_otp_step(s: &Scratch, cache: &Path) -> Result<(Vec<Level>, usize)> {
    let host = s.start(&s.data_dir("time")?, cache, &[])?;
    announce("oha: 1 s warm-up of GET /api/time (not recorded)");
    loadgen::run(&host.base, 8, 1, TIME)?;
    let mut most = 0;
    let what = "GET /api/time (oha), then POST /api/session/otp (otp-loadgen)";
    let endpoints = [Endpoint::Time, Endpoint::OtpStep];
    let levels = levels(what, endpoints, &CONNECTIONS, |n, i| {
        let get = measured(&host, n, TIME)?;
        let sign_ins = (get.rps() * RUN_SECONDS as f64 * HEADROOM).ceil() as usize;
        let sign_ins = sign_ins.clamp(SIGN_INS[0], SIGN_INS[1]);
        most = most.max(sign_ins);
        let step = otp_step_run(s, cache, n, &format!("c{n}r{i}"), sign_ins)?;
        Ok([get, step])
    })?;
    host::stop(host)?;
    Ok((levels, most))
}

/// One start: time to listening, then two `GET /api/time`, then stop.
fn one_start(s: &Scratch, cache: &Path) -> Result<[Duration; 4]> {
    let host = s.start(&s.data_dir("start")?, cache, &[])?;
    let get = || host::timed_get(&host.base, "/api/time");
    let (first_status, first_request) = get();
    let first_response = host.spawned.elapsed();
    let (second_status, second_request) = get();
    if (first_status, second_status) != (200, 200) {
        let log = host.log_tail(20);
        return Err(Error::Project(format!(
            "GET /api/time answered {first_status} and {second_status} (0: none); log:\n{log}"
        )));
    }
    let ready = host.ready_after;
    host::stop(host)?;
    Ok([ready, first_response, first_request, second_request])
}

/// One OTP-step run: a fresh data directory with `sign_ins` prepared sign-ins, a fresh
/// edge-host on it, the load client sending each once.
fn otp_step_run(s: &Scratch, cache: &Path, n: u32, tag: &str, sign_ins: usize) -> Result<Run> {
    let data = s.data_dir("otp")?;
    let now_ms = ::tests::unix_now() * 1000;
    let sign_ins = state::prepare_sign_ins(&data, &s.seal_keys, sign_ins, tag, now_ms)?;
    let host = s.start(&data, cache, &[])?;
    let bodies = state::otp_bodies(&sign_ins, ::tests::unix_now() * 1000)?;
    let result = measured(&host, n, Script::OtpStep(bodies));
    if let Ok(r) = &result
        && r.non200 > 0
    {
        let (bad, all, log) = (r.non200, r.requests, host.log_tail(5));
        announce(format!(
            "{bad} of {all} OTP steps were not 200; edge-host's log ends:\n{log}"
        ));
    }
    let counted = host::stop(host)?;
    let mut run = result?;
    run.writes_and_flushes = counted;
    Ok(run)
}

/// Sends `script` to `host` on `connections` for [`RUN_SECONDS`], with edge-host's CPU
/// time per response and its peak memory.
fn measured(host: &EdgeHost, connections: u32, script: Script) -> Result<Run> {
    let before = CpuTime::of(host.pid());
    let mut run = loadgen::run(&host.base, connections, RUN_SECONDS, script)?;
    if let (Some(before), Some(after)) = (before, CpuTime::of(host.pid()))
        && run.requests > 0
    {
        run.cpu_ns = Some(after.per(before, run.requests));
    }
    run.peak_rss_kib = host::peak_rss_kib(host.pid());
    Ok(run)
}

/// Removes a directory tree if it exists.
pub fn remove_dir(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("removing", dir, e)),
        _ => Ok(()),
    }
}
