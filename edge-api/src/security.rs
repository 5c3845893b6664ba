//! The browser protections every answer carries, pages and API alike, on Spin and on
//! edge-host (both run this component):
//!
//! * `Content-Security-Policy` (CSP Level 3): pages may load only their own scripts,
//!   styles and the browser module (`'wasm-unsafe-eval'` lets
//!   `WebAssembly.instantiateStreaming` compile it); the recovery page also hCaptcha's
//!   origins, the only CAPTCHA widget it draws (hCaptcha docs, "Content Security
//!   Policy"); API answers may load nothing. `frame-ancestors 'none'` and
//!   `X-Frame-Options: DENY` keep every page out of frames (clickjacking);
//! * `Referrer-Policy: no-referrer` (recovery links carry their token);
//! * `Cross-Origin-Opener-Policy: same-origin`;
//! * `Strict-Transport-Security` when `public_base_url` is https (RFC 6797).

/// CSP of API answers and plain-text errors.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// CSP of the pages.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// CSP of the recovery page: [`PAGE_CSP`] and hCaptcha's origins for its widget.
pub const RECOVERY_PAGE_CSP: &str = "default-src 'self'; \
     script-src 'self' 'wasm-unsafe-eval' https://hcaptcha.com https://*.hcaptcha.com; \
     frame-src https://hcaptcha.com https://*.hcaptcha.com; \
     style-src 'self' https://hcaptcha.com https://*.hcaptcha.com; img-src 'self' data:; \
     connect-src 'self' https://hcaptcha.com https://*.hcaptcha.com; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The page whose CSP is [`RECOVERY_PAGE_CSP`].
pub const RECOVERY_PAGE: &str = "recovery.html";

/// `Strict-Transport-Security` for an https deployment: a year, subdomains included.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The protection headers for an answer with policy `csp`; `https`: the deployment's
/// `public_base_url` is https.
pub fn headers(csp: &str, https: bool) -> Vec<(String, String)> {
    let mut headers = vec![
        ("content-security-policy".to_owned(), csp.to_owned()),
        ("x-frame-options".to_owned(), "DENY".to_owned()),
        ("referrer-policy".to_owned(), "no-referrer".to_owned()),
        (
            "cross-origin-opener-policy".to_owned(),
            "same-origin".to_owned(),
        ),
    ];
    if https {
        headers.push(("strict-transport-security".to_owned(), HSTS.to_owned()));
    }
    headers
}
