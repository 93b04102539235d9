//! Room tickets: short-lived signed tokens that admit one player to one seat of one room on
//! one node. The lobby mints them with the auth keys; the node verifies them with the public
//! keys alone, before any room work.

use std::time::Duration;

use moonlight_auth::{Claims, TokenError, TokenIssuer, TokenType, TokenVerifier};
use serde::{Deserialize, Serialize};

/// How long a freshly minted ticket admits its holder.
pub const TICKET_TTL: Duration = Duration::from_secs(120);

/// What a ticket carries besides the standard claims (`sub` is the player id).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TicketExtra {
    pub room: String,
    /// The seat, or `None` for a spectator.
    pub seat: Option<u8>,
    /// The node the ticket is for.
    pub node: String,
    /// The player's display name.
    pub name: String,
    /// For a spectator: every hand too (an admin's full view, minted only by the admin
    /// API). Absent, and false, in every other ticket.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub full_view: bool,
}

pub type RoomTicket = Claims<TicketExtra>;

/// Signs a ticket for `player_id` to `room`/`seat` on `node`.
pub fn mint(
    issuer: &TokenIssuer,
    player_id: &str,
    extra: TicketExtra,
    now: i64,
) -> Result<String, TokenError> {
    issuer.issue(player_id, TokenType::RoomTicket, now, TICKET_TTL, extra)
}

/// Verifies a ticket.
pub fn verify(verifier: &TokenVerifier, token: &str) -> Result<RoomTicket, TokenError> {
    verifier.verify(token, TokenType::RoomTicket)
}
