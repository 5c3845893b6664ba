//! `cargo xtask bench`: build, measure the .wasm artifacts (raw and gzip), run
//! `cargo bench -p otp-core` when otp-core has benchmarks, and write `BENCHMARKS.md`
//! with the machine, date and commit the numbers belong to.
//!
//! Later work adds load tests of edge-host here; their results go in the same file.

use std::fmt::Write as _;
use std::fs;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::build::{self, Part};
use crate::error::{Error, Result};
use crate::install::{self, Needs};
use crate::process::{self, announce};
use crate::sizes::{self, ArtifactSize};
use crate::workspace::Workspace;

/// Builds, measures and writes `BENCHMARKS.md` in the workspace root.
pub fn bench(ws: &Workspace) -> Result<()> {
    install::ensure(ws, Needs::Build)?;
    build::build(ws, &Part::ALL)?;
    let sizes = sizes::measure_all(ws)?;
    let otp_core = otp_core_benches(ws)?;
    let report = report(&Machine::probe(ws), &sizes, otp_core.as_deref());
    let path = ws.root.join("BENCHMARKS.md");
    fs::write(&path, report).map_err(|e| Error::io("writing", &path, e))?;
    announce(format!("wrote {}", path.display()));
    Ok(())
}

/// Runs otp-core's benchmarks, echoing and returning their stdout; `None` without any.
fn otp_core_benches(ws: &Workspace) -> Result<Option<String>> {
    let benches = ws.root.join("otp-core").join("benches");
    let has_benches = fs::read_dir(&benches).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "rs"))
    });
    if !has_benches {
        announce("otp-core has no benches/ yet: no benchmark to run");
        return Ok(None);
    }
    announce("cargo bench -p otp-core");
    let mut cmd = process::cargo();
    cmd.args(["bench", "-p", "otp-core"])
        .current_dir(&ws.root)
        .stderr(Stdio::inherit());
    let out = process::output(&mut cmd)?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    print!("{stdout}");
    if out.status.success() {
        Ok(Some(stdout))
    } else {
        Err(Error::CommandFailed {
            what: "benchmarks of otp-core".into(),
            command: process::display(&cmd),
            status: out.status,
        })
    }
}

/// What the numbers were measured on.
struct Machine {
    cpus: String,
    memory: String,
    cpu_model: String,
    date: String,
    commit: String,
}

impl Machine {
    fn probe(ws: &Workspace) -> Self {
        let unknown = || "unknown".to_owned();
        let cpus =
            std::thread::available_parallelism().map_or_else(|_| unknown(), |n| n.to_string());
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory = field(&meminfo, "MemTotal")
            .and_then(|v| v.trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or_else(unknown, |kib| {
                format!("{:.1} GiB", kib as f64 / (1024.0 * 1024.0))
            });
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = field(&cpuinfo, "model name").map_or_else(unknown, str::to_owned);
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Machine {
            cpus,
            memory,
            cpu_model,
            date: utc_date(secs),
            commit: git_commit(ws).unwrap_or_else(unknown),
        }
    }
}

/// The value of the first `key : value` line of a /proc file.
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key).then(|| v.trim())
    })
}

/// `git rev-parse --short HEAD`, marked when the tree has uncommitted changes.
fn git_commit(ws: &Workspace) -> Option<String> {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(&ws.root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "--short", "HEAD"])?;
    let dirty = git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
    Some(if dirty {
        format!("{commit} (with uncommitted changes)")
    } else {
        commit
    })
}

