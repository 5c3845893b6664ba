//! The same component on real Spin, in the same run as edge-host: `spin up` of the
//! repository's spin.toml on Spin's own SQLite store (started by the tests' launcher,
//! [`::tests::spin::SpinApp`]), then through the load client ([`crate::bench::loadgen`])
//! `GET /api/time` at 1 connection and the sign-in OTP step at 1 and [`BUSY`]
//! connections, [`RUNS`] runs each, the OTP step on prepared sign-ins ([`state`] writes
//! them into Spin's `sqlite_key_value.db`, which has edge-host's layout, and leaves it in
//! Spin's own rollback-journal mode). Skipped, and said so, without a Spin binary
//! (`OTP_EDGE_SPIN`, `spin` on PATH, or `../shared/bin/spin`).

use std::fs;
use std::path::Path;
use std::process::Command;

use ::tests::spin::{Options, SpinApp, spin_binary};

use crate::bench::load::{self, BUSY, Endpoint, Level, RUN_SECONDS, RUNS};
use crate::bench::loadgen::{self, Script};
use crate::bench::machine::output;
use crate::bench::state;
use crate::error::{Error, Result};
use crate::process::announce;
use crate::workspace::Workspace;

/// Sign-ins prepared per OTP run on Spin at 1 connection and at [`BUSY`]: more than
/// the runs can send (a run that runs out ends early, and its rate stands).
const SIGN_INS: [usize; 2] = [4_000, 6_000];

/// Spin's version (`spin --version`) and levels (`GET /api/time` at 1 connection, the
/// OTP step at 1 and [`BUSY`]), or why there are none.
pub type SpinOutcome = std::result::Result<(String, Vec<Level>), String>;

/// Measures on Spin; `Err(why)` when it cannot run here.
pub fn run(ws: &Workspace, scratch: &Path) -> Result<SpinOutcome> {
    let Some(spin) = spin_binary() else {
        return Ok(Err("no spin binary".into()));
    };
    let _ = fs::remove_dir_all(scratch);
    let state_dir = scratch.join("state");
    let seal_keys = state::fresh_seal_keys()?;
    announce(format!(
        "Spin: preparing {RUNS} × {} and {RUNS} × {} sign-ins in its SQLite store",
        SIGN_INS[0], SIGN_INS[1]
    ));
    let mut prepared = Vec::new();
    for run in 0..2 * RUNS {
        let tag = format!("spin{run}");
        let (dir, keys, count) = (&state_dir, &seal_keys, SIGN_INS[run / RUNS]);
        let now_ms = ::tests::unix_now() * 1000;
        prepared.push(state::prepare_sign_ins(dir, keys, count, &tag, now_ms)?);
    }
    // The file as Spin itself creates it: a rollback journal, not edge-host's WAL.
    let db = state_dir.join(state::DB_FILE_NAME);
    rusqlite::Connection::open(&db)
        .and_then(|c| c.query_row("PRAGMA journal_mode=DELETE", [], |r| r.get::<_, String>(0)))
        .map_err(|e| Error::Project(format!("{}: {e}", db.display())))?;
    // The tests' launcher (`spin up` of spin.toml, Spin's SQLite store in `state/`).
    let options = Options {
        variables: vec![("seal_keys".into(), seal_keys)],
        component: Some(ws.component_wasm()),
        ..Options::default()
    };
    let app = std::panic::catch_unwind(|| SpinApp::start(&spin, scratch, &options))
        .map_err(|_| Error::Project("spin up did not start (see above)".into()))?;
    let get = Script::ClientGet("/api/time");
    announce("client on Spin: 1 s warm-up of GET /api/time (not recorded)");
    loadgen::run(&app.base, 1, 1, get.clone())?;
    let run = |n, script| loadgen::run(&app.base, n, RUN_SECONDS, script);
    let what = "client on Spin: GET /api/time";
    let mut levels = load::levels(what, [Endpoint::Time], &[1], |n, _| {
        Ok([run(n, get.clone())?])
    })?;
    let mut prepared = prepared.into_iter();
    let what = "client on Spin: POST /api/session/otp";
    levels.extend(load::levels(
        what,
        [Endpoint::OtpStep],
        &[1, BUSY],
        |n, _| {
            let sign_ins = prepared.next().expect("prepared for every run");
            let bodies = state::otp_bodies(&sign_ins, ::tests::unix_now() * 1000)?;
            Ok([run(n, Script::OtpStep(bodies))?])
        },
    )?);
    drop(app);
    let _ = fs::remove_dir_all(&state_dir);
    let version = output(Command::new(&spin).arg("--version")).unwrap_or_else(|| "spin".into());
    Ok(Ok((version, levels)))
}
