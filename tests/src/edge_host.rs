//! The one harness that starts edge-host, for the end-to-end tests and for
//! `cargo xtask bench`: a [`Launch`] says how (data directory, variables, extra
//! arguments and environment, where its stderr goes), [`Launch::start`] spawns it and
//! waits for its `otp-edge listening on http://ADDR` line, and the [`EdgeHost`] it
//! returns is stopped with SIGTERM (or killed, as a crash would) and read from `/proc`.

use crate::{Client, SEAL_KEYS, Serves, artifact, free_port};
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

/// The line edge-host prints once it takes requests, before its address.
const READY_PREFIX: &str = "otp-edge listening on http://";
/// The longest a start may take (a cold compile on a busy 2-core machine is ~10 s).
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// How to start edge-host. The binary, component and web directory default to
/// `OTP_EDGE_HOST_BIN`, `OTP_EDGE_COMPONENT` and `OTP_EDGE_WEB` (or the build
/// locations); the variables start with the tests' `seal_keys` and `issuer`, and a
/// later [`Launch::var`] of the same name wins.
#[derive(Debug, Clone)]
pub struct Launch {
    /// `--data-dir`.
    pub data_dir: PathBuf,
    /// The edge-host binary.
    pub bin: PathBuf,
    /// `--component`.
    pub component: PathBuf,
    /// `--web`.
    pub web: PathBuf,
    port: u16,
    vars: Vec<(String, String)>,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    log: Option<PathBuf>,
}

impl Launch {
    /// edge-host on a free port of 127.0.0.1 over `data_dir`.
    pub fn new(data_dir: &Path) -> Launch {
        Launch {
            data_dir: data_dir.to_owned(),
            bin: artifact("OTP_EDGE_HOST_BIN", "target/release/edge-host"),
            component: artifact(
                "OTP_EDGE_COMPONENT",
                "target/wasm32-wasip2/wasm-release/edge_api.wasm",
            ),
            web: artifact("OTP_EDGE_WEB", "web"),
            port: free_port(),
            vars: vec![
                ("seal_keys".into(), SEAL_KEYS.into()),
                ("issuer".into(), "otp-edge e2e".into()),
            ],
            args: Vec::new(),
            env: Vec::new(),
            log: None,
        }
    }

    /// `http://127.0.0.1:PORT`, where it will listen.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One more `--var name=value`.
    pub fn var(mut self, name: &str, value: &str) -> Launch {
        self.vars.push((name.into(), value.into()));
        self
    }

    /// One more command-line argument (`--header-timeout`, `2`).
    pub fn arg(mut self, arg: impl Into<OsString>) -> Launch {
        self.args.push(arg.into());
        self
    }

    /// One more environment variable (`XDG_CACHE_HOME`, for wasmtime's cache).
    pub fn env(mut self, name: impl Into<OsString>, value: impl Into<OsString>) -> Launch {
        self.env.push((name.into(), value.into()));
        self
    }

    /// stderr (the access log) to the file `log` rather than kept in memory for
    /// [`EdgeHost::stderr`] (for long runs).
    pub fn log_to(mut self, log: &Path) -> Launch {
        self.log = Some(log.to_owned());
        self
    }

    /// Spawns edge-host and waits until it says it listens.
    ///
    /// Errors: it could not be spawned, exited first, or did not listen within
    /// `START_TIMEOUT` (180 s) — with the end of its stderr.
    pub fn start(self) -> Result<EdgeHost, String> {
        let mut command = Command::new(&self.bin);
        command.args(&self.args);
        for (name, value) in &self.vars {
            command.arg("--var").arg(format!("{name}={value}"));
        }
        command
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--component")
            .arg(&self.component)
            .arg("--web")
            .arg(&self.web)
            .envs(self.env.iter().map(|(n, v)| (n, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        match &self.log {
            Some(path) => {
                let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
                command.stderr(file)
            }
            None => command.stderr(Stdio::piped()),
        };
        let spawned = Instant::now();
        let mut child = command.spawn().map_err(|e| {
            format!(
                "cannot start {}: {e} (run `cargo xtask build`)",
                self.bin.display()
            )
        })?;
        let ready = lines(child.stdout.take(), |line| {
            line.trim()
                .strip_prefix(READY_PREFIX)
                .map(|addr| addr.trim_end_matches('/').to_owned())
        });
        let stderr = Mutex::new(lines(child.stderr.take(), |line| Some(line.to_owned())));
        let mut host = EdgeHost {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], self.port)),
            base: self.base(),
            data_dir: self.data_dir,
            ready_after: Duration::ZERO,
            spawned,
            stderr,
            log: self.log,
        };
        match ready.recv_timeout(START_TIMEOUT) {
            Ok(addr) if addr.parse() == Ok(host.addr) => {
                host.ready_after = spawned.elapsed();
                Ok(host)
            }
            Ok(addr) => {
                let why = format!("listens on {addr}, not {}", host.addr);
                Err(host.failed(&why))
            }
            Err(_) => {
                std::thread::sleep(Duration::from_millis(200));
                let why = match host.child.try_wait() {
                    Ok(Some(status)) => format!("exited with {status} before listening"),
                    _ => format!("did not listen within {START_TIMEOUT:?}"),
                };
                Err(host.failed(&why))
            }
        }
    }
}

