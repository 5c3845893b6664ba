//! Sign-in (password, then the code when OTP is active), sessions and sign-out.

use super::{AuditKind, FlowError, Service};
use crate::account::{Account, Challenge, OtpState, Session};
use crate::code;
use crate::config::{CHALLENGE_MAX_FAILURES, CHALLENGE_TTL_MS, SESSION_TTL_MS};
use crate::identity::Email;
use crate::password;
use crate::records::{self, v1};
use crate::seal::SealPurpose;
use crate::secret::SharedSecret;
use crate::tokens::{AccountToken, ClientToken, constant_time_eq};
use crate::totp::{self, VerifyError};

/// Outcome of the password step (`POST /api/session`).
#[derive(Debug)]
pub enum SignIn {
    /// Signed in: the session token for the cookie.
    SignedIn(AccountToken),
    /// OTP is active: the challenge token to send back with the code.
    OtpRequired(AccountToken),
}

impl Service<'_> {
    /// Inside an account update: a new session and its audit event.
    pub(super) fn open_session(&self, account: &mut Account, token: &AccountToken) {
        let now = self.now_ms();
        account.add_session(Session {
            hash: token.hash_hex(),
            created_ms: now,
            expires_ms: now + SESSION_TTL_MS,
        });
        self.event(account, AuditKind::SignedIn);
    }

    /// Check e-mail and password. Unknown addresses cost the same argon2id work and get
    /// the same answer as a wrong password. On success one write: the challenge, or the
    /// session.
    ///
    /// Errors: `InvalidEmail` / `PasswordTooLong` (malformed, nothing counted),
    /// `TooManyAttempts` / `LockedOut`, `InvalidCredentials`.
    pub fn sign_in(&self, email: &str, password_input: &str) -> Result<SignIn, FlowError> {
        // Input that can never be right is refused as bad input and changes nothing
        // (its validity does not depend on whether the address has an account).
        let parsed = Email::parse(email).map_err(|_| FlowError::InvalidEmail)?;
        if password_input.chars().count() > password::MAX_CHARS {
            return Err(FlowError::PasswordTooLong);
        }
        self.address_gate()?;
        let failures = self.password_gate(email)?;
        let account = match self.find_account_id(&parsed)? {
            Some(id) => self.load_account(&id)?,
            None => None,
        };
        let Some(account) = account else {
            password::verify_dummy(password_input);
            self.password_outcome(failures, false)?;
            return Err(FlowError::InvalidCredentials);
        };
        let password_ok = password::verify(password_input, &account.password_phc);
        self.password_outcome(failures, password_ok)?;
        if !password_ok {
            return Err(FlowError::InvalidCredentials);
        }
        self.passed_password(&account.id)
    }

    /// After the password step passed: one write, the challenge (OTP active) or the
    /// session.
    pub(super) fn passed_password(&self, account_id: &str) -> Result<SignIn, FlowError> {
        let token = AccountToken::generate(self.rng, account_id)?;
        self.update_account(account_id, |account| {
            if matches!(account.otp, OtpState::Active { .. }) {
                account.add_challenge(Challenge {
                    hash: token.hash_hex(),
                    expires_ms: self.now_ms() + CHALLENGE_TTL_MS,
                    failures: 0,
                });
                Ok(SignIn::OtpRequired(token.clone()))
            } else {
                self.open_session(account, &token);
                Ok(SignIn::SignedIn(token.clone()))
            }
        })
    }

    /// The code step of sign-in (`POST /api/session/otp`): returns the session token.
    /// One write: the consumed time step, the spent challenge, the session and the audit
    /// event together (or, for a wrong code, the counted failure).
    ///
    /// Errors: `ChallengeExpired` (unknown, expired or spent after
    /// [`CHALLENGE_MAX_FAILURES`] wrong codes), `MalformedCode`, `InvalidCode` (wrong or
    /// replayed), `TooManyAttempts` / `LockedOut`.
    pub fn sign_in_otp(
        &self,
        challenge: &str,
        code_input: &str,
    ) -> Result<AccountToken, FlowError> {
        let named = self.name_challenge(challenge)?;
        self.address_gate()?;
        let session = AccountToken::generate(self.rng, &named.account_id)?;
        let mut lock_notice = None;
        let outcome = self.update_account(&named.account_id, |account| {
            lock_notice = None;
            let index = self.live_challenge(account, &named)?;
            match self.consume_code(account, code_input, &mut lock_notice) {
                Ok(()) => {
                    account.challenges.remove(index);
                    self.open_session(account, &session);
                    Ok(account.email.clone())
                }
                Err(FlowError::InvalidCode) => {
                    account.challenges[index].failures += 1;
                    Err(FlowError::InvalidCode)
                }
                Err(other) => Err(other),
            }
        });
        match outcome {
            Ok(_) => Ok(session),
            Err(FlowError::InvalidCode) => {
                self.after_code_failure(lock_notice)?;
                Err(FlowError::InvalidCode)
            }
            Err(FlowError::NotSignedIn) => Err(FlowError::ChallengeExpired),
            Err(other) => Err(other),
        }
    }

    /// Inside an account update: the index of the pending challenge `named` (a v1
    /// challenge taken in first). One that expired or was spent by
    /// [`CHALLENGE_MAX_FAILURES`] wrong codes is removed and refused.
    ///
    /// Errors: `ChallengeExpired`.
    pub(super) fn live_challenge(
        &self,
        account: &mut Account,
        named: &super::legacy::Named,
    ) -> Result<usize, FlowError> {
        named.take_in(account);
        let index = named
            .challenge(account)
            .ok_or(FlowError::ChallengeExpired)?;
        let spent = &account.challenges[index];
        if spent.failures >= CHALLENGE_MAX_FAILURES || spent.expires_ms <= self.now_ms() {
            account.challenges.remove(index);
            return Err(FlowError::ChallengeExpired);
        }
        Ok(index)
    }

    /// Inside an account update: refuse while locked, check the code against the active
    /// secret, consume its step, and keep the failure counter and the audit log.
    /// `lock_notice` gets the address to notify when this failure started a lock.
    pub(super) fn consume_code(
        &self,
        account: &mut Account,
        code_input: &str,
        lock_notice: &mut Option<crate::account::Recipient>,
    ) -> Result<(), FlowError> {
        *lock_notice = None;
        self.code_gate(account)?;
        match self.check_active_code(account, code_input, self.now_unix()) {
            Ok(()) => {
                Self::code_succeeded(account);
                Ok(())
            }
            Err(FlowError::InvalidCode) => {
                *lock_notice = self.code_failed(account);
                Err(FlowError::InvalidCode)
            }
            Err(other) => Err(other),
        }
    }

    /// Check `code_input` against the account's active secret at `now` (Unix s) and
    /// consume the matched step. Used by sign-in and deactivation.
    fn check_active_code(
        &self,
        account: &mut Account,
        code_input: &str,
        now: u64,
    ) -> Result<(), FlowError> {
        let OtpState::Active {
            sealed,
            params,
            last_step,
            ..
        } = &mut account.otp
        else {
            return Err(FlowError::OtpNotActive);
        };
        let code = code::normalise(code_input, params.digits).map_err(FlowError::MalformedCode)?;
        let bytes = self
            .config
            .keys
            .open(SealPurpose::TotpSecret, &account.id, sealed)?;
        let secret = SharedSecret::from_bytes(bytes.to_vec())
            .map_err(|_| crate::seal::SealError::Malformed)?;
        match totp::verify(params, &secret, &code, now, Some(*last_step)) {
            Ok(matched) => {
                *last_step = matched.step;
                Ok(())
            }
            Err(VerifyError::Mismatch | VerifyError::Replayed) => Err(FlowError::InvalidCode),
            Err(VerifyError::Params(_)) => Err(crate::seal::SealError::Malformed.into()),
        }
    }

    /// The account id of a valid session token (no write).
    pub fn authenticate(&self, session_token: &str) -> Result<String, FlowError> {
        let now = self.now_ms();
        match ClientToken::parse(session_token).ok_or(FlowError::NotSignedIn)? {
            ClientToken::Bound(token) => {
                let account = self
                    .load_account(token.account_id())?
                    .ok_or(FlowError::NotSignedIn)?;
                let hash = token.hash_hex();
                let live = account.sessions.iter().any(|s| {
                    constant_time_eq(s.hash.as_bytes(), hash.as_bytes()) && s.expires_ms > now
                });
                live.then(|| account.id.clone())
                    .ok_or(FlowError::NotSignedIn)
            }
            ClientToken::Legacy(token) => {
                let key = v1::session_key(&token.hash_hex());
                let bytes = self.store.get(&key)?.ok_or(FlowError::NotSignedIn)?;
                let record: v1::SessionRecord = records::decode(&bytes, 1)?;
                if record.expires_ms <= now || self.load_account(&record.account_id)?.is_none() {
                    return Err(FlowError::NotSignedIn);
                }
                Ok(record.account_id)
            }
        }
    }

    /// End a session (`DELETE /api/session`); unknown tokens are ignored.
    pub fn sign_out(&self, session_token: &str) -> Result<(), FlowError> {
        match ClientToken::parse(session_token) {
            Some(ClientToken::Bound(token)) => {
                let hash = token.hash_hex();
                let ended = self.update_account(token.account_id(), |account| {
                    account
                        .sessions
                        .retain(|s| !constant_time_eq(s.hash.as_bytes(), hash.as_bytes()));
                    Ok(())
                });
                match ended {
                    Err(FlowError::NotSignedIn) => Ok(()),
                    other => other,
                }
            }
            Some(ClientToken::Legacy(token)) => {
                Ok(self.store.delete(&v1::session_key(&token.hash_hex()))?)
            }
            None => Ok(()),
        }
    }
}
