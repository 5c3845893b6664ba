//! OTP setting: setup (a fresh pending secret), activation and deactivation.

use super::{ActivationFailure, AuditKind, FlowError, Service};
use crate::account::OtpState;
use crate::code;
use crate::config::PENDING_TTL_MS;
use crate::password;
use crate::recovery_code::RecoveryCode;
use crate::seal::SealPurpose;
use crate::secret::{GENERATED_LEN, SharedSecret};
use crate::totp::{self, TotpParams};
use crate::uri;

/// What `POST /api/otp/setup` returns, once: the only time the secret leaves the server.
#[derive(Debug)]
pub struct SetupView {
    /// Upper-case unpadded Base32 shared secret.
    pub shared_key: String,
    /// The otpauth URI for the QR code.
    pub otpauth_uri: String,
    /// Parameters.
    pub params: TotpParams,
    /// Unix ms after which activation is refused.
    pub expires_ms: u64,
}

impl Service<'_> {
    /// Issue a fresh 160-bit shared secret, kept sealed as *pending*.
    ///
    /// Errors: `PhoneRequired` (no phone on file), `OtpAlreadyActive`.
    pub fn setup_otp(&self, account_id: &str) -> Result<SetupView, FlowError> {
        let mut raw = vec![0u8; GENERATED_LEN];
        self.rng.fill(&mut raw)?;
        let secret = SharedSecret::from_bytes(raw).map_err(|_| crate::ports::RngError)?;
        let params = self.config.totp;
        let expires_ms = self.now_ms() + PENDING_TTL_MS;
        let sealed = self.config.keys.seal(
            self.rng,
            SealPurpose::TotpSecret,
            account_id,
            secret.as_bytes(),
        )?;
        let email = self.update_account(account_id, |account| {
            if account.phone.is_none() {
                return Err(FlowError::PhoneRequired);
            }
            let suspended_since_ms = match account.otp {
                OtpState::Active { .. } => return Err(FlowError::OtpAlreadyActive),
                OtpState::Disabled => None,
                OtpState::Suspended { since_ms } => Some(since_ms),
                OtpState::Pending {
                    suspended_since_ms, ..
                } => suspended_since_ms,
            };
            account.otp = OtpState::Pending {
                sealed: sealed.clone(),
                params,
                expires_ms,
                suspended_since_ms,
            };
            self.event(account, AuditKind::OtpSetup);
            Ok(account.email.clone())
        })?;
        let otpauth_uri = uri::build(&self.config.issuer, email.as_str(), &secret, &params)
            .map_err(|_| FlowError::InvalidEmail)?;
        Ok(SetupView {
            shared_key: secret.to_base32(),
            otpauth_uri,
            params,
            expires_ms,
        })
    }

    /// Activate the pending secret with the account password and a code from it.
    ///
    /// Any failure but a malformed code discards the pending secret
    /// (`ActivationFailed`) and leaves OTP `disabled`, or `suspended` again when the
    /// setup followed a suspension; the matched step is recorded so the same code cannot
    /// be used again for sign-in. On success the account gets its first set of
    /// recovery codes ([`crate::recovery_code`]): returned here, the only time they are
    /// shown.
    pub fn activate_otp(
        &self,
        account_id: &str,
        password_input: &str,
        code_input: &str,
    ) -> Result<Vec<RecoveryCode>, FlowError> {
        let account = self
            .load_account(account_id)?
            .ok_or(FlowError::NotSignedIn)?;
        let OtpState::Pending { params, .. } = &account.otp else {
            return Err(match account.otp {
                OtpState::Active { .. } => FlowError::OtpAlreadyActive,
                _ => FlowError::NoPendingSetup,
            });
        };
        let code = code::normalise(code_input, params.digits).map_err(FlowError::MalformedCode)?;
        self.address_gate()?;
        let failures = self.password_gate(account.email.as_str())?;
        let password_ok = password::verify(password_input, &account.password_phc);
        self.password_outcome(failures, password_ok)?;
        self.activate_checked(&account, password_ok, &code, true)
    }

    /// Activation once the password was checked (`password_ok`), with a well-formed
    /// code: one write. `make_codes` false activates without recovery codes (prepared
    /// benchmark accounts only).
    pub(super) fn activate_checked(
        &self,
        account: &crate::account::Account,
        password_ok: bool,
        code: &crate::code::Code,
        make_codes: bool,
    ) -> Result<Vec<RecoveryCode>, FlowError> {
        let account_id = account.id.as_str();
        let now_ms = self.now_ms();
        let mut lock_notice = None;
        let mut fresh = None;
        let result = self.update_account(account_id, |account| {
            lock_notice = None;
            self.code_gate(account)?;
            let OtpState::Pending {
                sealed,
                params,
                expires_ms,
                suspended_since_ms,
            } = &account.otp
            else {
                return Err(FlowError::NoPendingSetup);
            };
            // Where a failed activation leaves the account: the pending secret is
            // discarded, a suspension stays a suspension (DESIGN flow 5: the next
            // sign-in still leads to a fresh activation).
            let discarded = suspended_since_ms.map_or(OtpState::Disabled, |since_ms| {
                OtpState::Suspended { since_ms }
            });
            let failure = if *expires_ms <= now_ms {
                Some(ActivationFailure::Expired)
            } else if !password_ok {
                Some(ActivationFailure::WrongPassword)
            } else {
                None
            };
            if let Some(reason) = failure {
                account.otp = discarded;
                self.event(account, AuditKind::OtpActivationFailed);
                return Err(FlowError::ActivationFailed(reason));
            }
            let bytes = self
                .config
                .keys
                .open(SealPurpose::TotpSecret, account_id, sealed)?;
            let secret = SharedSecret::from_bytes(bytes.to_vec())
                .map_err(|_| crate::seal::SealError::Malformed)?;
            match totp::verify(params, &secret, code, now_ms / 1000, None) {
                Ok(matched) => {
                    let (codes, set) = match make_codes {
                        true => self.fresh_codes(&mut fresh)?,
                        false => (Vec::new(), None),
                    };
                    account.otp = OtpState::Active {
                        sealed: sealed.clone(),
                        params: *params,
                        activated_ms: now_ms,
                        last_step: matched.step,
                        recovery_codes: set,
                    };
                    Self::code_succeeded(account);
                    account.end_links();
                    self.event(account, AuditKind::OtpActivated);
                    Ok(codes)
                }
                Err(_) => {
                    account.otp = discarded;
                    self.event(account, AuditKind::OtpActivationFailed);
                    lock_notice = self.code_failed(account);
                    Err(FlowError::ActivationFailed(ActivationFailure::WrongCode))
                }
            }
        });
        if let Err(FlowError::ActivationFailed(ActivationFailure::WrongCode)) = &result {
            self.after_code_failure(lock_notice)?;
        }
        result
    }

    /// Deactivate OTP with the account password and a current code.
    ///
    /// Errors: `OtpNotActive`, `MalformedCode`, `InvalidCredentials` (password),
    /// `InvalidCode` (wrong or replayed code), `TooManyAttempts` / `LockedOut`; store
    /// faults.
    pub fn deactivate_otp(
        &self,
        account_id: &str,
        password_input: &str,
        code_input: &str,
    ) -> Result<(), FlowError> {
        self.confirmed_change(account_id, password_input, code_input, |account| {
            account.otp = OtpState::Disabled;
            account.end_links();
            self.event(account, AuditKind::OtpDeactivated);
            Ok(())
        })
    }

    /// A change to active OTP that the person confirms with the account password and a
    /// current code (deactivation, a fresh set of recovery codes): the password checked
    /// under its limits, then one write that consumes the code's time step and makes
    /// `change`; a wrong code is counted like any other.
    ///
    /// Errors: `OtpNotActive`, `MalformedCode`, `InvalidCredentials` (password),
    /// `InvalidCode` (wrong or replayed code), `TooManyAttempts` / `LockedOut`;
    /// otherwise `change`'s own.
    pub(super) fn confirmed_change<T>(
        &self,
        account_id: &str,
        password_input: &str,
        code_input: &str,
        mut change: impl FnMut(&mut crate::account::Account) -> Result<T, FlowError>,
    ) -> Result<T, FlowError> {
        let account = self
            .load_account(account_id)?
            .ok_or(FlowError::NotSignedIn)?;
        let OtpState::Active { params, .. } = &account.otp else {
            return Err(FlowError::OtpNotActive);
        };
        code::normalise(code_input, params.digits).map_err(FlowError::MalformedCode)?;
        self.address_gate()?;
        let failures = self.password_gate(account.email.as_str())?;
        let password_ok = password::verify(password_input, &account.password_phc);
        self.password_outcome(failures, password_ok)?;
        if !password_ok {
            return Err(FlowError::InvalidCredentials);
        }
        let mut lock_notice = None;
        let outcome = self.update_account(account_id, |account| {
            self.consume_code(account, code_input, &mut lock_notice)?;
            change(account)
        });
        if let Err(FlowError::InvalidCode) = &outcome {
            self.after_code_failure(lock_notice)?;
        }
        outcome
    }
}
