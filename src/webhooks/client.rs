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
mod tests;
