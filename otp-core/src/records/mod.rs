//! The records kept in the key-value store, and their keys.
//!
//! Stored records are JSON with a version tag `"v"`, kept apart from the domain types in
//! [`crate::account`] and from the wire types in edge-api; conversions are explicit
//! (`from_domain` / `to_domain`). A release reads every version an earlier one wrote
//! ([`v1`] has release 1's records and their golden files).
//!
//! Keys of this release:
//!
//! | key | value | written by |
//! | --- | --- | --- |
//! | `account/{id}` | [`AccountRecord`] (version 3; 2 is read too): profile, OTP with its recovery codes, code counter, sessions, challenges, recovery links, recovery e-mail window, audit log | one conditional write per action ([`crate::flows`]) |
//! | `email/{normalised e-mail}` | [`EmailIndexRecord`] → account id | once, by the winner of the claim below |
//! | `claim/email/{normalised e-mail}` | counter | `increment`: the registration that reads 1 owns the address |
//! | `sms/{provider message id}` | [`SmsIndexRecord`] → account and link | once, after the provider accepted the message |
//! | `count/{kind}/{subject}/{window}` | counter | `increment`, one key per fixed window ([`crate::flows`] limits) |
//! | `password/{sha256 hex of e-mail}` | [`PasswordFailureRecord`] | `set`, beside the counter `count/password/…` |
//!
//! What stays outside the account record, and why: the e-mail index and its claim
//! (looked up before the account is known); the SMS provider's message id (the
//! provider's callback knows only that); the per-address and per-phone windows and the
//! password counter (they count across accounts, and for addresses that have none, so
//! answers do not reveal which addresses have accounts). Those are counters changed by
//! `increment`, the one operation every store makes atomic.

mod json_scan;
mod splice;
pub mod v1;

use crate::account::{Account, AuditLog, Challenge, OtpState, RecoveryLink, Session};
use crate::i18n::Language;
use crate::identity::{Email, Phone};
use crate::ports::StoreError;
use crate::recovery_code::CodeSet;
use crate::throttle::Window;
use crate::totp::{Algorithm, TotpParams};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use splice::{decode_account, encode_account};
pub use v1::{CounterRecord, OtpRecord};

/// Version tag of the account records this release writes: version 2 with the
/// recovery codes of an active OTP ([`RecoveryCodesRecord`]). Version 2 records read as
/// version 3 without codes; a release that knows only version 2 refuses a version 3
/// record instead of writing it back without its codes.
pub const ACCOUNT_VERSION: u16 = 3;
/// Version tag of the SMS index records this release writes; also the account record
/// version of the release before recovery codes.
pub const VERSION: u16 = 2;
/// Version tag of records whose form did not change since release 1 (e-mail index,
/// password failure time).
pub const VERSION_1: u16 = 1;
/// Operation ids kept in an account record: a writer recognises its own write when
/// reading back with up to this many writes by others in between (16 × 19 bytes).
pub const OPS_KEEP: usize = 16;

/// Key of an account record.
pub fn account_key(id: &str) -> String {
    ["account/", id].concat()
}
/// Key of the e-mail → account id index.
pub fn email_key(email: &Email) -> String {
    format!("email/{}", email.as_str())
}
/// Counter claimed by registrations of an address: the one that reads 1 owns it.
pub fn email_claim_key(email: &Email) -> String {
    format!("claim/email/{}", email.as_str())
}
/// Key of the SMS-provider message id → recovery link index.
pub fn sms_key(provider_id: &str) -> String {
    format!("sms/{provider_id}")
}
/// Counter of `kind` events of `subject` in fixed window number `window`.
pub fn count_key(kind: &str, subject: &str, window: u64) -> String {
    // Not `format!`: ~2.6 k instructions a key in the component, three keys a gate.
    let mut digits = itoa::Buffer::new();
    ["count/", kind, "/", subject, "/", digits.format(window)].concat()
}
/// Prefix of the keys of store conformance run `run` ([`crate::contract`]).
pub fn contract_prefix(run: &str) -> String {
    format!("contract/{run}")
}
/// Time of the last password failure of an address (beside its counter).
pub fn password_failure_key(email_hash: &str) -> String {
    format!("password/{email_hash}")
}

