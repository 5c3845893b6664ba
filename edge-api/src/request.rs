//! What came in: method, path, headers and a size-limited body, independent of Spin.

use crate::response::ApiError;
use otp_core::client::ClientAddress;
use otp_core::i18n::Language;
use serde::de::DeserializeOwned;

/// Largest request body accepted, in bytes (16 KiB).
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// The `invalid_field` message for a body that is JSON but not an object.
pub const NOT_AN_OBJECT: &str = "the body must be a JSON object";
/// Start of [`ApiError::InvalidField`] texts that name a field whose value edge-api
/// itself found unusable; the field name follows.
pub const INVALID_FIELD_PREFIX: &str = "invalid field: ";
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

    /// The language the client asked for (`Accept-Language`, RFC 9110 §12.5.4): of
    /// error messages, and of an account this request creates.
    pub fn language(&self) -> Language {
        Language::from_accept_language(self.header("accept-language"))
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

    /// Every value of a (lower-case) header, in the order received.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A header the platform adds (`spin-client-addr`, `spin-full-url`, …): its *last*
    /// value. Spin builds the component's request headers as the client's headers
    /// first and then its own, appended (`crates/trigger-http/src/wasi.rs`:
    /// `prepare_request_headers`, then `HeaderMap::extend`, from v3.1 on), so a client
    /// that sends `spin-client-addr` itself only puts a value in front of Spin's.
    /// edge-host hands headers over the same way.
    pub fn platform_header<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.header_values(name).last()
    }

    /// The address of the connection, as the platform reports it
    /// (`spin-client-addr`, `IP:port` or `[IPv6]:port`).
    pub fn peer(&self) -> Option<ClientAddress> {
        let addr = self.platform_header("spin-client-addr")?.trim();
        let ip = match addr.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !host.is_empty() => {
                host
            }
            _ => addr,
        };
        ClientAddress::parse(ip).or_else(|| ClientAddress::parse(addr))
    }

    /// Refuse a cross-origin state change: when an `Origin` header is present it must
    /// be `own` — the portal's origin, [`otp_core::config::ServiceConfig::public_origin`],
    /// not the URL the platform received, whose scheme behind a TLS-terminating proxy
    /// is the proxy's plain `http`. Requests without `Origin` (non-browser clients)
    /// pass; browsers always send it on POST, PUT and DELETE, and the session cookie is
    /// `SameSite=Strict` besides.
    ///
    /// Errors: 403 `cross_origin`.
    pub fn check_same_origin(&self, own: &str) -> Result<(), ApiError> {
        match self.header("origin") {
            Some(origin) if !own.eq_ignore_ascii_case(origin.trim()) => Err(ApiError::CrossOrigin),
            _ => Ok(()),
        }
    }

    /// Decode the JSON body, which must be an object, into `T` (which refuses unknown
    /// fields). An empty body decodes as `{}`.
    ///
    /// Errors: `body_too_large` (413), `unsupported_media_type` (415) unless
    /// `Content-Type` is `application/json`, `malformed_json` (not JSON, not UTF-8,
    /// nested too deeply), `invalid_field` (JSON but not an object — serde would build
    /// a struct from an array —, or a missing, mistyped or unknown field).
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
        // A JSON text is an object exactly when its first non-blank byte is `{`.
        if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(
                match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                    Ok(_) => ApiError::InvalidField(NOT_AN_OBJECT.into()),
                    Err(_) => ApiError::MalformedJson,
                },
            );
        }
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
