//! Normalisation of a code as a person typed it.
//!
//! Rule (DESIGN.md "Codes", ../shared/cases/inputs.json `code_entry`): strip ASCII spaces
//! anywhere, then the rest must be exactly `digits` ASCII digits `0-9`. Nothing is padded,
//! full-width or other Unicode digits are refused, and the result is kept as a string so
//! leading zeros matter.

use core::fmt;

/// The longest input looked at, in bytes; anything longer is refused unread.
pub const MAX_INPUT_BYTES: usize = 64;

/// A code that passed normalisation: exactly `digits` ASCII digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Code(String);

impl Code {
    /// The digits as a string (leading zeros kept).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A code is a short-lived credential: never print it.
        f.write_str("Code(******)")
    }
}

/// Why a typed code was refused before any check against a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Nothing but spaces was typed.
    #[error("enter the code shown in your authenticator app")]
    Empty,
    /// A character other than an ASCII digit or a space.
    #[error("the code may contain only the digits 0-9")]
    NotDigits,
    /// The number of digits differs from the expected one.
    #[error("the code has {got} digits; it must have exactly {expected}")]
    WrongLength {
        /// Digits the account's parameters require (6 or 8).
        expected: u8,
        /// Digits found after removing spaces.
        got: usize,
    },
}

impl CodeError {
    /// Stable snake_case identifier of the reason, for APIs and the browser module.
    pub fn code(&self) -> &'static str {
        match self {
            CodeError::Empty => "empty",
            CodeError::NotDigits => "not_digits",
            CodeError::WrongLength { .. } => "wrong_length",
        }
    }
}

/// Normalise `input` to a [`Code`] of exactly `digits` ASCII digits.
///
/// Spaces (U+0020 only) are removed; any other character — tabs, full-width digits,
/// letters — refuses the input. Inputs longer than [`MAX_INPUT_BYTES`] are refused as
/// [`CodeError::WrongLength`].
pub fn normalise(input: &str, digits: u8) -> Result<Code, CodeError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(CodeError::WrongLength {
            expected: digits,
            got: input.chars().filter(|c| *c != ' ').count(),
        });
    }
    let stripped: String = input.chars().filter(|c| *c != ' ').collect();
    if stripped.is_empty() {
        return Err(CodeError::Empty);
    }
    if !stripped.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CodeError::NotDigits);
    }
    if stripped.len() != usize::from(digits) {
        return Err(CodeError::WrongLength {
            expected: digits,
            got: stripped.len(),
        });
    }
    Ok(Code(stripped))
}
