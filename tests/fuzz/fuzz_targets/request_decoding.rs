//! Request decoding in edge-api: any headers and body decode to a wire type or a 4xx
//! error, never a panic; cookies, bearer tokens, forms and origins likewise.
#![no_main]
use edge_api::request::ApiRequest;
use edge_api::wire;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (Vec<(String, String)>, Option<Vec<u8>>)| {
    let (headers, body) = input;
    let req = ApiRequest {
        method: "POST".into(),
        path: "/api/fuzz".into(),
        headers: headers
            .into_iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v))
            .collect(),
        body,
    };
    let errors = [
        req.json::<wire::RegisterBody>().err(),
        req.json::<wire::SignInBody>().err(),
        req.json::<wire::OtpStepBody>().err(),
        req.json::<wire::PhoneBody>().err(),
        req.json::<wire::PasswordCodeBody>().err(),
        req.json::<wire::EmptyBody>().err(),
        req.json::<wire::RecoveryRequestBody>().err(),
        req.json::<wire::RecoveryConfirmBody>().err(),
        req.json::<wire::ReasonBody>().err(),
        req.json::<wire::RecoveryCodeStepBody>().err(),
        req.json::<wire::LanguageBody>().err(),
        req.form().err(),
        req.check_same_origin("https://portal.example").err(),
    ];
    for error in errors.into_iter().flatten() {
        for language in otp_core::i18n::LANGUAGES {
            let (status, code, message) = error.parts(language);
            assert!((400..500).contains(&status), "{code}");
            assert!(!code.is_empty() && !message.is_empty() && !message.starts_with("error-"));
        }
    }
    let _ = (req.session_cookie(), req.bearer_token(), req.peer(), req.language());
});
