//! Shared secrets (the TOTP key K of RFC 6238).
//!
//! - Generated secrets are [`GENERATED_LEN`] = 20 bytes (160 bits, RFC 4226 §4
//!   recommendation) from a CSPRNG (the caller's [`crate::ports::Rng`] on the edge).
//! - Output: upper-case RFC 4648 Base32 **without** `=` padding (Key Uri Format).
//! - Input (a key typed by hand or read from a URI): ASCII spaces and hyphens ignored,
//!   any case, `=` padding optional. At least 128 bits (RFC 4226 §4 "MUST").
//!
//! Secret bytes are zeroised on drop and never printed by `Debug`.

use core::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Length in bytes of a freshly generated shared secret (160 bits).
pub const GENERATED_LEN: usize = 20;
/// Shortest accepted secret in bytes (128 bits).
pub const MIN_LEN: usize = 16;
/// Longest accepted secret in bytes (512 bits, an HMAC-SHA-512 block's worth).
pub const MAX_LEN: usize = 64;

/// The shared secret K: raw bytes, zeroised on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SharedSecret(Vec<u8>);

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SharedSecret({} bytes, redacted)", self.0.len())
    }
}

/// Why a Base32 key or raw key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// Nothing but spaces.
    #[error("the key is empty")]
    Empty,
    /// A character outside A–Z, 2–7 (after removing spaces, hyphens and padding).
    #[error("the key may contain only the letters A-Z and the digits 2-7")]
    NotBase32,
    /// A length no Base32 encoding produces.
    #[error("the key has a length no Base32 key can have")]
    BadLength,
    /// Fewer than 128 bits.
    #[error("the key is shorter than 128 bits")]
    TooShort,
    /// More than 512 bits.
    #[error("the key is longer than 512 bits")]
    TooLong,
}

impl SecretError {
    /// Stable snake_case identifier.
    pub fn code(&self) -> &'static str {
        match self {
            SecretError::Empty => "empty",
            SecretError::NotBase32 => "not_base32",
            SecretError::BadLength => "bad_length",
            SecretError::TooShort => "too_short",
            SecretError::TooLong => "too_long",
        }
    }
}

impl SharedSecret {
    /// Wrap raw secret bytes; 16..=64 bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<SharedSecret, SecretError> {
        let secret = SharedSecret(bytes);
        match secret.0.len() {
            0 => Err(SecretError::Empty),
            n if n < MIN_LEN => Err(SecretError::TooShort),
            n if n > MAX_LEN => Err(SecretError::TooLong),
            _ => Ok(secret),
        }
    }

    /// Decode a Base32 key as a person might type it: case-insensitive, spaces and
    /// hyphens ignored, trailing `=` optional (RFC 4648 §6 alphabet).
    pub fn from_base32(input: &str) -> Result<SharedSecret, SecretError> {
        // 64 bytes of key is 103 Base32 characters; allow generous grouping.
        if input.len() > 4 * MAX_LEN {
            return Err(SecretError::TooLong);
        }
        let mut cleaned: String = input
            .chars()
            .filter(|c| *c != ' ' && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let unpadded_len = cleaned.trim_end_matches('=').len();
        cleaned.truncate(unpadded_len);
        if cleaned.is_empty() {
            return Err(SecretError::Empty);
        }
        if !cleaned
            .bytes()
            .all(|b| matches!(b, b'A'..=b'Z' | b'2'..=b'7'))
        {
            return Err(SecretError::NotBase32);
        }
        // Unpadded Base32 lengths mod 8 can only be 0, 2, 4, 5 or 7.
        if matches!(cleaned.len() % 8, 1 | 3 | 6) {
            return Err(SecretError::BadLength);
        }
        let decoded =
            totp_rs::Secret::try_from_base32(&cleaned).map_err(|_| SecretError::NotBase32)?;
        SharedSecret::from_bytes(decoded.as_bytes().to_vec())
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Upper-case Base32 without padding, e.g. `GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ`.
    pub fn to_base32(&self) -> String {
        totp_rs::Secret::from(self.0.clone()).to_base32()
    }
}

/// `key` in groups of four characters separated by single spaces, for reading aloud
/// or typing by hand (`GEZD GNBV GY3T …`). Works on any string; no secret check.
pub fn group_in_fours(key: &str) -> String {
    let chars: Vec<char> = key.chars().filter(|c| !c.is_whitespace()).collect();
    chars
        .chunks(4)
        .map(|chunk| chunk.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}
