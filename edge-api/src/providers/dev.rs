//! Development delivery (only on a loopback `public_base_url`, see
//! [`otp_core::config::Delivery`]): e-mails and text messages go to the development
//! outbox — numbered entries under [`OUTBOX_PREFIX`] in the component's own key-value
//! store, each also printed to stdout as `[dev outbox] <key> <json>` — which the
//! component lists at `GET /_dev/outbox` ([`listing`]), on Spin and on edge-host alike.
//! The CAPTCHA accepts only hCaptcha's documented test response token [`TEST_TOKEN`].

use super::{BoxFuture, CaptchaVerifier, EmailSender, ProviderError, SmsSender};
use otp_core::ports::{Store, StoreError, read_counter};

/// hCaptcha's documented test response token ("Integration testing: test keys").
pub const TEST_TOKEN: &str = "10000000-aaaa-bbbb-cccc-000000000001";

/// Key prefix of the outbox entries; `{prefix}count` numbers them (an `increment`
/// counter, so entries written at once from several instances never collide).
pub const OUTBOX_PREFIX: &str = "dev-outbox/";

/// Path of the listing.
pub const OUTBOX_PATH: &str = "/_dev/outbox";

/// Entries [`listing`] returns at most: the newest.
pub const LISTING_LIMIT: i64 = 200;

fn count_key() -> String {
    format!("{OUTBOX_PREFIX}count")
}

fn entry_key(n: i64) -> String {
    format!("{OUTBOX_PREFIX}{n:010}")
}

/// Writes messages to the development outbox.
pub struct DevOutbox<'a> {
    /// The component's key-value store.
    pub store: &'a dyn Store,
}

impl DevOutbox<'_> {
    fn write(&self, value: serde_json::Value) -> Result<String, ProviderError> {
        let outbox = |e: StoreError| ProviderError::Outbox(e.to_string());
        let key = entry_key(self.store.increment(&count_key(), 1).map_err(outbox)?);
        let text = value.to_string();
        self.store.set(&key, text.as_bytes()).map_err(outbox)?;
        println!("[dev outbox] {key} {text}");
        Ok(key)
    }
}

/// The outbox as `[{"key": …, "value": {…}}, …]`, oldest first, at most the newest
/// [`LISTING_LIMIT`] entries.
///
/// Errors: the store's.
pub fn listing(store: &dyn Store) -> Result<serde_json::Value, StoreError> {
    let count = read_counter(store.get(&count_key())?.as_deref())?;
    let mut entries = Vec::new();
    for n in (count - LISTING_LIMIT + 1).max(1)..=count {
        let key = entry_key(n);
        if let Some(raw) = store.get(&key)? {
            let value = serde_json::from_slice(&raw).unwrap_or(serde_json::Value::Null);
            entries.push(serde_json::json!({ "key": key, "value": value }));
        }
    }
    Ok(serde_json::Value::Array(entries))
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

#[cfg(test)]
mod tests {
    use super::*;
    use otp_core::memory::MemoryStore;

    #[test]
    fn messages_are_listed_oldest_first_under_numbered_keys() {
        let store = MemoryStore::default();
        assert_eq!(listing(&store).unwrap(), serde_json::json!([]));
        let outbox = DevOutbox { store: &store };
        futures::executor::block_on(async {
            outbox
                .send_email("a@example.com", "Subject", "Body")
                .await
                .unwrap();
            outbox
                .send_sms("+12025550143", "Code 123456")
                .await
                .unwrap();
        });
        assert_eq!(
            listing(&store).unwrap(),
            serde_json::json!([
                {"key": "dev-outbox/0000000001", "value":
                    {"kind": "email", "to": "a@example.com", "subject": "Subject", "body": "Body"}},
                {"key": "dev-outbox/0000000002", "value":
                    {"kind": "sms", "to": "+12025550143", "body": "Code 123456"}},
            ])
        );
    }
}
