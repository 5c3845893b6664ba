//! The records kept in the key-value store, and their keys.
//!
//! Stored records are JSON with a version tag `"v"`, kept apart from the domain types in
//! [`crate::flows`] and from the wire types in edge-api. A later release reads every
//! version an earlier one wrote: [`decode`] checks the tag, and each record converts to
//! and from its domain type explicitly (`to_domain` / `from_domain`).
//!
//! Keys (one namespace per record kind):
//!
//! | key | record |
//! | --- | --- |
//! | `account/{id}` | [`AccountRecord`] |
//! | `email/{normalised e-mail}` | [`EmailIndexRecord`] |
//! | `session/{sha256 hex of token}` | [`SessionRecord`] |
//! | `challenge/{sha256 hex of token}` | [`ChallengeRecord`] |
//! | `audit/{account id}` | [`AuditRecord`] |
//! | `recovery/{sha256 hex of token}` | [`RecoveryRecord`] |
//! | `sms/{provider message id}` | [`SmsIndexRecord`] |
//! | `throttle/recovery-email/{account id}`, `throttle/recovery-address/{address}`, `throttle/sms-phone/{sha256 hex}` | [`Versioned`]`<`[`crate::throttle::Window`]`>` |
//! | `throttle/password/{sha256 hex of e-mail}` | [`Versioned`]`<`[`CounterRecord`]`>` |
//! | `throttle/address/{client address}` | [`Versioned`]`<`[`crate::throttle::Window`]`>` |

use crate::flows::{Account, AuditEvent, AuditKind, OtpState};
use crate::identity::{Email, Phone};
use crate::ports::StoreError;
use crate::throttle::FailureCounter;
use crate::totp::{Algorithm, TotpParams};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Version tag of the records this release writes.
pub const VERSION: u16 = 1;
/// Most recent audit events kept per account.
pub const AUDIT_KEEP: usize = 100;

/// Key of an account record.
pub fn account_key(id: &str) -> String {
    format!("account/{id}")
}
/// Key of the e-mail → account id index.
pub fn email_key(email: &Email) -> String {
    format!("email/{}", email.as_str())
}
/// Key of a session, by token hash.
pub fn session_key(token_hash: &str) -> String {
    format!("session/{token_hash}")
}
/// Key of a sign-in challenge, by token hash.
pub fn challenge_key(token_hash: &str) -> String {
    format!("challenge/{token_hash}")
}
/// Key of the password failure counter of an e-mail address (SHA-256 hex of the
/// normalised address: kept whether or not the address has an account).
pub fn password_throttle_key(email_hash: &str) -> String {
    format!("throttle/password/{email_hash}")
}
/// Key of the failure window of a client address.
pub fn address_throttle_key(address: &str) -> String {
    format!("throttle/address/{address}")
}
/// Key of a recovery link, by token hash.
pub fn recovery_key(token_hash: &str) -> String {
    format!("recovery/{token_hash}")
}
/// Key of the SMS-provider message id → recovery link index.
pub fn sms_key(provider_id: &str) -> String {
    format!("sms/{provider_id}")
}
/// Key of an account's recovery e-mail window.
pub fn recovery_email_throttle_key(account_id: &str) -> String {
    format!("throttle/recovery-email/{account_id}")
}
/// Key of a client address's recovery request window.
pub fn recovery_address_throttle_key(address: &str) -> String {
    format!("throttle/recovery-address/{address}")
}
/// Key of a phone number's text message window (SHA-256 hex of the E.164 number).
pub fn sms_phone_throttle_key(phone_hash: &str) -> String {
    format!("throttle/sms-phone/{phone_hash}")
}
/// Key of an account's audit log.
pub fn audit_key(account_id: &str) -> String {
    format!("audit/{account_id}")
}

#[derive(Deserialize)]
struct VersionTag {
    v: u16,
}

