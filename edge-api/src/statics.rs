//! The portal's pages and the browser module, for every path outside `/api/`: files of
//! the web directory the platform mounts into the component at `/` — on Spin the
//! component's `files` in spin.toml (Spin docs, "Including files with components"), on
//! edge-host its `--web` directory, preopened read-only. Both go through WASI's
//! preopen, which resolves every path (symbolic links included) inside the mount.
//!
//! * `/` and directories serve their `index.html`; a directory asked for without the
//!   trailing slash is redirected to it (308), so relative links in the page resolve.
//! * The URL path is percent-decoded and split into segments; `..`, names starting
//!   with `.` (hidden files), backslashes and NUL bytes are a 404.
//! * Only `GET` and `HEAD` (405 otherwise, with `Allow`).

use crate::response::ApiResponse;
use crate::security::{API_CSP, PAGE_CSP, RECOVERY_PAGE, RECOVERY_PAGE_CSP};
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
/// under `root`. Touches the file system.
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
    if candidate.is_dir() {
        if !url_path.ends_with('/') {
            return Resolution::AddSlash(format!("{url_path}/"));
        }
        candidate.push("index.html");
    }
    if candidate.is_file() {
        Resolution::File(candidate)
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
        Some("wasm") => "application/wasm",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt" | "ftl") => "text/plain; charset=utf-8",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

const TEXT: &str = "text/plain; charset=utf-8";

/// The answer for `method url_path` from the web directory at `root`.
pub fn serve(root: &Path, method: &str, url_path: &str) -> ApiResponse {
    if method != "GET" && method != "HEAD" {
        return ApiResponse::file(405, TEXT, API_CSP, b"method not allowed\n".to_vec())
            .with_header("allow", "GET, HEAD".into());
    }
    match resolve(root, url_path) {
        Resolution::File(file) => match std::fs::read(&file) {
            Ok(contents) => {
                let csp = if file.file_name().is_some_and(|n| n == RECOVERY_PAGE) {
                    RECOVERY_PAGE_CSP
                } else {
                    PAGE_CSP
                };
                ApiResponse::file(200, content_type(&file), csp, contents)
            }
            Err(_) => not_found(),
        },
        Resolution::AddSlash(location) => {
            ApiResponse::file(308, TEXT, API_CSP, Vec::new()).with_header("location", location)
        }
        Resolution::NotFound => not_found(),
    }
}

fn not_found() -> ApiResponse {
    ApiResponse::file(404, TEXT, API_CSP, b"not found\n".to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    struct Site(PathBuf);

    impl Drop for Site {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn site() -> Site {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "edge-api-statics-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let web = dir.join("web");
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
        fs::write(dir.join("outside.txt"), "secret").unwrap();
        Site(dir)
    }

    impl Site {
        fn web(&self) -> PathBuf {
            self.0.join("web")
        }

        fn file(&self, rel: &str) -> Resolution {
            let mut path = self.web();
            path.extend(rel.split('/'));
            Resolution::File(path)
        }
    }

    #[test]
    fn serves_files_and_indexes() {
        let site = site();
        let root = site.web();
        assert_eq!(resolve(&root, "/"), site.file("index.html"));
        assert_eq!(resolve(&root, "/index.html"), site.file("index.html"));
        assert_eq!(resolve(&root, "/app.js"), site.file("app.js"));
        assert_eq!(resolve(&root, "/my%20file.css"), site.file("my file.css"));
        assert_eq!(resolve(&root, "/pkg/"), site.file("pkg/index.html"));
        assert_eq!(
            resolve(&root, "//pkg//client_bg.wasm"),
            site.file("pkg/client_bg.wasm")
        );
        assert_eq!(resolve(&root, "/./app.js"), site.file("app.js"));
        assert_eq!(resolve(&root, "/pkg"), Resolution::AddSlash("/pkg/".into()));
    }

    #[test]
    fn missing_things_are_not_found() {
        let site = site();
        let root = site.web();
        for path in ["/nope.html", "/empty/", "/pkg/nope", "/app.js/x", ""] {
            assert_eq!(resolve(&root, path), Resolution::NotFound, "{path}");
        }
        assert_eq!(
            resolve(&site.0.join("no-such-web"), "/"),
            Resolution::NotFound
        );
    }

    #[test]
    fn traversal_and_hidden_files_are_refused() {
        let site = site();
        let root = site.web();
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

    #[test]
    fn answers_carry_type_cache_and_allow() {
        let site = site();
        let root = site.web();
        let page = serve(&root, "GET", "/");
        assert_eq!(
            (page.status, page.body.as_slice()),
            (200, &b"<h1>home</h1>"[..])
        );
        let headers = page.headers();
        for expected in [
            ("content-type", "text/html; charset=utf-8"),
            ("cache-control", "no-cache"),
            ("x-content-type-options", "nosniff"),
        ] {
            assert!(
                headers.contains(&(expected.0.into(), expected.1.into())),
                "{expected:?} in {headers:?}"
            );
        }
        let wasm = serve(&root, "HEAD", "/pkg/client_bg.wasm");
        assert_eq!((wasm.status, wasm.content_type), (200, "application/wasm"));
        let redirect = serve(&root, "GET", "/pkg");
        assert_eq!(redirect.status, 308);
        assert!(
            redirect
                .headers()
                .contains(&("location".into(), "/pkg/".into()))
        );
        let post = serve(&root, "POST", "/");
        assert_eq!(post.status, 405);
        assert!(
            post.headers()
                .contains(&("allow".into(), "GET, HEAD".into()))
        );
        assert_eq!(serve(&root, "GET", "/.env").status, 404);
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
