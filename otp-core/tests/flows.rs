//! The account and OTP flows over the in-memory store, with codes from an independent
//! RFC 6238 reference (tests/support).

mod support;

use otp_core::flows::{ActivationFailure, FlowError, OtpStatus, SignIn};
use support::{World, code_for, reference_totp};

const EMAIL: &str = "Alice@Example.com";
const PASSWORD: &str = "correct horse battery";

#[test]
fn the_reference_matches_rfc6238() {
    assert_eq!(reference_totp(b"12345678901234567890", 59, 8), "94287082");
    assert_eq!(
        reference_totp(b"12345678901234567890", 1111111109, 8),
        "07081804"
    );
}

/// Register, set a phone, set up OTP: returns (account id, Base32 key).
fn with_pending(world: &World) -> (String, String) {
    let svc = world.service();
    let id = svc.register(EMAIL, PASSWORD, None).unwrap();
    svc.set_phone(&id, "+44 7911 123456").unwrap();
    let setup = svc.setup_otp(&id).unwrap();
    (id, setup.shared_key)
}

fn with_active(world: &World) -> (String, String) {
    let (id, key) = with_pending(world);
    let code = code_for(&key, world.unix());
    world.service().activate_otp(&id, PASSWORD, &code).unwrap();
    (id, key)
}

#[test]
fn register_normalises_and_does_not_reveal_existing_addresses() {
    let world = World::new();
    let svc = world.service();
    let first = svc.register(EMAIL, PASSWORD, None).unwrap();
    world.outbox.take();
    // The same address again: an answer of the same shape, nothing created, and the
    // owner is told by e-mail.
    let second = svc
        .register("alice@example.com", "another password!", None)
        .unwrap();
    assert_ne!(first, second);
    assert_eq!(second.len(), first.len());
    assert!(svc.load_account(&second).unwrap().is_none());
    let notices = world.outbox.take();
    assert!(
        matches!(&notices[..], [otp_core::ports::Message::Email { to, .. }] if to == "alice@example.com")
    );
    assert!(matches!(
        svc.sign_in(EMAIL, PASSWORD),
        Ok(SignIn::SignedIn(_))
    ));
    assert!(matches!(
        svc.sign_in(EMAIL, "another password!"),
        Err(FlowError::InvalidCredentials)
    ));
    assert!(matches!(
        svc.register("not-an-email", PASSWORD, None),
        Err(FlowError::InvalidEmail)
    ));
    assert!(matches!(
        svc.register("b@example.com", "short", None),
        Err(FlowError::WeakPassword)
    ));
    assert!(matches!(
        svc.register("b@example.com", PASSWORD, Some("12345")),
        Err(FlowError::InvalidPhone)
    ));
}

#[test]
fn phone_is_stored_in_e164_and_required_for_setup() {
    let world = World::new();
    let svc = world.service();
    let id = svc.register(EMAIL, PASSWORD, None).unwrap();
    assert!(matches!(svc.setup_otp(&id), Err(FlowError::PhoneRequired)));
    assert_eq!(
        svc.set_phone(&id, "+1 (202) 555-0143").unwrap(),
        "+12025550143"
    );
    assert!(matches!(
        svc.set_phone(&id, "555-0143"),
        Err(FlowError::InvalidPhone)
    ));
    assert_eq!(
        svc.account_view(&id).unwrap().phone.as_deref(),
        Some("+12025550143")
    );
}

#[test]
fn setup_returns_a_160_bit_key_and_a_uri() {
    let world = World::new();
    let (id, key) = with_pending(&world);
    assert_eq!(key.len(), 32, "160 bits is 32 Base32 characters");
    assert!(
        key.bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    );
    let view = world.service().account_view(&id).unwrap();
    assert_eq!(view.otp.status, OtpStatus::Pending);
    // The key is sealed: it appears nowhere in storage.
    for (_, value) in world.store.dump() {
        assert!(!String::from_utf8_lossy(&value).contains(&key));
    }
}

#[test]
fn activation_then_sign_in_with_code_then_replay_refused() {
    let world = World::new();
    let (_, key) = with_active(&world);
    let svc = world.service();
    let SignIn::OtpRequired(challenge) = svc.sign_in(EMAIL, PASSWORD).unwrap() else {
        panic!("OTP is active: a code must be required");
    };
    // The activation step is consumed: the same code cannot sign in.
    let same = code_for(&key, world.unix());
    assert!(matches!(
        svc.sign_in_otp(challenge.as_str(), &same),
        Err(FlowError::InvalidCode)
    ));
    world.clock.advance(30_000);
    let next = code_for(&key, world.unix());
    let spaced = format!("{} {}", &next[..3], &next[3..]);
    svc.sign_in_otp(challenge.as_str(), &spaced).unwrap();
    // The challenge is spent and the step consumed.
    let SignIn::OtpRequired(again) = svc.sign_in(EMAIL, PASSWORD).unwrap() else {
        panic!()
    };
    assert!(matches!(
        svc.sign_in_otp(again.as_str(), &next),
        Err(FlowError::InvalidCode)
    ));
    assert!(matches!(
        svc.sign_in_otp(challenge.as_str(), &next),
        Err(FlowError::ChallengeExpired)
    ));
}

