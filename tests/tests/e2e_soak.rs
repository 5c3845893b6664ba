//! A bounded soak (about 45 s): 16 clients, each from its own address (a trusted
//! proxy's `X-Forwarded-For`), run mixed flows against one edge-host with stand-in
//! providers — sign-ins with right and wrong codes, account reads, recovery requests,
//! forged delivery callbacks, malformed bodies. Afterwards: no answer was a 5xx and
//! every answer was one its request allows; every account is as its client saw it
//! (OTP active, its last accepted code refused as a replay, the next step's code
//! accepted); the data file passes SQLite's integrity check and a restarted edge-host
//! on it signs everyone in.

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tests::standin::StandIn;
use tests::{Client, EdgeHost, kv_integrity, oathtool_code, register_active, unix_now};

const CLIENTS: usize = 16;
const SOAK: Duration = Duration::from_secs(45);
const PASSWORD: &str = "a long enough password";
const PHONE: &str = "+12025550143";

fn start(dir: &std::path::Path, standin: &StandIn) -> EdgeHost {
    let mut vars = standin.variables();
    vars.push(("trusted_proxies".into(), "127.0.0.1/32".into()));
    EdgeHost::start_with(dir, move |base| {
        let mut vars = vars.clone();
        vars.push(("public_base_url".into(), base.to_owned()));
        vars
    })
}

/// One soaking client: its account, its address, what it saw.
struct Soaker {
    email: String,
    key: String,
    address: String,
    /// The time step of the last code answered 200, and that code.
    last_accepted: Option<(u64, String)>,
    /// The time step of the last wrong code sent, and how many were sent in it (at
    /// most two a step, so a client never locks itself out).
    wrong: (u64, u32),
    /// Every (request, status) that was not one its request allows.
    unexpected: Vec<String>,
    requests: usize,
}

impl Soaker {
    fn client(&self, base: &str) -> Client {
        Client::new(base).with_headers(&[("x-forwarded-for", &self.address)])
    }

    fn expect(&mut self, what: &str, status: u16, allowed: &[u16]) {
        self.requests += 1;
        if status >= 500 || !allowed.contains(&status) {
            self.unexpected.push(format!("{what}: {status}"));
        }
    }

    fn challenge(&mut self, base: &str) -> Option<String> {
        let r = self.client(base).send(
            "POST",
            "/api/session",
            json!({"email": self.email, "password": PASSWORD}),
        );
        self.expect("password step", r.status, &[200, 429]);
        r.json["challenge"].as_str().map(str::to_owned)
    }

    /// One round of mixed requests.
    fn round(&mut self, base: &str, round: usize) {
        let mut c = self.client(base);
        let r = c.raw("POST", "/api/session", Some("application/json"), b"[1,2]");
        self.expect("array body", r.status, &[400]);
        let r = c.raw(
            "POST",
            "/api/accounts",
            Some("application/json"),
            b"{\"email\":",
        );
        self.expect("truncated body", r.status, &[400]);
        let r = c.raw_with_header(
            "POST",
            "/api/callbacks/sms",
            "application/x-www-form-urlencoded",
            b"MessageSid=SM1&MessageStatus=delivered",
            ("x-twilio-signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        );
        self.expect("forged callback", r.status, &[403]);
        if round.is_multiple_of(5) {
            let r = c.send("POST", "/api/recovery", json!({"email": self.email}));
            self.expect("recovery request", r.status, &[202, 429]);
        }
        let now = unix_now();
        let step = now / 30;
        let code = oathtool_code(&self.key, now);
        let fresh = self.last_accepted.as_ref().is_none_or(|(s, _)| *s < step);
        let Some(challenge) = self.challenge(base) else {
            return;
        };
        if fresh && now % 30 < 25 {
            let r = c.send(
                "POST",
                "/api/session/otp",
                json!({"challenge": challenge, "code": code}),
            );
            self.expect("right code", r.status, &[200]);
            if r.status == 200 {
                self.last_accepted = Some((step, code));
                let r = c.send("GET", "/api/account", Value::Null);
                self.expect("account", r.status, &[200]);
                if r.json["otp"]["status"] != "active" {
                    self.unexpected
                        .push(format!("OTP status {}", r.json["otp"]["status"]));
                }
            }
        } else if round.is_multiple_of(3) && (self.wrong.0 < step || self.wrong.1 < 2) {
            self.wrong = if self.wrong.0 < step {
                (step, 1)
            } else {
                (step, self.wrong.1 + 1)
            };
            let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
            let r = c.send(
                "POST",
                "/api/session/otp",
                json!({"challenge": challenge, "code": wrong}),
            );
            self.expect("wrong code", r.status, &[401, 429]);
        }
    }
}

fn otp_step(host: &EdgeHost, s: &Soaker, code: &str) -> u16 {
    let mut c = s.client(&host.base);
    let r = c.send(
        "POST",
        "/api/session",
        json!({"email": s.email, "password": PASSWORD}),
    );
    let challenge = r.json["challenge"].as_str().unwrap_or_default().to_owned();
    c.send(
        "POST",
        "/api/session/otp",
        json!({"challenge": challenge, "code": code}),
    )
    .status
}

#[test]
fn sixteen_clients_of_mixed_flows_leave_consistent_accounts_and_no_5xx() {
    let dir = tempfile::tempdir().unwrap();
    let standin = StandIn::start();
    let host = start(dir.path(), &standin);
    let soakers: Vec<Soaker> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let host = &host;
                s.spawn(move || {
                    let email = format!("soak-{i}@example.com");
                    let key = register_active(host, &email, PASSWORD, PHONE).0;
                    let mut soaker = Soaker {
                        email,
                        key,
                        address: format!("198.51.100.{}", i + 1),
                        last_accepted: None,
                        wrong: (0, 0),
                        unexpected: Vec::new(),
                        requests: 0,
                    };
                    let started = Instant::now();
                    let mut round = 0;
                    while started.elapsed() < SOAK {
                        soaker.round(&host.base, round);
                        round += 1;
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    soaker
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let requests: usize = soakers.iter().map(|s| s.requests).sum();
    let unexpected: Vec<&String> = soakers.iter().flat_map(|s| &s.unexpected).collect();
    println!("soak: {requests} requests from {CLIENTS} clients");
    assert!(unexpected.is_empty(), "unexpected answers: {unexpected:?}");
    for s in &soakers {
        let (_, code) = s.last_accepted.as_ref().expect("each client signed in");
        assert_eq!(
            otp_step(&host, s, code),
            401,
            "{}: the last code replayed",
            s.email
        );
    }
    host.stop();

    assert_eq!(kv_integrity(dir.path()), "ok");
    let again = start(dir.path(), &standin);
    tests::wait_for_fresh_step(5);
    let next = unix_now() + 30;
    for s in &soakers {
        let code = oathtool_code(&s.key, next);
        let status = otp_step(&again, s, &code);
        assert_eq!(
            status, 200,
            "{}: the next step's code after the restart",
            s.email
        );
    }
}
