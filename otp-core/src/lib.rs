//! # otp-core — the decisions of otp-edge
//!
//! Pure Rust, no I/O. Everything that decides something about a TOTP code, a shared
//! secret, a sealed blob or an account lives here; `edge-api` (the Spin component) and
//! `wasm-client` (the browser module) only translate between the world and these types.
//!
//! Always available (browser and edge):
//! - [`totp`] — RFC 6238 codes on `totp-rs`: parameters, time steps, the look-around
//!   window T−1..T+1 and replay refusal.
//! - [`secret`] — shared secrets: generation size, lenient Base32 input, canonical output.
//! - [`code`] — normalisation of what a person typed.
//! - [`recovery_code`] — recovery codes: their shape, normalisation and (server) hashes.
//! - [`uri`] — `otpauth://totp/…` URIs per the Key Uri Format.
//! - [`drift`] — clock offset between a device and the server, time left in a step.
//!
//! With the default `server` feature (the edge):
//! - [`seal`] — AES-256-GCM sealing with a rotating key ring.
//! - [`password`] — argon2id password hashes.
//! - [`i18n`] — the portal's languages and the server's message catalogs (Fluent).
//! - [`identity`] — e-mail addresses and E.164 phone numbers.
//! - [`ports`] — the small traits the flows run over, and the key-value store contract.
//! - [`account`] — the domain types of an account (private fields).
//! - [`records`] — the versioned records kept in the key-value store (and release 1's).
//! - [`client`] — client addresses (IPv6 per /64) and trusted proxies.
//! - [`contract`] — the conformance suite every key-value backend is checked with.
//! - [`throttle`] — the limits on guessing codes and passwords.
//! - [`flows`] — registration, sign-in, OTP setup/activation/deactivation.
//! - [`memory`] — an in-memory store for tests and native benchmarks.
//! - [`webhook`] — signatures of provider callbacks (Twilio).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod code;
pub mod drift;
pub mod recovery_code;
pub mod secret;
pub mod totp;
#[cfg(feature = "otpauth")]
pub mod uri;

#[cfg(feature = "server")]
pub mod account;
#[cfg(feature = "server")]
pub mod client;
#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod contract;
#[cfg(feature = "server")]
pub mod flows;
#[cfg(feature = "server")]
pub mod i18n;
#[cfg(feature = "server")]
pub mod identity;
#[cfg(feature = "server")]
pub mod memory;
#[cfg(feature = "server")]
pub mod password;
#[cfg(feature = "server")]
pub mod ports;
#[cfg(feature = "server")]
pub mod records;
#[cfg(feature = "server")]
pub mod seal;
#[cfg(feature = "server")]
pub mod throttle;
#[cfg(feature = "server")]
pub mod tokens;
#[cfg(feature = "server")]
pub mod webhook;
