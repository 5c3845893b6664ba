//! The same component on real Spin, in the same run as edge-host: `spin up` of the
//! repository's spin.toml on Spin's own SQLite store (started by the tests' launcher,
//! [`::tests::spin::SpinApp`]), then through the load client ([`crate::bench::loadgen`])
//! `GET /api/time` at 1 connection and the sign-in OTP step at 1 and [`BUSY`]
//! connections, [`RUNS`] runs each, the OTP step on prepared sign-ins ([`state`] writes
//! them into Spin's `sqlite_key_value.db`, which has edge-host's layout, and leaves it in
//! Spin's own rollback-journal mode). Skipped, and
//! said so, without a Spin binary (`OTP_EDGE_SPIN`, `spin` on PATH, or
//! `../shared/bin/spin`).

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ::tests::spin::{Options, SpinApp, spin_binary};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::bench::load::{CONNECTIONS, RUN_SECONDS, RUNS};
use crate::bench::loadgen::{self, Load, LoadRun, Script};
use crate::bench::state;
use crate::error::{Error, Result};
use crate::process::announce;
use crate::workspace::Workspace;

/// Sign-ins prepared per OTP run on Spin at 1 connection and at [`BUSY`]: more than
/// the runs can send (a run that runs out ends early, and its rate stands).
const SIGN_INS: [usize; 2] = [4_000, 6_000];

/// What was measured on Spin.
#[derive(Debug, Clone)]
pub struct SpinResults {
    /// `spin --version`.
    pub version: String,
    /// `GET /api/time` at 1 connection, each run.
    pub time: Vec<LoadRun>,
    /// The OTP step at 1 connection, each run.
    pub otp_step: Vec<LoadRun>,
    /// The OTP step at [`BUSY`] connections, each run.
    pub otp_step_busy: Vec<LoadRun>,
}

/// Connections of the busy OTP level (edge-host's largest).
pub const BUSY: u32 = CONNECTIONS[CONNECTIONS.len() - 1];

/// Spin's figures, or why there are none.
pub type SpinOutcome = std::result::Result<SpinResults, String>;

/// Measures on Spin; `Err(why)` when it cannot run here.
pub fn run(ws: &Workspace, scratch: &Path) -> Result<SpinOutcome> {
    let Some(spin) = spin_binary() else {
        return Ok(Err("no spin binary".into()));
    };
    let _ = fs::remove_dir_all(scratch);
    let state_dir = scratch.join("state");
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(Error::Random)?;
    let seal_keys = format!("bench:{}", BASE64.encode(key));
    announce(format!(
        "Spin: preparing {RUNS} × {} and {RUNS} × {} sign-ins in its SQLite store",
        SIGN_INS[0], SIGN_INS[1]
    ));
    let mut bodies = Vec::new();
    for run in 0..2 * RUNS {
        let lines = state::prepare_sign_ins(
            &state_dir,
            &seal_keys,
            SIGN_INS[run / RUNS],
            &format!("spin{run}"),
            // The codes of 30 s from now, which the window (±1 step) accepts from now
            // until 60–90 s from now: the last run starts about 30 s after this.
            (crate::bench::machine::unix_now() + 30) * 1000,
        )?;
        bodies.push(lines);
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
    let load = |script| Load {
        base_url: app.base.clone(),
        connections: 1,
        duration: Duration::from_secs(RUN_SECONDS),
        script,
    };
    announce("client on Spin: 1 s warm-up of GET /api/time (not recorded)");
    loadgen::run(&Load {
        duration: Duration::from_secs(1),
        ..load(Script::ClientGet("/api/time"))
    })?;
    let mut time = Vec::new();
    let mut otp_step = Vec::new();
    for run in 0..RUNS {
        announce(format!(
            "client on Spin: GET /api/time, 1 connection, run {}/{RUNS}",
            run + 1
        ));
        time.push(loadgen::run(&load(Script::ClientGet("/api/time")))?);
    }
    let mut otp_step_busy = Vec::new();
    for (run, lines) in bodies.into_iter().enumerate() {
        let (connections, runs) = if run < RUNS {
            (1, &mut otp_step)
        } else {
            (BUSY, &mut otp_step_busy)
        };
        announce(format!(
            "client on Spin: POST /api/session/otp, {connections} connection(s), run {}/{RUNS}",
            run % RUNS + 1
        ));
        runs.push(loadgen::run(&Load {
            connections,
            ..load(Script::OtpStep(lines.into()))
        })?);
    }
    drop(app);
    let _ = fs::remove_dir_all(&state_dir);
    Ok(Ok(SpinResults {
        version: version(&spin),
        time,
        otp_step,
        otp_step_busy,
    }))
}

fn version(spin: &Path) -> String {
    Command::new(spin)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "spin".into())
}
