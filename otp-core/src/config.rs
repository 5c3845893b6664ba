//! Configuration of the flows, read from Spin variables (DESIGN.md "Configuration").
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `seal_keys` (secret) | key ring, see [`crate::seal::KeyRing::parse`] | required |
//! | `issuer` | name shown in authenticator apps, see [`crate::uri::Issuer`] | `otp-edge` |
//!
//! A missing or invalid required variable is a server fault (the operator's), reported
//! as [`ConfigError`] without echoing any secret value.

use crate::seal::{KeyRing, KeyRingError};
use crate::totp::TotpParams;
use crate::uri::{Issuer, UriError};

/// Default issuer when the `issuer` variable is unset or empty.
pub const DEFAULT_ISSUER: &str = "otp-edge";
/// Life of a session, in ms (12 hours).
pub const SESSION_TTL_MS: u64 = 12 * 3600 * 1000;
/// Life of a sign-in challenge (between password and code), in ms (5 minutes).
pub const CHALLENGE_TTL_MS: u64 = 5 * 60 * 1000;
/// Life of a pending (not yet activated) shared secret, in ms (15 minutes).
pub const PENDING_TTL_MS: u64 = 15 * 60 * 1000;
/// Wrong codes one sign-in challenge takes before it is spent.
pub const CHALLENGE_MAX_FAILURES: u32 = 5;

/// The operator's configuration is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `seal_keys` is not set.
    #[error("the seal_keys variable is not set")]
    MissingSealKeys,
    /// `seal_keys` is set but invalid.
    #[error(transparent)]
    SealKeys(#[from] KeyRingError),
    /// `issuer` is invalid (for example contains ':').
    #[error("the issuer variable is invalid: {0}")]
    Issuer(UriError),
}

/// Everything the flows need to know about the deployment.
#[derive(Debug)]
pub struct ServiceConfig {
    /// Sealing keys.
    pub keys: KeyRing,
    /// Issuer for otpauth URIs.
    pub issuer: Issuer,
    /// TOTP parameters for new activations.
    pub totp: TotpParams,
}

impl ServiceConfig {
    /// Build from a variable lookup (`name → value`, `None` when undefined).
    pub fn from_variables(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<ServiceConfig, ConfigError> {
        let seal_keys = get("seal_keys")
            .filter(|v| !v.trim().is_empty())
            .ok_or(ConfigError::MissingSealKeys)?;
        let keys = KeyRing::parse(&seal_keys)?;
        let issuer = match get("issuer").filter(|v| !v.trim().is_empty()) {
            Some(name) => Issuer::new(&name).map_err(ConfigError::Issuer)?,
            None => Issuer::new(DEFAULT_ISSUER).map_err(ConfigError::Issuer)?,
        };
        Ok(ServiceConfig {
            keys,
            issuer,
            totp: TotpParams::default(),
        })
    }
}
