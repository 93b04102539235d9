//! Rooms: one actor per match. The actor owns the game and is the only code that touches
//! it; connections talk to it through its bounded mailbox ([`RoomHandle`]) and it talks
//! back through each connection's bounded outbound queue ([`Peer`]). A practice bot's seat
//! has no connection: the actor plays it (`bot`).

mod actor;
mod bot;
pub(crate) mod restore;

use moonlight_engine::{Action, Seat};
use moonlight_proto::v1 as pb;
use prost::Message;
use tokio::sync::{mpsc, oneshot, watch};

pub(crate) use actor::Room;

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
}

/// Why the server closes a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Close {
    pub code: u16,
    pub reason: String,
}

/// A connection, as its room sees it.
pub struct Peer {
    pub id: u64,
    pub player_id: String,
    /// `None` for a spectator.
    pub seat: Option<Seat>,
    outbound: mpsc::Sender<Vec<u8>>,
    close: watch::Sender<Option<Close>>,
}

impl Peer {
    pub fn new(
        id: u64,
        player_id: String,
        seat: Option<Seat>,
        outbound: mpsc::Sender<Vec<u8>>,
        close: watch::Sender<Option<Close>>,
    ) -> Self {
        Self {
            id,
            player_id,
            seat,
            outbound,
            close,
        }
    }

    /// Queues a frame without waiting. `false` means the client is not keeping up and
    /// should be dropped: a room never waits for a slow reader.
    pub fn send(&self, body: pb::server_frame::Body) -> bool {
        let frame = pb::ServerFrame { body: Some(body) };
        match self.outbound.try_send(frame.encode_to_vec()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => false,
            // Gone already (the socket closed): its connection detaches itself; it is not
            // a slow reader.
            Err(mpsc::error::TrySendError::Closed(_)) => true,
        }
    }

    pub fn error(&self, code: &str, message: &str) {
        self.send(pb::server_frame::Body::Error(pb::Error {
            code: code.to_owned(),
            message: message.to_owned(),
        }));
    }

    /// Asks the connection to close with `code`; its writer sends the close frame. The
    /// first reason given wins (a room closing after a shutdown keeps "restarting").
    pub fn close(&self, code: u16, reason: &str) {
        self.close.send_if_modified(|close| {
            if close.is_some() {
                return false;
            }
            *close = Some(Close {
                code,
                reason: reason.to_owned(),
            });
            true
        });
    }
}

/// How a connection opens: a fresh join, or a resume after the last `seq` it saw.
#[derive(Debug, Clone, Copy)]
pub enum Opening {
    Hello,
    Resume { last_seq: u64 },
}

pub enum RoomMsg {
    Attach {
        peer: Peer,
        opening: Opening,
    },
    Detach {
        conn_id: u64,
    },
    Act {
        conn_id: u64,
        client_seq: u64,
        action: Action,
    },
    Emote {
        conn_id: u64,
        emote: String,
    },
    Shutdown {
        done: oneshot::Sender<()>,
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
