//! The outside services edge-api talks to, each behind a small trait: e-mail
//! ([`EmailSender`]), text messages ([`SmsSender`]) and CAPTCHA checks
//! ([`CaptchaVerifier`]). Real providers build plain [`HttpCall`]s and send them through
//! a [`Transport`] (Spin's outbound HTTP in the component, a fake in tests); the
//! development providers write to the development outbox instead.
//!
//! | trait | provider | API |
//! | --- | --- | --- |
//! | [`EmailSender`] | Postmark | `POST {email_provider_url}/email`, `X-Postmark-Server-Token` |
//! | [`SmsSender`] | Twilio | `POST {sms_provider_url}/2010-04-01/Accounts/{sms_account}/Messages.json`, Basic auth |
//! | [`CaptchaVerifier`] | reCAPTCHA / hCaptcha / Turnstile | `POST {captcha_verify_url}` form `secret`, `response`, `remoteip` → `{"success": bool}` |

pub mod dev;
pub mod postmark;
pub mod siteverify;
pub mod twilio;

use std::future::Future;
use std::pin::Pin;

/// A boxed future (the component is single-threaded: no `Send`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// An outbound HTTP request, fully built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCall {
    /// `POST`, …
    pub method: &'static str,
    /// Absolute URL.
    pub url: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

/// A provider's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// Body.
    pub body: Vec<u8>,
}

/// Why a provider could not do its job. Never holds credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderError {
    /// The request did not get an answer (DNS, connect, outbound host not allowed).
    Unreachable(String),
    /// The provider answered with an error status.
    Refused(u16),
    /// The answer was not what the API documents.
    BadAnswer,
    /// The development outbox could not be written.
    Outbox(String),
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProviderError::Unreachable(why) => write!(f, "provider unreachable: {why}"),
            ProviderError::Refused(status) => write!(f, "provider answered {status}"),
            ProviderError::BadAnswer => f.write_str("provider answer not understood"),
            ProviderError::Outbox(why) => write!(f, "development outbox: {why}"),
        }
    }
}

/// Sends [`HttpCall`]s.
pub trait Transport {
    /// Send one call and read the whole answer.
    fn send(&self, call: HttpCall) -> BoxFuture<'_, Result<HttpReply, ProviderError>>;
}

/// Sends e-mail.
pub trait EmailSender {
    /// Send a plain-text e-mail.
    fn send_email<'a>(
        &'a self,
        to: &'a str,
        subject: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;
}

/// Sends text messages.
pub trait SmsSender {
    /// Send a text message; returns the provider's message id.
    fn send_sms<'a>(
        &'a self,
        to: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, Result<String, ProviderError>>;
}

/// Checks CAPTCHA tokens.
pub trait CaptchaVerifier {
    /// Whether the token passes; `client_ip` is passed on as `remoteip` when known.
    fn verify<'a>(
        &'a self,
        token: &'a str,
        client_ip: Option<&'a str>,
    ) -> BoxFuture<'a, Result<bool, ProviderError>>;
}

/// Provider variables (DESIGN.md "Configuration").
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProviderSettings {
    /// Postmark API base, e.g. `https://api.postmarkapp.com`.
    pub email_provider_url: String,
    /// Postmark server token (secret).
    pub email_api_key: String,
    /// Sender address (`email_from`), a Postmark-verified sender.
    pub email_from: String,
    /// Twilio API base, e.g. `https://api.twilio.com`.
    pub sms_provider_url: String,
    /// Twilio account SID.
    pub sms_account: String,
    /// Twilio auth token (secret); also signs delivery callbacks.
    pub sms_auth_token: String,
    /// Sender number or messaging service (`sms_from`).
    pub sms_from: String,
    /// Siteverify endpoint, e.g. `https://hcaptcha.com/siteverify`.
    pub captcha_verify_url: String,
    /// CAPTCHA secret (secret).
    pub captcha_secret: String,
    /// `{public_base_url}/api/callbacks/sms`: where Twilio reports delivery.
    pub sms_status_callback: String,
}

impl std::fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("email_provider_url", &self.email_provider_url)
            .field("sms_provider_url", &self.sms_provider_url)
            .field("captcha_verify_url", &self.captcha_verify_url)
            .finish_non_exhaustive()
    }
}

impl ProviderSettings {
    /// Read from variables; unset ones are empty.
    pub fn from_variables(get: &dyn Fn(&str) -> Option<String>, public_base_url: &str) -> Self {
        let var = |name: &str| get(name).unwrap_or_default().trim().to_owned();
        ProviderSettings {
            email_provider_url: var("email_provider_url").trim_end_matches('/').to_owned(),
            email_api_key: var("email_api_key"),
            email_from: var("email_from"),
            sms_provider_url: var("sms_provider_url").trim_end_matches('/').to_owned(),
            sms_account: var("sms_account"),
            sms_auth_token: var("sms_auth_token"),
            sms_from: var("sms_from"),
            captcha_verify_url: var("captcha_verify_url"),
            captcha_secret: var("captcha_secret"),
            sms_status_callback: format!("{public_base_url}/api/callbacks/sms"),
        }
    }
}

/// Percent-encode `application/x-www-form-urlencoded` pairs.
pub fn form_body(pairs: &[(&str, &str)]) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}