#[derive(Deserialize)]
struct VersionTag {
    v: u16,
}

/// The version tag of a stored record. Records this code writes start with it
/// (`{"v":N,`: serde writes fields in declaration order), which is read without
/// scanning the rest; anything else is parsed whole.
pub fn version_of(bytes: &[u8]) -> Result<u16, StoreError> {
    if let Some(rest) = bytes.strip_prefix(br#"{"v":"#) {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if matches!(rest.get(digits), Some(b',' | b'}'))
            && let Some(v) = std::str::from_utf8(&rest[..digits])
                .ok()
                .and_then(|d| d.parse().ok())
        {
            return Ok(v);
        }
    }
    serde_json::from_slice::<VersionTag>(bytes)
        .map(|t| t.v)
        .map_err(|_| StoreError::Corrupt("record without a version tag".into()))
}

/// Decode a stored record after checking that its version tag is `version`.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], version: u16) -> Result<T, StoreError> {
    let v = version_of(bytes)?;
    if v != version {
        return Err(StoreError::Corrupt(format!(
            "record version {v} where {version} was expected"
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Encode a record.
///
/// Errors: `Corrupt` when serde cannot encode it (never for these types, but an error
/// is never turned into empty bytes that would then be stored).
pub fn encode<T: Serialize>(record: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(record).map_err(encoding_failed)
}

/// The error of a record serde could not encode.
fn encoding_failed(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("encoding: {e}"))
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

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}
fn unb64(s: &str) -> Result<Vec<u8>, StoreError> {
    STANDARD
        .decode(s)
        .map_err(|_| StoreError::Corrupt("sealed value is not Base64".into()))
}

/// An account's profile, OTP state and code counter as stored (both versions keep
/// them alike); fails on values no release writes.
fn profile(
    id: String,
    email: &str,
    password_phc: String,
    phone: Option<&str>,
    created_ms: u64,
    otp: &OtpRecord,
    code_throttle: CounterRecord,
) -> Result<Account, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("account {what}"));
    let phone = match phone {
        Some(p) => Some(Phone::from_e164(p).map_err(|_| corrupt("phone"))?),
        None => None,
    };
    let email = Email::parse(email).map_err(|_| corrupt("e-mail"))?;
    let mut account = Account::new(id, email, password_phc, phone, created_ms);
    account.otp = otp.to_domain()?;
    account.code_throttle = code_throttle.to_domain();
    Ok(account)
}

fn otp_record(otp: &OtpState) -> OtpRecord {
    match otp {
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
            ..
        } => OtpRecord::Active {
            sealed: b64(sealed),
            params: ParamsRecord::from_domain(params),
            activated_ms: *activated_ms,
            last_step: *last_step,
        },
        OtpState::Suspended { since_ms } => OtpRecord::Suspended {
            since_ms: *since_ms,
        },
    }
}

/// A session inside an account record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionEntry {
    /// SHA-256 hex of the token's secret part.
    pub hash: String,
    /// Unix ms of sign-in.
    pub created_ms: u64,
    /// Unix ms after which it is void.
    pub expires_ms: u64,
}

/// A pending sign-in challenge inside an account record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChallengeEntry {
    /// SHA-256 hex of the token's secret part.
    pub hash: String,
    /// Unix ms after which it is void.
    pub expires_ms: u64,
    /// Wrong codes so far.
    pub failures: u32,
}

/// A recovery link inside an account record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LinkEntry {
    /// SHA-256 hex of the token's secret part.
    pub hash: String,
    /// Unix ms after which it is void.
    pub expires_ms: u64,
    /// Wrong phone numbers typed.
    pub phone_mismatches: u32,
    /// Text messages sent.
    pub sms_sends: u32,
    /// The current code, if one was sent.
    pub sms: Option<v1::SmsCodeRecord>,
    /// Last delivery status the SMS provider reported.
    pub sms_status: Option<String>,
}

