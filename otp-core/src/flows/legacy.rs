//! Tokens a client sends back, of this release ([`AccountToken`]) or of release 1
//! (stored under their own keys, [`crate::records::v1`]): which account and which entry
//! of it they name.

use super::{FlowError, Service};
use crate::account::{Account, Challenge, RecoveryLink};
use crate::records::{self, v1};
use crate::tokens::{ClientToken, constant_time_eq};

/// A v1 entry to take into the account record on first use.
#[derive(Debug, Clone)]
pub(super) enum LegacyEntry {
    Challenge(Challenge),
    Link(RecoveryLink),
}

/// What a challenge or link token names.
#[derive(Debug, Clone)]
pub(super) struct Named {
    pub account_id: String,
    /// SHA-256 hex of the token's secret (v1: of the whole token).
    pub hash: String,
    pub legacy: Option<LegacyEntry>,
}

impl Named {
    /// Inside an account update: take a v1 entry in, once.
    pub fn take_in(&self, account: &mut Account) {
        let Some(legacy) = &self.legacy else { return };
        if account.legacy_seen.iter().any(|h| h == &self.hash) {
            return;
        }
        account.remember_legacy(&self.hash);
        match legacy {
            LegacyEntry::Challenge(c) => account.add_challenge(c.clone()),
            LegacyEntry::Link(l) => account.add_link(l.clone()),
        }
    }

    /// Index of the challenge this token names.
    pub fn challenge(&self, account: &Account) -> Option<usize> {
        account
            .challenges
            .iter()
            .position(|c| constant_time_eq(c.hash.as_bytes(), self.hash.as_bytes()))
    }

    /// Index of the recovery link this token names.
    pub fn link(&self, account: &Account) -> Option<usize> {
        account
            .links
            .iter()
            .position(|l| constant_time_eq(l.hash.as_bytes(), self.hash.as_bytes()))
    }

    /// The link as it would be after [`Named::take_in`], without writing.
    pub fn peek_link(&self, account: &Account) -> Option<RecoveryLink> {
        let mut copy = account.clone();
        self.take_in(&mut copy);
        self.link(&copy).map(|i| copy.links[i].clone())
    }
}

impl Service<'_> {
    /// The account and entry a challenge token names; `ChallengeExpired` for anything
    /// that cannot be one.
    pub(super) fn name_challenge(&self, token: &str) -> Result<Named, FlowError> {
        match ClientToken::parse(token).ok_or(FlowError::ChallengeExpired)? {
            ClientToken::Bound(t) => Ok(Named {
                account_id: t.account_id().to_owned(),
                hash: t.hash_hex(),
                legacy: None,
            }),
            ClientToken::Legacy(t) => {
                let hash = t.hash_hex();
                let bytes = self
                    .store
                    .get(&v1::challenge_key(&hash))?
                    .ok_or(FlowError::ChallengeExpired)?;
                let record: v1::ChallengeRecord = records::decode(&bytes, 1)?;
                Ok(Named {
                    account_id: record.account_id.clone(),
                    legacy: Some(LegacyEntry::Challenge(record.to_domain(&hash))),
                    hash,
                })
            }
        }
    }

    /// The account and entry a recovery link token names; `LinkExpired` otherwise.
    pub(super) fn name_link(&self, token: &str) -> Result<Named, FlowError> {
        match ClientToken::parse(token).ok_or(FlowError::LinkExpired)? {
            ClientToken::Bound(t) => Ok(Named {
                account_id: t.account_id().to_owned(),
                hash: t.hash_hex(),
                legacy: None,
            }),
            ClientToken::Legacy(t) => self.name_v1_link(&t.hash_hex()),
        }
    }

    /// A v1 link by its token hash.
    pub(super) fn name_v1_link(&self, hash: &str) -> Result<Named, FlowError> {
        let bytes = self
            .store
            .get(&v1::recovery_key(hash))?
            .ok_or(FlowError::LinkExpired)?;
        let record: v1::RecoveryRecord = records::decode(&bytes, 1)?;
        Ok(Named {
            account_id: record.account_id.clone(),
            legacy: Some(LegacyEntry::Link(record.to_domain(hash))),
            hash: hash.to_owned(),
        })
    }
}
