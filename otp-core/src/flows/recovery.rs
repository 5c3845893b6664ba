//! "I lost my OTP keychain": recovery by e-mail link, text message code and CAPTCHA
//! (DESIGN.md flow 5), and the support reset (flow 6).
//!
//! 1. [`Service::request_recovery`]: the same answer whether or not the address has an
//!    account or OTP; when it has active OTP, an e-mail with a single-use link (256-bit
//!    token, only its hash stored, 30 minutes) to `public_base_url/recovery.html#TOKEN`.
//! 2. [`Service::recovery_view`]: the masked phone on file.
//! 3. [`Service::recovery_send_sms`]: the typed phone must equal the one on file (E.164);
//!    a 6-digit code, stored hashed, 10 minutes, 5 tries, at most 3 per link and 5 per
//!    phone per day.
//! 4. [`Service::recovery_confirm`]: CAPTCHA passed (checked by the platform) and the
//!    right code → OTP `suspended`, the link spent, a notice e-mail. Wrong codes count
//!    against the account's code limit like any OTP code.
//! 5. [`Service::admin_reset`]: support, with the `admin_token` bearer, suspends OTP;
//!    audited with the reason, notice e-mailed.

use super::limits::enforce;
use super::{AuditKind, FlowError, OtpState, Service};
use crate::config::{
    RECOVERY_LINK_TTL_MS, RECOVERY_PHONE_MAX_MISMATCHES, RECOVERY_SMS_MAX_TRIES,
    RECOVERY_SMS_TTL_MS,
};
use crate::identity::{Email, Phone};
use crate::ports::Message;
use crate::records::{self, RecoveryRecord, SmsCodeRecord, SmsIndexRecord};
use crate::throttle::{
    RECOVERY_EMAILS_PER_ACCOUNT, RECOVERY_REQUESTS_PER_ADDRESS, SMS_PER_LINK, SMS_PER_PHONE,
    Verdict,
};
use crate::tokens::{Token, constant_time_eq};
use sha2::{Digest, Sha256};

/// What the recovery page shows (`GET /api/recovery/{token}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryView {
    /// Masked phone on file (`+44 ••••••••56`), or `None`: contact support.
    pub phone_hint: Option<String>,
    /// Last delivery status reported by the SMS provider, if a code was sent.
    pub sms_status: Option<String>,
    /// Text messages this link may still send.
    pub sms_sends_left: u32,
}

/// Longest support reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;

fn sha256_hex(data: &str) -> String {
    hex::encode(Sha256::digest(data.as_bytes()))
}

fn code_hash(link_hash: &str, code: &str) -> String {
    sha256_hex(&format!("{link_hash}:{code}"))
}

