//! Delivery of what the flows queued: after the response is sent ([`deliver`], so
//! answer times do not depend on whether an e-mail went out), or — for a recovery text
//! message, whose failure the person must see — before it ([`send_now`]). Each status it records is a fresh
//! read → decide → write of the account ([`otp_core::flows`]), never a write against
//! what the request saw.

use crate::context::{Platform, config, provider_settings, providers_for, service};
use crate::providers::ProviderError;
use crate::request::ApiRequest;
use otp_core::config::ServiceConfig;
use otp_core::ports::Message;

/// Deliver `messages`; failures are logged (without content) and, for text messages,
/// recorded as the link's delivery status so the recovery page can offer a resend.
pub async fn deliver(platform: &Platform<'_>, request: &ApiRequest, messages: Vec<Message>) {
    if messages.is_empty() {
        return;
    }
    let Ok(config) = config(platform) else {
        eprintln!("edge-api: messages not delivered: configuration unusable");
        return;
    };
    let settings = provider_settings(platform, &config);
    let providers = providers_for(&config, &settings, platform);
    let svc = service(request, platform, &config);
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
                let sent = send_sms(&providers, &to, &body).await;
                record(reference.as_deref(), &sent, |r| svc.sms_failed(r), &svc);
            }
        }
    }
}

/// Send what the flows queued so far before answering. A text message the provider
/// does not take is taken back ([`otp_core::flows::Service::sms_not_sent`]: not
/// counted, code forgotten) and the error returned, for a 502 `provider_unavailable`.
pub async fn send_now(
    platform: &Platform<'_>,
    request: &ApiRequest,
    config: &ServiceConfig,
) -> Result<(), ProviderError> {
    let messages = platform.outbox.take();
    let settings = provider_settings(platform, config);
    let providers = providers_for(config, &settings, platform);
    let svc = service(request, platform, config);
    let mut failure = None;
    for message in messages {
        match message {
            Message::Sms {
                to,
                body,
                reference,
            } => {
                let sent = send_sms(&providers, &to, &body).await;
                record(reference.as_deref(), &sent, |r| svc.sms_not_sent(r), &svc);
                if let Err(e) = sent {
                    failure = Some(e);
                }
            }
            email @ Message::Email { .. } => platform.outbox.queue(email),
        }
    }
    failure.map_or(Ok(()), Err)
}

/// Hand one text message to the provider; a failure is logged (without content).
async fn send_sms(
    providers: &crate::context::Providers<'_>,
    to: &str,
    body: &str,
) -> Result<String, ProviderError> {
    let sent = providers.sms.send_sms(to, body).await;
    if let Err(e) = &sent {
        eprintln!("edge-api: text message not sent: {e}");
    }
    sent
}

/// Record what became of the text message for `reference`: its provider id, or
/// `failed` as the flows say.
fn record(
    reference: Option<&str>,
    sent: &Result<String, ProviderError>,
    failed: impl FnOnce(&str) -> Result<(), otp_core::flows::FlowError>,
    svc: &otp_core::flows::Service,
) {
    let Some(reference) = reference else { return };
    let recorded = match sent {
        Ok(id) => svc.sms_sent(reference, id),
        Err(_) => failed(reference),
    };
    if let Err(e) = recorded {
        eprintln!("edge-api: text message status not recorded: {e}");
    }
}
