//! The key-value contract (otp_core::contract) on the in-memory and fault-injecting
//! stores, the number of conditional writes each action makes, and the flows under a
//! store that misbehaves the way Spin's real backends do.

mod support;

use otp_core::contract;
use otp_core::flows::{FlowError, Service, SignIn};
use otp_core::memory::{Faults, FaultyStore, MemoryStore};
use otp_core::ports::{Message, OsRng, Store};
use proptest::prelude::*;
use support::{World, code_for};

const EMAIL: &str = "dana@example.com";
const PASSWORD: &str = "correct horse battery";
const PHONE: &str = "+44 7911 123456";

const FAULTY: Faults = Faults {
    competing_writer: 48,
    lost_success: 64,
    phantom_success: 48,
};

#[test]
fn memory_store_keeps_the_contract() {
    contract::check(&MemoryStore::default(), "c").unwrap();
}

#[test]
fn faulty_store_keeps_the_contract_the_flows_rely_on() {
    contract::check(&FaultyStore::new(FAULTY, 7), "c").unwrap();
}

/// What a store does wrong, for showing that the suite catches it.
#[derive(Clone, Copy)]
enum Broken {
    /// A swap writes whatever is stored (an unconditional upsert).
    SwapIgnoresExpected,
    /// `increment` as a read and a separate write.
    IncrementNotAtomic,
    /// A listing that ignores its prefix.
    ListingIgnoresPrefix,
}

struct BrokenStore(MemoryStore, Broken);

