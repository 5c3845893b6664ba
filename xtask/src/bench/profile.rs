//! A profile of the OTP step through edge-host, taken when it misses one of its lines
//! ([`crate::bench::report::host_lines`]), while the load client sends OTP steps on one
//! connection:
//!
//! - where the CPU goes — `perf record` of edge-host, by shared object: the kernel,
//!   edge-host itself (wasmtime, SQLite, tokio), the component's compiled code (perf's
//!   `[JIT]`, its functions named through edge-host's perf map), libc — and the hottest
//!   symbols;
//! - what the disk costs — the same load with the data directory in `/dev/shm` (tmpfs,
//!   where `fsync` returns at once), untraced.
//!
//! Each pass runs on its own edge-host and prepared state; a pass is skipped when its
//! tool (or /dev/shm) is missing or not allowed to attach.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use ::tests::EdgeHost;

use crate::bench::load::Run;
use crate::bench::loadgen::{self, Script};
use crate::bench::{host, state};
use crate::error::{Error, Result};
use crate::process::{announce, find_program};

/// Length of each profiled load, seconds.
const SECONDS: u64 = 3;
/// Sign-ins prepared for it (far more than one connection sends in that time).
const SIGN_INS: usize = 3_000;
/// Hottest symbols reported.
const TOP_SYMBOLS: usize = 8;
/// The environment that makes edge-host name the component's compiled functions for
/// perf (`/tmp/perf-<pid>.map`, edge-host's `engine::PERF_MAP_VARIABLE`).
pub const PERF_MAP: (&str, &str) = ("EDGE_HOST_PERF_MAP", "1");
/// Where the tmpfs pass keeps its data directory.
const TMPFS: &str = "/dev/shm";

/// A share of perf's samples: percent of them, samples, and the shared object (or
/// `object symbol`).
pub type Share = (f64, u64, String);

/// What perf saw.
#[derive(Debug, Clone)]
pub struct CpuProfile {
    /// The load while sampled.
    pub run: Run,
    /// Samples taken.
    pub samples: u64,
    /// Shares by shared object.
    pub objects: Vec<Share>,
    /// The hottest symbols.
    pub symbols: Vec<Share>,
}

/// The profile of OTP steps on one connection.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// Where the CPU goes, when perf could run.
    pub cpu: Option<CpuProfile>,
    /// The same load with the data directory on tmpfs, untraced.
    pub on_tmpfs: Option<Run>,
}

/// Takes both passes, the perf pass on `data_dir` (the tmpfs pass in [`TMPFS`]), with
/// edge-hosts from `start` (given the data directory) sealing with `seal_keys`.
pub fn otp_step(
    scratch: &Path,
    data_dir: &Path,
    seal_keys: &str,
    start: impl Fn(&Path) -> Result<EdgeHost>,
) -> Result<Profile> {
    let mut profile = Profile::default();
    fs::create_dir_all(scratch).map_err(|e| Error::io("creating", scratch, e))?;
    let load = |data: &Path, tracer: Option<&dyn Fn(u32) -> Command>| {
        traced_load(data, seal_keys, &start, tracer)
    };
    let steps = format!("{SECONDS} s of OTP steps on 1 connection");
    if find_program("perf").is_some() {
        announce(format!("profile: perf record of edge-host during {steps}"));
        let data = scratch.join("perf.data");
        let _ = fs::remove_file(&data);
        let (run, pid) = load(
            data_dir,
            Some(&|pid| {
                let mut perf = Command::new("perf");
                perf.args(["record", "-F", "999", "-p", &pid.to_string(), "-o"])
                    .arg(&data);
                perf
            }),
        )?;
        profile.cpu = read_perf(&data, run);
        let _ = fs::remove_file(format!("/tmp/perf-{pid}.map"));
        if profile.cpu.is_none() {
            announce("perf recorded nothing (not allowed to profile?)");
        }
    } else {
        announce("perf is not installed (Debian: linux-perf): no CPU profile of the OTP step");
    }
    if Path::new(TMPFS).is_dir() {
        announce(format!(
            "profile: {steps} with the data directory in {TMPFS} (tmpfs)"
        ));
        let data = Path::new(TMPFS).join(format!("otp-edge-bench-{}", std::process::id()));
        let run = load(&data, None);
        let _ = fs::remove_dir_all(&data);
        let (run, pid) = run?;
        let _ = fs::remove_file(format!("/tmp/perf-{pid}.map"));
        profile.on_tmpfs = Some(run);
    }
    Ok(profile)
}

