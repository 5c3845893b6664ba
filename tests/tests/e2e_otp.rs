//! End to end over real HTTP against edge-host running the release component: the
//! activation, sign-in and deactivation flows with codes from oathtool and pyotp,
//! storage checks on the SQLite key-value file, restart, and bad input.

use serde_json::json;
use tests::{
    EdgeHost, Reply, kv_file_bytes, kv_rows, oathtool_code, pyotp_code, unix_now,
    wait_for_fresh_step,
};

const PASSWORD: &str = "a long enough password";

fn register_and_sign_in(host: &EdgeHost, email: &str) -> tests::Client {
    let mut c = host.client();
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
    assert!(c.cookie.is_some());
    let r = c.send(
        "PUT",
        "/api/account/phone",
        json!({"phone": "+44 7911 123456"}),
    );
    assert_eq!(r.json["phone"], "+447911123456");
    c
}

fn setup(c: &mut tests::Client) -> String {
    let r = c.send("POST", "/api/otp/setup", json!({}));
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["digits"], 6);
    assert_eq!(r.json["period"], 30);
    assert_eq!(r.json["algorithm"], "SHA1");
    let key = r.json["shared_key"].as_str().unwrap().to_owned();
    let uri = r.json["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/otp-edge%20e2e:"), "{uri}");
    assert!(uri.contains(&format!("secret={key}")));
    key
}

fn sign_in_needs_code(host: &EdgeHost, email: &str) -> (tests::Client, String) {
    let mut c = host.client();
    let r = c.send(
        "POST",
        "/api/session",
        json!({"email": email, "password": PASSWORD}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json["status"], "otp_required", "{:?}", r.json);
    assert!(r.set_cookie.is_none(), "no session before the code");
    (c, r.json["challenge"].as_str().unwrap().to_owned())
}

#[test]
fn activation_sign_in_replay_deactivation_restart() {
    let dir = tempfile::tempdir().unwrap();
    let host = EdgeHost::start(dir.path());
    let email = "e2e@example.com";
    let mut c = register_and_sign_in(&host, email);
    let key = setup(&mut c);

    // Three consecutive steps within one window: T−1 to activate, T to sign in,
    // T+1 to deactivate — no waiting for the clock.
    wait_for_fresh_step(8);
    let now = unix_now();
    let activate_code = oathtool_code(&key, now - 30);
    let r = c.send(
        "POST",
        "/api/otp/activate",
        json!({"password": PASSWORD, "code": activate_code}),
    );
    assert_eq!(
        (r.status, &r.json["status"]),
        (200, &json!("active")),
        "{:?}",
        r.json
    );

    // After activation the key-value file holds neither the Base32 key nor its bytes.
    let raw = otp_core::secret::SharedSecret::from_base32(&key).unwrap();
    let files = kv_file_bytes(&host.data_dir);
    assert!(files.len() > 4096, "the key-value file is there");
    assert!(!files.windows(key.len()).any(|w| w == key.as_bytes()));
    assert!(
        !files
            .windows(raw.as_bytes().len())
            .any(|w| w == raw.as_bytes())
    );
    assert!(
        kv_rows(&host.data_dir)
            .iter()
            .any(|(_, k, _)| k.starts_with("account/"))
    );

    let r = c.send("GET", "/api/account", serde_json::Value::Null);
    assert_eq!(r.json["otp"]["status"], "active");
    assert!(r.json["otp"]["activated_at"].as_u64().is_some());
    assert!(!r.to_string_contains(&key));

    assert_eq!(
        c.send("DELETE", "/api/session", serde_json::Value::Null)
            .status,
        204
    );
    assert_eq!(
        c.send("GET", "/api/account", serde_json::Value::Null)
            .error(),
        "not_signed_in"
    );

    // The activation code is consumed: it cannot sign in.
    let (mut c, challenge) = sign_in_needs_code(&host, email);
    let r = c.send(
        "POST",
        "/api/session/otp",
        json!({"challenge": challenge, "code": activate_code}),
    );
    assert_eq!((r.status, r.error()), (401, "invalid_code"));

    // A code from pyotp (another implementation) signs in, once.
    let code = pyotp_code(&key, now);
    assert_eq!(code, oathtool_code(&key, now));
    let r = c.send(
        "POST",
        "/api/session/otp",
        json!({"challenge": challenge, "code": code}),
    );
    assert_eq!(r.json["status"], "signed_in", "{:?}", r.json);
    let set_cookie = r.set_cookie.unwrap();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let (mut other, challenge2) = sign_in_needs_code(&host, email);
    let r = other.send(
        "POST",
        "/api/session/otp",
        json!({"challenge": challenge2, "code": code}),
    );
    assert_eq!(
        (r.status, r.error()),
        (401, "invalid_code"),
        "replayed code refused"
    );

    // Restart: accounts and OTP state survive.
    drop(other);
    let data_dir = host.data_dir.clone();
    assert_eq!(host.stop(), Some(0), "clean exit on SIGTERM");
    let host = EdgeHost::start(&data_dir);
    let (_, _) = sign_in_needs_code(&host, email);

    // Deactivate with password + next code; then sign-in needs no code.
    let mut c = host.client();
    let r = c.send(
        "POST",
        "/api/session",
        json!({"email": email, "password": PASSWORD}),
    );
    let challenge = r.json["challenge"].as_str().unwrap().to_owned();
    let r = c.send(
        "POST",
        "/api/session/otp",
        json!({"challenge": challenge, "code": oathtool_code(&key, now + 30)}),
    );
    assert_eq!(r.json["status"], "signed_in", "{:?}", r.json);
    let deactivate_code = oathtool_code(&key, now + 30);
    let r = c.send(
        "POST",
        "/api/otp/deactivate",
        json!({"password": PASSWORD, "code": deactivate_code}),
    );
    assert_eq!(
        (r.status, r.error()),
        (401, "invalid_code"),
        "T+1 was consumed by sign-in"
    );
    let r = c.send(
        "POST",
        "/api/otp/deactivate",
        json!({"password": "wrong password!!", "code": deactivate_code}),
    );
    assert_eq!((r.status, r.error()), (401, "invalid_credentials"));
    wait_for_fresh_step(31); // the next step begins: T+2 is now inside the window
    let later = unix_now() + 30;
    let r = c.send(
        "POST",
        "/api/otp/deactivate",
        json!({"password": PASSWORD, "code": pyotp_code(&key, later)}),
    );
    assert_eq!(r.json["status"], "disabled", "{:?}", r.json);
    let mut fresh = host.client();
    let r = fresh.send(
        "POST",
        "/api/session",
        json!({"email": email, "password": PASSWORD}),
    );
    assert_eq!(r.json["status"], "signed_in");
}

#[test]
fn a_wrong_activation_code_discards_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let host = EdgeHost::start(dir.path());
    let mut c = register_and_sign_in(&host, "wrong@example.com");
    let key = setup(&mut c);
    wait_for_fresh_step(3);
    let right = oathtool_code(&key, unix_now());
    let wrong = format!(
        "{:06}",
        (right.parse::<u32>().unwrap() + 500_000) % 1_000_000
    );
    let r = c.send(
        "POST",
        "/api/otp/activate",
        json!({"password": PASSWORD, "code": wrong}),
    );
    assert_eq!((r.status, r.error()), (400, "activation_failed"));
    let r = c.send(
        "POST",
        "/api/otp/activate",
        json!({"password": PASSWORD, "code": right}),
    );
    assert_eq!(
        (r.status, r.error()),
        (409, "otp_not_pending"),
        "the old key is gone"
    );
    assert_eq!(
        c.send("GET", "/api/account", serde_json::Value::Null).json["otp"]["status"],
        "disabled"
    );
    let again = setup(&mut c);
    assert_ne!(again, key);
}

