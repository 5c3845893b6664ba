//! Lost-keychain recovery end to end: edge-host with stand-in Postmark, Twilio and
//! siteverify servers on 127.0.0.1 that record what they receive. Callback signatures
//! are computed by Python's hmac (an implementation nobody here wrote).

use serde_json::{Value, json};
use std::process::Command;
use tests::standin::{CAPTCHA_PASS, Recorded, StandIn};
use tests::{Client, EdgeHost, oathtool_code, register_active, unix_now, wait_for_fresh_step};

const EMAIL: &str = "dana@example.com";
const PASSWORD: &str = "a long enough password";
const PHONE: &str = "+447911123456";
const SMS_TOKEN: &str = tests::standin::SMS_AUTH_TOKEN;
const ADMIN: &str = "support-bearer-token";

fn start(dir: &std::path::Path, standin: &StandIn) -> EdgeHost {
    let mut vars = standin.variables();
    vars.push(("admin_token".into(), ADMIN.into()));
    EdgeHost::start_with(dir, move |base| {
        vars.push(("public_base_url".into(), base.to_owned()));
        vars
    })
}

/// Register, set the phone and activate OTP; returns the Base32 key.
fn active_account(host: &EdgeHost) -> String {
    register_active(host, EMAIL, PASSWORD, PHONE).0
}

fn emails(s: &StandIn) -> Vec<Recorded> {
    s.all().into_iter().filter(|r| r.path == "/email").collect()
}

fn wait_email(s: &StandIn, n: usize) -> Recorded {
    let found = s.wait_for(n, |r| r.path == "/email");
    assert!(
        found.len() >= n,
        "expected {n} e-mails, got {}",
        found.len()
    );
    found[n - 1].clone()
}

fn wait_sms(s: &StandIn, n: usize) -> Recorded {
    let found = s.wait_for(n, |r| r.path.ends_with("/Messages.json"));
    assert!(found.len() >= n, "expected {n} texts, got {}", found.len());
    found[n - 1].clone()
}

fn link_token(email: &Recorded) -> String {
    let body = email.json()["TextBody"].as_str().unwrap().to_owned();
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/recovery.html#"))
        .expect("a link");
    link.split('#').nth(1).unwrap().to_owned()
}

