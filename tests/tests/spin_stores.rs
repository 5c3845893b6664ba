//! The product on real Spin (`../shared/bin/spin`), `spin up` of the repository's own
//! spin.toml: Spin's SQLite store on one instance, and one `redis-server` shared by two
//! instances (where Spin's swap answers `cas-failed` after every swap). Each runs the
//! core flow, the recovery flow through the stand-in providers, bad input, the races of
//! `otp_core::ports::Store` (a time step consumed once, an address claimed once,
//! failures from any instance counted, an answered success surviving the instance that
//! gave it) and otp-core's store conformance suite through the component. A third test
//! compares pages and API headers with edge-host's and reads the development outbox.
//!
//! Without a Spin binary each test prints `spin suite: skipped (no spin binary)`, which
//! `cargo xtask test` counts as skipped.

use serde_json::json;
use std::path::PathBuf;
use tests::contract::{ADMIN_TOKEN, check_store_contract};
use tests::recovery::check_recovery_flow;
use tests::spin::{Options, Redis, SpinApp, spin_binary};
use tests::standin::StandIn;
use tests::{
    Client, EdgeHost, PORTAL, Serves, check_forged_platform_headers_are_ignored,
    check_through_tls_proxy, fetch, fifty_submissions_of_one_code, kv_rows, oathtool_code,
    pyotp_code, register_active, unix_now,
};

const PASSWORD: &str = "a long enough password";
const PHONE: &str = "+12025550143";

fn spin() -> Option<PathBuf> {
    let spin = spin_binary();
    if spin.is_none() {
        println!("spin suite: skipped (no spin binary)");
    }
    spin
}

fn challenge(host: &dyn Serves, email: &str) -> String {
    tests::challenge(host, email, PASSWORD)
}

fn otp_step(c: &mut Client, challenge: &str, code: &str) -> u16 {
    c.send(
        "POST",
        "/api/session/otp",
        json!({"challenge": challenge, "code": code}),
    )
    .status
}

/// Register → phone → setup → activate (oathtool) → sign out → sign in with a pyotp
/// code → the same code refused → deactivate, each request on the next of `hosts`.
fn core_flow(hosts: &[&dyn Serves], email: &str) {
    let next = |i: usize| hosts[i % hosts.len()];
    let mut c = next(0).client();
    let r = c.send(
        "POST",
        "/api/accounts",
        json!({"email": email, "password": PASSWORD}),
    );
    assert_eq!(r.status, 201, "{:?}", r.json);
    let r = c.send(
        "POST",
        "/api/session",
        json!({"email": email, "password": PASSWORD}),
    );
    assert_eq!(r.json["status"], "signed_in");
    let mut c = c.on(next(1));
    assert_eq!(
        c.send("PUT", "/api/account/phone", json!({"phone": PHONE}))
            .status,
        200
    );
    let mut c = c.on(next(2));
    let setup = c.send("POST", "/api/otp/setup", json!({}));
    let key = setup.json["shared_key"].as_str().expect("a key").to_owned();
    tests::wait_for_fresh_step(4);
    let mut c = c.on(next(3));
    let r = c.send(
        "POST",
        "/api/otp/activate",
        json!({"password": PASSWORD, "code": oathtool_code(&key, unix_now() - 30)}),
    );
    assert_eq!(r.json["status"], "active", "{:?}", r.json);
    assert_eq!(c.send("DELETE", "/api/session", json!(null)).status, 204);
    let code = pyotp_code(&key, unix_now());
    let mut c = next(4).client();
    assert_eq!(otp_step(&mut c, &challenge(next(5), email), &code), 200);
    let mut other = next(6).client();
    assert_eq!(
        otp_step(&mut other, &challenge(next(6), email), &code),
        401,
        "the same code again is a replay"
    );
    let mut c = c.on(next(7));
    let r = c.send("GET", "/api/account", json!(null));
    assert_eq!(r.json["otp"]["status"], "active");
    tests::wait_for_fresh_step(4);
    let r = c.send(
        "POST",
        "/api/otp/deactivate",
        json!({"password": PASSWORD, "code": oathtool_code(&key, unix_now() + 30)}),
    );
    assert_eq!(r.json["status"], "disabled", "{:?}", r.json);
}

