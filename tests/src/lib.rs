//! Support for the end-to-end tests: start edge-host on a free port with a fresh data
//! directory ([`edge_host`], which `cargo xtask bench` starts it with too), talk JSON over HTTP with a cookie, compute codes with independent
//! implementations (`oathtool`, `pyotp`), and read the key-value SQLite file.
//!
//! Artifacts come from the environment `cargo xtask test` sets, or the default build
//! locations: `OTP_EDGE_HOST_BIN` (target/release/edge-host), `OTP_EDGE_COMPONENT`
//! (target/wasm32-wasip2/wasm-release/edge_api.wasm), `OTP_EDGE_WEB` (web/).

pub mod contract;
pub mod edge_host;
pub mod recovery;
pub mod spin;
pub mod standin;

pub use edge_host::{EdgeHost, Launch};

use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A development sealing key for the tests (bytes 0..32).
pub const SEAL_KEYS: &str = "t1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub(crate) fn artifact(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(default))
}

/// A free TCP port on 127.0.0.1, never the same one twice in this process (the
/// system may hand a just-released port out again, and tests start servers in
/// parallel).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// Something serving the portal's API: edge-host or a Spin instance.
pub trait Serves {
    /// A new client with no cookie.
    fn client(&self) -> Client;
}

/// An HTTP response: status and parsed JSON (Null when the body is empty).
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// JSON body.
    pub json: Value,
    /// `Set-Cookie` header, if any.
    pub set_cookie: Option<String>,
}

impl Reply {
    /// The `error` code of an error body.
    pub fn error(&self) -> &str {
        self.json["error"].as_str().unwrap_or("")
    }
}

/// A browser-like client that keeps the session cookie.
pub struct Client {
    base: String,
    agent: ureq::Agent,
    /// `otp_edge_session=…` when signed in.
    pub cookie: Option<String>,
    /// Headers sent with every request (what a browser or a proxy adds).
    pub headers: Vec<(String, String)>,
}

impl Client {
    /// A client of the server at `base` (`http://host:port`), with no cookie.
    pub fn new(base: &str) -> Client {
        Client {
            base: base.to_owned(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into(),
            cookie: None,
            headers: Vec::new(),
        }
    }

    /// Send `headers` with every request from now on.
    pub fn with_headers(mut self, headers: &[(&str, &str)]) -> Client {
        self.headers = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        self
    }

    /// A client with this one's session and `headers` sent with every request.
    pub fn clone_with_headers(&self, headers: &[(&str, &str)]) -> Client {
        Client {
            cookie: self.cookie.clone(),
            ..Client::new(&self.base)
        }
        .with_headers(headers)
    }

    /// The same session against another server (another instance sharing the store).
    pub fn on(&self, other: &dyn Serves) -> Client {
        Client {
            cookie: self.cookie.clone(),
            headers: self.headers.clone(),
            ..other.client()
        }
    }

    /// Send `method path` with a raw body and content type.
    pub fn raw(
        &mut self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Reply {
        self.request(method, path, content_type, body, None)
    }

    /// [`Client::raw`] with one more header.
    pub fn raw_with_header(
        &mut self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
        header: (&str, &str),
    ) -> Reply {
        self.request(method, path, Some(content_type), body, Some(header))
    }

    fn request(
        &mut self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
        header: Option<(&str, &str)>,
    ) -> Reply {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        let request = request.body(body.to_vec()).expect("valid request");
        let mut response = self.agent.run(request).expect("edge-host answers");
        let status = response.status().as_u16();
        let set_cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if let Some(c) = &set_cookie {
            let pair = c.split(';').next().unwrap_or_default().to_owned();
            self.cookie = (!pair.ends_with('=')).then_some(pair);
        }
        let mut text = String::new();
        let _ = response.body_mut().as_reader().read_to_string(&mut text);
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("{method} {path}: not JSON: {text}"))
        };
        Reply {
            status,
            json,
            set_cookie,
        }
    }

    /// Send JSON.
    pub fn send(&mut self, method: &str, path: &str, body: Value) -> Reply {
        let bytes = if body.is_null() {
            Vec::new()
        } else {
            serde_json::to_vec(&body).unwrap()
        };
        self.raw(method, path, Some("application/json"), &bytes)
    }
}

