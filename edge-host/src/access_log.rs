//! The one stderr line logged per request: `METHOD PATH STATUS DURATIONms`.
//!
//! Never bodies, headers or query strings. Path segments that look like secrets are
//! replaced by `:redacted` — recovery links carry a token in the path, and the admin
//! reset path carries an e-mail address: a segment containing `@` (or `%40`), or one of
//! 16 or more characters drawn only from base64url/hex letters that contains a digit.

use std::time::Duration;

/// What replaces a redacted path segment.
pub const REDACTED: &str = ":redacted";

/// `path` with secret-looking segments replaced by [`REDACTED`].
pub fn redact_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if looks_secret(segment) {
                REDACTED
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn looks_secret(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase();
    if lower.contains('@') || lower.contains("%40") {
        return true;
    }
    segment.len() >= 16
        && segment.bytes().any(|b| b.is_ascii_digit())
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=' || b == b'.')
}

/// The log line for a finished request.
pub fn line(
    method: &http::Method,
    path: &str,
    status: http::StatusCode,
    elapsed: Duration,
) -> String {
    format!(
        "{method} {} {} {}ms",
        redact_path(path),
        status.as_u16(),
        elapsed.as_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_paths_are_kept() {
        for path in [
            "/",
            "/api/session/otp",
            "/api/otp/setup",
            "/api/recovery",
            "/pkg/wasm_client_bg.wasm",
            "/api/callbacks/sms",
        ] {
            assert_eq!(redact_path(path), path);
        }
    }

    #[test]
    fn tokens_and_addresses_are_redacted() {
        assert_eq!(
            redact_path("/api/recovery/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5/sms"),
            "/api/recovery/:redacted/sms"
        );
        assert_eq!(
            redact_path("/api/admin/accounts/alice%40example.com/otp/reset"),
            "/api/admin/accounts/:redacted/otp/reset"
        );
        assert_eq!(redact_path("/api/x/bob@example.com"), "/api/x/:redacted");
        assert_eq!(
            redact_path("/api/recovery/0123456789abcdef0123456789abcdef"),
            "/api/recovery/:redacted"
        );
    }

    #[test]
    fn line_format() {
        let line = line(
            &http::Method::POST,
            "/api/session",
            http::StatusCode::UNAUTHORIZED,
            Duration::from_micros(12_345),
        );
        assert_eq!(line, "POST /api/session 401 12ms");
    }
}
