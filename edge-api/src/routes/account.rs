//! Accounts, sessions and OTP setting: decode, call the flow, encode.

use super::{Params, Platform, with_account, with_service};
use crate::request::{ApiRequest, SESSION_COOKIE};
use crate::response::{ApiError, ApiResponse};
use crate::wire;
use otp_core::config::SESSION_TTL_MS;
use otp_core::flows::{FlowError, Service, SignIn};

/// The signed-in account id, or 401 `not_signed_in`.
pub(super) fn signed_in(req: &ApiRequest, svc: &Service) -> Result<String, ApiError> {
    let token = req.session_cookie().ok_or(FlowError::NotSignedIn)?;
    Ok(svc.authenticate(token)?)
}

fn session_cookie(token: &str, max_age_s: u64) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age_s}; HttpOnly; Secure; SameSite=Strict"
    )
}

fn signed_in_response(token: &otp_core::tokens::AccountToken) -> ApiResponse {
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

pub(super) fn time(
    _: &ApiRequest,
    platform: &Platform,
    _: &Params,
) -> Result<ApiResponse, ApiError> {
    Ok(ApiResponse::json(
        200,
        &wire::Time {
            unix_ms: platform.clock.now_ms(),
        },
    ))
}

pub(super) fn register(
    req: &ApiRequest,
    platform: &Platform,
    _: &Params,
) -> Result<ApiResponse, ApiError> {
    let body: wire::RegisterBody = req.json()?;
    with_service(req, platform, |svc| {
        let id = svc.register(&body.email, &body.password, body.phone.as_deref())?;
        Ok(ApiResponse::json(201, &wire::Created { id }))
    })
}

pub(super) fn sign_in(
    req: &ApiRequest,
    platform: &Platform,
    _: &Params,
) -> Result<ApiResponse, ApiError> {
    let body: wire::SignInBody = req.json()?;
    with_service(req, platform, |svc| {
        Ok(match svc.sign_in(&body.email, &body.password)? {
            SignIn::SignedIn(token) => signed_in_response(&token),
            SignIn::OtpRequired(challenge) => ApiResponse::json(
                200,
                &wire::OtpRequired {
                    status: "otp_required",
                    challenge: challenge.to_client(),
                },
            ),
        })
    })
}

pub(super) fn sign_in_otp(
    req: &ApiRequest,
    platform: &Platform,
    _: &Params,
) -> Result<ApiResponse, ApiError> {
    let body: wire::OtpStepBody = req.json()?;
    with_service(req, platform, |svc| {
        let token = svc.sign_in_otp(&body.challenge, &body.code)?;
        Ok(signed_in_response(&token))
    })
}

pub(super) fn sign_in_recovery_code(
    req: &ApiRequest,
    platform: &Platform,
    _: &Params,
) -> Result<ApiResponse, ApiError> {
    let body: wire::RecoveryCodeStepBody = req.json()?;
    with_service(req, platform, |svc| {
        let token = svc.sign_in_recovery_code(&body.challenge, &body.recovery_code)?;
        Ok(signed_in_response(&token))
    })
}

pub(super) fn sign_out(
    req: &ApiRequest,
    platform: &Platform,
    _: &Params,
) -> Result<ApiResponse, ApiError> {
    with_service(req, platform, |svc| {
        if let Some(token) = req.session_cookie() {
            svc.sign_out(token)?;
        }
        Ok(ApiResponse::no_content().with_header("set-cookie", session_cookie("", 0)))
    })
}

pub(super) fn account(
    req: &ApiRequest,
    platform: &Platform,
    _: &Params,
) -> Result<ApiResponse, ApiError> {
    with_account(req, platform, |svc, id| {
        let view = svc.account_view(id)?;
        Ok(ApiResponse::json(200, &wire::Account::from(view)))
    })
}

pub(super) fn set_phone(
    req: &ApiRequest,
    platform: &Platform,
    _: &Params,
) -> Result<ApiResponse, ApiError> {
    let body: wire::PhoneBody = req.json()?;
    with_account(req, platform, |svc, id| {
        let phone = svc.set_phone(id, &body.phone)?;
        Ok(ApiResponse::json(200, &wire::PhoneSet { phone }))
    })
}

pub(super) fn set_language(
    req: &ApiRequest,
    platform: &Platform,
    _: &Params,
) -> Result<ApiResponse, ApiError> {
    let body: wire::LanguageBody = req.json()?;
    with_account(req, platform, |svc, id| {
        let language = svc.set_language(id, &body.language)?.tag();
        Ok(ApiResponse::json(200, &wire::LanguageSet { language }))
    })
}

pub(super) fn setup(
    req: &ApiRequest,
    platform: &Platform,
    _: &Params,
) -> Result<ApiResponse, ApiError> {
    let _: wire::EmptyBody = req.json()?;
    with_account(req, platform, |svc, id| {
        let view = svc.setup_otp(id)?;
        Ok(ApiResponse::json(200, &wire::Setup::from(view)))
    })
}

pub(super) fn activate(
    req: &ApiRequest,
    platform: &Platform,
    _: &Params,
) -> Result<ApiResponse, ApiError> {
    let body: wire::PasswordCodeBody = req.json()?;
    with_account(req, platform, |svc, id| {
        let codes = svc.activate_otp(id, &body.password, &body.code)?;
        Ok(ApiResponse::json(
            200,
            &wire::RecoveryCodes::new(Some("active"), &codes),
        ))
    })
}

pub(super) fn regenerate_codes(
    req: &ApiRequest,
    platform: &Platform,
    _: &Params,
) -> Result<ApiResponse, ApiError> {
    let body: wire::PasswordCodeBody = req.json()?;
    with_account(req, platform, |svc, id| {
        let codes = svc.regenerate_recovery_codes(id, &body.password, &body.code)?;
        Ok(ApiResponse::json(
            200,
            &wire::RecoveryCodes::new(None, &codes),
        ))
    })
}

pub(super) fn deactivate(
    req: &ApiRequest,
    platform: &Platform,
    _: &Params,
) -> Result<ApiResponse, ApiError> {
    let body: wire::PasswordCodeBody = req.json()?;
    with_account(req, platform, |svc, id| {
        svc.deactivate_otp(id, &body.password, &body.code)?;
        Ok(ApiResponse::json(200, &wire::Status { status: "disabled" }))
    })
}
