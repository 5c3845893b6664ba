//! Where things are in the workspace, and what its manifests pin.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The wasm32-wasip2 target of the edge-api component.
pub const WASI_TARGET: &str = "wasm32-wasip2";
/// The target of the browser module.
pub const WEB_TARGET: &str = "wasm32-unknown-unknown";
/// The cargo profile of the edge-api component (defined in the root Cargo.toml).
pub const WASM_PROFILE: &str = "wasm-release";
/// The cargo profile of the browser module (defined in the root Cargo.toml).
pub const WEB_PROFILE: &str = "wasm-web";

/// Paths of the workspace and its artifacts, all absolute.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace root (the directory of the root Cargo.toml).
    pub root: PathBuf,
    /// Cargo's target directory (`$CARGO_TARGET_DIR` or `<root>/target`).
    pub target: PathBuf,
}

impl Workspace {
    /// The workspace this xtask binary was built from.
    pub fn locate() -> Self {
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf();
        let target = match env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => root.join(dir),
            None => root.join("target"),
        };
        Workspace { root, target }
    }

    /// The edge-api Spin component.
    pub fn component_wasm(&self) -> PathBuf {
        self.target
            .join(WASI_TARGET)
            .join(WASM_PROFILE)
            .join("edge_api.wasm")
    }

    /// The browser module as cargo leaves it, before wasm-bindgen.
    pub fn client_wasm(&self) -> PathBuf {
        self.target
            .join(WEB_TARGET)
            .join(WEB_PROFILE)
            .join("wasm_client.wasm")
    }

    /// The static pages served by edge-host.
    pub fn web_dir(&self) -> PathBuf {
        self.root.join("web")
    }

    /// wasm-bindgen's output directory.
    pub fn web_pkg(&self) -> PathBuf {
        self.web_dir().join("pkg")
    }

    /// The browser module after wasm-bindgen and wasm-opt.
    pub fn web_pkg_wasm(&self) -> PathBuf {
        self.web_pkg().join("wasm_client_bg.wasm")
    }

    /// The JS glue wasm-bindgen writes beside the module.
    pub fn web_pkg_js(&self) -> PathBuf {
        self.web_pkg().join("wasm_client.js")
    }

    /// The release edge-host binary.
    pub fn edge_host_bin(&self) -> PathBuf {
        self.target.join("release").join("edge-host")
    }

    /// The release binary of the benchmarks' load client (`xtask/loadgen`).
    pub fn load_client_bin(&self) -> PathBuf {
        self.target.join("release").join("otp-loadgen")
    }

    /// The shared test cases beside the repository (`../shared/cases`).
    pub fn cases_dir(&self) -> PathBuf {
        let dir = self.root.join("..").join("shared").join("cases");
        dir.canonicalize().unwrap_or(dir)
    }

    /// The browser end-to-end test project.
    pub fn browser_tests(&self) -> PathBuf {
        self.root.join("tests").join("browser")
    }

    /// The version of the `wasm-bindgen` crate pinned with `=` in the root Cargo.toml's
    /// `[workspace.dependencies]`: wasm-bindgen-cli must be exactly this version.
    pub fn wasm_bindgen_version(&self) -> Result<String> {
        let path = self.root.join("Cargo.toml");
        let text = fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))?;
        pinned_version(&text, "wasm-bindgen").map_err(|why| {
            Error::Project(format!(
                "{}: {why} (wasm-bindgen-cli must match the crate exactly)",
                path.display()
            ))
        })
    }
}

/// The exact (`=x.y.z`) version of `krate` in `[workspace.dependencies]` of `manifest`.
fn pinned_version(manifest: &str, krate: &str) -> Result<String, String> {
    let doc: toml::Table = toml::from_str(manifest).map_err(|e| format!("not valid TOML: {e}"))?;
    let dep = doc
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.get(krate))
        .ok_or_else(|| format!("[workspace.dependencies] has no `{krate}`"))?;
    let requirement = match dep {
        toml::Value::String(s) => Some(s.as_str()),
        toml::Value::Table(t) => t.get("version").and_then(toml::Value::as_str),
        _ => None,
    }
    .ok_or_else(|| format!("`{krate}` in [workspace.dependencies] has no version"))?;
    match requirement.trim().strip_prefix('=') {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
        _ => Err(format!(
            "`{krate}` must be pinned exactly (`\"=x.y.z\"`), found `{requirement}`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::{Workspace, pinned_version};

    #[test]
    fn this_workspace_pins_wasm_bindgen() {
        let version = Workspace::locate().wasm_bindgen_version().unwrap();
        assert!(version.starts_with("0."), "{version}");
    }

    #[test]
    fn reads_exact_pins_in_both_spellings() {
        let plain = "[workspace.dependencies]\nwasm-bindgen = \"=0.2.130\"\n";
        assert_eq!(pinned_version(plain, "wasm-bindgen").unwrap(), "0.2.130");
        let table = "[workspace.dependencies]\nwasm-bindgen = { version = \"= 0.2.9\" }\n";
        assert_eq!(pinned_version(table, "wasm-bindgen").unwrap(), "0.2.9");
    }

    #[test]
    fn refuses_loose_or_missing_pins() {
        let loose = "[workspace.dependencies]\nwasm-bindgen = \"0.2\"\n";
        assert!(pinned_version(loose, "wasm-bindgen").is_err());
        assert!(pinned_version("[workspace]\n", "wasm-bindgen").is_err());
    }
}