/// The status of one sign-in OTP step sent to `base` with `headers`; 0 when no answer
/// came (the server went away), for tests that kill servers under load.
pub fn try_otp_step(base: &str, headers: &[(&str, &str)], challenge: &str, code: &str) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = agent.post(format!("{base}/api/session/otp"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .send_json(serde_json::json!({"challenge": challenge, "code": code}))
        .map_or(0, |r| r.status().as_u16())
}

/// A plain HTTP answer: status, headers (names lower-case, by name) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// Status code.
    pub status: u16,
    /// Headers; a repeated one joined with `, `.
    pub headers: std::collections::BTreeMap<String, String>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// `method base+path` with no body, whatever the answer's type.
pub fn fetch(base: &str, method: &str, path: &str) -> Fetched {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .body(Vec::new())
        .expect("valid request");
    let mut response = agent.run(request).expect("the server answers");
    let mut headers = std::collections::BTreeMap::<String, String>::new();
    for (name, value) in response.headers() {
        let value = value.to_str().unwrap_or_default();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| *v = format!("{v}, {value}"))
            .or_insert_with(|| value.to_owned());
    }
    let mut body = Vec::new();
    let _ = std::io::Read::read_to_end(&mut response.body_mut().as_reader(), &mut body);
    Fetched {
        status: response.status().as_u16(),
        headers,
        body,
    }
}

/// In development delivery (no providers): a recovery request's e-mail, with its link,
/// is listed at `GET /_dev/outbox` within 10 s.
pub fn check_development_outbox(host: &dyn Serves) {
    let email = "outbox-reader@example.com";
    let (_, mut c) = register_active(host, email, "a long enough password", "+12025550143");
    let r = c.send("POST", "/api/recovery", serde_json::json!({"email": email}));
    assert_eq!(r.status, 202, "{:?}", r.json);
    wait_for_outbox(host, "a recovery e-mail", |value| {
        value["kind"] == "email"
            && value["to"] == email
            && value["body"]
                .as_str()
                .is_some_and(|b| b.contains("/recovery.html#"))
    });
}

