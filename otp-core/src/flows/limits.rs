//! Enforcing [`crate::throttle`]: per account (codes, inside the account record) and,
//! under keys of their own, per client address, per phone number and per e-mail address
//! (passwords, so unknown addresses behave the same).
//!
//! The keys of their own are counters changed only by `increment`, the one operation
//! every store makes atomic (guarantee G2 of [`crate::ports::Store`]), so concurrent
//! failures are never lost on any backend. A window limit "at most `max` per
//! `length_ms`" counts in fixed windows `count/{kind}/{subject}/{now / length}` and
//! refuses while the current and the previous window together hold `max`: any interval
//! of `length_ms` lies within two consecutive windows, so no interval ever holds more
//! than `max` (at the cost of refusing for up to two windows after a burst). Counts a
//! release-1 window record still holds are added while its window lasts.
//!
//! A gate is read before the attempt and the failure counted after it, so requests
//! already in flight when the limit is reached may still be checked: the overshoot is
//! bounded by the number of concurrent requests from that address.

use super::{Account, FlowError, Service};
use crate::account::Recipient;
use crate::identity::Email;
use crate::ports::read_counter;
use crate::records::{self, PasswordFailureRecord, v1};
use crate::throttle::{
    ADDRESS_FAILURES, CODE_FREE_FAILURES, FailureCounter, Limit, MAX_CONSECUTIVE_FAILURES,
    PASSWORD_FREE_FAILURES, Verdict, Window, delay_after,
};
use sha2::{Digest, Sha256};

/// Turn a verdict into the flow's answer.
pub(super) fn enforce(verdict: Verdict) -> Result<(), FlowError> {
    match verdict {
        Verdict::Allowed => Ok(()),
        Verdict::RetryAfter(retry_after_s) => Err(FlowError::TooManyAttempts { retry_after_s }),
        Verdict::LockedOut => Err(FlowError::LockedOut),
    }
}

/// Kinds of windows (the `{kind}` of the counter keys; also release 1's key names).
pub(super) const ADDRESS: &str = "address";
pub(super) const RECOVERY_ADDRESS: &str = "recovery-address";
pub(super) const SMS_PHONE: &str = "sms-phone";
const PASSWORD: &str = "password";

/// The password failures of one address as the gate read them.
pub(super) struct PasswordFailures {
    /// SHA-256 hex of the normalised address.
    subject: String,
    /// This release's counter.
    own: i64,
    /// A release-1 counter record exists.
    legacy: bool,
    /// Both together, with the lock they cause.
    counter: FailureCounter,
}

pub(super) fn sha256_hex(data: &str) -> String {
    crate::tokens::lower_hex(&Sha256::digest(data.as_bytes()))
}

