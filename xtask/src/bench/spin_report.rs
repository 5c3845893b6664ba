//! The Spin section of BENCHMARKS.md: the same component on Spin beside edge-host, at 1
//! connection, from the runs of this bench.

use std::fmt::Write as _;

use crate::bench::load::{Endpoint, HostResults};
use crate::bench::loadgen::LoadRun;
use crate::bench::spin::SpinOutcome;
use crate::bench::stats::{self, Summary};

fn p50s(runs: &[&LoadRun]) -> Option<Summary> {
    Summary::of(&runs.iter().map(|r| r.p50_us * 1e3).collect::<Vec<_>>())
}

fn rates(runs: &[&LoadRun]) -> Option<Summary> {
    Summary::of(&runs.iter().map(|r| r.rps()).collect::<Vec<_>>())
}

/// `## 2b.`: `spin` against edge-host's 1-connection levels.
pub fn section(md: &mut String, host: &HostResults, spin: &SpinOutcome) {
    let spin = match spin {
        Ok(spin) => spin,
        Err(why) => {
            let _ = writeln!(
                md,
                "## 2b. The same component on Spin\n\nNot measured: {why}.\n"
            );
            return;
        }
    };
    let _ = writeln!(
        md,
        "## 2b. The same component on Spin (`{}`, its SQLite store), same run\n\n\
         `spin up` of spin.toml, 1 connection (sequential requests; oha for `GET`, the load client for the OTP step), the OTP step on \
         prepared sign-ins as for edge-host; median of the runs' p50 (min–max).\n",
        spin.version
    );
    let _ = writeln!(
        md,
        "| at 1 connection | edge-host | Spin | Spin ÷ edge-host |\n| --- | ---: | ---: | ---: |"
    );
    let host_runs = |endpoint| -> Vec<&LoadRun> {
        host.level(endpoint, 1)
            .map(|l| l.runs.iter().map(|r| &r.load).collect())
            .unwrap_or_default()
    };
    let spin_time: Vec<&LoadRun> = spin.time.iter().collect();
    let spin_step: Vec<&LoadRun> = spin.otp_step.iter().collect();
    for (what, edge, on_spin) in [
        ("`GET /api/time` p50", host_runs(Endpoint::Time), &spin_time),
        ("OTP step p50", host_runs(Endpoint::OtpStep), &spin_step),
    ] {
        let (Some(e), Some(s)) = (p50s(&edge), p50s(on_spin)) else {
            continue;
        };
        let _ = writeln!(
            md,
            "| {what} | {} | {} | {:.1}× |",
            stats::duration_range(&e),
            stats::duration_range(&s),
            s.median / e.median
        );
    }
    if let (Some(e), Some(s)) = (rates(&host_runs(Endpoint::OtpStep)), rates(&spin_step)) {
        let _ = writeln!(
            md,
            "| OTP steps/s | {} | {} | {:.2}× |",
            stats::number_range(&e),
            stats::number_range(&s),
            s.median / e.median
        );
    }
    let non200: u64 = spin
        .time
        .iter()
        .chain(&spin.otp_step)
        .map(|r| r.non200)
        .sum();
    let total: u64 = spin
        .time
        .iter()
        .chain(&spin.otp_step)
        .map(|r| r.requests)
        .sum();
    let _ = writeln!(
        md,
        "\nOn Spin: {non200} of {total} responses were not 200.\n"
    );
}
