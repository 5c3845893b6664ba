//! The shared key shown for manual entry.

use wasm_bindgen::prelude::*;

/// JavaScript `groupKey(key: string): string` — `key` in groups of four characters
/// separated by single spaces (`GEZD GNBV …`), via `otp_core::secret::group_in_fours`.
/// Whitespace in the input is dropped first; a non-string gives `""`. Never throws.
#[wasm_bindgen(js_name = groupKey)]
pub fn group_key_js(#[wasm_bindgen(unchecked_param_type = "string")] key: JsValue) -> String {
    otp_core::secret::group_in_fours(&key.as_string().unwrap_or_default())
}
