//! Recovery codes end to end over HTTP against edge-host running the release component:
//! shown once on activation, each signs in once, counted down on the account, counted
//! toward the lockout when wrong, replaced as a set, gone with deactivation. TOTP codes
//! come from oathtool; the notice e-mail is read from the development outbox; the
//! SQLite file is read directly.

use serde_json::{Value, json};
use tests::{
    EdgeHost, challenge, kv_file_bytes, oathtool_code, register_active_with_codes, unix_now,
    wait_for_fresh_step, wait_for_outbox,
};

const PASSWORD: &str = "a long enough password";
const PHONE: &str = "+420 601 123 456";

fn left(c: &mut tests::Client) -> Value {
    let r = c.send("GET", "/api/account", Value::Null);
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json["otp"]["recovery_codes_left"].clone()
}

fn use_code(host: &EdgeHost, email: &str, code: &str) -> tests::Reply {
    let challenge = challenge(host, email, PASSWORD);
    host.client().send(
        "POST",
        "/api/session/recovery-code",
        json!({"challenge": challenge, "recovery_code": code}),
    )
}

/// `true` when `code` looks like `XXXX-XXXX-XXXX` over 2-9 and A-Z without I, L, O.
fn printed_form(code: &str) -> bool {
    let groups: Vec<&str> = code.split('-').collect();
    groups.len() == 3
        && groups.iter().all(|g| {
            g.len() == 4
                && g.bytes()
                    .all(|b| matches!(b, b'2'..=b'9' | b'A'..=b'Z') && !b"ILO".contains(&b))
        })
}

#[test]
fn recovery_codes_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let host = EdgeHost::start(dir.path());
    let email = "codes@example.com";
    wait_for_fresh_step(10);
    let (key, mut c, codes) = register_active_with_codes(&host, email, PASSWORD, PHONE);

    // Activation: ten distinct codes of the printed form, stored only as hashes.
    assert_eq!(codes.len(), 10, "{codes:?}");
    assert!(codes.iter().all(|code| printed_form(code)), "{codes:?}");
    let mut distinct = codes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 10);
    assert_eq!(left(&mut c), 10);
    let file = String::from_utf8_lossy(&kv_file_bytes(dir.path())).into_owned();
    for code in &codes {
        assert!(!file.contains(code.as_str()) && !file.contains(&code.replace('-', "")));
    }

    // One code signs in once (typed in lower case with spaces), then is refused.
    let typed = codes[0].to_lowercase().replace('-', " ");
    let r = use_code(&host, email, &typed);
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["status"], "signed_in");
    let mut signed_in = host.client();
    signed_in.cookie = r
        .set_cookie
        .clone()
        .map(|c| c.split(';').next().unwrap().to_owned());
    assert_eq!(left(&mut signed_in), 9);
    let again = use_code(&host, email, &codes[0]);
    assert_eq!(
        (again.status, again.error()),
        (401, "invalid_recovery_code")
    );
    assert_eq!(left(&mut c), 9);
    let notice = wait_for_outbox(&host, "the recovery code notice", |m| {
        m["to"] == email
            && m["subject"]
                .as_str()
                .is_some_and(|s| s.contains("recovery code"))
    });
    assert!(
        notice["body"]
            .as_str()
            .unwrap()
            .contains("9 recovery codes left"),
        "{notice}"
    );

    // A malformed code is a 400 and changes nothing.
    for bad in ["0000-1111-IIII", "ABCD-EFGH", "", "123456"] {
        let r = use_code(&host, email, bad);
        assert_eq!(
            (r.status, r.error()),
            (400, "malformed_recovery_code"),
            "{bad:?}"
        );
    }
    assert_eq!(left(&mut c), 9);

    // A fresh set: the old codes stop working at once, the new ones work.
    let now = unix_now();
    let r = c.send(
        "POST",
        "/api/otp/recovery-codes",
        json!({"password": PASSWORD, "code": oathtool_code(&key, now)}),
    );
    assert_eq!(r.status, 200, "{:?}", r.json);
    let fresh: Vec<String> = serde_json::from_value(r.json["recovery_codes"].clone()).unwrap();
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|f| printed_form(f) && !codes.contains(f)));
    assert_eq!(left(&mut c), 10);
    let old = use_code(&host, email, &codes[1]);
    assert_eq!((old.status, old.error()), (401, "invalid_recovery_code"));
    assert_eq!(use_code(&host, email, &fresh[0]).status, 200);
    assert_eq!(left(&mut c), 9);

    // After deactivation no code works, not even with a challenge issued before it.
    let pending = challenge(&host, email, PASSWORD);
    let r = c.send(
        "POST",
        "/api/otp/deactivate",
        json!({"password": PASSWORD, "code": oathtool_code(&key, now + 30)}),
    );
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(left(&mut c), Value::Null);
    let r = host.client().send(
        "POST",
        "/api/session/recovery-code",
        json!({"challenge": pending, "recovery_code": fresh[1]}),
    );
    assert_eq!((r.status, r.error()), (409, "otp_not_active"));
    assert!(r.set_cookie.is_none());
    let sign_in = host.client().send(
        "POST",
        "/api/session",
        json!({"email": email, "password": PASSWORD}),
    );
    assert_eq!(sign_in.json["status"], "signed_in", "no code step any more");
}

#[test]
fn wrong_recovery_codes_count_toward_the_lockout() {
    let dir = tempfile::tempdir().unwrap();
    let host = EdgeHost::start(dir.path());
    let email = "guesser@example.com";
    let (_, mut c, codes) = register_active_with_codes(&host, email, PASSWORD, PHONE);
    let pending = challenge(&host, email, PASSWORD);
    let wrong = (b'2'..=b'9')
        .map(|d| format!("{0}{0}{0}{0}-{0}{0}{0}{0}-{0}{0}{0}{0}", char::from(d)))
        .find(|w| !codes.contains(w))
        .unwrap();
    for _ in 0..5 {
        let r = host.client().send(
            "POST",
            "/api/session/recovery-code",
            json!({"challenge": pending, "recovery_code": wrong}),
        );
        assert_eq!((r.status, r.error()), (401, "invalid_recovery_code"));
    }
    // The account now refuses codes for a while: a right recovery code too.
    let r = use_code(&host, email, &codes[0]);
    assert_eq!(
        (r.status, r.error()),
        (429, "too_many_attempts"),
        "{:?}",
        r.json
    );
    assert_eq!(left(&mut c), 10);
    let events = c.send("GET", "/api/account", Value::Null).json["recent_events"].clone();
    let rejected = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "code_rejected")
        .count();
    assert_eq!(rejected, 5, "{events}");
}
