//! Enforcing [`crate::throttle`]: per account (codes, in the account record; passwords,
//! under the e-mail address so unknown addresses behave the same) and per client
//! address. Counters change with compare-and-swap, so concurrent failures are never lost.

use super::{Account, AuditKind, FlowError, Service};
use crate::ports::Message;
use crate::records::{self, CounterRecord, Versioned};
use crate::throttle::{
    ADDRESS_FAILURES, CODE_FREE_FAILURES, FailureCounter, Limit, PASSWORD_FREE_FAILURES, Verdict,
    Window,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// Turn a verdict into the flow's answer.
pub(super) fn enforce(verdict: Verdict) -> Result<(), FlowError> {
    match verdict {
        Verdict::Allowed => Ok(()),
        Verdict::RetryAfter(retry_after_s) => Err(FlowError::TooManyAttempts { retry_after_s }),
        Verdict::LockedOut => Err(FlowError::LockedOut),
    }
}

impl Service<'_> {
    /// Read–modify–compare-and-swap of a small versioned record (absent reads as
    /// `T::default()`); writes only when `change` changed it.
    pub(super) fn update_versioned<T, R>(
        &self,
        key: &str,
        mut change: impl FnMut(&mut T) -> R,
    ) -> Result<R, FlowError>
    where
        T: Serialize + DeserializeOwned + Default + PartialEq + Clone,
    {
        self.swap_record(key, |bytes| {
            let before: T = match bytes {
                Some(bytes) => records::decode::<Versioned<T>>(bytes)?.value,
                None => T::default(),
            };
            let mut after = before.clone();
            let answer = change(&mut after);
            let new = (after != before).then(|| {
                records::encode(&Versioned {
                    v: records::VERSION,
                    value: after,
                })
            });
            Ok((new, answer))
        })
    }

    fn address_key(&self) -> Option<String> {
        self.client.as_deref().map(records::address_throttle_key)
    }

    /// The verdict of the window at `key` under `limit`, counting one event when
    /// `record` and the verdict allows it (atomically).
    pub(super) fn window(
        &self,
        key: &str,
        limit: Limit,
        record: bool,
    ) -> Result<Verdict, FlowError> {
        let now = self.now_ms();
        self.update_versioned(key, |w: &mut Window| {
            let verdict = w.verdict(now, limit);
            if record && verdict == Verdict::Allowed {
                w.record(now, limit);
            }
            verdict
        })
    }

    /// Refuse when this client address used up its failures.
    pub(super) fn address_gate(&self) -> Result<(), FlowError> {
        match self.address_key() {
            Some(key) => enforce(self.window(&key, ADDRESS_FAILURES, false)?),
            None => Ok(()),
        }
    }

    /// Count a failure against this client address.
    pub(super) fn address_failed(&self) -> Result<(), FlowError> {
        if let Some(key) = self.address_key() {
            self.window(&key, ADDRESS_FAILURES, true)?;
        }
        Ok(())
    }

    pub(super) fn password_key(email_input: &str) -> String {
        let normalised = email_input.trim().to_lowercase();
        records::password_throttle_key(&hex::encode(Sha256::digest(normalised.as_bytes())))
    }

    /// Refuse a password attempt for this address while it is locked.
    pub(super) fn password_gate(&self, email_input: &str) -> Result<(), FlowError> {
        let now = self.now_ms();
        let key = Self::password_key(email_input);
        let verdict =
            self.update_versioned(&key, |c: &mut CounterRecord| c.to_domain().verdict(now))?;
        enforce(verdict)
    }

    /// Record the outcome of a password check for this address.
    pub(super) fn password_outcome(&self, email_input: &str, ok: bool) -> Result<(), FlowError> {
        let now = self.now_ms();
        let key = Self::password_key(email_input);
        self.update_versioned(&key, |c: &mut CounterRecord| {
            let mut counter = c.to_domain();
            if ok {
                counter.succeed();
            } else {
                counter.fail(now, PASSWORD_FREE_FAILURES);
            }
            *c = CounterRecord::from_domain(&counter);
        })?;
        if ok { Ok(()) } else { self.address_failed() }
    }

    /// Inside an account update: refuse a code while the account's code lock holds.
    pub(super) fn code_gate(&self, account: &Account) -> Result<(), FlowError> {
        enforce(account.code_throttle.verdict(self.now_ms()))
    }

    /// Inside an account update: record a wrong code. Returns `true` when this failure
    /// started a lock, for [`Service::after_code_failure`].
    pub(super) fn code_failed(&self, account: &mut Account) -> bool {
        account
            .code_throttle
            .fail(self.now_ms(), CODE_FREE_FAILURES)
    }

    /// Inside an account update: a right code resets the counter.
    pub(super) fn code_succeeded(account: &mut Account) {
        account.code_throttle = FailureCounter::default();
    }

    /// After a wrong code was recorded: count it against the client address, audit it,
    /// and when it started a lock, audit the lock and queue one notice e-mail.
    pub(super) fn after_code_failure(
        &self,
        account_id: &str,
        email: &str,
        lock_started: bool,
    ) -> Result<(), FlowError> {
        self.address_failed()?;
        self.audit(account_id, AuditKind::CodeRejected)?;
        if lock_started {
            self.audit(account_id, AuditKind::LockedOut)?;
            self.outbox.queue(Message::Email {
                to: email.to_owned(),
                subject: "Several wrong sign-in codes on your account".to_owned(),
                body: "Someone entered several wrong one-time codes for your account, so \
                       codes are refused for a while. If this was you, wait and try again. \
                       If it was not, your password is known to someone else: change it."
                    .to_owned(),
            });
        }
        Ok(())
    }
}
