//! # wasm-client — the otp-edge browser module
//!
//! A thin wasm-bindgen layer over `otp-core` (built without its `server` feature): every
//! decision — how a typed code is normalised, whether a code matches a key, how the clock
//! offset is estimated, when drift is worth a warning — is otp-core's, so a code this
//! module accepts locally is exactly a code the edge accepts. This crate only converts
//! JavaScript values to Rust types and back.
//!
//! Exported to JavaScript (camelCase; object shapes are declared in the generated
//! `.d.ts`):
//!
//! | export | module |
//! | --- | --- |
//! | `renderQrSvg(uri, label?)` | [`qr`] |
//! | `normaliseCode(input, digits)` | [`code_entry`] |
//! | `precheckCode(key, code, unixSeconds, digits?, period?, algorithm?)` | [`precheck`] |
//! | `estimateClockOffset(samples)`, `driftWarning(offsetMs)` | [`clock`] |
//! | `secondsLeft(unixMs, period?)` | [`countdown`] |
//! | `groupKey(key)` | [`key`] |
//!
//! Decisions made here (DESIGN.md leaves them to this crate):
//!
//! - **No panics on any input.** Arguments arrive as `JsValue`/`f64` and are checked
//!   here: a non-string where a string is expected counts as unusable input; `NaN`,
//!   infinities, negative times and numbers beyond 2^53 are refused, never cast blindly.
//!   Only two calls throw, both with a readable `Error`: `renderQrSvg` when the text
//!   does not fit in a QR code, and `precheckCode` when the shared key itself is not a
//!   usable Base32 key (the key comes from the server, so that is a bug, not a typo).
//! - **Time always comes from the caller.** Nothing reads a clock (`SystemTime` panics on
//!   wasm32-unknown-unknown); the page passes `Date.now()` plus the estimated offset.
//! - **No randomness.** The server generates secrets; nothing here needs getrandom.
//! - **QR error correction: level M** (15 % of codewords recoverable). A typical
//!   otpauth URI (about 100 bytes) fits version 6 (41×41 modules) at M; L would save one
//!   version but M tolerates glare and moiré when a phone films a screen.
//!
//! ## Building `web/pkg`
//!
//! From the repository root (wasm-bindgen-cli must match the pinned `=0.2.130`):
//!
//! ```text
//! cargo build -p wasm-client --target wasm32-unknown-unknown --profile wasm-web
//! wasm-opt -Oz --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
//!   --enable-mutable-globals --enable-reference-types --enable-multivalue \
//!   target/wasm32-unknown-unknown/wasm-web/wasm_client.wasm \
//!   -o target/wasm32-unknown-unknown/wasm-web/wasm_client.opt.wasm
//! wasm-bindgen --target web --out-dir web/pkg --out-name wasm_client \
//!   --remove-name-section --remove-producers-section \
//!   target/wasm32-unknown-unknown/wasm-web/wasm_client.opt.wasm
//! ```
//!
//! `wasm-opt` runs **before** `wasm-bindgen` on purpose: Debian's binaryen 108 writes
//! every exported table with index 0, so on wasm-bindgen's output (a funcref table 0
//! plus the externref table 1 exported as `__wbindgen_externrefs`) it silently points
//! that export at the funcref table and the module fails at start-up with
//! "WebAssembly.Table.set(): Argument 1 is invalid for table". The Rust output has a
//! single table, so optimising it first is safe; the result is ~100 KB (~44 KB gzip).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod clock;
pub mod code_entry;
pub mod countdown;
pub mod key;
pub mod precheck;
pub mod qr;

mod js;
mod types;
