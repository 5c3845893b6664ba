//! What a code check costs in otp-core, with a raw HMAC-SHA1 over 8 bytes (one HOTP
//! computation, RFC 4226 §5.3) as the floor, and the whole sign-in OTP step natively.
//! `cargo xtask bench` runs this and reads Criterion's samples into BENCHMARKS.md.

use criterion::{Criterion, criterion_group, criterion_main};
use hmac_ref::{Hmac, Mac};
use otp_core::account::AUDIT_KEEP;
use otp_core::client::ClientAddress;
use otp_core::code;
use otp_core::config::ServiceConfig;
use otp_core::flows::Service;
use otp_core::memory::{FixedClock, MemoryOutbox, MemoryStore};
use otp_core::password;
use otp_core::ports::{OsRng, Store};
use otp_core::seal::{KeyRing, SealPurpose};
use otp_core::secret::SharedSecret;
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

/// The whole sign-in OTP step natively over the in-memory store: read the account,
/// open the sealed secret, verify and consume the step, spend the challenge, open the
/// session, append the audit event, write the record once and read it back.
/// `native/otp_step` starts from a fresh account (as the edge load);
/// `native/otp_step_full_history` from one whose audit log is full
/// ([`otp_core::account::AUDIT_KEEP`] events). Each sign-in is prepared once by the flows
/// (`fixture_sign_in`), and every iteration starts from a copy of the store it left
/// (a step consumes its challenge): the work between two iterations is the same small
/// copy for both, where preparing a full history anew (50 phone changes) evicted the
/// caches before every step it measured.
fn otp_step(c: &mut Criterion) {
    let config =
        ServiceConfig::from_variables(|n| (n == "seal_keys").then(|| SEAL_KEYS.to_owned()))
            .unwrap();
    let now_ms = 1_700_000_010_000;
    let clock = FixedClock::at(now_ms);
    let outbox = MemoryOutbox::default();
    let ports = (&clock, &outbox, &config);
    let params = TotpParams::default();
    let phc = password::hash(&OsRng, "correct horse battery").unwrap();
    let mut group = c.benchmark_group("native");
    for (name, history) in [("otp_step", false), ("otp_step_full_history", true)] {
        let prepared = MemoryStore::default();
        let svc = service(&prepared, ports);
        clock.set(now_ms - 60_000);
        let (challenge, secret) = svc
            .fixture_sign_in("bench@example.com", &phc, "+12025550143")
            .unwrap();
        if history {
            let id = challenge.split('.').next().unwrap().to_owned();
            for i in 0..AUDIT_KEEP {
                let phone = ["+12025550144", "+12025550143"][i % 2];
                svc.set_phone(&id, phone).unwrap();
            }
        }
        clock.set(now_ms);
        let code = params.code_at(&secret, now_ms / 1000).unwrap();
        let entries = prepared.dump();
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    // A store of its own, as each request of the component has a fresh
                    // instance: the step runs on what it alone left in memory.
                    let store = MemoryStore::default();
                    for (key, value) in &entries {
                        store.set(key, value).unwrap();
                    }
                    store
                },
                |store| {
                    let session = service(&store, ports).sign_in_otp(&challenge, &code);
                    black_box((store, session.unwrap()))
                },
                criterion::BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

/// The flows over `store` with the benchmark's clock, outbox and configuration.
fn service<'a>(
    store: &'a MemoryStore,
    (clock, outbox, config): (&'a FixedClock, &'a MemoryOutbox, &'a ServiceConfig),
) -> Service<'a> {
    Service {
        store,
        clock,
        rng: &OsRng,
        outbox,
        config,
        client: ClientAddress::parse("127.0.0.1"),
        language: otp_core::i18n::Language::En,
    }
}

criterion_group!(benches, primitives, otp_step);
criterion_main!(benches);
