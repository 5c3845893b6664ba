//! `otpauth://totp/…` URIs per the Key Uri Format (Google Authenticator wiki), as read by
//! Google Authenticator, Aegis, FreeOTP and Microsoft Authenticator.
//!
//! `otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER[&algorithm=…&digits=…&period=…]`
//!
//! - The label holds exactly one `:`, between issuer and account; an issuer or account
//!   containing `:` is refused (see [`Issuer::new`]), never emitted.
//! - Label parts and the `issuer=` value are percent-encoded once, space as `%20`
//!   (never `+`), `+` as `%2B`, `@` as `%40`.
//! - `secret=` is upper-case Base32 without padding; `algorithm`, `digits`, `period`
//!   appear only when they differ from SHA1/6/30.
//!
//! Building and parsing are delegated to `totp-rs` (its `otpauth` feature); this module
//! adds the issuer rules and the mapping to our types.

use crate::secret::{SecretError, SharedSecret};
use crate::totp::{Algorithm, TotpParams};

/// Longest issuer accepted, in characters.
pub const MAX_ISSUER_CHARS: usize = 64;

/// The service name shown in authenticator apps: 1..=64 characters, no `:`, no control
/// characters. Configured once (the `issuer` variable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer(String);

/// Why an issuer, an account label or a URI was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    /// The issuer is empty or too long.
    #[error("the issuer must be 1 to 64 characters")]
    IssuerLength,
    /// The issuer contains `:`, which authenticator apps read as the label separator.
    #[error("the issuer must not contain ':'")]
    IssuerColon,
    /// The issuer or account contains control characters.
    #[error("the issuer and account name must not contain control characters")]
    ControlCharacter,
    /// The account name is empty or contains `:`.
    #[error("the account name must be non-empty and must not contain ':'")]
    AccountName,
    /// Not an `otpauth://totp/` URI with a valid secret and parameters.
    #[error("not a valid otpauth://totp URI")]
    Malformed,
    /// The secret in the URI is unusable.
    #[error("the secret in the URI is invalid: {0}")]
    Secret(#[from] SecretError),
}

impl Issuer {
    /// Validate a configured issuer. `Acme: Hosting` and `https://portal.example` are
    /// refused (a second `:` would make apps split the label wrongly).
    pub fn new(name: &str) -> Result<Issuer, UriError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_ISSUER_CHARS {
            return Err(UriError::IssuerLength);
        }
        if name.contains(':') {
            return Err(UriError::IssuerColon);
        }
        if name.chars().any(char::is_control) {
            return Err(UriError::ControlCharacter);
        }
        Ok(Issuer(name.to_owned()))
    }

    /// The issuer as configured.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an otpauth URI says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpauthUri {
    /// Issuer (label prefix and `issuer=`).
    pub issuer: Option<String>,
    /// Account name (label after the `:`), decoded.
    pub account: String,
    /// The shared secret.
    pub secret: SharedSecret,
    /// Algorithm, digits and period (T0 is always 0 in URIs).
    pub params: TotpParams,
}

fn check_account(account: &str) -> Result<(), UriError> {
    if account.is_empty() || account.contains(':') {
        return Err(UriError::AccountName);
    }
    if account.chars().any(char::is_control) {
        return Err(UriError::ControlCharacter);
    }
    Ok(())
}

/// Build the otpauth URI for `account` (the user's e-mail address) under `issuer`.
///
/// Errors: [`UriError::AccountName`] / [`UriError::ControlCharacter`] for an unusable
/// account label, [`UriError::Malformed`] for parameters totp-rs refuses.
pub fn build(
    issuer: &Issuer,
    account: &str,
    secret: &SharedSecret,
    params: &TotpParams,
) -> Result<String, UriError> {
    check_account(account)?;
    params.validate().map_err(|_| UriError::Malformed)?;
    let totp = totp_rs::Builder::new()
        .with_algorithm(params.algorithm.to_totp_rs())
        .with_digits(params.digits)
        .with_step_duration(params.period)
        .with_secret(secret.as_bytes().to_vec())
        .with_issuer(Some(issuer.as_str()))
        .with_account_name(account)
        .build()
        .map_err(|_| UriError::Malformed)?;
    totp.to_url().map_err(|_| UriError::Malformed)
}

/// Parse an otpauth URI (the inverse of [`build`]); the secret must be at least 128 bits.
pub fn parse(uri: &str) -> Result<OtpauthUri, UriError> {
    if uri.len() > 2048 {
        return Err(UriError::Malformed);
    }
    let totp = totp_rs::Totp::from_url_unchecked(uri).map_err(|_| UriError::Malformed)?;
    let algorithm = match totp.algorithm() {
        totp_rs::Algorithm::SHA1 => Algorithm::Sha1,
        totp_rs::Algorithm::SHA256 => Algorithm::Sha256,
        totp_rs::Algorithm::SHA512 => Algorithm::Sha512,
        _ => return Err(UriError::Malformed),
    };
    let params = TotpParams {
        algorithm,
        digits: totp.digits(),
        period: totp.step(),
        t0: 0,
    };
    params.validate().map_err(|_| UriError::Malformed)?;
    let secret = SharedSecret::from_bytes(totp.secret().as_bytes().to_vec())?;
    Ok(OtpauthUri {
        issuer: totp.issuer().map(str::to_owned),
        account: totp.account_name().to_owned(),
        secret,
        params,
    })
}
