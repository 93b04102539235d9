//! [`Connection`]: a game socket's framing, limits and encoding.
//!
//! Reading, it yields whole `ClientFrame`s and enforces what the protocol bounds: binary
//! protobuf only, the frame size (tungstenite refuses bigger ones), the frame rate, the
//! time to say hello, and the heartbeat. Writing goes through a [`Link`] into a bounded
//! queue that the connection's writer task drains; the room holds a clone of the same
//! link. [`Link::send`] is the one place a `ServerFrame` is encoded.

use std::{sync::Arc, time::Duration};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{
    SinkExt, StreamExt,
    stream::{SplitSink, SplitStream},
};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use moonlight_proto::v1::{self as pb, client_frame, server_frame::Body};
use parking_lot::Mutex;
use prost::Message as _;
use tokio::{
    sync::{mpsc, watch},
    task::JoinHandle,
    time::{Instant, MissedTickBehavior, interval, timeout},
};
use tokio_tungstenite::tungstenite;

use super::ErrorCode;
use crate::{GameConfig, room::Opening};

/// WebSocket close codes this node uses besides the standard ones.
pub mod close {
    pub const NORMAL: u16 = 1000;
    pub const POLICY: u16 = 1008;
    pub const TOO_BIG: u16 = 1009;
    pub const RESTARTING: u16 = 1012;
    pub const TRY_AGAIN: u16 = 1013;
    /// Another connection took over this seat.
    pub const REPLACED: u16 = 4001;
    /// The room now lives on another node.
    pub const MOVED: u16 = 4002;
    /// The ticket does not match the room's seat.
    pub const WRONG_SEAT: u16 = 4003;
    /// The account was locked by an admin: do not reconnect.
    pub const ACCOUNT_LOCKED: u16 = 4004;
}

/// How long a closing connection may take to flush its last frames, and to hear the
/// client's answer to its close.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// How long one frame may take to leave: a client that reads nothing for this long is
/// dropped, whatever room its kernel buffers still have (their memory is freed with it).
const WRITE_STALL: Duration = Duration::from_secs(5);

/// Why the server closes a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Close {
    pub code: u16,
    pub reason: String,
}

impl Close {
    pub fn new(code: u16, reason: &str) -> Self {
        Self {
            code,
            reason: reason.to_owned(),
        }
    }
}

/// What the client sent.
pub enum Incoming {
    Frame(pb::ClientFrame),
    /// A data frame that is not a binary `ClientFrame`, and the code that says so.
    Unreadable(ErrorCode),
}

/// The sending side of a connection, for the room and the connection itself: frames go
/// into the writer's bounded queue, never waiting for the client.
#[derive(Clone)]
pub struct Link {
    outbound: mpsc::Sender<Vec<u8>>,
    close: watch::Sender<Option<Close>>,
}

impl Link {
    /// Queues a frame without waiting. `false` means the client is not keeping up and
    /// should be dropped: a room never waits for a slow reader.
    pub fn send(&self, body: Body) -> bool {
        let frame = pb::ServerFrame { body: Some(body) }.encode_to_vec();
        match self.outbound.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => false,
            // Gone already (the socket closed): its connection detaches itself; it is not
            // a slow reader.
            Err(mpsc::error::TrySendError::Closed(_)) => true,
        }
    }

    pub fn error(&self, code: ErrorCode, message: &str) {
        self.send(Body::Error(pb::Error {
            code: code.as_str().to_owned(),
            message: message.to_owned(),
        }));
    }

    /// Frames the queue can take now.
    pub fn room(&self) -> usize {
        self.outbound.capacity()
    }

    /// Asks the writer to close with `close` after the frames queued so far. The first
    /// reason given wins (a room closing after a shutdown keeps "restarting").
    pub fn close(&self, close: Close) {
        self.close.send_if_modified(|current| {
            if current.is_some() {
                return false;
            }
            *current = Some(close);
            true
        });
    }
}

/// A game socket, from the upgrade on: the reading half here, the writing half in a task
/// of its own fed through [`Link`]s.
pub struct Connection {
    stream: SplitStream<WebSocket>,
    link: Link,
    writer: JoinHandle<()>,
    limiter: DefaultDirectRateLimiter,
    /// When the client was last heard from (any frame, pongs included).
    heard: Arc<Mutex<Instant>>,
    handshake_timeout: Duration,
}

