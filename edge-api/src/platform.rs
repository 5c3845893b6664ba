//! The component's side of Spin: the entry point and the otp-core ports over Spin's
//! key-value store (`wasi:keyvalue` store + atomics), wall clock, WASI random, Spin
//! variables and outbound HTTP. Only built for wasm32.

use crate::context::Platform;
use crate::delivery;
use crate::providers::{BoxFuture, HttpCall, HttpReply, ProviderError, Transport};
use crate::request::{ApiRequest, MAX_BODY_BYTES};
use crate::routes;
use futures::StreamExt;
use otp_core::memory::MemoryOutbox;
use otp_core::ports::{Clock, OsRng, Store, StoreError, same_value};
use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};
use spin_sdk::http_component;
use spin_sdk::wit::wasi::keyvalue::{atomics, store};

/// The key-value store label (spin.toml `key_value_stores`).
const STORE_LABEL: &str = "default";
/// Where the platform mounts the web directory (spin.toml `files`, edge-host `--web`).
const WEB_ROOT: &str = "/";

/// A Spin key-value store, and the keys this request wrote to it.
///
/// Spin 3.x keeps a per-request cache in front of every store (`otp_core::ports::Store`,
/// G4), and a swap Spin answers `cas-failed` — every swap on its Redis store — leaves
/// the value from before the swap in that cache. So a key this request wrote is read
/// past the cache afterwards, and a `get` sees this request's own writes (G1).
struct SpinStore {
    bucket: store::Bucket,
    written: std::cell::RefCell<std::collections::HashSet<String>>,
}

impl SpinStore {
    fn wrote(&self, key: &str) {
        self.written.borrow_mut().insert(key.to_owned());
    }
}

fn unavailable(e: store::Error) -> StoreError {
    StoreError::Unavailable(match e {
        store::Error::NoSuchStore => "no such store".into(),
        store::Error::AccessDenied => "access denied".into(),
        store::Error::Other(text) => text,
    })
}

impl Store for SpinStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if self.written.borrow().contains(key) {
            return self.get_fresh(key);
        }
        self.bucket.get(key).map_err(unavailable)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.wrote(key);
        // Spin 3.x's `set` is write-behind (see `otp_core::ports::Store`, G4): write
        // through a swap, which reaches the store before it returns. A swap that lost to
        // a concurrent writer of the same key leaves that writer's value, as if ours had
        // been written first (last writer wins, which is all `set` promises); Spin's
        // Redis swap answers `cas-failed` either way.
        let cas = atomics::Cas::new(&self.bucket, key).map_err(unavailable)?;
        cas.current().map_err(unavailable)?;
        match atomics::swap(cas, value) {
            Ok(()) | Err(atomics::CasError::CasFailed(_)) => Ok(()),
            Err(atomics::CasError::StoreError(e)) => Err(unavailable(e)),
        }
    }
    fn get_fresh(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        // A swap's `current` flushes Spin's per-request cache and reads the store.
        let cas = atomics::Cas::new(&self.bucket, key).map_err(unavailable)?;
        cas.current().map_err(unavailable)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.bucket.delete(key).map_err(unavailable)
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, StoreError> {
        // The answer is a hint (Spin's Redis store answers `cas-failed` after every
        // swap): otp-core reads back to learn whether the write happened.
        self.wrote(key);
        let cas = atomics::Cas::new(&self.bucket, key).map_err(unavailable)?;
        let same = match (cas.current().map_err(unavailable)?, expected) {
            (Some(current), Some(expected)) => same_value(&current, expected),
            (current, expected) => current.is_none() && expected.is_none(),
        };
        if !same {
            return Ok(false);
        }
        match atomics::swap(cas, new) {
            Ok(()) => Ok(true),
            Err(atomics::CasError::CasFailed(_)) => Ok(false),
            Err(atomics::CasError::StoreError(e)) => Err(unavailable(e)),
        }
    }
    fn keys_after(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        // Spin answers every key at once; edge-host pages with a cursor.
        let mut keys = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self
                .bucket
                .list_keys(cursor.as_deref())
                .map_err(unavailable)?;
            keys.extend(page.keys);
            match page.cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(otp_core::ports::page_of_keys(keys, prefix, after, limit))
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.wrote(key);
        atomics::increment(&self.bucket, key, delta).map_err(unavailable)
    }
}