impl Service<'_> {
    fn counter(&self, key: &str) -> Result<i64, FlowError> {
        Ok(read_counter(self.store.get(key)?.as_deref())?)
    }

    /// Events of `subject` counted in the current and previous window, and the Unix ms
    /// at which they stop counting enough to refuse: the end of the current window, or
    /// of the next one when the current window alone is full.
    fn window_total(
        &self,
        kind: &str,
        subject: &str,
        limit: Limit,
    ) -> Result<(i64, u64), FlowError> {
        let now = self.now_ms();
        let window = now / limit.length_ms;
        let current = self.counter(&records::count_key(kind, subject, window))?;
        let previous = match window.checked_sub(1) {
            Some(w) => self.counter(&records::count_key(kind, subject, w))?,
            None => 0,
        };
        let legacy = match self.store.get(&v1::window_key(kind, subject))? {
            Some(b) => {
                let w: Window = records::decode::<v1::Versioned<Window>>(&b, 1)?.value;
                let live = now >= w.start_ms && now < w.start_ms.saturating_add(limit.length_ms);
                if live { i64::from(w.count) } else { 0 }
            }
            None => 0,
        };
        let full_windows = if current >= i64::from(limit.max) {
            2
        } else {
            1
        };
        Ok((
            current + previous + legacy,
            (window + full_windows) * limit.length_ms,
        ))
    }

    fn window_verdict(&self, total: i64, ends_ms: u64, limit: Limit) -> Verdict {
        if total >= i64::from(limit.max) {
            Verdict::RetryAfter(ends_ms.saturating_sub(self.now_ms()).div_ceil(1000).max(1))
        } else {
            Verdict::Allowed
        }
    }

    /// Refuse while `subject`'s window under `limit` is full (a read).
    pub(super) fn window_gate(
        &self,
        kind: &str,
        subject: &str,
        limit: Limit,
    ) -> Result<(), FlowError> {
        let (total, ends) = self.window_total(kind, subject, limit)?;
        enforce(self.window_verdict(total, ends, limit))
    }

    /// Count one event of `subject` (an `increment`).
    pub(super) fn window_count(
        &self,
        kind: &str,
        subject: &str,
        limit: Limit,
    ) -> Result<(), FlowError> {
        let window = self.now_ms() / limit.length_ms;
        self.store
            .increment(&records::count_key(kind, subject, window), 1)?;
        Ok(())
    }

    /// Take back one event of `subject` counted in the current window (one that did not
    /// happen after all); a window already empty stays at zero.
    pub(super) fn window_refund(
        &self,
        kind: &str,
        subject: &str,
        limit: Limit,
    ) -> Result<(), FlowError> {
        let key = records::count_key(kind, subject, self.now_ms() / limit.length_ms);
        if self.counter(&key)? > 0 {
            self.store.increment(&key, -1)?;
        }
        Ok(())
    }

    /// Count one event of `subject` first, then refuse it if it went over the limit
    /// (for attempts that are themselves the thing limited: recovery requests).
    pub(super) fn window_take(
        &self,
        kind: &str,
        subject: &str,
        limit: Limit,
    ) -> Result<(), FlowError> {
        self.window_count(kind, subject, limit)?;
        let (total, ends) = self.window_total(kind, subject, limit)?;
        enforce(self.window_verdict(total - 1, ends, limit))
    }

    /// Refuse when this client address used up its failures.
    pub(super) fn address_gate(&self) -> Result<(), FlowError> {
        match self.client {
            Some(c) => self.window_gate(ADDRESS, &c.throttle_subject(), ADDRESS_FAILURES),
            None => Ok(()),
        }
    }

    /// Count a failure against this client address.
    pub(super) fn address_failed(&self) -> Result<(), FlowError> {
        match self.client {
            Some(c) => self.window_count(ADDRESS, &c.throttle_subject(), ADDRESS_FAILURES),
            None => Ok(()),
        }
    }

    /// The consecutive password failures of an address (`email_input` normalised and
    /// hashed, so unknown addresses are kept the same way): the counter, the time of the
    /// last failure, and what a release-1 record still holds.
    fn password_failures(&self, email_input: &str) -> Result<PasswordFailures, FlowError> {
        let subject = sha256_hex(&email_input.trim().to_lowercase());
        let own = self.counter(&records::count_key(PASSWORD, &subject, 0))?;
        let at_ms = match self.store.get(&records::password_failure_key(&subject))? {
            Some(b) => records::decode::<PasswordFailureRecord>(&b, records::VERSION_1)?.at_ms,
            None => 0,
        };
        let legacy = match self.store.get(&v1::password_throttle_key(&subject))? {
            Some(b) => records::decode::<v1::Versioned<v1::CounterRecord>>(&b, 1)?
                .value
                .to_domain(),
            None => FailureCounter::default(),
        };
        let failures = u32::try_from(own.max(0))
            .unwrap_or(u32::MAX)
            .saturating_add(legacy.failures);
        let locked_until_ms = delay_after(failures, PASSWORD_FREE_FAILURES)
            .map_or(0, |d| at_ms.saturating_add(d))
            .max(legacy.locked_until_ms);
        Ok(PasswordFailures {
            subject,
            own,
            legacy: legacy.failures > 0,
            counter: FailureCounter {
                failures,
                locked_until_ms,
            },
        })
    }

    /// Refuse a password attempt for this address while it is locked (reads only). The
    /// answer goes to [`Service::password_outcome`] after the check.
    pub(super) fn password_gate(&self, email_input: &str) -> Result<PasswordFailures, FlowError> {
        let failures = self.password_failures(email_input)?;
        enforce(failures.counter.verdict(self.now_ms()))?;
        Ok(failures)
    }

    /// Record the outcome of a password check for the address `failures` was read for:
    /// a failure is an `increment` and the time of it; a success after failures takes
    /// them back.
    pub(super) fn password_outcome(
        &self,
        failures: PasswordFailures,
        ok: bool,
    ) -> Result<(), FlowError> {
        if ok {
            return self.password_reset(&failures);
        }
        let n = self
            .store
            .increment(&records::count_key(PASSWORD, &failures.subject, 0), 1)?;
        if n <= i64::from(MAX_CONSECUTIVE_FAILURES) {
            let record = PasswordFailureRecord {
                v: records::VERSION_1,
                at_ms: self.now_ms(),
            };
            self.store.set(
                &records::password_failure_key(&failures.subject),
                &records::encode(&record)?,
            )?;
        }
        self.address_failed()
    }

    /// Forget the password failures `failures` counted (failures counted meanwhile by
    /// concurrent requests stay).
    fn password_reset(&self, failures: &PasswordFailures) -> Result<(), FlowError> {
        if failures.own > 0 {
            self.store.increment(
                &records::count_key(PASSWORD, &failures.subject, 0),
                -failures.own,
            )?;
        }
        if failures.legacy {
            self.store
                .delete(&v1::password_throttle_key(&failures.subject))?;
        }
        Ok(())
    }

    /// Support's reset clears the password lock of `email` too.
    pub(super) fn password_unlock(&self, email: &Email) -> Result<(), FlowError> {
        self.password_reset(&self.password_failures(email.as_str())?)
    }

    /// Inside an account update: refuse a code while the account's code lock holds.
    pub(super) fn code_gate(&self, account: &Account) -> Result<(), FlowError> {
        enforce(account.code_throttle.verdict(self.now_ms()))
    }

    /// Inside an account update: record a wrong code and its audit events. Returns the
    /// address to send the lock notice to when this failure started a lock, for
    /// [`Service::after_code_failure`].
    pub(super) fn code_failed(&self, account: &mut Account) -> Option<Recipient> {
        let started = account
            .code_throttle
            .fail(self.now_ms(), CODE_FREE_FAILURES);
        self.event(account, super::AuditKind::CodeRejected);
        if !started {
            return None;
        }
        self.event(account, super::AuditKind::LockedOut);
        Some(account.recipient())
    }

    /// Inside an account update: a right code resets the counter.
    pub(super) fn code_succeeded(account: &mut Account) {
        account.code_throttle = FailureCounter::default();
    }

    /// After a wrong code was recorded: count it against the client address, and when
    /// it started a lock (`lock_notice`, from [`Service::code_failed`]), queue one
    /// notice e-mail.
    pub(super) fn after_code_failure(
        &self,
        lock_notice: Option<Recipient>,
    ) -> Result<(), FlowError> {
        self.address_failed()?;
        if let Some(to) = lock_notice {
            self.mail(&to, "locked", &[]);
        }
        Ok(())
    }
}