/// Decode a stored record after checking its version tag.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    let tag: VersionTag = serde_json::from_slice(bytes)
        .map_err(|_| StoreError::Corrupt("record without a version tag".into()))?;
    if tag.v != VERSION {
        return Err(StoreError::Corrupt(format!(
            "record version {} is not readable by this release",
            tag.v
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Encode a record (always succeeds for these plain types).
pub fn encode<T: Serialize>(record: &T) -> Vec<u8> {
    serde_json::to_vec(record).unwrap_or_default()
}

/// TOTP parameters as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ParamsRecord {
    /// `SHA1`, `SHA256` or `SHA512`.
    pub algorithm: String,
    /// 6 or 8.
    pub digits: u8,
    /// Seconds.
    pub period: u64,
    /// Unix seconds.
    pub t0: u64,
}

impl ParamsRecord {
    fn from_domain(p: &TotpParams) -> Self {
        ParamsRecord {
            algorithm: p.algorithm.as_str().to_owned(),
            digits: p.digits,
            period: p.period,
            t0: p.t0,
        }
    }
    fn to_domain(&self) -> Result<TotpParams, StoreError> {
        let params = TotpParams {
            algorithm: Algorithm::parse(&self.algorithm)
                .ok_or_else(|| StoreError::Corrupt("unknown algorithm".into()))?,
            digits: self.digits,
            period: self.period,
            t0: self.t0,
        };
        params
            .validate()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(params)
    }
}

/// OTP state as stored; sealed secrets in standard Base64.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OtpRecord {
    /// No OTP.
    Disabled,
    /// A secret was issued and awaits activation.
    Pending {
        /// Sealed shared secret.
        sealed: String,
        /// Parameters.
        params: ParamsRecord,
        /// Unix ms after which the pending secret is void.
        expires_ms: u64,
        /// The suspension this setup would end, Unix ms (absent: none; records
        /// written before this field read as none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        suspended_since_ms: Option<u64>,
    },
    /// OTP protects sign-in.
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
    /// Temporarily disabled by recovery; the next sign-in leads to a new activation.
    Suspended {
        /// Unix ms of suspension.
        since_ms: u64,
    },
}

/// A failure counter as stored (inside an account, or alone under a `throttle/` key).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CounterRecord {
    /// Consecutive failures.
    pub failures: u32,
    /// Unix ms until which attempts are refused.
    pub locked_until_ms: u64,
}

impl CounterRecord {
    /// Stored form.
    pub fn from_domain(c: &FailureCounter) -> Self {
        CounterRecord {
            failures: c.failures,
            locked_until_ms: c.locked_until_ms,
        }
    }
    /// Domain form.
    pub fn to_domain(self) -> FailureCounter {
        FailureCounter {
            failures: self.failures,
            locked_until_ms: self.locked_until_ms,
        }
    }
}

/// A small record stored alone under a `throttle/` key: a version tag and a value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Versioned<T> {
    /// Version tag.
    pub v: u16,
    /// The value.
    #[serde(flatten)]
    pub value: T,
}

/// An account as stored at `account/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccountRecord {
    /// Version tag.
    pub v: u16,
    /// Account id (32 hex characters).
    pub id: String,
    /// Normalised e-mail.
    pub email: String,
    /// argon2id PHC string.
    pub password: String,
    /// E.164 phone, if set.
    pub phone: Option<String>,
    /// OTP state.
    pub otp: OtpRecord,
    /// Unix ms of registration.
    pub created_ms: u64,
    /// Consecutive wrong codes and the lock they caused.
    #[serde(default)]
    pub code_throttle: CounterRecord,
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}
fn unb64(s: &str) -> Result<Vec<u8>, StoreError> {
    STANDARD
        .decode(s)
        .map_err(|_| StoreError::Corrupt("sealed value is not Base64".into()))
}

impl AccountRecord {
    /// The stored form of an account.
    pub fn from_domain(a: &Account) -> Self {
        let otp = match &a.otp {
            OtpState::Disabled => OtpRecord::Disabled,
            OtpState::Pending {
                sealed,
                params,
                expires_ms,
                suspended_since_ms,
            } => OtpRecord::Pending {
                sealed: b64(sealed),
                params: ParamsRecord::from_domain(params),
                expires_ms: *expires_ms,
                suspended_since_ms: *suspended_since_ms,
            },
            OtpState::Active {
                sealed,
                params,
                activated_ms,
                last_step,
            } => OtpRecord::Active {
                sealed: b64(sealed),
                params: ParamsRecord::from_domain(params),
                activated_ms: *activated_ms,
                last_step: *last_step,
            },
            OtpState::Suspended { since_ms } => OtpRecord::Suspended {
                since_ms: *since_ms,
            },
        };
        AccountRecord {
            v: VERSION,
            id: a.id.clone(),
            email: a.email.as_str().to_owned(),
            password: a.password_phc.clone(),
            phone: a.phone.as_ref().map(|p| p.as_str().to_owned()),
            otp,
            created_ms: a.created_ms,
            code_throttle: CounterRecord::from_domain(&a.code_throttle),
        }
    }

