//! The route table and dispatch: match method and path (with `{}` segments), run the
//! handler, turn every refusal into a JSON error. Handlers live in [`account`]
//! (accounts, sessions, OTP setting) and [`recovery`] (recovery, callbacks, support).

pub mod account;
pub mod recovery;

pub use crate::context::Platform;
use crate::context::{config, service};
use crate::providers::dev::{self, OUTBOX_PATH};
use crate::request::ApiRequest;
use crate::response::{ApiError, ApiResponse};
use crate::statics;
use otp_core::config::Delivery;
use otp_core::flows::{FlowError, InternalError, Service};

/// Path parameters captured by `{}` segments, percent-decoded.
pub type Params = Vec<String>;

type Sync = fn(&ApiRequest, &Platform, &Params) -> Result<ApiResponse, ApiError>;

/// A handler: most are synchronous; recovery confirmation awaits the CAPTCHA check,
/// and a recovery text message is handed to the provider before the answer.
#[derive(Clone, Copy)]
enum Handler {
    Sync(Sync),
    ConfirmRecovery,
    SendRecoverySms,
}

/// Method, path pattern and handler of every route.
const ROUTES: &[(&str, &str, Handler)] = &[
    ("GET", "/api/time", Handler::Sync(account::time)),
    ("POST", "/api/accounts", Handler::Sync(account::register)),
    ("POST", "/api/session", Handler::Sync(account::sign_in)),
    ("DELETE", "/api/session", Handler::Sync(account::sign_out)),
    (
        "POST",
        "/api/session/otp",
        Handler::Sync(account::sign_in_otp),
    ),
    (
        "POST",
        "/api/session/recovery-code",
        Handler::Sync(account::sign_in_recovery_code),
    ),
    ("GET", "/api/account", Handler::Sync(account::account)),
    (
        "PUT",
        "/api/account/phone",
        Handler::Sync(account::set_phone),
    ),
    (
        "PUT",
        "/api/account/language",
        Handler::Sync(account::set_language),
    ),
    ("POST", "/api/otp/setup", Handler::Sync(account::setup)),
    (
        "POST",
        "/api/otp/activate",
        Handler::Sync(account::activate),
    ),
    (
        "POST",
        "/api/otp/deactivate",
        Handler::Sync(account::deactivate),
    ),
    (
        "POST",
        "/api/otp/recovery-codes",
        Handler::Sync(account::regenerate_codes),
    ),
    ("POST", "/api/recovery", Handler::Sync(recovery::request)),
    ("GET", "/api/recovery/{}", Handler::Sync(recovery::view)),
    ("POST", "/api/recovery/{}/sms", Handler::SendRecoverySms),
    ("POST", "/api/recovery/{}/confirm", Handler::ConfirmRecovery),
    (
        "POST",
        "/api/callbacks/sms",
        Handler::Sync(recovery::sms_callback),
    ),
    (
        "POST",
        "/api/admin/accounts/{}/otp/reset",
        Handler::Sync(recovery::admin_reset),
    ),
    ("POST", "/api/admin/reseal", Handler::Sync(recovery::reseal)),
    (
        "POST",
        "/api/admin/store-contract",
        Handler::Sync(recovery::store_contract),
    ),
];

/// Match `path` against `pattern`; the `{}` segments' values, percent-decoded.
fn matches(pattern: &str, path: &str) -> Option<Params> {
    // A pattern without `{}` matches only the path equal to it: one comparison instead
    // of splitting both at every `/` for each route tried.
    if !pattern.as_bytes().contains(&b'{') {
        return (pattern == path).then(Vec::new);
    }
    let mut params = Vec::new();
    let mut pattern_parts = pattern.split('/');
    let mut path_parts = path.split('/');
    loop {
        match (pattern_parts.next(), path_parts.next()) {
            (None, None) => return Some(params),
            (Some("{}"), Some(value)) if !value.is_empty() => params.push(
                percent_encoding::percent_decode_str(value)
                    .decode_utf8()
                    .ok()?
                    .into_owned(),
            ),
            (Some(a), Some(b)) if a == b => {}
            _ => return None,
        }
    }
}