#[test]
fn bad_input_over_http_is_4xx_json_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let host = EdgeHost::start(dir.path());
    let mut c = register_and_sign_in(&host, "bad@example.com");
    let before = kv_rows(&host.data_dir);
    let huge = vec![b'a'; 1024 * 1024];
    let big_json = format!(
        r#"{{"email":"x@example.com","password":"{}"}}"#,
        "p".repeat(17 * 1024)
    );
    let cases: Vec<(Reply, u16, &str)> = vec![
        (
            c.raw(
                "POST",
                "/api/accounts",
                Some("application/json"),
                b"{\"email\":",
            ),
            400,
            "malformed_json",
        ),
        (
            c.raw(
                "POST",
                "/api/accounts",
                Some("application/json"),
                br#"{"email":1,"password":2}"#,
            ),
            400,
            "invalid_field",
        ),
        (
            c.raw(
                "PUT",
                "/api/account/phone",
                Some("application/json"),
                br#"{"phone":["+44"]}"#,
            ),
            400,
            "invalid_field",
        ),
        (
            c.raw(
                "PUT",
                "/api/account/phone",
                Some("application/json"),
                br#"{"phone":"+44 1"}"#,
            ),
            400,
            "invalid_phone",
        ),
        (
            c.raw(
                "POST",
                "/api/accounts",
                Some("application/json"),
                big_json.as_bytes(),
            ),
            413,
            "body_too_large",
        ),
        (
            c.raw("POST", "/api/accounts", Some("application/json"), &huge),
            413,
            "body_too_large",
        ),
        (
            c.raw("POST", "/api/session", Some("text/plain"), b"{}"),
            415,
            "unsupported_media_type",
        ),
        (
            c.raw("GET", "/api/no/such/route", None, b""),
            404,
            "not_found",
        ),
        (
            c.raw("DELETE", "/api/time", None, b""),
            405,
            "method_not_allowed",
        ),
        (
            c.raw(
                "POST",
                "/api/otp/activate",
                Some("application/json"),
                br#"{"password":"x","code":"1"}"#,
            ),
            409,
            "otp_not_pending",
        ),
        (
            host.client().raw("GET", "/api/account", None, b""),
            401,
            "not_signed_in",
        ),
        (
            host.client()
                .raw("POST", "/api/otp/setup", Some("application/json"), b"{}"),
            401,
            "not_signed_in",
        ),
    ];
    for (i, (reply, status, code)) in cases.iter().enumerate() {
        assert_eq!(
            (reply.status, reply.error()),
            (*status, *code),
            "case {i}: {:?}",
            reply.json
        );
        assert!(
            reply.json["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "case {i}"
        );
    }
    assert_eq!(
        kv_rows(&host.data_dir),
        before,
        "bad input changed the key-value store"
    );
    let log = host.stderr();
    assert!(
        log.iter()
            .any(|l| l.contains("/api/no/such/route") && l.contains("404")),
        "{log:?}"
    );
    assert!(
        !log.iter().any(|l| l.contains(PASSWORD)),
        "bodies are never logged"
    );
}

trait ContainsText {
    fn to_string_contains(&self, needle: &str) -> bool;
}

impl ContainsText for Reply {
    fn to_string_contains(&self, needle: &str) -> bool {
        self.json.to_string().contains(needle)
    }
}