/// The recovery codes of an active OTP, inside the account record
/// ([`crate::recovery_code`]): argon2id parameters, the set's salt and the hashes of
/// the codes not used yet. Versioned on its own so the derivation can change.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecoveryCodesRecord {
    /// Version tag (1).
    pub v: u16,
    /// Always `argon2id` (version 0x13) in version 1.
    pub kdf: String,
    /// Memory, KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
    /// Salt, standard Base64.
    pub salt: String,
    /// 32-byte hashes of the unused codes, standard Base64.
    pub hashes: Vec<String>,
    /// Unix ms the set was made.
    pub issued_ms: u64,
}

impl RecoveryCodesRecord {
    fn from_domain(set: &CodeSet) -> Self {
        RecoveryCodesRecord {
            v: 1,
            kdf: "argon2id".to_owned(),
            m_kib: set.m_kib,
            t: set.t,
            p: set.p,
            salt: b64(&set.salt),
            hashes: set.hashes.iter().map(|h| b64(h)).collect(),
            issued_ms: set.issued_ms,
        }
    }

    fn to_domain(&self) -> Result<CodeSet, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("recovery codes: {what}"));
        if self.v != 1 || self.kdf != "argon2id" {
            return Err(corrupt("unknown version or derivation"));
        }
        let hashes = self
            .hashes
            .iter()
            .map(|h| <[u8; 32]>::try_from(unb64(h)?).map_err(|_| corrupt("hash length")))
            .collect::<Result<_, _>>()?;
        Ok(CodeSet {
            m_kib: self.m_kib,
            t: self.t,
            p: self.p,
            salt: unb64(&self.salt)?,
            hashes,
            issued_ms: self.issued_ms,
        })
    }
}

/// An account as stored at `account/{id}` (version 3; version 2 has no
/// `recovery_codes`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountRecord {
    /// Version tag (3, or 2 as written by the release before).
    pub v: u16,
    /// Revision: grows by one with every write, so equal bytes mean "unchanged".
    pub rev: u64,
    /// Ids of the last [`OPS_KEEP`] writes, newest last (read-back after a swap).
    pub ops: Vec<String>,
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
    /// Recovery codes, only while OTP is active (and only when made: accounts activated
    /// before recovery codes existed have none until they make a set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<RecoveryCodesRecord>,
    /// Unix ms of registration.
    pub created_ms: u64,
    /// Consecutive wrong codes and the lock they caused.
    pub code_throttle: CounterRecord,
    /// Sessions.
    pub sessions: Vec<SessionEntry>,
    /// Pending sign-in challenges.
    pub challenges: Vec<ChallengeEntry>,
    /// Live recovery links.
    pub links: Vec<LinkEntry>,
    /// Recovery e-mails sent in the current window.
    pub recovery_emails: Window,
    /// Hashes of v1 tokens already taken into this record.
    #[serde(default)]
    pub legacy_seen: Vec<String>,
    /// Language of the account's e-mails and text messages (`en`, `cs`); absent means
    /// English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Audit entries, oldest first, each as its JSON text (shared with the domain
    /// account, not copied). The last field: [`encode_account`] writes it after the
    /// others.
    pub audit: AuditLog,
}

