//! The message catalogs (Project Fluent): the server's (`otp-core/locales/`) and the
//! pages' (`web/locales/`) hold the same ids in every language, every error has a
//! message in each, every message a page names exists, and the pages hold no text of
//! their own. (That each *shown* text came from a catalog is checked in the browser,
//! before every screenshot: `checkTexts` in tests/browser/harness.mjs.)

use otp_core::code::CodeError;
use otp_core::flows::{ActivationFailure, AuditKind, FlowError};
use otp_core::i18n::{LANGUAGES, Language, catalog_ids, server_catalog, text};
use otp_core::recovery_code::RecoveryCodeError;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The ids of a catalog; fails on a syntax error or an id given twice.
fn ids(name: &str, source: &str) -> BTreeSet<String> {
    let list = catalog_ids(source).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let set: BTreeSet<String> = list.iter().cloned().collect();
    assert_eq!(set.len(), list.len(), "{name}: an id is given twice");
    set
}

fn web_catalog(language: Language) -> String {
    let path = repo().join(format!("web/locales/{}.ftl", language.tag()));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Ids in one language and not in the other, both ways.
fn differences(a: &BTreeSet<String>, b: &BTreeSet<String>) -> Vec<String> {
    a.symmetric_difference(b).cloned().collect()
}

#[test]
fn every_language_has_the_same_messages() {
    for catalog in [server_catalog, |l| web_catalog(l).leak() as &str] {
        let english = ids("en", catalog(Language::En));
        assert!(english.len() > 50, "{} ids", english.len());
        for language in LANGUAGES {
            let other = ids(language.tag(), catalog(language));
            assert_eq!(
                differences(&english, &other),
                Vec::<String>::new(),
                "{language:?}"
            );
        }
    }
}

#[test]
fn a_catalog_missing_a_message_is_caught() {
    // The check above compares sets: drop one message from Czech and it must differ.
    let cs = server_catalog(Language::Cs);
    let cut = cs.replacen("error-busy =", "# error-busy =", 1);
    let full = ids("cs", cs);
    let shorter = ids("cs (cut)", &cut);
    assert_eq!(differences(&full, &shorter), vec!["error-busy".to_owned()]);
}

/// One of every error of the flows. The match below has no wildcard, so a new variant
/// does not compile until it is listed here (and so gets its messages checked).
fn every_flow_error() -> Vec<FlowError> {
    let all = vec![
        FlowError::InvalidEmail,
        FlowError::WeakPassword,
        FlowError::PasswordTooLong,
        FlowError::InvalidCredentials,
        FlowError::InvalidCode,
        FlowError::WrongSmsCode,
        FlowError::MalformedCode(CodeError::Empty),
        FlowError::MalformedCode(CodeError::NotDigits),
        FlowError::MalformedCode(CodeError::WrongLength {
            expected: 6,
            got: 4,
        }),
        FlowError::MalformedRecoveryCode(RecoveryCodeError::Empty),
        FlowError::MalformedRecoveryCode(RecoveryCodeError::NotInAlphabet),
        FlowError::MalformedRecoveryCode(RecoveryCodeError::WrongLength { got: 3 }),
        FlowError::WrongRecoveryCode,
        FlowError::NoRecoveryCodes,
        FlowError::ChallengeExpired,
        FlowError::NotSignedIn,
        FlowError::InvalidPhone,
        FlowError::PhoneRequired,
        FlowError::OtpAlreadyActive,
        FlowError::NoPendingSetup,
        FlowError::OtpNotActive,
        FlowError::ActivationFailed(ActivationFailure::WrongPassword),
        FlowError::ActivationFailed(ActivationFailure::WrongCode),
        FlowError::ActivationFailed(ActivationFailure::Expired),
        FlowError::TooManyAttempts { retry_after_s: 2 },
        FlowError::LinkExpired,
        FlowError::PhoneMismatch,
        FlowError::NoPhoneOnFile,
        FlowError::SmsCodeRequired,
        FlowError::CaptchaFailed,
        FlowError::AdminAuthRequired,
        FlowError::AdminForbidden,
        FlowError::InvalidWorker,
        FlowError::AccountNotFound,
        FlowError::InvalidReason,
        FlowError::InvalidLanguage,
        FlowError::LockedOut,
        FlowError::Busy,
        FlowError::Internal(otp_core::flows::InternalError::PasswordHash),
    ];
    for e in &all {
        match e {
            FlowError::InvalidEmail
            | FlowError::WeakPassword
            | FlowError::PasswordTooLong
            | FlowError::InvalidCredentials
            | FlowError::InvalidCode
            | FlowError::WrongSmsCode
            | FlowError::MalformedCode(_)
            | FlowError::MalformedRecoveryCode(_)
            | FlowError::WrongRecoveryCode
            | FlowError::NoRecoveryCodes
            | FlowError::ChallengeExpired
            | FlowError::NotSignedIn
            | FlowError::InvalidPhone
            | FlowError::PhoneRequired
            | FlowError::OtpAlreadyActive
            | FlowError::NoPendingSetup
            | FlowError::OtpNotActive
            | FlowError::ActivationFailed(_)
            | FlowError::TooManyAttempts { .. }
            | FlowError::LinkExpired
            | FlowError::PhoneMismatch
            | FlowError::NoPhoneOnFile
            | FlowError::SmsCodeRequired
            | FlowError::CaptchaFailed
            | FlowError::AdminAuthRequired
            | FlowError::AdminForbidden
            | FlowError::InvalidWorker
            | FlowError::AccountNotFound
            | FlowError::InvalidReason
            | FlowError::InvalidLanguage
            | FlowError::LockedOut
            | FlowError::Busy
            | FlowError::Internal(_) => {}
        }
    }
    all
}

#[test]
fn every_error_reads_in_every_language() {
    for error in every_flow_error() {
        let english = error.message(Language::En);
        for language in LANGUAGES {
            let message = error.message(language);
            assert!(
                !message.is_empty() && !message.starts_with("error-"),
                "{error:?} in {language:?}: {message:?}"
            );
            if language != Language::En {
                assert_ne!(message, english, "{error:?} is not translated");
            }
        }
    }
    // Plural forms from CLDR's rules, not from the number's last digit.
    let wrong_length = |got| {
        FlowError::MalformedCode(CodeError::WrongLength { expected: 6, got }).message(Language::Cs)
    };
    assert_eq!(wrong_length(1), "kód má 1 číslici; musí jich mít přesně 6");
    assert_eq!(wrong_length(4), "kód má 4 číslice; musí jich mít přesně 6");
    assert_eq!(wrong_length(5), "kód má 5 číslic; musí jich mít přesně 6");
}

#[test]
fn e_mails_and_the_text_message_read_in_every_language() {
    for language in LANGUAGES {
        for id in [
            "already-registered",
            "locked",
            "recovery-link",
            "suspended",
            "recovery-code-used",
        ] {
            for part in ["subject", "body"] {
                let message = text(language, &format!("mail-{id}-{part}"), &[]);
                assert!(!message.starts_with("mail-"), "{language:?} {id} {part}");
            }
        }
    }
    // GSM 7-bit only, so the recovery text is one SMS of at most 160 characters.
    let sms = text(
        Language::Cs,
        "sms-recovery-code",
        &[
            ("code", otp_core::i18n::Arg::Text("123456")),
            ("issuer", otp_core::i18n::Arg::Text("otp-edge")),
        ],
    );
    assert!(sms.is_ascii() && sms.len() <= 160, "{sms}");
}

/// Files of the web directory with this extension.
fn web_files(extension: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(repo().join("web"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// The quoted values of attribute `name` in `html`.
fn attribute_values<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let marker = format!("{name}=\"");
    html.match_indices(&marker)
        .filter_map(|(i, _)| {
            let rest = &html[i + marker.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

/// Message ids the JavaScript names: `t("id"` literally, and for `t(\`prefix-${…}\``
/// every id the prefix can make, from the values the code passes in.
fn ids_named_by_scripts() -> BTreeSet<String> {
    let audit_events: Vec<&str> = AuditKind::known().iter().map(AuditKind::as_str).collect();
    let families: &[(&str, &[&str])] = &[
        ("code-", &["empty", "not_digits", "wrong_length"]),
        (
            "recovery-code-",
            &["empty", "not_in_alphabet", "wrong_length"],
        ),
        ("drift-", &["ahead", "behind"]),
        ("language-", &["cs", "en"]),
        (
            "otp-status-",
            &["disabled", "pending", "active", "suspended"],
        ),
        (
            "delivery-",
            &[
                "sending",
                "queued",
                "sent",
                "delivered",
                "failed",
                "not_sent",
                "other",
            ],
        ),
        ("event-", &audit_events),
    ];
    // `t(` as a call of the catalog function, not the end of another name.
    let calls = |source: &str, opening: &'static str| -> Vec<usize> {
        source
            .match_indices(opening)
            .map(|(i, _)| i)
            .filter(|&i| {
                i == 0 || {
                    let before = source.as_bytes()[i - 1];
                    !(before.is_ascii_alphanumeric() || matches!(before, b'_' | b'.' | b'$'))
                }
            })
            .collect()
    };
    let mut named = BTreeSet::new();
    for (file, source) in web_files("js") {
        for i in calls(&source, "t(\"") {
            let rest = &source[i + 3..];
            named.insert(rest[..rest.find('"').unwrap()].to_owned());
        }
        // Ternaries and other places that pick an id: `"id"` strings next to t(.
        for id in ["codes-left", "codes-left-few", "sends-left", "sends-none"] {
            if source.contains(&format!("\"{id}\"")) {
                named.insert(id.to_owned());
            }
        }
        for i in calls(&source, "t(`") {
            let rest = &source[i + 3..];
            let prefix = &rest[..rest.find("${").unwrap_or(0)];
            let (_, values) = families
                .iter()
                .find(|(p, _)| *p == prefix)
                .unwrap_or_else(|| panic!("{file}: t(`{prefix}…`) is not listed in this test"));
            named.extend(values.iter().map(|v| format!("{prefix}{v}")));
        }
        for (i, _) in source.match_indices("has(id) ? t(id)") {
            assert!(source[..i].contains("`event-${e.event}`"), "{file}");
        }
    }
    named
}

#[test]
fn every_message_a_page_names_exists_in_every_language() {
    let mut named = ids_named_by_scripts();
    for (_, html) in web_files("html") {
        for attribute in ["data-i18n", "data-i18n-label", "data-title"] {
            named.extend(
                attribute_values(&html, attribute)
                    .into_iter()
                    .map(str::to_owned),
            );
        }
    }
    assert!(named.len() > 100, "{} ids named", named.len());
    for language in LANGUAGES {
        let catalog = ids(language.tag(), &web_catalog(language));
        let missing: Vec<&String> = named.difference(&catalog).collect();
        assert!(missing.is_empty(), "{language:?} lacks {missing:?}");
    }
}

#[test]
fn the_pages_hold_no_text_of_their_own() {
    for (name, html) in web_files("html") {
        // Comments are for developers; the scripts' and styles' bodies are not text.
        let mut rest = html.as_str();
        let mut outside = String::new();
        while let Some(start) = rest.find("<!--") {
            outside.push_str(&rest[..start]);
            rest = &rest[start + rest[start..].find("-->").unwrap() + 3..];
        }
        outside.push_str(rest);
        for chunk in outside.split('<').skip(1) {
            let text = chunk.split_once('>').map_or("", |(_, t)| t).trim();
            assert!(text.is_empty(), "{name}: text without a catalog: {text:?}");
        }
        for attribute in ["aria-label", "title", "placeholder", "alt"] {
            let values = attribute_values(&html, &format!(" {attribute}"));
            assert!(values.is_empty(), "{name}: {attribute}={values:?}");
        }
        assert!(
            html.contains("data-title=\""),
            "{name}: its title comes from the catalog"
        );
    }
}
