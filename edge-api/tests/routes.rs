//! The routes natively, over otp-core's in-memory store: every kind of bad input is a
//! 4xx JSON error with a stable code and changes nothing.

use edge_api::providers::{BoxFuture, HttpCall, HttpReply, ProviderError, Transport};
use edge_api::request::ApiRequest;
use edge_api::response::ApiResponse;
use edge_api::routes::{Platform, handle};
use otp_core::memory::{FixedClock, MemoryOutbox, MemoryStore};
use otp_core::ports::OsRng;
use serde_json::Value;

const SEAL_KEYS: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// No network in these tests: every outbound call fails.
struct Offline;

impl Transport for Offline {
    fn send(&self, _: HttpCall) -> BoxFuture<'_, Result<HttpReply, ProviderError>> {
        Box::pin(async { Err(ProviderError::Unreachable("offline".into())) })
    }
}

type Variables = Box<dyn Fn(&str) -> Option<String>>;

struct Harness {
    store: MemoryStore,
    clock: FixedClock,
    outbox: MemoryOutbox,
    variables: Variables,
}

fn variables(name: &str) -> Option<String> {
    (name == "seal_keys").then(|| SEAL_KEYS.to_owned())
}

impl Harness {
    fn new() -> Harness {
        Self::with_variables(variables)
    }

    fn with_variables(variables: impl Fn(&str) -> Option<String> + 'static) -> Harness {
        Harness {
            store: MemoryStore::default(),
            clock: FixedClock::at(1_700_000_000_000),
            outbox: MemoryOutbox::default(),
            variables: Box::new(variables),
        }
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> ApiResponse {
        let request = ApiRequest {
            method: method.into(),
            path: path.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.map(<[u8]>::to_vec),
        };
        let platform = Platform {
            store: &self.store,
            clock: &self.clock,
            rng: &OsRng,
            outbox: &self.outbox,
            transport: &Offline,
            variables: &self.variables,
            web: std::path::Path::new("/nonexistent-web"),
        };
        futures::executor::block_on(handle(&request, &platform))
    }

    fn json(&self, method: &str, path: &str, body: &str) -> ApiResponse {
        self.send(
            method,
            path,
            &[("content-type", "application/json")],
            Some(body.as_bytes()),
        )
    }
}

fn error_code(response: &ApiResponse) -> String {
    let body: Value = serde_json::from_slice(&response.body).expect("error bodies are JSON");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    body["error"].as_str().unwrap().to_owned()
}

#[test]
fn time_answers_unix_ms() {
    let h = Harness::new();
    let r = h.send("GET", "/api/time", &[], Some(b""));
    assert_eq!(r.status, 200);
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["unix_ms"], 1_700_000_000_000u64);
}

