//! The JSON bodies of the HTTP contract (docs/http-api.md), kept apart from the domain
//! types of otp-core; the `From` conversions below are the only bridge.
//!
//! Request bodies refuse unknown fields, so a misspelt field is a clear 400
//! `invalid_field` rather than a silently ignored value.

use otp_core::flows::{AccountView, AuditEvent, OtpStatus, RecoveryView, SetupView};
use otp_core::recovery_code::RecoveryCode;
use serde::{Deserialize, Serialize};

/// `POST /api/accounts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    /// E-mail address.
    pub email: String,
    /// Password (10–128 characters).
    pub password: String,
    /// Optional phone, international form.
    #[serde(default)]
    pub phone: Option<String>,
}

/// `POST /api/session`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInBody {
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// `POST /api/session/otp`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpStepBody {
    /// Challenge from the password step.
    pub challenge: String,
    /// The code as typed.
    pub code: String,
}

/// `POST /api/session/recovery-code`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryCodeStepBody {
    /// Challenge from the password step.
    pub challenge: String,
    /// One recovery code as typed (case, spaces and dashes do not matter).
    pub recovery_code: String,
}

/// `PUT /api/account/phone`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneBody {
    /// Phone, international form.
    pub phone: String,
}

/// `PUT /api/account/language`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageBody {
    /// `en` or `cs`.
    pub language: String,
}

/// `POST /api/otp/activate`, `/api/otp/deactivate` and `/api/otp/recovery-codes`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordCodeBody {
    /// Account password.
    pub password: String,
    /// The code as typed.
    pub code: String,
}

/// `POST /api/otp/setup` takes no fields (an empty body or `{}`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptyBody {}

/// `POST /api/recovery`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryRequestBody {
    /// The account's e-mail address.
    pub email: String,
}

/// `POST /api/recovery/{token}/confirm`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryConfirmBody {
    /// The code from the text message.
    pub code: String,
    /// The CAPTCHA widget's response token.
    pub captcha_token: String,
}

/// `POST /api/admin/accounts/{email}/otp/reset`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// Why support reset OTP (goes into the audit log).
    pub reason: String,
}

/// `POST /api/admin/reseal`: one page of the re-sealing sweep.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResealBody {
    /// The `next` of the previous page; absent: from the start.
    #[serde(default)]
    pub after: Option<String>,
    /// Accounts in this page (1–100, default 100).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// `POST /api/admin/store-contract`: one step of a store conformance check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractBody {
    /// Run id (`otp_core::flows::ContractRun`).
    pub run: String,
    /// Check name (`otp_core::contract::Check::name`).
    pub check: String,
    /// `prepare`, `work` or `verify`.
    pub step: String,
    /// For `work`: the worker number.
    #[serde(default)]
    pub worker: Option<usize>,
    /// For `verify`: every worker's report.
    #[serde(default)]
    pub reports: Option<Vec<Vec<i64>>>,
}

/// The answer of a store conformance step: the worker's report, or the violation.
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractAnswer {
    /// What the step saw (empty but for `work`).
    Report(Vec<i64>),
    /// A broken guarantee.
    Violation {
        /// `G1`, `G2`, `G3` or `read-back`.
        guarantee: &'static str,
        /// What the store did.
        seen: String,
    },
}

/// `GET /api/recovery/{token}`.
#[derive(Debug, Serialize)]
pub struct Recovery {
    /// Masked phone on file, or null (then: contact support).
    pub phone_hint: Option<String>,
    /// Last SMS delivery status (`queued`, `delivered`, `failed`, …) or null.
    pub sms_status: Option<String>,
    /// Text messages this link may still send.
    pub sms_sends_left: u32,
    /// How the page shows the CAPTCHA.
    pub captcha: CaptchaWidget,
}

/// The CAPTCHA widget the recovery page shows.
#[derive(Debug, Serialize)]
pub struct CaptchaWidget {
    /// `development` (a checkbox that yields `test_token`) or `hcaptcha` (the hCaptcha
    /// widget with `site_key`; reCAPTCHA and Turnstile verify the same way).
    pub provider: &'static str,
    /// Public site key (`captcha_site_key` variable), for `hcaptcha`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_key: Option<String>,
    /// The token the development checkbox submits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_token: Option<&'static str>,
}

impl Recovery {
    /// The wire form of a recovery view with the page's CAPTCHA widget.
    pub fn new(v: RecoveryView, captcha: CaptchaWidget) -> Self {
        Recovery {
            phone_hint: v.phone_hint,
            sms_status: v.sms_status,
            sms_sends_left: v.sms_sends_left,
            captcha,
        }
    }
}

