//! The Spin section of BENCHMARKS.md: the same component on Spin beside edge-host, at 1
//! connection, from the runs of this bench.

use std::fmt::Write as _;

use crate::bench::load::{Endpoint, HostResults};
use crate::bench::loadgen::LoadRun;
use crate::bench::spin::{BUSY, SpinOutcome};
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
         `spin up` of spin.toml, 1 connection (sequential requests) and, for the OTP step's \
         rate, {BUSY}; the OTP step on prepared \
         sign-ins as for edge-host; median of the runs' p50 (min–max). Both OTP steps go \
         through the load client; `GET` through it on Spin but through oha on edge-host \
         (oha does not ACK at once, and Spin's answers then wait 40 ms for its delayed ACK).\n",
        spin.version
    );
    let _ = writeln!(
        md,
        "| figure | edge-host | Spin | Spin ÷ edge-host |\n| --- | ---: | ---: | ---: |"
    );
    let host_runs = |endpoint, connections| -> Vec<&LoadRun> {
        host.level(endpoint, connections)
            .map(|l| l.runs.iter().map(|r| &r.load).collect())
            .unwrap_or_default()
    };
    let spin_time: Vec<&LoadRun> = spin.time.iter().collect();
    let spin_step: Vec<&LoadRun> = spin.otp_step.iter().collect();
    for (what, edge, on_spin) in [
        (
            "`GET /api/time` p50",
            host_runs(Endpoint::Time, 1),
            &spin_time,
        ),
        (
            "OTP step p50, 1 connection",
            host_runs(Endpoint::OtpStep, 1),
            &spin_step,
        ),
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
    let spin_busy: Vec<&LoadRun> = spin.otp_step_busy.iter().collect();
    for (connections, on_spin) in [(1, &spin_step), (BUSY, &spin_busy)] {
        let edge = host_runs(Endpoint::OtpStep, connections);
        if let (Some(e), Some(s)) = (rates(&edge), rates(on_spin)) {
            let _ = writeln!(
                md,
                "| OTP steps/s, {connections} connection{} | {} | {} | {:.2}× |",
                if connections == 1 { "" } else { "s" },
                stats::number_range(&e),
                stats::number_range(&s),
                s.median / e.median
            );
        }
    }
    let non200: u64 = spin
        .time
        .iter()
        .chain(&spin.otp_step)
        .chain(&spin.otp_step_busy)
        .map(|r| r.non200 + r.socket_errors)
        .sum();
    let total: u64 = spin
        .time
        .iter()
        .chain(&spin.otp_step)
        .chain(&spin.otp_step_busy)
        .map(|r| r.requests)
        .sum();
    let _ = writeln!(
        md,
        "\nOn Spin: {non200} of {total} responses were not 200 (or failed).\n"
    );
}
