//! edge-host under load: cold and warm starts, then `GET /api/time` and the sign-in OTP
//! step (success path) at several connection counts, each repeated, on 127.0.0.1
//! ([`loadgen`]: oha for `GET`, a hyper client for the OTP step).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::bench::host::{self, CpuTime, HostOptions, RunningHost};
use crate::bench::loadgen::{self, Load, LoadRun, Script};
use crate::bench::profile::{self, Profile};
use crate::bench::state;
use crate::bench::stats::Summary;
use crate::error::{Error, Result};
use crate::process::announce;
use crate::workspace::Workspace;

/// Connection counts of the load levels.
pub const CONNECTIONS: [u32; 3] = [1, 8, 64];
/// Runs of each level (median and range over these).
pub const RUNS: usize = 3;
/// Length of each run.
pub const RUN_SECONDS: u64 = 3;
/// Cold starts (empty compilation cache) and warm-cache starts measured.
pub const COLD_STARTS: usize = 3;
/// Starts with the compilation cache filled.
pub const WARM_STARTS: usize = 5;
/// Prepared sign-ins per OTP run: this many times what a pilot run managed in the same
/// time, so a run never runs out (a run that does is reported as such).
pub const HEADROOM: f64 = 2.5;
/// Prepared sign-ins per run, at least.
pub const MIN_SIGN_INS: usize = 2_000;
/// Length of the pilot run (64 connections), which sizes the prepared state.
pub const PILOT_SECONDS: u64 = 2;
/// Sign-ins prepared for the pilot, at most (enough for 5000 steps/s).
const PILOT_SIGN_INS: usize = 10_000;
/// Sign-ins prepared per run, at most: preparing takes long enough that the prepared
/// codes' time step must not have passed by the time the run sends them.
pub const MAX_SIGN_INS: usize = 20_000;

/// One start of edge-host.
#[derive(Debug, Clone)]
pub struct StartSample {
    /// From spawning the process to its `listening` line (includes compiling or
    /// loading the component).
    pub ready: Duration,
    /// From spawning the process to the end of the first response.
    pub first_response: Duration,
    /// The first request alone (the first instantiation and response).
    pub first_request: Duration,
    /// The second request (a warm instance setup).
    pub second_request: Duration,
}

/// Cold and warm-cache starts.
#[derive(Debug, Clone, Default)]
pub struct Starts {
    /// Each with an empty wasmtime compilation cache.
    pub cold: Vec<StartSample>,
    /// Each with the cache a cold start filled.
    pub warm_cache: Vec<StartSample>,
}

/// What a load level sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /api/time`.
    Time,
    /// `POST /api/session/otp` with a valid code.
    OtpStep,
}

impl Endpoint {
    /// As the report names it.
    pub fn label(self) -> &'static str {
        match self {
            Endpoint::Time => "`GET /api/time`",
            Endpoint::OtpStep => "`POST /api/session/otp` (valid code)",
        }
    }
}

/// One run at one level, with edge-host's CPU time.
#[derive(Debug, Clone)]
pub struct LevelRun {
    /// What the load generator measured.
    pub load: LoadRun,
    /// edge-host's CPU time (all threads) per response.
    pub cpu_per_request: Option<CpuTime>,
    /// Sign-ins prepared for this run (OTP step only).
    pub prepared: usize,
    /// edge-host's peak resident memory at the end of the run, KiB.
    pub peak_rss_kib: Option<u64>,
    /// Key-value writes and flushes (committed transactions) edge-host reported for the
    /// run (OTP step only: a fresh edge-host per run).
    pub writes_and_flushes: Option<(u64, u64)>,
}

/// All runs of one endpoint at one connection count.
#[derive(Debug, Clone)]
pub struct Level {
    /// What was sent.
    pub endpoint: Endpoint,
    /// Open connections.
    pub connections: u32,
    /// The runs.
    pub runs: Vec<LevelRun>,
}

/// Everything measured on edge-host.
#[derive(Debug, Clone, Default)]
pub struct HostResults {
    /// Starts.
    pub starts: Starts,
    /// Load levels, `GET /api/time` first.
    pub levels: Vec<Level>,
    /// The profile of the OTP step, taken when it missed one of its lines
    /// ([`crate::bench::report::host_lines`]).
    pub profile: Option<Profile>,
}

impl HostResults {
    /// The median over runs of the OTP step's p50 latency at `connections`, ns.
    pub fn otp_step_p50_ns(&self, connections: u32) -> Option<f64> {
        let level = self.level(Endpoint::OtpStep, connections)?;
        let p50s: Vec<f64> = level.runs.iter().map(|r| r.load.p50_us * 1e3).collect();
        Summary::of(&p50s).map(|s| s.median)
    }

    /// The level of `endpoint` at `connections`, if measured.
    pub fn level(&self, endpoint: Endpoint, connections: u32) -> Option<&Level> {
        self.levels
            .iter()
            .find(|l| l.endpoint == endpoint && l.connections == connections)
    }
}