#[test]
fn bad_input_is_a_4xx_with_a_stable_code_and_changes_nothing() {
    let h = Harness::new();
    assert_eq!(
        h.json(
            "POST",
            "/api/accounts",
            r#"{"email":"a@example.com","password":"long enough pw"}"#
        )
        .status,
        201
    );
    let before = h.store.dump();
    let cases: Vec<(ApiResponse, u16, &str)> =
        vec![
        (
            h.json("POST", "/api/accounts", "{not json"),
            400,
            "malformed_json",
        ),
        (
            h.json("POST", "/api/accounts", r#"{"email":5,"password":"x"}"#),
            400,
            "invalid_field",
        ),
        // Bodies that are JSON but not objects (serde would fill a struct from an array).
        (
            h.json(
                "POST",
                "/api/session",
                r#"["a@example.com","long enough pw"]"#,
            ),
            400,
            "invalid_field",
        ),
        (
            h.json(
                "POST",
                "/api/accounts",
                r#" ["b@example.com","long enough pw"]"#,
            ),
            400,
            "invalid_field",
        ),
        (h.json("POST", "/api/session", "\"text\""), 400, "invalid_field"),
        (h.json("POST", "/api/session", "null"), 400, "invalid_field"),
        (h.json("POST", "/api/session", "42"), 400, "invalid_field"),
        (h.json("POST", "/api/session", "[oops"), 400, "malformed_json"),
        (
            h.json(
                "POST",
                "/api/session",
                r#"{"email":"a@example.com","email":"b@example.com","password":"long enough pw"}"#,
            ),
            400,
            "invalid_field",
        ),
        (
            h.json("POST", "/api/accounts", r#"{"email":"b@example.com"}"#),
            400,
            "invalid_field",
        ),
        (
            h.json(
                "POST",
                "/api/accounts",
                r#"{"email":"b@example.com","password":"long enough pw","admin":true}"#,
            ),
            400,
            "invalid_field",
        ),
        (
            h.send(
                "POST",
                "/api/accounts",
                &[("content-type", "application/json")],
                None,
            ),
            413,
            "body_too_large",
        ),
        (
            h.send(
                "POST",
                "/api/session",
                &[("content-type", "text/plain")],
                Some(b"{}"),
            ),
            415,
            "unsupported_media_type",
        ),
        (
            h.send(
                "POST",
                "/api/accounts",
                &[("content-type", "application/json")],
                Some(b"{\"email\":\"\xff\xfe\",\"password\":\"x\"}"),
            ),
            400,
            "malformed_json",
        ),
        // Deep nesting is refused at the first bracket (a list is not an object).
        (
            // Not JSON (unterminated, and deeper than the parser's limit).
            h.json("POST", "/api/accounts", &"[".repeat(10_000)),
            400,
            "malformed_json",
        ),
        (
            h.json("POST", "/api/accounts", &"{\"email\":".repeat(10_000)),
            400,
            "invalid_field",
        ),
        (
            h.send("GET", "/api/account", &[], Some(b"")),
            401,
            "not_signed_in",
        ),
        (
            h.send(
                "GET",
                "/api/account",
                &[("cookie", "otp_edge_session=forged")],
                Some(b""),
            ),
            401,
            "not_signed_in",
        ),
        (h.json("POST", "/api/otp/setup", "{}"), 401, "not_signed_in"),
        (
            h.send("GET", "/api/nothing-here", &[], Some(b"")),
            404,
            "not_found",
        ),
        (
            h.send("PATCH", "/api/time", &[], Some(b"")),
            405,
            "method_not_allowed",
        ),
        (
            h.send(
                "POST",
                "/api/session",
                &[
                    ("content-type", "application/json"),
                    ("origin", "https://evil.example"),
                    ("spin-full-url", "http://127.0.0.1:3000/api/session"),
                ],
                Some(br#"{"email":"a@example.com","password":"long enough pw"}"#),
            ),
            403,
            "cross_origin",
        ),
        (
            h.json(
                "POST",
                "/api/accounts",
                &format!(
                    r#"{{"email":"{}@example.com","password":"long enough pw"}}"#,
                    "a".repeat(10_000)
                ),
            ),
            400,
            "invalid_email",
        ),
        (
            h.json(
                "POST",
                "/api/accounts",
                "{\"email\":\"a\\u0000b@example.com\",\"password\":\"long enough pw\"}",
            ),
            400,
            "invalid_email",
        ),
        (
            h.json(
                "POST",
                "/api/accounts",
                &format!(
                    r#"{{"email":"c@example.com","password":"{}"}}"#,
                    "p".repeat(5000)
                ),
            ),
            400,
            "password_too_long",
        ),
    ];
    for (i, (response, status, code)) in cases.iter().enumerate() {
        assert_eq!(
            response.status,
            *status,
            "case {i}: {}",
            String::from_utf8_lossy(&response.body)
        );
        assert_eq!(error_code(response), *code, "case {i}");
    }
    assert_eq!(h.store.dump(), before, "bad input changed the store");
}

#[test]
fn a_missing_seal_key_is_a_server_fault_not_a_client_error() {
    let h = Harness::new();
    let request = ApiRequest {
        method: "POST".into(),
        path: "/api/accounts".into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: Some(br#"{"email":"a@example.com","password":"long enough pw"}"#.to_vec()),
    };
    let platform = Platform {
        store: &h.store,
        clock: &h.clock,
        rng: &OsRng,
        outbox: &h.outbox,
        transport: &Offline,
        variables: &|_| None,
        web: std::path::Path::new("/nonexistent-web"),
    };
    let response = futures::executor::block_on(handle(&request, &platform));
    assert_eq!(response.status, 500);
    assert_eq!(error_code(&response), "internal_error");
}

#[test]
fn sign_in_sets_a_strict_http_only_cookie_that_authenticates() {
    let h = Harness::new();
    h.json(
        "POST",
        "/api/accounts",
        r#"{"email":"a@example.com","password":"long enough pw"}"#,
    );
    let r = h.json(
        "POST",
        "/api/session",
        r#"{"email":"A@example.com","password":"long enough pw"}"#,
    );
    assert_eq!(r.status, 200);
    let cookie = r
        .headers()
        .into_iter()
        .find(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v)
        .unwrap();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let pair = cookie.split(';').next().unwrap().to_owned();
    let account = h.send("GET", "/api/account", &[("cookie", &pair)], Some(b""));
    assert_eq!(account.status, 200);
    let body: Value = serde_json::from_slice(&account.body).unwrap();
    assert_eq!(body["email"], "a@example.com");
    assert_eq!(body["otp"]["status"], "disabled");
    // The stored session key is the token's hash, not the token.
    let token = pair.split('=').nth(1).unwrap();
    assert!(
        h.store
            .dump()
            .iter()
            .all(|(k, v)| !k.contains(token) && !String::from_utf8_lossy(v).contains(token))
    );
    let out = h.send("DELETE", "/api/session", &[("cookie", &pair)], Some(b""));
    assert_eq!(out.status, 204);
    assert_eq!(
        h.send("GET", "/api/account", &[("cookie", &pair)], Some(b""))
            .status,
        401
    );
}

/// A deployment behind a TLS-terminating proxy: the browser is on
/// `https://portal.example`, the platform received plain `http`.
fn behind_tls_proxy() -> Harness {
    Harness::with_variables(|name| {
        let value = match name {
            "seal_keys" => SEAL_KEYS,
            "public_base_url" => "https://portal.example",
            "email_provider_url" => "https://api.postmarkapp.example/email",
            "sms_provider_url" => "https://api.twilio.example/sms",
            "captcha_verify_url" => "https://hcaptcha.example/siteverify",
            _ => return None,
        };
        Some(value.to_owned())
    })
}

#[test]
fn state_changes_are_accepted_from_exactly_the_origin_of_public_base_url() {
    let h = behind_tls_proxy();
    let register = |origin: &str, email: &str| {
        h.send(
            "POST",
            "/api/accounts",
            &[
                ("content-type", "application/json"),
                ("host", "portal.example"),
                ("x-forwarded-proto", "https"),
                ("origin", origin),
                ("spin-full-url", "http://portal.example/api/accounts"),
                ("spin-client-addr", "10.0.0.5:40000"),
            ],
            Some(format!(r#"{{"email":"{email}","password":"long enough pw"}}"#).as_bytes()),
        )
        .status
    };
    assert_eq!(register("https://portal.example", "same@example.com"), 201);
    for other in [
        "http://portal.example",
        "https://portal.example:8443",
        "https://evil.example",
        "null",
    ] {
        assert_eq!(register(other, "other@example.com"), 403, "{other}");
    }
}

#[test]
fn a_client_cannot_choose_the_address_it_is_throttled_under() {
    let h = Harness::new();
    // The client sends its own `spin-client-addr` first; the platform's comes last.
    let statuses: Vec<u16> = (0..31)
        .map(|i| {
            let forged = format!("198.51.100.{i}:1");
            h.send(
                "POST",
                "/api/session",
                &[
                    ("content-type", "application/json"),
                    ("spin-client-addr", &forged),
                    ("spin-client-addr", "203.0.113.9:50000"),
                ],
                Some(
                    format!(r#"{{"email":"nobody{i}@example.com","password":"long enough pw"}}"#)
                        .as_bytes(),
                ),
            )
            .status
        })
        .collect();
    assert!(statuses[..30].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(
        statuses[30], 429,
        "the real address used up its 30 failures"
    );
}

#[test]
fn the_development_outbox_is_listed_only_in_development_delivery() {
    let dev = Harness::new();
    let r = dev.send("GET", "/_dev/outbox", &[], None);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"[]"[..]));
    assert_eq!(dev.send("POST", "/_dev/outbox", &[], None).status, 405);
    let production = behind_tls_proxy();
    let r = production.send("GET", "/_dev/outbox", &[], None);
    assert_eq!((r.status, error_code(&r)), (404, "not_found".to_owned()));
}

#[test]
fn paths_outside_the_api_are_files_of_the_web_directory() {
    let h = Harness::new();
    let r = h.send("GET", "/index.html", &[], None);
    assert_eq!(
        (r.status, r.content_type),
        (404, "text/plain; charset=utf-8")
    );
    assert_eq!(h.send("GET", "/api", &[], None).status, 404);
    assert_eq!(error_code(&h.send("GET", "/api", &[], None)), "not_found");
}

#[test]
fn every_answer_carries_the_browser_protections_and_https_adds_hsts() {
    let header = |r: &ApiResponse, name: &str| {
        r.headers()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    };
    for h in [Harness::new(), behind_tls_proxy()] {
        let https = h.send("GET", "/api/time", &[], None).https;
        for path in ["/api/time", "/api/nothing-here", "/index.html"] {
            let r = h.send("GET", path, &[], None);
            assert_eq!(
                header(&r, "x-frame-options").as_deref(),
                Some("DENY"),
                "{path}"
            );
            assert_eq!(
                header(&r, "referrer-policy").as_deref(),
                Some("no-referrer")
            );
            assert_eq!(
                header(&r, "cross-origin-opener-policy").as_deref(),
                Some("same-origin")
            );
            let csp = header(&r, "content-security-policy").unwrap();
            assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
            assert!(csp.starts_with("default-src 'none'"), "{path}: {csp}");
            assert_eq!(
                header(&r, "strict-transport-security").is_some(),
                https,
                "{path}"
            );
        }
    }
    assert!(!Harness::new().send("GET", "/api/time", &[], None).https);
    assert!(behind_tls_proxy().send("GET", "/api/time", &[], None).https);
}
