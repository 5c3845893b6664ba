//! A profile of the OTP step through edge-host, taken when it misses one of its lines
//! ([`crate::bench::report::host_lines`]), while the load client sends OTP steps on one
//! connection:
//!
//! - where the CPU goes — `perf record` of edge-host, by shared object: the kernel,
//!   edge-host itself (wasmtime, SQLite, tokio), the component's compiled code (perf's
//!   `[JIT]`), libc — and the hottest symbols;
//! - what the disk costs — the same load with the data directory in `/dev/shm` (tmpfs,
//!   where `fsync` returns at once), untraced.
//!
//! Each pass runs on its own edge-host and prepared state; a pass is skipped when its
//! tool (or /dev/shm) is missing or not allowed to attach.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::bench::host::{HostOptions, RunningHost};
use crate::bench::loadgen::{self, Load, LoadRun, Script};
use crate::bench::machine::unix_now;
use crate::bench::state;
use crate::error::{Error, Result};
use crate::process::{announce, find_program};
use crate::workspace::Workspace;

/// Length of each profiled load.
const SECONDS: u64 = 3;
/// Sign-ins prepared for it (far more than one connection sends in that time).
const SIGN_INS: usize = 3_000;
/// perf's sampling frequency, Hz.
const PERF_HZ: &str = "999";
/// Hottest symbols reported.
const TOP_SYMBOLS: usize = 8;

/// A share of perf's samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    /// Percent of the samples.
    pub percent: f64,
    /// Samples.
    pub samples: u64,
    /// The shared object, or `object: symbol`.
    pub name: String,
}

/// What perf saw.
#[derive(Debug, Clone)]
pub struct CpuProfile {
    /// The load while sampled.
    pub run: LoadRun,
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
    pub on_tmpfs: Option<LoadRun>,
}

/// Where the tmpfs pass keeps its data directory.
const TMPFS: &str = "/dev/shm";

/// Takes both passes; `data_dir` is used for each in turn (emptied first).
pub fn otp_step(ws: &Workspace, scratch: &Path, options: &HostOptions) -> Result<Profile> {
    let mut profile = Profile::default();
    if find_program("perf").is_some() {
        announce(format!(
            "profile: perf record of edge-host during {SECONDS} s of OTP steps on 1 connection"
        ));
        let data = scratch.join("perf.data");
        let _ = fs::remove_file(&data);
        let run = traced_load(ws, scratch, options, |pid| {
            Command::new("perf")
                .args(["record", "-F", PERF_HZ, "-o"])
                .arg(&data)
                .args(["-p", &pid.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
        })?;
        profile.cpu = read_perf(&data).map(|(samples, objects, symbols)| CpuProfile {
            run,
            samples,
            objects,
            symbols,
        });
        if profile.cpu.is_none() {
            announce("perf recorded nothing (not allowed to profile?)");
        }
    } else {
        announce("perf is not installed (Debian: linux-perf): no CPU profile of the OTP step");
    }
    let tmpfs = Path::new(TMPFS);
    if tmpfs.is_dir() {
        announce(format!(
            "profile: {SECONDS} s of OTP steps on 1 connection with the data directory in {TMPFS} (tmpfs)"
        ));
        let data_dir = tmpfs.join(format!("otp-edge-bench-{}", std::process::id()));
        let on_tmpfs = HostOptions {
            data_dir: data_dir.clone(),
            ..options.clone()
        };
        let run = traced_load(ws, scratch, &on_tmpfs, |_| {
            // Nothing to attach: a process that exits at once stands in for the tracer.
            Command::new("true").spawn()
        });
        let _ = fs::remove_dir_all(&data_dir);
        profile.on_tmpfs = Some(run?);
    }
    Ok(profile)
}

/// Prepares sign-ins, starts edge-host, attaches `tracer` to it, sends OTP steps on one
/// connection for [`SECONDS`], then stops the tracer with SIGINT (both tools write their
/// results then) and edge-host.
fn traced_load(
    ws: &Workspace,
    scratch: &Path,
    options: &HostOptions,
    tracer: impl FnOnce(u32) -> std::io::Result<Child>,
) -> Result<LoadRun> {
    let _ = fs::remove_dir_all(&options.data_dir);
    let bodies = state::prepare_sign_ins(
        &options.data_dir,
        &options.seal_keys,
        SIGN_INS,
        "profile",
        unix_now() * 1000,
    )?;
    fs::create_dir_all(scratch).map_err(|e| Error::io("creating", scratch, e))?;
    let host = RunningHost::start(ws, options)?;
    let mut tracer = tracer(host.pid()).map_err(|source| Error::Spawn {
        command: "a profiler".into(),
        source,
    })?;
    // Attaching to every thread takes a moment.
    std::thread::sleep(Duration::from_millis(500));
    let load = Load {
        base_url: host.base_url(),
        connections: 1,
        duration: Duration::from_secs(SECONDS),
        script: Script::OtpStep(bodies.into()),
    };
    let run = loadgen::run(&load);
    let _ = Command::new("kill")
        .args(["-INT", &tracer.id().to_string()])
        .status();
    let _ = tracer.wait();
    host.stop()?;
    run
}

/// Samples, shares by object and the hottest symbols of a perf.data file.
fn read_perf(data: &Path) -> Option<(u64, Vec<Share>, Vec<Share>)> {
    let report = |sort: &str| -> Option<String> {
        let out = Command::new("perf")
            .args([
                "report",
                "--stdio",
                "--no-children",
                "-n",
                "-g",
                "none",
                "--sort",
                sort,
                "-i",
            ])
            .arg(data)
            .stderr(Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let by_object = report("dso")?;
    let objects = parse_shares(&by_object);
    let samples = objects.iter().map(|s| s.samples).sum();
    let symbols = parse_shares(&report("dso,sym")?)
        .into_iter()
        .take(TOP_SYMBOLS)
        .collect();
    (!objects.is_empty()).then_some((samples, objects, symbols))
}

/// The `  12.34%  SAMPLES  name…` lines of `perf report --stdio -n`, names made
/// readable.
fn parse_shares(report: &str) -> Vec<Share> {
    report
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|line| {
            let (percent, rest) = line.trim().split_once('%')?;
            let (samples, rest) = rest.trim().split_once(char::is_whitespace)?;
            let name = rest.split_whitespace().collect::<Vec<_>>().join(" ");
            let name = name
                .replace("[.] ", "")
                .replace("[k] ", "")
                .replace("[kernel.kallsyms]", "kernel");
            let name = if name.starts_with("[JIT]") {
                "the component's compiled code ([JIT])".to_owned()
            } else if let Some(sym) = name.strip_prefix("[JIT] ") {
                format!("the component's compiled code: {sym}")
            } else {
                name
            };
            Some(Share {
                percent: percent.trim().parse().ok()?,
                samples: samples.parse().ok()?,
                name,
            })
        })
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
            \x20    0.95%             9  edge-host          [.] pcache1Fetch\n\n";
        let shares = parse_shares(text);
        assert_eq!(shares.len(), 3);
        assert_eq!(shares[0].name, "kernel finish_task_switch.isra.0");
        assert_eq!((shares[0].percent, shares[0].samples), (59.95, 599));
        assert_eq!(shares[1].name, "the component's compiled code ([JIT])");
        assert_eq!(shares[2].name, "edge-host pcache1Fetch");
    }
}
