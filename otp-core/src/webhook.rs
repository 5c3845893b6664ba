//! Signatures of provider callbacks.
//!
//! Twilio's `X-Twilio-Signature` (Twilio docs, "Webhooks security"): take the full URL
//! Twilio requested (scheme, host, path, query), append every POST parameter sorted by
//! name as `name` immediately followed by `value`, HMAC-SHA1 the string with the
//! account's auth token, Base64-encode. Compared in constant time.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};

/// The expected `X-Twilio-Signature` for `url` and form `params`.
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `signature` (the header value) is right for `url` and `params`.
pub fn twilio_signature_valid(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    signature: &str,
) -> bool {
    let expected = twilio_signature(auth_token, url, params);
    crate::tokens::constant_time_eq(expected.as_bytes(), signature.trim().as_bytes())
}
