//! TypeScript shapes of the objects this module returns or takes (added to the
//! generated `wasm_client.d.ts`).

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Result of `normaliseCode`: the normalised digits, or why the input was refused. */
export type NormalisedCode =
  | { ok: true; code: string }
  | { ok: false; reason: "empty" | "not_digits" | "wrong_length"; message: string; expected?: number; got?: number };

/** Result of `normaliseRecoveryCode`: the code in its printed form, or why it was refused. */
export type NormalisedRecoveryCode =
  | { ok: true; code: string }
  | { ok: false; reason: "empty" | "not_in_alphabet" | "wrong_length"; message: string; got?: number };

/** One `GET /api/time` round trip, all in Unix milliseconds on the device clock. */
export interface TimeSample {
  /** Device clock when the request was sent. */
  sentMs: number;
  /** The server's `unix_ms` answer. */
  serverMs: number;
  /** Device clock when the answer arrived. */
  receivedMs: number;
}

/** Estimated offset of the device clock: add `offsetMs` to `Date.now()` for server time. */
export interface ClockOffset {
  /** Server time minus device time, in ms: positive when the device is behind. */
  offsetMs: number;
  /** The true offset is within ± this many ms. */
  uncertaintyMs: number;
  /** Usable samples considered. */
  samples: number;
}

/** A device clock off by more than 10 seconds. */
export interface DriftWarning {
  /** "ahead": the device shows a later time than the server; "behind": earlier. */
  direction: "ahead" | "behind";
  /** By how many whole seconds (rounded). */
  seconds: number;
}
"#;
