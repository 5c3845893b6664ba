//! CAPTCHA checks with the siteverify request/response shape shared by Google
//! reCAPTCHA, hCaptcha and Cloudflare Turnstile: `POST` form `secret`, `response`,
//! `remoteip`; JSON `{"success": true|false, …}`.

use super::{
    BoxFuture, CaptchaVerifier, HttpCall, ProviderError, ProviderSettings, Transport, form_body,
};

/// A siteverify endpoint over a transport.
pub struct Siteverify<'a> {
    /// Settings (URL, secret).
    pub settings: &'a ProviderSettings,
    /// How calls are sent.
    pub transport: &'a dyn Transport,
}

/// The siteverify call for one token.
pub fn call(settings: &ProviderSettings, token: &str, client_ip: Option<&str>) -> HttpCall {
    let mut pairs = vec![
        ("secret", settings.captcha_secret.as_str()),
        ("response", token),
    ];
    if let Some(ip) = client_ip {
        pairs.push(("remoteip", ip));
    }
    HttpCall {
        method: "POST",
        url: settings.captcha_verify_url.clone(),
        headers: vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        body: form_body(&pairs),
    }
}

impl CaptchaVerifier for Siteverify<'_> {
    fn verify<'a>(
        &'a self,
        token: &'a str,
        client_ip: Option<&'a str>,
    ) -> BoxFuture<'a, Result<bool, ProviderError>> {
        Box::pin(async move {
            let reply = self
                .transport
                .send(call(self.settings, token, client_ip))
                .await?;
            if reply.status != 200 {
                return Err(ProviderError::Refused(reply.status));
            }
            let answer: serde_json::Value =
                serde_json::from_slice(&reply.body).map_err(|_| ProviderError::BadAnswer)?;
            answer["success"].as_bool().ok_or(ProviderError::BadAnswer)
        })
    }
}