impl Store for BrokenStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, otp_core::ports::StoreError> {
        self.0.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), otp_core::ports::StoreError> {
        self.0.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), otp_core::ports::StoreError> {
        self.0.delete(key)
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, otp_core::ports::StoreError> {
        match self.1 {
            Broken::SwapIgnoresExpected => self.0.set(key, new).map(|()| true),
            _ => self.0.compare_and_swap(key, expected, new),
        }
    }
    fn keys_after(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, otp_core::ports::StoreError> {
        match self.1 {
            Broken::ListingIgnoresPrefix => self.0.keys_after("", after, limit),
            _ => self.0.keys_after(prefix, after, limit),
        }
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, otp_core::ports::StoreError> {
        match self.1 {
            Broken::SwapIgnoresExpected | Broken::ListingIgnoresPrefix => {
                self.0.increment(key, delta)
            }
            Broken::IncrementNotAtomic => {
                let now = otp_core::ports::read_counter(self.0.get(key)?.as_deref())?;
                std::thread::yield_now();
                self.0.set(key, &(now + delta).to_le_bytes())?;
                Ok(now + delta)
            }
        }
    }
}

#[test]
fn the_contract_catches_a_swap_that_ignores_the_expected_value() {
    let store = BrokenStore(MemoryStore::default(), Broken::SwapIgnoresExpected);
    let violation = contract::check(&store, "c").unwrap_err();
    assert_eq!(violation.guarantee, "G3", "{violation}");
}

#[test]
fn the_contract_catches_an_increment_that_is_not_atomic() {
    let store = BrokenStore(MemoryStore::default(), Broken::IncrementNotAtomic);
    let violations: Vec<_> = (0..20)
        .filter_map(|run| contract::check(&store, &format!("c{run}")).err())
        .collect();
    assert!(
        violations.iter().any(|v| v.guarantee == "G2"),
        "20 runs, no lost increment seen: {violations:?}"
    );
}

fn service<'a>(world: &'a World, store: &'a dyn Store) -> Service<'a> {
    Service {
        store,
        ..world.service()
    }
}

/// An account with active OTP; returns (id, Base32 key).
fn active(world: &World, svc: &Service) -> (String, String) {
    let id = svc.register(EMAIL, PASSWORD, Some(PHONE)).unwrap();
    let key = svc.setup_otp(&id).unwrap().shared_key;
    svc.activate_otp(&id, PASSWORD, &code_for(&key, world.unix()))
        .unwrap();
    world.clock.advance(30_000);
    (id, key)
}

fn challenge(svc: &Service) -> String {
    match svc.sign_in(EMAIL, PASSWORD).unwrap() {
        SignIn::OtpRequired(c) => c.as_str().to_owned(),
        SignIn::SignedIn(_) => panic!("OTP is active"),
    }
}

#[test]
fn each_account_action_is_one_conditional_write() {
    let world = World::new();
    let store = &world.store;
    let svc = world.service();
    let id = svc.register(EMAIL, PASSWORD, Some(PHONE)).unwrap();
    let key = svc.setup_otp(&id).unwrap().shared_key;
    let swaps = |f: &dyn Fn()| {
        let before = store.conditional_writes();
        f();
        store.conditional_writes() - before
    };
    assert_eq!(
        swaps(&|| {
            svc.activate_otp(&id, PASSWORD, &code_for(&key, world.unix()))
                .unwrap();
        }),
        1,
        "activation"
    );
    world.clock.advance(30_000);
    let c = challenge(&svc);
    assert_eq!(
        swaps(&|| {
            svc.sign_in_otp(&c, &code_for(&key, world.unix())).unwrap();
        }),
        1,
        "OTP step"
    );
    let others = store.other_writes();
    world.clock.advance(30_000);
    let c = challenge(&svc);
    let before_step = store.other_writes();
    svc.sign_in_otp(&c, &code_for(&key, world.unix())).unwrap();
    assert_eq!(
        store.other_writes(),
        before_step,
        "a right code writes nothing else"
    );
    assert!(store.other_writes() >= others);
    world.clock.advance(30_000);
    assert_eq!(
        swaps(&|| svc
            .deactivate_otp(&id, PASSWORD, &code_for(&key, world.unix()))
            .unwrap()),
        1,
        "deactivation"
    );
    // Recovery confirm.
    let key = svc.setup_otp(&id).unwrap().shared_key;
    svc.activate_otp(&id, PASSWORD, &code_for(&key, world.unix() + 30))
        .unwrap();
    world.outbox.take();
    svc.request_recovery(EMAIL).unwrap();
    let link = link_from(&world.outbox.take());
    svc.recovery_send_sms(&link, "+447911123456").unwrap();
    let code = sms_code_from(&world.outbox.take());
    assert_eq!(
        swaps(&|| svc.recovery_confirm(&link, &code, true).unwrap()),
        1,
        "recovery confirm"
    );
}

/// The recovery link token of the e-mail among `messages`, if one was sent.
fn try_link(messages: &[Message]) -> Option<String> {
    messages.iter().find_map(|m| match m {
        Message::Email { body, .. } => body
            .split_whitespace()
            .find(|w| w.contains("/recovery.html#"))
            .map(|w| w.split('#').nth(1).unwrap().to_owned()),
        _ => None,
    })
}

fn link_from(messages: &[Message]) -> String {
    try_link(messages).expect("a recovery e-mail")
}

/// The code and the reference of the text message among `messages`.
fn sms_from(messages: &[Message]) -> (String, String) {
    messages
        .iter()
        .find_map(|m| match m {
            Message::Sms {
                body, reference, ..
            } => Some((body[..6].to_owned(), reference.clone()?)),
            _ => None,
        })
        .expect("a text message")
}

fn sms_code_from(messages: &[Message]) -> String {
    sms_from(messages).0
}

#[test]
fn fifty_parallel_registrations_of_one_address_make_one_account() {
    let world = World::new();
    let store = FaultyStore::new(FAULTY, 11);
    std::thread::scope(|s| {
        for i in 0..50 {
            let (world, store) = (&world, &store);
            s.spawn(move || {
                let svc = service(world, store);
                svc.register(EMAIL, &format!("{PASSWORD} {i}"), None)
                    .unwrap();
            });
        }
    });
    let accounts = store
        .inner
        .dump()
        .into_iter()
        .filter(|(k, _)| k.starts_with("account/"))
        .count();
    assert_eq!(accounts, 1);
    let svc = service(&world, &store);
    // An hour between tries, so the password delays after ten wrong ones never apply.
    let signed_in = (0..50)
        .filter(|i| {
            world.clock.advance(3_600_000);
            svc.sign_in(EMAIL, &format!("{PASSWORD} {i}")).is_ok()
        })
        .count();
    assert_eq!(signed_in, 1, "exactly one registrant's password works");
}

#[test]
fn fifty_parallel_submissions_of_one_code_succeed_once_on_a_faulty_store() {
    let world = World::new();
    let store = FaultyStore::new(FAULTY, 13);
    let svc = service(&world, &store);
    let (_, key) = active(&world, &svc);
    let challenges: Vec<String> = (0..50).map(|_| challenge(&svc)).collect();
    let code = code_for(&key, world.unix());
    let outcomes: Vec<Result<(), FlowError>> = std::thread::scope(|s| {
        let handles: Vec<_> = challenges
            .iter()
            .map(|c| {
                let (world, store, code) = (&world, &store, &code);
                s.spawn(move || service(world, store).sign_in_otp(c, code).map(drop))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(ok, 1, "{outcomes:?}");
    for outcome in &outcomes {
        match outcome {
            Ok(())
            | Err(
                FlowError::InvalidCode
                | FlowError::ChallengeExpired
                | FlowError::TooManyAttempts { .. }
                | FlowError::Busy,
            ) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn recovery_confirm_racing_sms_status_callbacks_never_fails_inside() {
    let world = World::new();
    let store = FaultyStore::new(FAULTY, 17);
    let svc = service(&world, &store);
    active(&world, &svc);
    world.outbox.take();
    svc.request_recovery(EMAIL).unwrap();
    let link = link_from(&world.outbox.take());
    svc.recovery_send_sms(&link, "+447911123456").unwrap();
    let messages = world.outbox.take();
    let (code, reference) = sms_from(&messages);
    svc.sms_sent(&reference, "SM1").unwrap();
    let (confirm, callbacks) = std::thread::scope(|s| {
        let confirm = s.spawn(|| service(&world, &store).recovery_confirm(&link, &code, true));
        let callbacks = s.spawn(|| {
            ["sent", "delivered", "delivered", "read"]
                .iter()
                .map(|status| service(&world, &store).sms_status("SM1", status))
                .collect::<Vec<_>>()
        });
        (confirm.join().unwrap(), callbacks.join().unwrap())
    });
    confirm.unwrap();
    for c in callbacks {
        c.unwrap();
    }
    assert_eq!(
        svc.recovery_view(&link).unwrap_err().code(),
        "link_expired",
        "the link is spent"
    );
}

#[test]
fn resend_then_confirm_with_the_older_code_is_refused_as_a_wrong_code() {
    let world = World::new();
    let svc = world.service();
    active(&world, &svc);
    world.outbox.take();
    svc.request_recovery(EMAIL).unwrap();
    let link = link_from(&world.outbox.take());
    svc.recovery_send_sms(&link, "+447911123456").unwrap();
    let messages = world.outbox.take();
    let first = sms_code_from(&messages);
    svc.sms_sent(&sms_from(&messages).1, "SM1").unwrap();
    svc.recovery_send_sms(&link, "+447911123456").unwrap();
    let second = sms_code_from(&world.outbox.take());
    if first != second {
        let err = svc.recovery_confirm(&link, &first, true).unwrap_err();
        assert_eq!(err.code(), "invalid_code");
    }
    svc.recovery_confirm(&link, &second, true).unwrap();
}

#[test]
fn recovery_links_end_with_the_state_they_were_issued_for() {
    let world = World::new();
    let svc = world.service();
    let (id, _) = active(&world, &svc);
    world.outbox.take();
    svc.request_recovery(EMAIL).unwrap();
    let first = link_from(&world.outbox.take());
    svc.request_recovery(EMAIL).unwrap();
    let second = link_from(&world.outbox.take());
    svc.recovery_send_sms(&second, "+447911123456").unwrap();
    let code = sms_code_from(&world.outbox.take());
    svc.recovery_confirm(&second, &code, true).unwrap();
    // Set OTP up again: the first link must not suspend the new OTP.
    let key = svc.setup_otp(&id).unwrap().shared_key;
    svc.activate_otp(&id, PASSWORD, &code_for(&key, world.unix()))
        .unwrap();
    for call in [
        svc.recovery_view(&first).map(drop),
        svc.recovery_send_sms(&first, "+447911123456"),
        svc.recovery_confirm(&first, "123456", true),
    ] {
        assert_eq!(call.unwrap_err().code(), "link_expired");
    }
    // Activation, deactivation and a support reset end links too.
    for end in ["deactivate", "activate", "reset"] {
        world.clock.advance(30_000);
        svc.request_recovery(EMAIL).ok();
        let Some(link) = try_link(&world.outbox.take()) else {
            continue;
        };
        match end {
            "deactivate" => svc
                .deactivate_otp(&id, PASSWORD, &code_for(&key, world.unix()))
                .unwrap(),
            "activate" => {
                let key = svc.setup_otp(&id).unwrap().shared_key;
                svc.activate_otp(&id, PASSWORD, &code_for(&key, world.unix()))
                    .unwrap();
            }
            _ => {}
        }
        if end != "reset" {
            assert_eq!(
                svc.recovery_view(&link).unwrap_err().code(),
                "link_expired",
                "{end}"
            );
        }
    }
}

/// What one step of the property test submits.
#[derive(Debug, Clone, Copy)]
enum Submit {
    Right,
    Replay,
    Wrong,
}

fn submit() -> impl Strategy<Value = (u8, Submit)> {
    (
        0u8..3,
        prop_oneof![
            Just(Submit::Right),
            Just(Submit::Replay),
            Just(Submit::Wrong)
        ],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Under competing writers, swaps that lose their answer and swaps that claim a
    /// write they did not make: no internal error, no step accepted twice, and every
    /// wrong code counted (as an audit event and toward the lock).
    #[test]
    fn flows_stay_correct_on_a_store_that_misbehaves(
        seed in any::<u64>(),
        competing in 0u8..96,
        lost in 0u8..128,
        phantom in 0u8..96,
        steps in proptest::collection::vec(submit(), 1..16),
    ) {
        let world = World::new();
        let store = FaultyStore::new(Faults { competing_writer: competing, lost_success: lost, phantom_success: phantom }, seed);
        let svc = service(&world, &store);
        let (id, key) = active(&world, &svc);
        let mut last_accepted: Option<u64> = None;
        let mut wrong_answers = 0;
        let mut last_code = String::new();
        for (advance, kind) in steps {
            world.clock.advance(u64::from(advance) * 30_000);
            let c = match svc.sign_in(EMAIL, PASSWORD) {
                Ok(SignIn::OtpRequired(c)) => c.as_str().to_owned(),
                other => { prop_assert!(matches!(other, Err(FlowError::Busy)), "{other:?}"); continue; }
            };
            let step = world.unix() / 30;
            let code = match kind {
                Submit::Right => code_for(&key, world.unix()),
                Submit::Replay if !last_code.is_empty() => last_code.clone(),
                _ => {
                    let right = code_for(&key, world.unix());
                    format!("{:06}", (right.parse::<u32>().unwrap() + 500_000) % 1_000_000)
                }
            };
            match svc.sign_in_otp(&c, &code) {
                Ok(_) => {
                    prop_assert!(matches!(kind, Submit::Right), "{kind:?} accepted");
                    prop_assert!(last_accepted.is_none_or(|s| s < step), "step {step} accepted twice");
                    last_accepted = Some(step);
                    last_code = code;
                }
                Err(FlowError::InvalidCode) => {
                    wrong_answers += 1;
                    prop_assert!(!matches!(kind, Submit::Right) || last_accepted == Some(step));
                }
                Err(FlowError::TooManyAttempts { .. } | FlowError::Busy) => {}
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }
        let rejected = svc
            .audit_log(&id)
            .unwrap()
            .iter()
            .filter(|e| e.kind == otp_core::flows::AuditKind::CodeRejected)
            .count();
        prop_assert_eq!(rejected, wrong_answers, "every wrong code is counted once");
        let _ = OsRng;
    }
}

#[test]
fn the_contract_catches_a_listing_that_ignores_its_prefix() {
    let store = BrokenStore(MemoryStore::default(), Broken::ListingIgnoresPrefix);
    let violation = contract::check(&store, "c").unwrap_err();
    assert_eq!(violation.guarantee, "G5", "{violation}");
}
