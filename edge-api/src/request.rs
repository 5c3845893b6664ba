//! What came in: method, path, headers and a size-limited body, independent of Spin.

use crate::response::ApiError;
use serde::de::DeserializeOwned;

/// Largest request body accepted, in bytes (16 KiB).
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "otp_edge_session";

/// An HTTP request as the routes see it.
#[derive(Debug, Clone, Default)]
pub struct ApiRequest {
    /// Upper-case method (`GET`, `POST`, …).
    pub method: String,
    /// Path without the query string, e.g. `/api/time`.
    pub path: String,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body; `None` when it exceeded [`MAX_BODY_BYTES`].
    pub body: Option<Vec<u8>>,
}

impl ApiRequest {
    /// First header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of the session cookie, if sent.
    pub fn session_cookie(&self) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "cookie")
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.trim())
    }

    /// The client's IP address as the platform reports it (`spin-client-addr`).
    pub fn client_ip(&self) -> Option<String> {
        let addr = self.header("spin-client-addr")?;
        let ip = match addr.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => addr,
        };
        Some(ip.trim_start_matches('[').trim_end_matches(']').to_owned())
    }

    /// Refuse a cross-origin state change: when an `Origin` header is present it must
    /// equal the origin of the URL the platform received (`spin-full-url`). Requests
    /// without `Origin` (non-browser clients) pass; browsers always send it on POST,
    /// PUT and DELETE, and the session cookie is `SameSite=Strict` besides.
    pub fn check_same_origin(&self) -> Result<(), ApiError> {
        let Some(origin) = self.header("origin") else {
            return Ok(());
        };
        let own = self.header("spin-full-url").and_then(origin_of);
        match own {
            Some(own) if own.eq_ignore_ascii_case(origin) => Ok(()),
            _ => Err(ApiError::CrossOrigin),
        }
    }

    /// Decode the JSON body into `T` (which refuses unknown fields). An empty body
    /// decodes as `{}`.
    ///
    /// Errors: `body_too_large` (413), `unsupported_media_type` (415) unless
    /// `Content-Type` is `application/json`, `malformed_json` (not JSON, not UTF-8,
    /// nested too deeply), `invalid_field` (missing, mistyped or unknown field).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let body = self.body.as_deref().ok_or(ApiError::BodyTooLarge)?;
        let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            let json = self
                .header("content-type")
                .and_then(|ct| ct.split(';').next())
                .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"));
            if !json {
                return Err(ApiError::UnsupportedMediaType);
            }
            body
        };
        serde_json::from_slice(body).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => ApiError::InvalidField(e.to_string()),
            _ => ApiError::MalformedJson,
        })
    }
}

impl ApiRequest {
    /// The token of an `Authorization: Bearer …` header.
    pub fn bearer_token(&self) -> Option<&str> {
        let value = self.header("authorization")?;
        let (scheme, token) = value.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim())
            .filter(|t| !t.is_empty())
    }

    /// Decode an `application/x-www-form-urlencoded` body (provider callbacks).
    pub fn form(&self) -> Result<Vec<(String, String)>, ApiError> {
        let body = self.body.as_deref().ok_or(ApiError::BodyTooLarge)?;
        let form = self
            .header("content-type")
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|ct| {
                ct.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !form {
            return Err(ApiError::UnsupportedMediaType);
        }
        Ok(form_urlencoded::parse(body).into_owned().collect())
    }
}

/// `scheme://host[:port]` of an absolute URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    Some(format!("{scheme}://{authority}"))
}
