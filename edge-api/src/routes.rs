//! The route table and one small handler per route: decode, call the flow, encode.

use crate::request::{ApiRequest, SESSION_COOKIE};
use crate::response::{ApiError, ApiResponse};
use crate::wire;
use otp_core::config::{SESSION_TTL_MS, ServiceConfig};
use otp_core::flows::{FlowError, InternalError, Service, SignIn};
use otp_core::ports::{Clock, Outbox, Rng, Store};

/// What the routes need from the platform (Spin in the component, fakes in tests).
pub struct Platform<'a> {
    /// Key-value store.
    pub store: &'a dyn Store,
    /// Wall clock.
    pub clock: &'a dyn Clock,
    /// CSPRNG.
    pub rng: &'a dyn Rng,
    /// Where the flows queue e-mails and text messages; delivered after the response
    /// is decided.
    pub outbox: &'a dyn Outbox,
    /// Variable lookup (`None` when undefined).
    pub variables: &'a dyn Fn(&str) -> Option<String>,
}

type Handler = fn(&ApiRequest, &Platform) -> Result<ApiResponse, ApiError>;

/// Method, path and handler of every route.
const ROUTES: &[(&str, &str, Handler)] = &[
    ("GET", "/api/time", time),
    ("POST", "/api/accounts", register),
    ("POST", "/api/session", sign_in),
    ("DELETE", "/api/session", sign_out),
    ("POST", "/api/session/otp", sign_in_otp),
    ("GET", "/api/account", account),
    ("PUT", "/api/account/phone", set_phone),
    ("POST", "/api/otp/setup", setup),
    ("POST", "/api/otp/activate", activate),
    ("POST", "/api/otp/deactivate", deactivate),
];

/// Answer one request. Never panics on client input; every refusal is a JSON error.
pub fn handle(req: &ApiRequest, platform: &Platform) -> ApiResponse {
    let mut path_known = false;
    for (method, path, handler) in ROUTES {
        if *path != req.path {
            continue;
        }
        path_known = true;
        if *method == req.method {
            return handler(req, platform).unwrap_or_else(|e| {
                if let ApiError::Flow(FlowError::Internal(detail)) = &e {
                    log_internal(req, detail);
                }
                e.into_response()
            });
        }
    }
    let error = if path_known {
        ApiError::MethodNotAllowed
    } else {
        ApiError::NotFound
    };
    error.into_response()
}

fn log_internal(req: &ApiRequest, detail: &InternalError) {
    // Operator detail only: store, seal or configuration faults never hold secrets.
    eprintln!("edge-api: {} {} failed: {detail}", req.method, req.path);
}

fn service<'a>(req: &ApiRequest, platform: &'a Platform, config: &'a ServiceConfig) -> Service<'a> {
    Service {
        store: platform.store,
        clock: platform.clock,
        rng: platform.rng,
        outbox: platform.outbox,
        config,
        client: req.client_ip(),
    }
}

fn config(platform: &Platform) -> Result<ServiceConfig, ApiError> {
    ServiceConfig::from_variables(platform.variables)
        .map_err(|e| ApiError::Flow(FlowError::Internal(e.into())))
}

/// Run `f` with a service for a state-changing request (origin checked first).
fn with_service<T>(
    req: &ApiRequest,
    platform: &Platform,
    f: impl FnOnce(&Service) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    if req.method != "GET" {
        req.check_same_origin()?;
    }
    let config = config(platform)?;
    f(&service(req, platform, &config))
}

/// The signed-in account id, or 401 `not_signed_in`.
fn signed_in(req: &ApiRequest, svc: &Service) -> Result<String, ApiError> {
    let token = req.session_cookie().ok_or(FlowError::NotSignedIn)?;
    Ok(svc.authenticate(token)?)
}

fn session_cookie(token: &str, max_age_s: u64) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age_s}; HttpOnly; Secure; SameSite=Strict"
    )
}

