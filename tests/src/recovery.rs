//! Lost-keychain recovery end to end through the stand-in providers, on any server (or
//! several sharing one store, each request on the next): link by e-mail, SMS code,
//! delivery callbacks signed as Twilio signs them (Python's hmac, an implementation
//! nobody here wrote), CAPTCHA, then a new activation.

use crate::standin::{CAPTCHA_PASS, Recorded, SMS_AUTH_TOKEN, StandIn};
use crate::{Client, Serves, oathtool_code, register_active, unix_now, wait_for_fresh_step};
use serde_json::{Value, json};
use std::process::Command;

/// The password of the accounts made here.
pub const PASSWORD: &str = "a long enough password";
/// The phone of the accounts made here.
pub const PHONE: &str = "+447911123456";

/// E-mails the stand-in received.
pub fn emails(s: &StandIn) -> Vec<Recorded> {
    s.all().into_iter().filter(|r| r.path == "/email").collect()
}

/// The `n`th e-mail (1-based), waiting for it.
pub fn wait_email(s: &StandIn, n: usize) -> Recorded {
    let found = s.wait_for(n, |r| r.path == "/email");
    assert!(
        found.len() >= n,
        "expected {n} e-mails, got {}",
        found.len()
    );
    found[n - 1].clone()
}

/// The `n`th text message (1-based), waiting for it.
pub fn wait_sms(s: &StandIn, n: usize) -> Recorded {
    let found = s.wait_for(n, |r| r.path.ends_with("/Messages.json"));
    assert!(found.len() >= n, "expected {n} texts, got {}", found.len());
    found[n - 1].clone()
}

/// The token after `#` of the recovery link in an e-mail.
pub fn link_token(email: &Recorded) -> String {
    let body = email.json()["TextBody"].as_str().unwrap().to_owned();
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/recovery.html#"))
        .expect("a link");
    link.split('#').nth(1).unwrap().to_owned()
}

