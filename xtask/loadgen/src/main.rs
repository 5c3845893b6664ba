//! `otp-loadgen BASE PATH CONNECTIONS SECONDS`: the load client of `cargo xtask bench`
//! for what oha cannot send — each prepared request exactly once.
//!
//! Standard input holds the JSON bodies, one a line: each is sent once as
//! `POST BASE+PATH` (`application/json`); with none, every request is `GET BASE+PATH`.
//! `CONNECTIONS` HTTP/1.1 keep-alive connections (one task each, on one thread) send
//! the next request as soon as the previous answer is read, until `SECONDS` have passed
//! or the bodies run out. Every latency, from sending to the end of the answer's body,
//! goes into an HdrHistogram (1 µs to 60 s, 3 significant digits); a request with no
//! answer within 10 s counts as a socket error and ends its connection.
//!
//! Prints one JSON object: `requests`, `seconds` (how long it sent), `p50_us`, `p99_us`,
//! `non200` (answers other than 200), `socket_errors`, `exhausted` (connections that
//! found no body left).
//!
//! It is a release binary of its own (the bench builds it with edge-host) so that the
//! client's own work — building, parsing and timing requests — is as lean as oha's and
//! does not enter the measured latency or take the cores from the server.

use std::io::Read;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A request with no answer within this counts as an error.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What to send: the host, the path, and the bodies still to send (none: `GET`).
struct Script {
    authority: String,
    path: String,
    bodies: Vec<Bytes>,
    next: AtomicUsize,
}

impl Script {
    /// The next request, `None` when every body was sent.
    fn next(&self) -> Option<Request<Full<Bytes>>> {
        let builder = Request::builder()
            .uri(&self.path)
            .header("host", &self.authority)
            .header("accept", "application/json");
        if self.bodies.is_empty() {
            return builder.method("GET").body(Full::default()).ok();
        }
        let body = self.bodies.get(self.next.fetch_add(1, Ordering::Relaxed))?;
        builder
            .method("POST")
            .header("content-type", "application/json")
            .body(Full::new(body.clone()))
            .ok()
    }
}

/// What one connection saw: latencies (µs), non-200 answers, errors, and whether it
/// ran out of requests.
struct Tally {
    latencies: Histogram<u64>,
    non200: u64,
    errors: u64,
    exhausted: bool,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [base, path, connections, seconds] => connections
            .parse::<u32>()
            .ok()
            .zip(seconds.parse::<u64>().ok())
            .map(|(c, s)| (base, path, c, s)),
        _ => None,
    };
    let Some((base, path, connections, seconds)) = parsed else {
        eprintln!("usage: otp-loadgen BASE PATH CONNECTIONS SECONDS < bodies (one a line)");
        std::process::exit(2);
    };
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("otp-loadgen: reading the bodies: {e}");
        std::process::exit(2);
    }
    let script = Arc::new(Script {
        authority: base
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned(),
        path: path.clone(),
        bodies: input
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| Bytes::from(l.to_owned()))
            .collect(),
        next: AtomicUsize::new(0),
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let runtime = runtime.unwrap_or_else(|e| {
        eprintln!("otp-loadgen: starting the runtime: {e}");
        std::process::exit(1)
    });
    let duration = Duration::from_secs(seconds);
    let started = Instant::now();
    let tallies: Vec<Tally> = runtime.block_on(async {
        let tasks: Vec<_> = (0..connections)
            .map(|_| tokio::spawn(connection(Arc::clone(&script), started + duration)))
            .collect();
        let mut tallies = Vec::new();
        for task in tasks {
            tallies.extend(task.await.ok());
        }
        tallies
    });
    let sent_for = started
        .elapsed()
        .min(duration.max(Duration::from_millis(1)));
    let mut all = histogram();
    for t in &tallies {
        all.add(&t.latencies).ok();
    }
    let sum = |f: fn(&Tally) -> u64| tallies.iter().map(f).sum::<u64>();
    let summary = serde_json::json!({
        "requests": all.len(),
        "seconds": sent_for.as_secs_f64(),
        "p50_us": all.value_at_quantile(0.5),
        "p99_us": all.value_at_quantile(0.99),
        "non200": sum(|t| t.non200),
        "socket_errors": sum(|t| t.errors),
        "exhausted": sum(|t| u64::from(t.exhausted)),
    });
    println!("{summary}");
}

/// Latencies of 1 µs to 60 s, 3 significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("constant bounds")
}

/// One keep-alive connection sending the next request until `deadline`.
async fn connection(script: Arc<Script>, deadline: Instant) -> Tally {
    let mut tally = Tally {
        latencies: histogram(),
        non200: 0,
        errors: 0,
        exhausted: false,
    };
    let connected = async {
        let stream = TcpStream::connect(&script.authority).await.ok()?;
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(QuickAck(stream));
        hyper::client::conn::http1::handshake(io).await.ok()
    };
    let Some((mut sender, conn)) = connected.await else {
        tally.errors += 1;
        return tally;
    };
    tokio::spawn(conn);
    while Instant::now() < deadline {
        let Some(request) = script.next() else {
            tally.exhausted = true;
            break;
        };
        let sent = Instant::now();
        let answer = tokio::time::timeout(TIMEOUT, async {
            let response = sender.send_request(request).await?;
            let status = response.status();
            response.into_body().collect().await?;
            Ok::<_, hyper::Error>(status)
        });
        let Ok(Ok(status)) = answer.await else {
            tally.errors += 1;
            break;
        };
        let _ = tally
            .latencies
            .record(sent.elapsed().as_micros().max(1) as u64);
        tally.non200 += u64::from(status != hyper::StatusCode::OK);
    }
    tally
}

/// A client socket that acknowledges at once what it receives. Linux delays an ACK
/// (up to 40 ms) on a connection it judges interactive, waiting to piggyback it on the
/// next request; a server that writes a response in two parts without `TCP_NODELAY`
/// (Spin's HTTP trigger, `crates/trigger-http/src/server.rs`) holds the second part
/// back until that ACK arrives (Nagle), so every answer would wait for the client's
/// timer. `TCP_QUICKACK` is not sticky: the kernel may leave quick-ACK mode after any
/// segment, so it is set again after every read and write (tcp(7)).
struct QuickAck(TcpStream);

impl QuickAck {
    fn rearm<T>(&self, poll: Poll<T>) -> Poll<T> {
        if poll.is_ready() {
            let _ = socket2::SockRef::from(&self.0).set_tcp_quickack(true);
        }
        poll
    }
}

type Io<T> = Poll<std::io::Result<T>>;

impl AsyncRead for QuickAck {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Io<()> {
        let poll = Pin::new(&mut self.0).poll_read(cx, buf);
        self.rearm(poll)
    }
}

impl AsyncWrite for QuickAck {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Io<usize> {
        let poll = Pin::new(&mut self.0).poll_write(cx, buf);
        self.rearm(poll)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Io<()> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Io<()> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
