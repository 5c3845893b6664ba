//! Key rotation to the end, over HTTP against edge-host on one data directory:
//! secrets sealed under `t1`; with `t1` removed too early, OTP sign-in fails (the
//! server's fault, 500); with the ring `k2,t1` every secret a write touches moves to
//! `k2`, and the sweep (`POST /api/admin/reseal`, page by page) moves the rest,
//! reporting counts — a second sweep moves nothing; then with `k2` alone every account
//! signs in with its OTP code.

use serde_json::{Value, json};
use tests::{
    Client, EdgeHost, SEAL_KEYS, challenge, oathtool_code, register_active, unix_now,
    wait_for_fresh_step,
};

const PASSWORD: &str = "a long enough password";
const PHONE: &str = "+12025550143";
const ADMIN: &str = "rotation-admin-token";
const K2: &str = "k2:ISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0A=";

fn start(dir: &std::path::Path, seal_keys: &str) -> EdgeHost {
    let seal_keys = seal_keys.to_owned();
    EdgeHost::start_with(dir, move |_| {
        vec![
            ("seal_keys".into(), seal_keys.clone()),
            ("admin_token".into(), ADMIN.into()),
        ]
    })
}

fn otp_step(host: &EdgeHost, email: &str, key: &str) -> u16 {
    let challenge = challenge(host, email, PASSWORD);
    host.client()
        .send(
            "POST",
            "/api/session/otp",
            json!({"challenge": challenge, "code": oathtool_code(key, unix_now())}),
        )
        .status
}

/// The whole sweep, one account per page; the counts summed.
fn sweep(host: &EdgeHost) -> (u64, u64, u64, usize) {
    let bearer = format!("Bearer {ADMIN}");
    let (mut examined, mut resealed, mut current, mut pages) = (0, 0, 0, 0);
    let mut after = Value::Null;
    loop {
        let body = json!({"after": after, "limit": 1}).to_string();
        let r = Client::new(&host.base).raw_with_header(
            "POST",
            "/api/admin/reseal",
            "application/json",
            body.as_bytes(),
            ("authorization", &bearer),
        );
        assert_eq!(r.status, 200, "{:?}", r.json);
        assert_eq!(r.json["failed"], json!([]));
        examined += r.json["examined"].as_u64().unwrap();
        resealed += r.json["resealed"].as_u64().unwrap();
        current += r.json["current"].as_u64().unwrap();
        pages += 1;
        after = r.json["next"].clone();
        if after.is_null() {
            return (examined, resealed, current, pages);
        }
    }
}

#[test]
fn an_old_sealing_key_can_be_retired_after_the_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let accounts: Vec<(String, String)> = {
        let host = start(dir.path(), SEAL_KEYS);
        ["alice", "bob", "carol"]
            .iter()
            .map(|name| {
                let email = format!("{name}@example.com");
                let key = register_active(&host, &email, PASSWORD, PHONE).0;
                (email, key)
            })
            .collect()
    };
    wait_for_fresh_step(10);
    let (alice, _) = &accounts[0];

    // `t1` removed before re-sealing: the secrets do not open.
    {
        let host = start(dir.path(), K2);
        let r = otp_step(&host, alice, &accounts[0].1);
        assert_eq!(r, 500, "a secret under a removed key cannot be opened");
    }

    let rotated = format!("{K2},{SEAL_KEYS}");
    {
        let host = start(dir.path(), &rotated);
        let mut c = host.client();
        let r = c.raw_with_header(
            "POST",
            "/api/admin/reseal",
            "application/json",
            b"{}",
            ("authorization", "Bearer wrong"),
        );
        assert_eq!((r.status, r.error()), (403, "admin_forbidden"));
        // Carol's password step writes her account: her secret moves to k2 with it.
        challenge(&host, &accounts[2].0, PASSWORD);
        // One account a page; the page after the last full one is empty and ends it.
        assert_eq!(
            sweep(&host),
            (3, 2, 1, 4),
            "(examined, resealed, current, pages)"
        );
        assert_eq!(
            sweep(&host),
            (3, 0, 3, 4),
            "a second sweep re-seals nothing"
        );
    }

    let host = start(dir.path(), K2);
    for (email, key) in &accounts {
        assert_eq!(otp_step(&host, email, key), 200, "{email} under k2 alone");
    }
}
