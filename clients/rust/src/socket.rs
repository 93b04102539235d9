//! The game socket: a WebSocket opened with a room ticket, speaking protobuf frames
//! (`ClientFrame` up, `ServerFrame` down), from a chosen source address, to allowed hosts
//! only, telling an optional [`Traffic`] observer of every frame each way.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use moonlight_proto::v1::{self as pb, client_frame, server_frame::Body};
use prost::Message as _;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::{
    WebSocketStream,
    tungstenite::{Message, protocol::WebSocketConfig},
};

/// Told of every game frame a socket sends or receives (e.g. a load test's counters).
pub trait Traffic: Send + Sync {
    fn sent(&self, bytes: usize);
    fn received(&self, bytes: usize);
}

/// Where a socket connects to reach an address: the address itself, or a relay in between
/// (a load test's impaired network).
pub trait Route: Send + Sync {
    fn via(&self, to: SocketAddr) -> std::io::Result<SocketAddr>;
}

/// How sockets are opened.
#[derive(Default)]
pub struct Dialer {
    /// Source address for every socket (a load test spreads its workers over 127.0.0.x,
    /// so no one address runs out of ephemeral ports).
    pub source_ip: Option<IpAddr>,
    /// Hosts a socket may go to; empty: any. A load test allows only those it was given,
    /// never one a server sends it to elsewhere.
    pub allowed: Vec<String>,
    /// Kernel receive buffer of each socket; `None`: the system's. Tests shrink it to make
    /// a client that stops reading back up into the server at once.
    pub receive_buffer: Option<u32>,
    pub traffic: Option<Arc<dyn Traffic>>,
    /// Connect through this instead of straight to the server.
    pub route: Option<Arc<dyn Route>>,
    /// Ask for view deltas in `Hello` and `Resume` (`Update.delta`; apply them with
    /// `View::apply`). Off, every update carries the whole view.
    pub view_deltas: bool,
}

/// What came from the server.
#[derive(Debug)]
pub enum Incoming {
    Frame(Box<Body>),
    /// The server closed the socket, with this close code.
    Closed(Option<u16>),
}

/// An open game socket.
pub struct GameSocket {
    ws: WebSocketStream<TcpStream>,
    traffic: Option<Arc<dyn Traffic>>,
    view_deltas: bool,
}

impl Dialer {
    /// Opens `url` (`ws://host:port/path?ticket=…`).
    pub async fn open(&self, url: &str) -> anyhow::Result<GameSocket> {
        let authority = authority(url)?;
        let host = host(authority);
        if !self.allowed.is_empty() && !self.allowed.iter().any(|a| a == host) {
            bail!("{host} is not among the hosts this client may reach");
        }
        let addr: SocketAddr = tokio::net::lookup_host(authority)
            .await
            .with_context(|| format!("resolving {authority}"))?
            .next()
            .with_context(|| format!("{authority} resolves to nothing"))?;
        let addr = match &self.route {
            Some(route) => route.via(addr).context("routing")?,
            None => addr,
        };
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        if let Some(ip) = self.source_ip {
            socket
                .bind(SocketAddr::new(ip, 0))
                .with_context(|| format!("binding the source address {ip}"))?;
        }
        if let Some(size) = self.receive_buffer {
            socket.set_recv_buffer_size(size)?;
        }
        let stream = socket.connect(addr).await.context("connecting")?;
        stream.set_nodelay(true)?;
        // Small buffers: ten thousand sockets at tungstenite's 128 KiB defaults would take
        // gigabytes of a load generator's memory.
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0);
        let (ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config))
            .await
            .context("the WebSocket handshake")?;
        Ok(GameSocket {
            ws,
            traffic: self.traffic.clone(),
            view_deltas: self.view_deltas,
        })
    }
}

/// `host:port` of a `ws://` URL.
fn authority(url: &str) -> anyhow::Result<&str> {
    let rest = url
        .strip_prefix("ws://")
        .with_context(|| format!("{url}: only ws:// URLs are supported"))?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    Ok(&rest[..end])
}

