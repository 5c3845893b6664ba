//! otpauth URIs: parsing never panics; a URI built from any issuer and account the
//! builder accepts parses back to the same issuer, account and secret.
#![no_main]
use libfuzzer_sys::fuzz_target;
use otp_core::secret::SharedSecret;
use otp_core::totp::TotpParams;
use otp_core::uri::{self, Issuer};

fuzz_target!(|input: (&str, &str, &str)| {
    let (raw, issuer, account) = input;
    let _ = uri::parse(raw);
    let Ok(issuer) = Issuer::new(issuer) else { return };
    let secret = SharedSecret::from_bytes((0u8..20).collect()).unwrap();
    if let Ok(built) = uri::build(&issuer, account, &secret, &TotpParams::default()) {
        let parsed = uri::parse(&built).expect("a built URI parses");
        assert_eq!(parsed.account, account);
        assert_eq!(parsed.issuer.as_deref(), Some(issuer.as_str()));
        assert_eq!(parsed.secret, secret);
        let label = built["otpauth://totp/".len()..].split('?').next().unwrap();
        assert_eq!(label.matches(':').count(), 1, "{built}");
    }
});
