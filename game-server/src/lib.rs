//! A Moonlight game-server node: the WebSocket gateway, one actor per room, the durable
//! input log and snapshots, recovery, and match results.

pub mod store;
