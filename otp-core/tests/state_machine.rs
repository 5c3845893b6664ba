//! Property tests of the OTP state machine (proptest): over random sequences of setup,
//! activation, sign-in, deactivation and clock moves,
//! - OTP is never `active` unless an activation with the right code succeeded since
//!   the last setup, and
//! - no time step is ever accepted twice for one secret.

mod support;

use otp_core::flows::{FlowError, OtpStatus, SignIn};
use proptest::prelude::*;
use std::collections::HashSet;
use support::{World, code_for};

const EMAIL: &str = "prop@example.com";
const PASSWORD: &str = "correct horse battery";

#[derive(Debug, Clone)]
enum Op {
    Setup,
    /// Activate with the code of the current step shifted by `offset` steps.
    Activate {
        offset: i8,
        right_password: bool,
    },
    /// Sign in with the code of the current step shifted by `offset` steps.
    SignIn {
        offset: i8,
    },
    Deactivate {
        offset: i8,
    },
    /// Move the clock by this many seconds.
    Advance(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Setup),
        (-2i8..=2, any::<bool>()).prop_map(|(offset, right_password)| Op::Activate {
            offset,
            right_password
        }),
        (-2i8..=2).prop_map(|offset| Op::SignIn { offset }),
        (-2i8..=2).prop_map(|offset| Op::Deactivate { offset }),
        (0u16..90).prop_map(Op::Advance),
    ]
}

fn code(world: &World, key: &str, offset: i8) -> String {
    let unix = world
        .unix()
        .checked_add_signed(i64::from(offset) * 30)
        .unwrap();
    code_for(key, unix)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn no_activation_without_a_right_code_and_no_step_used_twice(ops in prop::collection::vec(op(), 1..14)) {
        let world = World::new();
        let id = world.service().register(EMAIL, PASSWORD, Some("+12025550143")).unwrap();
        let mut key: Option<String> = None;
        let mut activated_key: Option<String> = None;
        let mut accepted: HashSet<(String, u64)> = HashSet::new();
        for op in ops {
            let svc = world.service();
            match op {
                Op::Setup => {
                    if let Ok(view) = svc.setup_otp(&id) {
                        key = Some(view.shared_key);
                        activated_key = None;
                    }
                }
                Op::Activate { offset, right_password } => {
                    let Some(k) = key.clone() else { continue };
                    let password = if right_password { PASSWORD } else { "wrong password!" };
                    let c = code(&world, &k, offset);
                    if svc.activate_otp(&id, password, &c).is_ok() {
                        prop_assert!(right_password && (-1..=1).contains(&offset));
                        let step = (world.unix() as i64 / 30 + i64::from(offset)) as u64;
                        prop_assert!(accepted.insert((k.clone(), step)), "step reused");
                        activated_key = Some(k);
                    }
                }
                Op::SignIn { offset } => {
                    let Some(k) = activated_key.clone() else { continue };
                    let Ok(SignIn::OtpRequired(ch)) = svc.sign_in(EMAIL, PASSWORD) else { continue };
                    match svc.sign_in_otp(ch.as_str(), &code(&world, &k, offset)) {
                        Ok(_) => {
                            let step = (world.unix() as i64 / 30 + i64::from(offset)) as u64;
                            prop_assert!(accepted.insert((k.clone(), step)), "step {step} reused");
                        }
                        Err(FlowError::InvalidCode | FlowError::TooManyAttempts { .. }) => {}
                        Err(other) => prop_assert!(false, "unexpected {other:?}"),
                    }
                }
                Op::Deactivate { offset } => {
                    let Some(k) = activated_key.clone() else { continue };
                    if svc.deactivate_otp(&id, PASSWORD, &code(&world, &k, offset)).is_ok() {
                        let step = (world.unix() as i64 / 30 + i64::from(offset)) as u64;
                        prop_assert!(accepted.insert((k.clone(), step)), "step {step} reused");
                        activated_key = None;
                        key = None;
                    }
                }
                Op::Advance(seconds) => world.clock.advance(u64::from(seconds) * 1000),
            }
            let status = world.service().account_view(&id).unwrap().otp.status;
            prop_assert_eq!(status == OtpStatus::Active, activated_key.is_some());
        }
    }
}
