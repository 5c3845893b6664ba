//! Opening sealed blobs: arbitrary bytes never panic and never open; a real blob with
//! any one byte changed never opens.
#![no_main]
use libfuzzer_sys::fuzz_target;
use otp_core::ports::OsRng;
use otp_core::seal::{KeyRing, SealPurpose};

fuzz_target!(|input: (&[u8], u16, u8)| {
    let (bytes, position, flip) = input;
    let keys = KeyRing::parse(
        "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",
    )
    .unwrap();
    assert!(keys.open(SealPurpose::TotpSecret, "acct", bytes).is_err());
    let mut blob = keys.seal(&OsRng, SealPurpose::TotpSecret, "acct", b"secret").unwrap();
    if flip != 0 {
        let i = usize::from(position) % blob.len();
        blob[i] ^= flip;
        assert!(keys.open(SealPurpose::TotpSecret, "acct", &blob).is_err());
    }
});
