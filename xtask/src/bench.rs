//! `cargo xtask bench`: install what the benchmarks need, build, then measure and write
//! `BENCHMARKS.md` (also printed) with the machine, date and commit:
//!
//! 1. otp-core's Criterion benchmarks ([`criterion`]): code check with the ±1 window,
//!    secret generation, seal/open, argon2id, a raw HMAC-SHA1 as the floor, and the
//!    native OTP step;
//! 2. edge-host ([`load`]): cold and warm-cache starts ([`host`]), then `GET /api/time`
//!    and the sign-in OTP step at 1, 8 and 64 connections ([`loadgen`]: oha, and
//!    otp-loadgen sending each prepared step once, [`state`]); a profile when a line is
//!    missed ([`profile`]); then the same component on Spin's SQLite store, `spin up` of
//!    spin.toml, at 1 connection and the OTP step's rate at 64 ([`spin`]);
//! 3. the cost of the edge boundary (native step vs. edge-host p50 at 1 connection);
//! 4. artifact sizes ([`crate::sizes`]);
//! 5. page-load timings in headless Chromium ([`browser`]);
//! 6. the lines the figures are held to, measured in the same run ([`report`]).
//!
//! Every figure is a median with its spread ([`stats`]), on a machine described by
//! [`machine`]. Scratch files go to `target/bench/`.

mod browser;
mod criterion;
mod host;
mod load;
mod loadgen;
mod machine;
mod profile;
mod report;
mod spin;
mod state;
mod stats;

use std::fs;
use std::time::Instant;

use crate::build::{self, Part};
use crate::error::{Error, Result};
use crate::install::{self, Needs};
use crate::process::announce;
use crate::workspace::Workspace;

/// Installs, builds, measures and writes `BENCHMARKS.md` in the workspace root; with
/// `edge_host_only`, measures only edge-host under load and prints its levels and lines.
pub fn bench(ws: &Workspace, edge_host_only: bool) -> Result<()> {
    let load_before = machine::load_average();
    let mut competing = machine::competing_processes();
    let building = Instant::now();
    install::ensure(ws, Needs::Bench)?;
    let parts: &[Part] = if edge_host_only {
        &[Part::Api, Part::Host]
    } else {
        &Part::ALL
    };
    build::build(ws, parts)?;
    build::load_client(ws)?;
    let build_took = building.elapsed();
    let started = Instant::now();
    let scratch = ws.target.join("bench");
    let fsync = machine::fsync_latency(&scratch);
    let fsync_ns = fsync.map(|f| f.median);
    if edge_host_only {
        let host = load::run(ws, &scratch.join("edge-host"), fsync_ns)?;
        println!("\n{}", report::host_summary(&host, fsync_ns));
        return Ok(());
    }
    let sizes = crate::sizes::measure_all(ws)?;
    let core = criterion::run(ws, &scratch.join("criterion"))?;
    competing.extend(machine::competing_processes());
    let host = load::run(ws, &scratch.join("edge-host"), fsync_ns)?;
    let spin = spin::run(ws, &scratch.join("spin"))?;
    competing.extend(machine::competing_processes());
    let browser = browser::run(ws)?;
    competing.extend(machine::competing_processes());
    competing.sort();
    competing.dedup();
    let conditions = report::Conditions {
        load: [load_before, machine::load_average()],
        competing,
        fsync,
        took: [build_took, started.elapsed()],
    };
    let machine = machine::probe(ws);
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
