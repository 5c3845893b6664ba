//! Registration, the account view and the phone number (Basic settings).

use super::{AuditEvent, AuditKind, FlowError, OtpStatus, Service};
use crate::account::{Account, OtpState};
use crate::i18n::Language;
use crate::identity::{Email, Phone};
use crate::password;
use crate::records::{self, AccountRecord, EmailIndexRecord};
use crate::tokens;

/// OTP part of the account view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpView {
    /// Status.
    pub status: OtpStatus,
    /// Unix ms of activation, when active.
    pub activated_ms: Option<u64>,
    /// Unused recovery codes, when active (0 when none were ever made).
    pub recovery_codes_left: Option<usize>,
}

/// What the account page shows (`GET /api/account`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountView {
    /// E-mail.
    pub email: String,
    /// E.164 phone.
    pub phone: Option<String>,
    /// OTP status.
    pub otp: OtpView,
    /// Last security events, newest first.
    pub recent_events: Vec<AuditEvent>,
    /// Language of the account's e-mails and text messages.
    pub language: Language,
}

/// Events shown on the account page.
const RECENT_EVENTS: usize = 10;

impl Service<'_> {
    /// Create an account (`POST /api/accounts`). The phone is optional here.
    ///
    /// An address that already has an account gets the same answer (a fresh-looking id,
    /// the same argon2id work) and its owner an e-mail saying so, so registration does
    /// not reveal which addresses have accounts. The existing account is untouched.
    ///
    /// Errors: `InvalidEmail`, `WeakPassword`, `PasswordTooLong`, `InvalidPhone`.
    pub fn register(
        &self,
        email: &str,
        password_input: &str,
        phone: Option<&str>,
    ) -> Result<String, FlowError> {
        let email = Email::parse(email).map_err(|_| FlowError::InvalidEmail)?;
        password::check_policy(password_input)?;
        let phone = match phone.filter(|p| !p.trim().is_empty()) {
            Some(p) => Some(Phone::parse(p).map_err(|_| FlowError::InvalidPhone)?),
            None => None,
        };
        let password_phc = password::hash(self.rng, password_input)?;
        self.register_hashed(email, password_phc, phone)
    }

    /// Registration once the password is hashed: the account, the claim, the index.
    pub(super) fn register_hashed(
        &self,
        email: Email,
        password_phc: String,
        phone: Option<Phone>,
    ) -> Result<String, FlowError> {
        let mut account = Account::new(
            tokens::random_hex(self.rng, 16)?,
            email,
            password_phc,
            phone,
            self.now_ms(),
        );
        account.language = self.language;
        self.event(&mut account, AuditKind::AccountCreated);
        // Addresses registered by release 1 have an index but no claim counter.
        if self.find_account_id(&account.email)?.is_some() {
            self.already_registered_notice(&account.email);
            return Ok(account.id);
        }
        // Claim the address with an `increment` — atomic on every store, unlike a
        // create-if-absent swap (see `ports::Store`). Only the claim's winner writes: the
        // account under its fresh random id (nobody else can know that key), then the
        // index. Whoever loses, now or in a race, writes nothing more and is told the same
        // as a new registrant. (A process killed between the claim and the index write
        // leaves the address claimed without an account: it then behaves as taken until
        // support clears `claim/email/…`.)
        let claim = self
            .store
            .increment(&records::email_claim_key(&account.email), 1)?;
        if claim != 1 {
            self.already_registered_notice(&account.email);
            return Ok(account.id);
        }
        let op = tokens::random_hex(self.rng, 8)?;
        let record = AccountRecord::from_domain(&account, 1, vec![op]);
        self.store.set(
            &records::account_key(&account.id),
            &records::encode_account(record)?,
        )?;
        let index = EmailIndexRecord {
            v: records::VERSION_1,
            account_id: account.id.clone(),
        };
        self.store.set(
            &records::email_key(&account.email),
            &records::encode(&index)?,
        )?;
        Ok(account.id)
    }

    /// The notice to an address that already has an account, in the language of this
    /// request (whoever registers is most likely the owner, and an account that lost
    /// the claim race may not be readable yet).
    fn already_registered_notice(&self, email: &Email) {
        let to = crate::account::Recipient {
            email: email.clone(),
            language: self.language,
        };
        self.mail(&to, "already-registered", &[]);
    }

    /// Account id for an e-mail address, if it has an account.
    pub fn find_account_id(&self, email: &Email) -> Result<Option<String>, FlowError> {
        let Some(bytes) = self.store.get(&records::email_key(email))? else {
            return Ok(None);
        };
        let index: EmailIndexRecord = records::decode(&bytes, records::VERSION_1)?;
        Ok(Some(index.account_id))
    }

    /// The account page (`GET /api/account`).
    pub fn account_view(&self, account_id: &str) -> Result<AccountView, FlowError> {
        let account = self
            .load_account(account_id)?
            .ok_or(FlowError::NotSignedIn)?;
        let (activated_ms, recovery_codes_left) = match &account.otp {
            OtpState::Active {
                activated_ms,
                recovery_codes,
                ..
            } => (
                Some(*activated_ms),
                Some(recovery_codes.as_ref().map_or(0, |set| set.left())),
            ),
            _ => (None, None),
        };
        let mut recent_events = account.audit_events();
        recent_events.truncate(RECENT_EVENTS);
        Ok(AccountView {
            email: account.email.as_str().to_owned(),
            phone: account.phone.map(|p| p.as_str().to_owned()),
            otp: OtpView {
                status: account.otp.status(),
                activated_ms,
                recovery_codes_left,
            },
            recent_events,
            language: account.language,
        })
    }

    /// Set the language of the account's e-mails and text messages
    /// (`PUT /api/account/language`): a BCP 47 tag of one of [`crate::i18n::LANGUAGES`].
    ///
    /// Errors: `InvalidLanguage`.
    pub fn set_language(&self, account_id: &str, tag: &str) -> Result<Language, FlowError> {
        let language = Language::from_tag(tag)
            .filter(|l| l.tag().len() == tag.trim().len())
            .ok_or(FlowError::InvalidLanguage)?;
        self.update_account(account_id, |account| {
            account.language = language;
            Ok(())
        })?;
        Ok(language)
    }

    /// Set or change the phone number (`PUT /api/account/phone`); returns E.164.
    pub fn set_phone(&self, account_id: &str, input: &str) -> Result<String, FlowError> {
        let phone = Phone::parse(input).map_err(|_| FlowError::InvalidPhone)?;
        self.update_account(account_id, |account| {
            if account.phone.as_ref() != Some(&phone) {
                account.phone = Some(phone.clone());
                self.event(account, AuditKind::PhoneChanged);
            }
            Ok(())
        })?;
        Ok(phone.as_str().to_owned())
    }
}