/// Scratch space of the edge-host benchmarks.
struct Scratch {
    /// The directory (`target/bench/edge-host`).
    dir: PathBuf,
    /// The `seal_keys` every edge-host of the run gets (a fresh random key).
    seal_keys: String,
}

impl Scratch {
    /// An empty data directory `data/<name>`.
    fn data_dir(&self, name: &str) -> Result<PathBuf> {
        let dir = self.dir.join("data").join(name);
        remove_dir(&dir)?;
        Ok(dir)
    }

    /// How to start edge-host on `data_dir` with the compilation cache in `cache_home`.
    fn options(&self, data_dir: PathBuf, cache_home: PathBuf) -> HostOptions {
        HostOptions {
            data_dir,
            cache_home,
            seal_keys: self.seal_keys.clone(),
        }
    }
}

/// Measures starts and load levels, and profiles the OTP step when it crosses a
/// line ([`crate::bench::report::host_lines`], with `fsync_ns` the measured flush);
/// `scratch` is
/// emptied first.
pub fn run(ws: &Workspace, scratch: &Path, fsync_ns: Option<f64>) -> Result<HostResults> {
    remove_dir(scratch)?;
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(Error::Random)?;
    let scratch = Scratch {
        dir: scratch.to_path_buf(),
        seal_keys: format!("bench:{}", BASE64.encode(key)),
    };
    let (starts, warm_cache) = measure_starts(ws, &scratch)?;
    let mut levels = time_levels(ws, &scratch, &warm_cache)?;
    let sign_ins = sign_ins_per_run(ws, &scratch, &warm_cache, &levels)?;
    for connections in CONNECTIONS {
        let mut runs = Vec::new();
        for run in 0..RUNS {
            runs.push(otp_step_run(
                ws,
                &scratch,
                &warm_cache,
                connections,
                run,
                sign_ins,
            )?);
        }
        levels.push(Level {
            endpoint: Endpoint::OtpStep,
            connections,
            runs,
        });
    }
    let mut results = HostResults {
        starts,
        levels,
        profile: None,
    };
    if crate::bench::report::host_lines(&results, fsync_ns)
        .iter()
        .any(|l| !l.met)
    {
        let data = scratch.data_dir("profile")?;
        let options = scratch.options(data, warm_cache.clone());
        results.profile = Some(profile::otp_step(
            ws,
            &scratch.dir.join("profile"),
            &options,
        )?);
    }
    remove_dir(&scratch.dir.join("data"))?;
    Ok(results)
}

/// Cold starts, each with a fresh compilation cache, then warm-cache starts with the
/// cache the last cold start filled (returned for the load runs).
fn measure_starts(ws: &Workspace, scratch: &Scratch) -> Result<(Starts, PathBuf)> {
    let mut starts = Starts::default();
    let mut cache = scratch.dir.join("cache-cold-0");
    for i in 0..COLD_STARTS {
        cache = scratch.dir.join(format!("cache-cold-{i}"));
        remove_dir(&cache)?;
        announce(format!(
            "edge-host cold start {}/{COLD_STARTS} (empty wasmtime cache)",
            i + 1
        ));
        let data = scratch.data_dir("start")?;
        starts
            .cold
            .push(one_start(ws, &scratch.options(data, cache.clone()))?);
    }
    for i in 0..WARM_STARTS {
        announce(format!(
            "edge-host start {}/{WARM_STARTS} with the compilation cache filled",
            i + 1
        ));
        let data = scratch.data_dir("start")?;
        starts
            .warm_cache
            .push(one_start(ws, &scratch.options(data, cache.clone()))?);
    }
    Ok((starts, cache))
}

/// One start: time to listening, then two `GET /api/time`, then stop.
fn one_start(ws: &Workspace, options: &HostOptions) -> Result<StartSample> {
    let host = RunningHost::start(ws, options)?;
    let (first_status, first_request) = host::get(host.addr, "/api/time")?;
    let first_response = host.spawned.elapsed();
    let (second_status, second_request) = host::get(host.addr, "/api/time")?;
    if first_status != 200 || second_status != 200 {
        return Err(Error::Project(format!(
            "GET /api/time answered {first_status} and {second_status}; edge-host's log:\n{}",
            host.log_tail(20)
        )));
    }
    let sample = StartSample {
        ready: host.ready_after,
        first_response,
        first_request,
        second_request,
    };
    host.stop()?;
    Ok(sample)
}

