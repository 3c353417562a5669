//! Connections cannot be held open forever: slow or silent clients are cut at their timeouts,
//! the connection cap keeps the server answering, and shutdown has a deadline.
//!
//! Timings are upper bounds with a wide margin (the machine may be busy), except where a
//! connection must still be open: the server closing it early would be the bug there.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use linkedgrow::config::ConnectionLimits;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::cli::{serve_command, wait_at_most};
use crate::helpers::{spawn_app_with, TestApp};

/// Slack on every upper bound, for a loaded machine.
const MARGIN: Duration = Duration::from_secs(4);

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A server with short timeouts, as `change` leaves them.
async fn spawn_with(change: impl FnOnce(&mut ConnectionLimits)) -> TestApp {
    spawn_app_with(|config| {
        config.connections = ConnectionLimits {
            header_timeout: secs(1),
            body_timeout: secs(2),
            idle_timeout: secs(2),
            shutdown_timeout: secs(2),
            max_connections: None,
        };
        change(&mut config.connections);
    })
    .await
}

async fn connect(address: &str) -> TcpStream {
    TcpStream::connect(address.trim_start_matches("http://"))
        .await
        .unwrap()
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n";

/// Reads until the server closes the connection; returns what it sent and how long after
/// `since` it closed. Fails if it is still open `limit` after `since`.
async fn read_until_closed(
    reader: &mut (impl AsyncRead + Unpin),
    since: Instant,
    limit: Duration,
) -> (Vec<u8>, Duration) {
    let mut received = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        // A reset counts as closed as much as an orderly end does.
        while let Ok(n @ 1..) = reader.read(&mut buf).await {
            received.extend_from_slice(&buf[..n]);
        }
    };
    let remaining = limit.saturating_sub(since.elapsed());
    if tokio::time::timeout(remaining, read).await.is_err() {
        panic!("the connection was still open {limit:?} later");
    }
    (received, since.elapsed())
}

/// Reads one response (a body only by its Content-Length); returns its status, head and body.
async fn read_response(reader: &mut (impl AsyncRead + Unpin)) -> (u16, String, Vec<u8>) {
    let mut data = Vec::new();
    let mut byte = [0u8; 1];
    while !data.ends_with(b"\r\n\r\n") {
        assert_eq!(reader.read(&mut byte).await.unwrap(), 1, "closed mid-head");
        data.push(byte[0]);
    }
    let head = String::from_utf8(data).unwrap();
    let status = head[9..12].parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).await.unwrap();
    (status, head, body)
}

/// Writes `bytes` one at a time, `every` apart, until done or the server closes.
fn drip(
    mut writer: impl AsyncWrite + Unpin + Send + 'static,
    bytes: Vec<u8>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for byte in bytes {
            if writer.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(every).await;
        }
    })
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_at_the_header_timeout() {
    let app = spawn_with(|_| {}).await;
    let mut stream = connect(&app.address).await;
    let (received, closed) = read_until_closed(&mut stream, Instant::now(), secs(1) + MARGIN).await;
    eprintln!("silent connection closed after {closed:?} (header timeout 1 s)");
    assert!(received.is_empty(), "{received:?}");
}

#[tokio::test]
async fn headers_sent_a_byte_at_a_time_are_cut_at_the_header_timeout() {
    let app = spawn_with(|_| {}).await;
    let since = Instant::now();
    let (mut reader, writer) = connect(&app.address).await.into_split();
    // Never finishes within the timeout: 40 bytes, 0.2 s apart.
    let head = b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: 1\r\n\r\n".to_vec();
    let dripping = drip(writer, head, Duration::from_millis(200));
    let (_, closed) = read_until_closed(&mut reader, since, secs(1) + MARGIN).await;
    eprintln!("dripped headers cut after {closed:?} (header timeout 1 s)");
    dripping.abort();
}

#[tokio::test]
async fn a_kept_alive_connection_waits_the_idle_timeout_for_its_next_request() {
    let app = spawn_with(|limits| limits.idle_timeout = secs(5)).await;
    let mut stream = connect(&app.address).await;
    stream.write_all(HEALTHZ).await.unwrap();
    assert_eq!(read_response(&mut stream).await.0, 200);
    // Past the header timeout: an idle connection is held to the idle timeout instead.
    tokio::time::sleep(secs(2)).await;
    stream.write_all(HEALTHZ).await.unwrap();
    assert_eq!(read_response(&mut stream).await.0, 200);
    let (_, closed) = read_until_closed(&mut stream, Instant::now(), secs(5) + MARGIN).await;
    eprintln!("idle kept-alive connection closed after {closed:?} (idle timeout 5 s)");
}

