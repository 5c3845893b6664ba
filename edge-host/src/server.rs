//! The HTTP server: accepts connections, routes each request, logs it, and shuts down
//! gracefully.
//!
//! Every request goes to the component, on route `/...` as in spin.toml, with the
//! request headers Spin adds (see [`spin_headers`]): the component answers the API,
//! the development outbox and the pages (from the web directory, preopened for it).

use crate::access_log;
use crate::runtime::ComponentRuntime;
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

/// How long in-flight requests may take to finish once shutdown starts.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The route the component is mounted on, in Spin's notation (spin.toml).
pub const ROUTE: &str = "/...";

/// How long clients may take, and how many are served at once (`edge-host --help`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// To send a request's headers (and to start the next one on a kept-alive
    /// connection); then the connection is closed.
    pub header_timeout: Duration,
    /// For one request once its headers are in, body included; then 408.
    pub request_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

/// Everything a request handler needs.
pub struct App {
    /// Timeouts and the connection cap.
    pub limits: Limits,
    /// The compiled component.
    pub runtime: ComponentRuntime,
    /// `Host` to assume when a request has none (the listening address).
    pub default_host: String,
}

/// Serves connections from `listener` until `shutdown` completes, then lets in-flight
/// requests (and guests still working after their response) finish for up to
/// [`SHUTDOWN_GRACE`]. Returns how many connections and guests had to be abandoned.
pub async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()>,
) -> usize {
    let (stop_sender, stop) = tokio::sync::watch::channel(false);
    let mut connections = JoinSet::new();
    // One permit per connection being served; at the cap, accepting waits.
    let slots = Arc::new(tokio::sync::Semaphore::new(app.limits.max_connections));
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let app = Arc::clone(&app);
                    let stop = stop.clone();
                    connections.spawn(async move {
                        serve_connection(stream, peer, app, stop).await;
                        drop(slot);
                    });
                }
                Err(error) => {
                    // E.g. out of file descriptors: keep serving the open connections.
                    eprintln!("edge-host: accept failed: {error}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = stop_sender.send(true);
    let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
    let drained = tokio::time::timeout_at(deadline, async {
        while connections.join_next().await.is_some() {}
        app.runtime.wait_idle().await;
    })
    .await;
    if drained.is_err() {
        let abandoned = connections.len() + app.runtime.running();
        connections.abort_all();
        while connections.join_next().await.is_some() {}
        return abandoned;
    }
    0
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Arc<App>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let limits = app.limits;
    let service = service_fn(move |request| {
        let app = Arc::clone(&app);
        async move { Ok::<_, Infallible>(handle(&app, request, peer).await) }
    });
    let connection = http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let stopping = async move {
        let _ = stop.wait_for(|stopping| *stopping).await;
    };
    tokio::select! {
        _ = connection.as_mut() => {}
        () = stopping => {
            // Finish the request in progress (if any), then close.
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Routes one request and logs it.
async fn handle(
    app: &App,
    request: Request<Incoming>,
    peer: SocketAddr,
) -> Response<HyperOutgoingBody> {
    let mut log = RequestLog {
        started: Instant::now(),
        method: request.method().clone(),
        path: request.uri().path().to_owned(),
        status: None,
    };
    let response = match tokio::time::timeout(
        app.limits.request_timeout,
        component(app, request, peer, &log.path),
    )
    .await
    {
        Ok(response) => response,
        Err(_) => {
            let mut reply = json_error(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "the request took too long to arrive; please send it again",
            );
            reply
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            reply
        }
    };
    log.status = Some(response.status());
    response
}

/// Writes the access-log line when the request ends, including when the client
/// disconnects before the response is ready (hyper then drops the handler): that case
/// is logged with status 499, as nginx does.
struct RequestLog {
    started: Instant,
    method: Method,
    path: String,
    status: Option<StatusCode>,
}

/// Status logged for a request whose client went away before the response.
const CLIENT_CLOSED: u16 = 499;

impl Drop for RequestLog {
    fn drop(&mut self) {
        let status = self.status.unwrap_or_else(|| {
            StatusCode::from_u16(CLIENT_CLOSED).unwrap_or(StatusCode::BAD_REQUEST)
        });
        let mut line = access_log::line(&self.method, &self.path, status, self.started.elapsed());
        line.push('\n');
        // One write per line (`eprintln!` writes the line and its newline apart), so
        // lines of concurrent requests never interleave; a failed write drops the line.
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), line.as_bytes());
    }
}

async fn component(
    app: &App,
    request: Request<Incoming>,
    peer: SocketAddr,
    path: &str,
) -> Response<HyperOutgoingBody> {
    let (mut parts, body) = request.into_parts();
    spin_headers(&mut parts.headers, &parts.uri, peer, &app.default_host);
    let method = parts.method.clone();
    match app.runtime.handle(Request::from_parts(parts, body)).await {
        Ok(response) => response,
        Err(error) => {
            eprintln!(
                "edge-host: component failed on {method} {}: {}",
                access_log::redact_path(path),
                one_line(&error.to_string())
            );
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the server failed while handling this request",
            )
        }
    }
}

/// Adds the headers Spin gives a component on route [`ROUTE`] *after* the client's
/// own, as Spin does (`crates/trigger-http/src/wasi.rs`: `prepare_request_headers`,
/// then `HeaderMap::extend`, which appends): a `spin-*` header the client sent stays in
/// front of the platform's, so the component meets on edge-host exactly what it meets
/// on Spin and must take the last value (edge-api `ApiRequest::platform_header`). Adds
/// `Host` when missing (WASI HTTP needs an authority).
pub fn spin_headers(
    headers: &mut HeaderMap,
    uri: &http::Uri,
    peer: SocketAddr,
    default_host: &str,
) {
    let host = match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => host.to_owned(),
        None => {
            if let Ok(value) = HeaderValue::from_str(default_host) {
                headers.insert(header::HOST, value);
            }
            default_host.to_owned()
        }
    };
    let path = uri.path();
    let path_and_query = uri.path_and_query().map_or(path, |pq| pq.as_str());
    let set = [
        ("spin-full-url", format!("http://{host}{path_and_query}")),
        ("spin-path-info", path.to_owned()),
        ("spin-matched-route", ROUTE.to_owned()),
        ("spin-raw-component-route", ROUTE.to_owned()),
        ("spin-component-route", String::new()),
        ("spin-base-path", "/".to_owned()),
        ("spin-client-addr", peer.to_string()),
    ];
    for (name, value) in set {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.append(HeaderName::from_static(name), value);
        }
    }
}