/// The host of `host:port` (or `[v6]:port`).
pub fn host(authority: &str) -> &str {
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// `http://host:port` for a node's `ws://host:port/v1/play` URL.
pub fn http_base(url: &str) -> Option<String> {
    authority(url).ok().map(|a| format!("http://{a}"))
}

impl GameSocket {
    /// Opens `url` with the default [`Dialer`].
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        Dialer::default().open(url).await
    }

    pub async fn send(&mut self, body: client_frame::Body) -> anyhow::Result<()> {
        let bytes = pb::ClientFrame { body: Some(body) }.encode_to_vec();
        if let Some(traffic) = &self.traffic {
            traffic.sent(bytes.len());
        }
        self.ws.send(Message::Binary(bytes.into())).await?;
        Ok(())
    }

    pub async fn hello(&mut self, client_name: &str) -> anyhow::Result<()> {
        self.send(client_frame::Body::Hello(pb::Hello {
            protocol_version: pb::ProtocolVersion::ProtocolVersion1.into(),
            client_name: client_name.to_owned(),
            view_deltas: self.view_deltas,
        }))
        .await
    }

    pub async fn resume(&mut self, last_seq: u64) -> anyhow::Result<()> {
        self.send(client_frame::Body::Resume(pb::Resume {
            protocol_version: pb::ProtocolVersion::ProtocolVersion1.into(),
            last_seq,
            view_deltas: self.view_deltas,
        }))
        .await
    }

    /// Sends `kind` as the action numbered `client_seq`.
    pub async fn act(&mut self, client_seq: u64, kind: pb::action::Kind) -> anyhow::Result<()> {
        self.send(client_frame::Body::Action(pb::Action {
            client_seq,
            kind: Some(kind),
        }))
        .await
    }

    /// The next server frame (pings answered underneath), or how the socket closed.
    pub async fn recv(&mut self) -> anyhow::Result<Incoming> {
        while let Some(message) = self.ws.next().await {
            match message? {
                Message::Binary(bytes) => {
                    if let Some(traffic) = &self.traffic {
                        traffic.received(bytes.len());
                    }
                    let frame = pb::ServerFrame::decode(bytes.as_ref())
                        .context("a frame that is not a ServerFrame")?;
                    return frame
                        .body
                        .map(|body| Incoming::Frame(Box::new(body)))
                        .context("a ServerFrame without a body");
                }
                Message::Close(frame) => {
                    return Ok(Incoming::Closed(frame.map(|f| u16::from(f.code))));
                }
                Message::Text(_) => bail!("a text frame (the protocol is binary only)"),
                _ => {}
            }
        }
        Ok(Incoming::Closed(None))
    }

    /// The WebSocket underneath, for what the protocol's frames cannot say (a test that
    /// sends a text frame, or reads raw messages).
    pub fn websocket(&mut self) -> &mut WebSocketStream<TcpStream> {
        &mut self.ws
    }

    /// Says goodbye properly (bounded: a server that does not answer is left).
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), self.ws.close(None)).await;
    }

    /// Drops the connection with no close handshake, as a phone losing its network does.
    pub fn cut(self) {
        drop(self.ws);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_and_bases() {
        assert_eq!(
            authority("ws://127.0.0.1:8082/v1/play?ticket=x").unwrap(),
            "127.0.0.1:8082"
        );
        assert_eq!(authority("ws://node-3:80").unwrap(), "node-3:80");
        assert!(authority("wss://secure:443/v1/play").is_err());
        assert_eq!(host("127.0.0.1:8082"), "127.0.0.1");
        assert_eq!(host("[::1]:8082"), "::1");
        assert_eq!(
            http_base("ws://127.0.0.1:9/v1/play").as_deref(),
            Some("http://127.0.0.1:9")
        );
    }
}