    /// The domain account; fails on values no release writes.
    pub fn to_domain(&self) -> Result<Account, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("account {what}"));
        let otp = match &self.otp {
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
            },
            OtpRecord::Suspended { since_ms } => OtpState::Suspended {
                since_ms: *since_ms,
            },
        };
        Ok(Account {
            id: self.id.clone(),
            email: Email::parse(&self.email).map_err(|_| corrupt("e-mail"))?,
            password_phc: self.password.clone(),
            phone: match &self.phone {
                Some(p) => Some(Phone::from_e164(p).map_err(|_| corrupt("phone"))?),
                None => None,
            },
            otp,
            created_ms: self.created_ms,
            code_throttle: self.code_throttle.to_domain(),
        })
    }
}

/// `email/{e-mail}` → account id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EmailIndexRecord {
    /// Version tag.
    pub v: u16,
    /// The account id.
    pub account_id: String,
}

/// A signed-in session.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionRecord {
    /// Version tag.
    pub v: u16,
    /// Whose session.
    pub account_id: String,
    /// Unix ms of sign-in.
    pub created_ms: u64,
    /// Unix ms after which the session is void.
    pub expires_ms: u64,
}

/// A sign-in that passed the password and awaits the code.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChallengeRecord {
    /// Version tag.
    pub v: u16,
    /// Whose sign-in.
    pub account_id: String,
    /// Unix ms after which the challenge is void.
    pub expires_ms: u64,
    /// Wrong codes so far on this challenge.
    pub failures: u32,
}

/// One audit entry as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditEntryRecord {
    /// Unix ms.
    pub at_ms: u64,
    /// Event name, snake_case.
    pub event: String,
    /// Client address, if known.
    pub client: Option<String>,
    /// Free text (support reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The audit log of an account, newest last, at most [`AUDIT_KEEP`] entries.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditRecord {
    /// Version tag.
    pub v: u16,
    /// Entries, oldest first.
    pub events: Vec<AuditEntryRecord>,
}

impl AuditEntryRecord {
    /// Stored form of an event.
    pub fn from_domain(e: &AuditEvent) -> Self {
        AuditEntryRecord {
            at_ms: e.at_ms,
            event: e.kind.as_str().to_owned(),
            client: e.client.clone(),
            detail: e.detail.clone(),
        }
    }

    /// Domain form; unknown event names (from a newer release) are kept as
    /// [`AuditKind::Other`].
    pub fn to_domain(&self) -> AuditEvent {
        AuditEvent {
            at_ms: self.at_ms,
            kind: AuditKind::parse(&self.event),
            client: self.client.clone(),
            detail: self.detail.clone(),
        }
    }
}

/// A text message code sent for a recovery link.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SmsCodeRecord {
    /// SHA-256 hex of `link hash ‖ ":" ‖ code`.
    pub code_hash: String,
    /// Unix ms after which the code is void.
    pub expires_ms: u64,
    /// Wrong codes so far.
    pub tries: u32,
}

/// A recovery link (`recovery/{token hash}`): single use, 30 minutes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecoveryRecord {
    /// Version tag.
    pub v: u16,
    /// Whose recovery.
    pub account_id: String,
    /// Unix ms after which the link is void.
    pub expires_ms: u64,
    /// Wrong phone numbers typed.
    pub phone_mismatches: u32,
    /// Text messages sent for this link.
    pub sms_sends: u32,
    /// The current code, if one was sent.
    pub sms: Option<SmsCodeRecord>,
    /// Last delivery status the SMS provider reported (`queued`, `delivered`, `failed`…).
    pub sms_status: Option<String>,
}

/// `sms/{provider message id}` → the recovery link it was sent for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SmsIndexRecord {
    /// Version tag.
    pub v: u16,
    /// Token hash of the recovery link.
    pub link: String,
}
