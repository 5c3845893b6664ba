//! Stand-in providers on 127.0.0.1 for the end-to-end tests: Postmark's `/email`,
//! Twilio's `Messages.json`, and a siteverify endpoint that accepts one token. Every
//! request is recorded for the test to read.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request a stand-in received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// URL path.
    pub path: String,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body as text.
    pub body: String,
}

impl Recorded {
    /// A header value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A form field of the body.
    pub fn form(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.body.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_default()
    }
}

/// The stand-in server.
pub struct StandIn {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    recorded: Arc<Mutex<Vec<Recorded>>>,
    outage: Arc<Mutex<Option<Outage>>>,
}

/// How a provider of the stand-in fails while [`StandIn::fail`] says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// Twilio answers `503 Service Unavailable`.
    SmsUnavailable,
    /// Twilio answers 201 with a body that is not its JSON.
    SmsGarbage,
    /// Twilio answers only after [`HANG`] (longer than edge-api waits).
    SmsHang,
    /// The siteverify endpoint answers `502 Bad Gateway`.
    CaptchaUnavailable,
    /// The siteverify endpoint answers 200 with a body that is not its JSON.
    CaptchaGarbage,
}

/// How long [`Outage::SmsHang`] keeps a request waiting.
pub const HANG: Duration = Duration::from_secs(25);

/// The CAPTCHA response token the stand-in siteverify accepts.
pub const CAPTCHA_PASS: &str = "stand-in-pass-token";
/// The Twilio auth token edge-api is configured with (signs the delivery callbacks).
pub const SMS_AUTH_TOKEN: &str = "tw-auth-token";

impl StandIn {
    /// The provider variables that point edge-api at this stand-in (Postmark, Twilio,
    /// siteverify), as `--var` pairs, with the provider hosts spin.toml lets the
    /// component call.
    pub fn variables(&self) -> Vec<(String, String)> {
        let p = &self.base;
        [
            ("email_provider_url", p.clone()),
            ("email_api_key", "pm-server-token".into()),
            ("email_from", "otp-edge <no-reply@example.com>".into()),
            ("sms_provider_url", p.clone()),
            ("sms_account", "AC0123456789".into()),
            ("sms_auth_token", SMS_AUTH_TOKEN.into()),
            ("sms_from", "+15005550006".into()),
            ("captcha_verify_url", format!("{p}/siteverify")),
            ("captcha_secret", "captcha-secret".into()),
            ("email_provider_host", p.clone()),
            ("sms_provider_host", p.clone()),
            ("captcha_provider_host", p.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Start on a free port.
    pub fn start() -> StandIn {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind stand-in");
        let base = format!("http://{}", server.server_addr().to_ip().expect("ip"));
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&recorded);
        let outage = Arc::new(Mutex::new(None));
        let failing = Arc::clone(&outage);
        std::thread::spawn(move || {
            let mut counter = 0u32;
            for mut request in server.incoming_requests() {
                let mut body = String::new();
                let _ = request.as_reader().read_to_string(&mut body);
                let path = request
                    .url()
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let headers = request
                    .headers()
                    .iter()
                    .map(|h| {
                        (
                            h.field.as_str().as_str().to_ascii_lowercase(),
                            h.value.to_string(),
                        )
                    })
                    .collect();
                let entry = Recorded {
                    path: path.clone(),
                    headers,
                    body,
                };
                counter += 1;
                let (status, answer) = if path == "/email" {
                    (
                        200,
                        format!(r#"{{"ErrorCode":0,"Message":"OK","MessageID":"pm-{counter}"}}"#),
                    )
                } else if path.ends_with("/Messages.json") {
                    match *failing.lock().unwrap() {
                        Some(Outage::SmsUnavailable | Outage::SmsHang) => {
                            (503, r#"{"code":20503,"message":"unavailable"}"#.to_owned())
                        }
                        Some(Outage::SmsGarbage) => (201, "<html>proxy error</html>".to_owned()),
                        _ => (
                            201,
                            format!(r#"{{"sid":"SM{counter:032}","status":"queued"}}"#),
                        ),
                    }
                } else if path == "/siteverify" {
                    let ok = entry.form("response").as_deref() == Some(CAPTCHA_PASS);
                    match *failing.lock().unwrap() {
                        Some(Outage::CaptchaUnavailable) => (502, "bad gateway".to_owned()),
                        Some(Outage::CaptchaGarbage) => (200, "{\"succ".to_owned()),
                        _ => (200, format!(r#"{{"success":{ok}}}"#)),
                    }
                } else {
                    (404, "{}".to_owned())
                };
                let hang = path.ends_with("/Messages.json")
                    && *failing.lock().unwrap() == Some(Outage::SmsHang);
                log.lock().unwrap().push(entry);
                let response = tiny_http::Response::from_string(answer)
                    .with_status_code(status)
                    .with_header(
                        "Content-Type: application/json"
                            .parse::<tiny_http::Header>()
                            .expect("header"),
                    );
                if hang {
                    // On its own thread, so the other stand-ins keep answering.
                    std::thread::spawn(move || {
                        std::thread::sleep(HANG);
                        let _ = request.respond(response);
                    });
                } else {
                    let _ = request.respond(response);
                }
            }
        });
        StandIn {
            base,
            recorded,
            outage,
        }
    }

    /// From now on, fail as `outage` says (`None`: work again).
    pub fn fail(&self, outage: Option<Outage>) {
        *self.outage.lock().unwrap() = outage;
    }

    /// Everything received so far.
    pub fn all(&self) -> Vec<Recorded> {
        self.recorded.lock().unwrap().clone()
    }

    /// Wait (up to 10 s) until `count` requests to paths matching `pred` have arrived,
    /// and return them. Delivery happens after edge-api answered, hence the wait.
    pub fn wait_for(&self, count: usize, pred: impl Fn(&Recorded) -> bool) -> Vec<Recorded> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found: Vec<Recorded> = self.all().into_iter().filter(|r| pred(r)).collect();
            if found.len() >= count || Instant::now() > deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
