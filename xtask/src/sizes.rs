//! Raw and gzip sizes of the two .wasm artifacts.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// The size of one artifact as served.
#[derive(Debug, Clone)]
pub struct ArtifactSize {
    /// What the artifact is.
    pub name: &'static str,
    /// Where it is, relative to the workspace root where possible.
    pub path: PathBuf,
    /// Bytes on disk.
    pub raw: u64,
    /// Bytes after `gzip -9`.
    pub gzip: u64,
}

/// The artifacts whose size matters, in display order.
pub fn artifacts(ws: &Workspace) -> [(&'static str, PathBuf); 2] {
    [
        ("edge-api component", ws.component_wasm()),
        ("browser module", ws.web_pkg_wasm()),
    ]
}

/// Measures the artifacts that exist (a partial build leaves some out).
pub fn measure_all(ws: &Workspace) -> Result<Vec<ArtifactSize>> {
    artifacts(ws)
        .into_iter()
        .filter(|(_, path)| path.is_file())
        .map(|(name, path)| measure(ws, name, &path))
        .collect()
}

fn measure(ws: &Workspace, name: &'static str, path: &Path) -> Result<ArtifactSize> {
    let bytes = fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    Ok(ArtifactSize {
        name,
        path: path.strip_prefix(&ws.root).unwrap_or(path).to_path_buf(),
        raw: bytes.len() as u64,
        gzip: gzip_len(&bytes),
    })
}

/// The length of `bytes` gzip-compressed at the best level.
pub fn gzip_len(bytes: &[u8]) -> u64 {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    // Writing into a Vec cannot fail.
    let compressed = encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .unwrap_or_default();
    compressed.len() as u64
}

/// `123456` → `"120.6 KiB"`.
pub fn human(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// Prints a small table of `sizes` on stdout.
pub fn print(sizes: &[ArtifactSize]) {
    if sizes.is_empty() {
        println!("no .wasm artifacts built yet");
        return;
    }
    println!("{:<20} {:>12} {:>12}  path", "artifact", "raw", "gzip");
    for s in sizes {
        println!(
            "{:<20} {:>12} {:>12}  {}",
            s.name,
            human(s.raw),
            human(s.gzip),
            s.path.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_shrinks_repetitive_input() {
        let data = vec![b'a'; 10_000];
        let len = gzip_len(&data);
        assert!(len > 0 && len < 200, "{len}");
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human(512), "512 B");
        assert_eq!(human(114 * 1024), "114.0 KiB");
        assert_eq!(human(3 * 1024 * 1024), "3.00 MiB");
    }
}
