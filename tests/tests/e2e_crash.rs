//! A crash under load: edge-host answers OTP steps on 32 connections and is killed
//! (SIGKILL) in the middle; restarted on the same data directory it opens cleanly, the
//! SQLite file passes its integrity check, and every code it had answered 200 before
//! the kill is refused when replayed — an answered success is durable (group commit
//! answers each write only after its flush). The replays come from distinct client
//! addresses (a trusted proxy's `X-Forwarded-For`), so the per-address failure limit
//! does not answer for the store.
//!
//! And one data directory serves one edge-host: a second one started on it refuses to
//! run and says why, and the first keeps serving.

use std::sync::atomic::{AtomicUsize, Ordering};
use tests::{
    Client, EdgeHost, Launch, kv_integrity, oathtool_code, register_active, unix_now,
    wait_for_fresh_step,
};

const PASSWORD: &str = "a long enough password";
const PHONE: &str = "+12025550143";
const CONNECTIONS: usize = 32;
const STEPS_PER_CONNECTION: usize = 3;
/// The kill comes once this many steps were answered.
const KILL_AFTER: usize = 32;

/// A client of `base` that edge-host sees as documentation address number `i`.
fn client(base: &str, i: usize) -> Client {
    Client::new(base).with_headers(&[("x-forwarded-for", &address(i))])
}

fn address(i: usize) -> String {
    format!("198.51.{}.{}", 100 + i / 250, 1 + i % 250)
}

fn otp_step(base: &str, i: usize, challenge: &str, code: &str) -> u16 {
    tests::try_otp_step(base, &[("x-forwarded-for", &address(i))], challenge, code)
}

fn challenge(base: &str, i: usize, email: &str) -> String {
    let r = client(base, i).send(
        "POST",
        "/api/session",
        serde_json::json!({"email": email, "password": PASSWORD}),
    );
    r.json["challenge"]
        .as_str()
        .unwrap_or_else(|| panic!("{:?}", r.json))
        .to_owned()
}

fn start(dir: &std::path::Path) -> EdgeHost {
    EdgeHost::start_with(dir, |_| {
        vec![("trusted_proxies".to_owned(), "127.0.0.1/32".to_owned())]
    })
}

#[test]
fn a_kill_under_load_loses_no_answered_step() {
    let dir = tempfile::tempdir().unwrap();
    let host = start(dir.path());
    let n = CONNECTIONS * STEPS_PER_CONNECTION;
    let accounts: Vec<(String, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let host = &host;
                s.spawn(move || {
                    (t..n)
                        .step_by(4)
                        .map(|i| {
                            let email = format!("crash-{i}@example.com");
                            (
                                email.clone(),
                                register_active(host, &email, PASSWORD, PHONE).0,
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let challenges: Vec<String> = accounts
        .iter()
        .enumerate()
        .map(|(i, (email, _))| challenge(&host.base, i, email))
        .collect();
    wait_for_fresh_step(10);
    let now = unix_now();
    let codes: Vec<String> = accounts
        .iter()
        .map(|(_, key)| oathtool_code(key, now))
        .collect();

    let base = host.base.clone();
    let answered = AtomicUsize::new(0);
    let statuses: Vec<(usize, u16)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CONNECTIONS)
            .map(|c| {
                let (base, answered, challenges, codes) = (&base, &answered, &challenges, &codes);
                s.spawn(move || {
                    (c..n)
                        .step_by(CONNECTIONS)
                        .map(|i| {
                            let status = otp_step(base, i, &challenges[i], &codes[i]);
                            answered.fetch_add(1, Ordering::SeqCst);
                            (i, status)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        while answered.load(Ordering::SeqCst) < KILL_AFTER {
            std::thread::yield_now();
        }
        host.kill();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let ok: Vec<usize> = statuses
        .iter()
        .filter(|(_, status)| *status == 200)
        .map(|(i, _)| *i)
        .collect();
    println!(
        "{} of {n} steps answered 200 before the kill, {} not answered",
        ok.len(),
        statuses.iter().filter(|(_, s)| *s == 0).count()
    );
    assert!(
        ok.len() >= KILL_AFTER / 2,
        "few steps answered 200: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|(_, s)| [200, 0].contains(s)),
        "before the kill every answer is 200, after it there is none: {statuses:?}"
    );

    // The files as the kill left them are sound, and edge-host opens them again.
    assert_eq!(kv_integrity(dir.path()), "ok");
    let again = start(dir.path());
    for i in ok {
        let fresh = challenge(&again.base, i, &accounts[i].0);
        assert_eq!(
            otp_step(&again.base, i, &fresh, &codes[i]),
            401,
            "{}: a step answered 200 before the kill, replayed after the restart",
            accounts[i].0
        );
    }
}

#[test]
fn a_second_edge_host_on_the_same_data_directory_refuses_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path());
    let second = Launch::new(dir.path()).start();
    let why = second.err().expect("the second edge-host does not start");
    assert!(
        why.contains("is in use by another process")
            && why.contains("one data directory serves one edge-host at a time"),
        "{why}"
    );
    let time = Client::new(&first.base).send("GET", "/api/time", serde_json::Value::Null);
    assert_eq!(time.status, 200, "the first keeps serving: {:?}", time.json);
    first.stop();
}
