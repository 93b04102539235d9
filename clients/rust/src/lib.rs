//! The Rust client of the Moonlight protocol: the one the load test's bots and the tests'
//! players use.
//!
//! - [`api`]: accounts (auth) and the lobby over HTTP, with typed errors;
//! - [`socket`]: the game WebSocket ([`GameSocket`]), protobuf frames both ways;
//! - [`policy`]: a simple player that picks among the server's legal actions.

pub mod api;
pub mod policy;
pub mod socket;

pub use api::{Api, ApiError, LobbyState, MatchTicket, Tokens};
pub use socket::{Dialer, GameSocket, Incoming, Route, Traffic};