impl Connection {
    /// Takes over `socket` and starts its writer, which also pings a quiet client every
    /// heartbeat and drops one silent for two.
    pub fn new(socket: WebSocket, config: &GameConfig) -> Self {
        let (sink, stream) = socket.split();
        let (outbound, queued) = mpsc::channel(config.outbound_queue);
        let (close, closing) = watch::channel(None);
        let heard = Arc::new(Mutex::new(Instant::now()));
        let writer = tokio::spawn(write(
            sink,
            queued,
            closing,
            Arc::clone(&heard),
            config.heartbeat,
        ));
        let quota = Quota::per_second(config.frames_per_second).allow_burst(config.frame_burst);
        Self {
            stream,
            link: Link { outbound, close },
            writer,
            limiter: RateLimiter::direct(quota),
            heard,
            handshake_timeout: config.handshake_timeout,
        }
    }

    pub fn link(&self) -> &Link {
        &self.link
    }

    /// The opening frame, `Hello` or `Resume` in protocol version 1, within the handshake
    /// time. Anything else is refused: an error frame, and the close to send.
    pub async fn opening(&mut self) -> Result<Opening, Close> {
        let refuse = |link: &Link, code: ErrorCode, message: &str, close: u16| {
            link.error(code, message);
            Close::new(close, message)
        };
        let frame = match timeout(self.handshake_timeout, self.read_frame()).await {
            Err(_) => return Err(Close::new(close::POLICY, "no hello in time")),
            Ok(Err(close)) => return Err(close),
            Ok(Ok(None)) => return Err(Close::new(close::NORMAL, "")),
            Ok(Ok(Some(Incoming::Unreadable(code)))) => {
                let message = "the first frame must be a binary Hello or Resume";
                return Err(refuse(&self.link, code, message, close::POLICY));
            }
            Ok(Ok(Some(Incoming::Frame(frame)))) => frame,
        };
        let (version, opening) = match frame.body {
            Some(client_frame::Body::Hello(hello)) => (
                hello.protocol_version,
                Opening {
                    resume_after: None,
                    view_deltas: hello.view_deltas,
                },
            ),
            Some(client_frame::Body::Resume(resume)) => (
                resume.protocol_version,
                Opening {
                    resume_after: Some(resume.last_seq),
                    view_deltas: resume.view_deltas,
                },
            ),
            _ => {
                let message = "the first frame must be Hello or Resume";
                return Err(refuse(
                    &self.link,
                    ErrorCode::ExpectedHello,
                    message,
                    close::POLICY,
                ));
            }
        };
        if version != i32::from(pb::ProtocolVersion::ProtocolVersion1) {
            let message = "this server speaks protocol version 1";
            return Err(refuse(
                &self.link,
                ErrorCode::UnsupportedVersion,
                message,
                close::POLICY,
            ));
        }
        Ok(opening)
    }

    /// The next frame. `Ok(None)`: the client left. `Err`: the connection must close as
    /// that says (the client broke a rule: too big, too fast, not WebSocket, or silent).
    pub async fn read_frame(&mut self) -> Result<Option<Incoming>, Close> {
        loop {
            let next = tokio::select! {
                next = self.stream.next() => next,
                // The writer stopped (the client went quiet, or the socket broke).
                () = self.link.outbound.closed() => {
                    return Err(Close::new(close::POLICY, "no heartbeat"));
                }
            };
            let message = match next {
                None | Some(Ok(Message::Close(_))) => return Ok(None),
                Some(Err(error)) if is_too_big(&error) => {
                    metrics::counter!("game_frames_rejected_total", "reason" => "too_big")
                        .increment(1);
                    self.link
                        .error(ErrorCode::FrameTooLarge, "frames are at most 16 KiB");
                    return Err(Close::new(close::TOO_BIG, "frame too large"));
                }
                Some(Err(_)) => {
                    metrics::counter!("game_frames_rejected_total", "reason" => "protocol")
                        .increment(1);
                    return Err(Close::new(close::POLICY, "protocol error"));
                }
                Some(Ok(message)) => message,
            };
            *self.heard.lock() = Instant::now();
            let bytes = match message {
                Message::Ping(_) | Message::Pong(_) => continue,
                Message::Close(_) => return Ok(None),
                Message::Binary(bytes) => Some(bytes),
                Message::Text(_) => None,
            };
            if self.limiter.check().is_err() {
                metrics::counter!("game_frames_rejected_total", "reason" => "rate").increment(1);
                self.link
                    .error(ErrorCode::RateLimited, "too many frames; slow down");
                return Err(Close::new(close::POLICY, "rate limited"));
            }
            let Some(bytes) = bytes else {
                return Ok(Some(Incoming::Unreadable(ErrorCode::BinaryOnly)));
            };
            return Ok(Some(match pb::ClientFrame::decode(bytes.as_ref()) {
                Ok(frame) => Incoming::Frame(frame),
                Err(_) => {
                    metrics::counter!("game_frames_rejected_total", "reason" => "malformed")
                        .increment(1);
                    Incoming::Unreadable(ErrorCode::MalformedFrame)
                }
            }));
        }
    }

