//! Serving a router: on an already-bound listener (so tests use port 0), until a shutdown
//! token is cancelled, then draining in-flight requests.

use std::net::SocketAddr;

use anyhow::Context;
use axum::{Router, serve::ListenerExt as _};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Connections waiting to be accepted, per listener (the kernel caps it at
/// `net.core.somaxconn`, 4096 on current Linux).
const ACCEPT_BACKLOG: u32 = 4096;

/// How a listener is bound.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListenOptions {
    /// The kernel send buffer accepted sockets inherit (`None`: the system's).
    pub send_buffer: Option<u32>,
    /// Other processes may listen on the same address (each with this set), and the
    /// kernel spreads new connections among them (`SO_REUSEPORT`).
    pub reuse_port: bool,
}

/// Binds `addr` with a deep accept queue: thousands of clients reconnecting at once (a
/// network blip, a node restart) wait in the queue instead of having their handshakes
/// dropped and retried a second later.
pub fn listen(addr: SocketAddr, options: ListenOptions) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    if options.reuse_port {
        socket.set_reuseport(true)?;
    }
    if let Some(bytes) = options.send_buffer {
        socket.set_send_buffer_size(bytes)?;
    }
    socket.bind(addr)?;
    socket.listen(ACCEPT_BACKLOG)
}

/// Serves `router` on `listener` until `shutdown` is cancelled, then stops accepting and
/// waits for in-flight requests. The caller bounds that wait (see the binary's drain
/// deadline). Handlers can read the peer address with `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    // No Nagle: game frames and API answers are small writes that must leave at once,
    // not wait for the peer's (delayed, up to 40 ms) acknowledgement of the previous one.
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY on a connection");
        }
    });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.cancelled_owned())
    .await
    .context("serving HTTP")
}

/// Starts listening for SIGTERM and Ctrl-C (SIGINT) at once and returns a future that
/// resolves when one arrives. Call it before announcing any listener: a signal that comes
/// while services are still starting is then kept, instead of killing the process.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        let listen = |kind: SignalKind, name: &str| match signal(kind) {
            Ok(signal) => Some(signal),
            Err(error) => {
                tracing::error!(%error, "cannot listen for {name}");
                None
            }
        };
        async fn arrival(signal: Option<Signal>) {
            match signal {
                Some(mut signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        let terminate = listen(SignalKind::terminate(), "SIGTERM");
        let interrupt = listen(SignalKind::interrupt(), "SIGINT");
        async move {
            tokio::select! {
                () = arrival(terminate) => {},
                () = arrival(interrupt) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    }
}
