//! Shared helpers for the browser test suites: the case files and JS object access.
#![allow(dead_code)]

use js_sys::Reflect;
use otp_core::secret::SharedSecret;
use serde_json::Value;
use wasm_bindgen::JsValue;

/// ../shared/cases/totp-vectors.json, read at compile time.
pub const TOTP_VECTORS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/cases/totp-vectors.json"
));
/// ../shared/cases/inputs.json, read at compile time.
pub const INPUTS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/cases/inputs.json"
));

/// A parsed case file.
pub fn cases(text: &str) -> Value {
    serde_json::from_str(text).expect("case file is JSON")
}

/// `value[key]` as a string.
pub fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is a string in {value}"))
}

/// `value[key]` as an unsigned integer.
pub fn uint(value: &Value, key: &str) -> u64 {
    value[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is an integer in {value}"))
}

/// `value[key]` as a signed integer.
pub fn int(value: &Value, key: &str) -> i64 {
    value[key]
        .as_i64()
        .unwrap_or_else(|| panic!("{key} is an integer in {value}"))
}

/// Base32 of an ASCII secret (the RFC 6238 secrets are given as ASCII).
pub fn base32_of_ascii(ascii: &str) -> String {
    SharedSecret::from_bytes(ascii.as_bytes().to_vec())
        .expect("RFC secret is 16..=64 bytes")
        .to_base32()
}

/// Property `name` of a JS object.
pub fn prop(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(name)).expect("object")
}

/// Property `name` of a JS object as a string.
pub fn prop_str(value: &JsValue, name: &str) -> String {
    prop(value, name)
        .as_string()
        .unwrap_or_else(|| panic!("{name} is a string"))
}

/// Property `name` of a JS object as a number.
pub fn prop_num(value: &JsValue, name: &str) -> f64 {
    prop(value, name)
        .as_f64()
        .unwrap_or_else(|| panic!("{name} is a number"))
}

/// A JS string.
pub fn js(s: &str) -> JsValue {
    JsValue::from_str(s)
}
