//! A webhook receiver on loopback, as an integration's endpoint would be: it records what
//! arrives and answers as told (a status, a `Retry-After`, or nothing at all until released).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use parking_lot::Mutex;
use serde_json::Value;
use tokio::sync::watch;

/// How the receiver answers one delivery.
#[derive(Debug, Clone)]
pub enum Answer {
    Status(u16),
    /// A status with `Retry-After: {seconds}`.
    RetryAfter(u16, u64),
    /// No answer until [`Receiver::release`].
    Hang,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    /// A header's value.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    /// Checks the signature with the official Standard Webhooks library and gives the body.
    pub fn verified(&self, secret: &str) -> Value {
        let webhook = standardwebhooks::Webhook::new(secret).unwrap();
        webhook
            .verify(self.body.as_bytes(), &self.headers)
            .unwrap_or_else(|e| panic!("signature of {} does not verify: {e:?}", self.body));
        self.json()
    }
}

#[derive(Default)]
struct Inner {
    received: Mutex<Vec<Received>>,
    answers: Mutex<VecDeque<Answer>>,
    default: Mutex<Option<Answer>>,
    hanging: Mutex<usize>,
}

/// A receiver listening on 127.0.0.1.
pub struct Receiver {
    url: String,
    inner: Arc<Inner>,
    release: watch::Sender<bool>,
}

impl Receiver {
    /// Starts a receiver answering 200 unless told otherwise.
    pub async fn start() -> Self {
        let inner = Arc::new(Inner::default());
        let (release, released) = watch::channel(false);
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state((inner.clone(), released));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url,
            inner,
            release,
        }
    }

    /// The endpoint's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Answers the next deliveries with `answers`, in order, then as by default.
    pub fn answer_next(&self, answers: impl IntoIterator<Item = Answer>) {
        self.inner.answers.lock().extend(answers);
    }

    /// Answers every delivery with `answer` once the queued answers are used.
    pub fn answer_always(&self, answer: Answer) {
        *self.inner.default.lock() = Some(answer);
    }

    /// Lets every hanging request answer 200.
    pub fn release(&self) {
        let _ = self.release.send(true);
    }

    /// Requests held unanswered right now.
    pub fn hanging(&self) -> usize {
        *self.inner.hanging.lock()
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().clone()
    }

    /// Waits until at least `n` requests have arrived and gives them; fails after a generous
    /// bound (a liveness check, not a timing assertion).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} deliveries, got {}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn receive(
    State((inner, mut released)): State<(Arc<Inner>, watch::Receiver<bool>)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    inner.received.lock().push(Received {
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let next = inner.answers.lock().pop_front();
    let answer = next
        .or_else(|| inner.default.lock().clone())
        .unwrap_or(Answer::Status(200));
    let status = |code: u16| StatusCode::from_u16(code).unwrap();
    match answer {
        Answer::Status(code) => status(code).into_response(),
        Answer::RetryAfter(code, seconds) => {
            (status(code), [("retry-after", seconds.to_string())]).into_response()
        }
        Answer::Hang => {
            *inner.hanging.lock() += 1;
            let _ = released.wait_for(|released| *released).await;
            *inner.hanging.lock() -= 1;
            StatusCode::OK.into_response()
        }
    }
}
