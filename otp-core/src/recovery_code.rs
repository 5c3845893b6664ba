//! Recovery codes: single-use look-up secrets that sign in without the authenticator
//! (NIST SP 800-63B §5.1.2, "look-up secrets").
//!
//! Shape: [`CODES_PER_SET`] codes per account, each [`CODE_CHARS`] characters from
//! [`ALPHABET`] — the digits 2–9 and the Latin capitals without I, L and O, so 0/O and
//! 1/I/L cannot be confused — shown in groups of four (`7KQM-3XRT-A9PW`). Each code has
//! 12 × log2(31) ≈ 59.4 bits of entropy.
//!
//! SP 800-63B §5.1.2.2 asks for a rate limit below 64 bits: a recovery code is throttled
//! exactly like an OTP code (the sign-in challenge's tries and the account's lockout,
//! [`crate::throttle`]), so an online guess succeeds with a chance of about
//! 10 / 2^59.4 per try. Below 112 bits it asks for a salted one-way key derivation
//! function: only argon2id hashes are kept ([`CodeSet`], server side), one random 16-byte
//! salt per set, so checking a typed code costs one derivation whatever the number of
//! codes left.
//!
//! What a person types is normalised by [`normalise`]: case is ignored, spaces,
//! tabs and dashes are dropped; anything else outside the alphabet refuses the input.

use core::fmt;

/// The characters a recovery code is made of (31: no 0, 1, I, L, O).
pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Characters in one code (without the dashes).
pub const CODE_CHARS: usize = 12;
/// Codes in one set.
pub const CODES_PER_SET: usize = 10;
/// Characters per printed group.
pub const GROUP: usize = 4;
/// The longest input looked at, in bytes; anything longer is refused unread.
pub const MAX_INPUT_BYTES: usize = 64;

/// A recovery code that passed [`normalise`]: [`CODE_CHARS`] characters of [`ALPHABET`].
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl RecoveryCode {
    /// The code without dashes, upper case (what is hashed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The printed form: groups of [`GROUP`] joined by dashes.
    pub fn grouped(&self) -> String {
        let groups: Vec<&str> = (0..self.0.len())
            .step_by(GROUP)
            .map(|i| &self.0[i..(i + GROUP).min(self.0.len())])
            .collect();
        groups.join("-")
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(redacted)")
    }
}

/// Why a typed recovery code was refused before any check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecoveryCodeError {
    /// Nothing but spaces and dashes.
    #[error("enter one of your recovery codes")]
    Empty,
    /// A character that no recovery code has (for example 0, 1, I, L or O).
    #[error(
        "a recovery code has only the letters A-Z and the digits 2-9, without I, L and O; check what you typed"
    )]
    NotInAlphabet,
    /// Too few or too many characters.
    #[error("a recovery code has 12 characters (like ABCD-EFGH-JKMN); this one has {got}")]
    WrongLength {
        /// Characters found after removing spaces and dashes.
        got: usize,
    },
}

impl RecoveryCodeError {
    /// Stable snake_case identifier of the reason.
    pub fn code(&self) -> &'static str {
        match self {
            RecoveryCodeError::Empty => "empty",
            RecoveryCodeError::NotInAlphabet => "not_in_alphabet",
            RecoveryCodeError::WrongLength { .. } => "wrong_length",
        }
    }
}

/// Normalise a typed recovery code: drop spaces, tabs and dashes (ASCII `-` and the
/// Unicode dashes U+2010–U+2015, which copying from a document may bring), upper-case
/// ASCII letters, then require exactly [`CODE_CHARS`] characters of [`ALPHABET`].
///
/// Errors: [`RecoveryCodeError`]; inputs over [`MAX_INPUT_BYTES`] are `WrongLength`.
pub fn normalise(input: &str) -> Result<RecoveryCode, RecoveryCodeError> {
    let kept = |c: &char| !matches!(c, ' ' | '\t' | '-' | '\u{2010}'..='\u{2015}');
    if input.len() > MAX_INPUT_BYTES {
        return Err(RecoveryCodeError::WrongLength {
            got: input.chars().filter(kept).count(),
        });
    }
    let stripped: String = input
        .chars()
        .filter(kept)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if stripped.is_empty() {
        return Err(RecoveryCodeError::Empty);
    }
    if !stripped.bytes().all(|b| ALPHABET.contains(&b)) {
        return Err(RecoveryCodeError::NotInAlphabet);
    }
    if stripped.len() != CODE_CHARS {
        return Err(RecoveryCodeError::WrongLength {
            got: stripped.len(),
        });
    }
    Ok(RecoveryCode(stripped))
}

