//! Commands a lobby gives the node running a match, for an admin: a short-lived signed token
//! that names the node, the room and what to do, sent as the bearer of
//! `POST /v1/node/rooms/{id}/end` or `…/disconnect`. The node checks it with the public keys
//! alone, as it checks a room ticket; a token names one room and one order (each route
//! takes its own), so a leaked one can do nothing else.

use std::time::Duration;

use moonlight_auth::{Claims, TokenError, TokenIssuer, TokenType, TokenVerifier};
use serde::{Deserialize, Serialize};

/// How long a command token is good for: it is sent the moment it is made.
pub const COMMAND_TTL: Duration = Duration::from_secs(30);

/// How an admin ends a match.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ending {
    /// Nobody wins and nothing is rated.
    NoContest,
    /// `seat` wins: every other seat forfeits.
    Win { seat: u8 },
}

/// What the node is told to do to the room.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// End the match.
    End(Ending),
    /// Close every socket this account has in the room (its account was locked).
    Disconnect { player: String },
    /// Say where the node's rooms stand (their turn, their last input): read only, for
    /// any of the node's rooms (the command's room is [`ANY_ROOM`]).
    Glance,
}

/// The room a [`Order::Glance`] names: it reads the rooms the request lists.
pub const ANY_ROOM: &str = "*";

/// What a command carries besides the standard claims (`sub` is the admin's account id).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CommandExtra {
    pub node: String,
    pub room: String,
    pub order: Order,
}

pub type NodeCommand = Claims<CommandExtra>;

/// Signs a command from `admin_id`.
pub fn mint(
    issuer: &TokenIssuer,
    admin_id: &str,
    extra: CommandExtra,
    now: i64,
) -> Result<String, TokenError> {
    issuer.issue(admin_id, TokenType::NodeCommand, now, COMMAND_TTL, extra)
}

/// Verifies a command.
pub fn verify(verifier: &TokenVerifier, token: &str) -> Result<NodeCommand, TokenError> {
    verifier.verify(token, TokenType::NodeCommand)
}
