//! Delivery of what the flows queued, after the response is sent (so answer times do
//! not depend on whether an e-mail went out), and the choice of providers.

use crate::providers::dev::{DevCaptcha, DevOutbox};
use crate::providers::postmark::Postmark;
use crate::providers::siteverify::Siteverify;
use crate::providers::twilio::Twilio;
use crate::providers::{CaptchaVerifier, EmailSender, ProviderSettings, SmsSender};
use crate::routes::{Platform, config, provider_settings};
use otp_core::config::{Delivery, ServiceConfig};
use otp_core::flows::Service;
use otp_core::ports::Message;

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
                store: platform.dev_outbox,
                clock: platform.clock,
                rng: platform.rng,
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

/// Deliver `messages`; failures are logged (without content) and, for text messages,
/// recorded as the link's delivery status so the recovery page can offer a resend.
pub async fn deliver(platform: &Platform<'_>, client: Option<String>, messages: Vec<Message>) {
    if messages.is_empty() {
        return;
    }
    let Ok(config) = config(platform) else {
        eprintln!("edge-api: messages not delivered: configuration unusable");
        return;
    };
    let settings = provider_settings(platform, &config);
    let providers = providers_for(&config, &settings, platform);
    let svc = Service {
        store: platform.store,
        clock: platform.clock,
        rng: platform.rng,
        outbox: platform.outbox,
        config: &config,
        client,
    };
    for message in messages {
        match message {
            Message::Email { to, subject, body } => {
                if let Err(e) = providers.email.send_email(&to, &subject, &body).await {
                    eprintln!("edge-api: e-mail not delivered: {e}");
                }
            }
            Message::Sms {
                to,
                body,
                reference,
            } => {
                let sent = providers.sms.send_sms(&to, &body).await;
                let Some(reference) = reference else { continue };
                let recorded = match sent {
                    Ok(id) => svc.sms_sent(&reference, &id),
                    Err(e) => {
                        eprintln!("edge-api: text message not delivered: {e}");
                        svc.sms_failed(&reference)
                    }
                };
                if let Err(e) = recorded {
                    eprintln!("edge-api: text message status not recorded: {e}");
                }
            }
        }
    }
}
