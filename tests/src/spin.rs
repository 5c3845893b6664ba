//! Real Spin for the tests: `spin up` of the repository's spin.toml (the release
//! edge-api component and the web directory) with Spin's own key-value store — its SQLite file, or a `redis-server` shared by several instances —
//! each on a free loopback port with a fresh state directory, stopped on drop.
//!
//! The Spin CLI is `OTP_EDGE_SPIN`, else `spin` on PATH, else `../shared/bin/spin`
//! beside the workspace; [`spin_binary`] is `None` when there is none.

use crate::{Client, SEAL_KEYS, Serves, artifact, free_port, workspace_root};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Spin CLI to run, if any.
pub fn spin_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OTP_EDGE_SPIN") {
        return Some(PathBuf::from(path));
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("spin"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let shared = workspace_root().join("../shared/bin/spin");
        shared.is_file().then_some(shared)
    })
}

/// The repository's own `spin.toml`, as it is when the component was built to the
/// path it names. Otherwise (another Cargo target directory) a copy beside it with
/// that one path made absolute — Spin maps `files` only from inside the manifest's
/// directory — removed on drop; a spin.toml that no longer names the path fails here.
struct Manifest {
    path: PathBuf,
    copy: bool,
}

const COMPONENT_IN_MANIFEST: &str = "target/wasm32-wasip2/wasm-release/edge_api.wasm";

impl Manifest {
    fn for_component(component: &Path) -> Manifest {
        let root = workspace_root();
        let original = root.join("spin.toml");
        let default = root.join(COMPONENT_IN_MANIFEST);
        let same = |a: &Path, b: &Path| a.canonicalize().ok() == b.canonicalize().ok();
        if same(component, &default) {
            return Manifest {
                path: original,
                copy: false,
            };
        }
        let text = std::fs::read_to_string(&original).expect("spin.toml");
        let from = format!("source = {COMPONENT_IN_MANIFEST:?}");
        assert_eq!(text.matches(&from).count(), 1, "spin.toml has {from} once");
        let to = format!("source = {:?}", component.display().to_string());
        let path = root.join(format!(
            ".spin-test-{}-{}.toml",
            std::process::id(),
            free_port()
        ));
        std::fs::write(&path, text.replace(&from, &to)).expect("manifest copy");
        Manifest { path, copy: true }
    }
}

impl Drop for Manifest {
    fn drop(&mut self) {
        if self.copy {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// How to run one instance: the store and more variables.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Use this `redis-server` port as the default store (else Spin's SQLite file).
    pub redis_port: Option<u16>,
    /// Variables beyond `seal_keys` and `public_base_url` (which defaults to the
    /// instance's own loopback address), e.g. [`crate::standin::StandIn::variables`];
    /// a `seal_keys` here replaces the tests' one.
    pub variables: Vec<(String, String)>,
    /// The component (else `OTP_EDGE_COMPONENT`, else the build location).
    pub component: Option<PathBuf>,
}

/// Start `command` (listening on `port`) until its stdout says `ready`: it is then
/// this child that listens, not another process that took the port meanwhile. A child
/// that exits first (the port was taken) is started again on a new port, up to three
/// times. Returns the child and its port.
fn start_listening(
    mut command: impl FnMut(u16) -> Command,
    ready: &'static str,
    what: &str,
) -> (Child, u16) {
    for _ in 0..3 {
        let port = free_port();
        let mut child = command(port)
            .process_group(0)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains(ready) {
                    let _ = tx.send(());
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if rx.recv_timeout(Duration::from_millis(100)).is_ok() {
                return (child, port);
            }
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{what} did not say {ready:?} within 120 s");
            }
        }
    }
    panic!("{what} exited before listening, three times");
}

/// Send `signal` to the process group `child` leads (`spin up` runs the HTTP trigger
/// as a child process of its own, which must not outlive it).
fn signal_group(child: &Child, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg("--")
        .arg(format!("-{}", child.id()))
        .stderr(Stdio::null())
        .status();
}

/// SIGTERM to the whole group, up to 10 s to exit, then SIGKILL to whatever is left.
fn stop(child: &mut Child) {
    if matches!(child.try_wait(), Ok(None)) {
        signal_group(child, "TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    signal_group(child, "KILL");
    let _ = child.wait();
}

/// A `redis-server` on a free loopback port, nothing saved to disk; stopped on drop.
pub struct Redis {
    child: Child,
    /// Its port.
    pub port: u16,
}

impl Redis {
    /// Start one and wait until it accepts connections.
    pub fn start() -> Redis {
        let (child, port) = start_listening(
            |port| {
                let mut command = Command::new("redis-server");
                command
                    .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                    .arg("--port")
                    .arg(port.to_string());
                command
            },
            "Ready to accept connections",
            "redis-server (cargo xtask test installs it)",
        );
        Redis { child, port }
    }

    /// The value at `key` (`redis-cli GET`), empty when absent.
    pub fn get(&self, key: &str) -> Vec<u8> {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "GET", key])
            .output()
            .expect("redis-cli runs");
        out.stdout
    }

    /// Keys matching `pattern` (`redis-cli --scan`).
    pub fn keys(&self, pattern: &str) -> Vec<String> {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "--scan", "--pattern", pattern])
            .output()
            .expect("redis-cli runs");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// One `spin up` of the component; stopped with SIGTERM on drop.
pub struct SpinApp {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its `--state-dir` (Spin's SQLite key-value file is `sqlite_key_value.db` there).
    pub state_dir: PathBuf,
    _manifest: Manifest,
}

impl SpinApp {
    /// Start `spin` with its default SQLite store in `dir`.
    pub fn sqlite(spin: &Path, dir: &Path) -> SpinApp {
        Self::start(spin, dir, &Options::default())
    }

