//! Records as release 1 (commit 7c701ff) wrote them, one key per record kind. This
//! release reads every one of them (golden files in `tests/golden/v1/`), and migrates
//! an account to [`super::AccountRecord`] on its first write:
//!
//! | v1 key | v1 record | read by this release as |
//! | --- | --- | --- |
//! | `account/{id}` | [`AccountRecord`] | the account (with `audit/{id}` and `throttle/recovery-email/{id}` folded in) |
//! | `audit/{id}` | [`AuditRecord`] | the account's audit log |
//! | `session/{sha256 hex of token}` | [`SessionRecord`] | a session, taken into the account on first use |
//! | `challenge/{sha256 hex of token}` | [`ChallengeRecord`] | a challenge, taken into the account on first use |
//! | `recovery/{sha256 hex of token}` | [`RecoveryRecord`] | a recovery link, taken into the account on first use |
//! | `sms/{provider id}` | [`SmsIndexRecord`] | the link a delivery report is for |
//! | `throttle/password/{sha256 hex}` | [`Versioned`]`<`[`CounterRecord`]`>` | failures still counted by the password gate |
//! | `throttle/address/…`, `throttle/recovery-address/…`, `throttle/sms-phone/…` | [`Versioned`]`<`[`Window`]`>` | events still counted by the window |

use crate::account::{Account, AuditEntry, AuditLog, Challenge, OtpState, RecoveryLink, SmsCode};
use crate::ports::StoreError;
use crate::throttle::{FailureCounter, Window};
use serde::{Deserialize, Serialize};

use super::{ParamsRecord, unb64};

/// Key of a v1 audit log.
pub fn audit_key(account_id: &str) -> String {
    format!("audit/{account_id}")
}
/// Key of a v1 session, by token hash.
pub fn session_key(token_hash: &str) -> String {
    format!("session/{token_hash}")
}
/// Key of a v1 sign-in challenge, by token hash.
pub fn challenge_key(token_hash: &str) -> String {
    format!("challenge/{token_hash}")
}
/// Key of a v1 recovery link, by token hash.
pub fn recovery_key(token_hash: &str) -> String {
    format!("recovery/{token_hash}")
}
/// Key of a v1 password failure counter (SHA-256 hex of the normalised e-mail).
pub fn password_throttle_key(email_hash: &str) -> String {
    format!("throttle/password/{email_hash}")
}
/// Key of a v1 window record: `throttle/{kind}/{subject}` (`address`,
/// `recovery-address`, `sms-phone`, `recovery-email`).
pub fn window_key(kind: &str, subject: &str) -> String {
    ["throttle/", kind, "/", subject].concat()
}

/// v1 OTP state; sealed secrets in standard Base64.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OtpRecord {
    /// No OTP.
    Disabled,
    /// Awaiting activation.
    Pending {
        /// Sealed shared secret.
        sealed: String,
        /// Parameters.
        params: ParamsRecord,
        /// Unix ms after which the pending secret is void.
        expires_ms: u64,
        /// The suspension this setup would end, Unix ms.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        suspended_since_ms: Option<u64>,
    },
    /// Active.
    Active {
        /// Sealed shared secret.
        sealed: String,
        /// Parameters.
        params: ParamsRecord,
        /// Unix ms of activation.
        activated_ms: u64,
        /// Last accepted time step.
        last_step: u64,
    },
    /// Suspended.
    Suspended {
        /// Unix ms of suspension.
        since_ms: u64,
    },
}

impl OtpRecord {
    pub(super) fn to_domain(&self) -> Result<OtpState, StoreError> {
        Ok(match self {
            OtpRecord::Disabled => OtpState::Disabled,
            OtpRecord::Pending {
                sealed,
                params,
                expires_ms,
                suspended_since_ms,
            } => OtpState::Pending {
                sealed: unb64(sealed)?,
                params: params.to_domain()?,
                expires_ms: *expires_ms,
                suspended_since_ms: *suspended_since_ms,
            },
            OtpRecord::Active {
                sealed,
                params,
                activated_ms,
                last_step,
            } => OtpState::Active {
                sealed: unb64(sealed)?,
                params: params.to_domain()?,
                activated_ms: *activated_ms,
                last_step: *last_step,
                recovery_codes: None,
            },
            OtpRecord::Suspended { since_ms } => OtpState::Suspended {
                since_ms: *since_ms,
            },
        })
    }
}

/// A v1 failure counter.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CounterRecord {
    /// Consecutive failures.
    pub failures: u32,
    /// Unix ms until which attempts are refused.
    pub locked_until_ms: u64,
}

impl CounterRecord {
    /// Domain form.
    pub fn to_domain(self) -> FailureCounter {
        FailureCounter {
            failures: self.failures,
            locked_until_ms: self.locked_until_ms,
        }
    }
}