/// Answer one request: `/api` and `/api/…` from the route table (every refusal a JSON
/// error), the development outbox at [`OUTBOX_PATH`], anything else from the web
/// directory ([`statics`]). Never panics on client input.
pub async fn handle(req: &ApiRequest, platform: &Platform<'_>) -> ApiResponse {
    let mut response = answer(req, platform).await;
    // From the variable itself: HSTS holds even when the rest of the configuration
    // is refused.
    response.https = (platform.variables)("public_base_url")
        .is_some_and(|url| otp_core::config::origin_of(url.trim()).starts_with("https://"));
    response
}

async fn answer(req: &ApiRequest, platform: &Platform<'_>) -> ApiResponse {
    if req.path == OUTBOX_PATH {
        return dev_outbox(req, platform);
    }
    if req.path != "/api" && !req.path.starts_with("/api/") {
        return statics::serve(platform.web, &req.method, &req.path);
    }
    let mut path_known = false;
    for (method, pattern, handler) in ROUTES {
        let Some(params) = matches(pattern, &req.path) else {
            continue;
        };
        path_known = true;
        // HEAD is GET without the body (RFC 9110 §9.3.2); the platform drops the body.
        if *method != req.method && !(req.method == "HEAD" && *method == "GET") {
            continue;
        }
        let outcome = match handler {
            Handler::Sync(f) => f(req, platform, &params),
            Handler::ConfirmRecovery => recovery::confirm(req, platform, &params).await,
            Handler::SendRecoverySms => recovery::send_sms(req, platform, &params).await,
        };
        return outcome.unwrap_or_else(|e| {
            if let ApiError::Flow(FlowError::Internal(detail)) = &e {
                log_internal(req, detail);
            }
            e.into_response(req.language())
        });
    }
    let error = if path_known {
        ApiError::MethodNotAllowed
    } else {
        ApiError::NotFound
    };
    error.into_response(req.language())
}

/// `GET /_dev/outbox`: the development outbox ([`crate::providers::dev::listing`]);
/// 404 unless the configuration delivers to it ([`Delivery::Development`]).
fn dev_outbox(req: &ApiRequest, platform: &Platform) -> ApiResponse {
    let listing = config(platform)
        .ok()
        .filter(|config| config.delivery == Delivery::Development)
        .map(|_| dev::listing(platform.store));
    match listing {
        None => ApiError::NotFound.into_response(req.language()),
        Some(_) if req.method != "GET" && req.method != "HEAD" => {
            ApiError::MethodNotAllowed.into_response(req.language())
        }
        Some(Ok(entries)) => ApiResponse::json(200, &entries),
        Some(Err(e)) => {
            let detail = InternalError::from(e);
            log_internal(req, &detail);
            ApiError::Flow(FlowError::Internal(detail)).into_response(req.language())
        }
    }
}

fn log_internal(req: &ApiRequest, detail: &InternalError) {
    // Operator detail only: store, seal or configuration faults never hold secrets.
    // The path is cut after /api/recovery/ so link tokens stay out of logs.
    let path = match req.path.find("/api/recovery/") {
        Some(i) => &req.path[..i + "/api/recovery/".len()],
        None => &req.path,
    };
    eprintln!("edge-api: {} {path}… failed: {detail}", req.method);
}

/// Run `f` with the flows and the signed-in account's id (401 `not_signed_in`
/// otherwise); state-changing requests are origin-checked first.
pub(crate) fn with_account<T>(
    req: &ApiRequest,
    platform: &Platform,
    f: impl FnOnce(&Service, &str) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    with_service(req, platform, |svc| {
        let id = account::signed_in(req, svc)?;
        f(svc, &id)
    })
}

/// Run `f` with the flows; state-changing requests are origin-checked first.
pub(crate) fn with_service<T>(
    req: &ApiRequest,
    platform: &Platform,
    f: impl FnOnce(&Service) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let config = config(platform)?;
    if req.method != "GET" {
        req.check_same_origin(&config.public_origin)?;
    }
    f(&service(req, platform, &config))
}
