//! Base32 key input: never panics; an accepted key prints canonically and reads back
//! to the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use otp_core::secret::SharedSecret;

fuzz_target!(|text: &str| {
    if let Ok(secret) = SharedSecret::from_base32(text) {
        let canonical = secret.to_base32();
        assert!(!canonical.contains('='));
        let again = SharedSecret::from_base32(&canonical).expect("canonical form reads back");
        assert_eq!(again.as_bytes(), secret.as_bytes());
    }
});
