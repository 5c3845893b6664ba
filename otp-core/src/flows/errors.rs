//! Errors of the flows: each has a stable snake_case code (the `error` field of the
//! HTTP contract), a kind that edge-api maps to a status, and a message a person can
//! read. Internal errors carry operator detail in `Debug` only; their message is generic.

use crate::code::CodeError;
use crate::config::ConfigError;
use crate::i18n::{self, Arg, Language};
use crate::password::PasswordError;
use crate::ports::{RngError, StoreError};
use crate::recovery_code::{CodeSetError, RecoveryCodeError};
use crate::seal::SealError;
use core::fmt;

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
#[derive(Debug)]
pub enum FlowError {
    /// Not a usable e-mail address.
    InvalidEmail,
    /// Password shorter than the policy allows.
    WeakPassword,
    /// Password longer than the policy allows.
    PasswordTooLong,
    /// E-mail or password wrong (never says which).
    InvalidCredentials,
    /// The code is well formed but wrong, or already used.
    InvalidCode,
    /// The texted recovery code is wrong.
    WrongSmsCode,
    /// The code is not well formed.
    MalformedCode(CodeError),
    /// The recovery code is not well formed.
    MalformedRecoveryCode(RecoveryCodeError),
    /// The recovery code is well formed but not one of the account's unused codes.
    WrongRecoveryCode,
    /// The account has no recovery codes left (or never made a set).
    NoRecoveryCodes,
    /// The sign-in challenge is unknown, expired or spent.
    ChallengeExpired,
    /// No valid session.
    NotSignedIn,
    /// Not a valid international phone number.
    InvalidPhone,
    /// OTP needs a phone number on file (for recovery).
    PhoneRequired,
    /// OTP is already active.
    OtpAlreadyActive,
    /// Activate without a pending setup.
    NoPendingSetup,
    /// OTP is not active (deactivate).
    OtpNotActive,
    /// Activation failed; the pending secret is discarded.
    ActivationFailed(ActivationFailure),
    /// Too many attempts; retry later.
    TooManyAttempts {
        /// Seconds until a new attempt is considered.
        retry_after_s: u64,
    },
    /// The recovery link is unknown, expired or used.
    LinkExpired,
    /// The phone number typed is not the one on file.
    PhoneMismatch,
    /// The account has no phone to send a code to.
    NoPhoneOnFile,
    /// Confirm before a text message code was sent (or after it expired).
    SmsCodeRequired,
    /// The CAPTCHA was not passed.
    CaptchaFailed,
    /// No `Authorization: Bearer` on the support endpoint.
    AdminAuthRequired,
    /// Wrong bearer token, or the endpoint is off (no `admin_token` configured).
    AdminForbidden,
    /// A store conformance step named a worker the check does not have.
    InvalidWorker,
    /// Support asked for an address without an account.
    AccountNotFound,
    /// The support reason is missing or too long.
    InvalidReason,
    /// A language the portal does not offer.
    InvalidLanguage,
    /// Too many consecutive failures: refused until recovery or a support reset.
    LockedOut,
    /// Other requests kept changing this account while this one tried to (a race
    /// between requests, not a fault): nothing was changed by this one.
    Busy,
    /// The server's fault.
    Internal(InternalError),
}

impl From<InternalError> for FlowError {
    fn from(e: InternalError) -> Self {
        FlowError::Internal(e)
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

/// English, from the catalog: for logs and tests. People get
/// [`FlowError::message`] in their language.
impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Language::En))
    }
}

impl std::error::Error for FlowError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FlowError::Internal(e) => Some(e),
            _ => None,
        }
    }
}

impl FlowError {
    /// The message a person reads, in `language`, from the server catalogs
    /// ([`crate::i18n`]): id `error-{code}`, or `error-{code}-{reason}` where the code
    /// has several reasons (`malformed_code`, `malformed_recovery_code`,
    /// `activation_failed`); numbers as arguments (`seconds`, `got`, `expected`).
    pub fn message(&self, language: Language) -> String {
        let number = |n: usize| Arg::Number(n as u64);
        let (id, args) = match self {
            FlowError::MalformedCode(e) => {
                let args = match e {
                    CodeError::WrongLength { expected, got } => vec![
                        ("expected", Arg::Number(u64::from(*expected))),
                        ("got", number(*got)),
                    ],
                    _ => Vec::new(),
                };
                (format!("error-malformed_code-{}", e.code()), args)
            }
            FlowError::MalformedRecoveryCode(e) => {
                let args = match e {
                    RecoveryCodeError::WrongLength { got } => vec![("got", number(*got))],
                    _ => Vec::new(),
                };
                (format!("error-malformed_recovery_code-{}", e.code()), args)
            }
            FlowError::ActivationFailed(reason) => {
                let reason = match reason {
                    ActivationFailure::WrongPassword => "wrong_password",
                    ActivationFailure::WrongCode => "wrong_code",
                    ActivationFailure::Expired => "expired",
                };
                (format!("error-activation_failed-{reason}"), Vec::new())
            }
            FlowError::TooManyAttempts { retry_after_s } => (
                "error-too_many_attempts".to_owned(),
                vec![("seconds", Arg::Number(*retry_after_s))],
            ),
            FlowError::WrongSmsCode => ("error-wrong_sms_code".to_owned(), Vec::new()),
            other => (format!("error-{}", other.code()), Vec::new()),
        };
        i18n::text(language, &id, &args)
    }

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
            FlowError::InvalidLanguage => "invalid_language",
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
            | FlowError::InvalidLanguage
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
