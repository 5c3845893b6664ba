//! E-mail addresses and phone numbers as the product accepts them.
//!
//! - E-mail: trimmed, at most 254 octets (RFC 5321 §4.5.3.1.3), syntax checked by the
//!   `email_address` crate (RFC 5322 addr-spec), then restricted to what mail providers
//!   actually deliver: no quoted local parts, no `:`/`"`, no whitespace or control
//!   characters, a dotted domain. Compared and stored lower-cased.
//! - Phone: parsed with `phonenumber` (Google's libphonenumber metadata) in international
//!   form (`+` and country code), must be a valid number, stored as E.164 (`+447700900123`).

use core::fmt;
use core::str::FromStr;

/// Longest e-mail address, in bytes.
pub const MAX_EMAIL_BYTES: usize = 254;
/// Longest phone input looked at, in bytes.
pub const MAX_PHONE_INPUT_BYTES: usize = 64;

/// A normalised e-mail address (lower case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

/// The address is not one the product accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("enter a valid e-mail address, like name@example.com")]
pub struct InvalidEmail;

impl Email {
    /// Validate and normalise.
    pub fn parse(input: &str) -> Result<Email, InvalidEmail> {
        let trimmed = input.trim();
        if trimmed.is_empty() || trimmed.len() > MAX_EMAIL_BYTES {
            return Err(InvalidEmail);
        }
        let plain = trimmed
            .chars()
            .all(|c| !c.is_control() && !c.is_whitespace() && c != '"' && c != ':');
        if !plain || !email_address::EmailAddress::is_valid(trimmed) {
            return Err(InvalidEmail);
        }
        let (_, domain) = trimmed.rsplit_once('@').ok_or(InvalidEmail)?;
        if !domain.contains('.') || domain.starts_with('[') {
            return Err(InvalidEmail);
        }
        Ok(Email(trimmed.to_lowercase()))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number in E.164.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

/// The input is not a valid international phone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("enter the phone number in international form, starting with + and the country code")]
pub struct InvalidPhone;

impl Phone {
    /// Parse an international number (`+44 7700 900123`, `+1 (202) 555-0143`).
    pub fn parse(input: &str) -> Result<Phone, InvalidPhone> {
        let trimmed = input.trim();
        if trimmed.len() > MAX_PHONE_INPUT_BYTES
            || !trimmed.starts_with('+')
            || trimmed.chars().any(char::is_control)
        {
            return Err(InvalidPhone);
        }
        let number = phonenumber::PhoneNumber::from_str(trimmed).map_err(|_| InvalidPhone)?;
        if !phonenumber::is_valid(&number) {
            return Err(InvalidPhone);
        }
        Ok(Phone(
            number.format().mode(phonenumber::Mode::E164).to_string(),
        ))
    }

    /// Re-read a number this module wrote (a stored E.164 string): only its shape is
    /// checked (`+` and 2 to 15 digits, ITU-T E.164 §6.1), since [`Phone::parse`]
    /// validated it when it was stored; re-parsing with the metadata on every load
    /// would dominate the cost of a sign-in.
    pub fn from_e164(stored: &str) -> Result<Phone, InvalidPhone> {
        let digits = stored.strip_prefix('+').ok_or(InvalidPhone)?;
        if (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Phone(stored.to_owned()))
        } else {
            Err(InvalidPhone)
        }
    }

    /// The E.164 form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A hint for the recovery page: the whole country calling code and the last two
    /// digits, the rest masked (`+44 ••••••••23`, `+420 •••••••56`).
    pub fn masked(&self) -> String {
        let digits: Vec<char> = self.0.chars().skip(1).collect();
        let shown_tail = 2.min(digits.len());
        let code_len = phonenumber::parse(None, &self.0)
            .map(|n| n.code().value().to_string().len())
            .unwrap_or(2);
        let head: String = digits.iter().take(code_len.min(digits.len())).collect();
        let tail: String = digits[digits.len() - shown_tail..].iter().collect();
        let hidden = digits.len().saturating_sub(head.len() + shown_tail);
        format!("+{head} {}{tail}", "•".repeat(hidden))
    }
}

#[cfg(test)]
mod tests {
    use super::Phone;

    #[test]
    fn the_hint_keeps_the_whole_country_calling_code() {
        let hint = |p| Phone::parse(p).unwrap().masked();
        assert_eq!(hint("+44 7911 123456"), "+44 ••••••••56");
        assert_eq!(hint("+420 601 123 456"), "+420 •••••••56");
        assert_eq!(hint("+1 415 555 0100"), "+1 ••••••••00");
    }
}
