//! The limits of otp_core::throttle, each with its number, through the flows.

mod support;

use otp_core::flows::{FlowError, SignIn};
use otp_core::ports::Message;
use otp_core::throttle::{self, FailureCounter, Verdict};
use support::{World, code_for};

const EMAIL: &str = "bob@example.com";
const PASSWORD: &str = "correct horse battery";

fn active_account(world: &World) -> (String, String) {
    let svc = world.service();
    let id = svc.register(EMAIL, PASSWORD, Some("+12025550143")).unwrap();
    let key = svc.setup_otp(&id).unwrap().shared_key;
    svc.activate_otp(&id, PASSWORD, &code_for(&key, world.unix()))
        .unwrap();
    (id, key)
}

/// A well-formed code that is wrong now (differs from every code of the window).
fn wrong_code(world: &World, key: &str) -> String {
    let window: Vec<String> = [-30i64, 0, 30]
        .iter()
        .map(|d| code_for(key, world.unix().checked_add_signed(*d).unwrap()))
        .collect();
    (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|c| !window.contains(c))
        .unwrap()
}

fn challenge(world: &World) -> String {
    match world.service().sign_in(EMAIL, PASSWORD).unwrap() {
        SignIn::OtpRequired(c) => c.as_str().to_owned(),
        SignIn::SignedIn(_) => panic!("OTP is active"),
    }
}

#[test]
fn delays_start_at_the_fifth_code_failure_and_double_up_to_an_hour() {
    let expected_s = [60, 120, 240, 480, 960, 1920, 3600, 3600];
    for (i, want) in expected_s.iter().enumerate() {
        let failures = throttle::CODE_FREE_FAILURES + i as u32;
        assert_eq!(
            throttle::delay_after(failures, throttle::CODE_FREE_FAILURES),
            Some(want * 1000)
        );
    }
    assert_eq!(throttle::delay_after(4, throttle::CODE_FREE_FAILURES), None);
    assert_eq!(throttle::delay_after(u32::MAX, 5), Some(3_600_000));
}

#[test]
fn five_wrong_codes_lock_codes_for_a_minute_across_sessions_with_one_notice() {
    let world = World::new();
    let (_, key) = active_account(&world);
    world.outbox.take();
    for _ in 0..5 {
        // A fresh challenge each time: the limit is per account, not per sign-in.
        let c = challenge(&world);
        let wrong = wrong_code(&world, &key);
        assert!(matches!(
            world.service().sign_in_otp(&c, &wrong),
            Err(FlowError::InvalidCode)
        ));
    }
    let notices: Vec<Message> = world.outbox.take();
    assert_eq!(notices.len(), 1, "one notice e-mail per lock");
    assert!(matches!(&notices[0], Message::Email { to, .. } if to == EMAIL));
    // Locked: even the right code is refused, with retry_after 60 s.
    world.clock.advance(30_000);
    let c = challenge(&world);
    let right = code_for(&key, world.unix());
    match world.service().sign_in_otp(&c, &right) {
        Err(FlowError::TooManyAttempts { retry_after_s }) => assert_eq!(retry_after_s, 30),
        other => panic!("expected 429, got {other:?}"),
    }
    // After the minute a right code passes and resets the count.
    world.clock.advance(31_000);
    let right = code_for(&key, world.unix());
    world.service().sign_in_otp(&c, &right).unwrap();
    let c = challenge(&world);
    let wrong = wrong_code(&world, &key);
    assert!(matches!(
        world.service().sign_in_otp(&c, &wrong),
        Err(FlowError::InvalidCode)
    ));
    assert!(world.outbox.take().is_empty());
}

