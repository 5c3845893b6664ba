//! `cargo xtask build`: the edge-api component, the browser module (wasm-opt, then
//! wasm-bindgen into `web/pkg`) and edge-host. Cargo decides what is stale; wasm-opt and
//! wasm-bindgen are skipped while `web/pkg` is newer than cargo's .wasm.
//!
//! edge-host is built in release with the package selection of every host command
//! (`--workspace` without the browser module) and one dev target (otp-core's Criterion
//! bench): Cargo then unifies the features of shared dependencies exactly as for `cargo
//! test --release --workspace`, so `cargo xtask serve`, `test` and `bench` share one
//! wasmtime build instead of compiling it again with other features. Test binaries are
//! left to `cargo test`, so serve and bench do not compile them.

use std::fs;
use std::path::Path;
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::process::{self, announce};
use crate::sizes;
use crate::workspace::{WASI_TARGET, WASM_PROFILE, WEB_PROFILE, WEB_TARGET, Workspace};

/// The flags Debian's wasm-opt (binaryen 108) needs for modules from this Rust.
pub(crate) const WASM_OPT_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// The host build: edge-host and otp-core's Criterion bench, in release (see the module
/// docs; selecting a dev target is what makes the features match the test build's).
pub const HOST_BUILD: &[&str] = &[
    "build",
    "--release",
    "--workspace",
    "--exclude",
    "wasm-client",
    "--bin",
    "edge-host",
    "--bench",
    "core",
];

/// One buildable part of otp-edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    /// The edge-api Spin component (wasm32-wasip2).
    Api,
    /// The browser module into web/pkg (wasm32-unknown-unknown, wasm-bindgen, wasm-opt).
    Web,
    /// The local runtime edge-host (release).
    Host,
}

impl Part {
    /// Every part, in build order.
    pub const ALL: [Part; 3] = [Part::Api, Part::Web, Part::Host];
}

/// Builds `parts` (all of them when empty), then prints the .wasm sizes.
pub fn build(ws: &Workspace, parts: &[Part]) -> Result<()> {
    let parts = if parts.is_empty() {
        &Part::ALL[..]
    } else {
        parts
    };
    for part in Part::ALL.iter().filter(|p| parts.contains(p)) {
        match part {
            Part::Api => build_api(ws)?,
            Part::Web => build_web(ws)?,
            Part::Host => build_host(ws)?,
        }
    }
    if parts.iter().any(|p| matches!(p, Part::Api | Part::Web)) {
        sizes::print(&sizes::measure_all(ws)?);
    }
    Ok(())
}

fn build_api(ws: &Workspace) -> Result<()> {
    announce(format!(
        "building edge-api component ({WASI_TARGET}, {WASM_PROFILE})"
    ));
    process::run(
        "building edge-api",
        process::cargo()
            .args(["build", "-p", "edge-api", "--target", WASI_TARGET])
            .args(["--profile", WASM_PROFILE])
            .current_dir(&ws.root),
    )
}

fn build_web(ws: &Workspace) -> Result<()> {
    announce(format!(
        "building browser module wasm-client ({WEB_TARGET}, {WEB_PROFILE})"
    ));
    process::run(
        "building wasm-client",
        process::cargo()
            .args(["build", "-p", "wasm-client", "--target", WEB_TARGET])
            .args(["--profile", WEB_PROFILE])
            .current_dir(&ws.root),
    )?;
    let input = ws.client_wasm();
    let outputs = [ws.web_pkg_wasm(), ws.web_pkg_js()];
    if is_fresh(&input, &outputs)? {
        announce("web/pkg is up to date (newer than wasm_client.wasm)");
        return Ok(());
    }
    // Optimise before wasm-bindgen: Debian's binaryen 108 writes every exported table
    // index as 0, and wasm-bindgen's output has two tables, so optimising its output
    // breaks `__wbindgen_externrefs` (Chromium: "Table.set(): Argument 1 is invalid").
    // Cargo's module has one table, so optimising it first is safe.
    let optimised = input.with_extension("opt.wasm");
    announce("wasm-opt -Oz wasm_client.wasm");
    process::run(
        "wasm-opt",
        std::process::Command::new("wasm-opt")
            .arg("-Oz")
            .args(WASM_OPT_FEATURES)
            .arg(&input)
            .arg("-o")
            .arg(&optimised)
            .current_dir(&ws.root),
    )?;
    announce("wasm-bindgen → web/pkg");
    process::run(
        "wasm-bindgen",
        std::process::Command::new("wasm-bindgen")
            .args(["--target", "web", "--out-name", "wasm_client", "--out-dir"])
            .arg(ws.web_pkg())
            .args(["--remove-name-section", "--remove-producers-section"])
            .arg(&optimised)
            .current_dir(&ws.root),
    )
}

fn build_host(ws: &Workspace) -> Result<()> {
    announce("building edge-host (release)");
    process::run(
        "building edge-host",
        process::cargo().args(HOST_BUILD).current_dir(&ws.root),
    )
}

/// Builds the benchmarks' load client (`xtask/loadgen`) in release, with the host
/// build's package selection so it shares edge-host's compiled dependencies.
pub fn load_client(ws: &Workspace) -> Result<()> {
    announce("building the load client otp-loadgen (release)");
    process::run(
        "building otp-loadgen",
        process::cargo()
            .args(HOST_BUILD)
            .args(["--bin", "otp-loadgen"])
            .current_dir(&ws.root),
    )
}

/// Whether every output exists and is at least as new as `input`.
fn is_fresh(input: &Path, outputs: &[impl AsRef<Path>]) -> Result<bool> {
    let input_time = modified(input)?.ok_or_else(|| {
        Error::Project(format!(
            "cargo reported success but {} does not exist",
            input.display()
        ))
    })?;
    for output in outputs {
        match modified(output.as_ref())? {
            Some(t) if t >= input_time => {}
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// The modification time of `path`, or `None` when it does not exist.
fn modified(path: &Path) -> Result<Option<SystemTime>> {
    match fs::metadata(path).and_then(|m| m.modified()) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("reading the time of", path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_follows_modification_times() {
        let dir = std::env::temp_dir().join(format!("xtask-fresh-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let input = dir.join("in.wasm");
        let output = dir.join("out.wasm");
        fs::write(&input, b"in").unwrap();
        assert!(!is_fresh(&input, &[&output]).unwrap(), "missing output");
        fs::write(&output, b"out").unwrap();
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        fs::File::options()
            .write(true)
            .open(&input)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert!(!is_fresh(&input, &[&output]).unwrap(), "older output");
        fs::File::options()
            .write(true)
            .open(&output)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert!(is_fresh(&input, &[&output]).unwrap(), "same-age output");
        fs::remove_dir_all(&dir).unwrap();
    }
}
