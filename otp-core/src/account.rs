//! The domain types of one account: profile, OTP state, failure counter, sessions,
//! pending sign-in challenges, recovery links and the audit log — everything a person's
//! action changes, so that one action is one conditional write of one record
//! ([`crate::records`] stores it, [`crate::flows`] changes it).
//!
//! Fields are private to otp-core: nothing outside builds or edits an account by hand;
//! it goes through the flows.
//!
//! Bounds (each list drops its oldest entry when full, and expired entries are dropped
//! at every write):
//! - [`MAX_SESSIONS`] = 10 sessions (signing in on an eleventh device signs the oldest
//!   out);
//! - [`MAX_CHALLENGES`] = 10 pending sign-in challenges;
//! - [`MAX_LINKS`] = 3 recovery links (also the hourly limit of recovery e-mails);
//! - [`AUDIT_KEEP`] = 50 audit events, kept encoded ([`AuditLog`]) so a write does not
//!   decode and re-encode the history.

use crate::i18n::Language;
use crate::identity::{Email, Phone};
use crate::throttle::{FailureCounter, Window};
use crate::totp::TotpParams;

mod audit;
pub use audit::AuditLog;
use serde::{Deserialize, Serialize};

/// Sessions kept per account.
pub const MAX_SESSIONS: usize = 10;
/// Pending sign-in challenges kept per account.
pub const MAX_CHALLENGES: usize = 10;
/// Recovery links kept per account.
pub const MAX_LINKS: usize = 3;
/// Audit events kept per account.
pub const AUDIT_KEEP: usize = 50;
/// v1 token hashes remembered as already taken into the account (see
/// [`crate::flows`] legacy tokens).
pub const LEGACY_SEEN_KEEP: usize = 16;

/// An account, as the flows see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub(crate) id: String,
    pub(crate) email: Email,
    pub(crate) password_phc: String,
    pub(crate) phone: Option<Phone>,
    pub(crate) otp: OtpState,
    pub(crate) created_ms: u64,
    pub(crate) code_throttle: FailureCounter,
    pub(crate) sessions: Vec<Session>,
    pub(crate) challenges: Vec<Challenge>,
    pub(crate) links: Vec<RecoveryLink>,
    pub(crate) recovery_emails: Window,
    pub(crate) audit: AuditLog,
    pub(crate) legacy_seen: Vec<String>,
    /// The language of the account's e-mails and text messages.
    pub(crate) language: Language,
}

impl Account {
    pub(crate) fn new(
        id: String,
        email: Email,
        password_phc: String,
        phone: Option<Phone>,
        created_ms: u64,
    ) -> Account {
        Account {
            id,
            email,
            password_phc,
            phone,
            otp: OtpState::Disabled,
            created_ms,
            code_throttle: FailureCounter::default(),
            sessions: Vec::new(),
            challenges: Vec::new(),
            links: Vec::new(),
            recovery_emails: Window::default(),
            audit: AuditLog::default(),
            legacy_seen: Vec::new(),
            language: Language::En,
        }
    }

    /// Where the account's e-mails go, and in which language.
    pub(crate) fn recipient(&self) -> Recipient {
        Recipient {
            email: self.email.clone(),
            language: self.language,
        }
    }

    /// The audit log, newest first.
    pub fn audit_events(&self) -> Vec<AuditEvent> {
        self.audit.events()
    }

    /// Drop what expired by `now_ms`.
    pub(crate) fn prune(&mut self, now_ms: u64) {
        self.sessions.retain(|s| s.expires_ms > now_ms);
        self.challenges.retain(|c| c.expires_ms > now_ms);
        self.links.retain(|l| l.expires_ms > now_ms);
    }

    /// End every recovery link (recovery done, OTP activated or deactivated, support
    /// reset): they were issued for a state that no longer exists.
    pub(crate) fn end_links(&mut self) {
        self.links.clear();
    }

    pub(crate) fn add_session(&mut self, session: Session) {
        push_bounded(&mut self.sessions, session, MAX_SESSIONS);
    }
    pub(crate) fn add_challenge(&mut self, challenge: Challenge) {
        push_bounded(&mut self.challenges, challenge, MAX_CHALLENGES);
    }
    pub(crate) fn add_link(&mut self, link: RecoveryLink) {
        push_bounded(&mut self.links, link, MAX_LINKS);
    }
    pub(crate) fn remember_legacy(&mut self, hash: &str) {
        push_bounded(&mut self.legacy_seen, hash.to_owned(), LEGACY_SEEN_KEEP);
    }
}

/// The address and language of a notice about an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recipient {
    pub(crate) email: Email,
    pub(crate) language: Language,
}

