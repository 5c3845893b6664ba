//! totp-vectors.json through `precheckCode` in the browser: RFC 6238 Appendix B (SHA-1,
//! SHA-256, SHA-512, 8 digits), Base32 secrets with leading-zero codes, and Base32
//! spellings that must decode to the same key. Every result is compared with otp-core's
//! and with the value in the file.

mod common;

use common::*;
use otp_core::code;
use otp_core::secret::SharedSecret;
use otp_core::totp::{self, Algorithm, TotpParams};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use wasm_client::precheck::precheck_code_js;

wasm_bindgen_test_configure!(run_in_browser);

/// `precheckCode(key, code, unix, digits, period, algorithm)` with no exception.
fn precheck(key: &str, code: &str, unix: f64, digits: f64, period: f64, alg: &str) -> Option<i32> {
    precheck_code_js(js(key), js(code), unix, Some(digits), Some(period), js(alg))
        .unwrap_or_else(|_| panic!("key {key} is valid"))
}

/// otp-core's own verdict for the same inputs.
fn core_offset(key: &str, code_in: &str, unix: u64, params: &TotpParams) -> Option<i32> {
    let secret = SharedSecret::from_base32(key).ok()?;
    let code = code::normalise(code_in, params.digits).ok()?;
    totp::verify(params, &secret, &code, unix, None)
        .ok()
        .map(|m| i32::from(m.offset))
}

