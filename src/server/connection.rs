//! One HTTP/1.1 connection, from accept to close.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tower::ServiceExt;

use super::watchdog::{Expiry, Watchdog, Watched};
use crate::config::ConnectionLimits;
use crate::limits::{MAX_HEADERS, MAX_HEADER_BYTES, MAX_URI_BYTES};

/// hyper's own bounds on a request head sit above the documented ones, so that a request
/// between the two reaches [`crate::limits`] and gets the error envelope; past hyper's, it
/// answers a bare 431 itself. They also bound the memory one connection's head can take.
const PARSER_MAX_HEADERS: usize = 2 * MAX_HEADERS;
const PARSER_MAX_HEAD_BYTES: usize = 2 * (MAX_URI_BYTES + MAX_HEADER_BYTES);

/// Serves requests on `stream` until the client or a deadline closes it, or `stopping` says
/// the server is shutting down and the request in flight, if any, is answered.
pub async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: ConnectionLimits,
    mut stopping: watch::Receiver<()>,
) {
    let watchdog = Arc::new(Watchdog::new(limits.header_timeout, limits.idle_timeout));
    let io = TokioIo::new(Watched::new(stream, Arc::clone(&watchdog)));
    let service = {
        let watchdog = Arc::clone(&watchdog);
        service_fn(move |request: Request<Incoming>| {
            watchdog.request_started();
            let mut request = request.map(Body::new);
            // The web app throttles sign-ins per client address.
            request.extensions_mut().insert(ConnectInfo(peer));
            let response = app.clone().oneshot(request);
            let watchdog = Arc::clone(&watchdog);
            async move {
                let response = response.await?;
                Ok::<_, Infallible>(response.map(|body| Tracked { body, watchdog }))
            }
        })
    };
    let connection = http1::Builder::new()
        // The watchdog keeps this deadline (hyper's would also cut idle connections at it).
        .header_read_timeout(None)
        .max_headers(PARSER_MAX_HEADERS)
        .max_header_size(PARSER_MAX_HEAD_BYTES)
        .serve_connection(io, service);
    tokio::pin!(connection);
    let mut expiry = Expiry::new(Arc::clone(&watchdog));
    let mut draining = false;
    loop {
        tokio::select! {
            // The connection first: the watchdog then sees what this poll changed.
            biased;
            result = connection.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%peer, error = %err, "connection ended with an error");
                }
                return;
            }
            () = &mut expiry => {
                tracing::debug!(%peer, "closing a connection that kept the server waiting");
                return;
            }
            // The sender is dropped, never used, to say "stop".
            _ = stopping.changed(), if !draining => {
                draining = true;
                // Idle connections close now; one with a request in flight after its response.
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// A response body that tells the watchdog when hyper is done with it: the connection is then
/// idle until the next request's first byte.
struct Tracked {
    body: Body,
    watchdog: Arc<Watchdog>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.watchdog.response_finished();
    }
}

impl http_body::Body for Tracked {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
