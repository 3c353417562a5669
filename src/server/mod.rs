//! The accept loop: HTTP/1.1 connections with deadlines, a cap on how many are open, and a
//! shutdown that waits for in-flight requests only so long.
//!
//! hyper keeps one header-read timer, which restarts as soon as a response is written, so it
//! cannot tell a client that is slow to send its headers from a kept-alive connection waiting
//! for its next request; [`watchdog`] keeps both deadlines instead.

mod connection;
mod open_files;
mod watchdog;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use crate::config::ConnectionLimits;

pub use open_files::{default_max_connections, raise_open_files_limit};

/// Connections the kernel holds for us beyond those accepted (tokio's default is 128).
const LISTEN_QUEUE: u32 = 4_096;

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting, closes idle
/// connections, and gives requests in flight `limits.shutdown_timeout` before closing the rest.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let room = default_max_connections();
    let max_connections = limits.max_connections.unwrap_or(room);
    if max_connections > room {
        tracing::warn!(
            max_connections,
            room,
            "the connection cap is above what the open-file limit leaves room for: accept will \
             fail for want of descriptors before the cap is reached"
        );
    }
    tracing::info!(max_connections, "accepting connections");
    // A permit per open connection: at the cap the loop stops accepting, and the kernel's listen
    // queue holds newcomers until a connection closes, rather than `accept` failing for want of
    // file descriptors.
    let permits = Arc::new(Semaphore::new(max_connections));
    let (stop, stopping) = watch::channel(());
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let next = async {
            let permit = Arc::clone(&permits)
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            (permit, accept(&listener).await)
        };
        let (permit, (stream, peer)) = tokio::select! {
            accepted = next => accepted,
            () = &mut shutdown => break,
        };
        while connections.try_join_next().is_some() {}
        let (app, stopping) = (app.clone(), stopping.clone());
        connections.spawn(async move {
            connection::serve(stream, peer, app, limits, stopping).await;
            drop(permit);
        });
    }
    drop(listener);
    drop(stop);
    let open = connections.len();
    tracing::info!(open, "no longer accepting; waiting for open connections");
    let drained = tokio::time::timeout(limits.shutdown_timeout, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "closing the connections still open at the shutdown deadline"
        );
        connections.shutdown().await;
    }
}

/// Listens on `address` with a listen queue long enough for a burst beyond the connection cap
/// (the kernel shortens it to `net.core.somaxconn`): a connection in the queue is served as soon
/// as a slot frees, while one that finds the queue full must wait for its client to try again,
/// after 1, 3, 7, 15 seconds…
pub fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_QUEUE)
}

/// The next connection. Errors that concern the listener or the process (out of file
/// descriptors, out of memory) would come back at once if retried, so they pause the loop,
/// longer each time, instead of spinning on them.
async fn accept(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    let mut pause = Duration::from_millis(10);
    loop {
        match listener.accept().await {
            Ok(accepted) => return accepted,
            // The client gave up before we took its connection; nothing is wrong here.
            Err(err) if is_connection_error(&err) => {}
            Err(err) => {
                tracing::warn!(error = %err, pause_ms = pause.as_millis(), "cannot accept a connection");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
        }
    }
}

fn is_connection_error(err: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        err.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}
