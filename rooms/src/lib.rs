//! What the lobby and the game servers share, and nothing of either: the contract a room
//! crosses between them.
//!
//! - [`record`]: a room as the lobby sets it up ([`RoomRecord`]), the inputs a room logs
//!   ([`LogEntry`]), a finished match's [`MatchResult`] and each seat's [`SeatResult`];
//! - [`store`]: where rooms live between messages ([`RoomStore`]: Redis, or SQL for a
//!   single node), with the outbox of finished results and the content versions rooms use;
//! - [`results`]: `match_results`, where each finished match is recorded exactly once;
//! - [`ticket`]: room tickets, which admit one player to one seat of one room on one node;
//! - [`command`]: an admin's command to the node running a match (ending it);
//! - [`directory`]: the live game-server nodes ([`NodeDirectory`]);
//! - [`redis`]: the one way this project reaches Redis, one server or a cluster
//!   ([`RedisPool`]).

pub mod command;
pub mod directory;
pub mod record;
pub mod redis;
pub mod results;
pub mod store;
pub mod ticket;

pub use directory::{NodeDirectory, NodeInfo, NodeVitals};
pub use record::{LogEntry, MatchResult, PlayerRecord, Replay, RoomRecord, SeatResult};
pub use redis::RedisPool;
pub use results::{record_from_outbox, record_results};
pub use store::{RedisStore, RoomState, RoomStore, SqlStore, StoreError, StoredRoom};
