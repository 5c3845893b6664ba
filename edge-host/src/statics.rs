//! Static files from the `--web` directory, for every path outside `/api/`.
//!
//! * `/` and directories serve their `index.html`; a directory asked for without the
//!   trailing slash is redirected to it (so relative links in the page resolve).
//! * The URL path is percent-decoded, then split into segments; `..`, names starting
//!   with `.` (hidden files), backslashes and NUL bytes are refused, and the final file
//!   must still lie inside the web directory once symbolic links are resolved. Anything
//!   else is a 404.
//! * Only `GET` and `HEAD`; other methods get 405.

use percent_encoding::percent_decode_str;
use std::path::{Path, PathBuf};

/// Where a URL path leads inside the web directory.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Serve this file.
    File(PathBuf),
    /// A directory asked for without its trailing slash: redirect to this path.
    AddSlash(String),
    /// Nothing to serve.
    NotFound,
}

/// Maps `url_path` (as received, still percent-encoded, without the query) to a file
/// under `root`. Touches the file system (blocking).
pub fn resolve(root: &Path, url_path: &str) -> Resolution {
    let Ok(decoded) = percent_decode_str(url_path).decode_utf8() else {
        return Resolution::NotFound;
    };
    if !decoded.starts_with('/') || decoded.contains(['\0', '\\']) {
        return Resolution::NotFound;
    }
    let mut candidate = root.to_path_buf();
    for segment in decoded.split('/').filter(|s| !s.is_empty() && *s != ".") {
        // Also refuses "..": it starts with a dot.
        if segment.starts_with('.') {
            return Resolution::NotFound;
        }
        candidate.push(segment);
    }
    let (Ok(root), Ok(real)) = (root.canonicalize(), candidate.canonicalize()) else {
        return Resolution::NotFound;
    };
    if !real.starts_with(&root) {
        return Resolution::NotFound;
    }
    if real.is_dir() {
        if !url_path.ends_with('/') {
            return Resolution::AddSlash(format!("{url_path}/"));
        }
        let index = real.join("index.html");
        return if index.is_file() {
            Resolution::File(index)
        } else {
            Resolution::NotFound
        };
    }
    if real.is_file() {
        Resolution::File(real)
    } else {
        Resolution::NotFound
    }
}

/// The `Content-Type` for a file, from its extension.
pub fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("webmanifest") => "application/manifest+json",
        Some("wasm") => "application/wasm",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::TempDir;
    use std::fs;

    fn site() -> TempDir {
        let dir = TempDir::new("web");
        let web = dir.path().join("web");
        fs::create_dir_all(web.join("pkg")).unwrap();
        fs::create_dir_all(web.join("empty")).unwrap();
        fs::create_dir_all(web.join(".git")).unwrap();
        fs::write(web.join("index.html"), "<h1>home</h1>").unwrap();
        fs::write(web.join("app.js"), "export {}").unwrap();
        fs::write(web.join("my file.css"), "body{}").unwrap();
        fs::write(web.join(".env"), "secret").unwrap();
        fs::write(web.join(".git").join("config"), "secret").unwrap();
        fs::write(web.join("pkg").join("index.html"), "pkg").unwrap();
        fs::write(web.join("pkg").join("client_bg.wasm"), b"\0asm").unwrap();
        fs::write(dir.path().join("outside.txt"), "secret").unwrap();
        dir
    }

    fn web(dir: &TempDir) -> PathBuf {
        dir.path().join("web")
    }

    fn file(dir: &TempDir, rel: &str) -> Resolution {
        Resolution::File(web(dir).canonicalize().unwrap().join(rel))
    }

    #[test]
    fn serves_files_and_indexes() {
        let dir = site();
        let root = web(&dir);
        assert_eq!(resolve(&root, "/"), file(&dir, "index.html"));
        assert_eq!(resolve(&root, "/index.html"), file(&dir, "index.html"));
        assert_eq!(resolve(&root, "/app.js"), file(&dir, "app.js"));
        assert_eq!(resolve(&root, "/my%20file.css"), file(&dir, "my file.css"));
        assert_eq!(resolve(&root, "/pkg/"), file(&dir, "pkg/index.html"));
        assert_eq!(
            resolve(&root, "//pkg//client_bg.wasm"),
            file(&dir, "pkg/client_bg.wasm")
        );
        assert_eq!(resolve(&root, "/./app.js"), file(&dir, "app.js"));
        assert_eq!(resolve(&root, "/pkg"), Resolution::AddSlash("/pkg/".into()));
    }

    #[test]
    fn missing_things_are_not_found() {
        let dir = site();
        let root = web(&dir);
        for path in ["/nope.html", "/empty/", "/pkg/nope", "/app.js/x", ""] {
            assert_eq!(resolve(&root, path), Resolution::NotFound, "{path}");
        }
        assert_eq!(
            resolve(&dir.path().join("no-such-web"), "/"),
            Resolution::NotFound
        );
    }

    #[test]
    fn traversal_and_hidden_files_are_refused() {
        let dir = site();
        let root = web(&dir);
        for path in [
            "/../outside.txt",
            "/pkg/../../outside.txt",
            "/%2e%2e/outside.txt",
            "/%2E%2E%2Foutside.txt",
            "/pkg/%2e%2e/%2e%2e/outside.txt",
            "/..%5coutside.txt",
            "/%5c..%5coutside.txt",
            "/.env",
            "/.git/config",
            "/%2egit/config",
            "/app.js%00.html",
            "/%ff",
        ] {
            assert_eq!(resolve(&root, path), Resolution::NotFound, "{path}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_leaving_the_web_directory_are_refused() {
        let dir = site();
        let root = web(&dir);
        std::os::unix::fs::symlink(dir.path().join("outside.txt"), root.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(root.join("app.js"), root.join("inside.js")).unwrap();
        assert_eq!(resolve(&root, "/link.txt"), Resolution::NotFound);
        assert_eq!(resolve(&root, "/inside.js"), file(&dir, "app.js"));
    }

    #[test]
    fn content_types() {
        let cases = [
            ("a.html", "text/html; charset=utf-8"),
            ("a.js", "text/javascript; charset=utf-8"),
            ("a.MJS", "text/javascript; charset=utf-8"),
            ("a.wasm", "application/wasm"),
            ("a.css", "text/css; charset=utf-8"),
            ("a.svg", "image/svg+xml"),
            ("a.json", "application/json"),
            ("a", "application/octet-stream"),
            ("a.bin", "application/octet-stream"),
        ];
        for (name, expected) in cases {
            assert_eq!(content_type(Path::new(name)), expected, "{name}");
        }
    }
}
