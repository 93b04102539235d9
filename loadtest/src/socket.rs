//! The WebSocket half of the real flow: a game socket opened with a room ticket, from a
//! chosen source address, to an allowed host only, speaking protobuf frames and counting
//! every frame and byte each way.

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

use crate::stats::Recorder;

/// How a worker reaches game servers.
pub struct Net {
    /// Source address for every socket (several workers spread over 127.0.0.x, so no
    /// one address runs out of ephemeral ports).
    pub source_ip: Option<IpAddr>,
    /// Hosts the tool may connect to: those it was given, nothing a server sends it to
    /// elsewhere.
    pub allowed: Vec<String>,
}

/// What came from the server.
pub enum Incoming {
    Frame(Box<Body>),
    /// The server closed the socket, with this close code.
    Closed(Option<u16>),
}

pub struct Session {
    ws: WebSocketStream<TcpStream>,
    recorder: Arc<Recorder>,
}

impl Net {
    /// Opens `url` (`ws://host:port/path?ticket=…`).
    pub async fn open(&self, url: &str, recorder: &Arc<Recorder>) -> anyhow::Result<Session> {
        let authority = authority(url)?;
        let host = host(authority);
        if !self.allowed.iter().any(|a| a == host) {
            bail!("{host} is not among the hosts this run may reach (see --allow-host)");
        }
        let addr: SocketAddr = tokio::net::lookup_host(authority)
            .await
            .with_context(|| format!("resolving {authority}"))?
            .next()
            .with_context(|| format!("{authority} resolves to nothing"))?;
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
        let stream = socket.connect(addr).await.context("connecting")?;
        stream.set_nodelay(true)?;
        // Small buffers: ten thousand sockets at tungstenite's 128 KiB defaults would take
        // gigabytes of the load generator's memory.
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0);
        let (ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config))
            .await
            .context("the WebSocket handshake")?;
        Ok(Session {
            ws,
            recorder: Arc::clone(recorder),
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

impl Session {
    pub async fn send(&mut self, body: client_frame::Body) -> anyhow::Result<()> {
        let bytes = pb::ClientFrame { body: Some(body) }.encode_to_vec();
        self.recorder.traffic(1, bytes.len() as u64, 0, 0);
        self.ws.send(Message::Binary(bytes.into())).await?;
        Ok(())
    }

    pub async fn hello(&mut self) -> anyhow::Result<()> {
        self.send(client_frame::Body::Hello(pb::Hello {
            protocol_version: pb::ProtocolVersion::ProtocolVersion1.into(),
            client_name: "loadtest".into(),
        }))
        .await
    }

    pub async fn resume(&mut self, last_seq: u64) -> anyhow::Result<()> {
        self.send(client_frame::Body::Resume(pb::Resume {
            protocol_version: pb::ProtocolVersion::ProtocolVersion1.into(),
            last_seq,
        }))
        .await
    }

    /// The next server frame (pings answered underneath), or how the socket closed.
    pub async fn recv(&mut self) -> anyhow::Result<Incoming> {
        while let Some(message) = self.ws.next().await {
            match message? {
                Message::Binary(bytes) => {
                    self.recorder.traffic(0, 0, 1, bytes.len() as u64);
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
