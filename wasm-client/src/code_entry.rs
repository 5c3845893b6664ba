//! Code entry: what a person typed, normalised by `otp_core::code::normalise` (TOTP
//! codes) and `otp_core::recovery_code::normalise` (recovery codes).

use crate::js::{object, whole_number};
use otp_core::code::{self, CodeError};
use otp_core::recovery_code::{self, RecoveryCodeError};
use wasm_bindgen::prelude::*;

/// Message returned when `digits` itself is unusable (not a whole number 1..=255).
pub const BAD_DIGITS_MESSAGE: &str = "the expected number of digits must be a whole number";

/// Normalise `input` for a code of `digits` digits: `Ok(digits)` or the refusal.
///
/// `digits` that is not a whole number in 1..=255 is refused as
/// [`CodeError::WrongLength`] with `expected: 0`; the JavaScript wrapper reports it with
/// [`BAD_DIGITS_MESSAGE`].
pub fn normalise(input: &str, digits: f64) -> Result<String, CodeError> {
    let Some(digits) = whole_number(digits, 1, 255).and_then(|d| u8::try_from(d).ok()) else {
        return Err(CodeError::WrongLength {
            expected: 0,
            got: input.chars().filter(|c| *c != ' ').count(),
        });
    };
    code::normalise(input, digits).map(|c| c.as_str().to_owned())
}

/// JavaScript `normaliseCode(input: string, digits: number): NormalisedCode`.
///
/// Returns `{ok: true, code}` with ASCII spaces removed, or `{ok: false, reason,
/// message}` where `reason` is `CodeError::code()` (`"empty"`, `"not_digits"`,
/// `"wrong_length"`, which also carries `expected` and `got`, the digits wanted and
/// found) and `message` its English text. A non-string `input` counts as empty; an
/// unusable `digits` gives `"wrong_length"`. Never throws.
#[wasm_bindgen(js_name = normaliseCode, unchecked_return_type = "NormalisedCode")]
pub fn normalise_code_js(
    #[wasm_bindgen(unchecked_param_type = "string")] input: JsValue,
    digits: f64,
) -> JsValue {
    let input = input.as_string().unwrap_or_default();
    match normalise(&input, digits) {
        Ok(code) => object(&[("ok", JsValue::TRUE), ("code", JsValue::from_str(&code))]),
        Err(err) => {
            let message = match err {
                CodeError::WrongLength { expected: 0, .. } => BAD_DIGITS_MESSAGE.to_owned(),
                other => other.to_string(),
            };
            let mut fields = vec![
                ("ok", JsValue::FALSE),
                ("reason", JsValue::from_str(err.code())),
                ("message", JsValue::from_str(&message)),
            ];
            if let CodeError::WrongLength { expected, got } = err {
                fields.push(("expected", JsValue::from_f64(f64::from(expected))));
                fields.push(("got", JsValue::from_f64(got as f64)));
            }
            object(&fields)
        }
    }
}

/// JavaScript `normaliseRecoveryCode(input: string): NormalisedRecoveryCode`.
///
/// Follows `otp_core::recovery_code::normalise`: `{ok: true, code}` with the code in
/// its printed form (`XXXX-XXXX-XXXX`), or `{ok: false, reason, message}` where `reason`
/// is `"empty"`, `"not_in_alphabet"` or `"wrong_length"` (with `got`, the characters
/// found). A non-string `input` counts as empty. Never throws.
#[wasm_bindgen(
    js_name = normaliseRecoveryCode,
    unchecked_return_type = "NormalisedRecoveryCode"
)]
pub fn normalise_recovery_code_js(
    #[wasm_bindgen(unchecked_param_type = "string")] input: JsValue,
) -> JsValue {
    let input = input.as_string().unwrap_or_default();
    match recovery_code::normalise(&input) {
        Ok(code) => object(&[
            ("ok", JsValue::TRUE),
            ("code", JsValue::from_str(&code.grouped())),
        ]),
        Err(err) => {
            let mut fields = vec![
                ("ok", JsValue::FALSE),
                ("reason", JsValue::from_str(err.code())),
                ("message", JsValue::from_str(&err.to_string())),
            ];
            if let RecoveryCodeError::WrongLength { got } = err {
                fields.push(("got", JsValue::from_f64(got as f64)));
            }
            object(&fields)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_otp_core() {
        assert_eq!(normalise(" 123 456 ", 6.0).as_deref(), Ok("123456"));
        assert_eq!(normalise("", 6.0), Err(CodeError::Empty));
        assert_eq!(normalise("12a456", 6.0), Err(CodeError::NotDigits));
    }

    #[test]
    fn unusable_digits_are_refused() {
        for digits in [f64::NAN, 0.0, -6.0, 6.5, 256.0, f64::INFINITY] {
            assert!(matches!(
                normalise("123456", digits),
                Err(CodeError::WrongLength {
                    expected: 0,
                    got: 6
                })
            ));
        }
    }
}