/// A small v1 record stored alone under a `throttle/` key: a version tag and a value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Versioned<T> {
    /// Version tag (1).
    pub v: u16,
    /// The value.
    #[serde(flatten)]
    pub value: T,
}

/// A v1 account at `account/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccountRecord {
    /// Version tag (1).
    pub v: u16,
    /// Account id.
    pub id: String,
    /// Normalised e-mail.
    pub email: String,
    /// argon2id PHC string.
    pub password: String,
    /// E.164 phone.
    pub phone: Option<String>,
    /// OTP state.
    pub otp: OtpRecord,
    /// Unix ms of registration.
    pub created_ms: u64,
    /// Consecutive wrong codes.
    #[serde(default)]
    pub code_throttle: CounterRecord,
}

impl AccountRecord {
    /// The domain account, with the v1 audit log and recovery e-mail window of the same
    /// account folded in.
    pub fn to_domain(
        &self,
        audit: Option<AuditRecord>,
        recovery_emails: Window,
    ) -> Result<Account, StoreError> {
        let mut account = super::profile(
            self.id.clone(),
            &self.email,
            self.password.clone(),
            self.phone.as_deref(),
            self.created_ms,
            &self.otp,
            self.code_throttle,
        )?;
        account.recovery_emails = recovery_emails;
        if let Some(audit) = audit {
            let entries: Vec<String> = audit
                .events
                .iter()
                .filter_map(|e| serde_json::to_string(e).ok())
                .collect();
            account.audit = AuditLog::from_entries(entries.iter().map(String::as_str));
        }
        Ok(account)
    }
}

/// A v1 audit log at `audit/{id}`, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditRecord {
    /// Version tag (1).
    pub v: u16,
    /// Entries, oldest first.
    pub(crate) events: Vec<AuditEntry>,
}

/// A v1 session.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionRecord {
    /// Version tag (1).
    pub v: u16,
    /// Whose session.
    pub account_id: String,
    /// Unix ms of sign-in.
    pub created_ms: u64,
    /// Unix ms after which the session is void.
    pub expires_ms: u64,
}

/// A v1 sign-in challenge.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChallengeRecord {
    /// Version tag (1).
    pub v: u16,
    /// Whose sign-in.
    pub account_id: String,
    /// Unix ms after which the challenge is void.
    pub expires_ms: u64,
    /// Wrong codes so far.
    pub failures: u32,
}

impl ChallengeRecord {
    pub(crate) fn to_domain(&self, hash: &str) -> Challenge {
        Challenge {
            hash: hash.to_owned(),
            expires_ms: self.expires_ms,
            failures: self.failures,
        }
    }
}

/// A v1 texted recovery code.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SmsCodeRecord {
    /// SHA-256 hex of `link hash ‖ ":" ‖ code`.
    pub code_hash: String,
    /// Unix ms after which the code is void.
    pub expires_ms: u64,
    /// Wrong codes so far.
    pub tries: u32,
}

impl SmsCodeRecord {
    /// Domain form (the same in both versions).
    pub(crate) fn to_domain(&self) -> SmsCode {
        SmsCode {
            code_hash: self.code_hash.clone(),
            expires_ms: self.expires_ms,
            tries: self.tries,
        }
    }
    /// Stored form.
    pub(crate) fn from_domain(sms: &SmsCode) -> Self {
        SmsCodeRecord {
            code_hash: sms.code_hash.clone(),
            expires_ms: sms.expires_ms,
            tries: sms.tries,
        }
    }
}

/// A v1 recovery link.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecoveryRecord {
    /// Version tag (1).
    pub v: u16,
    /// Whose recovery.
    pub account_id: String,
    /// Unix ms after which the link is void.
    pub expires_ms: u64,
    /// Wrong phone numbers typed.
    pub phone_mismatches: u32,
    /// Text messages sent for this link.
    pub sms_sends: u32,
    /// The current code.
    pub sms: Option<SmsCodeRecord>,
    /// Last delivery status.
    pub sms_status: Option<String>,
}

impl RecoveryRecord {
    pub(crate) fn to_domain(&self, hash: &str) -> RecoveryLink {
        RecoveryLink {
            hash: hash.to_owned(),
            expires_ms: self.expires_ms,
            phone_mismatches: self.phone_mismatches,
            sms_sends: self.sms_sends,
            sms: self.sms.as_ref().map(SmsCodeRecord::to_domain),
            sms_status: self.sms_status.clone(),
        }
    }
}

/// A v1 SMS index: `sms/{provider id}` → the v1 link's token hash.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SmsIndexRecord {
    /// Version tag (1).
    pub v: u16,
    /// Token hash of the recovery link.
    pub link: String,
}
