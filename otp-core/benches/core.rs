//! What a code check costs in otp-core, with a raw HMAC-SHA1 over 8 bytes (one HOTP
//! computation, RFC 4226 §5.3) as the floor, and the whole sign-in OTP step natively.
//! `cargo xtask bench` runs this and reads Criterion's samples into BENCHMARKS.md.

use criterion::{Criterion, criterion_group, criterion_main};
use hmac_ref::{Hmac, Mac};
use otp_core::code;
use otp_core::config::{CHALLENGE_TTL_MS, ServiceConfig};
use otp_core::flows::{Account, OtpState, Service};
use otp_core::identity::{Email, Phone};
use otp_core::memory::{FixedClock, MemoryOutbox, MemoryStore};
use otp_core::password;
use otp_core::ports::{OsRng, Store};
use otp_core::records::{
    self, AccountRecord, AuditEntryRecord, AuditRecord, ChallengeRecord, EmailIndexRecord,
};
use otp_core::seal::{KeyRing, SealPurpose};
use otp_core::secret::SharedSecret;
use otp_core::tokens::Token;
use otp_core::totp::{self, TotpParams};
use std::hint::black_box;

const SEAL_KEYS: &str = "b1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn primitives(c: &mut Criterion) {
    let secret = SharedSecret::from_bytes((1..=20).collect()).unwrap();
    let params = TotpParams::default();
    let unix = 1_700_000_025;
    c.bench_function("hmac_sha1_8_bytes", |b| {
        b.iter(|| {
            let mut mac =
                Hmac::<sha1_ref::Sha1>::new_from_slice(black_box(secret.as_bytes())).unwrap();
            mac.update(black_box(&56_666_667u64.to_be_bytes()));
            black_box(mac.finalize().into_bytes())
        })
    });
    // The worst case: a code that matches no step, so all three are computed.
    let wrong = code::normalise("000000", 6).unwrap();
    c.bench_function("verify_window_3_steps", |b| {
        b.iter(|| {
            black_box(totp::verify(
                &params,
                &secret,
                black_box(&wrong),
                unix,
                None,
            ))
        })
    });
    c.bench_function("secret_generation_160_bits", |b| {
        b.iter(|| {
            let mut raw = vec![0u8; 20];
            getrandom::fill(&mut raw).unwrap();
            black_box(SharedSecret::from_bytes(raw).unwrap())
        })
    });
    let keys = KeyRing::parse(SEAL_KEYS).unwrap();
    c.bench_function("seal", |b| {
        b.iter(|| black_box(keys.seal(&OsRng, SealPurpose::TotpSecret, "acct", secret.as_bytes())))
    });
    let blob = keys
        .seal(&OsRng, SealPurpose::TotpSecret, "acct", secret.as_bytes())
        .unwrap();
    c.bench_function("open", |b| {
        b.iter(|| black_box(keys.open(SealPurpose::TotpSecret, "acct", black_box(&blob))))
    });
    let phc = password::hash(&OsRng, "correct horse battery").unwrap();
    let mut group = c.benchmark_group("slow");
    group.sample_size(10);
    group.bench_function("argon2id_verify", |b| {
        b.iter(|| black_box(password::verify("correct horse battery", &phc)))
    });
    group.finish();
}

/// The OTP step of sign-in natively (in-memory store), on the same state as the
/// edge-host load of `cargo xtask bench`: before each iteration (untimed) an account with
/// active OTP (last accepted step = current − 2), its e-mail index and a fresh challenge
/// are written; the iteration is `sign_in_otp` — challenge lookup, address gate, account
/// compare-and-swap, open the sealed secret, verify and consume the step, delete the
/// challenge, create the session, append to the audit log. `native/otp_step` starts from
/// an empty audit log (a fresh account, as the edge load); `…_100_audit_events` from a
/// full one (the audit log keeps the last 100 events, decoded and re-encoded each time).
fn otp_step(c: &mut Criterion) {
    let config =
        ServiceConfig::from_variables(|n| (n == "seal_keys").then(|| SEAL_KEYS.to_owned()))
            .unwrap();
    let store = MemoryStore::default();
    let now_ms = 1_700_000_010_000;
    let clock = FixedClock::at(now_ms);
    let outbox = MemoryOutbox::default();
    let svc = Service {
        store: &store,
        clock: &clock,
        rng: &OsRng,
        outbox: &outbox,
        config: &config,
        client: Some("127.0.0.1".to_owned()),
    };
    let params = TotpParams::default();
    let step = params.step_at(now_ms / 1000).unwrap();
    let secret = SharedSecret::from_bytes((1..=20).collect()).unwrap();
    let code = params.code_for_step(&secret, step).unwrap();
    let id = "0123456789abcdef0123456789abcdef";
    let email = Email::parse("bench@example.com").unwrap();
    let account = Account {
        id: id.to_owned(),
        email: email.clone(),
        password_phc: password::hash(&OsRng, "correct horse battery").unwrap(),
        phone: Some(Phone::parse("+12025550143").unwrap()),
        otp: OtpState::Active {
            sealed: config
                .keys
                .seal(&OsRng, SealPurpose::TotpSecret, id, secret.as_bytes())
                .unwrap(),
            params,
            activated_ms: now_ms - 86_400_000,
            last_step: step - 2,
        },
        created_ms: now_ms - 86_400_000,
        code_throttle: Default::default(),
    };
    let account_bytes = records::encode(&AccountRecord::from_domain(&account));
    store
        .set(
            &records::email_key(&email),
            &records::encode(&EmailIndexRecord {
                v: records::VERSION,
                account_id: id.to_owned(),
            }),
        )
        .unwrap();
    let full_log = records::encode(&AuditRecord {
        v: records::VERSION,
        events: (0..records::AUDIT_KEEP as u64)
            .map(|i| AuditEntryRecord {
                at_ms: now_ms - 1_000_000 + i,
                event: "signed_in".to_owned(),
                client: Some("203.0.113.7".to_owned()),
                detail: None,
            })
            .collect(),
    });
    let mut group = c.benchmark_group("native");
    for (name, audit_log) in [
        ("otp_step", None),
        ("otp_step_100_audit_events", Some(&full_log)),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    // A fresh sign-in: the account as prepared, its audit log, a challenge.
                    store
                        .set(&records::account_key(id), &account_bytes)
                        .unwrap();
                    match audit_log {
                        Some(log) => store.set(&records::audit_key(id), log).unwrap(),
                        None => store.delete(&records::audit_key(id)).unwrap(),
                    }
                    let token = Token::generate(&OsRng).unwrap();
                    let challenge = ChallengeRecord {
                        v: records::VERSION,
                        account_id: id.to_owned(),
                        expires_ms: now_ms + CHALLENGE_TTL_MS,
                        failures: 0,
                    };
                    store
                        .set(
                            &records::challenge_key(&token.hash_hex()),
                            &records::encode(&challenge),
                        )
                        .unwrap();
                    token
                },
                |token| black_box(svc.sign_in_otp(token.as_str(), &code).unwrap()),
                criterion::BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, primitives, otp_step);
criterion_main!(benches);
