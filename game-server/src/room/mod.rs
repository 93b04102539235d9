//! Rooms: one actor per match. The actor owns the game and is the only code that touches
//! it; connections talk to it through its bounded mailbox ([`RoomHandle`]) and it talks
//! back through each connection's bounded outbound queue ([`Peer`]). A practice bot's seat
//! has no connection: the actor plays it (`bot_seats`).

mod actor;
mod bot_seats;
pub(crate) mod restore;
mod views;

use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};

use moonlight_engine::{Action, Seat};
use moonlight_proto::v1 as pb;
use tokio::sync::{mpsc, oneshot};

pub(crate) use actor::Room;

use crate::connection::{Close, ConnId, ErrorCode, Link};

/// What may be seen of a running room without asking it: its turn and when it last applied
/// an input. The actor writes it after each input (two relaxed stores); the operator's
/// console reads it through the node (`crate::command`).
#[derive(Debug, Default)]
pub struct Glance {
    turn: AtomicU32,
    /// Unix milliseconds; 0 when no input was applied since the room opened on this node.
    last_input_ms: AtomicI64,
}

impl Glance {
    pub(crate) fn at_turn(turn: u32) -> Self {
        Self {
            turn: AtomicU32::new(turn),
            last_input_ms: AtomicI64::new(0),
        }
    }

    pub(crate) fn note(&self, turn: u32, at_ms: i64) {
        self.turn.store(turn, Ordering::Relaxed);
        self.last_input_ms.store(at_ms, Ordering::Relaxed);
    }

    pub fn turn(&self) -> u32 {
        self.turn.load(Ordering::Relaxed)
    }

    /// `None` when no input was applied since the room opened on this node.
    pub fn last_input_ms(&self) -> Option<i64> {
        Some(self.last_input_ms.load(Ordering::Relaxed)).filter(|&ms| ms > 0)
    }
}

/// A connection, as its room sees it.
pub struct Peer {
    pub id: ConnId,
    pub player_id: String,
    /// `None` for a spectator.
    pub seat: Option<Seat>,
    /// A spectator who sees every hand: an admin's full view.
    pub full_view: bool,
    /// The client applies view deltas (`Hello.view_deltas`).
    pub view_deltas: bool,
    link: Link,
}

impl Peer {
    pub(crate) fn new(
        id: ConnId,
        player_id: String,
        seat: Option<Seat>,
        full_view: bool,
        view_deltas: bool,
        link: Link,
    ) -> Self {
        Self {
            id,
            player_id,
            seat,
            full_view,
            view_deltas,
            link,
        }
    }

    /// Queues a frame without waiting; `false`: the client is too slow (see [`Link::send`]).
    pub fn send(&self, body: pb::server_frame::Body) -> bool {
        self.link.send(body)
    }

    pub fn error(&self, code: ErrorCode, message: &str) {
        self.link.error(code, message);
    }

    /// Frames this peer's queue can take now.
    pub fn room(&self) -> usize {
        self.link.room()
    }

    pub fn close(&self, code: u16, reason: &str) {
        self.link.close(Close::new(code, reason));
    }
}

/// How a connection opens: a fresh join (`Hello`), or a resume after the last `seq` it saw.
#[derive(Debug, Clone, Copy)]
pub struct Opening {
    /// `Resume.last_seq`; `None` for a `Hello`.
    pub resume_after: Option<u64>,
    /// The client applies view deltas.
    pub view_deltas: bool,
}

pub enum RoomMsg {
    Attach {
        peer: Peer,
        opening: Opening,
    },
    Detach {
        conn_id: ConnId,
    },
    Act {
        conn_id: ConnId,
        client_seq: u64,
        action: Action,
    },
    Emote {
        conn_id: ConnId,
        emote: String,
    },
    Shutdown {
        done: oneshot::Sender<()>,
    },
    /// An admin ends the match (see `crate::command`).
    End {
        end: moonlight_rooms::command::Ending,
        done: oneshot::Sender<crate::command::Ended>,
    },
    /// A locked account's sockets are closed; `done` gets how many.
    Disconnect {
        player_id: String,
        done: oneshot::Sender<usize>,
    },
}

/// The sending side of a room's mailbox.
#[derive(Clone)]
pub struct RoomHandle {
    tx: mpsc::Sender<RoomMsg>,
}

impl RoomHandle {
    pub(crate) fn new(tx: mpsc::Sender<RoomMsg>) -> Self {
        Self { tx }
    }

    /// Delivers `msg` unless the mailbox is full or the room has stopped.
    pub fn try_send(&self, msg: RoomMsg) -> bool {
        self.tx.try_send(msg).is_ok()
    }

    /// Delivers `msg`, waiting for mailbox space (for messages that must not be lost,
    /// like a connection leaving).
    pub async fn send(&self, msg: RoomMsg) -> bool {
        self.tx.send(msg).await.is_ok()
    }

    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}
