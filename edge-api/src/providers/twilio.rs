//! Text messages through Twilio's Programmable Messaging API (Twilio docs "Create a
//! Message resource"): `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form
//! `To`, `From`, `Body`, `StatusCallback`, HTTP Basic auth `AccountSid:AuthToken`;
//! `201` with JSON holding the message `sid`. Delivery reports come back signed to
//! `StatusCallback` (checked with [`otp_core::webhook::twilio_signature_valid`]).

use super::{
    BoxFuture, HttpCall, ProviderError, ProviderSettings, SmsSender, Transport, form_body,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Twilio over a transport.
pub struct Twilio<'a> {
    /// Settings (URL, account, token, sender, callback URL).
    pub settings: &'a ProviderSettings,
    /// How calls are sent.
    pub transport: &'a dyn Transport,
}

/// The Twilio call for one message.
pub fn call(settings: &ProviderSettings, to: &str, body: &str) -> HttpCall {
    let credentials = format!("{}:{}", settings.sms_account, settings.sms_auth_token);
    HttpCall {
        method: "POST",
        url: format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            settings.sms_provider_url, settings.sms_account
        ),
        headers: vec![
            (
                "authorization".into(),
                format!("Basic {}", STANDARD.encode(credentials)),
            ),
            (
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
        ],
        body: form_body(&[
            ("To", to),
            ("From", &settings.sms_from),
            ("Body", body),
            ("StatusCallback", &settings.sms_status_callback),
        ]),
    }
}

impl SmsSender for Twilio<'_> {
    fn send_sms<'a>(
        &'a self,
        to: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        Box::pin(async move {
            let reply = self.transport.send(call(self.settings, to, body)).await?;
            if !(200..300).contains(&reply.status) {
                return Err(ProviderError::Refused(reply.status));
            }
            let answer: serde_json::Value =
                serde_json::from_slice(&reply.body).map_err(|_| ProviderError::BadAnswer)?;
            answer["sid"]
                .as_str()
                .filter(|sid| !sid.is_empty() && sid.len() <= 64)
                .map(str::to_owned)
                .ok_or(ProviderError::BadAnswer)
        })
    }
}
