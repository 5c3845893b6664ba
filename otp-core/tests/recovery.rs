//! Lost-keychain recovery and the support reset, over the in-memory store.

mod support;

use otp_core::flows::{FlowError, OtpStatus, SignIn};
use otp_core::ports::Message;
use otp_core::webhook;
use support::{World, code_for};

const EMAIL: &str = "carol@example.com";
const PASSWORD: &str = "correct horse battery";
const PHONE: &str = "+44 7911 123456";

fn active(world: &World) -> String {
    let svc = world.service();
    let id = svc.register(EMAIL, PASSWORD, Some(PHONE)).unwrap();
    let key = svc.setup_otp(&id).unwrap().shared_key;
    svc.activate_otp(&id, PASSWORD, &code_for(&key, world.unix()))
        .unwrap();
    world.outbox.take();
    id
}

/// Request recovery and return the token from the link in the e-mail.
fn link_token(world: &World) -> String {
    world.service().request_recovery(EMAIL).unwrap();
    let messages = world.outbox.take();
    let [Message::Email { to, body, .. }] = messages.as_slice() else {
        panic!("one e-mail expected, got {messages:?}")
    };
    assert_eq!(to, EMAIL);
    let link = body
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:3000/recovery.html#"))
        .expect("a link to public_base_url");
    link.split('#').nth(1).unwrap().to_owned()
}

/// Send the SMS and return the code from it.
fn sms_code(world: &World, token: &str) -> String {
    world
        .service()
        .recovery_send_sms(token, "+447911123456")
        .unwrap();
    let messages = world.outbox.take();
    let [
        Message::Sms {
            to,
            body,
            reference,
        },
    ] = messages.as_slice()
    else {
        panic!("one SMS expected, got {messages:?}")
    };
    assert_eq!(to, "+447911123456");
    assert!(reference.is_some());
    body[..6].to_owned()
}

#[test]
fn the_whole_recovery_suspends_otp_and_sign_in_needs_only_the_password() {
    let world = World::new();
    let id = active(&world);
    let token = link_token(&world);
    let view = world.service().recovery_view(&token).unwrap();
    assert_eq!(view.phone_hint.as_deref(), Some("+44 ••••••••56"));
    let code = sms_code(&world, &token);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    world
        .service()
        .recovery_confirm(&token, &code, true)
        .unwrap();
    let otp = world.service().account_view(&id).unwrap().otp;
    assert_eq!(otp.status, OtpStatus::Suspended);
    assert_eq!(
        otp.recovery_codes_left, None,
        "the suspension ends the recovery codes"
    );
    let notices = world.outbox.take();
    assert!(
        matches!(&notices[..], [Message::Email { subject, .. }] if subject.contains("OTP was turned off"))
    );
    assert!(matches!(
        world.service().sign_in(EMAIL, PASSWORD).unwrap(),
        SignIn::SignedIn(_)
    ));
    // Link and code are single use.
    assert!(matches!(
        world.service().recovery_confirm(&token, &code, true),
        Err(FlowError::LinkExpired)
    ));
    // A fresh activation works from suspended, with a fresh set of recovery codes.
    let key = world.service().setup_otp(&id).unwrap().shared_key;
    let codes = world
        .service()
        .activate_otp(&id, PASSWORD, &code_for(&key, world.unix()))
        .unwrap();
    assert_eq!(codes.len(), 10);
}

#[test]
fn unknown_or_otp_less_addresses_get_the_same_answer_and_no_mail() {
    let world = World::new();
    world
        .service()
        .register("nootp@example.com", PASSWORD, Some(PHONE))
        .unwrap();
    for email in ["nobody@example.com", "nootp@example.com", "not an address"] {
        assert!(world.service().request_recovery(email).is_ok());
    }
    assert!(world.outbox.take().is_empty());
}

#[test]
fn three_recovery_mails_per_account_per_hour_then_silence() {
    let world = World::new();
    active(&world);
    for i in 0..5 {
        let svc = world.service_from(&format!("198.51.100.{i}"));
        assert!(svc.request_recovery(EMAIL).is_ok());
    }
    assert_eq!(world.outbox.take().len(), 3);
    world.clock.advance(3_600_000);
    world.service().request_recovery(EMAIL).unwrap();
    assert_eq!(world.outbox.take().len(), 1);
}

#[test]
fn ten_requests_per_address_per_hour() {
    let world = World::new();
    for _ in 0..10 {
        world.service().request_recovery("x@example.com").unwrap();
    }
    assert!(matches!(
        world.service().request_recovery("x@example.com"),
        Err(FlowError::TooManyAttempts { .. })
    ));
}