/// The first message in the development outbox (`GET /_dev/outbox`) for which `found`
/// holds, waited for up to 10 s; panics naming `what` when none comes.
pub fn wait_for_outbox(host: &dyn Serves, what: &str, found: impl Fn(&Value) -> bool) -> Value {
    let mut c = host.client();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let listing = c.send("GET", "/_dev/outbox", Value::Null);
        assert_eq!(listing.status, 200);
        let hit = listing
            .json
            .as_array()
            .into_iter()
            .flatten()
            .find(|entry| found(&entry["value"]));
        if let Some(entry) = hit {
            return entry["value"].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {what} in the outbox: {}",
            listing.json
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Register `email` with `password` and `phone`, sign in, set up OTP and activate it
/// with the previous time step's code from `oathtool` (so the current step stays free
/// for the test). Returns the Base32 key and the client, still signed in.
pub fn register_active(
    host: &dyn Serves,
    email: &str,
    password: &str,
    phone: &str,
) -> (String, Client) {
    let (key, client, _) = register_active_with_codes(host, email, password, phone);
    (key, client)
}

/// [`register_active`], also returning the recovery codes the activation answered.
pub fn register_active_with_codes(
    host: &dyn Serves,
    email: &str,
    password: &str,
    phone: &str,
) -> (String, Client, Vec<String>) {
    let mut c = host.client();
    let body = serde_json::json!({"email": email, "password": password, "phone": phone});
    assert_eq!(c.send("POST", "/api/accounts", body).status, 201);
    let body = serde_json::json!({"email": email, "password": password});
    assert_eq!(
        c.send("POST", "/api/session", body).json["status"],
        "signed_in"
    );
    let setup = c.send("POST", "/api/otp/setup", serde_json::json!({}));
    let key = setup.json["shared_key"]
        .as_str()
        .expect("a shared key")
        .to_owned();
    wait_for_fresh_step(3);
    let code = oathtool_code(&key, unix_now() - 30);
    let r = c.send(
        "POST",
        "/api/otp/activate",
        serde_json::json!({"password": password, "code": code}),
    );
    assert_eq!(r.json["status"], "active", "{:?}", r.json);
    let codes = r.json["recovery_codes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    (key, c, codes)
}

/// Unix seconds now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// If fewer than `margin` seconds remain in the current 30 s time step, wait for the
/// next one, so a sequence of codes computed now stays inside the server's window.
pub fn wait_for_fresh_step(margin: u64) {
    let left = 30 - unix_now() % 30;
    if left < margin {
        std::thread::sleep(Duration::from_millis(left * 1000 + 200));
    }
}

/// The TOTP code from Debian's `oathtool` (oath-toolkit) for a Base32 key at `unix`.
pub fn oathtool_code(base32: &str, unix: u64) -> String {
    let out = Command::new("oathtool")
        .args(["--totp", "-b", "--now"])
        .arg(format!("@{unix}"))
        .arg(base32)
        .output()
        .expect("oathtool is installed (cargo xtask test installs it)");
    assert!(
        out.status.success(),
        "oathtool: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The TOTP code from Python's `pyotp` for a Base32 key at `unix`.
pub fn pyotp_code(base32: &str, unix: u64) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys, pyotp; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))",
        ])
        .arg(base32)
        .arg(unix.to_string())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "pyotp: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A connection to a copy of the key-value file in `data_dir` (edge-host's data
/// directory or Spin's state directory: the same file name and table) and of its
/// write-ahead log, as a crash would leave them: a running edge-host lets no other
/// process open its file, and reading a copy also shows that what was answered is in
/// the files themselves. The copy lives as long as the returned directory.
pub fn kv_copy(data_dir: &Path) -> (tempfile::TempDir, rusqlite::Connection) {
    let copy = tempfile::tempdir().expect("a temporary directory");
    for suffix in ["", "-wal"] {
        let name = format!("sqlite_key_value.db{suffix}");
        match std::fs::copy(data_dir.join(&name), copy.path().join(&name)) {
            Err(e) if !(suffix == "-wal" && e.kind() == std::io::ErrorKind::NotFound) => {
                panic!("copying {name} of {}: {e}", data_dir.display())
            }
            _ => {}
        }
    }
    let db = rusqlite::Connection::open(copy.path().join("sqlite_key_value.db"))
        .expect("the copied key-value file opens");
    (copy, db)
}

/// SQLite's `PRAGMA integrity_check` of the key-value file in `data_dir` ([`kv_copy`]):
/// `"ok"` when sound.
pub fn kv_integrity(data_dir: &Path) -> String {
    let (_copy, db) = kv_copy(data_dir);
    db.query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity_check runs")
}

/// All `(store, key, value)` rows of the key-value file in `data_dir` ([`kv_copy`]),
/// sorted.
pub fn kv_rows(data_dir: &Path) -> Vec<(String, String, Vec<u8>)> {
    let (_copy, db) = kv_copy(data_dir);
    let mut stmt = db
        .prepare("SELECT store, key, value FROM spin_key_value ORDER BY store, key")
        .expect("Spin's table layout");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
}

/// The raw bytes of every file of the key-value store (database, WAL, journal).
pub fn kv_file_bytes(data_dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(data_dir).expect("data dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("sqlite_key_value") {
            all.extend(std::fs::read(&path).expect("readable"));
        }
    }
    all
}

/// The client address a request is audited and throttled under is the connection's,
/// whatever `spin-client-addr` or `spin-full-url` the client sends (the platform's
/// value comes last; edge-api takes it): a sign-in with forged headers is audited as
/// 127.0.0.1, and 31 failed sign-ins that each forge a new address meet the
/// per-address limit of 30. Use a fresh `host`: it spends loopback's failures.
pub fn check_forged_platform_headers_are_ignored(host: &dyn Serves) {
    let password = "a long enough password";
    let mut c = host.client();
    let body = serde_json::json!({"email": "forger@example.com", "password": password});
    assert_eq!(c.send("POST", "/api/accounts", body.clone()).status, 201);
    let forged = c.raw_with_header(
        "POST",
        "/api/session",
        "application/json",
        body.to_string().as_bytes(),
        ("spin-client-addr", "198.51.100.7:1"),
    );
    assert_eq!(forged.json["status"], "signed_in", "{:?}", forged.json);
    // A forged URL does not make a cross-site origin the platform's own.
    let cross = c
        .clone_with_headers(&[
            ("origin", "https://evil.example"),
            ("spin-full-url", "https://evil.example/api/session"),
        ])
        .send("POST", "/api/session", body.clone());
    assert_eq!((cross.status, cross.error()), (403, "cross_origin"));
    let events = c.send("GET", "/api/account", Value::Null).json["recent_events"].clone();
    assert_eq!(events[0]["event"], "signed_in", "{events}");
    assert_eq!(events[0]["client"], "127.0.0.1", "{events}");
    let statuses: Vec<u16> = (0..31)
        .map(|i| {
            let body = serde_json::json!({"email": format!("nobody{i}@example.com"), "password": password});
            host.client()
                .raw_with_header(
                    "POST",
                    "/api/session",
                    "application/json",
                    body.to_string().as_bytes(),
                    ("spin-client-addr", &format!("198.51.100.{i}:1")),
                )
                .status
        })
        .collect();
    assert!(statuses[..30].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[30], 429, "{statuses:?}");
}

