//! Lost-keychain recovery, the SMS delivery callback, and the operator's endpoints
//! (support reset, re-sealing sweep, store conformance check).

use super::{Params, Platform, with_service};
use crate::context::{config, provider_settings, providers_for, service};
use crate::delivery;
use crate::providers::dev::TEST_TOKEN;
use crate::request::ApiRequest;
use crate::response::{ApiError, ApiResponse};
use crate::wire;
use otp_core::config::Delivery;
use otp_core::contract::Check;
use otp_core::flows::{ContractRun, ContractStep, RESEAL_PAGE};
use otp_core::webhook;

fn param(params: &Params) -> &str {
    params.first().map(String::as_str).unwrap_or_default()
}

/// `POST /api/recovery`: 202 whatever the address.
pub(super) fn request(
    req: &ApiRequest,
    platform: &Platform,
    _: &Params,
) -> Result<ApiResponse, ApiError> {
    let body: wire::RecoveryRequestBody = req.json()?;
    with_service(req, platform, |svc| {
        svc.request_recovery(&body.email)?;
        Ok(ApiResponse::json(202, &wire::Status { status: "accepted" }))
    })
}

/// `GET /api/recovery/{token}`.
pub(super) fn view(
    req: &ApiRequest,
    platform: &Platform,
    params: &Params,
) -> Result<ApiResponse, ApiError> {
    with_service(req, platform, |svc| {
        let view = svc.recovery_view(param(params))?;
        let captcha = match svc.config.delivery {
            Delivery::Development => wire::CaptchaWidget {
                provider: "development",
                site_key: None,
                test_token: Some(TEST_TOKEN),
            },
            Delivery::Providers => wire::CaptchaWidget {
                provider: "hcaptcha",
                site_key: (platform.variables)("captcha_site_key"),
                test_token: None,
            },
        };
        Ok(ApiResponse::json(200, &wire::Recovery::new(view, captcha)))
    })
}

/// `POST /api/recovery/{token}/sms`.
pub(super) async fn send_sms(
    req: &ApiRequest,
    platform: &Platform<'_>,
    params: &Params,
) -> Result<ApiResponse, ApiError> {
    let body: wire::PhoneBody = req.json()?;
    let config = config(platform)?;
    req.check_same_origin(&config.public_origin)?;
    service(req, platform, &config).recovery_send_sms(param(params), &body.phone)?;
    // Handed to the provider before the answer: a failure is the person's to see.
    delivery::send_now(platform, req, &config)
        .await
        .map_err(ApiError::Provider)?;
    Ok(ApiResponse::json(202, &wire::Status { status: "sent" }))
}

/// `POST /api/recovery/{token}/confirm`: the CAPTCHA is checked with the provider
/// first, then the flow decides.
pub(super) async fn confirm(
    req: &ApiRequest,
    platform: &Platform<'_>,
    params: &Params,
) -> Result<ApiResponse, ApiError> {
    let body: wire::RecoveryConfirmBody = req.json()?;
    let config = config(platform)?;
    req.check_same_origin(&config.public_origin)?;
    let svc = service(req, platform, &config);
    svc.recovery_precheck(param(params), &body.code)?;
    let settings = provider_settings(platform, &config);
    let providers = providers_for(&config, &settings, platform);
    let client = svc.client.map(|c| c.to_string());
    let passed = if body.captcha_token.is_empty() || body.captcha_token.len() > 4096 {
        false
    } else {
        providers
            .captcha
            .verify(&body.captcha_token, client.as_deref())
            .await
            .map_err(ApiError::Provider)?
    };
    svc.recovery_confirm(param(params), &body.code, passed)?;
    Ok(ApiResponse::json(
        200,
        &wire::Status {
            status: "suspended",
        },
    ))
}

/// `POST /api/callbacks/sms`: Twilio's delivery report, accepted only with a valid
/// `X-Twilio-Signature` over `{public_base_url}/api/callbacks/sms` and the form.
pub(super) fn sms_callback(
    req: &ApiRequest,
    platform: &Platform,
    _: &Params,
) -> Result<ApiResponse, ApiError> {
    let form = req.form()?;
    let config = config(platform)?;
    let settings = provider_settings(platform, &config);
    let signature = req.header("x-twilio-signature").unwrap_or_default();
    let valid = !settings.sms_auth_token.is_empty()
        && webhook::twilio_signature_valid(
            &settings.sms_auth_token,
            &settings.sms_status_callback,
            &form,
            signature,
        );
    if !valid {
        return Err(ApiError::BadSignature);
    }
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let svc = service(req, platform, &config);
    svc.sms_status(field("MessageSid"), field("MessageStatus"))?;
    Ok(ApiResponse::no_content())
}

/// `POST /api/admin/accounts/{email}/otp/reset` with `Authorization: Bearer …`.
pub(super) fn admin_reset(
    req: &ApiRequest,
    platform: &Platform,
    params: &Params,
) -> Result<ApiResponse, ApiError> {
    let body: wire::ReasonBody = req.json()?;
    let config = config(platform)?;
    let svc = service(req, platform, &config);
    // The bearer is checked before anything else, so only support learns whether an
    // address has an account.
    svc.admin_reset(req.bearer_token(), param(params), &body.reason)?;
    Ok(ApiResponse::json(
        200,
        &wire::Status {
            status: "suspended",
        },
    ))
}

/// `POST /api/admin/store-contract` with `Authorization: Bearer …`: one step of the
/// store conformance suite (`otp_core::contract`) on this deployment's store.
pub(super) fn store_contract(
    req: &ApiRequest,
    platform: &Platform,
    _params: &Params,
) -> Result<ApiResponse, ApiError> {
    let body: wire::ContractBody = req.json()?;
    let config = config(platform)?;
    let svc = service(req, platform, &config);
    let invalid = |field: &str| {
        ApiError::InvalidField(format!("{}{field}", crate::request::INVALID_FIELD_PREFIX))
    };
    let run = ContractRun::parse(&body.run).ok_or_else(|| invalid("run"))?;
    let check = Check::from_name(&body.check).ok_or_else(|| invalid("check"))?;
    let step = match (body.step.as_str(), body.worker, body.reports) {
        ("prepare", None, None) => ContractStep::Prepare,
        ("work", Some(n), None) => ContractStep::Work(n),
        ("verify", None, Some(reports)) => ContractStep::Verify(reports),
        _ => return Err(invalid("step")),
    };
    let answer = match svc.store_contract(req.bearer_token(), &run, check, &step)? {
        Ok(report) => wire::ContractAnswer::Report(report),
        Err(v) => wire::ContractAnswer::Violation {
            guarantee: v.guarantee,
            seen: v.seen,
        },
    };
    Ok(ApiResponse::json(200, &answer))
}

/// `POST /api/admin/reseal` with `Authorization: Bearer …`: one page of the sweep that
/// re-seals every shared secret under the current sealing key (key rotation).
pub(super) fn reseal(
    req: &ApiRequest,
    platform: &Platform,
    _params: &Params,
) -> Result<ApiResponse, ApiError> {
    let body: wire::ResealBody = req.json()?;
    let config = config(platform)?;
    let svc = service(req, platform, &config);
    let page = svc.reseal_accounts(
        req.bearer_token(),
        body.after.as_deref(),
        body.limit.unwrap_or(RESEAL_PAGE),
    )?;
    Ok(ApiResponse::json(200, &page))
}
