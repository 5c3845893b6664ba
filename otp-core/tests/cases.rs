//! Every case of ../shared/cases/ against otp-core: RFC 6238 Appendix B vectors, Base32
//! secrets and their equivalent spellings, code entry, otpauth URIs, the time window.

use otp_core::code::{self, CodeError};
use otp_core::secret::SharedSecret;
use otp_core::totp::{self, Algorithm, TotpParams, VerifyError};
use otp_core::uri::{self, Issuer, UriError};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/../../shared/cases/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("case file is JSON")
}

fn params(algorithm: Algorithm, digits: u8) -> TotpParams {
    TotpParams {
        algorithm,
        digits,
        ..TotpParams::default()
    }
}

#[test]
fn rfc6238_appendix_b_vectors() {
    let cases = load("totp-vectors.json");
    let rfc = &cases["rfc6238"];
    let mut checked = 0;
    for (name, algorithm) in [
        ("SHA1", Algorithm::Sha1),
        ("SHA256", Algorithm::Sha256),
        ("SHA512", Algorithm::Sha512),
    ] {
        let ascii = rfc["secrets_ascii"][name].as_str().unwrap();
        let secret = SharedSecret::from_bytes(ascii.as_bytes().to_vec()).unwrap();
        let p = params(algorithm, 8);
        for case in rfc["cases"].as_array().unwrap() {
            let unix = case["unix"].as_u64().unwrap();
            let expected = case[name].as_str().unwrap();
            assert_eq!(
                p.code_at(&secret, unix).unwrap(),
                expected,
                "{name} at {unix}"
            );
            let typed = code::normalise(expected, 8).unwrap();
            let matched = totp::verify(&p, &secret, &typed, unix, None).unwrap();
            assert_eq!(matched.offset, 0);
            assert_eq!(Some(matched.step), p.step_at(unix));
            checked += 1;
        }
    }
    assert_eq!(checked, 18);
}

#[test]
fn base32_secrets_with_leading_zeros_and_odd_lengths() {
    let cases = load("totp-vectors.json");
    for case in cases["base32_secrets"].as_array().unwrap() {
        let secret = SharedSecret::from_base32(case["secret"].as_str().unwrap()).unwrap();
        let digits = case["digits"].as_u64().unwrap() as u8;
        let unix = case["unix"].as_u64().unwrap();
        let expected = case["code"].as_str().unwrap();
        let p = params(Algorithm::Sha1, digits);
        assert_eq!(p.code_at(&secret, unix).unwrap(), expected);
        let typed = code::normalise(expected, digits).unwrap();
        assert!(totp::verify(&p, &secret, &typed, unix, None).is_ok());
        // The same number without its leading zeros is malformed, never padded.
        let trimmed = expected.trim_start_matches('0');
        if trimmed.len() < expected.len() {
            assert!(matches!(
                code::normalise(trimmed, digits),
                Err(CodeError::WrongLength { .. })
            ));
            assert!(code::normalise(&expected[1..], digits).is_err());
        }
    }
}