#[test]
fn expired_altered_and_reused_links_are_refused() {
    let world = World::new();
    active(&world);
    let token = link_token(&world);
    let mut altered = token.clone().into_bytes();
    altered[0] = if altered[0] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    assert!(matches!(
        world.service().recovery_view(&altered),
        Err(FlowError::LinkExpired)
    ));
    assert!(matches!(
        world.service().recovery_view("short"),
        Err(FlowError::LinkExpired)
    ));
    world.clock.advance(30 * 60 * 1000);
    assert!(matches!(
        world.service().recovery_view(&token),
        Err(FlowError::LinkExpired)
    ));
}

#[test]
fn wrong_phone_wrong_code_expired_code_refused_captcha_each_leave_otp_active() {
    let world = World::new();
    let id = active(&world);
    let token = link_token(&world);
    assert!(matches!(
        world.service().recovery_send_sms(&token, "+1 202 555 0143"),
        Err(FlowError::PhoneMismatch)
    ));
    assert!(matches!(
        world.service().recovery_confirm(&token, "123456", true),
        Err(FlowError::SmsCodeRequired)
    ));
    let code = sms_code(&world, &token);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    assert!(matches!(
        world.service().recovery_confirm(&token, wrong, true),
        Err(FlowError::WrongSmsCode)
    ));
    assert!(matches!(
        world.service().recovery_confirm(&token, &code, false),
        Err(FlowError::CaptchaFailed)
    ));
    world.clock.advance(10 * 60 * 1000);
    assert!(matches!(
        world.service().recovery_confirm(&token, &code, true),
        Err(FlowError::SmsCodeRequired)
    ));
    assert_eq!(
        world.service().account_view(&id).unwrap().otp.status,
        OtpStatus::Active
    );
}

#[test]
fn three_texts_per_link_and_five_per_phone_per_day() {
    let world = World::new();
    active(&world);
    let first = link_token(&world);
    for _ in 0..3 {
        sms_code(&world, &first);
    }
    assert!(matches!(
        world.service().recovery_send_sms(&first, PHONE),
        Err(FlowError::TooManyAttempts { .. })
    ));
    let second = link_token(&world);
    for _ in 0..2 {
        sms_code(&world, &second);
    }
    assert!(
        matches!(
            world.service().recovery_send_sms(&second, PHONE),
            Err(FlowError::TooManyAttempts { .. })
        ),
        "the sixth text to one phone in a day"
    );
}

#[test]
fn delivery_status_from_the_callback_shows_on_the_link() {
    let world = World::new();
    active(&world);
    let token = link_token(&world);
    world.service().recovery_send_sms(&token, PHONE).unwrap();
    let Some(Message::Sms {
        reference: Some(reference),
        ..
    }) = world.outbox.take().pop()
    else {
        panic!()
    };
    world.service().sms_sent(&reference, "SM123").unwrap();
    assert_eq!(
        world
            .service()
            .recovery_view(&token)
            .unwrap()
            .sms_status
            .as_deref(),
        Some("queued")
    );
    world.service().sms_status("SM123", "failed").unwrap();
    assert_eq!(
        world
            .service()
            .recovery_view(&token)
            .unwrap()
            .sms_status
            .as_deref(),
        Some("failed")
    );
    world
        .service()
        .sms_status("SMunknown", "delivered")
        .unwrap();
}

#[test]
fn support_reset_needs_the_right_bearer_and_a_reason() {
    let mut world = World::new();
    world.config.admin_token = Some(otp_core::tokens::SecretString::new("s3cret-admin".into()));
    let id = active(&world);
    let svc = world.service();
    assert!(matches!(
        svc.admin_reset(None, EMAIL, "id checked"),
        Err(FlowError::AdminAuthRequired)
    ));
    assert!(matches!(
        svc.admin_reset(Some("wrong"), EMAIL, "id checked"),
        Err(FlowError::AdminForbidden)
    ));
    assert!(matches!(
        svc.admin_reset(Some("s3cret-admin"), EMAIL, " "),
        Err(FlowError::InvalidReason)
    ));
    assert!(matches!(
        svc.admin_reset(Some("s3cret-admin"), "nobody@example.com", "id checked"),
        Err(FlowError::AccountNotFound)
    ));
    svc.admin_reset(Some("s3cret-admin"), EMAIL, "passport checked by phone")
        .unwrap();
    assert_eq!(
        svc.account_view(&id).unwrap().otp.status,
        OtpStatus::Suspended
    );
    let log = svc.audit_log(&id).unwrap();
    assert_eq!(log[0].kind.as_str(), "admin_reset");
    assert_eq!(log[0].detail.as_deref(), Some("passport checked by phone"));
    assert_eq!(
        world.outbox.take().len(),
        1,
        "the account gets the notice e-mail"
    );
}

