//! Records as release 1 (commit 7c701ff) wrote them keep working: the golden files in
//! `tests/golden/v1/` (made by `generator.rs.txt` there, run against that commit) are
//! loaded into a store and used through the flows, and the first write migrates.

mod support;

use otp_core::flows::{FlowError, OtpStatus};
use otp_core::memory::MemoryStore;
use otp_core::ports::Store;
use otp_core::records;
use std::path::PathBuf;
use support::{World, code_for};

const PASSWORD: &str = "correct horse battery";
/// After everything the generator did (its clock ended at 1_700_000_040_000).
const NOW_MS: u64 = 1_700_000_070_000;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/v1")
}

fn text(name: &str) -> String {
    std::fs::read_to_string(dir().join(name))
        .unwrap()
        .trim()
        .to_owned()
}

/// Every golden record except the account variants, plus `account-{variant}.json`.
fn load(store: &MemoryStore, account_variant: &str) {
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json")
            || (name.starts_with("account-") && name != format!("account-{account_variant}.json"))
        {
            continue;
        }
        let entry: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let value = serde_json::to_vec(&entry["value"]).unwrap();
        store.set(entry["key"].as_str().unwrap(), &value).unwrap();
    }
}

fn world(variant: &str) -> World {
    let world = World::new();
    load(&world.store, variant);
    world.clock.set(NOW_MS);
    world
}

fn account_id(world: &World) -> String {
    world
        .store
        .dump()
        .into_iter()
        .find_map(|(k, _)| k.strip_prefix("account/").map(str::to_owned))
        .unwrap()
}

#[test]
fn every_account_state_reads_with_its_audit_log() {
    for (variant, status) in [
        ("disabled", OtpStatus::Disabled),
        ("pending", OtpStatus::Pending),
        ("active", OtpStatus::Active),
        ("suspended", OtpStatus::Suspended),
    ] {
        let world = world(variant);
        let id = account_id(&world);
        let view = world.service().account_view(&id).unwrap();
        assert_eq!(view.otp.status, status, "{variant}");
        if variant != "suspended" {
            assert_eq!(view.email, "golden@example.com");
            assert!(
                view.recent_events
                    .iter()
                    .any(|e| e.kind.as_str() == "account_created"),
                "{variant}: the v1 audit log is read"
            );
        }
    }
}

#[test]
fn a_v1_session_authenticates_and_signs_out() {
    let world = world("active");
    let svc = world.service();
    let token = text("session-token.txt");
    assert_eq!(svc.authenticate(&token).unwrap(), account_id(&world));
    svc.sign_out(&token).unwrap();
    assert!(matches!(
        svc.authenticate(&token),
        Err(FlowError::NotSignedIn)
    ));
}

#[test]
fn a_v1_challenge_signs_in_once_and_the_account_migrates() {
    let world = world("active");
    let svc = world.service();
    let id = account_id(&world);
    let challenge = text("challenge-token.txt");
    let code = code_for(&text("shared-key.txt"), world.unix());
    let session = svc.sign_in_otp(&challenge, &code).unwrap();
    assert_eq!(svc.authenticate(session.as_str()).unwrap(), id);
    let stored = world
        .store
        .get(&records::account_key(&id))
        .unwrap()
        .unwrap();
    assert_eq!(
        records::version_of(&stored).unwrap(),
        records::ACCOUNT_VERSION
    );
    // The same code again, and the same v1 challenge again, are refused.
    assert!(matches!(
        svc.sign_in_otp(&challenge, &code),
        Err(FlowError::ChallengeExpired)
    ));
    let events = svc.audit_log(&id).unwrap();
    assert!(
        events.iter().any(|e| e.kind.as_str() == "otp_activated"),
        "history kept"
    );
}

#[test]
fn a_v1_recovery_link_with_its_texted_code_suspends_once() {
    let world = world("active");
    let svc = world.service();
    let id = account_id(&world);
    let token = text("recovery-token.txt");
    let view = svc.recovery_view(&token).unwrap();
    assert_eq!(view.sms_status.as_deref(), Some("queued"));
    // The provider's delivery report for the v1 SMS index reaches the link.
    svc.sms_status("SM0123456789abcdef0123456789abcdef", "delivered")
        .unwrap();
    assert_eq!(
        svc.recovery_view(&token).unwrap().sms_status.as_deref(),
        Some("delivered")
    );
    svc.recovery_confirm(&token, &text("recovery-sms-code.txt"), true)
        .unwrap();
    assert_eq!(
        svc.account_view(&id).unwrap().otp.status,
        OtpStatus::Suspended
    );
    assert!(matches!(
        svc.recovery_view(&token),
        Err(FlowError::LinkExpired)
    ));
}

#[test]
fn v1_throttle_records_still_count() {
    let world = world("active");
    let svc = world.service();
    // The v1 password counter holds one failure for this address: nine more make the
    // tenth, after which the growing delay starts.
    for _ in 0..9 {
        assert!(matches!(
            svc.sign_in("golden@example.com", "wrong password!!"),
            Err(FlowError::InvalidCredentials)
        ));
    }
    assert!(matches!(
        svc.sign_in("golden@example.com", "wrong password!!"),
        Err(FlowError::TooManyAttempts { .. })
    ));
    let _ = PASSWORD;
}
