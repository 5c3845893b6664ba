//! Sign-in (password, then the code when OTP is active), sessions and sign-out.

use super::{Account, AuditKind, FlowError, OtpState, Service};
use crate::code;
use crate::config::{CHALLENGE_MAX_FAILURES, CHALLENGE_TTL_MS, SESSION_TTL_MS};
use crate::identity::Email;
use crate::password;
use crate::records::{self, ChallengeRecord, SessionRecord};
use crate::seal::SealPurpose;
use crate::secret::SharedSecret;
use crate::tokens::Token;
use crate::totp::{self, VerifyError};

/// Outcome of the password step (`POST /api/session`).
#[derive(Debug)]
pub enum SignIn {
    /// Signed in: the session token for the cookie.
    SignedIn(Token),
    /// OTP is active: the challenge token to send back with the code.
    OtpRequired(Token),
}

impl Service<'_> {
    fn create_session(&self, account_id: &str) -> Result<Token, FlowError> {
        let token = Token::generate(self.rng)?;
        let now = self.now_ms();
        let record = SessionRecord {
            v: records::VERSION,
            account_id: account_id.to_owned(),
            created_ms: now,
            expires_ms: now + SESSION_TTL_MS,
        };
        self.store.set(
            &records::session_key(&token.hash_hex()),
            &records::encode(&record),
        )?;
        self.audit(account_id, AuditKind::SignedIn)?;
        Ok(token)
    }

    /// Check e-mail and password. Unknown addresses cost the same argon2id work and get
    /// the same answer as a wrong password.
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
        self.password_gate(email)?;
        let account = match self.find_account_id(&parsed)? {
            Some(id) => self.load_account(&id)?,
            None => None,
        };
        let Some(account) = account else {
            password::verify_dummy(password_input);
            self.password_outcome(email, false)?;
            return Err(FlowError::InvalidCredentials);
        };
        let password_ok = password::verify(password_input, &account.password_phc);
        self.password_outcome(email, password_ok)?;
        if !password_ok {
            return Err(FlowError::InvalidCredentials);
        }
        if matches!(account.otp, OtpState::Active { .. }) {
            let token = Token::generate(self.rng)?;
            let record = ChallengeRecord {
                v: records::VERSION,
                account_id: account.id.clone(),
                expires_ms: self.now_ms() + CHALLENGE_TTL_MS,
                failures: 0,
            };
            self.store.set(
                &records::challenge_key(&token.hash_hex()),
                &records::encode(&record),
            )?;
            return Ok(SignIn::OtpRequired(token));
        }
        Ok(SignIn::SignedIn(self.create_session(&account.id)?))
    }

    /// The code step of sign-in (`POST /api/session/otp`): returns the session token.
    ///
    /// Errors: `ChallengeExpired` (unknown, expired or spent after
    /// [`CHALLENGE_MAX_FAILURES`] wrong codes), `MalformedCode`, `InvalidCode` (wrong or
    /// replayed; the step is consumed atomically).
    pub fn sign_in_otp(&self, challenge: &str, code_input: &str) -> Result<Token, FlowError> {
        let token = Token::from_client(challenge).ok_or(FlowError::ChallengeExpired)?;
        let key = records::challenge_key(&token.hash_hex());
        let bytes = self.store.get(&key)?.ok_or(FlowError::ChallengeExpired)?;
        let mut record: ChallengeRecord = records::decode(&bytes)?;
        if record.expires_ms <= self.now_ms() || record.failures >= CHALLENGE_MAX_FAILURES {
            self.store.delete(&key)?;
            return Err(FlowError::ChallengeExpired);
        }
        self.address_gate()?;
        let mut lock_started = false;
        let verified = self.update_account(&record.account_id, |account| {
            self.consume_code(account, code_input, &mut lock_started)
                .map(|()| account.email.clone())
        });
        match verified {
            Ok(_) => {
                self.store.delete(&key)?;
                self.create_session(&record.account_id)
            }
            Err(FlowError::InvalidCode) => {
                record.failures += 1;
                // A lost update here only lengthens the challenge's life by a guess;
                // the account's own counter is the bound that matters.
                self.store.set(&key, &records::encode(&record))?;
                let email = self.load_account(&record.account_id)?.map(|a| a.email);
                let email = email.as_ref().map(|e| e.as_str()).unwrap_or_default();
                self.after_code_failure(&record.account_id, email, lock_started)?;
                Err(FlowError::InvalidCode)
            }
            Err(other) => Err(other),
        }
    }

    /// Inside an account update: refuse while locked, check the code against the active
    /// secret, consume its step, and keep the failure counter. `lock_started` tells
    /// whether this failure started a lock.
    pub(super) fn consume_code(
        &self,
        account: &mut Account,
        code_input: &str,
        lock_started: &mut bool,
    ) -> Result<(), FlowError> {
        *lock_started = false;
        self.code_gate(account)?;
        match self.check_active_code(account, code_input, self.now_unix()) {
            Ok(()) => {
                Self::code_succeeded(account);
                Ok(())
            }
            Err(FlowError::InvalidCode) => {
                *lock_started = self.code_failed(account);
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

    /// The account id of a valid session token.
    pub fn authenticate(&self, session_token: &str) -> Result<String, FlowError> {
        let token = Token::from_client(session_token).ok_or(FlowError::NotSignedIn)?;
        let key = records::session_key(&token.hash_hex());
        let bytes = self.store.get(&key)?.ok_or(FlowError::NotSignedIn)?;
        let record: SessionRecord = records::decode(&bytes)?;
        if record.expires_ms <= self.now_ms() {
            self.store.delete(&key)?;
            return Err(FlowError::NotSignedIn);
        }
        Ok(record.account_id)
    }

    /// End a session (`DELETE /api/session`); unknown tokens are ignored.
    pub fn sign_out(&self, session_token: &str) -> Result<(), FlowError> {
        if let Some(token) = Token::from_client(session_token) {
            self.store
                .delete(&records::session_key(&token.hash_hex()))?;
        }
        Ok(())
    }
}