impl AccountRecord {
    /// The stored form of `a` at revision `rev` with operation ids `ops`.
    pub fn from_domain(a: &Account, rev: u64, ops: Vec<String>) -> Self {
        AccountRecord {
            v: ACCOUNT_VERSION,
            rev,
            ops,
            id: a.id.clone(),
            email: a.email.as_str().to_owned(),
            password: a.password_phc.clone(),
            phone: a.phone.as_ref().map(|p| p.as_str().to_owned()),
            otp: otp_record(&a.otp),
            recovery_codes: match &a.otp {
                OtpState::Active {
                    recovery_codes: Some(set),
                    ..
                } => Some(RecoveryCodesRecord::from_domain(set)),
                _ => None,
            },
            created_ms: a.created_ms,
            code_throttle: CounterRecord {
                failures: a.code_throttle.failures,
                locked_until_ms: a.code_throttle.locked_until_ms,
            },
            sessions: a
                .sessions
                .iter()
                .map(|s| SessionEntry {
                    hash: s.hash.clone(),
                    created_ms: s.created_ms,
                    expires_ms: s.expires_ms,
                })
                .collect(),
            challenges: a
                .challenges
                .iter()
                .map(|c| ChallengeEntry {
                    hash: c.hash.clone(),
                    expires_ms: c.expires_ms,
                    failures: c.failures,
                })
                .collect(),
            links: a
                .links
                .iter()
                .map(|l| LinkEntry {
                    hash: l.hash.clone(),
                    expires_ms: l.expires_ms,
                    phone_mismatches: l.phone_mismatches,
                    sms_sends: l.sms_sends,
                    sms: l.sms.as_ref().map(v1::SmsCodeRecord::from_domain),
                    sms_status: l.sms_status.clone(),
                })
                .collect(),
            recovery_emails: a.recovery_emails,
            audit: a.audit.clone(),
            legacy_seen: a.legacy_seen.clone(),
            language: (a.language != Language::En).then(|| a.language.tag().to_owned()),
        }
    }

    /// The domain account; fails on values no release writes.
    pub fn to_domain(self) -> Result<Account, StoreError> {
        let mut account = profile(
            self.id,
            &self.email,
            self.password,
            self.phone.as_deref(),
            self.created_ms,
            &self.otp,
            self.code_throttle,
        )?;
        if let Some(codes) = &self.recovery_codes {
            let OtpState::Active { recovery_codes, .. } = &mut account.otp else {
                return Err(StoreError::Corrupt(
                    "recovery codes on an account without active OTP".into(),
                ));
            };
            *recovery_codes = Some(codes.to_domain()?);
        }
        account.sessions = self
            .sessions
            .into_iter()
            .map(|s| Session {
                hash: s.hash,
                created_ms: s.created_ms,
                expires_ms: s.expires_ms,
            })
            .collect();
        account.challenges = self
            .challenges
            .into_iter()
            .map(|c| Challenge {
                hash: c.hash,
                expires_ms: c.expires_ms,
                failures: c.failures,
            })
            .collect();
        account.links = self
            .links
            .into_iter()
            .map(|l| RecoveryLink {
                hash: l.hash,
                expires_ms: l.expires_ms,
                phone_mismatches: l.phone_mismatches,
                sms_sends: l.sms_sends,
                sms: l.sms.as_ref().map(v1::SmsCodeRecord::to_domain),
                sms_status: l.sms_status,
            })
            .collect();
        account.recovery_emails = self.recovery_emails;
        account.audit = self.audit;
        account.legacy_seen = self.legacy_seen;
        if let Some(tag) = &self.language {
            account.language = Language::from_tag(tag)
                .ok_or_else(|| StoreError::Corrupt("account language".into()))?;
        }
        Ok(account)
    }
}

/// `email/{e-mail}` → account id (same form as release 1).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EmailIndexRecord {
    /// Version tag (1).
    pub v: u16,
    /// The account id.
    pub account_id: String,
}

/// `sms/{provider message id}` → the recovery link it was sent for (version 2; v1
/// held only the link hash, [`v1::SmsIndexRecord`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SmsIndexRecord {
    /// Version tag (2).
    pub v: u16,
    /// Whose link.
    pub account_id: String,
    /// Hash of the link token's secret part.
    pub link: String,
}

/// `password/{hash}`: when the last password failure of an address happened (the
/// count of consecutive failures is the counter `count/password/{hash}/0`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PasswordFailureRecord {
    /// Version tag (1).
    pub v: u16,
    /// Unix ms of the last failure.
    pub at_ms: u64,
}
