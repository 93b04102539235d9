//! One player's WebSocket: a reader and a writer, `select!`ed, the survivor aborted.
//!
//! The reader decodes frames, enforces the size and rate limits and forwards game messages
//! to the room; the writer drains the bounded outbound queue the room fills, sends
//! heartbeats, and sends the close frame the room (or the reader) asks for. A client that
//! goes quiet for two heartbeats is dropped.

use std::{
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt, stream::SplitStream};
use governor::{Quota, RateLimiter};
use moonlight_engine::{Action, Seat};
use moonlight_proto::v1::{self as pb, client_frame::Body};
use prost::Message as _;
use tokio::{
    sync::{mpsc, watch},
    time::{Instant, interval, timeout},
};

use crate::{
    NodeContext,
    room::{Close, Opening, Peer, RoomHandle, RoomMsg, close},
    wire,
};

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// How long a closing connection may take to flush its last frames.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Who the ticket says is connecting.
pub struct Admission {
    pub player_id: String,
    pub seat: Option<Seat>,
    pub room: RoomHandle,
}

pub async fn run(socket: WebSocket, ctx: Arc<NodeContext>, admission: Admission) {
    metrics::gauge!("game_connections").increment(1.0);
    let conn_id = NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed);
    let (mut sink, mut stream) = socket.split();
    let (outbound_tx, mut outbound_rx) = mpsc::channel::<Vec<u8>>(ctx.config.outbound_queue);
    let (close_tx, mut close_rx) = watch::channel::<Option<Close>>(None);
    let config = &ctx.config;

    // The first frame says how this connection opens; without one in time, goodbye.
    let opening = match timeout(config.handshake_timeout, first_frame(&mut stream)).await {
        Ok(Ok(opening)) => opening,
        Ok(Err(refusal)) => {
            let _ = sink
                .send(error_frame(&refusal.code, &refusal.message))
                .await;
            let _ = sink
                .send(close_frame(refusal.close, &refusal.message))
                .await;
            metrics::gauge!("game_connections").decrement(1.0);
            return;
        }
        Err(_) => {
            let _ = sink
                .send(close_frame(close::POLICY, "no hello in time"))
                .await;
            metrics::gauge!("game_connections").decrement(1.0);
            return;
        }
    };

    let peer = Peer::new(
        conn_id,
        admission.player_id.clone(),
        admission.seat,
        outbound_tx.clone(),
        close_tx.clone(),
    );
    if !admission.room.try_send(RoomMsg::Attach { peer, opening }) {
        let _ = sink
            .send(close_frame(close::TRY_AGAIN, "the room is busy; retry"))
            .await;
        metrics::gauge!("game_connections").decrement(1.0);
        return;
    }

    let last_heard = Arc::new(std::sync::Mutex::new(Instant::now()));
    let heartbeat = config.heartbeat;
    let writer_heard = Arc::clone(&last_heard);
    let mut writer = tokio::spawn(async move {
        let mut ticker = interval(heartbeat);
        loop {
            tokio::select! {
                frame = outbound_rx.recv() => match frame {
                    Some(bytes) => if sink.send(Message::Binary(bytes.into())).await.is_err() { break },
                    None => break,
                },
                changed = close_rx.changed() => {
                    let reason = if changed.is_ok() { close_rx.borrow().clone() } else { None };
                    let reason = reason.unwrap_or(Close { code: close::NORMAL, reason: String::new() });
                    // Frames queued before the close (e.g. the error that explains it) go first.
                    while let Ok(bytes) = outbound_rx.try_recv() {
                        if sink.send(Message::Binary(bytes.into())).await.is_err() { break }
                    }
                    let _ = sink.send(close_frame(reason.code, &reason.reason)).await;
                    break;
                }
                _ = ticker.tick() => {
                    let quiet = writer_heard.lock().map(|t| t.elapsed()).unwrap_or_default();
                    if quiet > heartbeat * 2 {
                        let _ = sink.send(close_frame(close::POLICY, "no heartbeat")).await;
                        break;
                    }
                    if sink.send(Message::Ping(Vec::new().into())).await.is_err() { break }
                }
            }
        }
    });

    let limiter = RateLimiter::direct(
        Quota::per_second(NonZeroU32::new(config.frames_per_second).unwrap_or(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(config.frame_burst).unwrap_or(NonZeroU32::MIN)),
    );
    let send_self = |body: pb::server_frame::Body| {
        let _ = outbound_tx.try_send(pb::ServerFrame { body: Some(body) }.encode_to_vec());
    };
    let reader = async {
        while let Some(message) = stream.next().await {
            if let Ok(mut heard) = last_heard.lock() {
                *heard = Instant::now();
            }
            let bytes = match message {
                Ok(Message::Binary(bytes)) => bytes,
                Ok(Message::Close(_)) => break,
                Ok(Message::Ping(_) | Message::Pong(_)) => continue,
                Ok(Message::Text(_)) => {
                    reject(&send_self, "binary_only", "frames must be binary protobuf");
                    continue;
                }
                Err(error) => {
                    let too_big = is_capacity_error(&error);
                    let (code, reason) = if too_big {
                        (close::TOO_BIG, "frame too large")
                    } else {
                        (close::POLICY, "protocol error")
                    };
                    close_tx.send_replace(Some(Close {
                        code,
                        reason: reason.to_owned(),
                    }));
                    metrics::counter!("game_frames_rejected_total", "reason" => if too_big { "too_big" } else { "protocol" }).increment(1);
                    break;
                }
            };
            if limiter.check().is_err() {
                reject(&send_self, "rate_limited", "too many frames; slow down");
                close_tx.send_replace(Some(Close {
                    code: close::POLICY,
                    reason: "rate limited".to_owned(),
                }));
                metrics::counter!("game_frames_rejected_total", "reason" => "rate").increment(1);
                break;
            }
            let frame = match pb::ClientFrame::decode(bytes.as_ref()) {
                Ok(frame) => frame,
                Err(_) => {
                    reject(&send_self, "malformed_frame", "not a ClientFrame");
                    metrics::counter!("game_frames_rejected_total", "reason" => "malformed")
                        .increment(1);
                    continue;
                }
            };
            let room_msg = match frame.body {
                Some(Body::Ping(ping)) => {
                    send_self(pb::server_frame::Body::Pong(pb::Pong { nonce: ping.nonce }));
                    continue;
                }
                Some(Body::Action(action)) => match wire::action(action.kind.as_ref()) {
                    Some(kind) => RoomMsg::Act {
                        conn_id,
                        client_seq: action.client_seq,
                        action: kind,
                    },
                    None => {
                        send_self(pb::server_frame::Body::ActionRejected(pb::ActionRejected {
                            client_seq: action.client_seq,
                            reason: "malformed_action".to_owned(),
                            message: "the action names no kind".to_owned(),
                        }));
                        continue;
                    }
                },
                Some(Body::Concede(concede)) => RoomMsg::Act {
                    conn_id,
                    client_seq: concede.client_seq,
                    action: Action::Concede,
                },
                Some(Body::Emote(emote)) => RoomMsg::Emote {
                    conn_id,
                    emote: emote.emote,
                },
                Some(Body::Hello(_) | Body::Resume(_)) => {
                    reject(
                        &send_self,
                        "already_joined",
                        "hello and resume come only first",
                    );
                    continue;
                }
                None => {
                    reject(
                        &send_self,
                        "malformed_frame",
                        "the frame has no body (unknown kind?)",
                    );
                    continue;
                }
            };
            if !admission.room.try_send(room_msg) {
                reject(&send_self, "room_busy", "the room is busy; retry");
            }
        }
    };
    {
        let mut reader = std::pin::pin!(reader);
        tokio::select! {
            () = &mut reader => {
                // The reader is done (the client left, or broke a rule and a close reason is
                // set): let the writer send what is queued and the close frame, briefly.
                close_tx.send_if_modified(|close| {
                    close.get_or_insert(Close { code: close::NORMAL, reason: String::new() });
                    true
                });
                if tokio::time::timeout(CLOSE_GRACE, &mut writer).await.is_err() {
                    writer.abort();
                }
            }
            _ = &mut writer => {}
        }
    }
    // Linger: discard what the client still sends until it answers the close (or the grace
    // ends). Closing a socket with unread input makes the kernel reset the connection, and
    // a reset can destroy our last frames before the client reads them.
    let _ = timeout(CLOSE_GRACE, async {
        while let Some(Ok(message)) = stream.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
    // Leaving must reach the room even if its mailbox is momentarily full.
    admission.room.send(RoomMsg::Detach { conn_id }).await;
    metrics::gauge!("game_connections").decrement(1.0);
}

fn reject(send: &impl Fn(pb::server_frame::Body), code: &str, message: &str) {
    send(pb::server_frame::Body::Error(pb::Error {
        code: code.to_owned(),
        message: message.to_owned(),
    }));
}

struct Refusal {
    code: String,
    message: String,
    close: u16,
}

fn refusal(code: &str, message: &str, close: u16) -> Refusal {
    Refusal {
        code: code.to_owned(),
        message: message.to_owned(),
        close,
    }
}

/// Reads the opening frame: `Hello` or `Resume`, in protocol version 1.
async fn first_frame(stream: &mut SplitStream<WebSocket>) -> Result<Opening, Refusal> {
    loop {
        let bytes = match stream.next().await {
            Some(Ok(Message::Binary(bytes))) => bytes,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Err(error)) if is_capacity_error(&error) => {
                return Err(refusal(
                    "frame_too_large",
                    "frame too large",
                    close::TOO_BIG,
                ));
            }
            _ => {
                return Err(refusal(
                    "expected_hello",
                    "the first frame must be a binary Hello or Resume",
                    close::POLICY,
                ));
            }
        };
        let frame = pb::ClientFrame::decode(bytes.as_ref())
            .map_err(|_| refusal("malformed_frame", "not a ClientFrame", close::POLICY))?;
        let (version, opening) = match frame.body {
            Some(Body::Hello(hello)) => (hello.protocol_version, Opening::Hello),
            Some(Body::Resume(resume)) => (
                resume.protocol_version,
                Opening::Resume {
                    last_seq: resume.last_seq,
                },
            ),
            _ => {
                return Err(refusal(
                    "expected_hello",
                    "the first frame must be Hello or Resume",
                    close::POLICY,
                ));
            }
        };
        if version != i32::from(pb::ProtocolVersion::ProtocolVersion1) {
            return Err(refusal(
                "unsupported_version",
                "this server speaks protocol version 1",
                close::POLICY,
            ));
        }
        return Ok(opening);
    }
}

fn is_capacity_error(error: &axum::Error) -> bool {
    use std::error::Error as _;
    let mut source: Option<&(dyn std::error::Error + 'static)> = error.source();
    while let Some(inner) = source {
        if let Some(tungstenite::Error::Capacity(_)) = inner.downcast_ref::<tungstenite::Error>() {
            return true;
        }
        source = inner.source();
    }
    error
        .to_string()
        .to_ascii_lowercase()
        .contains("space limit")
}

use tokio_tungstenite::tungstenite;

fn error_frame(code: &str, message: &str) -> Message {
    let frame = pb::ServerFrame {
        body: Some(pb::server_frame::Body::Error(pb::Error {
            code: code.to_owned(),
            message: message.to_owned(),
        })),
    };
    Message::Binary(frame.encode_to_vec().into())
}

fn close_frame(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.to_owned().into(),
    }))
}
