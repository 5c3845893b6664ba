//! Code normalisation: never panics; whatever it accepts is exactly `digits` ASCII
//! digits, and equals the input without its spaces.
#![no_main]
use libfuzzer_sys::fuzz_target;
use otp_core::code;

fuzz_target!(|input: (&str, bool)| {
    let (text, eight) = input;
    let digits = if eight { 8 } else { 6 };
    if let Ok(normalised) = code::normalise(text, digits) {
        let s = normalised.as_str();
        assert_eq!(s.len(), usize::from(digits));
        assert!(s.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(s, text.replace(' ', ""));
    }
});
