//! The deadline a connection is held to while no request is being served: the header timeout
//! while a request head is due, the idle timeout between requests.
//!
//! A fresh connection owes its head within the header timeout of being accepted. Once a
//! response is written the idle timeout runs, until the first byte of the next request starts
//! a new header timeout. While a request is served there is no deadline here: the body's own
//! (see `crate::limits`) and the handler bound it.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

/// One connection's deadline, moved by what happens on it.
///
/// Everything that moves it (a read, hyper calling the service, hyper dropping a response
/// body) happens while the connection is polled, and [`Expiry`] is polled right after the
/// connection in the same task: it sees each move without being woken for it.
pub struct Watchdog {
    header_timeout: Duration,
    idle_timeout: Duration,
    state: Mutex<State>,
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
    }

    /// The client sent something.
    fn bytes_arrived(&self) {
        let mut state = self.state.lock();
        if state.idle {
            state.idle = false;
            state.deadline = Some(Instant::now() + self.header_timeout);
        }
    }

    fn deadline(&self) -> Option<Instant> {
        self.state.lock().deadline
    }
}

/// Completes once the connection's deadline has passed; poll it after the connection.
pub struct Expiry {
    watchdog: Arc<Watchdog>,
    timer: Pin<Box<Sleep>>,
    /// When `timer` fires. A deadline that moves later leaves it be, to be re-armed when it
    /// fires: a kept-alive connection moves its deadline twice a request, and most of those
    /// moves would otherwise each cost a trip through the runtime's timer wheel.
    armed: Instant,
}

impl Expiry {
    /// Watches `watchdog`'s deadline.
    pub fn new(watchdog: Arc<Watchdog>) -> Self {
        let armed = watchdog.deadline().unwrap_or_else(Instant::now);
        Self {
            watchdog,
            timer: Box::pin(tokio::time::sleep_until(armed)),
            armed,
        }
    }
}

impl Future for Expiry {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        loop {
            // Serving a request: no deadline. A timer that fires meanwhile is looked at later.
            let Some(deadline) = this.watchdog.deadline() else {
                return Poll::Pending;
            };
            if deadline < this.armed {
                this.armed = deadline;
                this.timer.as_mut().reset(deadline);
            }
            ready!(this.timer.as_mut().poll(cx));
            if deadline <= this.armed {
                return Poll::Ready(());
            }
            this.armed = deadline;
            this.timer.as_mut().reset(deadline);
        }
    }
}

/// A TCP stream that reports incoming bytes to its connection's watchdog.
pub struct Watched {
    stream: TcpStream,
    watchdog: Arc<Watchdog>,
}

impl Watched {
    /// Watches reads from `stream`.
    pub fn new(stream: TcpStream, watchdog: Arc<Watchdog>) -> Self {
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
