//! The load: fixed connections for a fixed time on 127.0.0.1.
//!
//! - `GET` of one path through [oha](https://github.com/hatoo/oha) and its
//!   `--output-format json` (latency percentiles, status counts, errors);
//! - the sign-in OTP step (and `GET` on Spin) through a small client on hyper/tokio:
//!   one HTTP/1.1 connection per task on one thread, each prepared body sent exactly
//!   once (a task that finds none left stops and is counted), every latency on the
//!   monotonic clock into an HdrHistogram (3 significant digits); `TCP_NODELAY` on every
//!   connection, and `TCP_QUICKACK` again after every read and write ([`QuickAck`]).

use std::pin::Pin;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::bench::load::Run;
use crate::error::{Error, Result};
use crate::process::display;

/// A request with no answer within this counts as an error.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What to send.
#[derive(Debug, Clone)]
pub enum Script {
    /// `GET` of a path (through oha).
    Get(&'static str),
    /// `GET` of a path through the hyper client (for a server that needs the client's
    /// quick ACKs, [`QuickAck`]: oha's would wait 40 ms on Spin).
    ClientGet(&'static str),
    /// `POST /api/session/otp` with each of these JSON bodies once.
    OtpStep(Vec<String>),
}

/// The next request to send (`None`: none left).
type NextRequest = Arc<dyn Fn() -> Option<Request<Full<bytes::Bytes>>> + Send + Sync>;

/// What one connection saw: latencies (µs), non-200 answers, errors, and whether it
/// ran out of requests.
type Tally = (Histogram<u64>, u64, u64, bool);

/// Sends `script` to `base` (`http://127.0.0.1:PORT`) on `connections` connections for
/// `seconds`; the run's load figures (the rest of [`Run`] left empty).
pub fn run(base: &str, connections: u32, seconds: u64, script: Script) -> Result<Run> {
    let duration = Duration::from_secs(seconds);
    let (path, bodies) = match script {
        Script::Get(path) => return oha(base, connections, duration, path),
        Script::ClientGet(path) => (path, Vec::new()),
        Script::OtpStep(bodies) => ("/api/session/otp", bodies),
    };
    let authority = base.trim_start_matches("http://").trim_end_matches('/');
    let (host, next) = (authority.to_owned(), AtomicUsize::new(0));
    let next: NextRequest = Arc::new(move || {
        let builder = Request::builder().uri(path).header("host", &host);
        let builder = builder.header("accept", "application/json");
        if bodies.is_empty() {
            return builder.method("GET").body(Full::default()).ok();
        }
        let body = bodies.get(next.fetch_add(1, Ordering::Relaxed))?.clone();
        let builder = builder.method("POST");
        builder
            .header("content-type", "application/json")
            .body(Full::from(body))
            .ok()
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let runtime = runtime.map_err(|e| Error::Project(format!("starting the load client: {e}")))?;
    let started = Instant::now();
    let tallies: Vec<Tally> = runtime.block_on(async {
        let connect = |_| {
            tokio::spawn(connection(
                authority.into(),
                next.clone(),
                started + duration,
            ))
        };
        let tasks: Vec<_> = (0..connections).map(connect).collect();
        let mut tallies = Vec::new();
        for task in tasks {
            tallies.extend(task.await.ok());
        }
        tallies
    });
    let mut all = histogram();
    for t in &tallies {
        all.add(&t.0).ok();
    }
    let sum = |f: fn(&Tally) -> u64| tallies.iter().map(f).sum();
    Ok(Run {
        requests: all.len(),
        duration: started
            .elapsed()
            .min(duration.max(Duration::from_millis(1))),
        p50_ns: all.value_at_quantile(0.5) as f64 * 1e3,
        p99_ns: all.value_at_quantile(0.99) as f64 * 1e3,
        non200: sum(|t| t.1),
        socket_errors: sum(|t| t.2),
        exhausted: sum(|t| u64::from(t.3)),
        ..Run::default()
    })
}

/// The oha version line (`oha 1.16.0`).
pub fn oha_version() -> String {
    crate::bench::machine::output(Command::new("oha").arg("--version")).unwrap_or("oha".into())
}

/// `GET base+path` through oha.
fn oha(base: &str, connections: u32, duration: Duration, path: &str) -> Result<Run> {
    let (c, z) = (
        connections.to_string(),
        format!("{}ms", duration.as_millis()),
    );
    let (t, url) = (format!("{}s", TIMEOUT.as_secs()), format!("{base}{path}"));
    let mut command = Command::new("oha");
    // Requests in flight at the end are answered and counted, not aborted.
    let flags = "--no-tui --output-format json --wait-ongoing-requests-after-deadline";
    command
        .args(flags.split(' '))
        .args(["-c", &c, "-z", &z, "-t", &t, &url]);
    let out = command.output().map_err(|source| Error::Spawn {
        command: display(&command),
        source,
    })?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_oha(&text, duration).ok_or_else(|| {
        let (stderr, status) = (String::from_utf8_lossy(&out.stderr), out.status);
        let command = display(&command);
        Error::Project(format!(
            "{command} printed no JSON summary ({status}):\n{text}{stderr}"
        ))
    })
}

/// oha's JSON: `summary` (seconds), `latencyPercentiles` (seconds),
/// `statusCodeDistribution` and `errorDistribution` (counts by name).
fn parse_oha(text: &str, duration: Duration) -> Option<Run> {
    let json: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
    let count = |v: &serde_json::Value| -> u64 {
        let counts = v.as_object().into_iter().flat_map(|m| m.values());
        counts.filter_map(|v| v.as_u64()).sum()
    };
    let statuses = &json["statusCodeDistribution"];
    let requests = count(statuses);
    let ns = |p: &str| json["latencyPercentiles"][p].as_f64().map(|s| s * 1e9);
    let total = json["summary"]["total"].as_f64();
    Some(Run {
        requests,
        duration: total.map_or(duration, Duration::from_secs_f64),
        p50_ns: ns("p50")?,
        p99_ns: ns("p99")?,
        non200: requests - statuses["200"].as_u64().unwrap_or(0),
        socket_errors: count(&json["errorDistribution"]),
        ..Run::default()
    })
}

/// Latencies of 1 µs to 60 s, 3 significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("constant bounds")
}

/// One keep-alive connection sending the next request until `deadline`.
async fn connection(authority: String, next: NextRequest, deadline: Instant) -> Tally {
    let mut tally = (histogram(), 0, 0, false);
    let connected = async {
        let stream = TcpStream::connect(&authority).await.ok()?;
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(QuickAck(stream));
        hyper::client::conn::http1::handshake(io).await.ok()
    };
    let Some((mut sender, conn)) = connected.await else {
        tally.2 += 1;
        return tally;
    };
    tokio::spawn(conn);
    while Instant::now() < deadline {
        let Some(request) = next() else {
            tally.3 = true;
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
            tally.2 += 1;
            break;
        };
        let _ = tally.0.record(sent.elapsed().as_micros().max(1) as u64);
        tally.1 += u64::from(status != hyper::StatusCode::OK);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ohas_json_summary() {
        let text = r#"{"summary":{"successRate":1.0,"total":3.0012,"slowest":0.0041,
            "fastest":0.0001,"average":0.0002,"requestsPerSec":5000.0},
            "latencyPercentiles":{"p10":0.0001,"p50":0.000132,"p90":0.0002,"p99":0.000413},
            "statusCodeDistribution":{"200":15000,"500":3},"errorDistribution":{"timeout":2}}"#;
        let run = parse_oha(text, Duration::from_secs(3)).unwrap();
        assert_eq!((run.requests, run.non200, run.socket_errors), (15003, 3, 2));
        assert!((run.p50_ns - 132e3).abs() < 1e-3 && (run.p99_ns - 413e3).abs() < 1e-3);
        assert!((run.rps() - 15003.0 / 3.0012).abs() < 1e-6);
    }
}
