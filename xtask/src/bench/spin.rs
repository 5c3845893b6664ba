//! The same component on real Spin, in the same run as edge-host: `spin up` of the
//! repository's spin.toml on Spin's own SQLite store, then `GET /api/time` and the
//! sign-in OTP step at 1 connection ([`crate::bench::loadgen`]), [`RUNS`] runs each, the OTP step on
//! prepared sign-ins ([`state`] writes them into Spin's `sqlite_key_value.db`, which has
//! edge-host's layout). Skipped, and said so, without a Spin binary (`OTP_EDGE_SPIN`,
//! `spin` on PATH, or `../shared/bin/spin`).

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::bench::load::{MIN_SIGN_INS, RUN_SECONDS, RUNS};
use crate::bench::loadgen::{self, Load, LoadRun, Script};
use crate::bench::state;
use crate::error::{Error, Result};
use crate::process::{announce, find_program};
use crate::workspace::Workspace;

/// What was measured on Spin.
#[derive(Debug, Clone)]
pub struct SpinResults {
    /// `spin --version`.
    pub version: String,
    /// `GET /api/time` at 1 connection, each run.
    pub time: Vec<LoadRun>,
    /// The OTP step at 1 connection, each run.
    pub otp_step: Vec<LoadRun>,
}

/// Spin's figures, or why there are none.
pub type SpinOutcome = std::result::Result<SpinResults, String>;

/// The Spin CLI, as the tests find it.
fn spin_binary(ws: &Workspace) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OTP_EDGE_SPIN") {
        return Some(PathBuf::from(path));
    }
    find_program("spin").or_else(|| {
        let shared = ws.root.join("../shared/bin/spin");
        shared.is_file().then_some(shared)
    })
}

/// Measures on Spin; `Err(why)` when it cannot run here.
pub fn run(ws: &Workspace, scratch: &Path) -> Result<SpinOutcome> {
    let Some(spin) = spin_binary(ws) else {
        return Ok(Err("no spin binary".into()));
    };
    let named = ws
        .root
        .join("target/wasm32-wasip2/wasm-release/edge_api.wasm");
    if named.canonicalize().ok() != ws.component_wasm().canonicalize().ok() {
        return Ok(Err(format!(
            "spin.toml names {}, but the component was built to {}",
            named.display(),
            ws.component_wasm().display()
        )));
    }
    let _ = fs::remove_dir_all(scratch);
    let state_dir = scratch.join("state");
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(Error::Random)?;
    let seal_keys = format!("bench:{}", BASE64.encode(key));
    announce(format!(
        "Spin: preparing {RUNS} × {MIN_SIGN_INS} sign-ins in its SQLite store"
    ));
    let mut bodies = Vec::new();
    for run in 0..RUNS {
        let lines = state::prepare_sign_ins(
            &state_dir,
            &seal_keys,
            MIN_SIGN_INS,
            &format!("spin{run}"),
            crate::bench::machine::unix_now() * 1000,
        )?;
        bodies.push(lines);
    }
    let app = SpinUp::start(ws, &spin, &state_dir, &seal_keys)?;
    let load = |script| Load {
        base_url: app.base.clone(),
        connections: 1,
        duration: Duration::from_secs(RUN_SECONDS),
        script,
    };
    announce("oha on Spin: 1 s warm-up of GET /api/time (not recorded)");
    loadgen::run(&Load {
        duration: Duration::from_secs(1),
        ..load(Script::Get("/api/time"))
    })?;
    let mut time = Vec::new();
    let mut otp_step = Vec::new();
    for run in 0..RUNS {
        announce(format!(
            "oha on Spin: GET /api/time, 1 connection, run {}/{RUNS}",
            run + 1
        ));
        time.push(loadgen::run(&load(Script::Get("/api/time")))?);
    }
    for (run, lines) in bodies.into_iter().enumerate() {
        announce(format!(
            "client on Spin: POST /api/session/otp, 1 connection, run {}/{RUNS}",
            run + 1
        ));
        otp_step.push(loadgen::run(&load(Script::OtpStep(lines.into())))?);
    }
    drop(app);
    let _ = fs::remove_dir_all(&state_dir);
    Ok(Ok(SpinResults {
        version: version(&spin),
        time,
        otp_step,
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

/// One `spin up`, its process group stopped on drop.
struct SpinUp {
    child: Child,
    base: String,
}

impl SpinUp {
    fn start(ws: &Workspace, spin: &Path, state_dir: &Path, seal_keys: &str) -> Result<SpinUp> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| Error::Project(format!("no free port: {e}")))?
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = Command::new(spin)
            .arg("up")
            .arg("--from")
            .arg(ws.root.join("spin.toml"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--state-dir"])
            .arg(state_dir)
            .env("SPIN_VARIABLE_SEAL_KEYS", seal_keys)
            .env("SPIN_VARIABLE_PUBLIC_BASE_URL", &base)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| Error::Spawn {
                command: spin.display().to_string(),
                source,
            })?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout)
                .lines()
                .map_while(std::io::Result::ok)
            {
                if line.contains("Serving http://") {
                    let _ = sender.send(());
                }
            }
        });
        let app = SpinUp { child, base };
        let deadline = Instant::now() + Duration::from_secs(60);
        while receiver.recv_timeout(Duration::from_millis(100)).is_err() {
            if Instant::now() > deadline {
                return Err(Error::Project("spin up did not serve within 60 s".into()));
            }
        }
        Ok(app)
    }
}

impl Drop for SpinUp {
    fn drop(&mut self) {
        // `spin up` runs the trigger as a child process: stop the whole group.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-TERM", "--", &group])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
    }
}
