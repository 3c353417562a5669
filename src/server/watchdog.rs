//! The deadline a connection is held to while no request is being served: the header timeout
//! while a request head is due, the idle timeout between requests.
//!
//! A fresh connection owes its head within the header timeout of being accepted. Once a
//! response is written the idle timeout runs, until the first byte of the next request starts
//! a new header timeout. While a request is served there is no deadline here: the body's own
//! (see `crate::limits`) and the handler bound it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;

/// One connection's deadline, moved by what happens on it.
pub struct Watchdog {
    header_timeout: Duration,
    idle_timeout: Duration,
    state: Mutex<State>,
    /// Wakes [`Watchdog::expired`] when the deadline moves earlier or appears.
    moved: Notify,
}

struct State {
    idle: bool,
    deadline: Option<Instant>,
}

impl Watchdog {
    /// The watchdog of a connection accepted now.
    pub fn new(header_timeout: Duration, idle_timeout: Duration) -> Self {
        Self {
            header_timeout,
            idle_timeout,
            state: Mutex::new(State {
                idle: false,
                deadline: Some(Instant::now() + header_timeout),
            }),
            moved: Notify::new(),
        }
    }

    /// A complete request head was read.
    pub fn request_started(&self) {
        let mut state = self.state.lock();
        state.idle = false;
        state.deadline = None;
    }

    /// The response was handed over in full.
    pub fn response_finished(&self) {
        let mut state = self.state.lock();
        state.idle = true;
        state.deadline = Some(Instant::now() + self.idle_timeout);
        drop(state);
        self.moved.notify_one();
    }

    /// The client sent something.
    fn bytes_arrived(&self) {
        let mut state = self.state.lock();
        if state.idle {
            state.idle = false;
            state.deadline = Some(Instant::now() + self.header_timeout);
            drop(state);
            self.moved.notify_one();
        }
    }

    /// Completes once the deadline has passed.
    pub async fn expired(&self) {
        loop {
            let deadline = self.state.lock().deadline;
            match deadline {
                Some(deadline) if deadline <= Instant::now() => return,
                // A notification sent since the lock was released is kept for `notified`.
                Some(deadline) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(deadline) => {}
                        () = self.moved.notified() => {}
                    }
                }
                None => self.moved.notified().await,
            }
        }
    }
}

/// A TCP stream that reports incoming bytes to its connection's watchdog.
pub struct Watched {
    stream: TcpStream,
    watchdog: std::sync::Arc<Watchdog>,
}

impl Watched {
    /// Watches reads from `stream`.
    pub fn new(stream: TcpStream, watchdog: std::sync::Arc<Watchdog>) -> Self {
        Self { stream, watchdog }
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.watchdog.bytes_arrived();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
