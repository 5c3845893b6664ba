//! Sealing: round trip, binding to account/purpose/key id, tampering, rotation, key ring
//! parsing — every failure a typed error, never a panic.

use otp_core::ports::{OsRng, Rng, RngError};
use otp_core::seal::{KeyRing, KeyRingError, SealError, SealPurpose};

const KEY_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="; // bytes 0..32
const KEY_B: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="; // bytes 32..64

fn ring(spec: &str) -> KeyRing {
    KeyRing::parse(spec).unwrap()
}

#[test]
fn seal_then_open_gives_the_plaintext_back() {
    let keys = ring(&format!("a:{KEY_A}"));
    let blob = keys
        .seal(
            &OsRng,
            SealPurpose::TotpSecret,
            "acct1",
            b"twenty byte secret!!",
        )
        .unwrap();
    let opened = keys.open(SealPurpose::TotpSecret, "acct1", &blob).unwrap();
    assert_eq!(opened.as_slice(), b"twenty byte secret!!");
    assert!(!blob.windows(20).any(|w| w == b"twenty byte secret!!"));
}

#[test]
fn nonces_differ_between_seals() {
    let keys = ring(&format!("a:{KEY_A}"));
    let one = keys
        .seal(&OsRng, SealPurpose::TotpSecret, "x", b"same")
        .unwrap();
    let two = keys
        .seal(&OsRng, SealPurpose::TotpSecret, "x", b"same")
        .unwrap();
    assert_ne!(one, two);
}

#[test]
fn a_blob_copied_to_another_account_does_not_open() {
    let keys = ring(&format!("a:{KEY_A}"));
    let blob = keys
        .seal(&OsRng, SealPurpose::TotpSecret, "alice", b"s")
        .unwrap();
    assert_eq!(
        keys.open(SealPurpose::TotpSecret, "mallory", &blob),
        Err(SealError::Tampered)
    );
}

#[test]
fn every_flipped_bit_is_detected() {
    let keys = ring(&format!("a:{KEY_A}"));
    let blob = keys
        .seal(&OsRng, SealPurpose::TotpSecret, "acct", b"secret")
        .unwrap();
    for i in 0..blob.len() {
        for bit in 0..8 {
            let mut bad = blob.clone();
            bad[i] ^= 1 << bit;
            assert!(keys.open(SealPurpose::TotpSecret, "acct", &bad).is_err());
        }
    }
    for len in 0..blob.len() {
        assert!(
            keys.open(SealPurpose::TotpSecret, "acct", &blob[..len])
                .is_err()
        );
    }
}

#[test]
fn rotation_seals_with_the_first_key_and_opens_with_any() {
    let old = ring(&format!("old:{KEY_A}"));
    let blob_old = old
        .seal(&OsRng, SealPurpose::TotpSecret, "acct", b"s1")
        .unwrap();
    let rotated = ring(&format!("new:{KEY_B}, old:{KEY_A}"));
    assert_eq!(rotated.current_kid(), "new");
    assert_eq!(
        rotated
            .open(SealPurpose::TotpSecret, "acct", &blob_old)
            .unwrap()
            .as_slice(),
        b"s1"
    );
    let blob_new = rotated
        .seal(&OsRng, SealPurpose::TotpSecret, "acct", b"s2")
        .unwrap();
    assert_eq!(
        old.open(SealPurpose::TotpSecret, "acct", &blob_new),
        Err(SealError::UnknownKey("new".into()))
    );
}

#[test]
fn relabelling_the_key_id_does_not_open() {
    // Same key bytes under two ids: the key id is bound in the associated data.
    let keys = ring(&format!("k1:{KEY_A},k2:{KEY_A}"));
    let mut blob = keys
        .seal(&OsRng, SealPurpose::TotpSecret, "acct", b"s")
        .unwrap();
    blob[4] = b'2'; // "k1" → "k2"
    assert_eq!(
        keys.open(SealPurpose::TotpSecret, "acct", &blob),
        Err(SealError::Tampered)
    );
}

#[test]
fn key_ring_errors_are_typed_and_never_echo_keys() {
    assert_eq!(KeyRing::parse("").unwrap_err(), KeyRingError::Empty);
    assert_eq!(KeyRing::parse(" , ").unwrap_err(), KeyRingError::Empty);
    assert_eq!(KeyRing::parse("nokid").unwrap_err(), KeyRingError::Entry(0));
    assert_eq!(
        KeyRing::parse(&format!("bad kid:{KEY_A}")).unwrap_err(),
        KeyRingError::KeyId(0)
    );
    let short = KeyRing::parse("a:AAAA").unwrap_err();
    assert_eq!(short, KeyRingError::KeyLength("a".into()));
    assert!(!short.to_string().contains("AAAA"));
    assert_eq!(
        KeyRing::parse(&format!("a:{KEY_A},a:{KEY_B}")).unwrap_err(),
        KeyRingError::DuplicateKeyId("a".into())
    );
    assert!(!format!("{:?}", ring(&format!("a:{KEY_A}"))).contains(KEY_A));
}

struct BrokenRng;
impl Rng for BrokenRng {
    fn fill(&self, _: &mut [u8]) -> Result<(), RngError> {
        Err(RngError)
    }
}

#[test]
fn no_randomness_means_no_seal() {
    let keys = ring(&format!("a:{KEY_A}"));
    assert_eq!(
        keys.seal(&BrokenRng, SealPurpose::TotpSecret, "acct", b"s"),
        Err(SealError::Rng(RngError))
    );
}
