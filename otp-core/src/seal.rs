//! Sealing secrets with AES-256-GCM before they touch storage (DESIGN.md, "Rules").
//!
//! - Key ring from the `seal_keys` variable: `kid:base64key,kid:base64key,…`; each key is
//!   32 bytes (AES-256) in standard Base64; the **first** key seals, every key opens, so
//!   keys rotate by prepending a new one and re-sealing at leisure.
//! - A fresh random 96-bit nonce per seal (NIST SP 800-38D §8.2.2).
//! - Associated data binds the format, the purpose, the account id and the key id, so a
//!   blob copied to another account, used for another purpose or relabelled with another
//!   key id does not open.
//!
//! Blob layout (version 1): `0x01 ‖ len(kid) ‖ kid ‖ nonce[12] ‖ ciphertext ‖ tag[16]`.

use crate::ports::{Rng, RngError};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use zeroize::Zeroizing;

const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Longest key id, in bytes.
pub const MAX_KID_LEN: usize = 32;

/// What a sealed value is for; part of the associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealPurpose {
    /// A TOTP shared secret (pending or active).
    TotpSecret,
}

impl SealPurpose {
    fn label(self) -> &'static str {
        match self {
            SealPurpose::TotpSecret => "totp-shared-secret",
        }
    }
}

/// Why the `seal_keys` variable was refused. Never carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRingError {
    /// No key configured.
    #[error("seal_keys is empty: configure at least one `kid:base64key`")]
    Empty,
    /// An entry is not `kid:base64key`.
    #[error("seal_keys entry {0} is not of the form kid:base64key")]
    Entry(usize),
    /// A key id is empty, too long or not `[A-Za-z0-9_-]`.
    #[error("seal_keys entry {0} has an invalid key id (1-32 of A-Z a-z 0-9 _ -)")]
    KeyId(usize),
    /// A key is not Base64 of exactly 32 bytes.
    #[error("seal_keys key '{0}' is not Base64 of exactly 32 bytes")]
    KeyLength(String),
    /// The same key id twice.
    #[error("seal_keys names key id '{0}' twice")]
    DuplicateKeyId(String),
}

/// Why a blob did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not a blob this release can read (truncated, unknown format).
    #[error("sealed blob malformed")]
    Malformed,
    /// Sealed under a key id the ring does not hold.
    #[error("sealed blob uses key id '{0}', which is not configured")]
    UnknownKey(String),
    /// Authentication failed: tampered, or bound to another account or purpose.
    #[error("sealed blob failed authentication")]
    Tampered,
    /// No randomness for the nonce.
    #[error(transparent)]
    Rng(#[from] RngError),
}

struct SealKey {
    kid: String,
    cipher: Aes256Gcm,
}

/// The configured sealing keys; the first seals.
pub struct KeyRing {
    keys: Vec<SealKey>,
}

impl core::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|k| k.kid.as_str()).collect();
        write!(f, "KeyRing{kids:?}")
    }
}

fn valid_kid(kid: &str) -> bool {
    !kid.is_empty()
        && kid.len() <= MAX_KID_LEN
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl KeyRing {
    /// Parse `kid:base64key,…` (whitespace around entries ignored).
    pub fn parse(spec: &str) -> Result<KeyRing, KeyRingError> {
        let mut keys: Vec<SealKey> = Vec::new();
        for (index, entry) in spec.split(',').map(str::trim).enumerate() {
            if entry.is_empty() {
                continue;
            }
            let (kid, key_b64) = entry.split_once(':').ok_or(KeyRingError::Entry(index))?;
            if !valid_kid(kid) {
                return Err(KeyRingError::KeyId(index));
            }
            if keys.iter().any(|k| k.kid == kid) {
                return Err(KeyRingError::DuplicateKeyId(kid.to_owned()));
            }
            let key_b64 = key_b64.trim();
            let key = Zeroizing::new(
                STANDARD
                    .decode(key_b64)
                    .or_else(|_| STANDARD_NO_PAD.decode(key_b64))
                    .map_err(|_| KeyRingError::KeyLength(kid.to_owned()))?,
            );
            let cipher = Aes256Gcm::new_from_slice(&key)
                .map_err(|_| KeyRingError::KeyLength(kid.to_owned()))?;
            keys.push(SealKey {
                kid: kid.to_owned(),
                cipher,
            });
        }
        if keys.is_empty() {
            return Err(KeyRingError::Empty);
        }
        Ok(KeyRing { keys })
    }

    /// The key id new seals use.
    pub fn current_kid(&self) -> &str {
        &self.keys[0].kid
    }

    fn aad(purpose: SealPurpose, account_id: &str, kid: &str) -> Vec<u8> {
        let mut aad = Vec::with_capacity(64);
        for part in ["otp-edge/seal/v1", purpose.label(), account_id, kid] {
            aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
            aad.extend_from_slice(part.as_bytes());
        }
        aad
    }

    /// Seal `plaintext` for `account_id` and `purpose` with the current key.
    pub fn seal(
        &self,
        rng: &dyn Rng,
        purpose: SealPurpose,
        account_id: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill(&mut nonce)?;
        let aad = Self::aad(purpose, account_id, &key.kid);
        let ciphertext = key
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Malformed)?;
        let mut blob = Vec::with_capacity(2 + key.kid.len() + NONCE_LEN + ciphertext.len());
        blob.push(FORMAT_V1);
        blob.push(key.kid.len() as u8);
        blob.extend_from_slice(key.kid.as_bytes());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        Ok(blob)
    }

    /// The key id `blob` names (`None`: not a version-1 blob).
    pub fn kid_of(blob: &[u8]) -> Option<&str> {
        let (&format, rest) = blob.split_first()?;
        let (&kid_len, rest) = rest.split_first()?;
        let kid = rest.get(..usize::from(kid_len))?;
        (format == FORMAT_V1)
            .then(|| core::str::from_utf8(kid).ok())
            .flatten()
    }

    /// Whether `blob` is sealed under the current key.
    pub fn is_current(&self, blob: &[u8]) -> bool {
        Self::kid_of(blob) == Some(self.current_kid())
    }

    /// `blob` opened and sealed again under the current key, for the same purpose and
    /// account (key rotation). Errors: those of [`KeyRing::open`] and [`KeyRing::seal`].
    pub fn reseal(
        &self,
        rng: &dyn Rng,
        purpose: SealPurpose,
        account_id: &str,
        blob: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        let plaintext = self.open(purpose, account_id, blob)?;
        self.seal(rng, purpose, account_id, &plaintext)
    }

    /// Open a blob sealed for `account_id` and `purpose` by any key of the ring.
    pub fn open(
        &self,
        purpose: SealPurpose,
        account_id: &str,
        blob: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let (&format, rest) = blob.split_first().ok_or(SealError::Malformed)?;
        if format != FORMAT_V1 {
            return Err(SealError::Malformed);
        }
        let (&kid_len, rest) = rest.split_first().ok_or(SealError::Malformed)?;
        let kid_len = usize::from(kid_len);
        if kid_len == 0 || kid_len > MAX_KID_LEN || rest.len() < kid_len + NONCE_LEN + TAG_LEN {
            return Err(SealError::Malformed);
        }
        let (kid, rest) = rest.split_at(kid_len);
        let kid = core::str::from_utf8(kid).map_err(|_| SealError::Malformed)?;
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or_else(|| SealError::UnknownKey(kid.to_owned()))?;
        let aad = Self::aad(purpose, account_id, kid);
        key.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| SealError::Tampered)
    }
}
