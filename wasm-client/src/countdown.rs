//! Seconds left in the current time step, for the countdown beside a code field.

use crate::js::{unix_seconds, whole_number};
use otp_core::totp::TotpParams;
use wasm_bindgen::prelude::*;

/// Seconds left (1..=period) in the time step containing `unix_ms`, via
/// `TotpParams::seconds_left`.
///
/// `period` (seconds) defaults to 30; one that is not a whole number in 1..=300 (what
/// otp-core accepts) falls back to 30. A time that is not a finite, non-negative number
/// of milliseconds gives the whole period.
pub fn seconds_left(unix_ms: f64, period: Option<f64>) -> u64 {
    let defaults = TotpParams::default();
    let period = period
        .and_then(|p| whole_number(p, 1, 300))
        .unwrap_or(defaults.period);
    let params = TotpParams { period, ..defaults };
    match unix_seconds(unix_ms / 1000.0) {
        Some(unix) => params.seconds_left(unix),
        None => period,
    }
}

/// JavaScript `secondsLeft(unixMs: number, period?: number): number` — seconds left
/// (1..=period) in the time step containing `unixMs` (`TotpParams::seconds_left`).
/// `period` defaults to 30 and falls back to 30 when not a whole number in 1..=300; a
/// time that is not a finite, non-negative number gives the whole period. Never throws.
#[wasm_bindgen(js_name = secondsLeft)]
pub fn seconds_left_js(
    #[wasm_bindgen(js_name = unixMs)] unix_ms: f64,
    #[wasm_bindgen(unchecked_optional_param_type = "number")] period: Option<f64>,
) -> u32 {
    // At most 300, so the conversion never fails.
    u32::try_from(seconds_left(unix_ms, period)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_within_the_step() {
        assert_eq!(seconds_left(0.0, None), 30);
        assert_eq!(seconds_left(59_000.0, None), 1);
        assert_eq!(seconds_left(59_999.0, None), 1);
        assert_eq!(seconds_left(60_000.0, None), 30);
        assert_eq!(seconds_left(61_000.0, Some(60.0)), 59);
    }

    #[test]
    fn garbage_does_not_panic() {
        assert_eq!(seconds_left(f64::NAN, None), 30);
        assert_eq!(seconds_left(-1.0, Some(60.0)), 60);
        assert_eq!(seconds_left(1e300, None), 30);
        assert_eq!(seconds_left(1000.0, Some(0.0)), 29);
        assert_eq!(seconds_left(1000.0, Some(f64::NAN)), 29);
    }
}
