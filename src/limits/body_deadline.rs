//! A total deadline for reading a request body.
//!
//! tower-http's body timeout restarts with every frame, so a body dripped a byte at a time
//! never trips it; this one counts from the end of the headers, however the bytes come.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::api::error::ApiError;

/// Runs `request` giving its body `timeout` to arrive in full. A body that runs out of time fails
/// the handler's read, and whatever the handler made of that, the client gets a 408 and the
/// connection is closed: the rest of the body would still be on its way.
pub async fn run(timeout: Duration, request: Request, next: Next) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let expired = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + timeout;
    let request = request.map(|body| {
        Body::new(DeadlineBody {
            body,
            deadline,
            timer: None,
            expired: Arc::clone(&expired),
        })
    });
    let response = next.run(request).await;
    if !expired.load(Ordering::Relaxed) {
        return response;
    }
    let mut response = ApiError::Http {
        status: StatusCode::REQUEST_TIMEOUT,
        code: "REQUEST_TIMEOUT",
        message: format!(
            "the request body did not arrive within {} seconds",
            timeout.as_secs()
        ),
    }
    .into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

struct DeadlineBody {
    body: Body,
    deadline: Instant,
    /// Made the first time the body has to wait for the client.
    timer: Option<Pin<Box<Sleep>>>,
    expired: Arc<AtomicBool>,
}

#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
struct BodyTimedOut;

impl DeadlineBody {
    fn expire(&self) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        self.expired.store(true, Ordering::Relaxed);
        Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut))))
    }
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        // Checked before reading too: a client that keeps a byte ready for every read would
        // otherwise never let the timer run.
        if Instant::now() >= self.deadline {
            return self.expire();
        }
        if let Poll::Ready(frame) = Pin::new(&mut self.body).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        let deadline = self.deadline;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        ready!(timer.as_mut().poll(cx));
        self.expire()
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
