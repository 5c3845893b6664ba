//! Prerequisites: checks what the tasks need and installs only what is missing, saying
//! so in one line per installation.
//!
//! - rustup targets `wasm32-wasip2` and `wasm32-unknown-unknown`;
//! - wasm-bindgen-cli at exactly the version of the `wasm-bindgen` crate pinned in the
//!   root Cargo.toml (`cargo install` *without* `--locked`, which fails on a lock
//!   conflict; about 9 minutes);
//! - Debian packages for missing commands (one `apt-get update`, then one
//!   `apt-get install`; `sudo` only when not root);
//! - for the tests: Python's `pyotp`, the npm packages of `tests/browser`, and for the
//!   fuzz smoke run the nightly toolchain (`rustup toolchain install nightly`) and
//!   `cargo-fuzz` (`cargo install cargo-fuzz`);
//! - for the benchmarks: `oha` (the HTTP load generator of `GET /api/time`, `cargo install
//!   oha --locked` at [`OHA_VERSION`], about 15 minutes once), `chromium` and Node with
//!   the npm packages of `tests/browser` (page-load timings).

use std::process::Command;

use crate::error::{Error, Result};
use crate::process::{self, announce, find_program};
use crate::workspace::{WASI_TARGET, WEB_TARGET, Workspace};

/// How much a task needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Building and serving: Rust targets, wasm-bindgen-cli, wasm-opt.
    Build,
    /// Everything the tests use on top of [`Needs::Build`].
    Test,
    /// What `cargo xtask bench` uses on top of [`Needs::Build`]: `oha`, Chromium, Node
    /// and the npm packages of `tests/browser`.
    Bench,
}

impl Needs {
    /// Whether the task runs the browser scripts of `tests/browser` (Node, npm packages).
    fn runs_browser_scripts(self) -> bool {
        matches!(self, Needs::Test | Needs::Bench)
    }
}

/// A command provided by a Debian package, and the tasks that need it.
struct DebianTool {
    /// The command looked up on PATH.
    command: &'static str,
    /// What it is for, said when it is installed.
    purpose: &'static str,
    /// The Debian package providing it.
    package: &'static str,
    /// The tasks needing it; [`Needs::Build`] means every task (they all build).
    needed_for: &'static [Needs],
}

impl DebianTool {
    /// Whether a task with `needs` needs this tool.
    fn wanted_by(&self, needs: Needs) -> bool {
        self.needed_for.contains(&Needs::Build) || self.needed_for.contains(&needs)
    }
}

const DEBIAN_TOOLS: &[DebianTool] = &[
    DebianTool {
        command: "wasm-opt",
        purpose: "shrinks the browser module",
        package: "binaryen",
        needed_for: &[Needs::Build],
    },
    DebianTool {
        command: "oathtool",
        purpose: "independent TOTP codes for the tests",
        package: "oathtool",
        needed_for: &[Needs::Test],
    },
    DebianTool {
        command: "zbarimg",
        purpose: "decodes the QR codes the tests render",
        package: "zbar-tools",
        needed_for: &[Needs::Test],
    },
    DebianTool {
        command: "rsvg-convert",
        purpose: "renders the QR SVG for zbarimg",
        package: "librsvg2-bin",
        needed_for: &[Needs::Test],
    },
    DebianTool {
        command: "redis-server",
        purpose: "the Redis that several Spin instances share in the Spin store tests",
        package: "redis-server",
        needed_for: &[Needs::Test],
    },
    DebianTool {
        command: "chromium",
        purpose: "headless browser of the browser tests and page-load benchmarks",
        package: "chromium",
        needed_for: &[Needs::Test, Needs::Bench],
    },
    DebianTool {
        command: "chromedriver",
        purpose: "drives Chromium for the browser module tests",
        package: "chromium-driver",
        needed_for: &[Needs::Test],
    },
];

/// Makes sure everything `needs` asks for is installed.
pub fn ensure(ws: &Workspace, needs: Needs) -> Result<()> {
    let mut apt = Apt::default();
    ensure_rust_targets(ws)?;
    ensure_debian_tools(ws, needs, &mut apt)?;
    ensure_wasm_bindgen(ws)?;
    if needs.runs_browser_scripts() {
        ensure_npm_packages(ws)?;
    }
    if needs == Needs::Test {
        ensure_pyotp(&mut apt)?;
        ensure_fuzzing(ws)?;
    }
    if needs == Needs::Bench {
        ensure_oha()?;
    }
    Ok(())
}

