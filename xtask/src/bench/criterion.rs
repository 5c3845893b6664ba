//! otp-core's Criterion benchmarks (`otp-core/benches/core.rs`): run them, then read
//! every sample Criterion kept (`<CRITERION_HOME>/<id>/new/sample.json`) to give the
//! median time per iteration and the spread of the samples.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::bench::stats::Summary;
use crate::error::{Error, Result};
use crate::process::{self, announce};
use crate::workspace::Workspace;

/// Criterion's warm-up time per benchmark, seconds (its default is 3).
const WARM_UP_SECONDS: &str = "1";
/// Criterion's measurement time per benchmark, seconds (its default is 5).
const MEASUREMENT_SECONDS: &str = "2";

/// One benchmark of otp-core/benches/core.rs, as the report names it.
#[derive(Debug, Clone, Copy)]
pub struct CoreBench {
    /// Criterion's id (`group/function` or `function`).
    pub id: &'static str,
    /// What it measures, for the report.
    pub what: &'static str,
}

/// The benchmarks in report order.
pub const CORE_BENCHES: &[CoreBench] = &[
    CoreBench {
        id: "hmac_sha1_8_bytes",
        what: "raw HMAC-SHA1 over 8 bytes — the floor of a code check (one HOTP value)",
    },
    CoreBench {
        id: "verify_window_3_steps",
        what: "code check with the ±1 window (worst case: no step matches, 3 HOTP values)",
    },
    CoreBench {
        id: "secret_generation_160_bits",
        what: "shared secret generation (160 bits from the OS CSPRNG)",
    },
    CoreBench {
        id: "seal",
        what: "seal a secret (AES-256-GCM, random nonce, bound to account and purpose)",
    },
    CoreBench {
        id: "open",
        what: "open a sealed secret",
    },
    CoreBench {
        id: "slow/argon2id_verify",
        what: "argon2id password check",
    },
    CoreBench {
        id: "native/otp_step",
        what: "sign-in OTP step natively (otp-core, in-memory store; fresh account, as the edge load)",
    },
    CoreBench {
        id: "native/otp_step_full_history",
        what: "the same with a full history (audit log at its bound of 50 events)",
    },
];

/// The samples of one benchmark: time per iteration in nanoseconds.
#[derive(Debug, Clone)]
pub struct CoreResult {
    /// Which benchmark.
    pub bench: CoreBench,
    /// Median and spread of the per-iteration time of Criterion's samples.
    pub per_iteration: Summary,
}

/// Runs otp-core's `core` benchmark with its results in `criterion_home`, echoing its
/// output, and reads the results of [`CORE_BENCHES`] (those that ran).
pub fn run(ws: &Workspace, criterion_home: &Path) -> Result<Vec<CoreResult>> {
    // Start from nothing, so no result of an earlier run is read as this one's.
    if criterion_home.exists() {
        fs::remove_dir_all(criterion_home).map_err(|e| Error::io("removing", criterion_home, e))?;
    }
    announce(format!(
        "cargo bench --bench core (otp-core; Criterion: {WARM_UP_SECONDS} s warm-up, {MEASUREMENT_SECONDS} s of samples per benchmark)"
    ));
    let mut cmd = process::cargo();
    // The package selection of the host build (`build::HOST_BUILD`): the features of
    // otp-core's dependencies are unified the same way, so the bench binary that build
    // made is reused instead of compiling them again (`-p otp-core` alone would).
    cmd.args(["bench", "--workspace", "--exclude", "wasm-client"])
        .args(["--bench", "core", "--"])
        .args(["--noplot", "--warm-up-time", WARM_UP_SECONDS])
        .args(["--measurement-time", MEASUREMENT_SECONDS])
        .env("CRITERION_HOME", criterion_home)
        .current_dir(&ws.root)
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    process::run("benchmarks of otp-core", &mut cmd)?;
    let mut results = Vec::new();
    for bench in CORE_BENCHES {
        let path = sample_path(criterion_home, bench.id);
        match read_samples(&path)? {
            Some(per_iteration) => results.push(CoreResult {
                bench: *bench,
                per_iteration,
            }),
            None => announce(format!("no samples of {} in {}", bench.id, path.display())),
        }
    }
    Ok(results)
}

/// Where Criterion keeps the samples of benchmark `id`.
fn sample_path(criterion_home: &Path, id: &str) -> PathBuf {
    id.split('/')
        .fold(criterion_home.to_path_buf(), |dir, part| dir.join(part))
        .join("new")
        .join("sample.json")
}

/// The per-iteration times of a `sample.json`; `None` when the file does not exist.
fn read_samples(path: &Path) -> Result<Option<Summary>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("reading", path, e)),
    };
    per_iteration(&text)
        .map(Some)
        .ok_or_else(|| Error::Project(format!("{}: not a Criterion sample file", path.display())))
}

/// Median and spread of `times[i] / iters[i]` of a Criterion sample file.
fn per_iteration(json: &str) -> Option<Summary> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    let numbers = |key: &str| -> Option<Vec<f64>> {
        value
            .get(key)?
            .as_array()?
            .iter()
            .map(|v| v.as_f64())
            .collect()
    };
    let iters = numbers("iters")?;
    let times = numbers("times")?;
    if iters.len() != times.len() {
        return None;
    }
    let per: Vec<f64> = iters
        .iter()
        .zip(&times)
        .filter(|(i, _)| **i > 0.0)
        .map(|(i, t)| t / i)
        .collect();
    Summary::of(&per)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_files_give_per_iteration_times() {
        let json =
            r#"{"sampling_mode":"Linear","iters":[1.0,2.0,3.0,4.0],"times":[10.0,22.0,27.0,48.0]}"#;
        let s = per_iteration(json).unwrap();
        assert_eq!((s.n, s.min, s.max), (4, 9.0, 12.0));
        assert_eq!(s.median, 10.5);
        assert!(per_iteration(r#"{"iters":[1.0],"times":[]}"#).is_none());
        assert!(per_iteration("not json").is_none());
    }

    #[test]
    fn sample_paths_follow_group_and_function() {
        assert_eq!(
            sample_path(Path::new("/c"), "slow/argon2id_verify"),
            PathBuf::from("/c/slow/argon2id_verify/new/sample.json")
        );
    }
}
