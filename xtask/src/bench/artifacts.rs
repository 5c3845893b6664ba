//! Artifact sizes for the report: raw, gzip -9, and after `wasm-opt -Oz`.
//!
//! Debian's wasm-opt (binaryen 108) reads core modules only, not components, so the
//! edge-api component itself has no optimised size. What wasm-opt would do to its code
//! is shown on the component's main core module, taken byte for byte out of the
//! component (a top-level core-module section; the other, tiny core modules are
//! wit-component's adapter shims). The browser module is optimised by the build
//! itself (wasm-opt before wasm-bindgen), so both of its stages are on disk.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::build::WASM_OPT_FEATURES;
use crate::error::{Error, Result};
use crate::process::{self, announce};
use crate::sizes::gzip_len;
use crate::workspace::Workspace;

/// Size after wasm-opt, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Optimised {
    /// Bytes after `wasm-opt -Oz`, and gzip -9 of that.
    Bytes {
        /// Raw.
        raw: u64,
        /// gzip -9.
        gzip: u64,
    },
    /// Not applicable, with the reason.
    NotApplicable(&'static str),
}

/// One row of the sizes table.
#[derive(Debug, Clone)]
pub struct SizeRow {
    /// What it is.
    pub what: String,
    /// Where it is (relative to the workspace root where possible).
    pub path: PathBuf,
    /// Bytes.
    pub raw: u64,
    /// gzip -9 bytes.
    pub gzip: u64,
    /// After wasm-opt -Oz.
    pub optimised: Optimised,
}

/// Measures the artifacts; wasm-opt output is kept in `cache_dir` and reused while it
/// is newer than its input.
pub fn measure(ws: &Workspace, cache_dir: &Path) -> Result<Vec<SizeRow>> {
    let mut rows = Vec::new();
    let relative = |p: &Path| p.strip_prefix(&ws.root).unwrap_or(p).to_path_buf();
    let component_path = ws.component_wasm();
    let component = read(&component_path)?;
    rows.push(SizeRow {
        what: "edge-api component, as deployed".into(),
        path: relative(&component_path),
        raw: component.len() as u64,
        gzip: gzip_len(&component),
        optimised: Optimised::NotApplicable("n/a (component)"),
    });
    let modules = core_modules(&component).ok_or_else(|| {
        Error::Project(format!("{} is not a component", component_path.display()))
    })?;
    if let Some(main) = modules.iter().max_by_key(|m| m.len()) {
        let core_path = cache_dir.join("edge_api.core.wasm");
        fs::create_dir_all(cache_dir).map_err(|e| Error::io("creating", cache_dir, e))?;
        if fs::read(&core_path).ok().as_deref() != Some(*main) {
            fs::write(&core_path, main).map_err(|e| Error::io("writing", &core_path, e))?;
        }
        let others: usize = modules.iter().map(|m| m.len()).sum::<usize>() - main.len();
        rows.push(SizeRow {
            what: format!(
                "└ its main core module, extracted (the other {} core modules: {others} B of shims)",
                modules.len() - 1
            ),
            path: relative(&core_path),
            raw: main.len() as u64,
            gzip: gzip_len(main),
            optimised: wasm_opt(&core_path, &cache_dir.join("edge_api.core.opt.wasm"))?,
        });
    }
    let client = ws.client_wasm();
    let client_opt = client.with_extension("opt.wasm");
    if client.is_file() {
        let bytes = read(&client)?;
        let optimised = match fs::read(&client_opt) {
            Ok(opt) => Optimised::Bytes {
                raw: opt.len() as u64,
                gzip: gzip_len(&opt),
            },
            Err(_) => Optimised::NotApplicable("not built"),
        };
        rows.push(SizeRow {
            what: "browser module, cargo output (wasm-opt'd by the build)".into(),
            path: relative(&client),
            raw: bytes.len() as u64,
            gzip: gzip_len(&bytes),
            optimised,
        });
    }
    let served = ws.web_pkg_wasm();
    let bytes = read(&served)?;
    rows.push(SizeRow {
        what: "browser module as served (after wasm-opt and wasm-bindgen)".into(),
        path: relative(&served),
        raw: bytes.len() as u64,
        gzip: gzip_len(&bytes),
        optimised: Optimised::NotApplicable("(is the optimised one)"),
    });
    Ok(rows)
}

/// The bytes of `path`.
fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| Error::io("reading", path, e))
}

/// `wasm-opt -Oz input -o output` unless `output` is newer than `input`.
fn wasm_opt(input: &Path, output: &Path) -> Result<Optimised> {
    let fresh = match (modified(input), modified(output)) {
        (Some(i), Some(o)) => o >= i,
        _ => false,
    };
    if !fresh {
        announce(format!(
            "wasm-opt -Oz {} (for its size only)",
            input.display()
        ));
        process::run(
            "wasm-opt",
            Command::new("wasm-opt")
                .arg("-Oz")
                .args(WASM_OPT_FEATURES)
                .arg(input)
                .arg("-o")
                .arg(output),
        )?;
    }
    let bytes = read(output)?;
    Ok(Optimised::Bytes {
        raw: bytes.len() as u64,
        gzip: gzip_len(&bytes),
    })
}

/// The modification time of `path`, if it exists.
fn modified(path: &Path) -> Option<std::time::SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The core modules at the top level of a component binary; `None` when `bytes` is not
/// a component (or is cut short).
pub fn core_modules(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    // `\0asm`, then version 0x0d and layer 1 (a component, not a core module).
    let rest = bytes.strip_prefix(b"\0asm\x0d\x00\x01\x00")?;
    let mut modules = Vec::new();
    let mut at = 0;
    while at < rest.len() {
        let id = rest[at];
        let (size, leb_len) = leb128_u32(&rest[at + 1..])?;
        let start = at + 1 + leb_len;
        let end = start.checked_add(usize::try_from(size).ok()?)?;
        let payload = rest.get(start..end)?;
        // Component section 1 is a core module: a whole core module binary.
        if id == 1 && payload.starts_with(b"\0asm\x01\x00\x00\x00") {
            modules.push(payload);
        }
        at = end;
    }
    Some(modules)
}

/// An unsigned LEB128 `u32` and its length in bytes.
fn leb128_u32(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut value: u32 = 0;
    for (i, byte) in bytes.iter().take(5).enumerate() {
        value |= u32::from(byte & 0x7f).checked_shl(7 * i as u32)?;
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_core_modules_in_a_component() {
        let core = b"\0asm\x01\x00\x00\x00\x00\x02\x01x";
        let mut component = b"\0asm\x0d\x00\x01\x00".to_vec();
        // A custom section (id 0) of 3 bytes, then the core module section.
        component.extend([0, 3, 1, b'a', 0]);
        component.push(1);
        component.push(core.len() as u8);
        component.extend(core);
        let modules = core_modules(&component).unwrap();
        assert_eq!(modules, vec![&core[..]]);
        assert!(
            core_modules(core).is_none(),
            "a core module is not a component"
        );
        component.pop();
        assert!(core_modules(&component).is_none(), "cut short");
    }

    #[test]
    fn reads_leb128() {
        assert_eq!(leb128_u32(&[0x05]), Some((5, 1)));
        assert_eq!(leb128_u32(&[0xe5, 0x8e, 0x26]), Some((624_485, 3)));
        assert_eq!(leb128_u32(&[0x80]), None);
    }
}