    /// Start `spin` in `dir` with the default store in `redis`.
    pub fn redis(spin: &Path, dir: &Path, redis: &Redis) -> SpinApp {
        let options = Options {
            redis_port: Some(redis.port),
            ..Options::default()
        };
        Self::start(spin, dir, &options)
    }

    /// Start `spin` in `dir` as `options` say.
    pub fn start(spin: &Path, dir: &Path, options: &Options) -> SpinApp {
        std::fs::create_dir_all(dir).expect("state dir");
        let component = options.component.clone().unwrap_or_else(|| {
            artifact(
                "OTP_EDGE_COMPONENT",
                "target/wasm32-wasip2/wasm-release/edge_api.wasm",
            )
        });
        let component = component.canonicalize().unwrap_or(component);
        let manifest = Manifest::for_component(&component);
        let manifest_path = manifest.path.clone();
        let state_dir = dir.join("state");
        let config = options.redis_port.map(|redis_port| {
            // The runtime-config file the repository ships, pointed at this Redis.
            let shipped = workspace_root().join("runtime-config").join("redis.toml");
            let text = std::fs::read_to_string(&shipped).expect("runtime-config/redis.toml");
            let url = "url = \"redis://127.0.0.1:6379\"";
            assert_eq!(
                text.matches(url).count(),
                1,
                "{} has {url}",
                shipped.display()
            );
            let config = dir.join("runtime-config.toml");
            let ours = format!("url = \"redis://127.0.0.1:{redis_port}\"");
            std::fs::write(&config, text.replace(url, &ours)).expect("runtime config");
            config
        });
        let (child, port) = start_listening(
            |port| {
                let mut command = Command::new(spin);
                command
                    .arg("up")
                    .arg("--from")
                    .arg(&manifest_path)
                    .arg("--listen")
                    .arg(format!("127.0.0.1:{port}"))
                    .arg("--state-dir")
                    .arg(&state_dir)
                    .env("SPIN_VARIABLE_SEAL_KEYS", SEAL_KEYS)
                    .env(
                        "SPIN_VARIABLE_PUBLIC_BASE_URL",
                        format!("http://127.0.0.1:{port}"),
                    );
                for (name, value) in &options.variables {
                    command.env(
                        format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase()),
                        value,
                    );
                }
                if let Some(config) = &config {
                    command.arg("--runtime-config-file").arg(config);
                }
                command
            },
            "Serving http://",
            &format!("spin up ({})", spin.display()),
        );
        let base = format!("http://127.0.0.1:{port}");
        SpinApp {
            child,
            base,
            state_dir,
            _manifest: manifest,
        }
    }

    /// Stop it at once (SIGKILL), as a crash would.
    pub fn kill(mut self) {
        signal_group(&self.child, "KILL");
        let _ = self.child.wait();
    }
}

impl Serves for SpinApp {
    fn client(&self) -> Client {
        Client::new(&self.base)
    }
}

impl Drop for SpinApp {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}