impl Service<'_> {
    /// Start recovery for an address. Always `Ok(())` for a well-formed request (202),
    /// whatever the address; `TooManyAttempts` only for the client address's own limit.
    pub fn request_recovery(&self, email_input: &str) -> Result<(), FlowError> {
        if let Some(address) = &self.client {
            let key = records::recovery_address_throttle_key(address);
            enforce(self.window(&key, RECOVERY_REQUESTS_PER_ADDRESS, true)?)?;
        }
        let Ok(email) = Email::parse(email_input) else {
            return Ok(());
        };
        let Some(account) = self
            .find_account_id(&email)?
            .map(|id| self.load_account(&id))
            .transpose()?
            .flatten()
        else {
            return Ok(());
        };
        if !matches!(account.otp, OtpState::Active { .. }) {
            return Ok(());
        }
        let window_key = records::recovery_email_throttle_key(&account.id);
        if self.window(&window_key, RECOVERY_EMAILS_PER_ACCOUNT, true)? != Verdict::Allowed {
            return Ok(());
        }
        let token = Token::generate(self.rng)?;
        let record = RecoveryRecord {
            v: records::VERSION,
            account_id: account.id.clone(),
            expires_ms: self.now_ms() + RECOVERY_LINK_TTL_MS,
            phone_mismatches: 0,
            sms_sends: 0,
            sms: None,
            sms_status: None,
        };
        self.store.set(
            &records::recovery_key(&token.hash_hex()),
            &records::encode(&record),
        )?;
        self.audit(&account.id, AuditKind::RecoveryRequested)?;
        self.outbox.queue(Message::Email {
            to: email.as_str().to_owned(),
            subject: "Recover access to your account".to_owned(),
            body: format!(
                "Someone (hopefully you) said the OTP keychain for this account is lost.\n\n\
                 To turn OTP off temporarily, open this link within 30 minutes:\n{}/recovery.html#{}\n\n\
                 You will confirm your phone number and enter a code we text you. \
                 If this was not you, ignore this e-mail: nothing changes.",
                self.config.public_base_url,
                token.as_str()
            ),
        });
        Ok(())
    }

    /// Load a live recovery link: `(key, record)`, or `LinkExpired`.
    fn recovery_link(&self, token: &str) -> Result<(String, Vec<u8>, RecoveryRecord), FlowError> {
        let token = Token::from_client(token).ok_or(FlowError::LinkExpired)?;
        let key = records::recovery_key(&token.hash_hex());
        let bytes = self.store.get(&key)?.ok_or(FlowError::LinkExpired)?;
        let record: RecoveryRecord = records::decode(&bytes)?;
        if record.expires_ms <= self.now_ms()
            || record.phone_mismatches >= RECOVERY_PHONE_MAX_MISMATCHES
        {
            self.store.delete(&key)?;
            return Err(FlowError::LinkExpired);
        }
        Ok((key, bytes, record))
    }

    /// Write a changed recovery record, only if nobody else changed it meanwhile.
    fn save_link(
        &self,
        key: &str,
        before: &[u8],
        record: &RecoveryRecord,
    ) -> Result<(), FlowError> {
        if self
            .store
            .compare_and_swap(key, Some(before), &records::encode(record))?
        {
            Ok(())
        } else {
            Err(super::InternalError::Contention.into())
        }
    }

    /// What the recovery page shows for a link.
    pub fn recovery_view(&self, token: &str) -> Result<RecoveryView, FlowError> {
        let (_, _, record) = self.recovery_link(token)?;
        let account = self
            .load_account(&record.account_id)?
            .ok_or(FlowError::LinkExpired)?;
        Ok(RecoveryView {
            phone_hint: account.phone.as_ref().map(Phone::masked),
            sms_status: record.sms_status,
            sms_sends_left: SMS_PER_LINK.saturating_sub(record.sms_sends),
        })
    }

    /// Confirm the phone on file and text it a fresh 6-digit code.
    pub fn recovery_send_sms(&self, token: &str, phone_input: &str) -> Result<(), FlowError> {
        let (key, before, mut record) = self.recovery_link(token)?;
        let typed = Phone::parse(phone_input).map_err(|_| FlowError::InvalidPhone)?;
        let account = self
            .load_account(&record.account_id)?
            .ok_or(FlowError::LinkExpired)?;
        let on_file = account.phone.ok_or(FlowError::NoPhoneOnFile)?;
        if !constant_time_eq(typed.as_str().as_bytes(), on_file.as_str().as_bytes()) {
            record.phone_mismatches += 1;
            self.save_link(&key, &before, &record)?;
            self.audit(&record.account_id, AuditKind::RecoveryPhoneMismatch)?;
            return Err(FlowError::PhoneMismatch);
        }
        if record.sms_sends >= SMS_PER_LINK {
            return Err(FlowError::TooManyAttempts {
                retry_after_s: record
                    .expires_ms
                    .saturating_sub(self.now_ms())
                    .div_ceil(1000),
            });
        }
        let phone_key = records::sms_phone_throttle_key(&sha256_hex(on_file.as_str()));
        enforce(self.window(&phone_key, SMS_PER_PHONE, true)?)?;
        let code = self.six_digit_code()?;
        let link_hash = key.trim_start_matches("recovery/").to_owned();
        record.sms_sends += 1;
        record.sms_status = Some("sending".to_owned());
        record.sms = Some(SmsCodeRecord {
            code_hash: code_hash(&link_hash, &code),
            expires_ms: self.now_ms() + RECOVERY_SMS_TTL_MS,
            tries: 0,
        });
        self.save_link(&key, &before, &record)?;
        self.audit(&record.account_id, AuditKind::RecoverySmsSent)?;
        self.outbox.queue(Message::Sms {
            to: on_file.as_str().to_owned(),
            body: format!(
                "{code} is your {} recovery code. It expires in 10 minutes. Never share it.",
                self.config.issuer.as_str()
            ),
            reference: Some(link_hash),
        });
        Ok(())
    }

    /// A uniformly random 6-digit code (rejection sampling, no modulo bias).
    fn six_digit_code(&self) -> Result<String, FlowError> {
        const LIMIT: u32 = u32::MAX - u32::MAX % 1_000_000;
        loop {
            let mut bytes = [0u8; 4];
            self.rng.fill(&mut bytes)?;
            let n = u32::from_be_bytes(bytes);
            if n < LIMIT {
                return Ok(format!("{:06}", n % 1_000_000));
            }
        }
    }

    /// Check what can be checked before asking the CAPTCHA provider (a live link, a
    /// well-formed code, a code that was sent and is still valid), so a person's CAPTCHA
    /// answer is not spent on a request that fails anyway. Changes nothing.
    pub fn recovery_precheck(&self, token: &str, code_input: &str) -> Result<(), FlowError> {
        let (_, _, record) = self.recovery_link(token)?;
        crate::code::normalise(code_input, 6).map_err(FlowError::MalformedCode)?;
        match &record.sms {
            Some(sms) if sms.expires_ms > self.now_ms() && sms.tries < RECOVERY_SMS_MAX_TRIES => {
                Ok(())
            }
            _ => Err(FlowError::SmsCodeRequired),
        }
    }

    /// Finish recovery: `captcha_passed` is the platform's CAPTCHA verdict.
    pub fn recovery_confirm(
        &self,
        token: &str,
        code_input: &str,
        captcha_passed: bool,
    ) -> Result<(), FlowError> {
        self.recovery_precheck(token, code_input)?;
        if !captcha_passed {
            return Err(FlowError::CaptchaFailed);
        }
        let (key, before, mut record) = self.recovery_link(token)?;
        let typed = crate::code::normalise(code_input, 6).map_err(FlowError::MalformedCode)?;
        let Some(sms) = record.sms.clone() else {
            return Err(FlowError::SmsCodeRequired);
        };
        self.address_gate()?;
        let link_hash = key.trim_start_matches("recovery/");
        let right = constant_time_eq(
            code_hash(link_hash, typed.as_str()).as_bytes(),
            sms.code_hash.as_bytes(),
        );
        let mut lock_started = false;
        let outcome = self.update_account(&record.account_id, |account| {
            lock_started = false;
            self.code_gate(account)?;
            if !right {
                lock_started = self.code_failed(account);
                return Err(FlowError::WrongSmsCode);
            }
            if !matches!(account.otp, OtpState::Active { .. }) {
                return Err(FlowError::OtpNotActive);
            }
            Self::code_succeeded(account);
            account.otp = OtpState::Suspended {
                since_ms: self.now_ms(),
            };
            Ok(account.email.clone())
        });
        match outcome {
            Ok(email) => {
                self.store.delete(&key)?;
                self.audit(&record.account_id, AuditKind::OtpSuspended)?;
                self.suspension_notice(&email, "after the lost-keychain recovery");
                Ok(())
            }
            Err(FlowError::WrongSmsCode) => {
                if let Some(sms) = record.sms.as_mut() {
                    sms.tries += 1;
                }
                self.save_link(&key, &before, &record)?;
                let email = self.load_account(&record.account_id)?.map(|a| a.email);
                let email = email.as_ref().map(Email::as_str).unwrap_or_default();
                self.after_code_failure(&record.account_id, email, lock_started)?;
                Err(FlowError::WrongSmsCode)
            }
            Err(other) => Err(other),
        }
    }

    fn suspension_notice(&self, email: &Email, how: &str) {
        self.outbox.queue(Message::Email {
            to: email.as_str().to_owned(),
            subject: "OTP was turned off on your account".to_owned(),
            body: format!(
                "Two-factor sign-in (OTP) was suspended on your account {how}. \
                 Your next sign-in needs only your password and then asks you to set up \
                 OTP again with a new key.\n\nIf this was not you, contact support at once."
            ),
        });
    }

    /// The platform sent the text message for `reference` (a link hash); the provider
    /// calls it `provider_id`. Stored so delivery callbacks find the link.
    pub fn sms_sent(&self, reference: &str, provider_id: &str) -> Result<(), FlowError> {
        let index = SmsIndexRecord {
            v: records::VERSION,
            link: reference.to_owned(),
        };
        self.store
            .set(&records::sms_key(provider_id), &records::encode(&index))?;
        self.set_sms_status(reference, "queued")
    }

    /// The platform could not send the text message for `reference`: the recovery page
    /// shows `failed` so the person can resend or contact support.
    pub fn sms_failed(&self, reference: &str) -> Result<(), FlowError> {
        self.set_sms_status(reference, "failed")
    }

    fn set_sms_status(&self, link_hash: &str, status: &str) -> Result<(), FlowError> {
        self.swap_record(&records::recovery_key(link_hash), |bytes| {
            let Some(bytes) = bytes else {
                return Ok((None, ()));
            };
            let mut record: RecoveryRecord = records::decode(bytes)?;
            record.sms_status = Some(status.to_owned());
            Ok((Some(records::encode(&record)), ()))
        })
    }

    /// A delivery status from the SMS provider's (signature-checked) callback. Unknown
    /// message ids are ignored. Statuses are Twilio's words (`queued`, `sent`,
    /// `delivered`, `undelivered`, `failed`), kept as at most 32 lower-case letters.
    pub fn sms_status(&self, provider_id: &str, status: &str) -> Result<(), FlowError> {
        let status: String = status
            .chars()
            .filter(char::is_ascii_alphabetic)
            .take(32)
            .collect::<String>()
            .to_ascii_lowercase();
        let Some(bytes) = self.store.get(&records::sms_key(provider_id))? else {
            return Ok(());
        };
        let index: SmsIndexRecord = records::decode(&bytes)?;
        self.set_sms_status(&index.link, &status)
    }

    /// Support's reset: suspend OTP for `email`, audited with `reason`.
    ///
    /// Errors: `AdminAuthRequired` (no token presented), `AdminForbidden` (wrong token or
    /// no `admin_token` configured), `InvalidReason`, `InvalidEmail`, `AccountNotFound`.
    pub fn admin_reset(
        &self,
        presented_token: Option<&str>,
        email: &str,
        reason: &str,
    ) -> Result<(), FlowError> {
        let presented = presented_token.ok_or(FlowError::AdminAuthRequired)?;
        let allowed = self
            .config
            .admin_token
            .as_ref()
            .is_some_and(|t| t.matches(presented));
        if !allowed {
            return Err(FlowError::AdminForbidden);
        }
        let reason = reason.trim();
        if reason.is_empty()
            || reason.chars().count() > MAX_REASON_CHARS
            || reason.chars().any(char::is_control)
        {
            return Err(FlowError::InvalidReason);
        }
        let email = Email::parse(email).map_err(|_| FlowError::InvalidEmail)?;
        let id = self
            .find_account_id(&email)?
            .ok_or(FlowError::AccountNotFound)?;
        let now = self.now_ms();
        self.update_account(&id, |account| {
            Self::code_succeeded(account);
            if matches!(
                account.otp,
                OtpState::Active { .. } | OtpState::Pending { .. }
            ) {
                account.otp = OtpState::Suspended { since_ms: now };
            }
            Ok(())
        })?;
        self.store.delete(&Self::password_key(email.as_str()))?;
        self.audit_with(&id, AuditKind::AdminReset, Some(reason.to_owned()))?;
        self.suspension_notice(&email, "by our support team");
        Ok(())
    }
}
