//! The clock, countdown, key-grouping, recovery-code and QR exports in the browser,
//! compared with otp-core, plus inputs no caller should send (NaN, huge numbers, wrong types).

mod common;

use common::*;
use js_sys::{Array, Object};
use otp_core::drift::{self, ClockOffset, TimeSample};
use otp_core::secret::group_in_fours;
use otp_core::totp::TotpParams;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use wasm_client::clock::{drift_warning_js, estimate_clock_offset_js};
use wasm_client::code_entry::normalise_recovery_code_js;
use wasm_client::countdown::seconds_left_js;
use wasm_client::key::group_key_js;
use wasm_client::qr::{MAX_INPUT_BYTES, render_qr_svg_js};

wasm_bindgen_test_configure!(run_in_browser);

fn sample(sent: f64, server: f64, received: f64) -> JsValue {
    let obj = Object::new();
    for (k, v) in [
        ("sentMs", sent),
        ("serverMs", server),
        ("receivedMs", received),
    ] {
        js_sys::Reflect::set(&obj, &js(k), &JsValue::from_f64(v)).unwrap();
    }
    obj.into()
}

#[wasm_bindgen_test]
fn clock_offset_matches_otp_core() {
    let raw = [
        (1000, 91_100, 1200),
        (2000, 92_020, 2040),
        (3000, 93_300, 3600),
    ];
    let arr = Array::new();
    for (a, b, c) in raw {
        arr.push(&sample(a as f64, b as f64, c as f64));
    }
    // Unusable entries are skipped: NaN, missing fields, non-objects, a clock jump back.
    arr.push(&sample(f64::NAN, 1.0, 2.0));
    arr.push(&Object::new());
    arr.push(&js("x"));
    arr.push(&JsValue::NULL);
    arr.push(&sample(5000.0, 95_000.0, 4000.0));
    let got = estimate_clock_offset_js(arr.into());
    let core = drift::estimate(
        &raw.iter()
            .map(|&(s, v, r)| TimeSample {
                sent_ms: s,
                server_ms: v,
                received_ms: r,
            })
            .chain([TimeSample {
                sent_ms: 5000,
                server_ms: 95_000,
                received_ms: 4000,
            }])
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert_eq!(prop_num(&got, "offsetMs"), core.offset_ms as f64);
    assert_eq!(prop_num(&got, "uncertaintyMs"), core.uncertainty_ms as f64);
    assert_eq!(prop_num(&got, "samples"), f64::from(core.samples));
    assert_eq!(
        (core.offset_ms, core.uncertainty_ms, core.samples),
        (90_000, 20, 3)
    );
}

#[wasm_bindgen_test]
fn clock_offset_of_nothing_is_undefined() {
    for v in [
        JsValue::UNDEFINED,
        JsValue::NULL,
        js("[]"),
        Array::new().into(),
        JsValue::from_f64(3.0),
    ] {
        assert!(estimate_clock_offset_js(v).is_undefined());
    }
    let huge = Array::of1(&sample(1e300, 0.0, 1e300));
    assert!(estimate_clock_offset_js(huge.into()).is_undefined());
}

#[wasm_bindgen_test]
fn drift_warning_matches_otp_core() {
    for ms in [
        0i64, 9_999, 10_000, -10_000, 10_001, -10_001, 10_499, 10_500, -90_000, 90_000, 3_600_000,
    ] {
        let got = drift_warning_js(ms as f64);
        let core = drift::warning(&ClockOffset {
            offset_ms: ms,
            uncertainty_ms: 0,
            samples: 1,
        });
        match core {
            None => assert!(got.is_undefined(), "{ms}"),
            Some(w) => {
                let dir = if ms < 0 { "ahead" } else { "behind" };
                assert_eq!(prop_str(&got, "direction"), dir);
                assert_eq!(prop_num(&got, "seconds"), w.seconds as f64);
            }
        }
    }
    assert_eq!(prop_num(&drift_warning_js(-90_000.0), "seconds"), 90.0);
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300] {
        assert!(drift_warning_js(bad).is_undefined());
    }
}