/// Ten registrations, each signed in by the very next request (on the next of
/// `hosts`): what a request wrote is there for the next one (Spin 3.x's write-behind
/// `set` would lose this race now and then).
fn sign_in_right_after_registration(hosts: &[&dyn Serves], tag: &str) {
    for i in 0..10 {
        let body = json!({"email": format!("{tag}-{i}@example.com"), "password": PASSWORD});
        let r = hosts[i % hosts.len()]
            .client()
            .send("POST", "/api/accounts", body.clone());
        assert_eq!(r.status, 201, "{:?}", r.json);
        let r = hosts[(i + 1) % hosts.len()]
            .client()
            .send("POST", "/api/session", body);
        assert_eq!(
            r.json["status"], "signed_in",
            "registration {i}: {:?}",
            r.json
        );
    }
}

/// 50 parallel registrations of one address, spread over `hosts`: all answered 201.
fn register_fifty(hosts: &[&dyn Serves], email: &str) {
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let mut c = hosts[i % hosts.len()].client();
                s.spawn(move || {
                    c.send(
                        "POST",
                        "/api/accounts",
                        json!({"email": email, "password": format!("{PASSWORD} {i}")}),
                    )
                    .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
}

/// Stand-in providers and the admin token (for the conformance suite).
fn with_providers(standin: &StandIn, redis: Option<&Redis>) -> Options {
    let mut variables = standin.variables();
    variables.push(("admin_token".into(), ADMIN_TOKEN.into()));
    Options {
        redis_port: redis.map(|r| r.port),
        variables,
        ..Options::default()
    }
}

/// Accounts in `values` (the store's values) holding `email`.
fn accounts_of(values: impl Iterator<Item = (String, Vec<u8>)>, email: &str) -> usize {
    values
        .filter(|(key, value)| {
            key.starts_with("account/") && String::from_utf8_lossy(value).contains(email)
        })
        .count()
}

#[test]
fn on_spin_sqlite_store_one_instance() {
    let Some(spin) = spin() else { return };
    let dir = tempfile::tempdir().unwrap();
    let standin = StandIn::start();
    let app = SpinApp::start(&spin, dir.path(), &with_providers(&standin, None));
    // First: it counts the stand-in's e-mails from zero.
    check_recovery_flow(&[&app], &standin, "sqlite-recovery@example.com");
    core_flow(&[&app], "sqlite-flow@example.com");
    sign_in_right_after_registration(&[&app], "sqlite-next");
    // Bad input is a 4xx and changes nothing.
    let mut c = app.client();
    let r = c.raw(
        "POST",
        "/api/session",
        Some("application/json"),
        b"{not json",
    );
    assert_eq!((r.status, r.error()), (400, "malformed_json"));
    fifty_submissions_of_one_code(&[&app], "sqlite-race@example.com", PASSWORD);
    register_fifty(&[&app], "sqlite-claim@example.com");
    let rows = kv_rows(&app.state_dir).into_iter().map(|(_, k, v)| (k, v));
    assert_eq!(
        accounts_of(rows, "sqlite-claim@example.com"),
        1,
        "one account for 50 registrations of one address"
    );
    check_store_contract(&[&app], "sqlite");
}

#[test]
fn on_spin_redis_store_two_instances() {
    let Some(spin) = spin() else { return };
    let dir = tempfile::tempdir().unwrap();
    let redis = Redis::start();
    let standin = StandIn::start();
    let options = with_providers(&standin, Some(&redis));
    let a = SpinApp::start(&spin, &dir.path().join("a"), &options);
    let b = SpinApp::start(&spin, &dir.path().join("b"), &options);
    check_recovery_flow(&[&a, &b], &standin, "redis-recovery@example.com");
    core_flow(&[&a, &b], "redis-flow@example.com");
    sign_in_right_after_registration(&[&a, &b], "redis-next");
    fifty_submissions_of_one_code(&[&a, &b], "redis-race@example.com", PASSWORD);
    register_fifty(&[&a, &b], "redis-claim@example.com");
    let values = redis.keys("account/*").into_iter().map(|key| {
        let value = redis.get(&key);
        (key, value)
    });
    assert_eq!(
        accounts_of(values, "redis-claim@example.com"),
        1,
        "one account for 50 registrations of one address"
    );
    check_store_contract(&[&a, &b], "redis");

    // Wrong codes sent to both instances all count: after five, codes are refused.
    let email = "redis-lock@example.com";
    let (key, _) = register_active(&a, email, PASSWORD, PHONE);
    let right = oathtool_code(&key, unix_now());
    let wrong = format!(
        "{:06}",
        (right.parse::<u32>().unwrap() + 500_000) % 1_000_000
    );
    for i in 0..5 {
        let host: &dyn Serves = if i % 2 == 0 { &a } else { &b };
        let mut c = host.client();
        assert_eq!(
            otp_step(&mut c, &challenge(host, email), &wrong),
            401,
            "wrong code {i}"
        );
    }
    let mut c = b.client();
    assert_eq!(
        otp_step(&mut c, &challenge(&b, email), &right),
        429,
        "the lock started after five wrong codes across both instances"
    );

    killed_mid_load_loses_nothing_answered(a, &b);
}

/// Sign-ins of twelve accounts go to `a` in parallel while it is killed (SIGKILL):
/// every code `a` answered 200 is refused when replayed on `b`.
fn killed_mid_load_loses_nothing_answered(a: SpinApp, b: &SpinApp) {
    let accounts: Vec<(String, String)> = (0..12)
        .map(|i| {
            let email = format!("redis-kill-{i}@example.com");
            let key = register_active(b, &email, PASSWORD, PHONE).0;
            (email, key)
        })
        .collect();
    tests::wait_for_fresh_step(8);
    let challenges: Vec<String> = accounts.iter().map(|(e, _)| challenge(&a, e)).collect();
    let answered: Vec<(usize, String, u16)> = std::thread::scope(|s| {
        let handles: Vec<_> = accounts
            .iter()
            .zip(&challenges)
            .enumerate()
            .map(|(i, ((_, key), challenge))| {
                let code = oathtool_code(key, unix_now());
                let base = a.base.clone();
                s.spawn(move || {
                    std::thread::sleep(std::time::Duration::from_millis(20 * i as u64));
                    let status = tests::try_otp_step(&base, &[], challenge, &code);
                    (i, code, status)
                })
            })
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(120));
        a.kill();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, code, status) in answered {
        if status == 200 {
            let mut c = b.client();
            assert_eq!(
                otp_step(&mut c, &challenge(b, &accounts[i].0), &code),
                401,
                "a code answered 200 before the kill, replayed on the other instance"
            );
        }
    }
}

/// Pages, the browser module and the API answer with the same status, headers and
/// body on Spin as on edge-host; in development the outbox is read at /_dev/outbox.
#[test]
fn on_spin_pages_and_api_answer_as_on_edge_host() {
    let Some(spin) = spin() else { return };
    let dir = tempfile::tempdir().unwrap();
    let app = SpinApp::sqlite(&spin, &dir.path().join("spin"));
    let host = EdgeHost::start(&dir.path().join("edge-host"));
    let comparable = |f: tests::Fetched| {
        let mut f = f;
        f.headers.retain(|name, _| {
            !matches!(
                name.as_str(),
                "date" | "content-length" | "transfer-encoding"
            )
        });
        f
    };
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/account.html"),
        ("GET", "/recovery.html"),
        ("GET", "/style.css"),
        ("GET", "/pkg/wasm_client.js"),
        ("GET", "/pkg/wasm_client_bg.wasm"),
        ("HEAD", "/recovery.html"),
        ("GET", "/pkg"),
        ("GET", "/nope.html"),
        ("GET", "/../Cargo.toml"),
        ("POST", "/index.html"),
        ("GET", "/api/nothing-here"),
        ("GET", "/_dev/outbox"),
    ] {
        let on_spin = comparable(fetch(&app.base, method, path));
        let on_host = comparable(fetch(&host.base, method, path));
        assert_eq!(on_spin, on_host, "{method} {path}");
        assert!(on_spin.status < 500, "{method} {path}: {}", on_spin.status);
    }
    assert_eq!(fetch(&app.base, "GET", "/").status, 200);
    let time = fetch(&app.base, "GET", "/api/time");
    assert_eq!(
        (
            time.status,
            time.headers.get("cache-control").map(String::as_str)
        ),
        (200, Some("no-store"))
    );
    tests::check_development_outbox(&app);
    tests::check_development_outbox(&host);
    check_forged_platform_headers_are_ignored(&app);
}

#[test]
fn on_spin_behind_a_tls_terminating_proxy() {
    let Some(spin) = spin() else { return };
    let standin = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let mut variables = standin.variables();
    variables.push(("public_base_url".into(), PORTAL.into()));
    let options = Options {
        variables,
        ..Options::default()
    };
    check_through_tls_proxy(&SpinApp::start(&spin, dir.path(), &options), PORTAL);
}
