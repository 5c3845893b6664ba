//! Abuse resistance over real HTTP: atomic replay protection under concurrency, a
//! load of concurrent OTP sign-ins, limits with their numbers, no enumeration, and a
//! thousand malformed requests that change nothing.

use serde_json::{Value, json};
use std::collections::HashSet;
use tests::{
    Client, EdgeHost, check_forged_platform_headers_are_ignored, fifty_submissions_of_one_code,
    kv_rows, oathtool_code, register_active, unix_now, wait_for_fresh_step,
};

const PASSWORD: &str = "a long enough password";

/// Register `email`, set the phone, activate OTP; returns the Base32 key. The
/// activation uses the previous step's code so the current one stays free.
fn active_account(host: &EdgeHost, email: &str) -> String {
    signed_in_active(host, email).0
}

/// [`active_account`], also returning the client that stays signed in.
fn signed_in_active(host: &EdgeHost, email: &str) -> (String, Client) {
    register_active(host, email, PASSWORD, "+12025550143")
}

fn challenge(host: &EdgeHost, email: &str) -> String {
    tests::challenge(host, email, PASSWORD)
}

#[test]
fn fifty_concurrent_submissions_of_one_code_give_exactly_one_success() {
    let dir = tempfile::tempdir().unwrap();
    let host = EdgeHost::start(dir.path());
    fifty_submissions_of_one_code(&[&host], "race@example.com", PASSWORD);
}

#[test]
fn concurrent_otp_sign_ins_accept_each_account_and_step_once() {
    let dir = tempfile::tempdir().unwrap();
    let host = EdgeHost::start(dir.path());
    wait_for_fresh_step(20);
    let accounts: Vec<(String, String)> = (0..8)
        .map(|i| {
            let email = format!("load{i}@example.com");
            let key = active_account(&host, &email);
            (email, key)
        })
        .collect();
    let now = unix_now();
    // Each account gets the current step's code twice and the next step's once, all
    // at the same time.
    let results: Vec<(String, u16, u64)> = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for (email, key) in &accounts {
            for offset in [0u64, 0, 30] {
                let host = &host;
                handles.push(scope.spawn(move || {
                    let ch = challenge(host, email);
                    let mut c = host.client();
                    let code = oathtool_code(key, now + offset);
                    let status = c
                        .send(
                            "POST",
                            "/api/session/otp",
                            json!({"challenge": ch, "code": code}),
                        )
                        .status;
                    (email.clone(), status, (now + offset) / 30)
                }));
            }
        }
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        results.iter().all(|(_, s, _)| *s < 500),
        "no 5xx: {results:?}"
    );
    let accepted: Vec<(String, u64)> = results
        .iter()
        .filter(|(_, s, _)| *s == 200)
        .map(|(e, _, step)| (e.clone(), *step))
        .collect();
    let unique: HashSet<_> = accepted.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        accepted.len(),
        "a code was accepted twice: {accepted:?}"
    );
    // The next step's code is the highest anyone tries, so it always passes; the
    // current step's passes at most once, and not at all when the next came first
    // (a step at or below the last accepted one is refused).
    for (email, _) in &accounts {
        assert!(
            unique.contains(&(email.clone(), (now + 30) / 30)),
            "{email}: {results:?}"
        );
    }
}

#[test]
fn five_wrong_codes_answer_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let host = EdgeHost::start(dir.path());
    let email = "limit@example.com";
    let key = active_account(&host, email);
    let right = oathtool_code(&key, unix_now());
    let wrong = if right == "000000" {
        "000001"
    } else {
        "000000"
    };
    for _ in 0..5 {
        let ch = challenge(&host, email);
        let r = host.client().send(
            "POST",
            "/api/session/otp",
            json!({"challenge": ch, "code": wrong}),
        );
        assert_eq!(r.error(), "invalid_code");
    }
    let ch = challenge(&host, email);
    let r = host.client().send(
        "POST",
        "/api/session/otp",
        json!({"challenge": ch, "code": wrong}),
    );
    assert_eq!((r.status, r.error()), (429, "too_many_attempts"));
    let retry = r.json["retry_after"].as_u64().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
}

#[test]
fn answers_do_not_reveal_which_addresses_have_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let host = EdgeHost::start(dir.path());
    active_account(&host, "known@example.com");
    let mut c = host.client();
    let known = c.send(
        "POST",
        "/api/session",
        json!({"email": "known@example.com", "password": "wrong password!"}),
    );
    let unknown = c.send(
        "POST",
        "/api/session",
        json!({"email": "unknown@example.com", "password": "wrong password!"}),
    );
    assert_eq!((known.status, &known.json), (unknown.status, &unknown.json));
    let known = c.send(
        "POST",
        "/api/recovery",
        json!({"email": "known@example.com"}),
    );
    let unknown = c.send(
        "POST",
        "/api/recovery",
        json!({"email": "unknown@example.com"}),
    );
    assert_eq!((known.status, &known.json), (unknown.status, &unknown.json));
    let known = c.send(
        "POST",
        "/api/accounts",
        json!({"email": "known@example.com", "password": PASSWORD}),
    );
    let fresh = c.send(
        "POST",
        "/api/accounts",
        json!({"email": "fresh@example.com", "password": PASSWORD}),
    );
    assert_eq!(known.status, fresh.status);
    assert_eq!(
        known.json["id"].as_str().unwrap().len(),
        fresh.json["id"].as_str().unwrap().len()
    );
}

