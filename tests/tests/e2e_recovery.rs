//! Lost-keychain recovery end to end: edge-host with stand-in Postmark, Twilio and
//! siteverify servers on 127.0.0.1 that record what they receive (the flow itself is
//! [`tests::recovery::check_recovery_flow`], run on Spin too).

use serde_json::json;
use tests::recovery::{PASSWORD, PHONE, check_recovery_flow, otp_required, wait_email};
use tests::standin::StandIn;
use tests::{EdgeHost, register_active};

const EMAIL: &str = "dana@example.com";
const ADMIN: &str = "support-bearer-token";

fn start(dir: &std::path::Path, standin: &StandIn) -> EdgeHost {
    let mut vars = standin.variables();
    vars.push(("admin_token".into(), ADMIN.into()));
    EdgeHost::start_with(dir, move |base| {
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
