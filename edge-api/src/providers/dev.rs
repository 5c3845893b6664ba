//! Development delivery (only on a loopback `public_base_url`, see
//! [`otp_core::config::Delivery`]): e-mails and text messages go to the key-value store
//! label `dev_outbox`, which edge-host prints and serves at `/_dev/outbox`; the CAPTCHA
//! accepts only hCaptcha's documented test response token [`TEST_TOKEN`].

use super::{BoxFuture, CaptchaVerifier, EmailSender, ProviderError, SmsSender};
use otp_core::ports::{Clock, Rng, Store};

/// hCaptcha's documented test response token ("Integration testing: test keys").
pub const TEST_TOKEN: &str = "10000000-aaaa-bbbb-cccc-000000000001";

/// Writes messages to the development outbox store.
pub struct DevOutbox<'a> {
    /// The `dev_outbox` store.
    pub store: &'a dyn Store,
    /// For ordered keys.
    pub clock: &'a dyn Clock,
    /// For unique keys.
    pub rng: &'a dyn Rng,
}

impl DevOutbox<'_> {
    fn write(&self, value: serde_json::Value) -> Result<String, ProviderError> {
        let mut nonce = [0u8; 6];
        self.rng
            .fill(&mut nonce)
            .map_err(|e| ProviderError::Outbox(e.to_string()))?;
        let id = format!("{:013}-{}", self.clock.now_ms(), hex_of(&nonce));
        self.store
            .set(&id, value.to_string().as_bytes())
            .map_err(|e| ProviderError::Outbox(e.to_string()))?;
        Ok(id)
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl EmailSender for DevOutbox<'_> {
    fn send_email<'a>(
        &'a self,
        to: &'a str,
        subject: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        let result = self
            .write(serde_json::json!({"kind": "email", "to": to, "subject": subject, "body": body}))
            .map(|_| ());
        Box::pin(async move { result })
    }
}

impl SmsSender for DevOutbox<'_> {
    fn send_sms<'a>(
        &'a self,
        to: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        let result = self.write(serde_json::json!({"kind": "sms", "to": to, "body": body}));
        Box::pin(async move { result })
    }
}

/// Accepts only [`TEST_TOKEN`].
pub struct DevCaptcha;

impl CaptchaVerifier for DevCaptcha {
    fn verify<'a>(
        &'a self,
        token: &'a str,
        _client_ip: Option<&'a str>,
    ) -> BoxFuture<'a, Result<bool, ProviderError>> {
        Box::pin(async move { Ok(token == TEST_TOKEN) })
    }
}