#[cfg(feature = "server")]
pub use set::{CodeSet, CodeSetError, KDF_M_KIB, KDF_P, KDF_T, SALT_BYTES};

#[cfg(feature = "server")]
mod set {
    use super::{ALPHABET, CODE_CHARS, CODES_PER_SET, RecoveryCode};
    use crate::ports::{Rng, RngError};
    use crate::tokens::constant_time_eq;
    use argon2::{Algorithm, Argon2, Params, Version};

    /// argon2id memory of a code's hash, KiB. Far below the password's
    /// ([`crate::password::M_COST_KIB`]): a code has ≈ 59 random bits, a password may
    /// have few, and a set of ten is hashed at once on activation.
    pub const KDF_M_KIB: u32 = 2048;
    /// argon2id passes.
    pub const KDF_T: u32 = 1;
    /// argon2id lanes.
    pub const KDF_P: u32 = 1;
    /// Salt bytes per set.
    pub const SALT_BYTES: usize = 16;

    /// The stored form of one set: the argon2id parameters and salt, and the hashes of
    /// the codes not used yet (a used code's hash is removed). No code can be derived
    /// from it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct CodeSet {
        /// argon2id memory, KiB.
        pub m_kib: u32,
        /// argon2id passes.
        pub t: u32,
        /// argon2id lanes.
        pub p: u32,
        /// Random salt of the set.
        pub salt: Vec<u8>,
        /// 32-byte argon2id outputs of the unused codes.
        pub hashes: Vec<[u8; 32]>,
        /// Unix ms the set was made.
        pub issued_ms: u64,
    }

    /// Why a set could not be made.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
    pub enum CodeSetError {
        /// No randomness.
        #[error(transparent)]
        Rng(#[from] RngError),
        /// argon2 refused the parameters (never for the constants above).
        #[error("recovery code hashing failed")]
        Kdf,
    }

    /// One random code: rejection sampling over bytes, so every character of
    /// [`ALPHABET`] is equally likely.
    fn random_code(rng: &dyn Rng) -> Result<RecoveryCode, RngError> {
        let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
        let mut code = String::with_capacity(CODE_CHARS);
        let mut bytes = [0u8; 32];
        while code.len() < CODE_CHARS {
            rng.fill(&mut bytes)?;
            for b in bytes.iter().filter(|b| **b < limit) {
                if code.len() < CODE_CHARS {
                    code.push(char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]));
                }
            }
        }
        Ok(RecoveryCode(code))
    }

    impl CodeSet {
        /// A fresh set of [`CODES_PER_SET`] distinct codes made at `now_ms`: the codes to
        /// show once, and the set to store.
        ///
        /// Errors: [`CodeSetError`].
        pub fn generate(
            rng: &dyn Rng,
            now_ms: u64,
        ) -> Result<(Vec<RecoveryCode>, CodeSet), CodeSetError> {
            let mut salt = vec![0u8; SALT_BYTES];
            rng.fill(&mut salt)?;
            let mut set = CodeSet {
                m_kib: KDF_M_KIB,
                t: KDF_T,
                p: KDF_P,
                salt,
                hashes: Vec::with_capacity(CODES_PER_SET),
                issued_ms: now_ms,
            };
            let mut codes: Vec<RecoveryCode> = Vec::with_capacity(CODES_PER_SET);
            while codes.len() < CODES_PER_SET {
                let code = random_code(rng)?;
                if codes.contains(&code) {
                    continue;
                }
                set.hashes.push(set.hash(&code).ok_or(CodeSetError::Kdf)?);
                codes.push(code);
            }
            Ok((codes, set))
        }

        /// argon2id of `code` under this set's parameters and salt; `None` when the
        /// stored parameters are unusable.
        pub fn hash(&self, code: &RecoveryCode) -> Option<[u8; 32]> {
            let params = Params::new(self.m_kib, self.t, self.p, Some(32)).ok()?;
            let mut out = [0u8; 32];
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password_into(code.as_str().as_bytes(), &self.salt, &mut out)
                .ok()?;
            Some(out)
        }

        /// Use up the code whose hash is `hash`: every stored hash is compared in
        /// constant time (no early exit), and the matching one removed. `false` when
        /// none matches.
        pub fn take(&mut self, hash: &[u8; 32]) -> bool {
            let mut found = None;
            for (i, stored) in self.hashes.iter().enumerate() {
                if constant_time_eq(stored, hash) {
                    found = Some(i);
                }
            }
            found.map(|i| self.hashes.remove(i)).is_some()
        }

        /// Codes not used yet.
        pub fn left(&self) -> usize {
            self.hashes.len()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_spaces_and_dashes() {
        let code = normalise(" 7kqm-3xrt\ta9pw ").unwrap();
        assert_eq!(code.as_str(), "7KQM3XRTA9PW");
        assert_eq!(code.grouped(), "7KQM-3XRT-A9PW");
        assert_eq!(normalise("7KQM\u{2013}3XRT\u{2013}A9PW").unwrap(), code);
    }

    #[test]
    fn refuses_what_no_code_has() {
        assert_eq!(normalise(" - "), Err(RecoveryCodeError::Empty));
        for confusable in [
            "0KQM-3XRT-A9PW",
            "1KQM-3XRT-A9PW",
            "IKQM-3XRT-A9PW",
            "LKQM-3XRT-A9PW",
            "OKQM-3XRT-A9PW",
        ] {
            assert_eq!(
                normalise(confusable),
                Err(RecoveryCodeError::NotInAlphabet),
                "{confusable}"
            );
        }
        assert_eq!(
            normalise("ÄKQM-3XRT-A9PW"),
            Err(RecoveryCodeError::NotInAlphabet)
        );
        assert_eq!(
            normalise("7KQM-3XRT-A9P"),
            Err(RecoveryCodeError::WrongLength { got: 11 })
        );
        assert_eq!(normalise("123456"), Err(RecoveryCodeError::NotInAlphabet));
        assert!(matches!(
            normalise(&"A".repeat(65)),
            Err(RecoveryCodeError::WrongLength { .. })
        ));
    }

    #[test]
    fn alphabet_has_no_confusable_characters() {
        for c in b"01ILO" {
            assert!(!ALPHABET.contains(c));
        }
        let mut sorted = ALPHABET.to_vec();
        sorted.dedup();
        assert_eq!(sorted.len(), 31);
    }

    #[cfg(feature = "server")]
    mod set {
        use super::super::*;
        use crate::ports::OsRng;

        #[test]
        fn a_set_has_ten_distinct_codes_each_usable_once() {
            let (codes, mut set) = CodeSet::generate(&OsRng, 5).unwrap();
            assert_eq!(codes.len(), CODES_PER_SET);
            let mut distinct: Vec<_> = codes.iter().map(|c| c.as_str().to_owned()).collect();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), CODES_PER_SET);
            for code in &codes {
                assert_eq!(normalise(&code.grouped().to_lowercase()).as_ref(), Ok(code));
            }
            let first = set.hash(&codes[3]).unwrap();
            assert!(set.take(&first));
            assert!(!set.take(&first), "a used code is gone");
            assert_eq!(set.left(), CODES_PER_SET - 1);
            let other = normalise("2222-2222-2222").unwrap();
            assert!(!set.take(&set.hash(&other).unwrap()));
        }

        #[test]
        fn the_hash_is_argon2id_with_the_sets_salt() {
            // Reference: the argon2 crate's own PHC hashing of the same input and salt
            // gives the same 32 bytes as the raw derivation.
            use argon2::password_hash::{PasswordHasher, SaltString};
            let (codes, set) = CodeSet::generate(&OsRng, 5).unwrap();
            let params = argon2::Params::new(set.m_kib, set.t, set.p, Some(32)).unwrap();
            let argon =
                argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
            let salt = SaltString::encode_b64(&set.salt).unwrap();
            let phc = argon
                .hash_password(codes[0].as_str().as_bytes(), &salt)
                .unwrap();
            assert_eq!(phc.hash.unwrap().as_bytes(), &set.hash(&codes[0]).unwrap());
            assert!(set.hashes.contains(&set.hash(&codes[0]).unwrap()));
        }
    }
}
