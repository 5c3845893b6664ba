//! Errors of the flows: each has a stable snake_case code (the `error` field of the
//! HTTP contract), a kind that edge-api maps to a status, and a message a person can
//! read. Internal errors carry operator detail in `Debug` only; their message is generic.

use crate::code::CodeError;
use crate::config::ConfigError;
use crate::password::PasswordError;
use crate::ports::{RngError, StoreError};
use crate::recovery_code::{CodeSetError, RecoveryCodeError};
use crate::seal::SealError;

/// The class of an error, which edge-api maps to an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400: the request is wrong.
    BadRequest,
    /// 401: credentials missing or wrong.
    Unauthorized,
    /// 403: authenticated, or signed, but not allowed.
    Forbidden,
    /// 404: no such thing (support endpoint only; the public flows never say so).
    NotFound,
    /// 409: the account's state does not allow this now.
    Conflict,
    /// 410: a link or challenge is no longer valid.
    Gone,
    /// 429: too many attempts.
    TooManyRequests,
    /// 500: the server's fault.
    Internal,
}

/// Why activation failed (the pending secret is discarded in each case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivationFailure {
    /// The account password was wrong.
    WrongPassword,
    /// The code did not match the pending secret.
    WrongCode,
    /// The setup expired before activation.
    Expired,
}

/// A fault of the server, not of the client.
#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    /// Key-value store failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A sealed blob did not open (wrong key ring, tampering).
    #[error(transparent)]
    Seal(#[from] SealError),
    /// Configuration unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Randomness unavailable.
    #[error(transparent)]
    Rng(#[from] RngError),
    /// Password hashing failed.
    #[error("password hashing failed")]
    PasswordHash,
    /// Recovery code hashing failed.
    #[error("recovery code hashing failed")]
    RecoveryCodeHash,
}

/// Every way a flow can refuse.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// Not a usable e-mail address.
    #[error("enter a valid e-mail address, like name@example.com")]
    InvalidEmail,
    /// Password shorter than the policy allows.
    #[error("choose a password of at least 10 characters")]
    WeakPassword,
    /// Password longer than the policy allows.
    #[error("the password must have at most 128 characters")]
    PasswordTooLong,
    /// E-mail or password wrong (never says which).
    #[error("the e-mail address or password is wrong")]
    InvalidCredentials,
    /// The code is well formed but wrong, or already used.
    #[error("the code is wrong or was already used; wait for the next code and try again")]
    InvalidCode,
    /// The texted recovery code is wrong.
    #[error("the code does not match the one we texted; check it and try again")]
    WrongSmsCode,
    /// The code is not well formed.
    #[error("{0}")]
    MalformedCode(CodeError),
    /// The recovery code is not well formed.
    #[error("{0}")]
    MalformedRecoveryCode(RecoveryCodeError),
    /// The recovery code is well formed but not one of the account's unused codes.
    #[error("this recovery code is wrong or was already used; each code works once")]
    WrongRecoveryCode,
    /// The account has no recovery codes left (or never made a set).
    #[error(
        "this account has no unused recovery codes; use the code from your authenticator app or \"I lost my OTP keychain\""
    )]
    NoRecoveryCodes,
    /// The sign-in challenge is unknown, expired or spent.
    #[error("this sign-in has expired; sign in again with your password")]
    ChallengeExpired,
    /// No valid session.
    #[error("sign in first")]
    NotSignedIn,
    /// Not a valid international phone number.
    #[error("enter the phone number in international form, starting with + and the country code")]
    InvalidPhone,
    /// OTP needs a phone number on file (for recovery).
    #[error("set a phone number in Basic settings before activating OTP")]
    PhoneRequired,
    /// OTP is already active.
    #[error("OTP is already active; deactivate it first to set up a new device key")]
    OtpAlreadyActive,
    /// Activate without a pending setup.
    #[error("start OTP setting first to get a new key")]
    NoPendingSetup,
    /// OTP is not active (deactivate).
    #[error("OTP is not active")]
    OtpNotActive,
    /// Activation failed; the pending secret is discarded.
    #[error("{}", activation_message(*.0))]
    ActivationFailed(ActivationFailure),
    /// Too many attempts; retry later.
    #[error("too many attempts; try again in {retry_after_s} seconds")]
    TooManyAttempts {
        /// Seconds until a new attempt is considered.
        retry_after_s: u64,
    },
    /// The recovery link is unknown, expired or used.
    #[error("this recovery link has expired or was already used; ask for a new one")]
    LinkExpired,
    /// The phone number typed is not the one on file.
    #[error("this is not the phone number on file for the account")]
    PhoneMismatch,
    /// The account has no phone to send a code to.
    #[error("there is no phone number on file for this account; contact support to reset OTP")]
    NoPhoneOnFile,
    /// Confirm before a text message code was sent (or after it expired).
    #[error("request a text message code first (codes expire after 10 minutes)")]
    SmsCodeRequired,
    /// The CAPTCHA was not passed.
    #[error("the CAPTCHA check failed; please try it again")]
    CaptchaFailed,
    /// No `Authorization: Bearer` on the support endpoint.
    #[error("this endpoint needs an Authorization: Bearer token")]
    AdminAuthRequired,
    /// Wrong bearer token, or the endpoint is off (no `admin_token` configured).
    #[error("this token may not use the support endpoints")]
    AdminForbidden,
    /// A store conformance step named a worker the check does not have.
    #[error("this check has no worker with that number")]
    InvalidWorker,
    /// Support asked for an address without an account.
    #[error("no account has this e-mail address")]
    AccountNotFound,
    /// The support reason is missing or too long.
    #[error("give a reason of 1 to 500 characters; it goes into the audit log")]
    InvalidReason,
    /// Too many consecutive failures: refused until recovery or a support reset.
    #[error("too many wrong attempts: use \"I lost my OTP keychain\" or contact support to unlock")]
    LockedOut,
    /// Other requests kept changing this account while this one tried to (a race
    /// between requests, not a fault): nothing was changed by this one.
    #[error(
        "this account was being changed by other requests at the same moment; nothing was changed, please try again"
    )]
    Busy,
    /// The server's fault.
    #[error("something went wrong on our side; nothing was changed, please try again")]
    Internal(#[from] InternalError),
}

