//! The operator's endpoints behind the `admin_token` bearer: support's OTP reset (in
//! [`super::recovery`]) and the store conformance check, which runs
//! [`crate::contract`] against the key-value store this deployment really uses, one
//! step per request, so the workers of a check can be parallel requests to one
//! instance or to several sharing the store.

use super::{FlowError, Service};
use crate::contract::{Check, Report, Violation};

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

    /// One step of `check` in conformance run `run`; the inner result is what the
    /// store did (a worker's [`Report`], empty for the other steps, or the
    /// [`Violation`] seen).
    ///
    /// Errors: those of [`Service::authorize_admin`]; `InvalidWorker` for a worker
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
