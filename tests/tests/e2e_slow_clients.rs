//! Slow clients against edge-host (`--header-timeout`, `--request-timeout`,
//! `--max-connections`): a client that trickles its headers, one that never sends any,
//! an idle kept-alive connection and one that stalls in its body each get their
//! connection closed once the configured time has passed (the body case with a 408),
//! while other clients are served meanwhile — also with the connection cap reached by
//! slow clients plus one.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tests::{EdgeHost, fetch};

const HEADER_TIMEOUT_S: u64 = 2;
const REQUEST_TIMEOUT_S: u64 = 3;
const MAX_CONNECTIONS: usize = 8;

/// What a raw connection sent `prefix` got back, and when the server closed it.
struct Closed {
    answer: String,
    after: Duration,
}

fn open(base: &str, prefix: &[u8]) -> TcpStream {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream.write_all(prefix).expect("writes");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
}

fn wait_closed(mut stream: TcpStream, opened: Instant) -> Closed {
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    Closed {
        answer: String::from_utf8_lossy(&answer).into_owned(),
        after: opened.elapsed(),
    }
}

#[test]
fn slow_connections_are_closed_after_their_timeout_while_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let (header, request, max) = (
        HEADER_TIMEOUT_S.to_string(),
        REQUEST_TIMEOUT_S.to_string(),
        MAX_CONNECTIONS.to_string(),
    );
    let host = EdgeHost::start_with_args(
        dir.path(),
        &[
            "--header-timeout",
            &header,
            "--request-timeout",
            &request,
            "--max-connections",
            &max,
        ],
        |_| Vec::new(),
    );
    let started = Instant::now();
    let slow: Vec<(&str, &[u8], u64)> = vec![
        (
            "trickled headers",
            b"GET /api/time HTTP/1.1\r\nHost: x\r\n",
            HEADER_TIMEOUT_S,
        ),
        ("no bytes at all", b"", HEADER_TIMEOUT_S),
        (
            "idle after one answer",
            b"GET /api/time HTTP/1.1\r\nHost: x\r\n\r\n",
            HEADER_TIMEOUT_S,
        ),
        (
            "stalled body",
            b"POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"email\"",
            REQUEST_TIMEOUT_S,
        ),
    ];
    // Together with the clients above, the cap is reached: the rest still get served.
    let idle: Vec<TcpStream> = (slow.len()..MAX_CONNECTIONS - 1)
        .map(|_| open(&host.base, b""))
        .collect();
    let waiting: Vec<_> = slow
        .iter()
        .map(|(what, prefix, timeout)| {
            let stream = open(&host.base, prefix);
            (
                *what,
                *timeout,
                std::thread::spawn(move || wait_closed(stream, Instant::now())),
            )
        })
        .collect();
    // Served while the slow ones hold their connections.
    let mut served = 0;
    while started.elapsed() < Duration::from_secs(HEADER_TIMEOUT_S) / 2 {
        assert_eq!(fetch(&host.base, "GET", "/api/time").status, 200);
        served += 1;
    }
    assert!(served > 0);
    for (what, timeout, handle) in waiting {
        let closed = handle.join().unwrap();
        let timeout = Duration::from_secs(timeout);
        assert!(
            closed.after >= timeout - Duration::from_millis(100),
            "{what}: closed after {:?}, before its {timeout:?}",
            closed.after
        );
        assert!(
            closed.after < timeout * 5,
            "{what}: still open {:?} after a {timeout:?} timeout",
            closed.after
        );
        if what == "stalled body" {
            assert!(
                closed.answer.starts_with("HTTP/1.1 408"),
                "{what}: {}",
                closed.answer
            );
            assert!(
                closed.answer.contains("request_timeout"),
                "{}",
                closed.answer
            );
        }
    }
    drop(idle);
    assert_eq!(fetch(&host.base, "GET", "/api/time").status, 200);
}
