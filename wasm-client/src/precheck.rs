//! Local pre-check of a code against the pending shared key, before activation is
//! submitted (a failed activation discards the pending key, so a typo or a wrong device
//! clock must be caught here).
//!
//! Uses `otp_core::totp::verify` with no last accepted step: the same window T−1..T+1
//! and the same comparison as the edge, so a code that passes here passes there at the
//! same time (replay aside, which only the edge knows about).

use crate::js::{unix_seconds, whole_number};
use otp_core::code;
use otp_core::secret::{SecretError, SharedSecret};
use otp_core::totp::{self, Algorithm, TotpParams};
use wasm_bindgen::prelude::*;

/// TOTP parameters as the page passes them; `None` means the RFC 6238 default.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ParamsInput<'a> {
    /// Code length (6 or 8); default 6.
    pub digits: Option<f64>,
    /// Time step in seconds (1..=300); default 30.
    pub period: Option<f64>,
    /// `SHA1`, `SHA256` or `SHA512` (any case); default SHA1.
    pub algorithm: Option<&'a str>,
}

impl ParamsInput<'_> {
    /// The parameters, or `None` when any of them is unusable.
    pub fn to_params(&self) -> Option<TotpParams> {
        let defaults = TotpParams::default();
        let digits = match self.digits {
            None => defaults.digits,
            Some(d) => u8::try_from(whole_number(d, 0, 255)?).ok()?,
        };
        let period = match self.period {
            None => defaults.period,
            Some(p) => whole_number(p, 1, 300)?,
        };
        let algorithm = match self.algorithm {
            None => defaults.algorithm,
            Some(a) => Algorithm::parse(a)?,
        };
        let params = TotpParams {
            algorithm,
            digits,
            period,
            t0: 0,
        };
        params.validate().ok().map(|()| params)
    }
}

/// The step offset (−1, 0 or +1) at which `code` matches `base32_key` at
/// `unix_seconds` (fractions rounded down), or `Ok(None)` when the code is malformed,
/// does not match, or the time or parameters are unusable.
///
/// Errors: only an unusable key (`SharedSecret::from_base32`).
pub fn precheck(
    base32_key: &str,
    code: &str,
    unix_seconds_in: f64,
    params: ParamsInput<'_>,
) -> Result<Option<i8>, SecretError> {
    let secret = SharedSecret::from_base32(base32_key)?;
    let Some(params) = params.to_params() else {
        return Ok(None);
    };
    let Some(unix) = unix_seconds(unix_seconds_in) else {
        return Ok(None);
    };
    let Ok(code) = code::normalise(code, params.digits) else {
        return Ok(None);
    };
    Ok(totp::verify(&params, &secret, &code, unix, None)
        .ok()
        .map(|m| m.offset))
}

/// JavaScript `precheckCode(base32Key: string, code: string, unixSeconds: number,
/// digits?: number, period?: number, algorithm?: string): number | undefined`.
///
/// Returns the matched step offset −1, 0 or +1 (`otp_core::totp::verify`), or `undefined` when
/// the code does not match or any input other than the key is unusable (malformed
/// code, `NaN`/negative time, digits other than 6/8, period outside 1..=300, unknown
/// algorithm). **Throws** an `Error` only when the key is not a usable Base32 key of
/// 128..=512 bits (message: "invalid shared key: …"): the key comes from the server, so
/// that is a bug to surface, not a typo. Never panics.
#[wasm_bindgen(js_name = precheckCode)]
pub fn precheck_code_js(
    #[wasm_bindgen(js_name = base32Key, unchecked_param_type = "string")] base32_key: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] code: JsValue,
    #[wasm_bindgen(js_name = unixSeconds)] unix_seconds: f64,
    #[wasm_bindgen(unchecked_optional_param_type = "number")] digits: Option<f64>,
    #[wasm_bindgen(unchecked_optional_param_type = "number")] period: Option<f64>,
    #[wasm_bindgen(unchecked_optional_param_type = "string")] algorithm: JsValue,
) -> Result<Option<i32>, JsError> {
    let key = base32_key
        .as_string()
        .ok_or_else(|| JsError::new("invalid shared key: the key must be a string"))?;
    // A non-string code or algorithm is unusable input: "" refuses it after the key
    // has been checked.
    let code = code.as_string().unwrap_or_default();
    let algorithm = if algorithm.is_undefined() || algorithm.is_null() {
        None
    } else {
        Some(algorithm.as_string().unwrap_or_default())
    };
    let params = ParamsInput {
        digits,
        period,
        algorithm: algorithm.as_deref(),
    };
    precheck(&key, &code, unix_seconds, params)
        .map(|offset| offset.map(i32::from))
        .map_err(|err| JsError::new(&format!("invalid shared key: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn matches_within_the_window_only() {
        let p = ParamsInput::default();
        assert_eq!(precheck(KEY, "005924", 1_234_567_890.0, p), Ok(Some(0)));
        assert_eq!(
            precheck(KEY, "005924", 1_234_567_890.0 + 30.0, p),
            Ok(Some(-1))
        );
        assert_eq!(
            precheck(KEY, "005924", 1_234_567_890.0 - 30.0, p),
            Ok(Some(1))
        );
        assert_eq!(precheck(KEY, "005924", 1_234_567_890.0 + 60.0, p), Ok(None));
        assert_eq!(precheck(KEY, "5924", 1_234_567_890.0, p), Ok(None));
    }

    #[test]
    fn bad_params_and_times_give_none() {
        let at = 1_234_567_890.0;
        for p in [
            ParamsInput {
                digits: Some(7.0),
                ..Default::default()
            },
            ParamsInput {
                digits: Some(f64::NAN),
                ..Default::default()
            },
            ParamsInput {
                period: Some(0.0),
                ..Default::default()
            },
            ParamsInput {
                period: Some(1e20),
                ..Default::default()
            },
            ParamsInput {
                algorithm: Some("MD5"),
                ..Default::default()
            },
        ] {
            assert_eq!(precheck(KEY, "005924", at, p), Ok(None));
        }
        for t in [f64::NAN, -1.0, f64::INFINITY, 1e300] {
            assert_eq!(precheck(KEY, "005924", t, ParamsInput::default()), Ok(None));
        }
    }

    #[test]
    fn bad_keys_are_errors() {
        assert_eq!(
            precheck("", "005924", 0.0, ParamsInput::default()),
            Err(SecretError::Empty)
        );
        assert_eq!(
            precheck("JBSWY3DPEHPK3PXP", "005924", 0.0, ParamsInput::default()),
            Err(SecretError::TooShort)
        );
    }
}
