//! Configuration of the flows, read from Spin variables (DESIGN.md "Configuration").
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `seal_keys` (secret) | key ring, see [`crate::seal::KeyRing::parse`] | required |
//! | `issuer` | name shown in authenticator apps, see [`crate::uri::Issuer`] | `otp-edge` |
//! | `public_base_url` | origin of the portal, for links in e-mails | `http://127.0.0.1:3000` |
//! | `admin_token` (secret) | bearer token of the support reset endpoint | unset: endpoint off |
//! | `email_provider_url`, `sms_provider_url`, `captcha_verify_url` | providers | unset |
//! | `trusted_proxies` | CIDR list of proxies whose `X-Forwarded-For` is believed, see [`crate::client::TrustedProxies`] | empty: none |
//!
//! **Development delivery** (e-mails and text messages to the development outbox, a
//! CAPTCHA that accepts only the documented test token) is on exactly when no provider
//! URL is set *and* `public_base_url` is a loopback address. A deployment with a real
//! `public_base_url` and no providers is refused as misconfigured ([`Delivery::decide`]),
//! so the mode cannot be enabled by accident; setting only some providers is refused too.
//!
//! A missing or invalid required variable is a server fault (the operator's), reported
//! as [`ConfigError`] without echoing any secret value.

use crate::client::{ProxyListError, TrustedProxies};
use crate::seal::{KeyRing, KeyRingError};
use crate::tokens::SecretString;
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
    /// `public_base_url` is not an http(s) origin.
    #[error("public_base_url must be an http:// or https:// origin")]
    PublicBaseUrl,
    /// No provider configured on a non-loopback deployment.
    #[error(
        "no e-mail/SMS/CAPTCHA provider is configured and public_base_url is not a loopback address: development delivery is refused outside this machine"
    )]
    ProvidersMissing,
    /// Only some providers configured.
    #[error("email_provider_url, sms_provider_url and captcha_verify_url must be set together")]
    ProvidersPartial,
    /// `trusted_proxies` holds something that is not a CIDR block.
    #[error(transparent)]
    TrustedProxies(#[from] ProxyListError),
}

/// Default `public_base_url`.
pub const DEFAULT_PUBLIC_BASE_URL: &str = "http://127.0.0.1:3000";
/// Life of a recovery link, in ms (30 minutes).
pub const RECOVERY_LINK_TTL_MS: u64 = 30 * 60 * 1000;
/// Life of a recovery SMS code, in ms (10 minutes).
pub const RECOVERY_SMS_TTL_MS: u64 = 10 * 60 * 1000;
/// Tries of one recovery SMS code.
pub const RECOVERY_SMS_MAX_TRIES: u32 = 5;
/// Wrong phone numbers one recovery link takes before it is void.
pub const RECOVERY_PHONE_MAX_MISMATCHES: u32 = 5;

/// How messages are delivered and CAPTCHAs checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Development: local outbox, CAPTCHA test token only. Loopback deployments only.
    Development,
    /// Real providers over outbound HTTP.
    Providers,
}

impl Delivery {
    /// Decide the mode from `public_base_url` and which provider URLs are set.
    pub fn decide(
        public_base_url: &str,
        email_provider_set: bool,
        sms_provider_set: bool,
        captcha_set: bool,
    ) -> Result<Delivery, ConfigError> {
        match (email_provider_set, sms_provider_set, captcha_set) {
            (true, true, true) => Ok(Delivery::Providers),
            (false, false, false) if is_loopback(public_base_url) => Ok(Delivery::Development),
            (false, false, false) => Err(ConfigError::ProvidersMissing),
            _ => Err(ConfigError::ProvidersPartial),
        }
    }
}

/// `scheme://host[:port]` of an absolute `http(s)` URL as a browser writes it in an
/// `Origin` header: scheme and host lower-case, the scheme's default port left out
/// (RFC 6454 §6.1, §6.2).
pub fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let default_port = if scheme.eq_ignore_ascii_case("https") {
        "443"
    } else if scheme.eq_ignore_ascii_case("http") {
        "80"
    } else {
        ""
    };
    let authority = match authority.rsplit_once(':') {
        Some((host, port)) if !default_port.is_empty() && port == default_port => host,
        _ => authority,
    };
    // One allocation, no `format!` (the component reads it twice per request).
    let mut origin = [scheme, "://", authority].concat();
    origin.make_ascii_lowercase();
    origin
}

/// Whether a URL's host is `localhost`, `127.x.x.x` or `[::1]`.
pub fn is_loopback(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost") || host == "::1" || host.starts_with("127.")
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
    /// Base URL of the portal, without a trailing `/` (links in e-mails).
    pub public_base_url: String,
    /// Its origin (scheme, host, port) as a browser writes it in `Origin`: the only
    /// origin a state-changing request may come from, see [`origin_of`].
    pub public_origin: String,
    /// Support's bearer token; `None` turns the reset endpoint off.
    pub admin_token: Option<SecretString>,
    /// Delivery mode.
    pub delivery: Delivery,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
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
        let set = |name: &str| get(name).is_some_and(|v| !v.trim().is_empty());
        let public_base_url = get("public_base_url")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_PUBLIC_BASE_URL.to_owned());
        let public_base_url = public_base_url.trim().trim_end_matches('/').to_owned();
        if !(public_base_url.starts_with("http://") || public_base_url.starts_with("https://")) {
            return Err(ConfigError::PublicBaseUrl);
        }
        let public_origin = origin_of(&public_base_url);
        let delivery = Delivery::decide(
            &public_base_url,
            set("email_provider_url"),
            set("sms_provider_url"),
            set("captcha_verify_url"),
        )?;
        Ok(ServiceConfig {
            keys,
            issuer,
            totp: TotpParams::default(),
            public_base_url,
            public_origin,
            admin_token: get("admin_token")
                .filter(|v| !v.trim().is_empty())
                .map(SecretString::new),
            delivery,
            trusted_proxies: TrustedProxies::parse(&get("trusted_proxies").unwrap_or_default())?,
        })
    }
}
