//! # edge-api — the otp-edge Spin HTTP component
//!
//! Translates between HTTP and [`otp_core`]: it routes requests, decodes JSON bodies
//! into wire types, reads the session cookie, calls the flows in
//! [`otp_core::flows::Service`] and encodes the answer or the error
//! (`{"error": code, "message": text}`, docs/http-api.md). It decides nothing itself.
//!
//! Built for `wasm32-wasip2` with spin-sdk 5.2 (WASI 0.2 HTTP), it exports
//! `wasi:http/incoming-handler` and imports:
//! - `wasi:keyvalue/store` and `wasi:keyvalue/atomics` (0.2.0-draft2), store label
//!   `default`: the account records, with compare-and-swap for atomic updates. Spin
//!   implements these from Spin 3.0 on (SQLite and Redis stores); the backend must make
//!   compare-and-swap linearizable per key (see [`otp_core::ports::Store`]).
//! - `fermyon:spin/variables@2.0.0`: configuration (Spin variables, see
//!   [`otp_core::config`]).
//!
//! Module map: [`request`] (what came in), [`context`] (what a request runs with:
//! platform, configuration, client address, providers, flows), [`response`] (what goes
//! out, error mapping),
//! [`wire`] (JSON bodies), [`routes`] (the table and handlers), and, in the component
//! only, `platform` (Spin key-value, clock, variables, the entry point).

pub mod context;
pub mod delivery;
pub mod providers;
pub mod request;
pub mod response;
pub mod routes;
pub mod security;
pub mod statics;
pub mod wire;

#[cfg(target_arch = "wasm32")]
mod platform;
