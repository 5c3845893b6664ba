//! TOTP codes per RFC 6238 on top of `totp-rs`.
//!
//! - Time step number `T = floor((unix − T0) / period)` (RFC 6238 §4.2).
//! - Codes are `digits` decimal digits of HOTP(K, T) (RFC 4226 §5.3), compared as
//!   strings in constant time.
//! - The look-around window is T−1, T, T+1 (RFC 6238 §5.2, one step of network delay
//!   or clock drift either way).
//! - Replay: a step at or below the last accepted step is refused (RFC 6238 §5.2,
//!   "the verifier MUST NOT accept the second attempt of the same OTP").
//!
//! Time is always passed in (Unix seconds): `totp-rs`'s "current" helpers panic on
//! wasm32-unknown-unknown.

use crate::code::Code;
use crate::secret::SharedSecret;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// HMAC hash of the TOTP computation (Key Uri Format `algorithm=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum Algorithm {
    /// HMAC-SHA-1, the default every authenticator app supports.
    #[default]
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl Algorithm {
    /// The Key Uri Format spelling: `SHA1`, `SHA256`, `SHA512`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }

    /// Parse the Key Uri Format spelling (case-insensitive).
    pub fn parse(s: &str) -> Option<Algorithm> {
        match s.to_ascii_uppercase().as_str() {
            "SHA1" => Some(Algorithm::Sha1),
            "SHA256" => Some(Algorithm::Sha256),
            "SHA512" => Some(Algorithm::Sha512),
            _ => None,
        }
    }

    pub(crate) fn to_totp_rs(self) -> totp_rs::Algorithm {
        match self {
            Algorithm::Sha1 => totp_rs::Algorithm::SHA1,
            Algorithm::Sha256 => totp_rs::Algorithm::SHA256,
            Algorithm::Sha512 => totp_rs::Algorithm::SHA512,
        }
    }
}

/// The parameters a TOTP generator and verifier agree on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpParams {
    /// HMAC hash.
    pub algorithm: Algorithm,
    /// Code length: 6 or 8 digits.
    pub digits: u8,
    /// Time step X in seconds (RFC 6238 §4.1), 30 by default.
    pub period: u64,
    /// T0, the Unix time (seconds) step counting starts from; 0 by default.
    pub t0: u64,
}

impl Default for TotpParams {
    /// SHA-1, 6 digits, 30-second step, T0 = 0 (RFC 6238, Key Uri Format defaults).
    fn default() -> Self {
        TotpParams {
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: 30,
            t0: 0,
        }
    }
}

/// Parameters that cannot produce codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    /// Only 6 and 8 digits are offered (what authenticator apps display).
    #[error("codes must have 6 or 8 digits")]
    Digits,
    /// The period must be 1..=300 seconds.
    #[error("the time step must be between 1 and 300 seconds")]
    Period,
    /// The secret is shorter than the 128 bits RFC 4226 §4 requires.
    #[error("the shared secret must be at least 128 bits")]
    SecretTooShort,
}

/// Look-around window: steps before and after the current one that are accepted.
pub const WINDOW: u64 = 1;

impl TotpParams {
    /// Check digits (6 or 8) and period (1..=300 s).
    pub fn validate(&self) -> Result<(), ParamsError> {
        if self.digits != 6 && self.digits != 8 {
            return Err(ParamsError::Digits);
        }
        if self.period == 0 || self.period > 300 {
            return Err(ParamsError::Period);
        }
        Ok(())
    }

    /// Time step number at `unix` seconds: `floor((unix − T0) / period)`; `None` before T0.
    pub fn step_at(&self, unix: u64) -> Option<u64> {
        unix.checked_sub(self.t0).map(|t| t / self.period.max(1))
    }

    /// Seconds left in the time step containing `unix` (1..=period).
    pub fn seconds_left(&self, unix: u64) -> u64 {
        let period = self.period.max(1);
        match unix.checked_sub(self.t0) {
            Some(t) => period - t % period,
            None => period,
        }
    }

    fn generator(&self, secret: &SharedSecret) -> Result<totp_rs::Totp, ParamsError> {
        self.validate()?;
        if secret.as_bytes().len() < 16 {
            return Err(ParamsError::SecretTooShort);
        }
        Ok(totp_rs::Builder::new()
            .with_algorithm(self.algorithm.to_totp_rs())
            .with_digits(self.digits)
            .with_step_duration(self.period)
            .with_skew(0)
            .with_secret(secret.as_bytes().to_vec())
            .build_noncompliant())
    }

    /// The code for time step `step` (zero-padded to `digits`).
    pub fn code_for_step(&self, secret: &SharedSecret, step: u64) -> Result<String, ParamsError> {
        let generator = self.generator(secret)?;
        Ok(generator
            .generate(step.saturating_mul(self.period))
            .to_string())
    }

    /// The code at Unix time `unix` seconds.
    pub fn code_at(&self, secret: &SharedSecret, unix: u64) -> Result<String, ParamsError> {
        let step = self.step_at(unix).unwrap_or(0);
        self.code_for_step(secret, step)
    }
}

/// Outcome of checking a code that was well formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// No step of the window produces this code.
    #[error("the code does not match")]
    Mismatch,
    /// The code matches a step that was already accepted (or an earlier one).
    #[error("the code was already used")]
    Replayed,
    /// The parameters or secret cannot produce codes.
    #[error(transparent)]
    Params(#[from] ParamsError),
}

/// A code accepted at a time step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matched {
    /// The accepted time step number; store it as the new last accepted step.
    pub step: u64,
    /// Its position relative to the current step: −1, 0 or +1.
    pub offset: i8,
}

/// Verify `code` at `unix` seconds over the window T−1..T+1, refusing steps at or below
/// `last_step` (RFC 6238 §5.2).
///
/// Every step of the window is computed and compared in constant time whatever the
/// outcome, so timing does not tell which step matched. When a code matches both a
/// consumed and a fresh step, the fresh one wins.
pub fn verify(
    params: &TotpParams,
    secret: &SharedSecret,
    code: &Code,
    unix: u64,
    last_step: Option<u64>,
) -> Result<Matched, VerifyError> {
    let generator = params.generator(secret)?;
    let now = params.step_at(unix).unwrap_or(0);
    let mut fresh: Option<Matched> = None;
    let mut replayed = false;
    for offset in -(WINDOW as i64)..=(WINDOW as i64) {
        let Some(step) = now.checked_add_signed(offset) else {
            continue;
        };
        let expected = generator
            .generate(step.saturating_mul(params.period))
            .to_string();
        let equal: bool = expected.as_bytes().ct_eq(code.as_str().as_bytes()).into();
        if !equal {
            continue;
        }
        if last_step.is_some_and(|last| step <= last) {
            replayed = true;
        } else if fresh.is_none() {
            fresh = Some(Matched {
                step,
                offset: offset as i8,
            });
        }
    }
    match (fresh, replayed) {
        (Some(m), _) => Ok(m),
        (None, true) => Err(VerifyError::Replayed),
        (None, false) => Err(VerifyError::Mismatch),
    }
}