/// Starts the [`Launch`] `make` builds, up to three times: a free port can be taken by
/// another process between being chosen and edge-host binding it, and each new
/// `Launch` has a new port (so variables naming its address are made again too).
///
/// Errors: the last start's, or at once one that failed for another reason.
pub fn start_retrying(make: impl Fn() -> Launch) -> Result<EdgeHost, String> {
    let mut last = String::new();
    for _ in 0..3 {
        match make().start() {
            Ok(host) => return Ok(host),
            Err(e) if e.contains("Address already in use") => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// A thread reading `stream` line by line, sending what `pick` makes of each line.
fn lines<R: std::io::Read + Send + 'static>(
    stream: Option<R>,
    pick: impl Fn(&str) -> Option<String> + Send + 'static,
) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    if let Some(stream) = stream {
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if let Some(picked) = pick(&line) {
                    let _ = sender.send(picked);
                }
            }
        });
    }
    receiver
}

/// A running edge-host; stopped with SIGTERM on drop.
pub struct EdgeHost {
    child: Child,
    /// The address it listens on.
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its `--data-dir`.
    pub data_dir: PathBuf,
    /// From spawning the process to its `listening` line.
    pub ready_after: Duration,
    /// When the process was spawned.
    pub spawned: Instant,
    stderr: Mutex<mpsc::Receiver<String>>,
    log: Option<PathBuf>,
}

impl EdgeHost {
    /// Start edge-host on a free port over `data_dir` and wait until it says it listens
    /// (panics otherwise: for tests).
    pub fn start(data_dir: &Path) -> EdgeHost {
        Self::start_with(data_dir, |_| Vec::new())
    }

    /// [`EdgeHost::start`] with more `--var`s, given the base URL it will serve on.
    pub fn start_with(data_dir: &Path, vars: impl Fn(&str) -> Vec<(String, String)>) -> EdgeHost {
        Self::start_with_args(data_dir, &[], vars)
    }

    /// [`EdgeHost::start_with`] with more command-line arguments (`--header-timeout 2`).
    pub fn start_with_args(
        data_dir: &Path,
        args: &[&str],
        vars: impl Fn(&str) -> Vec<(String, String)>,
    ) -> EdgeHost {
        start_retrying(|| {
            let mut launch = Launch::new(data_dir);
            for (name, value) in vars(&launch.base()) {
                launch = launch.var(&name, &value);
            }
            for arg in args {
                launch = launch.arg(arg);
            }
            launch
        })
        .unwrap_or_else(|e| panic!("edge-host: {e}"))
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stop with SIGTERM and wait; returns the exit status code.
    pub fn stop(mut self) -> Option<i32> {
        self.terminate();
        self.child.wait().ok().and_then(|s| s.code())
    }

    /// Stop with SIGTERM; SIGKILL after `grace`. Errors: it had to be killed.
    pub fn stop_within(mut self, grace: Duration) -> Result<(), String> {
        self.terminate();
        let deadline = Instant::now() + grace;
        while matches!(self.child.try_wait(), Ok(None)) {
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err(format!(
                    "edge-host (pid {}) did not stop within {grace:?} of SIGTERM",
                    self.pid()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Stop at once with SIGKILL, as a crash or a power cut would (nothing flushed or
    /// closed in an orderly way), and wait.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn terminate(&self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
    }

    /// Everything edge-host wrote to stderr since the last call (nothing when it goes
    /// to a [`Launch::log_to`] file: see [`EdgeHost::log_tail`]).
    pub fn stderr(&self) -> Vec<String> {
        match self.stderr.lock() {
            Ok(lines) => lines.try_iter().collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The [`Launch::log_to`] file, if any.
    pub fn log_path(&self) -> Option<PathBuf> {
        self.log.clone()
    }

    /// The last `lines` lines of the [`Launch::log_to`] file (empty without one).
    pub fn log_tail(&self, lines: usize) -> String {
        self.log
            .as_deref()
            .map_or_else(String::new, |log| tail(log, lines))
    }

    /// Kills it and describes why it failed to start, with the end of its stderr.
    fn failed(mut self, why: &str) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let tail = match self.log {
            Some(_) => self.log_tail(20),
            None => self.stderr().join("\n"),
        };
        format!("edge-host {why}; its stderr:\n{tail}")
    }

    /// A new client with no cookie.
    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }
}

impl Serves for EdgeHost {
    fn client(&self) -> Client {
        Client::new(&self.base)
    }
}

impl Drop for EdgeHost {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.terminate();
            let _ = self.child.wait();
        }
    }
}

/// The last `lines` lines of a text file (empty when unreadable).
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
