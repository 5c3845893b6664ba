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

use super::legacy::Named;
use super::limits::{RECOVERY_ADDRESS, SMS_PHONE, sha256_hex};
use super::{AuditKind, FlowError, Service};
use crate::account::{Account, OtpState, Recipient, RecoveryLink, SmsCode};
use crate::config::{RECOVERY_LINK_TTL_MS, RECOVERY_SMS_TTL_MS};
use crate::i18n::{self, Arg};
use crate::identity::{Email, Phone};
use crate::ports::Message;
use crate::records::{self, SmsIndexRecord, v1};
use crate::throttle::{
    RECOVERY_EMAILS_PER_ACCOUNT, RECOVERY_REQUESTS_PER_ADDRESS, SMS_PER_LINK, SMS_PER_PHONE,
    Verdict,
};
use crate::tokens::{AccountToken, constant_time_eq};

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

fn code_hash(link_hash: &str, code: &str) -> String {
    sha256_hex(&format!("{link_hash}:{code}"))
}

/// `reference` of a recovery text message: `{account id}:{link hash}:{code tag}`, the
/// tag being the start of the code's hash, so an outcome is recorded against the send
/// it belongs to and not a later one of the same link.
fn sms_reference(account_id: &str, link_hash: &str, code_hash: &str) -> String {
    let tag = code_hash.get(..16).unwrap_or(code_hash);
    format!("{account_id}:{link_hash}:{tag}")
}

/// The parts of an [`sms_reference`]: account id, link hash, code tag.
fn parse_reference(reference: &str) -> Option<(&str, &str, &str)> {
    let mut parts = reference.splitn(3, ':');
    Some((parts.next()?, parts.next()?, parts.next()?))
}

