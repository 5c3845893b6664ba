//! Lost-keychain recovery end to end: edge-host with stand-in Postmark, Twilio and
//! siteverify servers on 127.0.0.1 that record what they receive (the flow itself is
//! [`tests::recovery::check_recovery_flow`], run on Spin too).

use serde_json::json;
use tests::recovery::{PASSWORD, PHONE, check_recovery_flow, otp_required, wait_email};
use tests::standin::StandIn;
use tests::{EdgeHost, register_active};

const EMAIL: &str = "dana@example.com";
const ADMIN: &str = "support-bearer-token";

/// An account with active OTP on a fresh edge-host with stand-in providers, and a
/// recovery link requested for it: the stand-ins, the host, a client, the link's token.
fn account_with_link(dir: &std::path::Path) -> (StandIn, EdgeHost, tests::Client, String) {
    let standin = StandIn::start();
    let host = start(dir, &standin);
    register_active(&host, EMAIL, PASSWORD, PHONE);
    let mut c = host.client();
    c.send("POST", "/api/recovery", json!({"email": EMAIL}));
    let token = tests::recovery::link_token(&wait_email(&standin, 1));
    (standin, host, c, token)
}

fn start(dir: &std::path::Path, standin: &StandIn) -> EdgeHost {
    let mut vars = standin.variables();
    vars.push(("admin_token".into(), ADMIN.into()));
    EdgeHost::start_with(dir, move |base| {
        let mut vars = vars.clone();
        vars.push(("public_base_url".into(), base.to_owned()));
        vars
    })
}

#[test]
fn recovery_through_the_providers_then_a_new_activation() {
    let dir = tempfile::tempdir().unwrap();
    let standin = StandIn::start();
    let host = start(dir.path(), &standin);
    check_recovery_flow(&[&host], &standin, EMAIL);
}

#[test]
fn support_reset_needs_the_bearer() {
    let dir = tempfile::tempdir().unwrap();
    let standin = StandIn::start();
    let host = start(dir.path(), &standin);
    register_active(&host, EMAIL, PASSWORD, PHONE);
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
    assert!(otp_required(&host, EMAIL));
    let bearer = format!("Bearer {ADMIN}");
    let r = c.raw_with_header(
        "POST",
        &path,
        "application/json",
        br#"{"reason":"identity checked by video call"}"#,
        ("authorization", &bearer),
    );
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert!(!otp_required(&host, EMAIL));
    let notice = wait_email(&standin, 1);
    assert_eq!(notice.json()["To"], EMAIL);
}

/// The SMS provider down (503), answering garbage, then not answering at all (longer
/// than edge-api's 10 s answer timeout): each send is a 502 `provider_unavailable` that
/// counts nothing — the link may still send all its texts — and once the provider is
/// back the next send works and its code recovers.
#[test]
fn a_failing_sms_provider_is_a_502_that_counts_nothing() {
    use tests::recovery::wait_sms;
    use tests::standin::Outage;
    let dir = tempfile::tempdir().unwrap();
    let (standin, host, mut c, token) = account_with_link(dir.path());
    let view = |c: &mut tests::Client| {
        c.send(
            "GET",
            &format!("/api/recovery/{token}"),
            serde_json::Value::Null,
        )
    };
    let left = view(&mut c).json["sms_sends_left"].clone();
    for (outage, tries) in [
        (Outage::SmsUnavailable, 4),
        (Outage::SmsGarbage, 4),
        (Outage::SmsHang, 1),
    ] {
        standin.fail(Some(outage));
        for _ in 0..tries {
            let r = c.send(
                "POST",
                &format!("/api/recovery/{token}/sms"),
                json!({"phone": PHONE}),
            );
            assert_eq!(
                (r.status, r.error()),
                (502, "provider_unavailable"),
                "{outage:?}"
            );
            assert!(!r.json["message"].as_str().unwrap().is_empty());
        }
        let v = view(&mut c);
        assert_eq!(
            v.json["sms_sends_left"], left,
            "{outage:?}: nothing counted"
        );
        assert_eq!(v.json["sms_status"], "not_sent");
    }
    standin.fail(None);
    let r = c.send(
        "POST",
        &format!("/api/recovery/{token}/sms"),
        json!({"phone": PHONE}),
    );
    assert_eq!(r.status, 202, "{:?}", r.json);
    // 9 refused requests reached the stand-in, then the one that was taken.
    let sms = wait_sms(&standin, 10);
    let code = sms.form("Body").unwrap()[..6].to_owned();
    let r = c.send(
        "POST",
        &format!("/api/recovery/{token}/confirm"),
        json!({"code": code, "captcha_token": tests::standin::CAPTCHA_PASS}),
    );
    assert_eq!(r.json["status"], "suspended", "{:?}", r.json);
    let events = otp_events(&host);
    assert!(
        events.contains(&"recovery_sms_not_sent".to_owned()),
        "{events:?}"
    );
}

fn otp_events(host: &EdgeHost) -> Vec<String> {
    let mut me = host.client();
    me.send(
        "POST",
        "/api/session",
        json!({"email": EMAIL, "password": PASSWORD}),
    );
    me.send("GET", "/api/account", serde_json::Value::Null).json["recent_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect()
}

/// The CAPTCHA service down, then answering garbage: confirming is a 502
/// `provider_unavailable` that spends nothing — the same SMS code confirms once the
/// service is back.
#[test]
fn a_failing_captcha_service_is_a_502_that_spends_nothing() {
    use tests::recovery::wait_sms;
    use tests::standin::{CAPTCHA_PASS, Outage};
    let dir = tempfile::tempdir().unwrap();
    let (standin, host, mut c, token) = account_with_link(dir.path());
    let r = c.send(
        "POST",
        &format!("/api/recovery/{token}/sms"),
        json!({"phone": PHONE}),
    );
    assert_eq!(r.status, 202, "{:?}", r.json);
    let code = wait_sms(&standin, 1).form("Body").unwrap()[..6].to_owned();
    for outage in [Outage::CaptchaUnavailable, Outage::CaptchaGarbage] {
        standin.fail(Some(outage));
        // More than the SMS code's five tries: none is spent.
        for _ in 0..6 {
            let r = c.send(
                "POST",
                &format!("/api/recovery/{token}/confirm"),
                json!({"code": code, "captcha_token": CAPTCHA_PASS}),
            );
            assert_eq!(
                (r.status, r.error()),
                (502, "provider_unavailable"),
                "{outage:?}"
            );
        }
    }
    assert!(otp_required(&host, EMAIL), "OTP still active");
    standin.fail(None);
    let r = c.send(
        "POST",
        &format!("/api/recovery/{token}/confirm"),
        json!({"code": code, "captcha_token": CAPTCHA_PASS}),
    );
    assert_eq!(r.json["status"], "suspended", "{:?}", r.json);
}
