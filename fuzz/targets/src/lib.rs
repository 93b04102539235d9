//! The bodies of Moonlight's fuzz targets (`fuzz/`, run with `cargo fuzz`), kept here so
//! the workspace's own tests run every committed corpus input through them too
//! (`tests/corpora.rs`).
//!
//! Each target feeds arbitrary bytes to the production code that meets untrusted (or
//! merely stored) data, exactly as the server calls it:
//!
//! - [`first_frame`]: the first WebSocket message of a game socket, through a real node
//!   (`GameServer::router`, in this process over in-memory streams) and its handshake;
//! - [`later_frames`]: frames from two seats and a spectator into a live room of such a
//!   node: the connection's decoding and dispatch, the room actor, `wire`, the engine, the
//!   durable log in SQLite;
//! - [`actions`]: the same inputs decoded and translated as the connection does, straight
//!   into the room's game (the rules engine), far faster, with the engine's own checks;
//! - [`content`]: TOML files through the content loader and checker (and a match played
//!   on content that passes);
//! - [`snapshot`]: engine snapshots, room snapshots, logged inputs and room records as the
//!   room store hands them to a restore;
//! - [`ticket`]: room tickets and access tokens through the token verifier, the node's
//!   `/v1/play` refusals and the `Authenticated` extractor.
//!
//! A target returns normally for any input; a panic (or a broken expectation, asserted)
//! is a bug.

mod actions;
mod content;
mod frames;
mod keys;
mod node;
mod shipped;
mod snapshot;
mod ticket;

pub mod seeds;

pub use actions::actions;
pub use content::content;
pub use frames::{first_frame, later_frames};
pub use snapshot::snapshot;
pub use ticket::ticket;

/// A target's body.
pub type Target = fn(&[u8]);

/// Every target, by the name of its `cargo fuzz` target and corpus directory.
pub const TARGETS: [(&str, Target); 6] = [
    ("first_frame", first_frame),
    ("later_frames", later_frames),
    ("actions", actions),
    ("content", content),
    ("snapshot", snapshot),
    ("ticket", ticket),
];
