//! Languages over HTTP against edge-host: error messages follow the request's
//! `Accept-Language`; an account keeps the language it was created in or set to
//! (`PUT /api/account/language`), and its recovery e-mail and text message are in that
//! language — read from the development outbox.

use serde_json::{Value, json};
use tests::{EdgeHost, register_active, wait_for_outbox};

const PASSWORD: &str = "a long enough password";
const PHONE: &str = "+420 601 123 456";

#[test]
fn error_messages_follow_accept_language() {
    let dir = tempfile::tempdir().unwrap();
    let host = EdgeHost::start(dir.path());
    let body = json!({"email": "not an address", "password": PASSWORD});
    let ask = |language: Option<&str>| {
        let headers: Vec<(&str, &str)> = language
            .map(|l| ("accept-language", l))
            .into_iter()
            .collect();
        let r = host
            .client()
            .with_headers(&headers)
            .send("POST", "/api/session", body.clone());
        assert_eq!((r.status, r.error()), (400, "invalid_email"));
        r.json["message"].as_str().unwrap().to_owned()
    };
    let english = "enter a valid e-mail address, like name@example.com";
    let czech = "zadejte platnou e-mailovou adresu, například jmeno@example.com";
    assert_eq!(ask(None), english);
    assert_eq!(ask(Some("en-GB,en;q=0.9")), english);
    assert_eq!(ask(Some("cs-CZ,cs;q=0.9,en;q=0.8")), czech);
    assert_eq!(ask(Some("de-DE,de;q=0.9,cs;q=0.5")), czech);
    assert_eq!(ask(Some("cs;q=0,en")), english);
    // The request layer's own errors too.
    let r = host
        .client()
        .with_headers(&[("accept-language", "cs")])
        .send("POST", "/api/session", json!({"email": "a@example.com"}));
    assert_eq!(r.json["message"], "pole 'password' je povinné");
}

#[test]
fn an_account_set_to_czech_gets_its_recovery_e_mail_and_text_in_czech() {
    let dir = tempfile::tempdir().unwrap();
    let host = EdgeHost::start(dir.path());
    let email = "jana@example.com";
    let (_, mut c) = register_active(&host, email, PASSWORD, PHONE);
    let account = |c: &mut tests::Client| c.send("GET", "/api/account", Value::Null).json;
    assert_eq!(
        account(&mut c)["language"],
        "en",
        "created without Accept-Language"
    );

    let r = c.send("PUT", "/api/account/language", json!({"language": "de"}));
    assert_eq!((r.status, r.error()), (400, "invalid_language"));
    let r = c.send("PUT", "/api/account/language", json!({"language": "cs"}));
    assert_eq!((r.status, r.json["language"].as_str()), (200, Some("cs")));
    assert_eq!(account(&mut c)["language"], "cs");

    // The request itself is in English: the e-mail follows the account, not the request.
    let r = host
        .client()
        .send("POST", "/api/recovery", json!({"email": email}));
    assert_eq!(r.status, 202);
    let mail = wait_for_outbox(&host, "the recovery e-mail", |m| m["to"] == email);
    assert_eq!(mail["subject"], "Obnovení přístupu k vašemu účtu");
    let body = mail["body"].as_str().unwrap();
    assert!(body.contains("otevřete do 30 minut tento odkaz"), "{body}");
    let token = body
        .split_whitespace()
        .find_map(|w| w.split_once("/recovery.html#").map(|(_, t)| t.to_owned()))
        .expect("a link");

    let r = host.client().send(
        "POST",
        &format!("/api/recovery/{token}/sms"),
        json!({"phone": PHONE}),
    );
    assert_eq!(r.status, 202, "{:?}", r.json);
    let sms = wait_for_outbox(&host, "the recovery text", |m| m["kind"] == "sms");
    let text = sms["body"].as_str().unwrap();
    assert!(
        text.contains(" je kod pro obnoveni pristupu k uctu ")
            && text.contains("Nikomu ho nesdelujte."),
        "{text}"
    );
    assert!(text[..6].bytes().all(|b| b.is_ascii_digit()), "{text}");
}

#[test]
fn a_registration_in_czech_makes_a_czech_account() {
    let dir = tempfile::tempdir().unwrap();
    let host = EdgeHost::start(dir.path());
    let mut c = host
        .client()
        .with_headers(&[("accept-language", "cs-CZ,cs;q=0.9")]);
    let body = json!({"email": "petr@example.com", "password": PASSWORD});
    assert_eq!(c.send("POST", "/api/accounts", body.clone()).status, 201);
    assert_eq!(
        c.send("POST", "/api/session", body).json["status"],
        "signed_in"
    );
    assert_eq!(
        c.send("GET", "/api/account", Value::Null).json["language"],
        "cs"
    );
}
