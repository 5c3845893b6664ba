//! The component's side of Spin: the entry point and the otp-core ports over Spin's
//! key-value store (`wasi:keyvalue` store + atomics), wall clock, WASI random and Spin
//! variables. Only built for wasm32.

use crate::request::{ApiRequest, MAX_BODY_BYTES};
use crate::routes::{self, Platform};
use futures::StreamExt;
use otp_core::memory::MemoryOutbox;
use otp_core::ports::{Clock, Message, OsRng, Rng, Store, StoreError};
use spin_sdk::http::{IncomingRequest, Response};
use spin_sdk::http_component;
use spin_sdk::wit::wasi::keyvalue::{atomics, store};

/// The key-value store label (spin.toml `key_value_stores`).
const STORE_LABEL: &str = "default";
/// Store label of the development outbox (edge-host prints it and serves it at
/// `/_dev/outbox`), used while no e-mail/SMS provider is configured.
const DEV_OUTBOX_LABEL: &str = "dev_outbox";

struct SpinStore(store::Bucket);

fn unavailable(e: store::Error) -> StoreError {
    StoreError::Unavailable(match e {
        store::Error::NoSuchStore => "no such store".into(),
        store::Error::AccessDenied => "access denied".into(),
        store::Error::Other(text) => text,
    })
}

impl Store for SpinStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.get(key).map_err(unavailable)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.0.set(key, value).map_err(unavailable)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).map_err(unavailable)
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, StoreError> {
        let cas = atomics::Cas::new(&self.0, key).map_err(unavailable)?;
        if cas.current().map_err(unavailable)?.as_deref() != expected {
            return Ok(false);
        }
        match atomics::swap(cas, new) {
            Ok(()) => Ok(true),
            Err(atomics::CasError::CasFailed(_)) => Ok(false),
            Err(atomics::CasError::StoreError(e)) => Err(unavailable(e)),
        }
    }
}

struct WallClock;

impl Clock for WallClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

fn variable(name: &str) -> Option<String> {
    spin_sdk::variables::get(name).ok()
}

/// Read the body, stopping as soon as it exceeds [`MAX_BODY_BYTES`].
async fn read_body(req: IncomingRequest) -> Option<Vec<u8>> {
    let mut stream = req.into_body_stream();
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        body.extend(chunk.ok()?);
        if body.len() > MAX_BODY_BYTES {
            return None;
        }
    }
    Some(body)
}

fn internal_error() -> Response {
    Response::builder()
        .status(500)
        .header("content-type", "application/json")
        .body(r#"{"error":"internal_error","message":"the key-value store is unavailable"}"#)
        .build()
}

#[http_component]
async fn handle(req: IncomingRequest) -> Response {
    let path_with_query = req.path_with_query().unwrap_or_default();
    let path = path_with_query
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let headers = req
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| {
            (
                name.to_ascii_lowercase(),
                String::from_utf8_lossy(&value).into_owned(),
            )
        })
        .collect();
    let method = req.method().to_string();
    let body = read_body(req).await;
    let api_request = ApiRequest {
        method,
        path,
        headers,
        body,
    };
    let bucket = match store::open(STORE_LABEL) {
        Ok(bucket) => bucket,
        Err(e) => {
            eprintln!("edge-api: cannot open key-value store: {}", unavailable(e));
            return internal_error();
        }
    };
    let store = SpinStore(bucket);
    let outbox = MemoryOutbox::default();
    let platform = Platform {
        store: &store,
        clock: &WallClock,
        rng: &OsRng,
        outbox: &outbox,
        variables: &variable,
    };
    let answer = routes::handle(&api_request, &platform);
    deliver(outbox.take());
    let mut builder = Response::builder();
    builder.status(answer.status);
    for (name, value) in answer.headers() {
        builder.header(name, value);
    }
    builder.body(answer.body).build()
}

/// Deliver queued messages. Until provider delivery exists, every message goes to the
/// development outbox store (never in a deployment with providers configured).
fn deliver(messages: Vec<Message>) {
    if messages.is_empty() {
        return;
    }
    let bucket = match store::open(DEV_OUTBOX_LABEL) {
        Ok(bucket) => bucket,
        Err(e) => {
            eprintln!(
                "edge-api: development outbox unavailable: {}",
                unavailable(e)
            );
            return;
        }
    };
    for message in messages {
        let value = match &message {
            Message::Email { to, subject, body } => {
                serde_json::json!({"kind": "email", "to": to, "subject": subject, "body": body})
            }
            Message::Sms { to, body } => serde_json::json!({"kind": "sms", "to": to, "body": body}),
        };
        let mut nonce = [0u8; 4];
        let _ = OsRng.fill(&mut nonce);
        let key = format!(
            "{:013}-{:08x}",
            WallClock.now_ms(),
            u32::from_be_bytes(nonce)
        );
        if let Err(e) = bucket.set(&key, value.to_string().as_bytes()) {
            eprintln!(
                "edge-api: development outbox write failed: {}",
                unavailable(e)
            );
        }
    }
}