#[tokio::test]
async fn the_next_request_on_a_kept_alive_connection_has_the_header_timeout() {
    let app = spawn_with(|limits| limits.idle_timeout = secs(60)).await;
    let mut stream = connect(&app.address).await;
    stream.write_all(HEALTHZ).await.unwrap();
    assert_eq!(read_response(&mut stream).await.0, 200);
    let since = Instant::now();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHo")
        .await
        .unwrap();
    let (_, closed) = read_until_closed(&mut stream, since, secs(1) + MARGIN).await;
    eprintln!("half a second request cut after {closed:?} (header timeout 1 s)");
}

/// The head of a request to create a post, for a body of `length` bytes.
fn create_post_head(key: &str, length: usize) -> Vec<u8> {
    format!(
        "POST /api/v1/posts HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
    .into_bytes()
}

const POST_BODY: &[u8] = br#"{"content": "sent one byte at a time"}"#;

#[tokio::test]
async fn a_body_sent_a_byte_at_a_time_gets_a_408_at_the_body_timeout() {
    let app = spawn_with(|_| {}).await;
    let key = app.full_key().await;
    let (mut reader, mut writer) = connect(&app.address).await.into_split();
    writer
        .write_all(&create_post_head(&key, POST_BODY.len()))
        .await
        .unwrap();
    let since = Instant::now();
    // 38 bytes, 0.2 s apart: 7.6 s, far past the body timeout.
    let dripping = drip(writer, POST_BODY.to_vec(), Duration::from_millis(200));
    let (received, closed) = read_until_closed(&mut reader, since, secs(2) + MARGIN).await;
    dripping.abort();
    eprintln!("dripped body cut after {closed:?} (body timeout 2 s)");
    let text = String::from_utf8(received).unwrap();
    assert!(text.starts_with("HTTP/1.1 408 "), "{text}");
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let head = head.to_ascii_lowercase();
    assert!(head.contains("connection: close"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["error"]["code"], "REQUEST_TIMEOUT", "{body}");
    let response = app
        .request(reqwest::Method::GET, "/api/v1/posts", &key)
        .send()
        .await
        .unwrap();
    let posts: serde_json::Value = response.json().await.unwrap();
    assert_eq!(posts["total"], 0, "nothing was created");
}

#[tokio::test]
async fn a_body_slower_than_the_header_timeout_is_read_then_the_connection_idles_out() {
    let app = spawn_with(|limits| limits.body_timeout = secs(10)).await;
    let key = app.full_key().await;
    let (mut reader, mut writer) = connect(&app.address).await.into_split();
    writer
        .write_all(&create_post_head(&key, POST_BODY.len()))
        .await
        .unwrap();
    // About 1.9 s, past the header timeout of 1 s, which no longer applies once the head is in.
    // (The writer stays open: closing it would end the connection from this side.)
    for byte in POST_BODY {
        writer.write_all(&[*byte]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(read_response(&mut reader).await.0, 201);
    let (_, closed) = read_until_closed(&mut reader, Instant::now(), secs(2) + MARGIN).await;
    eprintln!("then closed after {closed:?} idle (idle timeout 2 s)");
}

#[tokio::test]
async fn a_declared_body_over_the_limit_gets_413_before_any_100_continue() {
    let app = spawn_with(|_| {}).await;
    let key = app.full_key().await;
    let mut stream = connect(&app.address).await;
    let head = format!(
        "POST /api/v1/posts HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000000000\r\n\
         Expect: 100-continue\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (status, head, body) = read_response(&mut stream).await;
    assert_eq!(status, 413, "{head}");
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE", "{body}");
    assert!(
        head.to_ascii_lowercase().contains("connection: close"),
        "{head}"
    );
    read_until_closed(&mut stream, Instant::now(), MARGIN).await;
}

/// Opens 1,100 idle connections to a server limited to 1,024 open files and a header timeout of
/// 3 s, then asks `/healthz`; returns the server's log and how long the answer took.
#[allow(unsafe_code)] // `pre_exec`, reviewed below: the only way to give the child its own limit.
async fn healthz_under_more_idle_sockets_than_descriptors(extra: &[&str]) -> (String, Duration) {
    // This process holds the 1,100 client ends.
    rlimit::increase_nofile_limit(u64::MAX).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let log_path = dir.path().join("server.log");
    let log = Stdio::from(std::fs::File::create(&log_path).unwrap());
    let mut args = vec!["--header-timeout-secs", "3"];
    args.extend_from_slice(extra);
    let (mut child, address) = serve_command(&db, &args, log, |command: &mut Command| {
        // SAFETY: between fork and exec only a system call runs, which allocates nothing.
        unsafe {
            command.pre_exec(|| rlimit::setrlimit(rlimit::Resource::NOFILE, 1_024, 1_024));
        }
    });
    // A hundred at a time: quickly enough that all are open before the first times out, but
    // not so many at once that the listen queue overflows and the kernel delays them.
    let since = Instant::now();
    let mut idle = Vec::new();
    for _ in 0..11 {
        let mut connecting = tokio::task::JoinSet::new();
        for _ in 0..100 {
            let address = address.clone();
            connecting.spawn(async move { connect(&address).await });
        }
        idle.extend(connecting.join_all().await);
    }
    eprintln!("1,100 connections opened in {:?}", since.elapsed());
    let since = Instant::now();
    let response = reqwest::Client::new()
        .get(format!("{address}/healthz"))
        .timeout(secs(3) + MARGIN)
        .send()
        .await;
    let answered = since.elapsed();
    child.kill().unwrap();
    child.wait().unwrap();
    let log = std::fs::read_to_string(&log_path).unwrap();
    let response = response.unwrap_or_else(|err| panic!("{err}; server log:\n{log}"));
    assert_eq!(response.status(), 200);
    (log, answered)
}

#[tokio::test]
async fn healthz_answers_within_the_header_timeout_with_more_idle_sockets_than_descriptors() {
    let (log, answered) = healthz_under_more_idle_sockets_than_descriptors(&[]).await;
    eprintln!(
        "/healthz answered after {answered:?} behind 1,100 idle sockets (header timeout 3 s)"
    );
    assert!(
        !log.contains("cannot accept"),
        "the cap keeps accept from running out of descriptors:\n{log}"
    );
}

#[tokio::test]
async fn accept_pauses_when_out_of_descriptors_and_recovers() {
    // A cap above what the descriptors allow: accept fails with "Too many open files".
    let (log, answered) =
        healthz_under_more_idle_sockets_than_descriptors(&["--max-connections", "5000"]).await;
    eprintln!(
        "/healthz answered after {answered:?} with accept out of descriptors (header timeout 3 s)"
    );
    assert!(
        log.contains("above what the open-file limit leaves room for"),
        "the operator is warned at start:\n{log}"
    );
    let failures = log.matches("cannot accept a connection").count();
    eprintln!("{failures} failed accepts logged");
    // Each failure pauses the loop, longer each time: a handful, not one per spin.
    assert!((1..=30).contains(&failures), "{failures} failures:\n{log}");
}

#[tokio::test]
async fn sigterm_with_a_half_sent_request_exits_at_the_shutdown_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let args = [
        "--header-timeout-secs",
        "60",
        "--shutdown-timeout-secs",
        "2",
    ];
    let (mut child, address) = serve_command(&db, &args, Stdio::null(), |_| {});
    let mut half = connect(&address).await;
    half.write_all(b"POST /api/v1/posts HTTP/1.1\r\nHost: test\r\n")
        .await
        .unwrap();
    // A kept-alive connection between requests must not hold shutdown up either.
    let mut idle = connect(&address).await;
    idle.write_all(HEALTHZ).await.unwrap();
    assert_eq!(read_response(&mut idle).await.0, 200);
    // Time for the server to read the half request: one it has not read closes at once.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let since = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = wait_at_most(&mut child, secs(2) + MARGIN);
    eprintln!("exited {:?} after SIGTERM (deadline 2 s)", since.elapsed());
    assert!(exit.success(), "{exit:?}");
}