fn signature(url: &str, params: &[(&str, &str)]) -> String {
    let script = "import sys,hmac,hashlib,base64\n\
        token,url=sys.argv[1],sys.argv[2]\n\
        pairs=sorted(a.split('=',1) for a in sys.argv[3:])\n\
        s=url+''.join(k+v for k,v in pairs)\n\
        print(base64.b64encode(hmac.new(token.encode(),s.encode(),hashlib.sha1).digest()).decode())";
    let out = Command::new("python3")
        .args(["-c", script, SMS_TOKEN, url])
        .args(params.iter().map(|(k, v)| format!("{k}={v}")))
        .output()
        .expect("python3");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn callback(c: &mut Client, host: &EdgeHost, sid: &str, status: &str, good_signature: bool) -> u16 {
    let params = [
        ("MessageSid", sid),
        ("MessageStatus", status),
        ("AccountSid", "AC0123456789"),
    ];
    let url = format!("{}/api/callbacks/sms", host.base);
    let sig = if good_signature {
        signature(&url, &params)
    } else {
        "AAAAAAAAAAAAAAAAAAAAAAAAAAA=".into()
    };
    let body: String = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    c.raw_with_header(
        "POST",
        "/api/callbacks/sms",
        "application/x-www-form-urlencoded",
        body.as_bytes(),
        ("x-twilio-signature", &sig),
    )
    .status
}

fn otp_required(host: &EdgeHost) -> bool {
    let mut c = host.client();
    c.send(
        "POST",
        "/api/session",
        json!({"email": EMAIL, "password": PASSWORD}),
    )
    .json["status"]
        == "otp_required"
}

#[test]
fn recovery_through_the_providers_then_a_new_activation() {
    let dir = tempfile::tempdir().unwrap();
    let standin = StandIn::start();
    let host = start(dir.path(), &standin);
    let old_key = active_account(&host);
    let mut c = host.client();

    // Unknown address: the identical answer, and no e-mail.
    let unknown = c.send(
        "POST",
        "/api/recovery",
        json!({"email": "nobody@example.com"}),
    );
    let known = c.send("POST", "/api/recovery", json!({"email": EMAIL}));
    assert_eq!((unknown.status, &unknown.json), (202, &known.json));
    let mail = wait_email(&standin, 1);
    assert_eq!(emails(&standin).len(), 1);
    assert_eq!(
        mail.header("x-postmark-server-token"),
        Some("pm-server-token")
    );
    assert_eq!(mail.json()["To"], EMAIL);
    let token = link_token(&mail);

    let view = c.send("GET", &format!("/api/recovery/{token}"), Value::Null);
    assert_eq!(view.json["phone_hint"], "+44 ••••••••56");
    assert_eq!(view.json["captcha"]["provider"], "hcaptcha");

    // Wrong phone, then the right one.
    let r = c.send(
        "POST",
        &format!("/api/recovery/{token}/sms"),
        json!({"phone": "+12025550143"}),
    );
    assert_eq!((r.status, r.error()), (400, "phone_mismatch"));
    let r = c.send(
        "POST",
        &format!("/api/recovery/{token}/sms"),
        json!({"phone": "+44 7911 123456"}),
    );
    assert_eq!(r.status, 202, "{:?}", r.json);
    let sms = wait_sms(&standin, 1);
    assert_eq!(sms.path, "/2010-04-01/Accounts/AC0123456789/Messages.json");
    assert!(sms.header("authorization").unwrap().starts_with("Basic "));
    assert_eq!(sms.form("To").as_deref(), Some(PHONE));
    assert_eq!(
        sms.form("StatusCallback"),
        Some(format!("{}/api/callbacks/sms", host.base))
    );
    let code = sms.form("Body").unwrap()[..6].to_owned();

    // Delivery callbacks: a bad signature is refused, a good one is stored and shown.
    let sid = "SM00000000000000000000000000000002";
    assert_eq!(callback(&mut c, &host, sid, "failed", false), 403);
    assert_eq!(callback(&mut c, &host, sid, "delivered", true), 204);
    let view = c.send("GET", &format!("/api/recovery/{token}"), Value::Null);
    assert_eq!(view.json["sms_status"], "delivered", "{:?}", view.json);

    // A wrong code and a refused CAPTCHA each fail and leave OTP active.
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let r = c.send(
        "POST",
        &format!("/api/recovery/{token}/confirm"),
        json!({"code": wrong, "captcha_token": CAPTCHA_PASS}),
    );
    assert_eq!((r.status, r.error()), (401, "invalid_code"));
    let r = c.send(
        "POST",
        &format!("/api/recovery/{token}/confirm"),
        json!({"code": code, "captcha_token": "robot"}),
    );
    assert_eq!((r.status, r.error()), (400, "captcha_failed"));
    assert!(otp_required(&host));
    let verify = standin
        .all()
        .into_iter()
        .rfind(|r| r.path == "/siteverify")
        .unwrap();
    assert_eq!(verify.form("secret").as_deref(), Some("captcha-secret"));
    assert_eq!(verify.form("remoteip").as_deref(), Some("127.0.0.1"));

    // Altered link refused; the real one confirms.
    let mut altered = token.clone();
    altered.replace_range(0..1, if token.starts_with('A') { "B" } else { "A" });
    let r = c.send(
        "POST",
        &format!("/api/recovery/{altered}/confirm"),
        json!({"code": code, "captcha_token": CAPTCHA_PASS}),
    );
    assert_eq!((r.status, r.error()), (410, "link_expired"));
    let r = c.send(
        "POST",
        &format!("/api/recovery/{token}/confirm"),
        json!({"code": code, "captcha_token": CAPTCHA_PASS}),
    );
    assert_eq!(r.json["status"], "suspended", "{:?}", r.json);
    let notice = wait_email(&standin, 2);
    assert!(
        notice.json()["Subject"]
            .as_str()
            .unwrap()
            .contains("OTP was turned off")
    );

    // Reused link refused.
    let r = c.send("GET", &format!("/api/recovery/{token}"), Value::Null);
    assert_eq!((r.status, r.error()), (410, "link_expired"));

    // Password alone signs in; a new key activates.
    let mut me = host.client();
    assert_eq!(
        me.send(
            "POST",
            "/api/session",
            json!({"email": EMAIL, "password": PASSWORD})
        )
        .json["status"],
        "signed_in"
    );
    assert_eq!(
        me.send("GET", "/api/account", Value::Null).json["otp"]["status"],
        "suspended"
    );
    let key = me.send("POST", "/api/otp/setup", json!({})).json["shared_key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(key, old_key);
    wait_for_fresh_step(3);
    let r = me.send(
        "POST",
        "/api/otp/activate",
        json!({"password": PASSWORD, "code": oathtool_code(&key, unix_now())}),
    );
    assert_eq!(r.json["status"], "active", "{:?}", r.json);
    let events = me.send("GET", "/api/account", Value::Null).json["recent_events"].clone();
    let names: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    for expected in [
        "otp_activated",
        "otp_suspended",
        "recovery_sms_sent",
        "recovery_phone_mismatch",
        "recovery_requested",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
}

#[test]
fn support_reset_needs_the_bearer() {
    let dir = tempfile::tempdir().unwrap();
    let standin = StandIn::start();
    let host = start(dir.path(), &standin);
    active_account(&host);
    let mut c = host.client();
    let path = format!(
        "/api/admin/accounts/{}/otp/reset",
        EMAIL.replace('@', "%40")
    );
    let r = c.send("POST", &path, json!({"reason": "identity checked"}));
    assert_eq!((r.status, r.error()), (401, "admin_auth_required"));
    let r = c.raw_with_header(
        "POST",
        &path,
        "application/json",
        br#"{"reason":"identity checked"}"#,
        ("authorization", "Bearer wrong"),
    );
    assert_eq!((r.status, r.error()), (403, "admin_forbidden"));
    assert!(otp_required(&host));
    let bearer = format!("Bearer {ADMIN}");
    let r = c.raw_with_header(
        "POST",
        &path,
        "application/json",
        br#"{"reason":"identity checked by video call"}"#,
        ("authorization", &bearer),
    );
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert!(!otp_required(&host));
    let notice = wait_email(&standin, 1);
    assert_eq!(notice.json()["To"], EMAIL);
}
