//! The development outbox: key-value store `dev_outbox`.
//!
//! When no e-mail or SMS provider is configured, edge-api writes the messages it would
//! have sent into this store. edge-host echoes every such write to stdout as one line
//! `[dev outbox] <key> <value>` and serves the whole store at `GET /_dev/outbox`.

use std::io::Write;

/// Label of the key-value store edge-api uses as its development outbox.
pub const STORE: &str = "dev_outbox";

/// Path of the endpoint listing the outbox.
pub const PATH: &str = "/_dev/outbox";

/// Variables that, when all unset, put edge-api into development mode.
pub const PROVIDER_VARIABLES: &[&str] = &[
    "email_provider_url",
    "sms_provider_url",
    "captcha_verify_url",
];

/// A stored value for display: parsed JSON when it is JSON, else (lossy) text.
pub fn display_value(value: &[u8]) -> serde_json::Value {
    serde_json::from_slice(value)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(value).into_owned()))
}

/// The JSON body of `GET /_dev/outbox`: `[{"key": ..., "value": ...}, ...]`, by key.
pub fn listing(entries: &[(String, Vec<u8>)]) -> String {
    let items: Vec<serde_json::Value> = entries
        .iter()
        .map(|(key, value)| serde_json::json!({ "key": key, "value": display_value(value) }))
        .collect();
    serde_json::Value::Array(items).to_string()
}

/// The stdout line for a write into the outbox (always a single line).
pub fn echo_line(key: &str, value: &[u8]) -> String {
    let value = match display_value(value) {
        serde_json::Value::String(text) => text.escape_default().to_string(),
        json => json.to_string(),
    };
    format!("[dev outbox] {} {value}", key.escape_default())
}

/// Prints [`echo_line`] to stdout when `store` is the outbox.
pub fn echo_if_outbox(store: &str, key: &str, value: &[u8]) {
    if store == STORE {
        let mut out = std::io::stdout().lock();
        // Best effort: a closed stdout must not fail the guest's write.
        let _ = writeln!(out, "{}", echo_line(key, value));
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_parses_json_values_and_keeps_text() {
        let body = listing(&[
            ("a".into(), br#"{"to":"x@example.com","n":1}"#.to_vec()),
            ("b".into(), b"plain text".to_vec()),
        ]);
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!([
                {"key": "a", "value": {"to": "x@example.com", "n": 1}},
                {"key": "b", "value": "plain text"}
            ])
        );
        assert_eq!(listing(&[]), "[]");
    }

    #[test]
    fn echo_is_one_line() {
        assert_eq!(
            echo_line("m1", b"{\n  \"code\": \"123456\"\n}"),
            r#"[dev outbox] m1 {"code":"123456"}"#
        );
        let line = echo_line("k\nx", b"two\nlines");
        assert!(!line.contains('\n'));
        assert_eq!(line, r"[dev outbox] k\nx two\nlines");
    }
}
