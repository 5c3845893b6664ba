//! inputs.json through the browser module: code entry (`normaliseCode`), the time window
//! (`precheckCode` with a device clock off by ±29 s and ±65 s) and the otpauth URIs
//! (`renderQrSvg`). Results are compared with otp-core's and with what the file states.

mod common;

use common::*;
use otp_core::code::{self, CodeError};
use otp_core::secret::SharedSecret;
use otp_core::totp::{Algorithm, TotpParams};
use otp_core::uri::{self, Issuer, UriError};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use wasm_client::code_entry::normalise_code_js;
use wasm_client::precheck::precheck_code_js;
use wasm_client::qr::render_qr_svg_js;

wasm_bindgen_test_configure!(run_in_browser);

/// What the file's `expect` text says: `Ok(code)` or `Err(Some(reason))` when it names
/// the reason, `Err(None)` when it only says "refused".
fn expected_entry(input: &str, expect: &str) -> Result<String, Option<&'static str>> {
    if let Some(rest) = expect.strip_prefix("normalised to ") {
        return Ok(rest.split_whitespace().next().unwrap().to_owned());
    }
    if expect.contains("keep their leading zero") {
        return Ok(input.to_owned());
    }
    assert!(
        expect.starts_with("refused"),
        "unknown expectation {expect}"
    );
    if expect.contains("wrong length") {
        Err(Some("wrong_length"))
    } else {
        Err(None)
    }
}

#[wasm_bindgen_test]
fn code_entry_cases() {
    let file = cases(INPUTS);
    let entries = file["code_entry"].as_array().unwrap();
    assert_eq!(entries.len(), 8);
    for case in entries {
        let input = text(case, "input");
        let digits = uint(case, "digits");
        let expect = expected_entry(input, text(case, "expect"));
        let result = normalise_code_js(js(input), digits as f64);
        let core = code::normalise(input, digits as u8);
        if prop(&result, "ok").as_bool() == Some(true) {
            let got = prop_str(&result, "code");
            assert_eq!(Ok(got.clone()), expect, "{input:?}");
            assert_eq!(core.map(|c| c.as_str().to_owned()), Ok(got));
        } else {
            let reason = prop_str(&result, "reason");
            let message = prop_str(&result, "message");
            let err: CodeError = core.expect_err(input);
            assert_eq!(reason, err.code(), "{input:?}");
            assert_eq!(message, err.to_string());
            match expect {
                Ok(code) => panic!("{input:?} should give {code}"),
                Err(Some(named)) => assert_eq!(reason, named, "{input:?}"),
                Err(None) => assert!(["empty", "not_digits"].contains(&reason.as_str())),
            }
        }
    }
}

#[wasm_bindgen_test]
fn code_entry_garbage() {
    let reason =
        |input: JsValue, digits: f64| prop_str(&normalise_code_js(input, digits), "reason");
    assert_eq!(reason(JsValue::UNDEFINED, 6.0), "empty");
    assert_eq!(reason(JsValue::from_f64(123456.0), 6.0), "empty");
    assert_eq!(reason(js("123456"), f64::NAN), "wrong_length");
    assert_eq!(reason(js("123456"), -6.0), "wrong_length");
    assert_eq!(reason(js(&"1".repeat(100_000)), 6.0), "wrong_length");
    assert_eq!(reason(js("12\t3456"), 6.0), "not_digits");
    let bad_digits = normalise_code_js(js("123456"), 6.5);
    assert_eq!(
        prop_str(&bad_digits, "message"),
        wasm_client::code_entry::BAD_DIGITS_MESSAGE
    );
}

/// −1, 0, +1 or refused, from the file's `expect` text.
fn expected_offset(expect: &str) -> Option<i32> {
    if expect.starts_with("refused") {
        None
    } else if expect.contains("next step") {
        Some(1)
    } else if expect.contains("previous step") {
        Some(-1)
    } else {
        assert!(expect.starts_with("accepted"), "{expect}");
        Some(0)
    }
}

#[wasm_bindgen_test]
fn time_window_cases() {
    let file = cases(INPUTS);
    let keys = [
        ("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", Algorithm::Sha1),
        ("S46SQCPPTCNPROMHWYBDCTBZXV", Algorithm::Sha1),
        (
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA",
            Algorithm::Sha256,
        ),
    ];
    let cases = file["time_window"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for case in cases {
        let server = uint(case, "server_unix");
        let device = server
            .checked_add_signed(int(case, "client_offset_s"))
            .unwrap();
        let expected = expected_offset(text(case, "expect"));
        for (key, algorithm) in keys {
            let params = TotpParams {
                algorithm,
                ..TotpParams::default()
            };
            let secret = SharedSecret::from_base32(key).unwrap();
            // The authenticator follows the device clock; the check uses server time.
            let shown = params.code_at(&secret, device).unwrap();
            let got = precheck_code_js(
                js(key),
                js(&shown),
                server as f64,
                Some(6.0),
                Some(30.0),
                js(algorithm.as_str()),
            )
            .expect("valid key");
            assert_eq!(got, expected, "{case}");
            let code = code::normalise(&shown, 6).unwrap();
            let core = otp_core::totp::verify(&params, &secret, &code, server, None)
                .ok()
                .map(|m| i32::from(m.offset));
            assert_eq!(got, core);
        }
    }
}

#[wasm_bindgen_test]
fn otpauth_uri_cases_render_or_are_refused() {
    let file = cases(INPUTS);
    let secret = SharedSecret::from_bytes((1..=20).collect()).unwrap();
    let mut rendered = 0;
    for case in file["otpauth_uri"].as_array().unwrap() {
        let (issuer, account) = (text(case, "issuer"), text(case, "account"));
        match Issuer::new(issuer) {
            Err(err) => {
                assert!(issuer.contains(':'), "{issuer} refused: {err}");
                assert_eq!(err, UriError::IssuerColon);
            }
            Ok(issuer) => {
                let uri = uri::build(&issuer, account, &secret, &TotpParams::default()).unwrap();
                let svg = render_qr_svg_js(js(&uri), JsValue::UNDEFINED).expect("renders");
                assert_eq!(
                    Ok(svg.clone()),
                    wasm_client::qr::render_qr_svg(&uri, None).map_err(|_| ())
                );
                assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
                assert!(svg.contains("role=\"img\"") && svg.contains("aria-label=\""));
                assert!(svg.contains("shape-rendering=\"crispEdges\""));
                // Parsed back by the browser as an SVG image.
                let parser = js_sys::eval("(s) => new DOMParser().parseFromString(s, 'image/svg+xml').documentElement.tagName").unwrap();
                let tag = js_sys::Function::from(parser)
                    .call1(&JsValue::NULL, &js(&svg))
                    .unwrap();
                assert_eq!(tag.as_string().as_deref(), Some("svg"));
                rendered += 1;
            }
        }
    }
    assert_eq!(rendered, 3);
}