#[wasm_bindgen_test]
fn rfc6238_appendix_b() {
    let file = cases(TOTP_VECTORS);
    let rfc = &file["rfc6238"];
    let (digits, period) = (uint(rfc, "digits"), uint(rfc, "period"));
    assert_eq!(uint(rfc, "t0"), 0);
    let mut checked = 0;
    for case in rfc["cases"].as_array().unwrap() {
        let unix = uint(case, "unix");
        for alg in ["SHA1", "SHA256", "SHA512"] {
            let key = base32_of_ascii(text(&rfc["secrets_ascii"], alg));
            let expected = text(case, alg);
            let params = TotpParams {
                algorithm: Algorithm::parse(alg).unwrap(),
                digits: digits as u8,
                period,
                t0: 0,
            };
            let secret = SharedSecret::from_base32(&key).unwrap();
            assert_eq!(
                params.code_at(&secret, unix).unwrap(),
                expected,
                "otp-core {alg} @{unix}"
            );
            let got = precheck(
                &key,
                expected,
                unix as f64,
                digits as f64,
                period as f64,
                alg,
            );
            assert_eq!(got, Some(0), "{alg} @{unix}");
            assert_eq!(got, core_offset(&key, expected, unix, &params));
            // The same code is the previous step's one step later, and the next step's
            // one step earlier; two steps away it is refused.
            let later = precheck(
                &key,
                expected,
                (unix + period) as f64,
                digits as f64,
                period as f64,
                alg,
            );
            assert_eq!(later, Some(-1), "{alg} @{unix}+30");
            assert_eq!(later, core_offset(&key, expected, unix + period, &params));
            if unix >= period {
                let earlier = precheck(
                    &key,
                    expected,
                    (unix - period) as f64,
                    digits as f64,
                    period as f64,
                    alg,
                );
                assert_eq!(earlier, Some(1), "{alg} @{unix}-30");
            }
            let far = precheck(
                &key,
                expected,
                (unix + 2 * period) as f64,
                digits as f64,
                period as f64,
                alg,
            );
            assert_eq!(far, None);
            // Algorithm names are case-insensitive, as in otp-core.
            let lower = precheck(
                &key,
                expected,
                unix as f64,
                digits as f64,
                period as f64,
                &alg.to_lowercase(),
            );
            assert_eq!(lower, Some(0));
            // Read as a 6-digit code, an 8-digit one is malformed.
            assert_eq!(
                precheck(&key, expected, unix as f64, 6.0, period as f64, alg),
                None
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 18);
}

#[wasm_bindgen_test]
fn base32_secrets_keep_leading_zeros() {
    let file = cases(TOTP_VECTORS);
    for case in file["base32_secrets"].as_array().unwrap() {
        let key = text(case, "secret");
        let unix = uint(case, "unix");
        let digits = uint(case, "digits") as f64;
        let code = text(case, "code");
        let params = TotpParams {
            digits: digits as u8,
            ..TotpParams::default()
        };
        let got = precheck(key, code, unix as f64, digits, 30.0, "SHA1");
        assert_eq!(got, Some(0), "{key}");
        assert_eq!(got, core_offset(key, code, unix, &params));
        // Defaults (digits, period, algorithm omitted) are the same parameters.
        let defaults = precheck_code_js(
            js(key),
            js(code),
            unix as f64,
            None,
            None,
            JsValue::UNDEFINED,
        );
        assert_eq!(defaults.ok().flatten(), Some(0));
        // Fractional seconds (Date.now() / 1000) round down.
        assert_eq!(
            precheck(key, code, unix as f64 + 0.999, digits, 30.0, "SHA1"),
            got
        );
        // Dropping leading zeros never matches: '5924' and '05924' for '005924'.
        let mut shorter = code;
        while let Some(rest) = shorter.strip_prefix('0') {
            shorter = rest;
            assert_eq!(
                precheck(key, shorter, unix as f64, digits, 30.0, "SHA1"),
                None,
                "{shorter}"
            );
            assert_eq!(core_offset(key, shorter, unix, &params), None);
        }
        // Spaces typed inside the code are fine.
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(
            precheck(key, &spaced, unix as f64, digits, 30.0, "SHA1"),
            Some(0)
        );
    }
}

#[wasm_bindgen_test]
fn base32_spellings_are_one_key() {
    let file = cases(TOTP_VECTORS);
    for case in file["base32_equivalence"].as_array().unwrap() {
        let bytes_hex = text(case, "bytes_hex");
        let inputs: Vec<&str> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let canonical = SharedSecret::from_base32(inputs[0]).unwrap();
        let hex: String = canonical
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, bytes_hex);
        let unix = 1_612_380_872u64;
        let code = TotpParams::default().code_at(&canonical, unix).unwrap();
        for input in &inputs {
            assert_eq!(
                SharedSecret::from_base32(input).unwrap(),
                canonical,
                "{input}"
            );
            assert_eq!(
                precheck(input, &code, unix as f64, 6.0, 30.0, "SHA1"),
                Some(0),
                "{input}"
            );
        }
    }
}

#[wasm_bindgen_test]
fn unusable_keys_throw_and_other_garbage_does_not() {
    for bad in [
        "",
        "   ",
        "JBSWY3DPEHPK3PXP",
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1",
        "A",
    ] {
        assert!(
            precheck_code_js(js(bad), js("123456"), 0.0, None, None, JsValue::UNDEFINED).is_err(),
            "{bad:?}"
        );
    }
    assert!(
        precheck_code_js(
            JsValue::NULL,
            js("123456"),
            0.0,
            None,
            None,
            JsValue::UNDEFINED
        )
        .is_err()
    );
    let key = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let ok = |code: JsValue, unix: f64, digits: Option<f64>, period: Option<f64>, alg: JsValue| {
        precheck_code_js(js(key), code, unix, digits, period, alg).expect("no throw")
    };
    for unix in [
        f64::NAN,
        -1.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e300,
        -0.5,
    ] {
        assert_eq!(ok(js("005924"), unix, None, None, JsValue::UNDEFINED), None);
    }
    for digits in [f64::NAN, 0.0, 7.0, 6.5, -6.0, 1e20] {
        assert_eq!(
            ok(
                js("005924"),
                1_234_567_890.0,
                Some(digits),
                None,
                JsValue::UNDEFINED
            ),
            None
        );
    }
    for period in [f64::NAN, 0.0, 301.0, 29.5, -30.0] {
        assert_eq!(
            ok(
                js("005924"),
                1_234_567_890.0,
                None,
                Some(period),
                JsValue::UNDEFINED
            ),
            None
        );
    }
    for alg in [js("MD5"), js(""), JsValue::from_f64(1.0), JsValue::TRUE] {
        assert_eq!(ok(js("005924"), 1_234_567_890.0, None, None, alg), None);
    }
    for code in [
        JsValue::UNDEFINED,
        JsValue::from_f64(5924.0),
        js("0059 24x"),
        js(&"9".repeat(10_000)),
    ] {
        assert_eq!(
            ok(code, 1_234_567_890.0, None, None, JsValue::UNDEFINED),
            None
        );
    }
    assert_eq!(
        ok(js("005924"), 1_234_567_890.0, None, None, JsValue::NULL),
        Some(0)
    );
}