/// Twilio's `X-Twilio-Signature` of a form POST to `url` (HMAC-SHA1 over the URL and
/// the sorted parameters, Base64), computed by Python.
fn signature(url: &str, params: &[(&str, &str)]) -> String {
    let script = "import sys,hmac,hashlib,base64\n\
        token,url=sys.argv[1],sys.argv[2]\n\
        pairs=sorted(a.split('=',1) for a in sys.argv[3:])\n\
        s=url+''.join(k+v for k,v in pairs)\n\
        print(base64.b64encode(hmac.new(token.encode(),s.encode(),hashlib.sha1).digest()).decode())";
    let out = Command::new("python3")
        .args(["-c", script, SMS_AUTH_TOKEN, url])
        .args(params.iter().map(|(k, v)| format!("{k}={v}")))
        .output()
        .expect("python3");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A delivery-status callback as Twilio sends it to `status_callback` (the URL the
/// SMS request named); returns the status.
pub fn callback(status_callback: &str, sid: &str, status: &str, good_signature: bool) -> u16 {
    let params = [
        ("MessageSid", sid),
        ("MessageStatus", status),
        ("AccountSid", "AC0123456789"),
    ];
    let sig = if good_signature {
        signature(status_callback, &params)
    } else {
        "AAAAAAAAAAAAAAAAAAAAAAAAAAA=".into()
    };
    let body: String = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let (base, path) = status_callback.split_at(
        status_callback
            .find("/api/")
            .expect("a callback URL under /api/"),
    );
    Client::new(base)
        .raw_with_header(
            "POST",
            path,
            "application/x-www-form-urlencoded",
            body.as_bytes(),
            ("x-twilio-signature", &sig),
        )
        .status
}

/// Whether signing in with the password alone asks for an OTP code.
pub fn otp_required(host: &dyn Serves, email: &str) -> bool {
    host.client()
        .send(
            "POST",
            "/api/session",
            json!({"email": email, "password": PASSWORD}),
        )
        .json["status"]
        == "otp_required"
}

/// The whole recovery flow for a new account `email`, each request on the next of
/// `hosts`; `standin` must be fresh (it counts e-mails from zero).
pub fn check_recovery_flow(hosts: &[&dyn Serves], standin: &StandIn, email: &str) {
    let next = |i: usize| hosts[i % hosts.len()];
    let old_key = register_active(next(0), email, PASSWORD, PHONE).0;
    let mut c = next(1).client();

    // Unknown address: the identical answer, and no e-mail.
    let unknown = c.send(
        "POST",
        "/api/recovery",
        json!({"email": "nobody@example.com"}),
    );
    let known = c.send("POST", "/api/recovery", json!({"email": email}));
    assert_eq!((unknown.status, &unknown.json), (202, &known.json));
    let mail = wait_email(standin, 1);
    assert_eq!(emails(standin).len(), 1);
    assert_eq!(
        mail.header("x-postmark-server-token"),
        Some("pm-server-token")
    );
    assert_eq!(mail.json()["To"], email);
    let token = link_token(&mail);

    let mut c = c.on(next(2));
    let view = c.send("GET", &format!("/api/recovery/{token}"), Value::Null);
    assert_eq!(view.json["phone_hint"], "+44 ••••••••56");
    assert_eq!(view.json["captcha"]["provider"], "hcaptcha");

    // Wrong phone, then the right one.
    let mut c = c.on(next(3));
    let r = c.send(
        "POST",
        &format!("/api/recovery/{token}/sms"),
        json!({"phone": "+12025550143"}),
    );
    assert_eq!((r.status, r.error()), (400, "phone_mismatch"));
    let mut c = c.on(next(4));
    let r = c.send(
        "POST",
        &format!("/api/recovery/{token}/sms"),
        json!({"phone": "+44 7911 123456"}),
    );
    assert_eq!(r.status, 202, "{:?}", r.json);
    let sms = wait_sms(standin, 1);
    assert_eq!(sms.path, "/2010-04-01/Accounts/AC0123456789/Messages.json");
    assert!(sms.header("authorization").unwrap().starts_with("Basic "));
    assert_eq!(sms.form("To").as_deref(), Some(PHONE));
    let status_callback = sms.form("StatusCallback").expect("a StatusCallback");
    assert!(
        status_callback.ends_with("/api/callbacks/sms"),
        "{status_callback}"
    );
    let code = sms.form("Body").unwrap()[..6].to_owned();

    // Delivery callbacks: a bad signature is refused, a good one is stored and shown.
    let sid = "SM00000000000000000000000000000002";
    assert_eq!(callback(&status_callback, sid, "failed", false), 403);
    assert_eq!(callback(&status_callback, sid, "delivered", true), 204);
    let mut c = c.on(next(5));
    let view = c.send("GET", &format!("/api/recovery/{token}"), Value::Null);
    assert_eq!(view.json["sms_status"], "delivered", "{:?}", view.json);

    // A wrong code and a refused CAPTCHA each fail and leave OTP active.
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let mut c = c.on(next(6));
    let r = c.send(
        "POST",
        &format!("/api/recovery/{token}/confirm"),
        json!({"code": wrong, "captcha_token": CAPTCHA_PASS}),
    );
    assert_eq!((r.status, r.error()), (401, "invalid_code"));
    let mut c = c.on(next(7));
    let r = c.send(
        "POST",
        &format!("/api/recovery/{token}/confirm"),
        json!({"code": code, "captcha_token": "robot"}),
    );
    assert_eq!((r.status, r.error()), (400, "captcha_failed"));
    assert!(otp_required(next(8), email));
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
    let mut c = c.on(next(9));
    let r = c.send(
        "POST",
        &format!("/api/recovery/{altered}/confirm"),
        json!({"code": code, "captcha_token": CAPTCHA_PASS}),
    );
    assert_eq!((r.status, r.error()), (410, "link_expired"));
    let mut c = c.on(next(10));
    let r = c.send(
        "POST",
        &format!("/api/recovery/{token}/confirm"),
        json!({"code": code, "captcha_token": CAPTCHA_PASS}),
    );
    assert_eq!(r.json["status"], "suspended", "{:?}", r.json);
    let notice = wait_email(standin, 2);
    assert!(
        notice.json()["Subject"]
            .as_str()
            .unwrap()
            .contains("OTP was turned off")
    );

    // Reused link refused.
    let mut c = c.on(next(11));
    let r = c.send("GET", &format!("/api/recovery/{token}"), Value::Null);
    assert_eq!((r.status, r.error()), (410, "link_expired"));

    // Password alone signs in; a new key activates.
    let mut me = next(12).client();
    assert_eq!(
        me.send(
            "POST",
            "/api/session",
            json!({"email": email, "password": PASSWORD})
        )
        .json["status"],
        "signed_in"
    );
    let mut me = me.on(next(13));
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
    let mut me = me.on(next(14));
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
