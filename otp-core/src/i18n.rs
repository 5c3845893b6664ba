//! The languages of the portal and the server's message catalogs: API error messages,
//! e-mails and text messages (the pages have their own catalogs in `web/locales/`).
//!
//! Catalogs are Project Fluent files (`otp-core/locales/{en,cs}.ftl`, compiled in),
//! formatted with `fluent-bundle`, whose plural rules are CLDR's: Czech has `one` (1),
//! `few` (2–4), `many` (fractions) and `other` ("1 pokus, 2 pokusy, 5 pokusů"). Each
//! catalog is parsed on first use only, so a request that formats nothing pays nothing.
//!
//! The language of a request comes from its `Accept-Language` header (RFC 9110
//! §12.5.4; the pages send the language the person chose); the language of an account
//! (its e-mails and text messages) is stored with it.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::sync::OnceLock;

/// A language the portal speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// English (the default).
    #[default]
    En,
    /// Czech.
    Cs,
}

/// Every language, in the order the language switch shows them.
pub const LANGUAGES: [Language; 2] = [Language::Cs, Language::En];

impl Language {
    /// BCP 47 tag: `en`, `cs`.
    pub fn tag(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Cs => "cs",
        }
    }

    /// The language of a BCP 47 tag by its primary subtag, case-insensitive (`cs`,
    /// `cs-CZ`, `EN-gb`); `None` for any other language.
    pub fn from_tag(tag: &str) -> Option<Language> {
        let primary = tag.trim().split(['-', '_']).next()?;
        LANGUAGES
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(primary))
    }

    /// The preferred language of an `Accept-Language` header value (RFC 9110
    /// §12.5.4): the highest `q` among the languages offered, the earlier on a tie;
    /// `q=0` means "not this one". English when none is offered or the header is
    /// missing or malformed.
    pub fn from_accept_language(header: Option<&str>) -> Language {
        let mut best: Option<(u16, Language)> = None;
        for item in header.unwrap_or("").split(',').take(32) {
            let mut parts = item.split(';');
            let Some(language) = parts.next().and_then(Language::from_tag) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                .map_or(Some(1000), quality);
            match q {
                Some(q) if q > 0 && best.is_none_or(|(b, _)| q > b) => best = Some((q, language)),
                _ => {}
            }
        }
        best.map_or(Language::En, |(_, l)| l)
    }

    fn source(self) -> &'static str {
        match self {
            Language::En => include_str!("../locales/en.ftl"),
            Language::Cs => include_str!("../locales/cs.ftl"),
        }
    }
}

/// A `q` value (RFC 9110 §12.4.2: `0`–`1` with up to three decimals) in thousandths.
fn quality(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// A value for a placeable of a message.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    /// Text, inserted as it is.
    Text(&'a str),
    /// A number: formatted for the language and used to choose the plural form.
    Number(u64),
}

fn bundle(language: Language) -> &'static FluentBundle<FluentResource> {
    static BUNDLES: [OnceLock<FluentBundle<FluentResource>>; 2] =
        [OnceLock::new(), OnceLock::new()];
    BUNDLES[language as usize].get_or_init(|| {
        // A catalog with syntax errors keeps its good entries; the tests refuse it.
        let resource = FluentResource::try_new(language.source().to_owned())
            .unwrap_or_else(|(resource, _)| resource);
        let locale = language.tag().parse().unwrap_or_default();
        let mut bundle = FluentBundle::new_concurrent(vec![locale]);
        // No Unicode isolation marks: the text goes into JSON, e-mails and SMS.
        bundle.set_use_isolating(false);
        let _ = bundle.add_resource(resource);
        bundle
    })
}

/// The message `id` in `language` with `args`; from the English catalog when
/// `language` lacks it, and the id itself when no catalog has it (the tests make sure
/// neither happens).
pub fn text(language: Language, id: &str, args: &[(&str, Arg)]) -> String {
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        match value {
            Arg::Text(t) => fluent_args.set(*name, FluentValue::from(*t)),
            Arg::Number(n) => fluent_args.set(*name, FluentValue::from(*n)),
        }
    }
    for language in [language, Language::En] {
        let bundle = bundle(language);
        if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
            let mut errors = Vec::new();
            return bundle
                .format_pattern(pattern, Some(&fluent_args), &mut errors)
                .into_owned();
        }
    }
    id.to_owned()
}

/// The message ids of a Fluent catalog's text, or its syntax errors.
///
/// Errors: one line per syntax error Fluent's parser reports.
pub fn catalog_ids(source: &str) -> Result<Vec<String>, Vec<String>> {
    match FluentResource::try_new(source.to_owned()) {
        Ok(resource) => Ok(resource
            .entries()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect()),
        Err((_, errors)) => Err(errors.iter().map(|e| format!("{e:?}")).collect()),
    }
}

/// The server catalog of `language` as compiled in (for the catalog tests).
pub fn server_catalog(language: Language) -> &'static str {
    language.source()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_follows_rfc_9110() {
        let pick = |h| Language::from_accept_language(Some(h));
        assert_eq!(pick("cs-CZ,cs;q=0.9,en;q=0.8"), Language::Cs);
        assert_eq!(pick("en-GB,en;q=0.9,cs;q=0.8"), Language::En);
        assert_eq!(pick("de-DE,de;q=0.9,cs;q=0.5"), Language::Cs);
        assert_eq!(pick("en;q=0.4, cs;q=0.6"), Language::Cs);
        assert_eq!(pick("cs;q=0, en"), Language::En);
        assert_eq!(pick("cs;q=0"), Language::En);
        assert_eq!(pick("cs;q=2"), Language::En, "q above 1 is malformed");
        assert_eq!(pick("*"), Language::En);
        assert_eq!(pick(""), Language::En);
        assert_eq!(Language::from_accept_language(None), Language::En);
        assert_eq!(Language::from_tag("CS_cz"), Some(Language::Cs));
        assert_eq!(Language::from_tag("sk"), None);
    }

    #[test]
    fn czech_plurals_follow_cldr() {
        let attempts = |n| {
            text(
                Language::Cs,
                "error-too_many_attempts",
                &[("seconds", Arg::Number(n))],
            )
        };
        assert_eq!(
            attempts(1),
            "příliš mnoho pokusů; zkuste to znovu za 1 sekundu"
        );
        assert_eq!(
            attempts(3),
            "příliš mnoho pokusů; zkuste to znovu za 3 sekundy"
        );
        assert_eq!(
            attempts(5),
            "příliš mnoho pokusů; zkuste to znovu za 5 sekund"
        );
        assert_eq!(
            attempts(22),
            "příliš mnoho pokusů; zkuste to znovu za 22 sekund",
            "Czech few is 2–4 only"
        );
        let english = text(
            Language::En,
            "error-too_many_attempts",
            &[("seconds", Arg::Number(1))],
        );
        assert_eq!(english, "too many attempts; try again in 1 second");
    }

    #[test]
    fn a_missing_id_falls_back_to_the_id() {
        assert_eq!(
            text(Language::Cs, "no-such-message", &[]),
            "no-such-message"
        );
    }
}
