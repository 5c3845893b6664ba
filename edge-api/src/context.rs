//! What one request runs with: the platform's ports ([`Platform`]), the configuration
//! read from the variables, the providers, the client address and the flows. Routes and
//! delivery both build on this module; it depends on neither.

use crate::providers::dev::{DevCaptcha, DevOutbox};
use crate::providers::postmark::Postmark;
use crate::providers::siteverify::Siteverify;
use crate::providers::twilio::Twilio;
use crate::providers::{CaptchaVerifier, EmailSender, ProviderSettings, SmsSender, Transport};
use crate::request::ApiRequest;
use crate::response::ApiError;
use otp_core::client::ClientAddress;
use otp_core::config::{Delivery, ServiceConfig};
use otp_core::flows::{FlowError, Service};
use otp_core::ports::{Clock, Outbox, Rng, Store};

/// What the routes need from the platform (Spin in the component, fakes in tests).
pub struct Platform<'a> {
    /// Key-value store (`default`).
    pub store: &'a dyn Store,
    /// Wall clock.
    pub clock: &'a dyn Clock,
    /// CSPRNG.
    pub rng: &'a dyn Rng,
    /// Where the flows queue e-mails and text messages; delivered after the response
    /// ([`crate::delivery`]).
    pub outbox: &'a dyn Outbox,
    /// Outbound HTTP.
    pub transport: &'a dyn Transport,
    /// Variable lookup (`None` when undefined).
    pub variables: &'a dyn Fn(&str) -> Option<String>,
    /// The web directory ([`crate::statics`]): `/` in the component, where the
    /// platform mounts the pages.
    pub web: &'a std::path::Path,
}

/// The deployment configuration from the variables.
///
/// Errors: `internal_error` (500) when a variable is missing or invalid — the
/// operator's fault; the reason goes to the log.
pub fn config(platform: &Platform) -> Result<ServiceConfig, ApiError> {
    ServiceConfig::from_variables(platform.variables)
        .map_err(|e| ApiError::Flow(FlowError::Internal(e.into())))
}

/// Provider settings for a configuration.
pub fn provider_settings(platform: &Platform, config: &ServiceConfig) -> ProviderSettings {
    ProviderSettings::from_variables(platform.variables, &config.public_base_url)
}

/// The client of this request: the connection's address as the platform reports it
/// ([`ApiRequest::peer`]), or — only when that is a proxy listed in `trusted_proxies` —
/// the right-most untrusted `X-Forwarded-For` hop.
pub fn client(req: &ApiRequest, config: &ServiceConfig) -> Option<ClientAddress> {
    let peer = req.peer()?;
    let forwarded: Vec<&str> = req.header_values("x-forwarded-for").collect();
    Some(config.trusted_proxies.client(peer, &forwarded))
}

/// The flows for this request.
pub fn service<'a>(
    req: &ApiRequest,
    platform: &'a Platform,
    config: &'a ServiceConfig,
) -> Service<'a> {
    Service {
        store: platform.store,
        clock: platform.clock,
        rng: platform.rng,
        outbox: platform.outbox,
        config,
        client: client(req, config),
        language: req.language(),
    }
}

/// The providers of one request.
pub struct Providers<'a> {
    /// E-mail.
    pub email: Box<dyn EmailSender + 'a>,
    /// Text messages.
    pub sms: Box<dyn SmsSender + 'a>,
    /// CAPTCHA.
    pub captcha: Box<dyn CaptchaVerifier + 'a>,
}

/// Real providers, or the development ones when [`Delivery::Development`].
pub fn providers_for<'a>(
    config: &ServiceConfig,
    settings: &'a ProviderSettings,
    platform: &'a Platform,
) -> Providers<'a> {
    match config.delivery {
        Delivery::Development => {
            let outbox = || DevOutbox {
                store: platform.store,
            };
            Providers {
                email: Box::new(outbox()),
                sms: Box::new(outbox()),
                captcha: Box::new(DevCaptcha),
            }
        }
        Delivery::Providers => Providers {
            email: Box::new(Postmark {
                settings,
                transport: platform.transport,
            }),
            sms: Box::new(Twilio {
                settings,
                transport: platform.transport,
            }),
            captcha: Box::new(Siteverify {
                settings,
                transport: platform.transport,
            }),
        },
    }
}
