//! `cargo xtask bench`: install what the benchmarks need, build, then measure and write
//! `BENCHMARKS.md` (also printed) with the machine, date and commit:
//!
//! 1. otp-core's Criterion benchmarks ([`criterion`]): code check with the ±1 window,
//!    secret generation, seal/open, argon2id, a raw HMAC-SHA1 as the floor, and the
//!    native OTP step;
//! 2. edge-host ([`load`]): cold and warm-cache starts, then `GET /api/time` and the
//!    sign-in OTP step at 1, 8 and 64 connections with wrk ([`wrk`]), the OTP step on
//!    prepared state ([`state`]); a syscall profile when it is slow ([`profile`]);
//!    then the same component on Spin's SQLite store, `spin up` of spin.toml, at 1
//!    connection ([`spin`]);
//! 3. the cost of the edge boundary (native step vs. edge-host p50 at 1 connection);
//! 4. artifact sizes ([`artifacts`]);
//! 5. page-load timings in headless Chromium ([`browser`]).
//!
//! Every figure is a median with its spread. Scratch files go to `target/bench/`.

mod artifacts;
mod browser;
mod criterion;
mod host;
mod load;
mod machine;
mod profile;
mod report;
mod spin;
mod spin_report;
mod state;
mod stats;
mod wrk;

use std::fs;
use std::process::Command;
use std::time::Instant;

use crate::build::{self, Part};
use crate::error::{Error, Result};
use crate::install::{self, Needs};
use crate::process::announce;
use crate::workspace::Workspace;

/// Installs, builds, measures and writes `BENCHMARKS.md` in the workspace root.
pub fn bench(ws: &Workspace) -> Result<()> {
    let load_before = machine::load_average();
    let mut competing = machine::competing_processes();
    let building = Instant::now();
    install::ensure(ws, Needs::Bench)?;
    build::build(ws, &Part::ALL)?;
    let build_took = building.elapsed();
    let started = Instant::now();
    let scratch = ws.target.join("bench");
    let fsync = machine::fsync_latency(&scratch);

    let sizes = artifacts::measure(ws, &ws.target.join("bench-sizes"))?;
    let core = criterion::run(ws, &scratch.join("criterion"))?;
    competing.extend(machine::competing_processes());
    let native_step = core
        .iter()
        .find(|r| r.bench.id == "native/otp_step")
        .map(|r| r.per_iteration.median);
    let host = load::run(ws, &scratch.join("edge-host"), native_step)?;
    let spin = spin::run(ws, &scratch.join("spin"))?;
    competing.extend(machine::competing_processes());
    let browser = browser::run(ws)?;
    competing.extend(machine::competing_processes());
    competing.sort();
    competing.dedup();

    let conditions = report::Conditions {
        load_before,
        load_after: machine::load_average(),
        competing,
        fsync,
        wrk_version: wrk_version(),
        build_took,
        took: started.elapsed(),
    };
    let machine = machine::Machine::probe(ws);
    let report = report::Report {
        machine: &machine,
        conditions: &conditions,
        sizes: &sizes,
        core: &core,
        host: &host,
        spin: &spin,
        browser: &browser,
    };
    let text = report.render();
    let path = ws.root.join("BENCHMARKS.md");
    fs::write(&path, &text).map_err(|e| Error::io("writing", &path, e))?;
    println!("\n{text}");
    announce(format!("wrote {}", path.display()));
    Ok(())
}

/// The first line wrk prints about itself (`wrk 4.1.0 [epoll] …`).
fn wrk_version() -> String {
    // wrk has no --version: its usage text starts with the version and exits 1.
    Command::new("wrk")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned()
                + &String::from_utf8_lossy(&o.stderr);
            text.lines()
                .find(|l| l.starts_with("wrk "))
                .map(|l| l.split(" Copyright").next().unwrap_or(l).trim().to_owned())
        })
        .unwrap_or_else(|| "wrk".into())
}