/// A store that could not be opened: every operation fails (so the routes answer 500).
struct NoStore(String);

impl Store for NoStore {
    fn get(&self, _: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Err(StoreError::Unavailable(self.0.clone()))
    }
    fn set(&self, _: &str, _: &[u8]) -> Result<(), StoreError> {
        Err(StoreError::Unavailable(self.0.clone()))
    }
    fn delete(&self, _: &str) -> Result<(), StoreError> {
        Err(StoreError::Unavailable(self.0.clone()))
    }
    fn compare_and_swap(&self, _: &str, _: Option<&[u8]>, _: &[u8]) -> Result<bool, StoreError> {
        Err(StoreError::Unavailable(self.0.clone()))
    }
    fn increment(&self, _: &str, _: i64) -> Result<i64, StoreError> {
        Err(StoreError::Unavailable(self.0.clone()))
    }
}

fn open(label: &str) -> Box<dyn Store> {
    match store::open(label) {
        Ok(bucket) => Box::new(SpinStore {
            bucket,
            written: Default::default(),
        }),
        Err(e) => Box::new(NoStore(format!("store '{label}': {}", unavailable(e)))),
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
    fn pause_ms(&self, ms: u64) {
        // WASI monotonic-clock subscription: the host runs other requests meanwhile.
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// Outbound HTTP through Spin (`wasi:http/outgoing-handler`); hosts must be listed in
/// spin.toml `allowed_outbound_hosts`.
struct SpinTransport;

/// How long a provider may take: to connect, to send the first byte of its answer, and
/// between bytes (wasi-http `request-options`, which Spin and wasmtime honour). A
/// provider slower than this is `Unreachable`: the person gets 502
/// `provider_unavailable` instead of a request that hangs.
const CONNECT_TIMEOUT_NS: u64 = 5_000_000_000;
/// See [`CONNECT_TIMEOUT_NS`].
const ANSWER_TIMEOUT_NS: u64 = 10_000_000_000;

impl Transport for SpinTransport {
    fn send(&self, call: HttpCall) -> BoxFuture<'_, Result<HttpReply, ProviderError>> {
        Box::pin(async move { send_with_timeouts(call) })
    }
}

/// One outbound request with [`CONNECT_TIMEOUT_NS`] and [`ANSWER_TIMEOUT_NS`]; the
/// component waits for it (nothing else runs in this request meanwhile).
fn send_with_timeouts(call: HttpCall) -> Result<HttpReply, ProviderError> {
    use spin_sdk::http::conversions::TryIntoOutgoingRequest;
    use spin_sdk::wit::wasi::http0_2_0::outgoing_handler;
    use spin_sdk::wit::wasi::http0_2_0::types::{IncomingBody, OutgoingBody, RequestOptions};
    let failed = |what: &str| ProviderError::Unreachable(what.to_owned());
    let mut request = spin_sdk::http::Request::builder();
    request.method(spin_sdk::http::Method::Post).uri(call.url);
    for (name, value) in call.headers {
        request.header(name, value);
    }
    let request = request.body(call.body).build();
    let (outgoing, body) = request
        .try_into_outgoing_request()
        .map_err(|e| ProviderError::Unreachable(e.to_string()))?;
    let options = RequestOptions::new();
    // A host that cannot set a timeout leaves its own default.
    let _ = options.set_connect_timeout(Some(CONNECT_TIMEOUT_NS));
    let _ = options.set_first_byte_timeout(Some(ANSWER_TIMEOUT_NS));
    let _ = options.set_between_bytes_timeout(Some(ANSWER_TIMEOUT_NS));
    let sink = outgoing.body().map_err(|()| failed("no request body"))?;
    let pending = outgoing_handler::handle(outgoing, Some(options))
        .map_err(|e| ProviderError::Unreachable(format!("{e:?}")))?;
    {
        let stream = sink
            .write()
            .map_err(|()| failed("no request body stream"))?;
        for chunk in body.unwrap_or_default().chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| ProviderError::Unreachable(format!("{e:?}")))?;
        }
    }
    OutgoingBody::finish(sink, None).map_err(|e| ProviderError::Unreachable(format!("{e:?}")))?;
    pending.subscribe().block();
    let response = pending
        .get()
        .ok_or_else(|| failed("no answer"))?
        .map_err(|()| failed("answer already taken"))?
        .map_err(|e| ProviderError::Unreachable(format!("{e:?}")))?;
    let status = response.status();
    let incoming = response.consume().map_err(|()| failed("no answer body"))?;
    let mut answer = Vec::new();
    {
        let stream = incoming.stream().map_err(|()| failed("no answer stream"))?;
        // Read until the stream closes; a broken one (a timeout between bytes) fails.
        loop {
            match stream.blocking_read(16 * 1024) {
                Ok(bytes) => answer.extend(bytes),
                Err(wasi::io::streams::StreamError::Closed) => break,
                Err(e) => return Err(ProviderError::Unreachable(format!("{e:?}"))),
            }
        }
    }
    let _ = IncomingBody::finish(incoming);
    Ok(HttpReply {
        status,
        body: answer,
    })
}

