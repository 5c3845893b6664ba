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

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::error::{Error, Result};
use crate::process::display;

/// A request with no answer within this counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What one run measured.
#[derive(Debug, Clone, Default)]
pub struct LoadRun {
    /// Responses received.
    pub requests: u64,
    /// How long the run sent.
    pub duration: Duration,
    /// Median latency, microseconds.
    pub p50_us: f64,
    /// 99th percentile, microseconds.
    pub p99_us: f64,
    /// Responses with a status other than 200.
    pub non200: u64,
    /// Connections that ran out of prepared bodies.
    pub exhausted_connections: u64,
    /// Connect, read and write errors and timeouts.
    pub socket_errors: u64,
}

impl LoadRun {
    /// Responses per second.
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.duration.as_secs_f64().max(1e-9)
    }
}

/// What to send.
#[derive(Debug, Clone)]
pub enum Script {
    /// `GET` of a path (through oha).
    Get(&'static str),
    /// `GET` of a path through the hyper client (for a server that needs the client's
    /// quick ACKs, [`QuickAck`]: oha's would wait 40 ms on Spin).
    ClientGet(&'static str),
    /// `POST /api/session/otp` with each of these bodies once.
    OtpStep(Arc<Vec<String>>),
}

/// One run's load.
#[derive(Debug, Clone)]
pub struct Load {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Open connections.
    pub connections: u32,
    /// How long to send.
    pub duration: Duration,
    /// What to send.
    pub script: Script,
}

/// Runs `load` and returns what it measured.
pub fn run(load: &Load) -> Result<LoadRun> {
    match &load.script {
        Script::Get(path) => oha(load, path),
        Script::ClientGet(path) => {
            let path = *path;
            client(load, move |host| {
                hyper::Request::get(path)
                    .header("host", host)
                    .header("accept", "application/json")
                    .body(Full::default())
                    .ok()
            })
        }
        Script::OtpStep(bodies) => {
            let (bodies, next) = (Arc::clone(bodies), AtomicUsize::new(0));
            client(load, move |host| {
                let body = bodies.get(next.fetch_add(1, Ordering::Relaxed))?;
                hyper::Request::post("/api/session/otp")
                    .header("host", host)
                    .header("content-type", "application/json")
                    .header("accept", "application/json")
                    .body(Full::new(Bytes::from(body.clone())))
                    .ok()
            })
        }
    }
}

/// The oha version line (`oha 1.16.0`).
pub fn oha_version() -> String {
    Command::new("oha")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "oha".into())
}

fn oha(load: &Load, path: &str) -> Result<LoadRun> {
    let mut command = Command::new("oha");
    command.args([
        "--no-tui",
        "--output-format",
        "json",
        "-c",
        &load.connections.to_string(),
        "-z",
        &format!("{}ms", load.duration.as_millis()),
        "-t",
        &format!("{}s", REQUEST_TIMEOUT.as_secs()),
        // Requests in flight at the end are answered and counted, not aborted.
        "--wait-ongoing-requests-after-deadline",
        &format!("{}{path}", load.base_url),
    ]);
    let out = command.output().map_err(|source| Error::Spawn {
        command: display(&command),
        source,
    })?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_oha(&text, load.duration).ok_or_else(|| {
        Error::Project(format!(
            "{} printed no JSON summary (status {}):\n{}{}",
            display(&command),
            out.status,
            text,
            String::from_utf8_lossy(&out.stderr)
        ))
    })
}

/// oha's JSON: `summary` (seconds), `latencyPercentiles` (seconds),
/// `statusCodeDistribution` and `errorDistribution` (counts by name).
fn parse_oha(text: &str, duration: Duration) -> Option<LoadRun> {
    let json: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
    let us = |v: &serde_json::Value| v.as_f64().map(|s| s * 1e6);
    let count = |v: &serde_json::Value| -> u64 {
        v.as_object().map_or(0, |m| {
            m.values().filter_map(serde_json::Value::as_u64).sum()
        })
    };
    let statuses = &json["statusCodeDistribution"];
    let requests = count(statuses);
    let ok = statuses["200"].as_u64().unwrap_or(0);
    let percentiles = &json["latencyPercentiles"];
    Some(LoadRun {
        requests,
        duration: json["summary"]["total"]
            .as_f64()
            .map_or(duration, Duration::from_secs_f64),
        p50_us: us(&percentiles["p50"])?,
        p99_us: us(&percentiles["p99"])?,
        non200: requests - ok,
        exhausted_connections: 0,
        socket_errors: count(&json["errorDistribution"]),
    })
}

/// What one connection saw.
struct Tally {
    latencies: Histogram<u64>,
    non200: u64,
    errors: u64,
    exhausted: bool,
}

/// The next request to send to `host` (`None`: none left).
type NextRequest = Arc<dyn Fn(&str) -> Option<hyper::Request<Full<Bytes>>> + Send + Sync>;

/// `load.connections` connections of the hyper client, each sending `next`'s requests.
fn client(
    load: &Load,
    next: impl Fn(&str) -> Option<hyper::Request<Full<Bytes>>> + Send + Sync + 'static,
) -> Result<LoadRun> {
    let next: NextRequest = Arc::new(next);
    let authority = load
        .base_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Project(format!("starting the load client: {e}")))?;
    let started = Instant::now();
    let deadline = started + load.duration;
    let tallies: Vec<Tally> = runtime.block_on(async {
        let tasks: Vec<_> = (0..load.connections)
            .map(|_| tokio::spawn(connection(authority.clone(), Arc::clone(&next), deadline)))
            .collect();
        let mut tallies = Vec::new();
        for task in tasks {
            if let Ok(tally) = task.await {
                tallies.push(tally);
            }
        }
        tallies
    });
    let duration = started
        .elapsed()
        .min(load.duration.max(Duration::from_millis(1)));
    let mut all = new_histogram();
    for t in &tallies {
        all.add(&t.latencies).ok();
    }
    let q = |q: f64| all.value_at_quantile(q) as f64;
    Ok(LoadRun {
        requests: all.len(),
        duration,
        p50_us: q(0.5),
        p99_us: q(0.99),
        non200: tallies.iter().map(|t| t.non200).sum(),
        exhausted_connections: tallies.iter().filter(|t| t.exhausted).count() as u64,
        socket_errors: tallies.iter().map(|t| t.errors).sum(),
    })
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("constant bounds")
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

impl AsyncRead for QuickAck {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let poll = Pin::new(&mut self.0).poll_read(cx, buf);
        self.rearm(poll)
    }
}