#[test]
fn base32_spellings_decode_to_the_same_bytes() {
    let cases = load("totp-vectors.json");
    for case in cases["base32_equivalence"].as_array().unwrap() {
        let expected = case["bytes_hex"].as_str().unwrap();
        for input in case["inputs"].as_array().unwrap() {
            let secret = SharedSecret::from_base32(input.as_str().unwrap()).unwrap();
            assert_eq!(hex_of(secret.as_bytes()), expected, "{input}");
        }
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn code_entry_cases() {
    let cases = load("inputs.json");
    for case in cases["code_entry"].as_array().unwrap() {
        let input = case["input"].as_str().unwrap();
        let digits = case["digits"].as_u64().unwrap() as u8;
        let expect = case["expect"].as_str().unwrap();
        let result = code::normalise(input, digits);
        if expect.starts_with("refused") {
            assert!(result.is_err(), "{input:?} must be refused");
        } else {
            let normalised = result.unwrap_or_else(|e| panic!("{input:?}: {e}"));
            let want: String = input.chars().filter(|c| *c != ' ').collect();
            assert_eq!(normalised.as_str(), want);
            assert_eq!(normalised.as_str().len(), usize::from(digits));
        }
    }
    assert_eq!(
        code::normalise("12345", 6),
        Err(CodeError::WrongLength {
            expected: 6,
            got: 5
        })
    );
    assert_eq!(code::normalise("12345a", 6), Err(CodeError::NotDigits));
    assert_eq!(code::normalise("", 6), Err(CodeError::Empty));
    assert_eq!(
        code::normalise("１２３４５６", 6),
        Err(CodeError::NotDigits)
    );
}

fn test_secret() -> SharedSecret {
    SharedSecret::from_bytes((1..=20).collect()).unwrap()
}

#[test]
fn otpauth_uri_cases() {
    let cases = load("inputs.json");
    for case in cases["otpauth_uri"].as_array().unwrap() {
        let issuer_name = case["issuer"].as_str().unwrap();
        let account = case["account"].as_str().unwrap();
        let issuer = match Issuer::new(issuer_name) {
            Ok(issuer) => issuer,
            Err(e) => {
                assert!(issuer_name.contains(':'), "{issuer_name} refused: {e}");
                assert_eq!(e, UriError::IssuerColon);
                continue;
            }
        };
        let built = uri::build(&issuer, account, &test_secret(), &TotpParams::default()).unwrap();
        assert!(built.starts_with("otpauth://totp/"), "{built}");
        assert!(!built.contains('+'), "{built}: '+' must be encoded");
        let secret_param = built
            .split("secret=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap();
        assert_eq!(secret_param, secret_param.to_ascii_uppercase());
        assert!(
            !secret_param.contains('='),
            "{built}: Base32 without padding"
        );
        let label = built["otpauth://totp/".len()..].split('?').next().unwrap();
        assert_eq!(label.matches(':').count(), 1, "{built}");
        let parsed = uri::parse(&built).unwrap();
        assert_eq!(parsed.account, account);
        assert_eq!(parsed.issuer.as_deref(), Some(issuer_name));
        assert_eq!(parsed.secret, test_secret());
        assert!(built.contains(&format!("secret={}", test_secret().to_base32())));
        assert!(built.contains("issuer="));
    }
    let spaced = uri::build(
        &Issuer::new("Example Hosting").unwrap(),
        "john doe",
        &test_secret(),
        &TotpParams::default(),
    )
    .unwrap();
    assert!(
        spaced.starts_with("otpauth://totp/Example%20Hosting:john%20doe?"),
        "{spaced}"
    );
    assert!(spaced.contains("issuer=Example%20Hosting"), "{spaced}");
    let tagged = uri::build(
        &Issuer::new("Example").unwrap(),
        "foo+tag@example.com",
        &test_secret(),
        &TotpParams::default(),
    )
    .unwrap();
    assert!(
        tagged.contains("Example:foo%2Btag%40example.com?"),
        "{tagged}"
    );
    assert_eq!(
        Issuer::new("https://portal.example"),
        Err(UriError::IssuerColon)
    );
}

#[test]
fn time_window_cases() {
    let cases = load("inputs.json");
    let secret = test_secret();
    let p = TotpParams::default();
    for case in cases["time_window"].as_array().unwrap() {
        let server = case["server_unix"].as_u64().unwrap();
        let offset = case["client_offset_s"].as_i64().unwrap();
        let client = server.checked_add_signed(offset).unwrap();
        let shown = code::normalise(&p.code_at(&secret, client).unwrap(), 6).unwrap();
        let result = totp::verify(&p, &secret, &shown, server, None);
        let expect = case["expect"].as_str().unwrap();
        if expect.starts_with("accepted") {
            let matched = result.unwrap_or_else(|e| panic!("offset {offset}: {e}"));
            assert_eq!(i64::from(matched.offset), offset.signum());
        } else {
            assert_eq!(result, Err(VerifyError::Mismatch), "offset {offset}");
        }
    }
}

#[test]
fn a_consumed_step_and_earlier_ones_are_refused() {
    let secret = test_secret();
    let p = TotpParams::default();
    let unix = 1_700_000_025;
    let now_step = p.step_at(unix).unwrap();
    let code = code::normalise(&p.code_at(&secret, unix).unwrap(), 6).unwrap();
    let first = totp::verify(&p, &secret, &code, unix, None).unwrap();
    assert_eq!(first.step, now_step);
    assert_eq!(
        totp::verify(&p, &secret, &code, unix, Some(first.step)),
        Err(VerifyError::Replayed)
    );
    let previous = code::normalise(&p.code_at(&secret, unix - 30).unwrap(), 6).unwrap();
    assert_eq!(
        totp::verify(&p, &secret, &previous, unix, Some(first.step)),
        Err(VerifyError::Replayed)
    );
    let next = code::normalise(&p.code_at(&secret, unix + 30).unwrap(), 6).unwrap();
    assert_eq!(
        totp::verify(&p, &secret, &next, unix, Some(first.step))
            .unwrap()
            .step,
        now_step + 1
    );
}
