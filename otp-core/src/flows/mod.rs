//! The account and OTP flows (DESIGN.md "What a user can do"), as methods of [`Service`]
//! over the [`crate::ports`] traits.
//!
//! OTP state machine (status names as in the HTTP contract):
//!
//! ```text
//!  disabled ──setup──▶ pending ──activate(password ✓, code ✓)──▶ active
//!     ▲                  │  ╲──activate fails (any reason) ──▶ disabled (secret discarded)
//!     │                  └──setup again ──▶ pending (new secret)
//!     └──────── deactivate(password ✓, code ✓) ◀── active ──recovery──▶ suspended
//!                                                   suspended ──setup──▶ pending
//! ```
//!
//! A setup that follows a suspension remembers it: when that activation fails, the
//! account goes back to `suspended` (not `disabled`), so it is still asked to set OTP
//! up again.
//!
//! Every change to an account is a read–modify–compare-and-swap of its record
//! ([`Service::update_account`]), so a time step is checked and consumed atomically: of
//! two concurrent requests with the same code, exactly one succeeds.
//!
//! Decisions made where DESIGN.md is silent:
//! - A code that is not well formed (`CodeError`) is refused as bad input (400
//!   `malformed_code`) and changes nothing, not even a pending secret: the product rule
//!   "activation fails → secret discarded" applies to a wrong password, a wrong code and
//!   an expired setup. The browser module refuses malformed codes before sending.
//! - A setup while one is pending replaces it with a fresh secret.
//! - Times on the wire and in records are Unix milliseconds.

mod account;
mod errors;
mod limits;
mod otp;
mod recovery;
mod session;

pub use account::{AccountView, OtpView};
pub use errors::{ActivationFailure, ErrorKind, FlowError, InternalError};
pub use otp::SetupView;
pub use recovery::RecoveryView;
pub use session::SignIn;

use crate::config::ServiceConfig;
use crate::identity::{Email, Phone};
use crate::ports::{Clock, Outbox, Rng, Store};
use crate::records::{self, AccountRecord, AuditEntryRecord, AuditRecord};
use crate::throttle::FailureCounter;
use crate::totp::TotpParams;
use serde::Serialize;

/// Attempts of one read–modify–swap before giving up under contention.
pub(super) const MAX_SWAP_ATTEMPTS: usize = 16;

/// An account, as the flows see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// 32 lower-case hex characters.
    pub id: String,
    /// Normalised e-mail.
    pub email: Email,
    /// argon2id PHC string.
    pub password_phc: String,
    /// E.164 phone.
    pub phone: Option<Phone>,
    /// OTP state.
    pub otp: OtpState,
    /// Unix ms of registration.
    pub created_ms: u64,
    /// Consecutive wrong codes and the lock they caused ([`crate::throttle`]).
    pub code_throttle: FailureCounter,
}

/// OTP state with what each state needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtpState {
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
        /// When this setup follows a suspension (recovery or support reset), the Unix
        /// ms of that suspension: a failed activation returns the account to
        /// `Suspended` from it rather than to `Disabled`, so it is still asked to set
        /// OTP up again.
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
    },
    /// Temporarily disabled by recovery.
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
    pub fn status(&self) -> OtpStatus {
        match self {
            OtpState::Disabled => OtpStatus::Disabled,
            OtpState::Pending { .. } => OtpStatus::Pending,
            OtpState::Active { .. } => OtpStatus::Active,
            OtpState::Suspended { .. } => OtpStatus::Suspended,
        }
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
    /// A wrong code (sign-in, activation, deactivation).
    CodeRejected,
    /// Too many wrong codes: codes are refused for a while.
    LockedOut,
    /// A recovery e-mail was sent.
    RecoveryRequested,
    /// A recovery text message was sent.
    RecoverySmsSent,
    /// A wrong phone number was typed on the recovery page.
    RecoveryPhoneMismatch,
    /// OTP was suspended by the recovery flow.
    OtpSuspended,
    /// Support reset OTP.
    AdminReset,
    /// A name written by another release.
    Other(String),
}

