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
//! # One action, one conditional write
//!
//! Everything an action on an account changes — OTP state, the consumed time step, the
//! failure counter, the challenge, the new session, the recovery link, the audit event —
//! lives in the one account record ([`crate::account`]), and the action is one
//! [`Service::update_account`]: read the record, decide on a fresh copy, write it with a
//! compare-and-swap against the bytes read. The write carries a new revision number and
//! a fresh operation id; the swap's answer is not trusted (see [`crate::ports::Store`]):
//! the record is read back, and the write happened exactly when it holds that id.
//! Otherwise the whole decision starts again from a fresh read — never a swap against a
//! snapshot taken earlier in the request, so work done after a previous response
//! (delivery status, provider callbacks) cannot break the next request. A time step is
//! thereby checked and consumed atomically: of two concurrent requests with the same
//! code, exactly one succeeds. When other writers keep winning for
//! [`MAX_WRITE_ATTEMPTS`] rounds (with growing random pauses between them), the action
//! answers [`FlowError::Busy`] (409) having changed nothing.
//!
//! Per-address, per-phone and per-e-mail counters live under their own keys and change
//! by `increment` (the `limits` module); they are the only other writes, and only on failures or
//! sends.
//!
//! # Release-1 records
//!
//! A v1 account (with its separate `audit/{id}` log) reads as an account and is
//! written back as version 2 by its first change. v1 sessions keep working until they
//! expire; a v1 challenge or recovery link is taken into its account's record by the
//! first action that uses it, and remembered there so the v1 record cannot be taken in
//! twice.
//!
//! Decisions made where DESIGN.md is silent:
//! - A code that is not well formed (`CodeError`) is refused as bad input (400
//!   `malformed_code`) and changes nothing, not even a pending secret: the product rule
//!   "activation fails → secret discarded" applies to a wrong password, a wrong code and
//!   an expired setup. The browser module refuses malformed codes before sending.
//! - A setup while one is pending replaces it with a fresh secret.
//! - Recovery links end when the state they were issued for ends: recovery completed,
//!   OTP activated or deactivated, support reset.
//! - Times on the wire and in records are Unix milliseconds.

mod account;
mod admin;
mod errors;
#[cfg(feature = "fixtures")]
mod fixtures;
mod legacy;
mod limits;
mod otp;
mod recovery;
mod recovery_codes;
mod session;

pub use crate::account::{AuditEvent, AuditKind, OtpStatus};
pub use account::{AccountView, OtpView};
pub use admin::{ContractRun, ContractStep, RESEAL_PAGE, ResealPage};
pub use errors::{ActivationFailure, ErrorKind, FlowError, InternalError};
pub use otp::SetupView;
pub use recovery::RecoveryView;
pub use session::SignIn;

use crate::account::Account;
use crate::account::Recipient;
use crate::client::ClientAddress;
use crate::config::ServiceConfig;
use crate::i18n::{self, Arg, Language};
use crate::ports::{Clock, Message, Outbox, Rng, Store, same_value};
use crate::records::{self, AccountRecord, OPS_KEEP};
use crate::seal::SealError;
use crate::tokens;
use serde::Deserialize;

/// Rounds of read → decide → conditional write before answering [`FlowError::Busy`].
pub const MAX_WRITE_ATTEMPTS: usize = 24;
/// Longest pause between two rounds, ms.
const MAX_PAUSE_MS: u64 = 64;

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
    /// The client's address (audit log, per-address limits), if known.
    pub client: Option<ClientAddress>,
    /// The language of the request (its `Accept-Language`, [`crate::i18n`]): the
    /// language of its error messages and of an account it creates.
    pub language: Language,
}

/// An account as read (either version), with what its next write builds on.
struct Loaded {
    account: Account,
    rev: u64,
    ops: Vec<String>,
}

#[derive(Deserialize)]
struct OpsOnly {
    ops: Vec<String>,
}

