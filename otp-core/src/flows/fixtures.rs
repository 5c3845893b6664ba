//! Prepared state for benchmarks (feature `fixtures`): accounts made by the flows
//! themselves — registration, phone, setup, activation with the right code, the
//! password step — except that the argon2id hash is computed once by the caller and the
//! password step is taken as passed, so thousands of sign-ins can be prepared in
//! seconds. Prepared accounts have no recovery codes (ten argon2id hashes each would
//! dominate the preparation). Never compiled into the component.

use super::{FlowError, Service, SignIn};
use crate::identity::{Email, Phone};
use crate::secret::SharedSecret;

impl Service<'_> {
    /// An account `email` with active OTP (activated at this service's clock, so the
    /// code of a step or two later is accepted) and one pending sign-in challenge.
    /// Returns the challenge token (client form) and the shared secret.
    ///
    /// Errors: as [`Service::register`], [`Service::setup_otp`] and
    /// [`Service::activate_otp`].
    pub fn fixture_sign_in(
        &self,
        email: &str,
        password_phc: &str,
        phone: &str,
    ) -> Result<(String, SharedSecret), FlowError> {
        let email = Email::parse(email).map_err(|_| FlowError::InvalidEmail)?;
        let phone = Phone::parse(phone).map_err(|_| FlowError::InvalidPhone)?;
        let id = self.register_hashed(email, password_phc.to_owned(), Some(phone))?;
        let setup = self.setup_otp(&id)?;
        let secret =
            SharedSecret::from_base32(&setup.shared_key).map_err(|_| FlowError::NoPendingSetup)?;
        let code = setup
            .params
            .code_at(&secret, self.now_unix())
            .map_err(|_| FlowError::NoPendingSetup)?;
        let code =
            crate::code::normalise(&code, setup.params.digits).map_err(FlowError::MalformedCode)?;
        let account = self.load_account(&id)?.ok_or(FlowError::NotSignedIn)?;
        self.activate_checked(&account, true, &code, false)?;
        match self.passed_password(&id)? {
            SignIn::OtpRequired(challenge) => Ok((challenge.to_client(), secret)),
            SignIn::SignedIn(_) => Err(FlowError::OtpNotActive),
        }
    }
}