    /// Closes: the writer sends what is queued and the close frame (`close`, unless a
    /// reason was given already), then the client's last frames are read and dropped until
    /// it answers the close. Closing a socket with unread input makes the kernel reset the
    /// connection, and a reset can destroy the last frames before the client reads them.
    pub async fn finish(mut self, close: Close) {
        self.link.close(close);
        if timeout(CLOSE_GRACE, &mut self.writer).await.is_err() {
            self.writer.abort();
        }
        let _ = timeout(CLOSE_GRACE, async {
            while let Some(Ok(message)) = self.stream.next().await {
                if matches!(message, Message::Close(_)) {
                    break;
                }
            }
        })
        .await;
    }
}

/// The writer task: queued frames in order, a ping every `heartbeat` to a client not heard
/// from for half of one (dropping a client silent for two), and at the end the close
/// frame. A frame that cannot leave within [`WRITE_STALL`] ends the connection: the client
/// stopped reading.
async fn write(
    mut sink: SplitSink<WebSocket, Message>,
    mut queued: mpsc::Receiver<Vec<u8>>,
    mut closing: watch::Receiver<Option<Close>>,
    heard: Arc<Mutex<Instant>>,
    heartbeat: Duration,
) {
    let mut ticker = interval(heartbeat);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_tick = Instant::now();
    let close = loop {
        tokio::select! {
            frame = queued.recv() => match frame {
                Some(bytes) => {
                    if !sent(&mut sink, Message::Binary(bytes.into())).await {
                        return;
                    }
                }
                None => return,
            },
            changed = closing.changed() => {
                let close = if changed.is_ok() { closing.borrow().clone() } else { None };
                // Frames queued before the close (e.g. the error that explains it) go first.
                while let Ok(bytes) = queued.try_recv() {
                    if !sent(&mut sink, Message::Binary(bytes.into())).await {
                        return;
                    }
                }
                break close.unwrap_or_else(|| Close::new(close::NORMAL, ""));
            }
            _ = ticker.tick() => {
                let now = Instant::now();
                // A tick far later than due means this process was not running (stopped,
                // starved): the client's answers are still unread, so its silence counts
                // from now, not from before the pause.
                if now - last_tick > heartbeat + heartbeat / 2 {
                    *heard.lock() = now;
                }
                last_tick = now;
                let silent = heard.lock().elapsed();
                if silent > heartbeat * 2 {
                    metrics::counter!("game_silent_clients_dropped_total").increment(1);
                    break Close::new(close::POLICY, "no heartbeat");
                }
                // A client heard from lately is alive: asking costs both ends a frame
                // (at 10,000 players in play, pings were one socket send in nine and one
                // receive in five). Half a heartbeat, so a client is always pinged at
                // least once, a heartbeat before it is dropped.
                if silent < heartbeat / 2 {
                    continue;
                }
                if !sent(&mut sink, Message::Ping(Vec::new().into())).await {
                    return;
                }
            }
        }
    };
    let _ = sent(
        &mut sink,
        Message::Close(Some(CloseFrame {
            code: close.code,
            reason: close.reason.into(),
        })),
    )
    .await;
}

/// Sends `message`; `false` if the socket broke or the frame could not leave within
/// [`WRITE_STALL`].
async fn sent(sink: &mut SplitSink<WebSocket, Message>, message: Message) -> bool {
    matches!(timeout(WRITE_STALL, sink.send(message)).await, Ok(Ok(())))
}

/// Whether a read failed because the frame is over the size limit.
fn is_too_big(error: &axum::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        if let Some(tungstenite::Error::Capacity(_)) = inner.downcast_ref::<tungstenite::Error>() {
            return true;
        }
        source = inner.source();
    }
    false
}
