//! One delivery attempt: a signed POST to a receiver, whose outcome is an [`Attempt`] (never an
//! error or a panic), over a client that only connects to public addresses.

use std::error::Error as StdError;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::redirect::Policy;

use super::address::{check_url_form, reachable_addresses, UrlRefusal};
use super::signing::{signature, Secret};

/// How receivers see us.
const USER_AGENT: &str = concat!("LinkedGrow-Webhooks/", env!("CARGO_PKG_VERSION"));

/// How much of a receiver's answer is read: enough to finish a small answer and keep the
/// connection, never a receiver's whole stream.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The client that sends webhooks: redirects not followed (a receiver could point one at a
/// private address), no proxy from the environment, and — unless `allow_private` — only public
/// addresses connected to, checked when the name is resolved for the connection itself, so a
/// name cannot be re-pointed at a private address after [`super::address::check_url`].
pub fn client(allow_private: bool, timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .no_proxy()
        .https_only(!allow_private)
        .http1_only()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(USER_AGENT)
        .dns_resolver(Arc::new(Resolver { allow_private }))
        .build()
        .expect("the webhook client's settings are valid")
}

/// Resolves names for the client, keeping only the addresses it may connect to.
struct Resolver {
    allow_private: bool,
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0: the connector puts the url's port in.
            let addresses = reachable_addresses(&host, 0, allow_private).await?;
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// The outcome of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why no answer came, in a user's words, when none did.
    pub error: Option<String>,
    /// How long the attempt took.
    pub duration_ms: u64,
    /// How long the receiver asked us to wait (`Retry-After`), when it said.
    pub retry_after: Option<Duration>,
}

/// Whether a receiver's status means it took the message: any 2xx.
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// Sends one message to `url`, signed with `secret` as Standard Webhooks asks, stamped with
/// `now_unix`. An IP-literal host is checked here: the client's resolver only sees names.
pub async fn send(
    client: &reqwest::Client,
    url: &str,
    allow_private: bool,
    msg_id: &str,
    secret: &Secret,
    body: &str,
    now_unix: i64,
) -> Attempt {
    let started = Instant::now();
    let url = match check_url_form(url, allow_private) {
        Ok(url) => url,
        Err(refusal) => return failed(refusal.to_string(), started),
    };
    let request = client
        .post(url)
        .header("webhook-id", msg_id)
        .header("webhook-timestamp", now_unix.to_string())
        .header(
            "webhook-signature",
            signature(secret, msg_id, now_unix, body.as_bytes()),
        )
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_owned());
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| parse_retry_after(value, now_unix));
            // The status is the outcome; what follows it is read only to end the exchange.
            read_some(response).await;
            Attempt {
                status: Some(status),
                error: None,
                duration_ms: elapsed_ms(started),
                retry_after,
            }
        }
        Err(error) => failed(describe(&error), started),
    }
}

fn failed(error: String, started: Instant) -> Attempt {
    Attempt {
        status: None,
        error: Some(error),
        duration_ms: elapsed_ms(started),
        retry_after: None,
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Reads and drops up to [`MAX_ANSWER_BYTES`] of an answer's body (a little more when the last
/// chunk runs over), returning how much was read.
async fn read_some(mut response: reqwest::Response) -> usize {
    let mut read = 0;
    while read < MAX_ANSWER_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => read += chunk.len(),
            Ok(None) | Err(_) => break,
        }
    }
    read
}

/// A `Retry-After` value: delay-seconds, or an HTTP date counted from `now_unix` (a date past
/// is no wait). `None` when it is neither.
fn parse_retry_after(value: &str, now_unix: i64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    let date_unix = match date.duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).ok()?,
        Err(_) => return Some(Duration::ZERO),
    };
    let wait = u64::try_from(date_unix.saturating_sub(now_unix)).unwrap_or(0);
    Some(Duration::from_secs(wait))
}

/// Why a request got no answer, in a user's words: no type names, nothing of the secret.
fn describe(error: &reqwest::Error) -> String {
    if let Some(refusal) = causes(error).find_map(|cause| cause.downcast_ref::<UrlRefusal>()) {
        return refusal.to_string();
    }
    if error.is_timeout() {
        return "timed out: the receiver did not answer in time".into();
    }
    if error.is_connect() {
        // The innermost: TLS failures come as an I/O error wrapped in another.
        let kind = causes(error)
            .filter_map(|cause| cause.downcast_ref::<io::Error>())
            .last()
            .map(io::Error::kind);
        let why = match kind {
            Some(io::ErrorKind::ConnectionRefused) => "the receiver refused the connection",
            Some(io::ErrorKind::InvalidData) => {
                "the secure connection (TLS) to the receiver failed"
            }
            _ => "no connection could be made to the receiver",
        };
        return format!("could not connect: {why}");
    }
    if error.is_builder() {
        return "the request could not be made from the url and message id".into();
    }
    "the connection to the receiver failed before it answered".into()
}

/// `error` and its causes, the innermost last; an I/O error's cause is the error it wraps.
fn causes<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    let next = |error: &&'a (dyn StdError + 'static)| {
        let error: &'a (dyn StdError + 'static) = *error;
        match error.downcast_ref::<io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn StdError + 'static)),
            None => error.source(),
        }
    };
    std::iter::successors(Some(error), next)
}

#[cfg(test)]
mod tests {
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
}
