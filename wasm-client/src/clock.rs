//! Clock offset between this device and the server, from `GET /api/time` round trips,
//! and the drift warning (both decided by `otp_core::drift`).

use crate::js::{millis, number_property, object};
use js_sys::Array;
use otp_core::drift::{self, ClockOffset, DriftDirection, DriftWarning, TimeSample};
use wasm_bindgen::prelude::*;

/// The samples of a JavaScript array of `{sentMs, serverMs, receivedMs}`; entries that
/// are not objects with three finite numbers (within ±2^53, rounded to whole ms) are
/// skipped, as is anything that is not an array.
pub fn samples_from_js(samples: &JsValue) -> Vec<TimeSample> {
    if !Array::is_array(samples) {
        return Vec::new();
    }
    Array::from(samples)
        .iter()
        .filter_map(|entry| {
            let field = |name| number_property(&entry, name).and_then(millis);
            Some(TimeSample {
                sent_ms: field("sentMs")?,
                server_ms: field("serverMs")?,
                received_ms: field("receivedMs")?,
            })
        })
        .collect()
}

/// JavaScript `estimateClockOffset(samples: TimeSample[]): ClockOffset | undefined`.
///
/// `otp_core::drift::estimate` over the usable samples (entries that are not objects
/// with three finite numbers are skipped; numbers are rounded to whole ms): the sample with the shortest round trip gives `offsetMs` = server − device midpoint,
/// `uncertaintyMs` = half its round trip. `undefined` when no sample is usable. Never
/// throws.
#[wasm_bindgen(
    js_name = estimateClockOffset,
    unchecked_return_type = "ClockOffset | undefined"
)]
pub fn estimate_clock_offset_js(
    #[wasm_bindgen(unchecked_param_type = "TimeSample[]")] samples: JsValue,
) -> JsValue {
    match drift::estimate(&samples_from_js(&samples)) {
        Some(offset) => offset_to_js(&offset),
        None => JsValue::UNDEFINED,
    }
}

/// The drift warning for a device clock `offset_ms` behind the server (negative: ahead),
/// or `None` within ±10 s (`otp_core::drift::WARN_THRESHOLD_MS`) or for an unusable
/// number.
pub fn drift_warning(offset_ms: f64) -> Option<DriftWarning> {
    let offset = ClockOffset {
        offset_ms: millis(offset_ms)?,
        uncertainty_ms: 0,
        samples: 1,
    };
    drift::warning(&offset)
}

/// JavaScript `driftWarning(offsetMs: number): DriftWarning | undefined` — `{direction:
/// "ahead" | "behind", seconds}` when the device clock is off by more than 10 s
/// (`otp_core::drift::warning`; `offsetMs` as from `estimateClockOffset`, positive when
/// the device is behind). `NaN` and infinities give `undefined`. Never throws.
#[wasm_bindgen(js_name = driftWarning, unchecked_return_type = "DriftWarning | undefined")]
pub fn drift_warning_js(#[wasm_bindgen(js_name = offsetMs)] offset_ms: f64) -> JsValue {
    match drift_warning(offset_ms) {
        Some(warning) => {
            let direction = match warning.direction {
                DriftDirection::Ahead => "ahead",
                DriftDirection::Behind => "behind",
            };
            object(&[
                ("direction", JsValue::from_str(direction)),
                ("seconds", JsValue::from_f64(warning.seconds as f64)),
            ])
        }
        None => JsValue::UNDEFINED,
    }
}

fn offset_to_js(offset: &ClockOffset) -> JsValue {
    // Offsets come from inputs within ±2^53 ms, so they are exact as f64 unless the
    // device and server disagree by more than 140,000 years.
    object(&[
        ("offsetMs", JsValue::from_f64(offset.offset_ms as f64)),
        (
            "uncertaintyMs",
            JsValue::from_f64(offset.uncertainty_ms as f64),
        ),
        ("samples", JsValue::from_f64(f64::from(offset.samples))),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_follows_otp_core() {
        assert_eq!(drift_warning(10_000.0), None);
        assert_eq!(drift_warning(-10_000.0), None);
        let w = drift_warning(-90_000.0).unwrap();
        assert_eq!((w.direction, w.seconds), (DriftDirection::Ahead, 90));
        let w = drift_warning(10_501.0).unwrap();
        assert_eq!((w.direction, w.seconds), (DriftDirection::Behind, 11));
        assert_eq!(drift_warning(f64::NAN), None);
        assert_eq!(drift_warning(f64::NEG_INFINITY), None);
    }
}
