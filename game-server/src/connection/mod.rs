//! One player's (or spectator's) WebSocket, from the upgrade to the last frame.
//!
//! [`Connection`] owns the socket's framing, limits and encoding; [`serve`] is a
//! connection's whole life: the opening frame, then every frame to the room, until the
//! client leaves, breaks a rule, or the room closes it.

mod codes;
mod socket;

use std::sync::atomic::{AtomicU64, Ordering};

use moonlight_engine::{Action, Seat};
use moonlight_proto::v1::{self as pb, client_frame::Body};

pub use codes::ErrorCode;
pub use socket::close;
pub(crate) use socket::{Close, Connection, Incoming, Link};

use crate::{
    room::{Peer, RoomHandle, RoomMsg},
    wire,
};

/// A connection's id on this node, unique for the node's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ConnId(u64);

impl ConnId {
    fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// Who the ticket says is connecting, and to which room.
pub(crate) struct Admission {
    pub player_id: String,
    pub seat: Option<Seat>,
    /// A spectator who sees every hand (an admin).
    pub full_view: bool,
    pub room: RoomHandle,
}

/// The `game_connections` gauge counts a connection from its upgrade until this drops,
/// whichever way the connection ends.
struct Counted;

impl Counted {
    fn connection() -> Self {
        metrics::gauge!("game_connections").increment(1.0);
        Self
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        metrics::gauge!("game_connections").decrement(1.0);
    }
}

pub(crate) async fn serve(mut conn: Connection, admission: Admission) {
    let _counted = Counted::connection();
    let opening = match conn.opening().await {
        Ok(opening) => opening,
        Err(close) => return conn.finish(close).await,
    };
    let id = ConnId::next();
    let Admission {
        player_id,
        seat,
        full_view,
        room,
    } = admission;
    let peer = Peer::new(
        id,
        player_id,
        seat,
        full_view,
        opening.view_deltas,
        conn.link().clone(),
    );
    if !room.try_send(RoomMsg::Attach { peer, opening }) {
        let close = Close::new(close::TRY_AGAIN, "the room is busy; retry");
        return conn.finish(close).await;
    }
    let close = forward(&mut conn, &room, id).await;
    // The room hears of it at once (its reconnect window starts now), before the last
    // frames are flushed; leaving must reach it even if its mailbox is momentarily full.
    room.send(RoomMsg::Detach { conn_id: id }).await;
    conn.finish(close).await;
}

/// Hands the client's frames to the room until the client leaves or breaks a rule;
/// returns how to close.
async fn forward(conn: &mut Connection, room: &RoomHandle, id: ConnId) -> Close {
    loop {
        let frame = match conn.read_frame().await {
            Ok(Some(Incoming::Frame(frame))) => frame,
            Ok(Some(Incoming::Unreadable(code))) => {
                conn.link().error(code, "frames are binary ClientFrames");
                continue;
            }
            Ok(None) => return Close::new(close::NORMAL, ""),
            Err(close) => return close,
        };
        let Some(message) = room_message(frame, id, conn.link()) else {
            continue;
        };
        if !room.try_send(message) {
            conn.link()
                .error(ErrorCode::RoomBusy, "the room is busy; retry");
        }
    }
}

/// What the room must hear of `frame`; `None` for what the connection answers itself.
fn room_message(frame: pb::ClientFrame, conn_id: ConnId, link: &Link) -> Option<RoomMsg> {
    match frame.body {
        Some(Body::Action(action)) => match wire::action(action.kind.as_ref()) {
            Some(kind) => Some(RoomMsg::Act {
                conn_id,
                client_seq: action.client_seq,
                action: kind,
            }),
            None => {
                link.send(pb::server_frame::Body::ActionRejected(pb::ActionRejected {
                    client_seq: action.client_seq,
                    reason: "malformed_action".to_owned(),
                    message: "the action names no kind".to_owned(),
                }));
                None
            }
        },
        Some(Body::Concede(concede)) => Some(RoomMsg::Act {
            conn_id,
            client_seq: concede.client_seq,
            action: Action::Concede,
        }),
        Some(Body::Emote(emote)) => Some(RoomMsg::Emote {
            conn_id,
            emote: emote.emote,
        }),
        Some(Body::Ping(ping)) => {
            link.send(pb::server_frame::Body::Pong(pb::Pong { nonce: ping.nonce }));
            None
        }
        Some(Body::Hello(_) | Body::Resume(_)) => {
            link.error(ErrorCode::AlreadyJoined, "hello and resume come only first");
            None
        }
        None => {
            link.error(
                ErrorCode::MalformedFrame,
                "the frame has no body (unknown kind?)",
            );
            None
        }
    }
}