#[test]
fn a_wrong_code_discards_the_pending_key_and_the_next_setup_differs() {
    let world = World::new();
    let (id, key) = with_pending(&world);
    let right = code_for(&key, world.unix());
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    let err = world
        .service()
        .activate_otp(&id, PASSWORD, &wrong)
        .unwrap_err();
    assert!(matches!(
        err,
        FlowError::ActivationFailed(ActivationFailure::WrongCode)
    ));
    let svc = world.service();
    assert_eq!(
        svc.account_view(&id).unwrap().otp.status,
        OtpStatus::Disabled
    );
    // The right code for the discarded key no longer activates anything.
    assert!(matches!(
        svc.activate_otp(&id, PASSWORD, &right),
        Err(FlowError::NoPendingSetup)
    ));
    let fresh = svc.setup_otp(&id).unwrap();
    assert_ne!(fresh.shared_key, key);
}

#[test]
fn a_wrong_password_discards_the_pending_key() {
    let world = World::new();
    let (id, key) = with_pending(&world);
    let code = code_for(&key, world.unix());
    let err = world
        .service()
        .activate_otp(&id, "wrong password!", &code)
        .unwrap_err();
    assert!(matches!(
        err,
        FlowError::ActivationFailed(ActivationFailure::WrongPassword)
    ));
    assert_eq!(
        world.service().account_view(&id).unwrap().otp.status,
        OtpStatus::Disabled
    );
}

#[test]
fn a_malformed_code_changes_nothing() {
    let world = World::new();
    let (id, key) = with_pending(&world);
    let before = world.store.dump();
    let err = world
        .service()
        .activate_otp(&id, PASSWORD, "12345")
        .unwrap_err();
    assert!(matches!(err, FlowError::MalformedCode(_)));
    assert_eq!(world.store.dump(), before);
    let code = code_for(&key, world.unix());
    world.service().activate_otp(&id, PASSWORD, &code).unwrap();
}

#[test]
fn an_expired_setup_cannot_be_activated() {
    let world = World::new();
    let (id, key) = with_pending(&world);
    world.clock.advance(16 * 60 * 1000);
    let code = code_for(&key, world.unix());
    let err = world
        .service()
        .activate_otp(&id, PASSWORD, &code)
        .unwrap_err();
    assert!(matches!(
        err,
        FlowError::ActivationFailed(ActivationFailure::Expired)
    ));
}

#[test]
fn deactivation_needs_password_and_a_fresh_code() {
    let world = World::new();
    let (id, key) = with_active(&world);
    let svc = world.service();
    world.clock.advance(30_000);
    let code = code_for(&key, world.unix());
    assert!(matches!(
        svc.deactivate_otp(&id, "wrong password!", &code),
        Err(FlowError::InvalidCredentials)
    ));
    svc.deactivate_otp(&id, PASSWORD, &code).unwrap();
    assert_eq!(
        svc.account_view(&id).unwrap().otp.status,
        OtpStatus::Disabled
    );
    assert!(matches!(
        svc.sign_in(EMAIL, PASSWORD).unwrap(),
        SignIn::SignedIn(_)
    ));
}

#[test]
fn unknown_address_and_wrong_password_look_the_same() {
    let world = World::new();
    with_pending(&world);
    let svc = world.service();
    let unknown = svc.sign_in("nobody@example.com", PASSWORD).unwrap_err();
    let wrong = svc.sign_in(EMAIL, "not the password").unwrap_err();
    assert_eq!(unknown.code(), wrong.code());
    assert_eq!(unknown.to_string(), wrong.to_string());
}

#[test]
fn sessions_authenticate_until_signed_out() {
    let world = World::new();
    let svc = world.service();
    let id = svc.register(EMAIL, PASSWORD, None).unwrap();
    let SignIn::SignedIn(token) = svc.sign_in(EMAIL, PASSWORD).unwrap() else {
        panic!()
    };
    assert_eq!(svc.authenticate(token.as_str()).unwrap(), id);
    svc.sign_out(token.as_str()).unwrap();
    assert!(matches!(
        svc.authenticate(token.as_str()),
        Err(FlowError::NotSignedIn)
    ));
    assert!(matches!(
        svc.authenticate("garbage"),
        Err(FlowError::NotSignedIn)
    ));
}

#[test]
fn concurrent_submissions_of_one_code_succeed_once() {
    let world = World::new();
    let (id, key) = with_active(&world);
    world.clock.advance(30_000);
    let code = code_for(&key, world.unix());
    let successes = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    let svc = world.service();
                    let mut ok = 0;
                    // Deactivation consumes the step atomically; re-activate is not
                    // needed: only one of these may ever pass.
                    if svc.deactivate_otp(&id, PASSWORD, &code).is_ok() {
                        ok += 1;
                    }
                    ok
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum::<u32>()
    });
    assert_eq!(successes, 1);
}