#[test]
fn no_sequence_of_attempts_tries_more_than_100_codes_in_a_row() {
    let world = World::new();
    let (_, key) = active_account(&world);
    let mut checked_failures = 0;
    let mut locked_out = false;
    for _ in 0..400 {
        let c = challenge(&world);
        let wrong = wrong_code(&world, &key);
        match world.service().sign_in_otp(&c, &wrong) {
            Err(FlowError::InvalidCode) => checked_failures += 1,
            Err(FlowError::TooManyAttempts { retry_after_s }) => {
                world.clock.advance(retry_after_s * 1000)
            }
            Err(FlowError::LockedOut) => {
                locked_out = true;
                world.clock.advance(3_600_000 * 24);
            }
            Err(FlowError::ChallengeExpired) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(locked_out);
    assert_eq!(checked_failures, throttle::MAX_CONSECUTIVE_FAILURES);
}

#[test]
fn ten_wrong_passwords_lock_the_address_whether_or_not_it_has_an_account() {
    let world = World::new();
    world.service().register(EMAIL, PASSWORD, None).unwrap();
    for email in [EMAIL, "nobody@example.com"] {
        // Different client addresses: this is the per-account limit.
        for i in 0..10 {
            let svc = world.service_from(&format!("198.51.100.{i}"));
            assert!(matches!(
                svc.sign_in(email, "wrong password!"),
                Err(FlowError::InvalidCredentials)
            ));
        }
        let svc = world.service_from("198.51.100.99");
        match svc.sign_in(email, PASSWORD) {
            Err(FlowError::TooManyAttempts { retry_after_s }) => assert_eq!(retry_after_s, 60),
            other => panic!("{email}: expected 429, got {other:?}"),
        }
    }
    world.clock.advance(60_000);
    assert!(world.service().sign_in(EMAIL, PASSWORD).is_ok());
}

#[test]
fn one_address_spraying_many_accounts_is_stopped_after_30_failures() {
    let world = World::new();
    let svc = world.service_from("203.0.113.7");
    for i in 0..throttle::ADDRESS_MAX_FAILURES {
        let email = format!("user{i}@example.com");
        assert!(matches!(
            svc.sign_in(&email, "Password123!"),
            Err(FlowError::InvalidCredentials)
        ));
    }
    assert!(matches!(
        svc.sign_in("another@example.com", "Password123!"),
        Err(FlowError::TooManyAttempts { .. })
    ));
    // Another address is unaffected. Counts are kept in fixed 15-minute windows and the
    // current and previous one together are bounded, so a full window is refused until
    // the window after the next begins (retry_after says when).
    assert!(matches!(
        world
            .service_from("203.0.113.8")
            .sign_in("another@example.com", "Password123!"),
        Err(FlowError::InvalidCredentials)
    ));
    let Err(FlowError::TooManyAttempts { retry_after_s }) =
        svc.sign_in("another@example.com", "Password123!")
    else {
        panic!("still refused")
    };
    assert!(retry_after_s > throttle::ADDRESS_WINDOW_MS / 1000);
    assert!(retry_after_s <= 2 * throttle::ADDRESS_WINDOW_MS / 1000);
    world.clock.advance(retry_after_s * 1000 - 1000);
    assert!(matches!(
        svc.sign_in("another@example.com", "Password123!"),
        Err(FlowError::TooManyAttempts { .. })
    ));
    world.clock.advance(1000);
    assert!(matches!(
        svc.sign_in("another@example.com", "Password123!"),
        Err(FlowError::InvalidCredentials)
    ));
}

#[test]
fn counter_verdicts() {
    let mut c = FailureCounter::default();
    for _ in 0..4 {
        assert!(!c.fail(0, 5));
    }
    assert_eq!(c.verdict(0), Verdict::Allowed);
    assert!(c.fail(0, 5), "the fifth failure starts a lock");
    assert_eq!(c.verdict(0), Verdict::RetryAfter(60));
    assert_eq!(c.verdict(59_001), Verdict::RetryAfter(1));
    assert_eq!(c.verdict(60_000), Verdict::Allowed);
    assert!(!c.fail(60_000, 5), "a longer lock, not a new notice");
    c.succeed();
    assert_eq!(c, FailureCounter::default());
}