impl Service<'_> {
    /// Start recovery for an address. Always `Ok(())` for a well-formed request (202),
    /// whatever the address; `TooManyAttempts` only for the client address's own limit.
    /// When the address has active OTP: one write (the link and its audit event).
    pub fn request_recovery(&self, email_input: &str) -> Result<(), FlowError> {
        if let Some(address) = self.client {
            let subject = address.throttle_subject();
            self.window_take(RECOVERY_ADDRESS, &subject, RECOVERY_REQUESTS_PER_ADDRESS)?;
        }
        let Ok(email) = Email::parse(email_input) else {
            return Ok(());
        };
        let Some(id) = self.find_account_id(&email)? else {
            return Ok(());
        };
        let token = AccountToken::generate(self.rng, &id)?;
        let now = self.now_ms();
        let mut recipient = None;
        let issued = self.update_account(&id, |account| {
            recipient = None;
            if !matches!(account.otp, OtpState::Active { .. }) {
                return Ok(false);
            }
            let limit = RECOVERY_EMAILS_PER_ACCOUNT;
            if account.recovery_emails.verdict(now, limit) != Verdict::Allowed {
                return Ok(false);
            }
            account.recovery_emails.record(now, limit);
            recipient = Some(account.recipient());
            account.add_link(RecoveryLink {
                hash: token.hash_hex(),
                expires_ms: now + RECOVERY_LINK_TTL_MS,
                phone_mismatches: 0,
                sms_sends: 0,
                sms: None,
                sms_status: None,
            });
            self.event(account, AuditKind::RecoveryRequested);
            Ok(true)
        });
        match (issued, recipient) {
            (Ok(true), Some(to)) => {
                let link = format!(
                    "{}/recovery.html#{}",
                    self.config.public_base_url,
                    token.as_str()
                );
                self.mail(&to, "recovery-link", &[("link", Arg::Text(&link))]);
                Ok(())
            }
            (Ok(_) | Err(FlowError::NotSignedIn), _) => Ok(()),
            (Err(other), _) => Err(other),
        }
    }

    /// Inside an account update: the live link `named` names (taken in from release 1
    /// when needed). A link that is past its time or its wrong-phone limit is removed
    /// and answers `LinkExpired`.
    fn live_link(&self, account: &mut Account, named: &Named) -> Result<usize, FlowError> {
        named.take_in(account);
        let index = named.link(account).ok_or(FlowError::LinkExpired)?;
        if !account.links[index].is_live(self.now_ms()) {
            account.links.remove(index);
            return Err(FlowError::LinkExpired);
        }
        Ok(index)
    }

    /// Read-only: the account and live link a token names.
    fn peek_link(&self, token: &str) -> Result<(Named, Account, RecoveryLink), FlowError> {
        let named = self.name_link(token)?;
        let account = self
            .load_account(&named.account_id)?
            .ok_or(FlowError::LinkExpired)?;
        let link = named
            .peek_link(&account)
            .filter(|link| link.is_live(self.now_ms()))
            .ok_or(FlowError::LinkExpired)?;
        Ok((named, account, link))
    }

    /// What the recovery page shows for a link (no write).
    pub fn recovery_view(&self, token: &str) -> Result<RecoveryView, FlowError> {
        let (_, account, link) = self.peek_link(token)?;
        Ok(RecoveryView {
            phone_hint: account.phone.as_ref().map(Phone::masked),
            sms_status: link.sms_status,
            sms_sends_left: SMS_PER_LINK.saturating_sub(link.sms_sends),
        })
    }

    /// Confirm the phone on file and text it a fresh 6-digit code. One write to the
    /// account (the code, or the counted wrong phone), and the phone's daily count.
    pub fn recovery_send_sms(&self, token: &str, phone_input: &str) -> Result<(), FlowError> {
        let named = self.name_link(token)?;
        let typed = Phone::parse(phone_input).map_err(|_| FlowError::InvalidPhone)?;
        let code = self.six_digit_code()?;
        let phone_subject = sha256_hex(typed.as_str());
        let now = self.now_ms();
        let sent = self.update_account(&named.account_id, |account| {
            let index = self.live_link(account, &named)?;
            let on_file = account.phone.clone().ok_or(FlowError::NoPhoneOnFile)?;
            if !constant_time_eq(typed.as_str().as_bytes(), on_file.as_str().as_bytes()) {
                account.links[index].phone_mismatches += 1;
                self.event(account, AuditKind::RecoveryPhoneMismatch);
                return Err(FlowError::PhoneMismatch);
            }
            let link = &mut account.links[index];
            if link.sms_sends >= SMS_PER_LINK {
                return Err(FlowError::TooManyAttempts {
                    retry_after_s: link.expires_ms.saturating_sub(now).div_ceil(1000),
                });
            }
            self.window_gate(SMS_PHONE, &phone_subject, SMS_PER_PHONE)?;
            link.sms_sends += 1;
            link.sms_status = Some("sending".to_owned());
            let hash = code_hash(&link.hash, &code);
            let reference = sms_reference(&account.id, &link.hash, &hash);
            link.sms = Some(SmsCode {
                code_hash: hash,
                expires_ms: now + RECOVERY_SMS_TTL_MS,
                tries: 0,
            });
            self.event(account, AuditKind::RecoverySmsSent);
            Ok((on_file, reference, account.language))
        });
        let (on_file, reference, language) = match sent {
            Err(FlowError::NotSignedIn) => return Err(FlowError::LinkExpired),
            other => other?,
        };
        self.window_count(SMS_PHONE, &phone_subject, SMS_PER_PHONE)?;
        self.outbox.queue(Message::Sms {
            to: on_file.as_str().to_owned(),
            body: i18n::text(
                language,
                "sms-recovery-code",
                &[
                    ("code", Arg::Text(&code)),
                    ("issuer", Arg::Text(self.config.issuer.as_str())),
                ],
            ),
            reference: Some(reference),
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
        self.precheck(token, code_input).map(drop)
    }

    /// [`Service::recovery_precheck`], with what the token names and the code typed.
    fn precheck(
        &self,
        token: &str,
        code_input: &str,
    ) -> Result<(Named, crate::code::Code), FlowError> {
        let (named, _, link) = self.peek_link(token)?;
        let code = crate::code::normalise(code_input, 6).map_err(FlowError::MalformedCode)?;
        link.usable_sms(self.now_ms())
            .ok_or(FlowError::SmsCodeRequired)?;
        Ok((named, code))
    }

    /// Finish recovery: `captcha_passed` is the platform's CAPTCHA verdict. One write:
    /// OTP suspended, every recovery link of the account ended, the audit event (or the
    /// counted wrong code).
    pub fn recovery_confirm(
        &self,
        token: &str,
        code_input: &str,
        captcha_passed: bool,
    ) -> Result<(), FlowError> {
        let (named, typed) = self.precheck(token, code_input)?;
        if !captcha_passed {
            return Err(FlowError::CaptchaFailed);
        }
        self.address_gate()?;
        let now = self.now_ms();
        let mut lock_notice = None;
        let outcome = self.update_account(&named.account_id, |account| {
            lock_notice = None;
            let index = self.live_link(account, &named)?;
            let link = &account.links[index];
            let sms = link.usable_sms(now).ok_or(FlowError::SmsCodeRequired)?;
            let right = constant_time_eq(
                code_hash(&link.hash, typed.as_str()).as_bytes(),
                sms.code_hash.as_bytes(),
            );
            self.code_gate(account)?;
            if !right {
                if let Some(sms) = account.links[index].sms.as_mut() {
                    sms.tries += 1;
                }
                lock_notice = self.code_failed(account);
                return Err(FlowError::WrongSmsCode);
            }
            if !matches!(account.otp, OtpState::Active { .. }) {
                return Err(FlowError::OtpNotActive);
            }
            Self::code_succeeded(account);
            account.otp = OtpState::Suspended { since_ms: now };
            account.end_links();
            self.event(account, AuditKind::OtpSuspended);
            Ok(account.recipient())
        });
        match outcome {
            Ok(to) => {
                self.suspension_notice(&to, "recovery");
                Ok(())
            }
            Err(FlowError::WrongSmsCode) => {
                self.after_code_failure(lock_notice)?;
                Err(FlowError::WrongSmsCode)
            }
            Err(FlowError::NotSignedIn) => Err(FlowError::LinkExpired),
            Err(other) => Err(other),
        }
    }

    /// The notice that OTP was suspended; `how` is `recovery` or `support`.
    fn suspension_notice(&self, to: &Recipient, how: &str) {
        self.mail(to, "suspended", &[("how", Arg::Text(how))]);
    }

    /// The platform sent the text message for `reference` (from
    /// [`Message::Sms`]); the provider calls it `provider_id`. Stored so delivery
    /// callbacks find the link, whose status becomes `queued`.
    pub fn sms_sent(&self, reference: &str, provider_id: &str) -> Result<(), FlowError> {
        let Some((account_id, link, _)) = parse_reference(reference) else {
            return Ok(());
        };
        let index = SmsIndexRecord {
            v: records::VERSION,
            account_id: account_id.to_owned(),
            link: link.to_owned(),
        };
        self.store
            .set(&records::sms_key(provider_id), &records::encode(&index)?)?;
        self.set_sms_status(account_id, link, "queued")
    }

    /// The platform could not send the text message for `reference`: the recovery page
    /// shows `failed` so the person can resend or contact support.
    pub fn sms_failed(&self, reference: &str) -> Result<(), FlowError> {
        match parse_reference(reference) {
            Some((account_id, link, _)) => self.set_sms_status(account_id, link, "failed"),
            None => Ok(()),
        }
    }

    /// The SMS provider did not take the text message for `reference` (it failed,
    /// timed out or answered nonsense): nothing of the send stands. The send is not
    /// counted against the link or the phone and the audit log says so; unless a later
    /// send of the link replaced it meanwhile, its code is forgotten and the page shows
    /// `not_sent`. The person may send again at once.
    pub fn sms_not_sent(&self, reference: &str) -> Result<(), FlowError> {
        let Some((account_id, link, code_tag)) = parse_reference(reference) else {
            return Ok(());
        };
        let named = Named {
            account_id: account_id.to_owned(),
            hash: link.to_owned(),
            legacy: None,
        };
        let outcome = self.update_account(account_id, |account| {
            named.take_in(account);
            let Some(i) = named.link(account) else {
                return Ok(None);
            };
            let link = &mut account.links[i];
            link.sms_sends = link.sms_sends.saturating_sub(1);
            if link
                .sms
                .as_ref()
                .is_some_and(|sms| sms.code_hash.starts_with(code_tag))
            {
                link.sms = None;
                link.sms_status = Some("not_sent".to_owned());
            }
            self.event(account, AuditKind::RecoverySmsNotSent);
            Ok(account.phone.clone())
        });
        let phone = match outcome {
            Err(FlowError::NotSignedIn) => return Ok(()),
            other => other?,
        };
        if let Some(phone) = phone {
            self.window_refund(SMS_PHONE, &sha256_hex(phone.as_str()), SMS_PER_PHONE)?;
        }
        Ok(())
    }

    /// A fresh read → decide → write of one link's delivery status (never against an
    /// earlier snapshot). A link that is gone is left alone.
    fn set_sms_status(
        &self,
        account_id: &str,
        link_hash: &str,
        status: &str,
    ) -> Result<(), FlowError> {
        self.set_link_status(
            &Named {
                account_id: account_id.to_owned(),
                hash: link_hash.to_owned(),
                legacy: None,
            },
            status,
        )
    }

    fn set_link_status(&self, named: &Named, status: &str) -> Result<(), FlowError> {
        let outcome = self.update_account(&named.account_id, |account| {
            named.take_in(account);
            if let Some(i) = named.link(account) {
                account.links[i].sms_status = Some(status.to_owned());
            }
            Ok(())
        });
        match outcome {
            Err(FlowError::NotSignedIn) => Ok(()),
            other => other,
        }
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
        if records::version_of(&bytes)? == records::VERSION_1 {
            let index: v1::SmsIndexRecord = records::decode(&bytes, 1)?;
            return match self.name_v1_link(&index.link) {
                Ok(named) => self.set_link_status(&named, &status),
                Err(FlowError::LinkExpired) => Ok(()),
                Err(other) => Err(other),
            };
        }
        let index: SmsIndexRecord = records::decode(&bytes, records::VERSION)?;
        self.set_sms_status(&index.account_id, &index.link, &status)
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
        self.authorize_admin(presented_token)?;
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
        let to = self.update_account(&id, |account| {
            Self::code_succeeded(account);
            if matches!(
                account.otp,
                OtpState::Active { .. } | OtpState::Pending { .. }
            ) {
                account.otp = OtpState::Suspended { since_ms: now };
            }
            account.end_links();
            self.event_with(account, AuditKind::AdminReset, Some(reason.to_owned()));
            Ok(account.recipient())
        })?;
        self.password_unlock(&email)?;
        self.suspension_notice(&to, "support");
        Ok(())
    }
}
