//! Recovery codes over the in-memory store: made on activation, each signs in once,
//! counted like TOTP codes, replaced as a set, gone with the active OTP. TOTP codes come
//! from the independent RFC 6238 reference in tests/support.

mod support;

use otp_core::flows::{AuditKind, FlowError, SignIn};
use otp_core::ports::{Message, Store};
use otp_core::recovery_code::{ALPHABET, CODES_PER_SET, RecoveryCode};
use support::{World, code_for};

const EMAIL: &str = "rita@example.com";
const PASSWORD: &str = "correct horse battery";

/// An account with active OTP: (id, Base32 key, the codes shown on activation).
fn active(world: &World) -> (String, String, Vec<RecoveryCode>) {
    let svc = world.service();
    let id = svc
        .register(EMAIL, PASSWORD, Some("+420 601 123 456"))
        .unwrap();
    let key = svc.setup_otp(&id).unwrap().shared_key;
    let codes = svc
        .activate_otp(&id, PASSWORD, &code_for(&key, world.unix()))
        .unwrap();
    world.outbox.take();
    (id, key, codes)
}

fn challenge(world: &World) -> String {
    match world.service().sign_in(EMAIL, PASSWORD).unwrap() {
        SignIn::OtpRequired(c) => c.to_client(),
        SignIn::SignedIn(_) => panic!("OTP is active"),
    }
}

fn left(world: &World, id: &str) -> Option<usize> {
    world
        .service()
        .account_view(id)
        .unwrap()
        .otp
        .recovery_codes_left
}

/// A well-formed code that is none of `codes`.
fn wrong(codes: &[RecoveryCode]) -> String {
    let candidate = |i: usize| {
        let c = char::from(ALPHABET[i % ALPHABET.len()]);
        format!("{c}{c}{c}{c}-{c}{c}{c}{c}-{c}{c}{c}{c}")
    };
    (0..)
        .map(candidate)
        .find(|w| codes.iter().all(|c| c.grouped() != *w))
        .unwrap()
}

#[test]
fn activation_gives_ten_distinct_codes_of_the_printed_shape() {
    let world = World::new();
    let (id, _, codes) = active(&world);
    assert_eq!(codes.len(), CODES_PER_SET);
    let mut printed: Vec<String> = codes.iter().map(RecoveryCode::grouped).collect();
    for p in &printed {
        let groups: Vec<&str> = p.split('-').collect();
        assert_eq!(groups.len(), 3, "{p}");
        assert!(
            groups
                .iter()
                .all(|g| g.len() == 4 && g.bytes().all(|b| ALPHABET.contains(&b)))
        );
    }
    printed.sort();
    printed.dedup();
    assert_eq!(printed.len(), CODES_PER_SET);
    assert_eq!(left(&world, &id), Some(10));
}