/// The password step of sign-in on `host`: the challenge for the code step.
pub fn challenge(host: &dyn Serves, email: &str, password: &str) -> String {
    let sign_in = serde_json::json!({"email": email, "password": password});
    let r = host.client().send("POST", "/api/session", sign_in);
    r.json["challenge"]
        .as_str()
        .unwrap_or_else(|| panic!("{:?}", r.json))
        .to_owned()
}

/// 50 parallel sign-in code steps with one code, each on its own challenge, spread over
/// `hosts` (instances sharing one store): exactly one is signed in, and every other
/// answer is 401 (used or evicted challenge), 409 (`busy`) or 429 — never a 5xx.
pub fn fifty_submissions_of_one_code(hosts: &[&dyn Serves], email: &str, password: &str) {
    let (key, _) = register_active(hosts[0], email, password, "+12025550143");
    let challenges: Vec<String> = (0..50)
        .map(|i| challenge(hosts[i % hosts.len()], email, password))
        .collect();
    wait_for_fresh_step(8);
    let code = oathtool_code(&key, unix_now());
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = challenges
            .iter()
            .enumerate()
            .map(|(i, ch)| {
                let mut c = hosts[i % hosts.len()].client();
                let body = serde_json::json!({"challenge": ch, "code": code});
                s.spawn(move || c.send("POST", "/api/session/otp", body).status)
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 401, 409, 429].contains(s)),
        "{statuses:?}"
    );
}

/// The public address of the portal in the TLS-proxy tests.
pub const PORTAL: &str = "https://portal.example";

/// Behind a TLS-terminating proxy (an ingress, a load balancer) the browser uses
/// `portal` (https), the proxy speaks plain HTTP to `host` with `Host` and
/// `X-Forwarded-Proto` set. `host` runs with `public_base_url` = `portal`: same-site
/// requests register, sign in and activate; a cross-site or plain-http `Origin` is
/// refused with 403 `cross_origin`.
pub fn check_through_tls_proxy(host: &dyn Serves, portal: &str) {
    let authority = portal.trim_start_matches("https://");
    let through_proxy = |origin: &str| {
        host.client().with_headers(&[
            ("host", authority),
            ("x-forwarded-proto", "https"),
            ("origin", origin),
        ])
    };
    let password = "a long enough password";
    let email = "behind-proxy@example.com";
    let mut c = through_proxy(portal);
    let body = serde_json::json!({"email": email, "password": password, "phone": "+12025550143"});
    let r = c.send("POST", "/api/accounts", body);
    assert_eq!(r.status, 201, "{:?}", r.json);
    let sign_in = serde_json::json!({"email": email, "password": password});
    let r = c.send("POST", "/api/session", sign_in.clone());
    assert_eq!(r.json["status"], "signed_in", "{:?}", r.json);
    let setup = c.send("POST", "/api/otp/setup", serde_json::json!({}));
    let key = setup.json["shared_key"].as_str().expect("a key").to_owned();
    wait_for_fresh_step(3);
    let code = oathtool_code(&key, unix_now());
    let r = c.send(
        "POST",
        "/api/otp/activate",
        serde_json::json!({"password": password, "code": code}),
    );
    assert_eq!(r.json["status"], "active", "{:?}", r.json);
    for other in [
        "https://evil.example",
        &portal.replace("https://", "http://"),
    ] {
        let r = through_proxy(other).send("POST", "/api/session", sign_in.clone());
        assert_eq!((r.status, r.error()), (403, "cross_origin"), "{other}");
    }
}
