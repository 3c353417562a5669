//! One signed attempt against local receivers: headers, statuses, redirects, timeouts, the guard.

use super::*;

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{any, post};
use axum::Router;
use parking_lot::Mutex;
use standardwebhooks::Webhook;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const BODY: &str = r#"{"type":"post.published","data":{"id":"p_1"}}"#;

/// Now, as receivers check timestamps against the real clock.
fn now_unix() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

/// What a receiver was sent.
type Received = Arc<Mutex<Vec<(String, HeaderMap, Bytes)>>>;

/// A receiver on 127.0.0.1 with a few behaviours, recording every request it gets.
async fn receiver() -> (SocketAddr, Received) {
    let received = Received::default();
    let record = |received: Received, path: &'static str| {
        move |headers: HeaderMap, body: Bytes| async move {
            received.lock().push((path.to_owned(), headers, body));
        }
    };
    let router = Router::new()
        .route(
            "/ok",
            post({
                let record = record(received.clone(), "/ok");
                |headers, body| async move {
                    record(headers, body).await;
                    (StatusCode::OK, "thanks")
                }
            }),
        )
        .route(
            "/moved",
            post(|| async { (StatusCode::FOUND, [("location", "/target")]) }),
        )
        .route("/target", any(record(received.clone(), "/target")))
        .route(
            "/busy",
            post(|| async {
                (StatusCode::SERVICE_UNAVAILABLE, [("retry-after", "7")]).into_response()
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (address, received)
}

async fn send_to(url: &str, secret: &Secret, now: i64) -> Attempt {
    let client = client(true, Duration::from_secs(10));
    send(&client, url, true, "msg_1", secret, BODY, now).await
}

#[tokio::test]
async fn a_receiver_gets_a_message_it_can_verify() {
    let (address, received) = receiver().await;
    let secret = Secret::generate();
    let now = now_unix();

    let attempt = send_to(&format!("http://{address}/ok"), &secret, now).await;

    assert_eq!((attempt.status, &attempt.error), (Some(200), &None));
    assert_eq!(attempt.retry_after, None);
    let received = received.lock();
    let [(path, headers, body)] = received.as_slice() else {
        panic!("one request expected, got {}", received.len());
    };
    assert_eq!(path, "/ok");
    assert_eq!(body, BODY.as_bytes());
    assert_eq!(headers["webhook-id"], "msg_1");
    assert_eq!(headers["webhook-timestamp"], now.to_string().as_str());
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(
        headers["user-agent"],
        format!("LinkedGrow-Webhooks/{}", env!("CARGO_PKG_VERSION")).as_str()
    );
    Webhook::new(&secret.to_whsec())
        .unwrap()
        .verify(body, headers)
        .expect("the official library verifies what arrived");
    assert!(Webhook::new(&Secret::generate().to_whsec())
        .unwrap()
        .verify(body, headers)
        .is_err());
}

#[tokio::test]
async fn a_redirect_is_an_answer_not_followed() {
    let (address, received) = receiver().await;
    let attempt = send_to(
        &format!("http://{address}/moved"),
        &Secret::generate(),
        now_unix(),
    )
    .await;
    assert_eq!((attempt.status, &attempt.error), (Some(302), &None));
    assert!(!is_success(302));
    assert!(
        received.lock().is_empty(),
        "the redirect's target was called"
    );
}

#[tokio::test]
async fn a_busy_receiver_s_retry_after_is_read() {
    let (address, _) = receiver().await;
    let attempt = send_to(
        &format!("http://{address}/busy"),
        &Secret::generate(),
        now_unix(),
    )
    .await;
    assert_eq!(attempt.status, Some(503));
    assert_eq!(attempt.retry_after, Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    // Accepts, keeps the connection open, and never answers.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let client = client(true, Duration::from_secs(1));
    let attempt = send(
        &client,
        &format!("http://{address}/slow"),
        true,
        "msg_1",
        &Secret::generate(),
        BODY,
        now_unix(),
    )
    .await;
    assert_eq!(attempt.status, None);
    let error = attempt.error.unwrap();
    assert!(error.contains("timed out"), "{error}");
}

#[tokio::test]
async fn private_addresses_are_never_connected_to() {
    // Not accepted from: a connection the client made would wait in the listen queue.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let guarded = client(false, Duration::from_secs(1));
    let secret = Secret::generate();

    for (url, refusal) in [
        (
            format!("https://127.0.0.1:{port}/"),
            "the url's host is a loopback address (127.0.0.1)",
        ),
        (
            format!("https://[::ffff:127.0.0.1]:{port}/"),
            "the url's host is a loopback address (::ffff:127.0.0.1)",
        ),
        (
            format!("https://localhost:{port}/"),
            "the url's host resolves to a loopback address",
        ),
        (
            format!("http://127.0.0.1:{port}/"),
            "the url must use https",
        ),
        (
            format!("http://localhost:{port}/"),
            "the url must use https",
        ),
    ] {
        let attempt = send(&guarded, &url, false, "msg_1", &secret, BODY, now_unix()).await;
        assert_eq!(attempt.status, None, "{url}");
        let error = attempt.error.unwrap();
        assert!(error.starts_with(refusal), "{url}: {error}");
        assert_eq!(
            listener.accept().map(|_| ()).unwrap_err().kind(),
            io::ErrorKind::WouldBlock,
            "{url} reached the server"
        );
    }

    // The check above can fail: a client allowed there does reach the listener.
    let open = client(true, Duration::from_secs(1));
    let url = format!("http://127.0.0.1:{port}/");
    send(&open, &url, true, "msg_1", &secret, BODY, now_unix()).await;
    assert!(listener.accept().is_ok());
}

#[tokio::test]
async fn a_receiver_without_tls_is_a_connection_error() {
    let (address, received) = receiver().await;
    let attempt = send_to(
        &format!("https://{address}/ok"),
        &Secret::generate(),
        now_unix(),
    )
    .await;
    assert_eq!(attempt.status, None);
    let error = attempt.error.unwrap();
    assert_eq!(
        error,
        "could not connect: the secure connection (TLS) to the receiver failed"
    );
    assert!(received.lock().is_empty());
}

#[tokio::test]
async fn a_closed_port_is_a_refused_connection() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let attempt = send_to(
        &format!("http://127.0.0.1:{port}/"),
        &Secret::generate(),
        now_unix(),
    )
    .await;
    assert_eq!(
        attempt.error.as_deref(),
        Some("could not connect: the receiver refused the connection")
    );
}

#[tokio::test]
async fn only_the_start_of_a_long_answer_is_read() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    // An answer that goes on until the client hangs up.
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        while !request.ends_with(b"\r\n\r\n") {
            let mut buffer = [0; 1024];
            let n = stream.read(&mut buffer).await.unwrap();
            assert_ne!(n, 0, "the request ended early");
            request.extend_from_slice(&buffer[..n]);
        }
        let head = "HTTP/1.1 200 OK\r\ncontent-length: 1000000000\r\n\r\n";
        stream.write_all(head.as_bytes()).await.unwrap();
        let chunk = vec![b'x'; 16 * 1024];
        while stream.write_all(&chunk).await.is_ok() {}
    });
    let response = client(true, Duration::from_secs(10))
        .get(format!("http://{address}/"))
        .send()
        .await
        .unwrap();
    let read = read_some(response).await;
    assert!(
        (MAX_ANSWER_BYTES..MAX_ANSWER_BYTES + 1024 * 1024).contains(&read),
        "{read}"
    );
}

#[test]
fn retry_after_is_seconds_or_a_date() {
    let now = 1_700_000_000;
    let date = |unix: u64| httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(unix));
    let secs = |n| Some(Duration::from_secs(n));
    assert_eq!(parse_retry_after("7", now), secs(7));
    assert_eq!(parse_retry_after(" 120 ", now), secs(120));
    assert_eq!(parse_retry_after(&date(1_700_000_090), now), secs(90));
    assert_eq!(parse_retry_after(&date(1_699_999_000), now), secs(0));
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1_445_412_420),
        secs(60)
    );
    assert_eq!(parse_retry_after("-5", now), None);
    assert_eq!(parse_retry_after("soon", now), None);
    assert_eq!(parse_retry_after("", now), None);
}

#[test]
fn success_is_any_2xx() {
    for (status, success) in [
        (199, false),
        (200, true),
        (204, true),
        (299, true),
        (300, false),
        (302, false),
        (429, false),
        (500, false),
    ] {
        assert_eq!(is_success(status), success, "{status}");
    }
}