#[test]
fn only_hashes_are_stored_in_a_version_3_record() {
    let world = World::new();
    let (id, _, codes) = active(&world);
    let bytes = world.store.get(&format!("account/{id}")).unwrap().unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with(r#"{"v":3,"#), "{}", &text[..20]);
    for code in &codes {
        assert!(!text.contains(code.as_str()) && !text.contains(&code.grouped()));
    }
    let record: serde_json::Value = serde_json::from_str(&text).unwrap();
    let stored = &record["recovery_codes"];
    assert_eq!(stored["kdf"], "argon2id");
    assert_eq!(stored["hashes"].as_array().unwrap().len(), 10);
}

#[test]
fn a_code_signs_in_once_and_the_count_goes_down() {
    let world = World::new();
    let (id, _, codes) = active(&world);
    let typed = format!("  {} ", codes[4].grouped().to_lowercase().replace('-', " "));
    let session = world
        .service()
        .sign_in_recovery_code(&challenge(&world), &typed)
        .unwrap();
    assert_eq!(world.service().authenticate(session.as_str()).unwrap(), id);
    assert_eq!(left(&world, &id), Some(9));
    let mails = world.outbox.take();
    assert!(
        matches!(&mails[..], [Message::Email { to, body, .. }] if to == EMAIL && body.contains("9 recovery codes left")),
        "{mails:?}"
    );
    assert_eq!(
        world.service().audit_log(&id).unwrap()[..2]
            .iter()
            .map(|e| e.kind.clone())
            .collect::<Vec<_>>(),
        [AuditKind::SignedIn, AuditKind::RecoveryCodeUsed]
    );
    // The same code again: refused, and counted.
    assert!(matches!(
        world
            .service()
            .sign_in_recovery_code(&challenge(&world), &codes[4].grouped()),
        Err(FlowError::WrongRecoveryCode)
    ));
    assert_eq!(left(&world, &id), Some(9));
    // OTP stays active: TOTP codes still sign in.
    let key_state = world.service().account_view(&id).unwrap().otp.status;
    assert_eq!(key_state, otp_core::flows::OtpStatus::Active);
}

#[test]
fn a_malformed_code_is_bad_input_and_changes_nothing() {
    let world = World::new();
    let (id, _, _) = active(&world);
    let c = challenge(&world);
    let before = world.store.get(&format!("account/{id}")).unwrap();
    for typed in [
        "",
        "0000-0000-0000",
        "ABCD-EFGH-JKM",
        "ABCD-EFGH-JKMNP",
        "123456",
    ] {
        assert!(
            matches!(
                world.service().sign_in_recovery_code(&c, typed),
                Err(FlowError::MalformedRecoveryCode(_))
            ),
            "{typed:?}"
        );
    }
    assert_eq!(world.store.get(&format!("account/{id}")).unwrap(), before);
}

#[test]
fn wrong_codes_count_toward_the_lockout_like_totp_codes() {
    let world = World::new();
    let (_, _, codes) = active(&world);
    let c = challenge(&world);
    let mut refused = 0;
    for _ in 0..otp_core::throttle::CODE_FREE_FAILURES {
        match world.service().sign_in_recovery_code(&c, &wrong(&codes)) {
            Err(FlowError::WrongRecoveryCode) => refused += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(refused, otp_core::throttle::CODE_FREE_FAILURES);
    // The account now refuses codes for a while — a right recovery code too.
    assert!(matches!(
        world
            .service()
            .sign_in_recovery_code(&challenge(&world), &codes[0].grouped()),
        Err(FlowError::TooManyAttempts { .. })
    ));
}

#[test]
fn regeneration_replaces_the_whole_set() {
    let world = World::new();
    let (id, key, old) = active(&world);
    let svc = world.service();
    let totp = code_for(&key, world.unix() + 30);
    assert!(matches!(
        svc.regenerate_recovery_codes(&id, "wrong password!!", &totp),
        Err(FlowError::InvalidCredentials)
    ));
    world.clock.advance(30_000);
    let new = svc.regenerate_recovery_codes(&id, PASSWORD, &totp).unwrap();
    assert_eq!(new.len(), 10);
    assert!(new.iter().all(|n| !old.contains(n)));
    assert!(
        matches!(
            svc.regenerate_recovery_codes(&id, PASSWORD, &totp),
            Err(FlowError::InvalidCode)
        ),
        "a used time step is refused"
    );
    assert!(matches!(
        svc.sign_in_recovery_code(&challenge(&world), &old[0].grouped()),
        Err(FlowError::WrongRecoveryCode)
    ));
    svc.sign_in_recovery_code(&challenge(&world), &new[0].grouped())
        .unwrap();
    assert_eq!(left(&world, &id), Some(9));
    assert!(
        svc.audit_log(&id)
            .unwrap()
            .iter()
            .any(|e| e.kind == AuditKind::RecoveryCodesRegenerated)
    );
}

#[test]
fn deactivation_and_a_support_reset_end_the_codes() {
    let mut world = World::new();
    world.config.admin_token = Some(otp_core::tokens::SecretString::new("s3cret-admin".into()));
    let (id, key, first) = active(&world);
    let svc = world.service();
    world.clock.advance(30_000);
    svc.deactivate_otp(&id, PASSWORD, &code_for(&key, world.unix()))
        .unwrap();
    assert_eq!(left(&world, &id), None);
    // Active again with a new key: the first set does not come back.
    let key = svc.setup_otp(&id).unwrap().shared_key;
    let second = svc
        .activate_otp(&id, PASSWORD, &code_for(&key, world.unix()))
        .unwrap();
    assert!(matches!(
        svc.sign_in_recovery_code(&challenge(&world), &first[0].grouped()),
        Err(FlowError::WrongRecoveryCode)
    ));
    svc.admin_reset(Some("s3cret-admin"), EMAIL, "lost phone, verified by call")
        .unwrap();
    assert_eq!(left(&world, &id), None);
    let record = world.store.get(&format!("account/{id}")).unwrap().unwrap();
    assert!(
        !String::from_utf8(record)
            .unwrap()
            .contains("recovery_codes")
    );
    assert!(
        matches!(
            world.service().sign_in(EMAIL, PASSWORD),
            Ok(SignIn::SignedIn(_))
        ),
        "suspended: no code step, so no code of {} can be used",
        second.len()
    );
}

#[test]
fn an_account_without_codes_is_told_so_and_nothing_is_counted() {
    let world = World::new();
    let (id, key, codes) = active(&world);
    for code in &codes {
        world
            .service()
            .sign_in_recovery_code(&challenge(&world), &code.grouped())
            .unwrap();
    }
    assert_eq!(left(&world, &id), Some(0));
    let mails = world.outbox.take();
    assert!(
        matches!(mails.last(), Some(Message::Email { body, .. }) if body.contains("no recovery codes left"))
    );
    assert!(matches!(
        world
            .service()
            .sign_in_recovery_code(&challenge(&world), &codes[0].grouped()),
        Err(FlowError::NoRecoveryCodes)
    ));
    // A TOTP code still signs in, so the failure counter did not move.
    let c = challenge(&world);
    world
        .service()
        .sign_in_otp(&c, &code_for(&key, world.unix() + 30))
        .unwrap();
}

#[test]
fn a_version_2_record_reads_without_codes() {
    let world = World::new();
    let (id, _, _) = active(&world);
    let key = format!("account/{id}");
    let mut record: serde_json::Value =
        serde_json::from_slice(&world.store.get(&key).unwrap().unwrap()).unwrap();
    record["v"] = 2.into();
    record.as_object_mut().unwrap().remove("recovery_codes");
    world
        .store
        .set(&key, &serde_json::to_vec(&record).unwrap())
        .unwrap();
    assert_eq!(left(&world, &id), Some(0));
}
