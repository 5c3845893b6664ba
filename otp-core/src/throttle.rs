//! Limits on guessing (NIST SP 800-63B §5.2.2 "Rate Limiting (Throttling)").
//!
//! A six-digit code is one guess in a million only while guesses are bounded. The
//! numbers, per account across all sessions:
//!
//! - **Codes** (sign-in step, activation, deactivation, recovery SMS code): after
//!   [`CODE_FREE_FAILURES`] = 5 consecutive failures the account refuses codes for
//!   1 minute, doubling with each further failure up to 1 hour. A success resets.
//! - **Passwords**: the same growing delay after [`PASSWORD_FREE_FAILURES`] = 10
//!   consecutive failures.
//! - **Hard stop**: at [`MAX_CONSECUTIVE_FAILURES`] = 100 consecutive failures of one
//!   kind the account refuses that kind until recovery or a support reset — so no
//!   sequence of requests ever tries more than 100 in a row (NIST's bound).
//! - **Per client address** (spraying one password across many accounts):
//!   at most [`ADDRESS_MAX_FAILURES`] = 30 failures per [`ADDRESS_WINDOW_MS`] = 15
//!   minutes from one address, whatever the accounts.
//! - **Recovery**: at most 3 recovery e-mails per account per hour (beyond that the
//!   answer is the same 202 and nothing is sent, so the limit reveals nothing), 10
//!   recovery requests per client address per hour (429), 3 text messages per recovery
//!   link and 5 per phone number per day.

use serde::{Deserialize, Serialize};

/// Consecutive code failures allowed before delays start.
pub const CODE_FREE_FAILURES: u32 = 5;
/// Consecutive password failures allowed before delays start.
pub const PASSWORD_FREE_FAILURES: u32 = 10;
/// First delay, in ms (1 minute).
pub const FIRST_DELAY_MS: u64 = 60_000;
/// Longest delay, in ms (1 hour).
pub const MAX_DELAY_MS: u64 = 3_600_000;
/// Consecutive failures after which only recovery or support unlocks.
pub const MAX_CONSECUTIVE_FAILURES: u32 = 100;
/// Failures allowed from one client address per window.
pub const ADDRESS_MAX_FAILURES: u32 = 30;
/// Length of the per-address window, in ms (15 minutes).
pub const ADDRESS_WINDOW_MS: u64 = 15 * 60_000;

/// What a kind of attempt is allowed to do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead and check it.
    Allowed,
    /// Refuse without checking; retry after this many seconds (≥ 1).
    RetryAfter(u64),
    /// Refused until recovery or a support reset.
    LockedOut,
}

/// Consecutive failures of one kind and the lock they caused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureCounter {
    /// Consecutive failures.
    pub failures: u32,
    /// Unix ms until which attempts are refused (0: none).
    pub locked_until_ms: u64,
}

/// Delay after the `failures`-th consecutive failure, with `free` failures allowed:
/// none up to `free − 1`, then 1 min, 2 min, 4 min, … capped at 1 hour.
pub fn delay_after(failures: u32, free: u32) -> Option<u64> {
    let over = failures.checked_sub(free)?;
    let doubled = FIRST_DELAY_MS.checked_shl(over).unwrap_or(MAX_DELAY_MS);
    Some(doubled.min(MAX_DELAY_MS))
}

impl FailureCounter {
    /// May an attempt be checked at `now_ms`?
    pub fn verdict(&self, now_ms: u64) -> Verdict {
        if self.failures >= MAX_CONSECUTIVE_FAILURES {
            return Verdict::LockedOut;
        }
        if now_ms < self.locked_until_ms {
            return Verdict::RetryAfter((self.locked_until_ms - now_ms).div_ceil(1000).max(1));
        }
        Verdict::Allowed
    }

    /// Record a failure at `now_ms` with `free` failures before delays. Returns `true`
    /// when this failure started a new lock (the moment to send one notice e-mail).
    pub fn fail(&mut self, now_ms: u64, free: u32) -> bool {
        self.failures = self.failures.saturating_add(1);
        match delay_after(self.failures, free) {
            Some(delay) => {
                self.locked_until_ms = now_ms.saturating_add(delay);
                self.failures == free
            }
            None => false,
        }
    }

    /// Record a success: the counter starts over.
    pub fn succeed(&mut self) {
        *self = FailureCounter::default();
    }
}

/// A count of events in a fixed window (failures from one address, e-mails sent for one
/// account, text messages sent to one phone).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Unix ms the window started.
    pub start_ms: u64,
    /// Events in it.
    pub count: u32,
}

/// A limit: at most `max` events per `length_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Events allowed per window.
    pub max: u32,
    /// Window length, ms.
    pub length_ms: u64,
}

/// Failures from one client address: 30 per 15 minutes.
pub const ADDRESS_FAILURES: Limit = Limit {
    max: ADDRESS_MAX_FAILURES,
    length_ms: ADDRESS_WINDOW_MS,
};
/// Recovery e-mails per account: 3 per hour.
pub const RECOVERY_EMAILS_PER_ACCOUNT: Limit = Limit {
    max: 3,
    length_ms: 3_600_000,
};
/// Recovery requests from one client address: 10 per hour.
pub const RECOVERY_REQUESTS_PER_ADDRESS: Limit = Limit {
    max: 10,
    length_ms: 3_600_000,
};
/// Text messages to one phone number: 5 per day.
pub const SMS_PER_PHONE: Limit = Limit {
    max: 5,
    length_ms: 24 * 3_600_000,
};
/// Text messages per recovery link.
pub const SMS_PER_LINK: u32 = 3;

impl Window {
    fn current(&self, now_ms: u64, limit: Limit) -> Window {
        if now_ms >= self.start_ms.saturating_add(limit.length_ms) || now_ms < self.start_ms {
            Window {
                start_ms: now_ms,
                count: 0,
            }
        } else {
            *self
        }
    }

    /// May one more event happen at `now_ms` under `limit`?
    pub fn verdict(&self, now_ms: u64, limit: Limit) -> Verdict {
        let window = self.current(now_ms, limit);
        if window.count >= limit.max {
            let end = window.start_ms + limit.length_ms;
            Verdict::RetryAfter((end - now_ms).div_ceil(1000).max(1))
        } else {
            Verdict::Allowed
        }
    }

    /// Count one event at `now_ms`.
    pub fn record(&mut self, now_ms: u64, limit: Limit) {
        *self = self.current(now_ms, limit);
        self.count = self.count.saturating_add(1);
    }
}
