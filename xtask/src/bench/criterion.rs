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

/// Criterion's warm-up and measurement time per benchmark, seconds (its defaults are
/// 3 and 5).
const SECONDS: [&str; 2] = ["1", "2"];

/// The benchmarks of otp-core/benches/core.rs in report order, each `id: what`:
/// Criterion's id (`group/function` or `function`), then what it measures.
pub const CORE_BENCHES: &[&str] = &[
    "hmac_sha1_8_bytes: raw HMAC-SHA1 over 8 bytes — the floor of a code check (one HOTP value)",
    "verify_window_3_steps: code check with the ±1 window (worst case: no step matches, 3 HOTP values)",
    "secret_generation_160_bits: shared secret generation (160 bits from the OS CSPRNG)",
    "seal: seal a secret (AES-256-GCM, random nonce, bound to account and purpose)",
    "open: open a sealed secret",
    "slow/argon2id_verify: argon2id password check",
    "native/otp_step: sign-in OTP step natively (otp-core, in-memory store; fresh account, as the edge load)",
    "native/otp_step_full_history: the same with a full history (audit log at its bound of 50 events)",
];

/// One benchmark's result: its id, what it measures, and the median and spread of the
/// per-iteration time of Criterion's samples (ns).
pub type CoreResult = (&'static str, &'static str, Summary);

/// Runs otp-core's `core` benchmark with its results in `criterion_home`, echoing its
/// output, and reads the results of [`CORE_BENCHES`] (those that ran).
pub fn run(ws: &Workspace, criterion_home: &Path) -> Result<Vec<CoreResult>> {
    // Start from nothing, so no result of an earlier run is read as this one's.
    crate::bench::load::remove_dir(criterion_home)?;
    let [warm_up, measure] = SECONDS;
    announce(format!(
        "cargo bench --bench core (otp-core; Criterion: {warm_up} s warm-up, {measure} s of samples per benchmark)"
    ));
    let mut cmd = process::cargo();
    // The package selection of the host build (`build::HOST_BUILD`): the features of
    // otp-core's dependencies are unified the same way, so the bench binary that build
    // made is reused instead of compiling them again (`-p otp-core` alone would).
    cmd.args([
        "bench",
        "--workspace",
        "--exclude",
        "wasm-client",
        "--bench",
        "core",
        "--",
    ])
    .args([
        "--noplot",
        "--warm-up-time",
        warm_up,
        "--measurement-time",
        measure,
    ])
    .env("CRITERION_HOME", criterion_home)
    .current_dir(&ws.root)
    .stdout(Stdio::inherit())
    .stderr(Stdio::inherit());
    process::run("benchmarks of otp-core", &mut cmd)?;
    let mut results = Vec::new();
    for (id, what) in CORE_BENCHES.iter().filter_map(|b| b.split_once(": ")) {
        let path = sample_path(criterion_home, id);
        let text = match fs::read_to_string(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                announce(format!("no samples of {id} in {}", path.display()));
                continue;
            }
            text => text.map_err(|e| Error::io("reading", &path, e))?,
        };
        let not_samples =
            || Error::Project(format!("{}: not a Criterion sample file", path.display()));
        results.push((id, what, per_iteration(&text).ok_or_else(not_samples)?));
    }
    Ok(results)
}

/// Where Criterion keeps the samples of benchmark `id`.
fn sample_path(criterion_home: &Path, id: &str) -> PathBuf {
    criterion_home.join(id).join("new").join("sample.json")
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
    let (iters, times) = (numbers("iters")?, numbers("times")?);
    let per = iters
        .iter()
        .zip(&times)
        .filter(|(i, _)| **i > 0.0)
        .map(|(i, t)| t / i);
    (iters.len() == times.len())
        .then(|| Summary::of(per))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_files_give_per_iteration_times() {
        let json =
            r#"{"sampling_mode":"Linear","iters":[1.0,2.0,3.0,4.0],"times":[10.0,22.0,27.0,48.0]}"#;
        let s = per_iteration(json).unwrap();
        assert_eq!((s.n, s.min, s.max, s.median), (4, 9.0, 12.0, 10.5));
        assert!(per_iteration(r#"{"iters":[1.0],"times":[]}"#).is_none());
        assert!(per_iteration("not json").is_none());
        let path = sample_path(Path::new("/c"), "slow/argon2id_verify");
        assert_eq!(
            path,
            PathBuf::from("/c/slow/argon2id_verify/new/sample.json")
        );
    }
}