fn signed_in_response(token: &otp_core::tokens::Token) -> ApiResponse {
    ApiResponse::json(
        200,
        &wire::Status {
            status: "signed_in",
        },
    )
    .with_header(
        "set-cookie",
        session_cookie(token.as_str(), SESSION_TTL_MS / 1000),
    )
}

fn time(_: &ApiRequest, platform: &Platform) -> Result<ApiResponse, ApiError> {
    Ok(ApiResponse::json(
        200,
        &wire::Time {
            unix_ms: platform.clock.now_ms(),
        },
    ))
}

fn register(req: &ApiRequest, platform: &Platform) -> Result<ApiResponse, ApiError> {
    let body: wire::RegisterBody = req.json()?;
    with_service(req, platform, |svc| {
        let id = svc.register(&body.email, &body.password, body.phone.as_deref())?;
        Ok(ApiResponse::json(201, &wire::Created { id }))
    })
}

fn sign_in(req: &ApiRequest, platform: &Platform) -> Result<ApiResponse, ApiError> {
    let body: wire::SignInBody = req.json()?;
    with_service(req, platform, |svc| {
        Ok(match svc.sign_in(&body.email, &body.password)? {
            SignIn::SignedIn(token) => signed_in_response(&token),
            SignIn::OtpRequired(challenge) => ApiResponse::json(
                200,
                &wire::OtpRequired {
                    status: "otp_required",
                    challenge: challenge.as_str().to_owned(),
                },
            ),
        })
    })
}

fn sign_in_otp(req: &ApiRequest, platform: &Platform) -> Result<ApiResponse, ApiError> {
    let body: wire::OtpStepBody = req.json()?;
    with_service(req, platform, |svc| {
        let token = svc.sign_in_otp(&body.challenge, &body.code)?;
        Ok(signed_in_response(&token))
    })
}

fn sign_out(req: &ApiRequest, platform: &Platform) -> Result<ApiResponse, ApiError> {
    with_service(req, platform, |svc| {
        if let Some(token) = req.session_cookie() {
            svc.sign_out(token)?;
        }
        Ok(ApiResponse::no_content().with_header("set-cookie", session_cookie("", 0)))
    })
}

fn account(req: &ApiRequest, platform: &Platform) -> Result<ApiResponse, ApiError> {
    with_service(req, platform, |svc| {
        let id = signed_in(req, svc)?;
        let view = svc.account_view(&id)?;
        Ok(ApiResponse::json(200, &wire::Account::from(view)))
    })
}

fn set_phone(req: &ApiRequest, platform: &Platform) -> Result<ApiResponse, ApiError> {
    let body: wire::PhoneBody = req.json()?;
    with_service(req, platform, |svc| {
        let id = signed_in(req, svc)?;
        let phone = svc.set_phone(&id, &body.phone)?;
        Ok(ApiResponse::json(200, &wire::PhoneSet { phone }))
    })
}

fn setup(req: &ApiRequest, platform: &Platform) -> Result<ApiResponse, ApiError> {
    let _: wire::EmptyBody = req.json()?;
    with_service(req, platform, |svc| {
        let id = signed_in(req, svc)?;
        let view = svc.setup_otp(&id)?;
        Ok(ApiResponse::json(200, &wire::Setup::from(view)))
    })
}

fn activate(req: &ApiRequest, platform: &Platform) -> Result<ApiResponse, ApiError> {
    let body: wire::PasswordCodeBody = req.json()?;
    with_service(req, platform, |svc| {
        let id = signed_in(req, svc)?;
        svc.activate_otp(&id, &body.password, &body.code)?;
        Ok(ApiResponse::json(200, &wire::Status { status: "active" }))
    })
}

fn deactivate(req: &ApiRequest, platform: &Platform) -> Result<ApiResponse, ApiError> {
    let body: wire::PasswordCodeBody = req.json()?;
    with_service(req, platform, |svc| {
        let id = signed_in(req, svc)?;
        svc.deactivate_otp(&id, &body.password, &body.code)?;
        Ok(ApiResponse::json(200, &wire::Status { status: "disabled" }))
    })
}