impl AsyncWrite for QuickAck {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.0).poll_write(cx, buf);
        self.rearm(poll)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// One keep-alive connection sending the next request until `deadline`.
async fn connection(authority: String, next: NextRequest, deadline: Instant) -> Tally {
    let mut tally = Tally {
        latencies: new_histogram(),
        non200: 0,
        errors: 0,
        exhausted: false,
    };
    let Ok(stream) = tokio::net::TcpStream::connect(&authority).await else {
        tally.errors += 1;
        return tally;
    };
    let _ = stream.set_nodelay(true);
    let stream = QuickAck(stream);
    let Ok((mut sender, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    else {
        tally.errors += 1;
        return tally;
    };
    tokio::spawn(conn);
    while Instant::now() < deadline {
        let Some(request) = next(&authority) else {
            tally.exhausted = true;
            break;
        };
        let sent = Instant::now();
        let answer = tokio::time::timeout(REQUEST_TIMEOUT, async {
            let response = sender.send_request(request).await?;
            let status = response.status();
            response.into_body().collect().await?;
            Ok::<_, hyper::Error>(status)
        })
        .await;
        match answer {
            Ok(Ok(status)) => {
                let _ = tally
                    .latencies
                    .record(sent.elapsed().as_micros().max(1) as u64);
                tally.non200 += u64::from(status != hyper::StatusCode::OK);
            }
            _ => {
                tally.errors += 1;
                break;
            }
        }
    }
    tally
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
        assert!((run.p50_us - 132.0).abs() < 1e-6 && (run.p99_us - 413.0).abs() < 1e-6);
        assert!((run.rps() - 15003.0 / 3.0012).abs() < 1e-6);
    }
}
