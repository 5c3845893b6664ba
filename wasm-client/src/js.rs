//! Checked conversions between JavaScript values and Rust types.
//!
//! JavaScript numbers are `f64`: they may be `NaN`, infinite, negative, fractional or
//! beyond 2^53 (where integers stop being exact). Every conversion here refuses what it
//! cannot represent exactly instead of casting, so no caller can be surprised by a
//! saturated or wrapped value.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// 2^53 − 1, the largest integer a JavaScript number holds exactly.
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A whole number in `min..=max`, or `None` (fractions, `NaN`, infinities, out of range).
pub fn whole_number(x: f64, min: u64, max: u64) -> Option<u64> {
    if !x.is_finite() || x.fract() != 0.0 || !(0.0..=MAX_SAFE_INTEGER).contains(&x) {
        return None;
    }
    let n = x as u64; // exact: whole, non-negative and at most 2^53 − 1.
    (min..=max).contains(&n).then_some(n)
}

/// Unix seconds from a number of seconds that may carry a fraction (`Date.now() / 1000`):
/// rounded down; `None` when negative, not finite or beyond 2^53.
pub fn unix_seconds(x: f64) -> Option<u64> {
    if !x.is_finite() || !(0.0..=MAX_SAFE_INTEGER).contains(&x) {
        return None;
    }
    Some(x.floor() as u64)
}

/// Milliseconds as a signed integer, rounded to the nearest; `None` when not finite or
/// beyond ±2^53.
pub fn millis(x: f64) -> Option<i64> {
    if !x.is_finite() || x.abs() > MAX_SAFE_INTEGER {
        return None;
    }
    Some(x.round() as i64)
}

/// A plain object with the given properties, in order.
pub fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let obj = Object::new();
    for (name, value) in fields {
        // Defining a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&obj, &JsValue::from_str(name), value);
    }
    obj.into()
}

/// Property `name` of `value` as a number, or `None` when absent or not a number.
pub fn number_property(value: &JsValue, name: &str) -> Option<f64> {
    if !value.is_object() {
        return None;
    }
    Reflect::get(value, &JsValue::from_str(name))
        .ok()
        .and_then(|v| v.as_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_exact_or_refused() {
        assert_eq!(whole_number(6.0, 1, 255), Some(6));
        assert_eq!(whole_number(6.5, 1, 255), None);
        assert_eq!(whole_number(f64::NAN, 1, 255), None);
        assert_eq!(whole_number(f64::INFINITY, 1, 255), None);
        assert_eq!(whole_number(-1.0, 0, 255), None);
        assert_eq!(whole_number(256.0, 1, 255), None);
        assert_eq!(whole_number(1e300, 1, u64::MAX), None);
    }

    #[test]
    fn unix_seconds_floor_and_refuse() {
        assert_eq!(unix_seconds(59.999), Some(59));
        assert_eq!(unix_seconds(0.0), Some(0));
        assert_eq!(unix_seconds(-0.5), None);
        assert_eq!(unix_seconds(f64::NAN), None);
        assert_eq!(unix_seconds(f64::NEG_INFINITY), None);
        assert_eq!(unix_seconds(1e16), None);
    }

    #[test]
    fn millis_round_and_refuse() {
        assert_eq!(millis(1.5), Some(2));
        assert_eq!(millis(-1.4), Some(-1));
        assert_eq!(millis(f64::NAN), None);
        assert_eq!(millis(-1e300), None);
    }
}