/// The oha release the benchmarks read the JSON of.
pub const OHA_VERSION: &str = "1.16.0";

/// oha, the load generator of `GET /api/time` (`cargo install`, with its lock file).
fn ensure_oha() -> Result<()> {
    if find_program("oha").is_some() {
        return Ok(());
    }
    announce(format!(
        "installing oha {OHA_VERSION} for the benchmarks (cargo install oha --locked, about 15 minutes once)"
    ));
    process::run(
        "installing oha",
        process::cargo().args(["install", "oha", "--locked", "--version", OHA_VERSION]),
    )
}

fn ensure_rust_targets(ws: &Workspace) -> Result<()> {
    let out = process::output(
        Command::new("rustup")
            .args(["target", "list", "--installed"])
            .current_dir(&ws.root),
    )
    .map_err(|e| match e {
        Error::MissingProgram { program, .. } => Error::MissingProgram {
            program,
            hint: "install Rust with rustup (https://rustup.rs), which adds the wasm targets"
                .into(),
        },
        other => other,
    })?;
    if !out.status.success() {
        return Err(Error::Install(format!(
            "`rustup target list --installed` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let installed = String::from_utf8_lossy(&out.stdout);
    let missing: Vec<&str> = [WASI_TARGET, WEB_TARGET]
        .into_iter()
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    announce(format!(
        "installing rustup targets: {} (rustup target add)",
        missing.join(" ")
    ));
    process::run(
        "installing rustup targets",
        Command::new("rustup")
            .args(["target", "add"])
            .args(&missing)
            .current_dir(&ws.root),
    )
}

fn ensure_debian_tools(ws: &Workspace, needs: Needs, apt: &mut Apt) -> Result<()> {
    let missing: Vec<&DebianTool> = DEBIAN_TOOLS
        .iter()
        .filter(|t| t.wanted_by(needs) && find_program(t.command).is_none())
        .collect();
    let mut packages: Vec<&str> = missing.iter().map(|t| t.package).collect();
    let notes: Vec<String> = missing
        .iter()
        .map(|t| format!("{} ({}): {}", t.package, t.command, t.purpose))
        .collect();
    // Python for the pyotp cross-check; Debian's pyotp comes with it then.
    if needs == Needs::Test && find_program("python3").is_none() {
        packages.extend(["python3", "python3-pyotp"]);
    }
    if needs.runs_browser_scripts() {
        // Node and npm only when there are browser scripts to run.
        if ws.browser_tests().join("package.json").is_file() {
            if find_program("node").is_none() {
                packages.push("nodejs");
            }
            if find_program("npm").is_none() {
                packages.push("npm");
            }
        }
    }
    apt.install_noting(&packages, &notes)
}

fn ensure_wasm_bindgen(ws: &Workspace) -> Result<()> {
    let wanted = ws.wasm_bindgen_version()?;
    let found = installed_wasm_bindgen();
    if found.as_deref() == Some(wanted.as_str()) {
        return Ok(());
    }
    let now = match &found {
        Some(v) => format!("found {v}"),
        None => "not installed".to_owned(),
    };
    announce(format!(
        "installing wasm-bindgen-cli {wanted} (cargo install, about 9 minutes; {now})"
    ));
    // No --locked: the CLI's own lock file conflicts with current dependencies.
    process::run(
        "installing wasm-bindgen-cli",
        process::cargo().args(["install", "wasm-bindgen-cli", "--version", &wanted]),
    )?;
    match installed_wasm_bindgen() {
        Some(v) if v == wanted => Ok(()),
        other => Err(Error::Install(format!(
            "wasm-bindgen-cli {wanted} was installed, but `wasm-bindgen` on PATH is {}: \
             put ~/.cargo/bin first on PATH",
            other.unwrap_or_else(|| "missing".into())
        ))),
    }
}

/// The version `wasm-bindgen --version` reports (`wasm-bindgen 0.2.130` → `0.2.130`).
fn installed_wasm_bindgen() -> Option<String> {
    let out = Command::new("wasm-bindgen")
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    out.status
        .success()
        .then(|| text.split_whitespace().nth(1).map(str::to_owned))
        .flatten()
}

fn ensure_pyotp(apt: &mut Apt) -> Result<()> {
    let importable = || process::succeeds(Command::new("python3").args(["-c", "import pyotp"]));
    if importable() {
        return Ok(());
    }
    if process::succeeds(Command::new("python3").args(["-m", "pip", "--version"])) {
        announce("installing Python package: pyotp (pip install pyotp)");
        // A Debian system Python refuses pip installs (PEP 668): fall back to apt below.
        let pip = process::run(
            "installing pyotp",
            Command::new("python3").args(["-m", "pip", "install", "pyotp"]),
        );
        if pip.is_ok() && importable() {
            return Ok(());
        }
    }
    apt.install(&["python3-pyotp"])?;
    if importable() {
        Ok(())
    } else {
        Err(Error::Install(
            "pyotp is still not importable by `python3`: install it with pip for that Python"
                .into(),
        ))
    }
}

fn ensure_npm_packages(ws: &Workspace) -> Result<()> {
    let dir = ws.browser_tests();
    // npm writes node_modules/.package-lock.json after each install: up to date when it
    // is newer than the lock file (a pulled change to the packages installs again).
    let modified = |p: &str| {
        std::fs::metadata(dir.join(p))
            .and_then(|m| m.modified())
            .ok()
    };
    let installed = modified("node_modules/.package-lock.json");
    let up_to_date = installed.is_some() && installed >= modified("package-lock.json");
    if !dir.join("package.json").is_file() || up_to_date {
        return Ok(());
    }
    let verb = if dir.join("package-lock.json").is_file() {
        "ci"
    } else {
        "install"
    };
    announce(format!(
        "installing npm packages in tests/browser (npm {verb})"
    ));
    process::run(
        "installing npm packages",
        Command::new("npm").arg(verb).current_dir(&dir),
    )
}

/// The nightly toolchain and cargo-fuzz, for the fuzz smoke run.
fn ensure_fuzzing(ws: &Workspace) -> Result<()> {
    let toolchains = process::output(Command::new("rustup").args(["toolchain", "list"]))?;
    let has_nightly = String::from_utf8_lossy(&toolchains.stdout)
        .lines()
        .any(|l| l.starts_with("nightly"));
    if !has_nightly {
        announce(
            "installing the nightly Rust toolchain for cargo-fuzz (rustup toolchain install nightly --profile minimal)",
        );
        process::run(
            "installing nightly",
            Command::new("rustup")
                .args(["toolchain", "install", "nightly", "--profile", "minimal"])
                .current_dir(&ws.root),
        )?;
    }
    if find_program("cargo-fuzz").is_none() {
        announce("installing cargo-fuzz (cargo install cargo-fuzz, about 2 minutes)");
        process::run(
            "installing cargo-fuzz",
            process::cargo().args(["install", "cargo-fuzz"]),
        )?;
    }
    Ok(())
}

/// Debian's apt-get, updated at most once per xtask run.
#[derive(Default)]
struct Apt {
    updated: bool,
}

impl Apt {
    fn install(&mut self, packages: &[&str]) -> Result<()> {
        self.install_noting(packages, &[])
    }

    /// Installs `packages`, announcing them with `notes` (what some of them are for).
    fn install_noting(&mut self, packages: &[&str], notes: &[String]) -> Result<()> {
        if packages.is_empty() {
            return Ok(());
        }
        let list = packages.join(" ");
        if find_program("apt-get").is_none() {
            return Err(Error::MissingProgram {
                program: "apt-get".into(),
                hint: format!(
                    "not a Debian system? Install these Debian packages' equivalents by hand: {list}"
                ),
            });
        }
        let sudo = !process::is_root();
        if sudo && find_program("sudo").is_none() {
            return Err(Error::MissingProgram {
                program: "sudo".into(),
                hint: format!("run as root, or install these Debian packages: {list}"),
            });
        }
        let why = if notes.is_empty() {
            String::new()
        } else {
            format!(" — {}", notes.join("; "))
        };
        announce(format!("installing Debian packages: {list} (apt-get){why}"));
        let apt_get = |args: &[&str]| {
            let mut cmd = if sudo {
                // sudo resets the environment; it passes on VAR=value arguments.
                let mut c = Command::new("sudo");
                c.args(["DEBIAN_FRONTEND=noninteractive", "apt-get"]);
                c
            } else {
                let mut c = Command::new("apt-get");
                c.env("DEBIAN_FRONTEND", "noninteractive");
                c
            };
            cmd.args(args);
            cmd
        };
        if !self.updated {
            process::run("apt-get update", &mut apt_get(&["update"]))?;
            self.updated = true;
        }
        let mut args = vec!["install", "-y"];
        args.extend(packages);
        process::run("installing Debian packages", &mut apt_get(&args))
    }
}
