//! Build script: generates the host bindings for the Spin interfaces edge-host implements.
//!
//! The WIT definitions are not kept in this repository. They ship inside the source of
//! the `spin-sdk` crate that edge-api depends on, so this script:
//!
//! 1. finds that crate's directory with `cargo metadata` on this workspace (or takes it
//!    from `EDGE_HOST_SPIN_SDK_DIR`, an escape hatch for unusual setups);
//! 2. copies the WIT packages edge-host implements (`fermyon:spin`
//!    variables, `wasi:keyvalue@0.2.0-draft2`, `wasi:config@0.2.0-draft-2024-09-27`) into
//!    `OUT_DIR/wit`, next to a small world that imports them;
//! 3. writes `OUT_DIR/bindings.rs`, a `wasmtime::component::bindgen!` call on that
//!    directory, which `src/bindings.rs` includes.
//!
//! Using the very files the guest was built against keeps host and guest in step: bump
//! spin-sdk in the workspace and the bindings follow.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The spin-sdk release whose WIT files are used when several are in the dependency graph.
const SPIN_SDK_VERSION: &str = "5.2.0";

/// `(directory under spin-sdk's wit/deps, files to take, package line to prepend)`.
///
/// The `fermyon:spin@2.0.0` directory also holds interfaces edge-host does not provide
/// (key-value, redis, mysql, llm, ...) and a world that pulls in all of WASI, so only the
/// file needed is taken and the package line (which lives in that directory's world.wit)
/// is written in front of it.
const PACKAGES: &[(&str, &[&str], Option<&str>)] = &[
    (
        "spin@2.0.0",
        &["variables.wit"],
        Some("package fermyon:spin@2.0.0;"),
    ),
    (
        "keyvalue-2024-10-17",
        &[
            "store.wit",
            "atomic.wit",
            "batch.wit",
            "watch.wit",
            "world.wit",
        ],
        None,
    ),
    (
        "wasi-runtime-config-2024-09-27",
        &["store.wit", "world.wit"],
        None,
    ),
];

/// The world edge-host provides to the component, on top of WASI 0.2 and WASI HTTP.
const HOST_WORLD: &str = "package otp-edge:host;

/// Everything edge-host implements itself; WASI and WASI HTTP come from wasmtime-wasi.
world spin-imports {
    import fermyon:spin/variables@2.0.0;
    import wasi:keyvalue/store@0.2.0-draft2;
    import wasi:keyvalue/atomics@0.2.0-draft2;
    import wasi:keyvalue/batch@0.2.0-draft2;
    import wasi:config/store@0.2.0-draft-2024-09-27;
}
";

/// Options of the `bindgen!` call; `{path}` is replaced by the WIT directory.
const BINDGEN: &str = r#"wasmtime::component::bindgen!({
    path: {path},
    world: "otp-edge:host/spin-imports",
    imports: { default: async | trappable },
    with: {
        "wasi:keyvalue/store.bucket": crate::wasi_kv::Bucket,
        "wasi:keyvalue/atomics.cas": crate::wasi_kv::Cas,
    },
});
"#;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=EDGE_HOST_SPIN_SDK_DIR");

    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));

    let sdk = match locate_spin_sdk(&manifest_dir) {
        Ok(dir) => dir,
        Err(message) => panic!("edge-host: cannot find the spin-sdk WIT files: {message}"),
    };
    let wit = out_dir.join("wit");
    if let Err(message) = write_wit(&sdk.join("wit").join("deps"), &wit) {
        panic!(
            "edge-host: cannot prepare WIT files from {}: {message}",
            sdk.display()
        );
    }
    let path_literal = format!("{:?}", wit.to_str().expect("OUT_DIR is not UTF-8"));
    let bindings = BINDGEN.replace("{path}", &path_literal);
    write_if_changed(&out_dir.join("bindings.rs"), &bindings).expect("write bindings.rs");
}

/// Finds the root directory of the spin-sdk crate source.
fn locate_spin_sdk(manifest_dir: &Path) -> Result<PathBuf, String> {
    if let Some(dir) = env::var_os("EDGE_HOST_SPIN_SDK_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(manifest_dir.join("Cargo.toml"))
        .output()
        .map_err(|e| format!("cannot run `cargo metadata`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo metadata` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cannot parse `cargo metadata` output: {e}"))?;
    if let Some(root) = metadata["workspace_root"].as_str() {
        // A different spin-sdk in the lock file means different WIT files.
        println!("cargo:rerun-if-changed={root}/Cargo.lock");
    }
    let candidates: Vec<(&str, &str)> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["name"] == "spin-sdk")
        .filter_map(|p| Some((p["version"].as_str()?, p["manifest_path"].as_str()?)))
        .collect();
    let chosen = candidates
        .iter()
        .find(|(version, _)| *version == SPIN_SDK_VERSION)
        .or(match candidates.as_slice() {
            [only] => Some(only),
            _ => None,
        });
    match chosen {
        Some((_, manifest)) => Ok(Path::new(manifest)
            .parent()
            .ok_or("spin-sdk manifest path has no parent")?
            .to_path_buf()),
        None => Err(format!(
            "spin-sdk is not in this workspace's dependency graph (found versions: {:?}); \
             edge-api must depend on spin-sdk ={SPIN_SDK_VERSION}, or set \
             EDGE_HOST_SPIN_SDK_DIR to an unpacked spin-sdk crate",
            candidates.iter().map(|(v, _)| v).collect::<Vec<_>>()
        )),
    }
}

/// Copies the needed WIT packages from `deps` into `wit/deps` and writes the host world.
fn write_wit(deps: &Path, wit: &Path) -> Result<(), String> {
    for (dir, files, package_line) in PACKAGES {
        let target = wit.join("deps").join(dir);
        fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
        for (index, file) in files.iter().enumerate() {
            let source = deps.join(dir).join(file);
            let mut text =
                fs::read_to_string(&source).map_err(|e| format!("{}: {e}", source.display()))?;
            if let (0, Some(line)) = (index, package_line) {
                text = format!("{line}\n\n{text}");
            }
            write_if_changed(&target.join(file), &text)
                .map_err(|e| format!("{}: {e}", target.display()))?;
        }
    }
    write_if_changed(&wit.join("host.wit"), HOST_WORLD).map_err(|e| e.to_string())
}

/// Writes `text` to `path` unless the file already holds exactly that (keeps mtimes stable).
fn write_if_changed(path: &Path, text: &str) -> std::io::Result<()> {
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    fs::write(path, text)
}