#[test]
fn a_failed_activation_after_a_suspension_leaves_otp_suspended() {
    let mut world = World::new();
    world.config.admin_token = Some(otp_core::tokens::SecretString::new("s3cret-admin".into()));
    let id = active(&world);
    let svc = world.service();
    svc.admin_reset(Some("s3cret-admin"), EMAIL, "passport checked by phone")
        .unwrap();
    let status = |svc: &otp_core::flows::Service<'_>| svc.account_view(&id).unwrap().otp.status;
    // Wrong code (one from an hour ago), wrong password, expired setup: each discards
    // the pending secret and the account is asked again to set OTP up.
    let key = svc.setup_otp(&id).unwrap().shared_key;
    assert!(matches!(
        svc.activate_otp(&id, PASSWORD, &code_for(&key, world.unix() - 3600)),
        Err(FlowError::ActivationFailed(_))
    ));
    assert_eq!(status(&svc), OtpStatus::Suspended);
    svc.setup_otp(&id).unwrap();
    // A second setup replaces the first and still follows the suspension.
    let key = svc.setup_otp(&id).unwrap().shared_key;
    assert!(matches!(
        svc.activate_otp(&id, "wrong password", &code_for(&key, world.unix())),
        Err(FlowError::ActivationFailed(_))
    ));
    assert_eq!(status(&svc), OtpStatus::Suspended);
    let key = svc.setup_otp(&id).unwrap().shared_key;
    world.clock.advance(otp_core::config::PENDING_TTL_MS + 1000);
    assert!(matches!(
        svc.activate_otp(&id, PASSWORD, &code_for(&key, world.unix())),
        Err(FlowError::ActivationFailed(_))
    ));
    assert_eq!(status(&svc), OtpStatus::Suspended);
    // Activated at last, then deactivated: a later failed setup is plain `disabled`.
    let key = svc.setup_otp(&id).unwrap().shared_key;
    svc.activate_otp(&id, PASSWORD, &code_for(&key, world.unix()))
        .unwrap();
    assert_eq!(status(&svc), OtpStatus::Active);
    world.clock.advance(30_000);
    svc.deactivate_otp(&id, PASSWORD, &code_for(&key, world.unix()))
        .unwrap();
    let key = svc.setup_otp(&id).unwrap().shared_key;
    assert!(matches!(
        svc.activate_otp(&id, PASSWORD, &code_for(&key, world.unix() - 3600)),
        Err(FlowError::ActivationFailed(_))
    ));
    assert_eq!(status(&svc), OtpStatus::Disabled);
}

#[test]
fn admin_reset_is_off_without_a_configured_token() {
    let world = World::new();
    active(&world);
    assert!(matches!(
        world.service().admin_reset(Some(""), EMAIL, "x"),
        Err(FlowError::AdminForbidden)
    ));
}

/// Twilio's worked example (Twilio docs "Webhooks security"; the same vector is in the
/// official twilio-python/-php/-csharp test suites).
#[test]
fn twilio_signature_matches_the_documented_example() {
    let params: Vec<(String, String)> = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    assert_eq!(
        webhook::twilio_signature("12345", url, &params),
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    );
    assert!(webhook::twilio_signature_valid(
        "12345",
        url,
        &params,
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    ));
    assert!(!webhook::twilio_signature_valid(
        "12346",
        url,
        &params,
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    ));
    let mut tampered = params.clone();
    tampered[2].1 = "9999".into();
    assert!(!webhook::twilio_signature_valid(
        "12345",
        url,
        &tampered,
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    ));
}

/// Two sends of one link race: the first one's provider fails after the second was
/// taken. Taking the first back counts it off but leaves the second's code working.
#[test]
fn a_failed_send_taken_back_late_leaves_a_newer_code_working() {
    let world = World::new();
    active(&world);
    let token = link_token(&world);
    let svc = world.service();
    svc.recovery_send_sms(&token, PHONE).unwrap();
    let Some(Message::Sms {
        reference: Some(first),
        ..
    }) = world.outbox.take().pop()
    else {
        panic!("one SMS")
    };
    let left = svc.recovery_view(&token).unwrap().sms_sends_left;
    let second = sms_code(&world, &token);
    svc.sms_not_sent(&first).unwrap();
    let view = svc.recovery_view(&token).unwrap();
    assert_eq!(view.sms_sends_left, left, "the failed send is not counted");
    assert_ne!(view.sms_status.as_deref(), Some("not_sent"));
    svc.recovery_confirm(&token, &second, true).unwrap();
}
