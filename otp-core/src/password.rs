//! Account passwords: argon2id (RFC 9106) with its parameters kept in the PHC string, so
//! parameters can be raised later without breaking stored hashes.
//!
//! Policy (NIST SP 800-63B §5.1.1.2): at least [`MIN_CHARS`] characters, at most
//! [`MAX_CHARS`]; any Unicode allowed; no composition rules.

use crate::ports::{Rng, RngError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Shortest password accepted, in characters.
pub const MIN_CHARS: usize = 10;
/// Longest password accepted, in characters (bounds hashing work).
pub const MAX_CHARS: usize = 128;
/// argon2id memory cost in KiB (OWASP Password Storage Cheat Sheet: 19 MiB).
pub const M_COST_KIB: u32 = 19 * 1024;
/// argon2id passes.
pub const T_COST: u32 = 2;
/// argon2id lanes.
pub const P_COST: u32 = 1;

/// Why a new password was refused, or hashing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than [`MIN_CHARS`] characters.
    #[error("the password must have at least 10 characters")]
    TooShort,
    /// More than [`MAX_CHARS`] characters.
    #[error("the password must have at most 128 characters")]
    TooLong,
    /// No randomness for the salt.
    #[error(transparent)]
    Rng(#[from] RngError),
    /// The hasher failed (parameters); not the client's fault.
    #[error("password hashing failed")]
    Hash,
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).expect("constant parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Check a new password against the policy.
pub fn check_policy(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

/// Hash a password that passed [`check_policy`]: an argon2id PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) with a 16-byte random salt.
pub fn hash(rng: &dyn Rng, password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    rng.fill(&mut salt)?;
    let salt = SaltString::encode_b64(&salt).map_err(|_| PasswordError::Hash)?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| PasswordError::Hash)
}

/// Verify `password` against a stored PHC string; `false` for any mismatch or an
/// unreadable hash. Over-long passwords are refused without hashing.
pub fn verify(password: &str, phc: &str) -> bool {
    if password.chars().count() > MAX_CHARS {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// Spend the same work as [`verify`] for an account that does not exist, so answer
/// times do not reveal whether an address has an account.
pub fn verify_dummy(password: &str) {
    let salt = SaltString::encode_b64(b"otp-edge-dummy-s").expect("16-byte salt");
    let truncated: String = password.chars().take(MAX_CHARS).collect();
    let _ = hasher().hash_password(truncated.as_bytes(), &salt);
}
