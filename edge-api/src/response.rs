//! What goes out: JSON answers, cookies, and the mapping of every error to a status and
//! a stable code (docs/http-api.md).

use crate::security;
use otp_core::flows::{ErrorKind, FlowError};
use otp_core::i18n::{self, Arg, Language};
use serde::Serialize;

/// An HTTP response as the routes build it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse {
    /// Status code.
    pub status: u16,
    /// `Content-Type` of a non-empty body.
    pub content_type: &'static str,
    /// `Cache-Control`: `no-store` for API answers, `no-cache` for static files
    /// (RFC 9111 §5.2.2).
    pub cache_control: &'static str,
    /// Its `Content-Security-Policy` ([`crate::security`]).
    pub csp: &'static str,
    /// Whether to send `Strict-Transport-Security` (an https deployment).
    pub https: bool,
    /// Headers besides the common ones added by [`ApiResponse::headers`].
    pub extra_headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl ApiResponse {
    /// `status` with `value` as JSON.
    pub fn json<T: Serialize>(status: u16, value: &T) -> ApiResponse {
        Self::api(status, serde_json::to_vec(value).unwrap_or_default())
    }

    /// `204 No Content`.
    pub fn no_content() -> ApiResponse {
        Self::api(204, Vec::new())
    }

    fn api(status: u16, body: Vec<u8>) -> ApiResponse {
        ApiResponse {
            status,
            content_type: "application/json",
            cache_control: "no-store",
            csp: security::API_CSP,
            https: false,
            extra_headers: Vec::new(),
            body,
        }
    }

    /// A static file (`200`, or another status for a plain-text answer such as `404`)
    /// under policy `csp`: revalidated before reuse (`no-cache`), never stored for API
    /// answers.
    pub fn file(
        status: u16,
        content_type: &'static str,
        csp: &'static str,
        body: Vec<u8>,
    ) -> ApiResponse {
        ApiResponse {
            status,
            content_type,
            cache_control: "no-cache",
            csp,
            https: false,
            extra_headers: Vec::new(),
            body,
        }
    }

    /// Add a header.
    pub fn with_header(mut self, name: &str, value: String) -> ApiResponse {
        self.extra_headers.push((name.to_owned(), value));
        self
    }

    /// Every header to send: `Cache-Control`, `X-Content-Type-Options: nosniff`, the
    /// protections of [`crate::security`], `Content-Type` when there is a body, then
    /// [`ApiResponse::extra_headers`].
    pub fn headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![
            ("cache-control".to_owned(), self.cache_control.to_owned()),
            ("x-content-type-options".to_owned(), "nosniff".to_owned()),
        ];
        headers.extend(security::headers(self.csp, self.https));
        if !self.body.is_empty() {
            headers.push(("content-type".to_owned(), self.content_type.to_owned()));
        }
        headers.extend(self.extra_headers.iter().cloned());
        headers
    }
}

/// Every error edge-api answers with.
#[derive(Debug)]
pub enum ApiError {
    /// A flow refused.
    Flow(FlowError),
    /// Body over 16 KiB.
    BodyTooLarge,
    /// Body present but not `application/json`.
    UnsupportedMediaType,
    /// Body is not JSON (or not UTF-8, or nested too deeply).
    MalformedJson,
    /// A field is missing, mistyped or unknown; the text names it.
    InvalidField(String),
    /// No such route.
    NotFound,
    /// Route exists, method does not.
    MethodNotAllowed,
    /// State change from another origin.
    CrossOrigin,
    /// A provider callback without a valid signature.
    BadSignature,
    /// A provider (CAPTCHA) could not answer.
    Provider(crate::providers::ProviderError),
}

impl From<FlowError> for ApiError {
    fn from(e: FlowError) -> Self {
        ApiError::Flow(e)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

fn status_of(kind: ErrorKind) -> u16 {
    match kind {
        ErrorKind::BadRequest => 400,
        ErrorKind::Unauthorized => 401,
        ErrorKind::Forbidden => 403,
        ErrorKind::NotFound => 404,
        ErrorKind::Conflict => 409,
        ErrorKind::Gone => 410,
        ErrorKind::TooManyRequests => 429,
        ErrorKind::Internal => 500,
    }
}

/// The catalog id and field name of a field error, without the offending value
/// (serde quotes values).
fn field_message(serde_text: &str) -> (&'static str, Option<String>) {
    if serde_text == crate::request::NOT_AN_OBJECT {
        return ("error-invalid_field-not_an_object", None);
    }
    if let Some(name) = serde_text.strip_prefix(crate::request::INVALID_FIELD_PREFIX) {
        return ("error-invalid_field-invalid", Some(name.to_owned()));
    }
    let head = serde_text.split(" at line ").next().unwrap_or(serde_text);
    let name = head.split('`').nth(1).unwrap_or("?").to_owned();
    if head.starts_with("unknown field") {
        ("error-invalid_field-unknown", Some(name))
    } else if head.starts_with("missing field") {
        ("error-invalid_field-missing", Some(name))
    } else {
        ("error-invalid_field-type", None)
    }
}

impl ApiError {
    /// Status, code and message in `language` (the server catalogs,
    /// [`otp_core::i18n`]).
    pub fn parts(&self, language: Language) -> (u16, &'static str, String) {
        let (status, code) = match self {
            ApiError::Flow(e) => return (status_of(e.kind()), e.code(), e.message(language)),
            ApiError::InvalidField(text) => {
                let (id, field) = field_message(text);
                let args: Vec<(&str, Arg)> =
                    field.iter().map(|f| ("field", Arg::Text(f))).collect();
                return (400, "invalid_field", i18n::text(language, id, &args));
            }
            ApiError::BodyTooLarge => (413, "body_too_large"),
            ApiError::UnsupportedMediaType => (415, "unsupported_media_type"),
            ApiError::MalformedJson => (400, "malformed_json"),
            ApiError::NotFound => (404, "not_found"),
            ApiError::MethodNotAllowed => (405, "method_not_allowed"),
            ApiError::CrossOrigin => (403, "cross_origin"),
            ApiError::BadSignature => (403, "bad_signature"),
            ApiError::Provider(_) => (502, "provider_unavailable"),
        };
        (
            status,
            code,
            i18n::text(language, &format!("error-{code}"), &[]),
        )
    }

    /// The JSON error response (`{error, message[, retry_after]}`), with a
    /// `Retry-After` header for 429.
    pub fn into_response(self, language: Language) -> ApiResponse {
        let (status, code, message) = self.parts(language);
        let retry_after = match &self {
            ApiError::Flow(FlowError::TooManyAttempts { retry_after_s }) => Some(*retry_after_s),
            _ => None,
        };
        let response = ApiResponse::json(
            status,
            &ErrorBody {
                error: code,
                message,
                retry_after,
            },
        );
        match retry_after {
            Some(s) => response.with_header("retry-after", s.to_string()),
            None => response,
        }
    }
}