fn variable(name: &str) -> Option<String> {
    spin_sdk::variables::get(name).ok()
}

/// Bytes of an over-long body read and dropped before answering 413, so a client that
/// is still sending gets to read the answer instead of a reset connection.
const MAX_DRAIN_BYTES: usize = 2 * 1024 * 1024;

/// Read the body; `None` when it exceeds [`MAX_BODY_BYTES`] (nothing past the limit is
/// kept; reading stops at [`MAX_DRAIN_BYTES`]).
async fn read_body(req: IncomingRequest) -> Option<Vec<u8>> {
    let mut stream = req.into_body_stream();
    let mut body = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.ok()?;
        seen += chunk.len();
        if seen > MAX_DRAIN_BYTES {
            return None;
        }
        if seen <= MAX_BODY_BYTES {
            body.extend(chunk);
        }
    }
    (seen <= MAX_BODY_BYTES).then_some(body)
}

async fn api_request(req: IncomingRequest) -> ApiRequest {
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
    ApiRequest {
        method,
        path,
        headers,
        body,
    }
}

#[http_component]
async fn handle(req: IncomingRequest, response_out: ResponseOutparam) {
    let request = api_request(req).await;
    let store = open(STORE_LABEL);
    let outbox = MemoryOutbox::default();
    let platform = Platform {
        store: store.as_ref(),
        clock: &WallClock,
        rng: &OsRng,
        outbox: &outbox,
        transport: &SpinTransport,
        variables: &variable,
        web: std::path::Path::new(WEB_ROOT),
    };
    let answer = routes::handle(&request, &platform).await;
    let headers: Vec<(String, Vec<u8>)> = answer
        .headers()
        .into_iter()
        .map(|(name, value)| (name, value.into_bytes()))
        .collect();
    let response = match Fields::from_list(&headers) {
        Ok(fields) => OutgoingResponse::new(fields),
        Err(_) => OutgoingResponse::new(Fields::new()),
    };
    let _ = response.set_status_code(answer.status);
    if let Err(e) = response_out.set_with_body(response, answer.body).await {
        eprintln!("edge-api: response not sent: {e:?}");
    }
    // The response is complete; e-mails and text messages go out now.
    delivery::deliver(&platform, &request, outbox.take()).await;
}