/// `GET /api/time` at every level, on one edge-host.
fn time_levels(ws: &Workspace, scratch: &Scratch, cache: &Path) -> Result<Vec<Level>> {
    let data = scratch.data_dir("time")?;
    let host = RunningHost::start(ws, &scratch.options(data, cache.to_path_buf()))?;
    let load = |connections, seconds| Load {
        base_url: host.base_url(),
        connections,
        duration: Duration::from_secs(seconds),
        script: Script::Get("/api/time"),
    };
    announce("oha: 1 s warm-up of GET /api/time (not recorded)");
    loadgen::run(&load(8, 1))?;
    let mut levels = Vec::new();
    for connections in CONNECTIONS {
        let mut runs = Vec::new();
        for run in 0..RUNS {
            announce(format!(
                "oha: GET /api/time, {connections} connection(s), {RUN_SECONDS} s, run {}/{RUNS}",
                run + 1
            ));
            runs.push(measured(&host, &load(connections, RUN_SECONDS), 0)?);
        }
        levels.push(Level {
            endpoint: Endpoint::Time,
            connections,
            runs,
        });
    }
    host.stop()?;
    Ok(levels)
}

/// How many sign-ins to prepare per OTP run: [`HEADROOM`] times the rate of a pilot run
/// at the highest connection count. `GET /api/time` does strictly less work than an OTP
/// step, so its best rate bounds what the pilot prepares.
fn sign_ins_per_run(
    ws: &Workspace,
    scratch: &Scratch,
    cache: &Path,
    time_levels: &[Level],
) -> Result<usize> {
    let best_time_rps = time_levels
        .iter()
        .flat_map(|l| &l.runs)
        .map(|r| r.load.rps())
        .fold(0.0, f64::max);
    let bound = (best_time_rps * PILOT_SECONDS as f64 * HEADROOM).ceil() as usize;
    let connections = CONNECTIONS[CONNECTIONS.len() - 1];
    let pilot = otp_step_once(
        ws,
        scratch,
        cache,
        connections,
        PILOT_SECONDS,
        "pilot",
        bound.clamp(MIN_SIGN_INS, PILOT_SIGN_INS),
    )?;
    let rate = if pilot.load.exhausted_connections > 0 {
        best_time_rps
    } else {
        pilot.load.rps()
    };
    Ok(((rate * RUN_SECONDS as f64 * HEADROOM).ceil() as usize).clamp(MIN_SIGN_INS, MAX_SIGN_INS))
}

/// One OTP-step run: a fresh data directory with `sign_ins` prepared sign-ins, a fresh
/// edge-host on it, the load client sending each once.
fn otp_step_run(
    ws: &Workspace,
    scratch: &Scratch,
    cache: &Path,
    connections: u32,
    run: usize,
    sign_ins: usize,
) -> Result<LevelRun> {
    announce(format!(
        "client: POST /api/session/otp, {connections} connection(s), {RUN_SECONDS} s, run {}/{RUNS} \
         ({sign_ins} sign-ins prepared)",
        run + 1
    ));
    let tag = format!("c{connections}r{run}");
    otp_step_once(ws, scratch, cache, connections, RUN_SECONDS, &tag, sign_ins)
}

/// Prepares `sign_ins` sign-ins in a fresh data directory, starts edge-host on it and
/// sends OTP steps on `connections` connections for `seconds`.
fn otp_step_once(
    ws: &Workspace,
    scratch: &Scratch,
    cache: &Path,
    connections: u32,
    seconds: u64,
    tag: &str,
    sign_ins: usize,
) -> Result<LevelRun> {
    let data = scratch.data_dir("otp")?;
    let bodies = state::prepare_sign_ins(
        &data,
        &scratch.seal_keys,
        sign_ins,
        tag,
        crate::bench::machine::unix_now() * 1000,
    )?;
    let host = RunningHost::start(ws, &scratch.options(data, cache.to_path_buf()))?;
    let load = Load {
        base_url: host.base_url(),
        connections,
        duration: Duration::from_secs(seconds),
        script: Script::OtpStep(bodies.into()),
    };
    let result = measured(&host, &load, sign_ins);
    if let Ok(r) = &result
        && r.load.non200 > 0
    {
        announce(format!(
            "{} of {} OTP steps were not 200; edge-host's log ends:\n{}",
            r.load.non200,
            r.load.requests,
            host.log_tail(5)
        ));
    }
    let counted = host.stop()?;
    result.map(|run| LevelRun {
        writes_and_flushes: counted,
        ..run
    })
}

/// Runs `load` against `host`, with edge-host's CPU time per response.
fn measured(host: &RunningHost, load: &Load, prepared: usize) -> Result<LevelRun> {
    let cpu_before = host.cpu_time();
    let run = loadgen::run(load)?;
    let cpu_per_request = match (cpu_before, host.cpu_time()) {
        (Some(before), Some(after)) if run.requests > 0 => {
            Some(after.since_per(before, run.requests))
        }
        _ => None,
    };
    Ok(LevelRun {
        load: run,
        cpu_per_request,
        prepared,
        peak_rss_kib: host.peak_rss_kib(),
        writes_and_flushes: None,
    })
}

/// Removes a directory tree if it exists.
fn remove_dir(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("removing", dir, e)),
    }
}