impl AuditKind {
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
            AuditKind::RecoveryPhoneMismatch => "recovery_phone_mismatch",
            AuditKind::OtpSuspended => "otp_suspended",
            AuditKind::AdminReset => "admin_reset",
            AuditKind::Other(name) => name,
        }
    }

    /// Inverse of [`AuditKind::as_str`].
    pub fn parse(name: &str) -> AuditKind {
        [
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
            AuditKind::RecoveryPhoneMismatch,
            AuditKind::OtpSuspended,
            AuditKind::AdminReset,
        ]
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

/// The flows, bound to one request's store, clock, randomness, configuration and
/// client address.
pub struct Service<'a> {
    /// Key-value store.
    pub store: &'a dyn Store,
    /// Wall clock.
    pub clock: &'a dyn Clock,
    /// CSPRNG.
    pub rng: &'a dyn Rng,
    /// Where messages for people are queued.
    pub outbox: &'a dyn Outbox,
    /// Deployment configuration.
    pub config: &'a ServiceConfig,
    /// The client's address (for the audit log), if known.
    pub client: Option<String>,
}

impl Service<'_> {
    fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    fn now_unix(&self) -> u64 {
        self.clock.now_ms() / 1000
    }

    /// Load an account by id.
    pub fn load_account(&self, id: &str) -> Result<Option<Account>, FlowError> {
        let Some(bytes) = self.store.get(&records::account_key(id))? else {
            return Ok(None);
        };
        let record: AccountRecord = records::decode(&bytes)?;
        Ok(Some(record.to_domain()?))
    }

    /// Read `key`, let `decide` say what to write (`None`: nothing) and what to answer,
    /// and compare-and-swap; when another writer got there first, start again from the
    /// read. The one retry loop behind every record update.
    pub(super) fn swap_record<R>(
        &self,
        key: &str,
        mut decide: impl FnMut(Option<&[u8]>) -> Result<(Option<Vec<u8>>, R), FlowError>,
    ) -> Result<R, FlowError> {
        for _ in 0..MAX_SWAP_ATTEMPTS {
            let current = self.store.get(key)?;
            let (new, answer) = decide(current.as_deref())?;
            let Some(new) = new else {
                return Ok(answer);
            };
            if self.store.compare_and_swap(key, current.as_deref(), &new)? {
                return Ok(answer);
            }
        }
        Err(InternalError::Contention.into())
    }

    /// Read–modify–compare-and-swap of an account. `change` runs on a fresh copy each
    /// attempt; whatever it changed is written even when it returns an error (so a
    /// failure counter or a discarded secret is never lost), and its result is returned.
    pub fn update_account<T>(
        &self,
        id: &str,
        mut change: impl FnMut(&mut Account) -> Result<T, FlowError>,
    ) -> Result<T, FlowError> {
        self.swap_record(&records::account_key(id), |bytes| {
            let bytes = bytes.ok_or(FlowError::NotSignedIn)?;
            let before = records::decode::<AccountRecord>(bytes)?.to_domain()?;
            let mut after = before.clone();
            let outcome = change(&mut after);
            let new =
                (after != before).then(|| records::encode(&AccountRecord::from_domain(&after)));
            Ok((new, outcome))
        })?
    }

    /// Append an event to the account's audit log (keeps the last
    /// [`records::AUDIT_KEEP`]).
    pub fn audit(&self, account_id: &str, kind: AuditKind) -> Result<(), FlowError> {
        self.audit_with(account_id, kind, None)
    }

    /// [`Service::audit`] with a free-text detail.
    pub fn audit_with(
        &self,
        account_id: &str,
        kind: AuditKind,
        detail: Option<String>,
    ) -> Result<(), FlowError> {
        let entry = AuditEntryRecord::from_domain(&AuditEvent {
            at_ms: self.now_ms(),
            kind,
            client: self.client.clone(),
            detail,
        });
        self.swap_record(&records::audit_key(account_id), |bytes| {
            let mut log = match bytes {
                Some(bytes) => records::decode::<AuditRecord>(bytes)?,
                None => AuditRecord {
                    v: records::VERSION,
                    events: Vec::new(),
                },
            };
            log.events.push(entry.clone());
            let excess = log.events.len().saturating_sub(records::AUDIT_KEEP);
            log.events.drain(..excess);
            Ok((Some(records::encode(&log)), ()))
        })
    }

    /// The account's audit log, newest first.
    pub fn audit_log(&self, account_id: &str) -> Result<Vec<AuditEvent>, FlowError> {
        let Some(bytes) = self.store.get(&records::audit_key(account_id))? else {
            return Ok(Vec::new());
        };
        let log: AuditRecord = records::decode(&bytes)?;
        Ok(log
            .events
            .iter()
            .rev()
            .map(AuditEntryRecord::to_domain)
            .collect())
    }
}