fn push_bounded<T>(list: &mut Vec<T>, item: T, max: usize) {
    list.push(item);
    let excess = list.len().saturating_sub(max);
    list.drain(..excess);
}

/// What moving an account's sealed shared secret to the current sealing key did
/// (`Account::reseal`, on every account write and in the re-seal sweep).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reseal {
    /// The shared secret was sealed under an older key and now is under the current one.
    Resealed,
    /// Already under the current key.
    Current,
    /// No shared secret is kept (OTP disabled or suspended).
    NoSecret,
}

impl Account {
    /// Seal the shared secret (pending or active) under the current key of `keys` if
    /// it is under another one ([`crate::seal`]: keys rotate by prepending a new one).
    ///
    /// Errors: the secret does not open with any key of the ring (`UnknownKey`,
    /// `Tampered`), or no randomness.
    pub(crate) fn reseal(
        &mut self,
        keys: &crate::seal::KeyRing,
        rng: &dyn crate::ports::Rng,
    ) -> Result<Reseal, crate::seal::SealError> {
        let sealed = match &mut self.otp {
            OtpState::Pending { sealed, .. } | OtpState::Active { sealed, .. } => sealed,
            _ => return Ok(Reseal::NoSecret),
        };
        if keys.is_current(sealed) {
            return Ok(Reseal::Current);
        }
        *sealed = keys.reseal(rng, crate::seal::SealPurpose::TotpSecret, &self.id, sealed)?;
        Ok(Reseal::Resealed)
    }
}

/// OTP state with what each state needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OtpState {
    /// No OTP.
    Disabled,
    /// A shared secret was issued and awaits activation.
    Pending {
        /// Sealed shared secret ([`crate::seal`]).
        sealed: Vec<u8>,
        /// Parameters.
        params: TotpParams,
        /// Unix ms after which activation is refused.
        expires_ms: u64,
        /// When this setup follows a suspension, its Unix ms: a failed activation
        /// returns the account to `Suspended` rather than to `Disabled`.
        suspended_since_ms: Option<u64>,
    },
    /// OTP protects sign-in.
    Active {
        /// Sealed shared secret.
        sealed: Vec<u8>,
        /// Parameters.
        params: TotpParams,
        /// Unix ms of activation.
        activated_ms: u64,
        /// Last accepted time step: codes at or below it are refused.
        last_step: u64,
        /// The recovery codes ([`crate::recovery_code`]); `None` for OTP activated
        /// before recovery codes existed. They live and die with the active state, so
        /// deactivation, suspension and a support reset end them.
        recovery_codes: Option<crate::recovery_code::CodeSet>,
    },
    /// Temporarily disabled by recovery or support.
    Suspended {
        /// Unix ms of suspension.
        since_ms: u64,
    },
}

/// The four statuses of the HTTP contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OtpStatus {
    /// No OTP.
    Disabled,
    /// Awaiting activation.
    Pending,
    /// Active.
    Active,
    /// Suspended by recovery.
    Suspended,
}

impl OtpState {
    /// The contract's status name.
    pub(crate) fn status(&self) -> OtpStatus {
        match self {
            OtpState::Disabled => OtpStatus::Disabled,
            OtpState::Pending { .. } => OtpStatus::Pending,
            OtpState::Active { .. } => OtpStatus::Active,
            OtpState::Suspended { .. } => OtpStatus::Suspended,
        }
    }
}

/// A signed-in session: only the SHA-256 of its token's secret part is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) hash: String,
    pub(crate) created_ms: u64,
    pub(crate) expires_ms: u64,
}

/// A sign-in that passed the password and awaits the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub(crate) hash: String,
    pub(crate) expires_ms: u64,
    pub(crate) failures: u32,
}

/// A texted recovery code: SHA-256 of `link hash ‖ ":" ‖ code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SmsCode {
    pub(crate) code_hash: String,
    pub(crate) expires_ms: u64,
    pub(crate) tries: u32,
}

/// A recovery link (single use, 30 minutes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecoveryLink {
    pub(crate) hash: String,
    pub(crate) expires_ms: u64,
    pub(crate) phone_mismatches: u32,
    pub(crate) sms_sends: u32,
    pub(crate) sms: Option<SmsCode>,
    pub(crate) sms_status: Option<String>,
}

impl RecoveryLink {
    /// Still usable at `now_ms`: not past its time nor its wrong-phone limit.
    pub(crate) fn is_live(&self, now_ms: u64) -> bool {
        self.expires_ms > now_ms
            && self.phone_mismatches < crate::config::RECOVERY_PHONE_MAX_MISMATCHES
    }