/// Prepares sign-ins in `data` (emptied first), starts edge-host on it, attaches
/// `tracer` (given its pid) to it, sends OTP steps on one connection for [`SECONDS`],
/// then stops the tracer with SIGINT (perf writes its results then) and edge-host.
/// Returns the load and edge-host's pid.
fn traced_load(
    data: &Path,
    seal_keys: &str,
    start: &dyn Fn(&Path) -> Result<EdgeHost>,
    tracer: Option<&dyn Fn(u32) -> Command>,
) -> Result<(Run, u32)> {
    let _ = fs::remove_dir_all(data);
    let now_ms = ::tests::unix_now() * 1000;
    let sign_ins = state::prepare_sign_ins(data, seal_keys, SIGN_INS, "profile", now_ms)?;
    let edge_host = start(data)?;
    let spawn = |source| Error::Spawn {
        command: "a profiler".into(),
        source,
    };
    let tracer = tracer.map(|tracer| tracer(edge_host.pid()));
    let tracer = tracer.map(|mut c| c.stdout(Stdio::null()).stderr(Stdio::null()).spawn());
    let mut tracer = tracer.transpose().map_err(spawn)?;
    // Attaching to every thread takes a moment.
    std::thread::sleep(Duration::from_millis(500));
    let bodies = state::otp_bodies(&sign_ins, ::tests::unix_now() * 1000)?;
    let run = loadgen::run(&edge_host.base, 1, SECONDS, Script::OtpStep(bodies));
    if let Some(tracer) = &mut tracer {
        let _ = Command::new("kill")
            .args(["-INT", &tracer.id().to_string()])
            .status();
        let _ = tracer.wait();
    }
    let pid = edge_host.pid();
    host::stop(edge_host)?;
    Ok((run?, pid))
}

/// What a perf.data file holds of `run`: samples, shares by object, hottest symbols.
fn read_perf(data: &Path, run: Run) -> Option<CpuProfile> {
    let report = |sort: &str| {
        let mut perf = Command::new("perf");
        let flags = "report --stdio --no-children -n -g none -i";
        perf.args(flags.split(' ')).arg(data).args(["--sort", sort]);
        crate::bench::machine::output(perf.stderr(Stdio::null())).map(|r| parse_shares(&r))
    };
    let objects = report("dso")?;
    let symbols = report("dso,sym")?.into_iter().take(TOP_SYMBOLS).collect();
    let samples = objects.iter().map(|s| s.1).sum();
    (!objects.is_empty()).then_some(CpuProfile {
        run,
        samples,
        objects,
        symbols,
    })
}

/// The `  12.34%  SAMPLES  name…` lines of `perf report --stdio -n`, names made
/// readable.
fn parse_shares(report: &str) -> Vec<Share> {
    let line = |line: &str| {
        let (percent, rest) = line.trim().split_once('%')?;
        let (samples, rest) = rest.trim().split_once(char::is_whitespace)?;
        let name = rest.split_whitespace().collect::<Vec<_>>().join(" ");
        let name = name
            .replace("[.] ", "")
            .replace("[k] ", "")
            .replace("[kernel.kallsyms]", "kernel");
        // `[JIT] tid N` alone (by object), or followed by a function of the component.
        let name = match name.strip_prefix("[JIT] tid ").map(|r| r.split_once(' ')) {
            Some(Some((_, function))) => format!("component {function}"),
            Some(None) => "the component's compiled code ([JIT])".to_owned(),
            None => name,
        };
        Some((percent.trim().parse().ok()?, samples.parse().ok()?, name))
    };
    report
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(line)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_perf_reports() {
        let text = "# Samples: 1K of event 'cpu-clock:pppH'\n#\n\
            \x20   59.95%           599  [kernel.kallsyms]  [k] finish_task_switch.isra.0\n\
            \x20    7.70%            77  [JIT] tid 16283  \n\
            \x20    0.95%             9  edge-host          [.] pcache1Fetch\n\
            \x20    0.50%             5  [JIT] tid 16283    [.] dlmalloc\n\n";
        let shares = parse_shares(text);
        assert_eq!(shares.len(), 4);
        assert_eq!(
            shares[0],
            (59.95, 599, "kernel finish_task_switch.isra.0".into())
        );
        assert_eq!(shares[1].2, "the component's compiled code ([JIT])");
        assert_eq!(shares[2].2, "edge-host pcache1Fetch");
        assert_eq!(shares[3].2, "component dlmalloc");
    }
}