impl Service<'_> {
    fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    fn now_unix(&self) -> u64 {
        self.clock.now_ms() / 1000
    }

    /// Decode an account record of either version (a v1 record with its separate
    /// audit log and recovery e-mail window).
    fn decode_account(&self, bytes: &[u8]) -> Result<Loaded, FlowError> {
        match records::version_of(bytes)? {
            v @ (records::VERSION | records::ACCOUNT_VERSION) => {
                let mut record = records::decode_account(bytes, v)?;
                let (rev, ops) = (record.rev, std::mem::take(&mut record.ops));
                Ok(Loaded {
                    account: record.to_domain()?,
                    rev,
                    ops,
                })
            }
            records::VERSION_1 => {
                let record: records::v1::AccountRecord = records::decode(bytes, 1)?;
                let audit = match self.store.get(&records::v1::audit_key(&record.id))? {
                    Some(b) => Some(records::decode(&b, 1)?),
                    None => None,
                };
                let window_key = records::v1::window_key("recovery-email", &record.id);
                let window = match self.store.get(&window_key)? {
                    Some(b) => records::decode::<records::v1::Versioned<_>>(&b, 1)?.value,
                    None => Default::default(),
                };
                Ok(Loaded {
                    account: record.to_domain(audit, window)?,
                    rev: 0,
                    ops: Vec::new(),
                })
            }
            other => Err(crate::ports::StoreError::Corrupt(format!(
                "account record version {other} is not readable by this release"
            ))
            .into()),
        }
    }

    /// Load an account by id (no write).
    pub fn load_account(&self, id: &str) -> Result<Option<Account>, FlowError> {
        let Some(bytes) = self.store.get(&records::account_key(id))? else {
            return Ok(None);
        };
        Ok(Some(self.decode_account(&bytes)?.account))
    }

    /// The one conditional write behind every change to an account (see the module
    /// docs). `change` runs on a fresh copy in every round; whatever it changed is
    /// written even when it returns an error (so a failure counter or a discarded secret
    /// is never lost), and its result is returned. Nothing is written when it changed
    /// nothing.
    ///
    /// When more than [`OPS_KEEP`] other writes land between the swap and the read-back,
    /// a write that happened is taken for a lost one and `change` decides again on the
    /// newer record: it never takes effect twice unnoticed (a consumed time step is
    /// then refused as used), at worst the answer is the one for the newer state.
    ///
    /// Errors: `NotSignedIn` when there is no such account, `Busy` after
    /// [`MAX_WRITE_ATTEMPTS`] lost rounds, `Internal` for store faults; otherwise
    /// `change`'s own.
    pub fn update_account<T>(
        &self,
        id: &str,
        mut change: impl FnMut(&mut Account) -> Result<T, FlowError>,
    ) -> Result<T, FlowError> {
        let key = records::account_key(id);
        for round in 0..MAX_WRITE_ATTEMPTS {
            if round > 0 {
                self.pause(round);
            }
            // After a lost round, past any cache the platform keeps (G4).
            let bytes = if round == 0 {
                self.store.get(&key)?
            } else {
                self.store.get_fresh(&key)?
            };
            let bytes = bytes.ok_or(FlowError::NotSignedIn)?;
            let Loaded {
                mut account,
                rev,
                mut ops,
            } = self.decode_account(&bytes)?;
            account.prune(self.now_ms());
            let before = account.clone();
            let outcome = change(&mut account);
            if account == before {
                return outcome;
            }
            // A write happens anyway: the secret moves to the current sealing key. One
            // that opens with no key of the ring stays as it is (sign-in reports it).
            if let Err(SealError::Rng(e)) = account.reseal(&self.config.keys, self.rng) {
                return Err(e.into());
            }
            let op = tokens::random_hex(self.rng, 8)?;
            ops.push(op.clone());
            let excess = ops.len().saturating_sub(OPS_KEEP);
            ops.drain(..excess);
            let new = records::encode_account(AccountRecord::from_domain(&account, rev + 1, ops))?;
            let answer = self.store.compare_and_swap(&key, Some(&bytes), &new);
            if self.holds_op(&key, &new, &op)? {
                return outcome;
            }
            answer?;
        }
        Err(FlowError::Busy)
    }

    /// Read `key` back, past any cache (G4): does it hold the write with operation id
    /// `op` (`new` itself, or a later write that kept `op` among its recent ids)?
    fn holds_op(&self, key: &str, new: &[u8], op: &str) -> Result<bool, FlowError> {
        let Some(now) = self.store.get_fresh(key)? else {
            return Ok(false);
        };
        if same_value(&now, new) {
            return Ok(true);
        }
        Ok(serde_json::from_slice::<OpsOnly>(&now).is_ok_and(|r| r.ops.iter().any(|o| o == op)))
    }

    /// A random pause before round `round` (1, 2, …) of a contended write: up to 2^round
    /// ms, at most [`MAX_PAUSE_MS`].
    fn pause(&self, round: usize) {
        let ceiling = (1u64 << round.min(6)).min(MAX_PAUSE_MS);
        let mut byte = [0u8; 1];
        if self.rng.fill(&mut byte).is_ok() {
            self.clock.pause_ms(u64::from(byte[0]) * ceiling / 255);
        }
    }

    /// Queue the e-mail `mail-{id}-subject` / `mail-{id}-body` of the server catalogs
    /// to `to`, in its language.
    pub(crate) fn mail(&self, to: &Recipient, id: &str, args: &[(&str, Arg)]) {
        let text = |part: &str| i18n::text(to.language, &format!("mail-{id}-{part}"), args);
        self.outbox.queue(Message::Email {
            to: to.email.as_str().to_owned(),
            subject: text("subject"),
            body: text("body"),
        });
    }

    /// Append an audit event to `account` (written with the account's change).
    pub(crate) fn event(&self, account: &mut Account, kind: AuditKind) {
        self.event_with(account, kind, None);
    }

    /// [`Service::event`] with a free-text detail.
    pub(crate) fn event_with(
        &self,
        account: &mut Account,
        kind: AuditKind,
        detail: Option<String>,
    ) {
        account.audit.push(&AuditEvent {
            at_ms: self.now_ms(),
            kind,
            client: self.client.map(|c| c.text()),
            detail,
        });
    }

    /// The account's audit log, newest first.
    pub fn audit_log(&self, account_id: &str) -> Result<Vec<AuditEvent>, FlowError> {
        Ok(self
            .load_account(account_id)?
            .map(|a| a.audit_events())
            .unwrap_or_default())
    }
}