    /// The texted code, while it can still be entered at `now_ms`.
    pub(crate) fn usable_sms(&self, now_ms: u64) -> Option<&SmsCode> {
        self.sms.as_ref().filter(|sms| {
            sms.expires_ms > now_ms && sms.tries < crate::config::RECOVERY_SMS_MAX_TRIES
        })
    }
}

/// What an audit entry records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditKind {
    /// Registration.
    AccountCreated,
    /// Phone set or changed.
    PhoneChanged,
    /// A shared secret was issued.
    OtpSetup,
    /// OTP activated.
    OtpActivated,
    /// Activation failed; the pending secret was discarded.
    OtpActivationFailed,
    /// OTP deactivated.
    OtpDeactivated,
    /// Signed in.
    SignedIn,
    /// A wrong code (sign-in, activation, deactivation, recovery).
    CodeRejected,
    /// Too many wrong codes: codes are refused for a while.
    LockedOut,
    /// A recovery e-mail was sent.
    RecoveryRequested,
    /// A recovery text message was sent.
    RecoverySmsSent,
    /// A recovery text message could not be handed to the provider; it was not counted.
    RecoverySmsNotSent,
    /// A wrong phone number was typed on the recovery page.
    RecoveryPhoneMismatch,
    /// OTP was suspended by the recovery flow.
    OtpSuspended,
    /// Support reset OTP.
    AdminReset,
    /// A recovery code signed in instead of a TOTP code.
    RecoveryCodeUsed,
    /// A fresh set of recovery codes replaced the old one.
    RecoveryCodesRegenerated,
    /// A name written by another release.
    Other(String),
}

const KINDS: [AuditKind; 17] = [
    AuditKind::AccountCreated,
    AuditKind::PhoneChanged,
    AuditKind::OtpSetup,
    AuditKind::OtpActivated,
    AuditKind::OtpActivationFailed,
    AuditKind::OtpDeactivated,
    AuditKind::SignedIn,
    AuditKind::CodeRejected,
    AuditKind::LockedOut,
    AuditKind::RecoveryRequested,
    AuditKind::RecoverySmsSent,
    AuditKind::RecoverySmsNotSent,
    AuditKind::RecoveryPhoneMismatch,
    AuditKind::OtpSuspended,
    AuditKind::AdminReset,
    AuditKind::RecoveryCodeUsed,
    AuditKind::RecoveryCodesRegenerated,
];

impl AuditKind {
    /// Every kind this release writes (not [`AuditKind::Other`]).
    pub fn known() -> &'static [AuditKind] {
        &KINDS
    }

    /// snake_case name.
    pub fn as_str(&self) -> &str {
        match self {
            AuditKind::AccountCreated => "account_created",
            AuditKind::PhoneChanged => "phone_changed",
            AuditKind::OtpSetup => "otp_setup",
            AuditKind::OtpActivated => "otp_activated",
            AuditKind::OtpActivationFailed => "otp_activation_failed",
            AuditKind::OtpDeactivated => "otp_deactivated",
            AuditKind::SignedIn => "signed_in",
            AuditKind::CodeRejected => "code_rejected",
            AuditKind::LockedOut => "locked_out",
            AuditKind::RecoveryRequested => "recovery_requested",
            AuditKind::RecoverySmsSent => "recovery_sms_sent",
            AuditKind::RecoverySmsNotSent => "recovery_sms_not_sent",
            AuditKind::RecoveryPhoneMismatch => "recovery_phone_mismatch",
            AuditKind::OtpSuspended => "otp_suspended",
            AuditKind::AdminReset => "admin_reset",
            AuditKind::RecoveryCodeUsed => "recovery_code_used",
            AuditKind::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            AuditKind::Other(name) => name,
        }
    }

    /// Inverse of [`AuditKind::as_str`]; unknown names become [`AuditKind::Other`].
    pub fn parse(name: &str) -> AuditKind {
        KINDS
            .into_iter()
            .find(|k| k.as_str() == name)
            .unwrap_or_else(|| AuditKind::Other(name.to_owned()))
    }
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Unix ms.
    pub at_ms: u64,
    /// What happened.
    pub kind: AuditKind,
    /// Client address, if known.
    pub client: Option<String>,
    /// Free text (the support reason), if any.
    pub detail: Option<String>,
}

/// One audit entry as encoded inside the account record (field names as in v1's
/// `audit/{id}` record, so v1 entries move over unchanged).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct AuditEntry {
    pub(crate) at_ms: u64,
    pub(crate) event: String,
    pub(crate) client: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) detail: Option<String>,
}
