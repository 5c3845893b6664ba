//! Bearer tokens: session cookies, sign-in challenges and recovery links.
//!
//! A token is 32 random bytes (256 bits) shown to the client as unpadded base64url
//! (43 characters). Only `SHA-256(token)` in hex is stored, used as the key, so a leaked
//! key-value file holds no usable token. Lookup by hash needs no secret comparison;
//! [`constant_time_eq`] and [`SecretString`] are for values compared directly (the
//! admin token, SMS code hashes).

use crate::ports::{Rng, RngError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Random bytes in a token.
pub const TOKEN_BYTES: usize = 32;

/// A token as handed to a client.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl core::fmt::Debug for Token {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Token(redacted)")
    }
}

impl Token {
    /// A fresh random token.
    pub fn generate(rng: &dyn Rng) -> Result<Token, RngError> {
        let mut bytes = [0u8; TOKEN_BYTES];
        rng.fill(&mut bytes)?;
        Ok(Token(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Accept a token a client sent back, if it has the shape of one (43 base64url
    /// characters); anything else can never match and is refused early.
    pub fn from_client(s: &str) -> Option<Token> {
        let well_formed = s.len() == 43
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| Token(s.to_owned()))
    }

    /// The client-facing form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Hex SHA-256 of the token: what the store keeps.
    pub fn hash_hex(&self) -> String {
        lower_hex(&Sha256::digest(self.0.as_bytes()))
    }
}

/// Constant-time equality of two byte strings (length is not hidden).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Lower-case hex of `n` random bytes (used for account ids).
pub fn random_hex(rng: &dyn Rng, n: usize) -> Result<String, RngError> {
    let mut bytes = vec![0u8; n];
    rng.fill(&mut bytes)?;
    Ok(lower_hex(&bytes))
}

/// Lower-case hex of `bytes`, two digits a byte (what `hex::encode` answers). Written a
/// byte at a time into a string of the right size: `hex::encode` collects one `char` at
/// a time, ~35 instructions a digit in the component, where it hashed tokens and keys
/// three times per sign-in step.
pub fn lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        hex.push(char::from(DIGITS[usize::from(b >> 4)]));
        hex.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    hex
}

/// A configured secret string (the admin token): compared in constant time, never
/// printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl core::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SecretString(redacted)")
    }
}

impl SecretString {
    /// Wrap a configured value.
    pub fn new(value: String) -> SecretString {
        SecretString(value)
    }

    /// Constant-time comparison with what a client presented (the length is not hidden;
    /// the content is). Both sides are hashed first so even lengths do not leak.
    pub fn matches(&self, presented: &str) -> bool {
        constant_time_eq(
            &Sha256::digest(self.0.as_bytes()),
            &Sha256::digest(presented.as_bytes()),
        )
    }
}

/// A token bound to an account (sessions, sign-in challenges, recovery links):
/// `{account id}.{43 base64url characters}`. The account id is not secret; it tells
/// the flows which one record to read. Only `SHA-256` of the secret part is kept, inside
/// that account's record.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountToken {
    account_id: String,
    secret: Token,
    client: String,
}

impl core::fmt::Debug for AccountToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("AccountToken(redacted)")
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl AccountToken {
    /// A fresh token for `account_id`.
    pub fn generate(rng: &dyn Rng, account_id: &str) -> Result<AccountToken, RngError> {
        Ok(AccountToken::new(
            account_id.to_owned(),
            Token::generate(rng)?,
        ))
    }

    fn new(account_id: String, secret: Token) -> AccountToken {
        let client = format!("{account_id}.{}", secret.as_str());
        AccountToken {
            account_id,
            secret,
            client,
        }
    }

    /// The client-facing form.
    pub fn as_str(&self) -> &str {
        &self.client
    }

    /// The client-facing form, owned.
    pub fn to_client(&self) -> String {
        self.client.clone()
    }

    /// Whose token.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// Hex SHA-256 of the secret part: what the account record keeps.
    pub fn hash_hex(&self) -> String {
        self.secret.hash_hex()
    }
}

/// A token a client sent back: this release's [`AccountToken`], or a release-1 token
/// (43 characters, stored under its own key; [`crate::records::v1`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientToken {
    /// `{account id}.{secret}`.
    Bound(AccountToken),
    /// A release-1 token.
    Legacy(Token),
}

impl ClientToken {
    /// Accept a token of either shape; `None` for anything that can never match.
    pub fn parse(s: &str) -> Option<ClientToken> {
        match s.split_once('.') {
            Some((id, secret)) if is_account_id(id) => Some(ClientToken::Bound(AccountToken::new(
                id.to_owned(),
                Token::from_client(secret)?,
            ))),
            Some(_) => None,
            None => Token::from_client(s).map(ClientToken::Legacy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::lower_hex;
    use proptest::prelude::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn lower_hex_of_a_digest_is_its_published_form() {
        // FIPS 180-2, appendix B.1: SHA-256("abc").
        assert_eq!(
            lower_hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(lower_hex(&[]), "");
    }

    proptest! {
        /// The same digits as the `hex` crate, for any bytes.
        #[test]
        fn lower_hex_is_what_the_hex_crate_writes(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            prop_assert_eq!(lower_hex(&bytes), hex::encode(&bytes));
        }
    }
}
