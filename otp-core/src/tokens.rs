//! Bearer tokens: session cookies, sign-in challenges (and later recovery links).
//!
//! A token is 32 random bytes (256 bits) shown to the client as unpadded base64url
//! (43 characters). Only `SHA-256(token)` in hex is stored, used as the key, so a leaked
//! key-value file holds no usable token. Lookup by hash needs no secret comparison;
//! [`constant_time_eq`] and [`SecretString`] are for values compared directly (the
//! admin token, SMS code hashes).

use crate::ports::{Rng, RngError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Random bytes in a token.
pub const TOKEN_BYTES: usize = 32;

/// A token as handed to a client.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl core::fmt::Debug for Token {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Token(redacted)")
    }
}

impl Token {
    /// A fresh random token.
    pub fn generate(rng: &dyn Rng) -> Result<Token, RngError> {
        let mut bytes = [0u8; TOKEN_BYTES];
        rng.fill(&mut bytes)?;
        Ok(Token(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Accept a token a client sent back, if it has the shape of one (43 base64url
    /// characters); anything else can never match and is refused early.
    pub fn from_client(s: &str) -> Option<Token> {
        let well_formed = s.len() == 43
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| Token(s.to_owned()))
    }

    /// The client-facing form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Hex SHA-256 of the token: what the store keeps.
    pub fn hash_hex(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

/// Constant-time equality of two byte strings (length is not hidden).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Lower-case hex of `n` random bytes (used for account ids).
pub fn random_hex(rng: &dyn Rng, n: usize) -> Result<String, RngError> {
    let mut bytes = vec![0u8; n];
    rng.fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// A configured secret string (the admin token): compared in constant time, never
/// printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl core::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SecretString(redacted)")
    }
}

impl SecretString {
    /// Wrap a configured value.
    pub fn new(value: String) -> SecretString {
        SecretString(value)
    }

    /// Constant-time comparison with what a client presented (the length is not hidden;
    /// the content is). Both sides are hashed first so even lengths do not leak.
    pub fn matches(&self, presented: &str) -> bool {
        constant_time_eq(
            &Sha256::digest(self.0.as_bytes()),
            &Sha256::digest(presented.as_bytes()),
        )
    }
}
