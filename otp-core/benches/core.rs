//! What a code check costs in otp-core, with a raw HMAC-SHA1 over 8 bytes (one HOTP
//! computation, RFC 4226 §5.3) as the floor. `cargo xtask bench` runs this and reads
//! Criterion's estimates into BENCHMARKS.md.

use criterion::{Criterion, criterion_group, criterion_main};
use hmac_ref::{Hmac, Mac};
use otp_core::code;
use otp_core::config::ServiceConfig;
use otp_core::flows::{Service, SignIn};
use otp_core::memory::{FixedClock, MemoryOutbox, MemoryStore};
use otp_core::password;
use otp_core::ports::OsRng;
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

/// The OTP step of sign-in natively (in-memory store): challenge lookup, account
/// compare-and-swap, open the sealed secret, verify, create the session.
fn otp_step(c: &mut Criterion) {
    let config =
        ServiceConfig::from_variables(|n| (n == "seal_keys").then(|| SEAL_KEYS.to_owned()))
            .unwrap();
    let store = MemoryStore::default();
    let clock = FixedClock::at(1_700_000_010_000);
    let outbox = MemoryOutbox::default();
    let svc = Service {
        store: &store,
        clock: &clock,
        rng: &OsRng,
        outbox: &outbox,
        config: &config,
        client: None,
    };
    let id = svc
        .register(
            "bench@example.com",
            "correct horse battery",
            Some("+12025550143"),
        )
        .unwrap();
    let key = svc.setup_otp(&id).unwrap().shared_key;
    let secret = SharedSecret::from_base32(&key).unwrap();
    let params = TotpParams::default();
    svc.activate_otp(
        &id,
        "correct horse battery",
        &params.code_at(&secret, 1_700_000_010).unwrap(),
    )
    .unwrap();
    let mut group = c.benchmark_group("native");
    group.sample_size(20);
    group.bench_function("otp_step", |b| {
        b.iter_batched(
            || {
                // Each iteration: a later step (the clock moves 30 s) and a fresh challenge.
                clock.advance(30_000);
                let SignIn::OtpRequired(ch) = svc
                    .sign_in("bench@example.com", "correct horse battery")
                    .unwrap()
                else {
                    unreachable!("OTP is active")
                };
                let code = params.code_at(&secret, clock_unix(&clock)).unwrap();
                (ch, code)
            },
            |(ch, code)| black_box(svc.sign_in_otp(ch.as_str(), &code).unwrap()),
            criterion::BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn clock_unix(clock: &FixedClock) -> u64 {
    use otp_core::ports::Clock;
    clock.now_ms() / 1000
}

criterion_group!(benches, primitives, otp_step);
criterion_main!(benches);