fn activation_message(reason: ActivationFailure) -> &'static str {
    match reason {
        ActivationFailure::WrongPassword => {
            "activation failed: the password is wrong. The key was discarded; start OTP setting again and scan the new key"
        }
        ActivationFailure::WrongCode => {
            "activation failed: the code does not match. The key was discarded; start OTP setting again and scan the new key"
        }
        ActivationFailure::Expired => {
            "activation failed: the setup expired. Start OTP setting again and scan the new key"
        }
    }
}

impl From<StoreError> for FlowError {
    fn from(e: StoreError) -> Self {
        FlowError::Internal(e.into())
    }
}
impl From<SealError> for FlowError {
    fn from(e: SealError) -> Self {
        FlowError::Internal(e.into())
    }
}
impl From<RngError> for FlowError {
    fn from(e: RngError) -> Self {
        FlowError::Internal(e.into())
    }
}
impl From<ConfigError> for FlowError {
    fn from(e: ConfigError) -> Self {
        FlowError::Internal(e.into())
    }
}
impl From<CodeSetError> for FlowError {
    fn from(e: CodeSetError) -> Self {
        match e {
            CodeSetError::Rng(r) => r.into(),
            CodeSetError::Kdf => InternalError::RecoveryCodeHash.into(),
        }
    }
}
impl From<PasswordError> for FlowError {
    fn from(e: PasswordError) -> Self {
        match e {
            PasswordError::TooShort => FlowError::WeakPassword,
            PasswordError::TooLong => FlowError::PasswordTooLong,
            PasswordError::Rng(r) => r.into(),
            PasswordError::Hash => InternalError::PasswordHash.into(),
        }
    }
}

