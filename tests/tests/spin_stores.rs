//! The flows' key-value guarantees on the stores Spin really has, through the release
//! component on real Spin (`../shared/bin/spin`): Spin's SQLite store on one instance,
//! and one `redis-server` shared by two instances (where Spin's swap answers
//! `cas-failed` after every swap). What each checks is what `otp_core::ports::Store`
//! says the flows rely on: a time step is consumed once under a race, an address is
//! claimed once, failures from any instance are counted, and an answered success
//! survives the instance that gave it.
//!
//! Without a Spin binary each test prints `spin suite: skipped (no spin binary)`.

use serde_json::json;
use std::path::PathBuf;
use tests::spin::{Options, Redis, SpinApp, spin_binary};
use tests::standin::StandIn;
use tests::{
    Client, PORTAL, Serves, check_forged_platform_headers_are_ignored, check_through_tls_proxy,
    fifty_submissions_of_one_code, kv_rows, oathtool_code, pyotp_code, register_active, unix_now,
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

#[test]
fn spin_sqlite_store_one_instance() {
    let Some(spin) = spin() else { return };
    let dir = tempfile::tempdir().unwrap();
    let app = SpinApp::sqlite(&spin, dir.path());
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
    let accounts = kv_rows(&app.state_dir)
        .into_iter()
        .filter(|(_, key, value)| {
            key.starts_with("account/")
                && String::from_utf8_lossy(value).contains("sqlite-claim@example.com")
        })
        .count();
    assert_eq!(
        accounts, 1,
        "one account for 50 registrations of one address"
    );
}

#[test]
fn spin_redis_store_two_instances() {
    let Some(spin) = spin() else { return };
    let dir = tempfile::tempdir().unwrap();
    let redis = Redis::start();
    let a = SpinApp::redis(&spin, &dir.path().join("a"), &redis);
    let b = SpinApp::redis(&spin, &dir.path().join("b"), &redis);
    core_flow(&[&a, &b], "redis-flow@example.com");
    sign_in_right_after_registration(&[&a, &b], "redis-next");
    fifty_submissions_of_one_code(&[&a, &b], "redis-race@example.com", PASSWORD);
    register_fifty(&[&a, &b], "redis-claim@example.com");
    let accounts = redis
        .keys("account/*")
        .iter()
        .filter(|key| {
            let out = std::process::Command::new("redis-cli")
                .args(["-p", &redis.port.to_string(), "GET", key])
                .output()
                .expect("redis-cli runs");
            String::from_utf8_lossy(&out.stdout).contains("redis-claim@example.com")
        })
        .count();
    assert_eq!(
        accounts, 1,
        "one account for 50 registrations of one address"
    );

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

    // A code answered 200 by an instance that is then killed stays consumed.
    let email = "redis-kill@example.com";
    let (key, _) = register_active(&a, email, PASSWORD, PHONE);
    tests::wait_for_fresh_step(6);
    let code = oathtool_code(&key, unix_now());
    let mut c = a.client();
    assert_eq!(otp_step(&mut c, &challenge(&a, email), &code), 200);
    a.kill();
    let mut c = b.client();
    assert_eq!(
        otp_step(&mut c, &challenge(&b, email), &code),
        401,
        "replayed on the other instance after the kill"
    );
}

#[test]
fn spin_platform_headers_a_client_forges_are_ignored() {
    let Some(spin) = spin() else { return };
    let dir = tempfile::tempdir().unwrap();
    check_forged_platform_headers_are_ignored(&SpinApp::sqlite(&spin, dir.path()));
}

#[test]
fn spin_behind_a_tls_terminating_proxy() {
    let Some(spin) = spin() else { return };
    let standin = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let mut variables = standin.variables();
    variables.push(("public_base_url".into(), PORTAL.into()));
    let options = Options {
        variables,
        outbound: vec![standin.base.clone()],
        ..Options::default()
    };
    check_through_tls_proxy(&SpinApp::start(&spin, dir.path(), &options), PORTAL);
}
