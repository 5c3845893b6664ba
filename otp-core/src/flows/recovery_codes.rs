//! Recovery codes ([`crate::recovery_code`]): signing in with one instead of a TOTP
//! code, and a fresh set on request. A set is made on activation
//! ([`Service::activate_otp`]) and lives inside the active OTP state, so deactivation,
//! the recovery flow's suspension and a support reset end it.
//!
//! A recovery code counts exactly like a TOTP code: the same sign-in challenge and its
//! tries, the same account lockout ([`crate::throttle`]), the same per-address count.

use super::{AuditKind, FlowError, Service};
use crate::account::{Account, OtpState};
use crate::i18n::Arg;
use crate::recovery_code::{self, CodeSet, RecoveryCode};
use crate::tokens::AccountToken;

/// A set made once per request and reused by every round of its write.
pub(super) type Fresh = Option<(Vec<RecoveryCode>, CodeSet)>;

impl Service<'_> {
    /// The codes to show and the set to store, made on first call (ten argon2id hashes)
    /// and reused by later rounds of the same write.
    pub(super) fn fresh_codes(
        &self,
        memo: &mut Fresh,
    ) -> Result<(Vec<RecoveryCode>, Option<CodeSet>), FlowError> {
        let made = match memo.take() {
            Some(made) => made,
            None => CodeSet::generate(self.rng, self.now_ms())?,
        };
        let copy = (made.0.clone(), Some(made.1.clone()));
        *memo = Some(made);
        Ok(copy)
    }

    /// The sign-in step with a recovery code instead of a TOTP code
    /// (`POST /api/session/recovery-code`): returns the session token. One write: the
    /// used code removed, the spent challenge, the session, the audit event
    /// `recovery_code_used`; then a notice e-mail with the number of codes left. OTP stays
    /// active.
    ///
    /// Errors: `MalformedRecoveryCode` (nothing counted), `ChallengeExpired`,
    /// `NoRecoveryCodes` (none left or never made; nothing counted),
    /// `WrongRecoveryCode` (counted like a wrong TOTP code), `TooManyAttempts` /
    /// `LockedOut`.
    pub fn sign_in_recovery_code(
        &self,
        challenge: &str,
        typed: &str,
    ) -> Result<AccountToken, FlowError> {
        let typed = recovery_code::normalise(typed).map_err(FlowError::MalformedRecoveryCode)?;
        let named = self.name_challenge(challenge)?;
        self.address_gate()?;
        let session = AccountToken::generate(self.rng, &named.account_id)?;
        let mut lock_notice = None;
        let mut derived: Option<(Vec<u8>, [u8; 32])> = None;
        let outcome = self.update_account(&named.account_id, |account| {
            lock_notice = None;
            let index = self.live_challenge(account, &named)?;
            self.code_gate(account)?;
            let OtpState::Active { recovery_codes, .. } = &mut account.otp else {
                return Err(FlowError::OtpNotActive);
            };
            let set = recovery_codes
                .as_mut()
                .filter(|set| set.left() > 0)
                .ok_or(FlowError::NoRecoveryCodes)?;
            // One derivation per request, unless the set changed between rounds.
            let hash = match &derived {
                Some((salt, hash)) if *salt == set.salt => *hash,
                _ => {
                    let hash = set
                        .hash(&typed)
                        .ok_or(FlowError::from(recovery_code::CodeSetError::Kdf))?;
                    derived = Some((set.salt.clone(), hash));
                    hash
                }
            };
            if set.take(&hash) {
                let left = set.left();
                account.challenges.remove(index);
                Self::code_succeeded(account);
                self.event(account, AuditKind::RecoveryCodeUsed);
                self.open_session(account, &session);
                Ok((account.recipient(), left))
            } else {
                account.challenges[index].failures += 1;
                lock_notice = self.code_failed(account);
                Err(FlowError::WrongRecoveryCode)
            }
        });
        match outcome {
            Ok((to, left)) => {
                self.mail(
                    &to,
                    "recovery-code-used",
                    &[("left", Arg::Number(left as u64))],
                );
                Ok(session)
            }
            Err(FlowError::WrongRecoveryCode) => {
                self.after_code_failure(lock_notice)?;
                Err(FlowError::WrongRecoveryCode)
            }
            Err(FlowError::NotSignedIn) => Err(FlowError::ChallengeExpired),
            Err(other) => Err(other),
        }
    }

    /// A fresh set of recovery codes (`POST /api/otp/recovery-codes`), confirmed with the
    /// password and a current TOTP code: the old set stops working in the same write.
    /// Returns the new codes, the only time they are shown.
    ///
    /// Errors: `OtpNotActive`, `MalformedCode`, `InvalidCredentials` (password),
    /// `InvalidCode` (wrong or replayed code), `TooManyAttempts` / `LockedOut`; store
    /// and randomness faults.
    pub fn regenerate_recovery_codes(
        &self,
        account_id: &str,
        password_input: &str,
        code_input: &str,
    ) -> Result<Vec<RecoveryCode>, FlowError> {
        let mut fresh = None;
        self.confirmed_change(account_id, password_input, code_input, |account| {
            let (codes, set) = self.fresh_codes(&mut fresh)?;
            replace_codes(account, set);
            self.event(account, AuditKind::RecoveryCodesRegenerated);
            Ok(codes)
        })
    }
}

/// Inside an account update: the active OTP's codes become `set`.
fn replace_codes(account: &mut Account, set: Option<CodeSet>) {
    if let OtpState::Active { recovery_codes, .. } = &mut account.otp {
        *recovery_codes = set;
    }
}
