//! The operator's endpoints behind the `admin_token` bearer: support's OTP reset (in
//! [`super::recovery`]), the re-sealing sweep of key rotation ([`Service::reseal_accounts`])
//! and the store conformance check, which runs
//! [`crate::contract`] against the key-value store this deployment really uses, one
//! step per request, so the workers of a check can be parallel requests to one
//! instance or to several sharing the store.

use super::{FlowError, Service};
use crate::account::Reseal;
use crate::contract::{Check, Report, Violation};
use crate::seal::SealError;

/// Accounts one call of [`Service::reseal_accounts`] looks at, at most.
pub const RESEAL_PAGE: usize = 100;

/// What one page of the re-sealing sweep did (the JSON answer of
/// `POST /api/admin/reseal`, docs/http-api.md).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ResealPage {
    /// Accounts looked at.
    pub examined: u64,
    /// Secrets moved to the current key.
    pub resealed: u64,
    /// Secrets already under it.
    pub current: u64,
    /// Accounts without a secret (OTP disabled or suspended).
    pub without_secret: u64,
    /// Ids of accounts whose secret opens with no configured key (keep that key, or
    /// reset their OTP).
    pub failed: Vec<String>,
    /// Where the next page starts; `None` when the sweep is done.
    pub next: Option<String>,
}

/// The id of one conformance run: 1–40 characters `a-z`, `0-9`, `-`. Its keys are
/// [`crate::records::contract_prefix`]`(run)/…`, apart from every record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractRun(String);

impl ContractRun {
    /// `None` when `run` is empty, longer than 40 characters or has other characters.
    pub fn parse(run: &str) -> Option<ContractRun> {
        let valid = (1..=40).contains(&run.len())
            && run
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        valid.then(|| ContractRun(run.to_owned()))
    }
}

/// One step of a check ([`Check::prepare`], [`Check::work`], [`Check::verify`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractStep {
    /// Set the check's keys up.
    Prepare,
    /// Worker number `n` (`0..check.workers()`).
    Work(usize),
    /// Check the store against every worker's report.
    Verify(Vec<Report>),
}

impl Service<'_> {
    /// Refuses unless `presented` is the configured `admin_token` (compared in constant
    /// time).
    ///
    /// Errors: `AdminAuthRequired` (none presented), `AdminForbidden` (wrong, or no
    /// `admin_token` configured).
    pub(crate) fn authorize_admin(&self, presented: Option<&str>) -> Result<(), FlowError> {
        let presented = presented.ok_or(FlowError::AdminAuthRequired)?;
        let allowed = self
            .config
            .admin_token
            .as_ref()
            .is_some_and(|t| t.matches(presented));
        if allowed {
            Ok(())
        } else {
            Err(FlowError::AdminForbidden)
        }
    }

    /// One page of the sweep that re-seals every account's secret under the current
    /// sealing key, so an older key can be removed from `seal_keys` afterwards: the
    /// accounts after `after` (a cursor from the previous page; `None`: from the
    /// start), at most `limit` (1–[`RESEAL_PAGE`]). Idempotent and resumable: a
    /// page run again re-seals nothing new, and a sweep cut short continues from its
    /// last cursor. Each re-seal is one conditional write of its account.
    ///
    /// Errors: `AdminAuthRequired` (no token presented), `AdminForbidden` (a wrong one, or
    /// no `admin_token` configured); store and randomness faults.
    pub fn reseal_accounts(
        &self,
        presented_token: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<ResealPage, FlowError> {
        self.authorize_admin(presented_token)?;
        let prefix = crate::records::account_key("");
        let after_key = after.map(crate::records::account_key);
        let limit = limit.clamp(1, RESEAL_PAGE);
        let keys = self
            .store
            .keys_after(&prefix, after_key.as_deref(), limit)?;
        let mut page = ResealPage::default();
        for key in &keys {
            let id = &key[prefix.len()..];
            page.examined += 1;
            let outcome =
                self.update_account(
                    id,
                    |account| Ok(account.reseal(&self.config.keys, self.rng)),
                );
            match outcome {
                Ok(Ok(Reseal::Resealed)) => page.resealed += 1,
                Ok(Ok(Reseal::Current)) => page.current += 1,
                Ok(Ok(Reseal::NoSecret)) => page.without_secret += 1,
                Ok(Err(SealError::Rng(e))) => return Err(e.into()),
                Ok(Err(_)) => page.failed.push(id.to_owned()),
                // Gone since the listing (an unfinished registration's record).
                Err(FlowError::NotSignedIn) => page.examined -= 1,
                Err(e) => return Err(e),
            }
        }
        page.next = (keys.len() == limit)
            .then(|| keys.last().map(|k| k[prefix.len()..].to_owned()))
            .flatten();
        Ok(page)
    }

    /// One step of `check` in conformance run `run`; the inner result is what the
    /// store did (a worker's [`Report`], empty for the other steps, or the
    /// [`Violation`] seen).
    ///
    /// Errors: `AdminAuthRequired` (no token presented), `AdminForbidden` (a wrong one, or
    /// no `admin_token` configured); `InvalidWorker` for a worker
    /// number outside `0..check.workers()`.
    pub fn store_contract(
        &self,
        presented_token: Option<&str>,
        run: &ContractRun,
        check: Check,
        step: &ContractStep,
    ) -> Result<Result<Report, Violation>, FlowError> {
        self.authorize_admin(presented_token)?;
        let prefix = crate::records::contract_prefix(&run.0);
        Ok(match step {
            ContractStep::Prepare => check.prepare(self.store, &prefix).map(|()| Vec::new()),
            ContractStep::Work(n) if *n < check.workers() => check.work(self.store, &prefix, *n),
            ContractStep::Work(_) => return Err(FlowError::InvalidWorker),
            ContractStep::Verify(reports) => check
                .verify(self.store, &prefix, reports)
                .map(|()| Vec::new()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_short_lower_case_tokens() {
        assert!(ContractRun::parse("sqlite-1").is_some());
        assert!(ContractRun::parse(&"a".repeat(40)).is_some());
        for bad in ["", "A", "a/b", "a b", "../x", &"a".repeat(41)] {
            assert_eq!(ContractRun::parse(bad), None, "{bad:?}");
        }
    }
}