#[wasm_bindgen_test]
fn seconds_left_matches_otp_core() {
    for unix in [
        0u64,
        1,
        29,
        30,
        59,
        1_111_111_109,
        1_700_000_025,
        20_000_000_000,
    ] {
        for period in [30u64, 60] {
            let params = TotpParams {
                period,
                ..TotpParams::default()
            };
            let got = seconds_left_js(unix as f64 * 1000.0 + 999.0, Some(period as f64));
            assert_eq!(u64::from(got), params.seconds_left(unix), "{unix} {period}");
        }
    }
    assert_eq!(seconds_left_js(1_700_000_025_000.0, None), 15);
    for bad in [f64::NAN, -1.0, f64::INFINITY, 1e300] {
        assert_eq!(seconds_left_js(bad, None), 30);
    }
    assert_eq!(seconds_left_js(1000.0, Some(f64::NAN)), 29);
}

#[wasm_bindgen_test]
fn group_key_matches_otp_core() {
    let file = cases(TOTP_VECTORS);
    let mut keys: Vec<String> = file["base32_secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| text(c, "secret").to_owned())
        .collect();
    keys.extend(["", "abc", "s46s qcpp tcnp romh wybd ctbz xv", "ÄÖÜ€😀x"].map(str::to_owned));
    for key in &keys {
        assert_eq!(group_key_js(js(key)), group_in_fours(key), "{key}");
    }
    assert_eq!(
        group_key_js(js("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")),
        "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
    );
    assert_eq!(
        group_key_js(js("S46SQCPPTCNPROMHWYBDCTBZXV")),
        "S46S QCPP TCNP ROMH WYBD CTBZ XV"
    );
    assert_eq!(group_key_js(JsValue::UNDEFINED), "");
}

#[wasm_bindgen_test]
fn qr_refuses_garbage_with_an_error() {
    assert!(render_qr_svg_js(js(&"x".repeat(MAX_INPUT_BYTES + 1)), JsValue::UNDEFINED).is_err());
    assert!(render_qr_svg_js(JsValue::UNDEFINED, JsValue::UNDEFINED).is_err());
    assert!(render_qr_svg_js(JsValue::from_f64(1.0), JsValue::UNDEFINED).is_err());
    let svg = render_qr_svg_js(js("hello"), js("Scan me")).unwrap();
    assert!(svg.contains("aria-label=\"Scan me\""));
    let svg = render_qr_svg_js(js("hello"), JsValue::from_f64(1.0)).unwrap();
    assert!(svg.contains(wasm_client::qr::DEFAULT_LABEL));
}

#[wasm_bindgen_test]
fn recovery_codes_are_normalised_as_otp_core_does() {
    for input in [
        "7kqm 3xrt a9pw",
        "7KQM-3XRT-A9PW",
        "",
        "0KQM-3XRT-A9PW",
        "7KQM-3XRT",
    ] {
        let result = normalise_recovery_code_js(js(input));
        match otp_core::recovery_code::normalise(input) {
            Ok(code) => {
                assert_eq!(prop(&result, "ok").as_bool(), Some(true), "{input:?}");
                assert_eq!(prop_str(&result, "code"), code.grouped());
                assert_eq!(code.grouped(), "7KQM-3XRT-A9PW");
            }
            Err(err) => {
                assert_eq!(prop(&result, "ok").as_bool(), Some(false), "{input:?}");
                assert_eq!(prop_str(&result, "reason"), err.code());
                assert_eq!(prop_str(&result, "message"), err.to_string());
            }
        }
    }
    let not_a_string = normalise_recovery_code_js(JsValue::from_f64(7.0));
    assert_eq!(prop_str(&not_a_string, "reason"), "empty");
    // The count the pages put into their message comes from otp-core's.
    let short = normalise_recovery_code_js(js("7kqm 3xrt"));
    assert_eq!(prop(&short, "got").as_f64(), Some(8.0));
    let code = wasm_client::code_entry::normalise_code_js(js("123 45"), 6.0);
    assert_eq!(prop(&code, "got").as_f64(), Some(5.0));
    assert_eq!(prop(&code, "expected").as_f64(), Some(6.0));
}
