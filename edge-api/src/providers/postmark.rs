//! E-mail through Postmark's Email API (`POST /email`, Postmark docs "Send a single
//! email"): JSON `{From, To, Subject, TextBody, MessageStream}`, header
//! `X-Postmark-Server-Token`; `200` with `{"ErrorCode": 0, "MessageID": …}` on success.

use super::{BoxFuture, EmailSender, HttpCall, ProviderError, ProviderSettings, Transport};

/// Postmark over a transport.
pub struct Postmark<'a> {
    /// Settings (URL, token, sender).
    pub settings: &'a ProviderSettings,
    /// How calls are sent.
    pub transport: &'a dyn Transport,
}

/// The Postmark call for one e-mail.
pub fn call(settings: &ProviderSettings, to: &str, subject: &str, body: &str) -> HttpCall {
    let json = serde_json::json!({
        "From": settings.email_from,
        "To": to,
        "Subject": subject,
        "TextBody": body,
        "MessageStream": "outbound",
    });
    HttpCall {
        method: "POST",
        url: format!("{}/email", settings.email_provider_url),
        headers: vec![
            ("accept".into(), "application/json".into()),
            ("content-type".into(), "application/json".into()),
            (
                "x-postmark-server-token".into(),
                settings.email_api_key.clone(),
            ),
        ],
        body: json.to_string().into_bytes(),
    }
}

impl EmailSender for Postmark<'_> {
    fn send_email<'a>(
        &'a self,
        to: &'a str,
        subject: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let reply = self
                .transport
                .send(call(self.settings, to, subject, body))
                .await?;
            if reply.status != 200 {
                return Err(ProviderError::Refused(reply.status));
            }
            let answer: serde_json::Value =
                serde_json::from_slice(&reply.body).map_err(|_| ProviderError::BadAnswer)?;
            match answer["ErrorCode"].as_i64() {
                Some(0) => Ok(()),
                _ => Err(ProviderError::BadAnswer),
            }
        })
    }
}