/// A JSON error in the API's shape: `{"error": code, "message": text}`.
fn json_error(status: StatusCode, code: &str, message: &str) -> Response<HyperOutgoingBody> {
    let body = serde_json::json!({ "error": code, "message": message }).to_string();
    response(status, "application/json", Bytes::from(body))
}

fn response(
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
) -> Response<HyperOutgoingBody> {
    let mut reply = Response::new(
        Full::new(body)
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *reply.status_mut() = status;
    let headers = reply.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The protections the component gives its own API answers (edge-api `security`).
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    reply
}

/// Collapses a multi-line message (e.g. a wasm backtrace) onto one line.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers_for(uri: &str, incoming: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in incoming {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        let uri: http::Uri = uri.parse().unwrap();
        spin_headers(
            &mut headers,
            &uri,
            "10.1.2.3:4567".parse().unwrap(),
            "127.0.0.1:3000",
        );
        headers
    }

    #[test]
    fn spin_headers_are_set() {
        let headers = headers_for("/api/session/otp?x=1", &[("host", "example.test:8080")]);
        let get = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_owned();
        assert_eq!(
            get("spin-full-url"),
            "http://example.test:8080/api/session/otp?x=1"
        );
        assert_eq!(get("spin-path-info"), "/api/session/otp");
        assert_eq!(get("spin-matched-route"), "/...");
        assert_eq!(get("spin-raw-component-route"), "/...");
        assert_eq!(get("spin-component-route"), "");
        assert_eq!(get("spin-base-path"), "/");
        assert_eq!(get("spin-client-addr"), "10.1.2.3:4567");
        assert_eq!(get("host"), "example.test:8080");
    }

    #[test]
    fn spin_headers_follow_the_clients_own_as_on_spin() {
        let headers = headers_for(
            "/api",
            &[
                ("spin-client-addr", "1.1.1.1:1"),
                ("spin-client-addr", "2.2.2.2:2"),
                ("spin-made-up", "x"),
                ("x-other", "kept"),
            ],
        );
        let values: Vec<_> = headers.get_all("spin-client-addr").iter().collect();
        assert_eq!(
            values,
            ["1.1.1.1:1", "2.2.2.2:2", "10.1.2.3:4567"],
            "the platform's last"
        );
        assert_eq!(headers.get("spin-made-up").unwrap(), "x");
        assert_eq!(headers.get("x-other").unwrap(), "kept");
        assert_eq!(headers.get("spin-path-info").unwrap(), "/api");
        // No Host header: the listening address stands in.
        assert_eq!(headers.get("host").unwrap(), "127.0.0.1:3000");
        assert_eq!(
            headers.get("spin-full-url").unwrap(),
            "http://127.0.0.1:3000/api"
        );
    }

    #[test]
    fn one_line_joins_lines() {
        assert_eq!(one_line("trap\n  0: f\n\n  1: g\n"), "trap | 0: f | 1: g");
    }
}