/// `201` of `POST /api/accounts`.
#[derive(Debug, Serialize)]
pub struct Created {
    /// Account id.
    pub id: String,
}

/// `{status}` answers: `signed_in`, `active`, `disabled`, `accepted`, `sent`,
/// `suspended`.
#[derive(Debug, Serialize)]
pub struct Status {
    /// The new status.
    pub status: &'static str,
}

/// `200` of `POST /api/session` when a code is needed.
#[derive(Debug, Serialize)]
pub struct OtpRequired {
    /// Always `otp_required`.
    pub status: &'static str,
    /// Token for `POST /api/session/otp`.
    pub challenge: String,
}

/// `200` of `POST /api/otp/activate` (`status: "active"`) and of
/// `POST /api/otp/recovery-codes` (no status): the recovery codes, shown this once.
#[derive(Debug, Serialize)]
pub struct RecoveryCodes {
    /// `active` after activation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    /// Ten codes in their printed form (`XXXX-XXXX-XXXX`).
    pub recovery_codes: Vec<String>,
}

impl RecoveryCodes {
    /// The answer for `codes`, with `status` when given.
    pub fn new(status: Option<&'static str>, codes: &[RecoveryCode]) -> Self {
        RecoveryCodes {
            status,
            recovery_codes: codes.iter().map(RecoveryCode::grouped).collect(),
        }
    }
}

/// `GET /api/time`.
#[derive(Debug, Serialize)]
pub struct Time {
    /// Server time, Unix ms.
    pub unix_ms: u64,
}

/// `PUT /api/account/language` answer.
#[derive(Debug, Serialize)]
pub struct LanguageSet {
    /// `en` or `cs`.
    pub language: &'static str,
}

/// `PUT /api/account/phone` answer.
#[derive(Debug, Serialize)]
pub struct PhoneSet {
    /// E.164.
    pub phone: String,
}

/// OTP part of [`Account`].
#[derive(Debug, Serialize)]
pub struct Otp {
    /// `disabled`, `pending`, `active` or `suspended`.
    pub status: OtpStatus,
    /// Unix ms of activation, or null.
    pub activated_at: Option<u64>,
    /// Unused recovery codes while active (0 when none were made), otherwise null.
    pub recovery_codes_left: Option<usize>,
}

/// One security event.
#[derive(Debug, Serialize)]
pub struct Event {
    /// Unix ms.
    pub at: u64,
    /// snake_case event name.
    pub event: String,
    /// Client address, if known.
    pub client: Option<String>,
    /// Free text (support's reason), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// `GET /api/account`.
#[derive(Debug, Serialize)]
pub struct Account {
    /// E-mail.
    pub email: String,
    /// E.164 phone or null.
    pub phone: Option<String>,
    /// OTP status.
    pub otp: Otp,
    /// Last security events, newest first.
    pub recent_events: Vec<Event>,
    /// Language of the account's e-mails and text messages: `en` or `cs`.
    pub language: &'static str,
}

/// `POST /api/otp/setup` answer: the only response that ever holds the shared secret.
#[derive(Debug, Serialize)]
pub struct Setup {
    /// Base32 shared secret, unpadded, upper case.
    pub shared_key: String,
    /// otpauth URI for the QR code.
    pub otpauth_uri: String,
    /// 6 or 8.
    pub digits: u8,
    /// Seconds.
    pub period: u64,
    /// `SHA1`, `SHA256` or `SHA512`.
    pub algorithm: &'static str,
    /// Unix ms after which activation is refused.
    pub expires_at: u64,
}

impl From<&AuditEvent> for Event {
    fn from(e: &AuditEvent) -> Self {
        Event {
            at: e.at_ms,
            event: e.kind.as_str().to_owned(),
            client: e.client.clone(),
            detail: e.detail.clone(),
        }
    }
}

impl From<AccountView> for Account {
    fn from(v: AccountView) -> Self {
        Account {
            email: v.email,
            phone: v.phone,
            otp: Otp {
                status: v.otp.status,
                activated_at: v.otp.activated_ms,
                recovery_codes_left: v.otp.recovery_codes_left,
            },
            recent_events: v.recent_events.iter().map(Event::from).collect(),
            language: v.language.tag(),
        }
    }
}

impl From<SetupView> for Setup {
    fn from(v: SetupView) -> Self {
        Setup {
            shared_key: v.shared_key,
            otpauth_uri: v.otpauth_uri,
            digits: v.params.digits,
            period: v.params.period,
            algorithm: v.params.algorithm.as_str(),
            expires_at: v.expires_ms,
        }
    }
}