/// Request bodies of every malformed kind the issue lists, for every route.
fn malformed_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let control_email = "a\u{0007}b@example.com".to_owned();
    vec![
        ("application/json", vec![b'{'; 17 * 1024]),
        (
            "text/plain",
            br#"{"email":"a@example.com","password":"long enough pw"}"#.to_vec(),
        ),
        (
            "application/json",
            b"{\"email\":\"\xc3\x28\",\"password\":\"x\"}".to_vec(),
        ),
        ("application/json", deep.into_bytes()),
        (
            "application/json",
            br#"{"email":"a@example.com","password":"long enough pw","is_admin":true}"#.to_vec(),
        ),
        (
            "application/json",
            json!({"email": "a".repeat(15_000), "password": "p"})
                .to_string()
                .into_bytes(),
        ),
        (
            "application/json",
            json!({"email": control_email, "password": "long enough pw"})
                .to_string()
                .into_bytes(),
        ),
        (
            "application/json",
            json!({"phone": "+44\u{0000}7911123456"})
                .to_string()
                .into_bytes(),
        ),
        (
            "application/json",
            br#"{"email":1e400,"password":-99999999999999999999999}"#.to_vec(),
        ),
        (
            "application/json",
            br#"{"challenge":-1,"code":123456}"#.to_vec(),
        ),
        (
            "application/json",
            br#"{"code":"12 34 56 78 90 12 34","password":"x"}"#.to_vec(),
        ),
        ("application/json", br#"{"reason": null}"#.to_vec()),
        ("application/json", b"null".to_vec()),
        ("application/json", b"\"just a string\"".to_vec()),
        (
            "application/json",
            b"{\"email\":\"a@example.com\",\"email\":\"b@example.com\",\"password\":\"x\"}"
                .to_vec(),
        ),
    ]
}

const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/accounts"),
    ("POST", "/api/session"),
    ("POST", "/api/session/otp"),
    ("PUT", "/api/account/phone"),
    ("POST", "/api/otp/setup"),
    ("POST", "/api/otp/activate"),
    ("POST", "/api/otp/deactivate"),
    (
        "POST",
        "/api/recovery/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/sms",
    ),
    (
        "POST",
        "/api/recovery/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/confirm",
    ),
    ("POST", "/api/admin/accounts/a%40example.com/otp/reset"),
    ("POST", "/api/callbacks/sms"),
    ("GET", "/api/recovery/%00%ff"),
    ("PATCH", "/api/account"),
    ("GET", "/api/../../etc/passwd"),
];

fn account_rows(host: &EdgeHost) -> Vec<(String, String, Vec<u8>)> {
    kv_rows(&host.data_dir)
        .into_iter()
        .filter(|(_, k, _)| k.starts_with("account/") || k.starts_with("email/"))
        .collect()
}

#[test]
fn a_thousand_malformed_requests_get_only_4xx_and_change_no_account() {
    let dir = tempfile::tempdir().unwrap();
    let host = EdgeHost::start(dir.path());
    let (_, mut signed_in) = signed_in_active(&host, "victim@example.com");
    let before = account_rows(&host);
    let bodies = malformed_bodies();
    let mut sent = 0;
    let mut anonymous = host.client();
    'outer: for round in 0.. {
        for (method, path) in ROUTES {
            for (content_type, body) in &bodies {
                let client = if round % 2 == 0 {
                    &mut signed_in
                } else {
                    &mut anonymous
                };
                let reply = client.raw(method, path, Some(content_type), body);
                assert!(
                    (400..500).contains(&reply.status),
                    "{method} {path} {content_type} -> {} {:?}",
                    reply.status,
                    reply.json
                );
                assert!(
                    !reply.error().is_empty(),
                    "{method} {path}: a stable error code"
                );
                sent += 1;
                if sent == 1000 {
                    break 'outer;
                }
            }
        }
    }
    assert_eq!(
        account_rows(&host),
        before,
        "malformed requests changed an account record"
    );
    let account = signed_in.send("GET", "/api/account", Value::Null);
    assert_eq!(account.json["otp"]["status"], "active", "{account:?}");
}

#[test]
fn platform_headers_a_client_forges_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    check_forged_platform_headers_are_ignored(&EdgeHost::start(dir.path()));
}