impl FlowError {
    /// Stable snake_case code (the contract's `error` field).
    pub fn code(&self) -> &'static str {
        match self {
            FlowError::InvalidEmail => "invalid_email",
            FlowError::WeakPassword => "weak_password",
            FlowError::PasswordTooLong => "password_too_long",
            FlowError::InvalidCredentials => "invalid_credentials",
            FlowError::InvalidCode | FlowError::WrongSmsCode => "invalid_code",
            FlowError::MalformedCode(_) => "malformed_code",
            FlowError::MalformedRecoveryCode(_) => "malformed_recovery_code",
            FlowError::WrongRecoveryCode => "invalid_recovery_code",
            FlowError::NoRecoveryCodes => "no_recovery_codes",
            FlowError::ChallengeExpired => "challenge_expired",
            FlowError::NotSignedIn => "not_signed_in",
            FlowError::InvalidPhone => "invalid_phone",
            FlowError::PhoneRequired => "phone_required",
            FlowError::OtpAlreadyActive => "otp_already_active",
            FlowError::NoPendingSetup => "otp_not_pending",
            FlowError::OtpNotActive => "otp_not_active",
            FlowError::ActivationFailed(_) => "activation_failed",
            FlowError::TooManyAttempts { .. } => "too_many_attempts",
            FlowError::LockedOut => "locked_out",
            FlowError::LinkExpired => "link_expired",
            FlowError::PhoneMismatch => "phone_mismatch",
            FlowError::NoPhoneOnFile => "no_phone_on_file",
            FlowError::SmsCodeRequired => "sms_code_required",
            FlowError::CaptchaFailed => "captcha_failed",
            FlowError::AdminAuthRequired => "admin_auth_required",
            FlowError::AdminForbidden => "admin_forbidden",
            FlowError::AccountNotFound => "account_not_found",
            FlowError::InvalidReason => "invalid_reason",
            FlowError::InvalidWorker => "invalid_worker",
            FlowError::Busy => "busy",
            FlowError::Internal(_) => "internal_error",
        }
    }

    /// The class of the error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            FlowError::InvalidEmail
            | FlowError::WeakPassword
            | FlowError::PasswordTooLong
            | FlowError::MalformedCode(_)
            | FlowError::MalformedRecoveryCode(_)
            | FlowError::InvalidPhone
            | FlowError::ActivationFailed(_)
            | FlowError::PhoneMismatch
            | FlowError::CaptchaFailed
            | FlowError::InvalidReason
            | FlowError::InvalidWorker => ErrorKind::BadRequest,
            FlowError::LinkExpired => ErrorKind::Gone,
            FlowError::AdminAuthRequired => ErrorKind::Unauthorized,
            FlowError::AdminForbidden => ErrorKind::Forbidden,
            FlowError::AccountNotFound => ErrorKind::NotFound,
            FlowError::InvalidCredentials
            | FlowError::InvalidCode
            | FlowError::WrongSmsCode
            | FlowError::WrongRecoveryCode
            | FlowError::ChallengeExpired
            | FlowError::NotSignedIn => ErrorKind::Unauthorized,
            FlowError::PhoneRequired
            | FlowError::OtpAlreadyActive
            | FlowError::NoPendingSetup
            | FlowError::OtpNotActive
            | FlowError::NoPhoneOnFile
            | FlowError::SmsCodeRequired
            | FlowError::NoRecoveryCodes
            | FlowError::Busy => ErrorKind::Conflict,
            FlowError::TooManyAttempts { .. } | FlowError::LockedOut => ErrorKind::TooManyRequests,
            FlowError::Internal(_) => ErrorKind::Internal,
        }
    }
}