/// `YYYY-MM-DD` (UTC) of a Unix time, by the civil-from-days algorithm.
fn utc_date(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64 + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The text of BENCHMARKS.md.
fn report(machine: &Machine, sizes: &[ArtifactSize], otp_core: Option<&str>) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# otp-edge benchmarks\n");
    let _ = writeln!(
        md,
        "Written by `cargo xtask bench`; run it again to refresh.\n"
    );
    let _ = writeln!(md, "| | |\n| --- | --- |");
    let _ = writeln!(md, "| date (UTC) | {} |", machine.date);
    let _ = writeln!(md, "| commit | {} |", machine.commit);
    let _ = writeln!(md, "| CPUs (nproc) | {} |", machine.cpus);
    let _ = writeln!(md, "| CPU model | {} |", machine.cpu_model);
    let _ = writeln!(md, "| memory | {} |\n", machine.memory);
    let _ = writeln!(md, "## Artifact sizes\n");
    let _ = writeln!(
        md,
        "| artifact | path | raw | gzip -9 |\n| --- | --- | ---: | ---: |"
    );
    for s in sizes {
        let _ = writeln!(
            md,
            "| {} | `{}` | {} ({} B) | {} ({} B) |",
            s.name,
            s.path.display(),
            sizes::human(s.raw),
            s.raw,
            sizes::human(s.gzip),
            s.gzip
        );
    }
    let _ = writeln!(md, "\n## otp-core (`cargo bench -p otp-core`)\n");
    let results = otp_core.map(criterion_results).unwrap_or_default();
    match otp_core {
        None => {
            let _ = writeln!(md, "No benchmarks yet.");
        }
        Some(out) if results.is_empty() => {
            let _ = writeln!(md, "```text\n{}\n```", out.trim());
        }
        Some(_) => {
            let _ = writeln!(
                md,
                "Criterion's estimate per iteration, with its 95 % confidence interval.\n"
            );
            let _ = writeln!(md, "| benchmark | time | interval |\n| --- | ---: | ---: |");
            for r in &results {
                let _ = writeln!(
                    md,
                    "| `{}` | {} | {} – {} |",
                    r.name, r.estimate, r.low, r.high
                );
            }
        }
    }
    md
}

/// One criterion result: `name  time:   [low estimate high]`.
#[derive(Debug, PartialEq)]
struct CriterionResult {
    name: String,
    low: String,
    estimate: String,
    high: String,
}

/// The results in criterion's text output (a long name stands on the line before).
fn criterion_results(output: &str) -> Vec<CriterionResult> {
    let mut results = Vec::new();
    let mut previous = "";
    for line in output.lines() {
        if let Some((name, rest)) = line.split_once("time:") {
            let name = match name.trim() {
                "" => previous.trim(),
                name => name,
            };
            let values: Vec<&str> = rest
                .trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split_whitespace()
                .collect();
            if let [low, low_unit, est, est_unit, high, high_unit] = values[..]
                && !name.is_empty()
            {
                results.push(CriterionResult {
                    name: name.to_owned(),
                    low: format!("{low} {low_unit}"),
                    estimate: format!("{est} {est_unit}"),
                    high: format!("{high} {high_unit}"),
                });
            }
        }
        previous = line;
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_767_225_599), "2025-12-31");
    }

    #[test]
    fn reads_criterion_output() {
        let out = "running 0 tests\n\nseal                    time:   [430.69 ns 444.97 ns 462.30 ns]\n                        change: [-6.2% -3.5% -0.5%] (p = 0.03 < 0.05)\n\nsecret_generation_160_bits\n                        time:   [283.13 ns 290.94 ns 298.76 ns]\n";
        let results = criterion_results(out);
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].name, "seal");
        assert_eq!(results[0].estimate, "444.97 ns");
        assert_eq!(results[1].name, "secret_generation_160_bits");
        assert_eq!(results[1].low, "283.13 ns");
        assert_eq!(results[1].high, "298.76 ns");
    }

    #[test]
    fn proc_fields() {
        let text = "processor\t: 0\nmodel name\t: Some CPU @ 2.0GHz\n";
        assert_eq!(field(text, "model name"), Some("Some CPU @ 2.0GHz"));
        assert_eq!(field("MemTotal:  24000 kB\n", "MemTotal"), Some("24000 kB"));
        assert_eq!(field(text, "flags"), None);
    }
}
