//! How a game-server node behaves. Every limit is here, with a default that suits one node.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct GameConfig {
    /// This node's id; tickets name the node they admit to.
    pub node_id: String,
    /// `Origin`s browsers may connect from; empty allows any (non-browser clients send none).
    pub allowed_origins: Vec<String>,
    /// Time a player has for a turn before it ends for them.
    pub turn_time: Duration,
    /// Consecutive turn timeouts after which a seat forfeits.
    pub max_timeouts: u32,
    /// How long a disconnected seat is held before it forfeits.
    pub reconnect_window: Duration,
    /// How long a seat that has not played yet (no opening hand chosen) is held after the
    /// room opens. A seat that never shows up voids the match (`no_contest`) rather than
    /// handing the other player a win. Keep it under `turn_time`, which ends the opening
    /// hands' choice (keeping the hands) and so starts play.
    pub join_window: Duration,
    /// How long a finished room waits for its players to leave.
    pub finished_linger: Duration,
    /// A snapshot every this many inputs (and at game over).
    pub snapshot_every: u64,
    /// Updates kept per room for resuming clients; further behind gets a full view.
    pub recent_updates: usize,
    /// Largest WebSocket message accepted (larger: close 1009).
    pub max_frame_bytes: usize,
    /// Frames per second a connection may send, and its burst.
    pub frames_per_second: u32,
    pub frame_burst: u32,
    /// Frames queued for a client before it is dropped as too slow.
    pub outbound_queue: usize,
    /// Messages queued for a room before new ones are refused.
    pub room_mailbox: usize,
    pub max_rooms: usize,
    pub max_connections: usize,
    /// Time a client has to send its first frame.
    pub handshake_timeout: Duration,
    /// Interval between server pings; a client silent for twice this is dropped.
    pub heartbeat: Duration,
    /// A practice bot's think time before each action, drawn uniformly from (min, max) so
    /// it plays at a human pace rather than instantly.
    pub bot_think: (Duration, Duration),
}

impl Default for GameConfig {
    fn default() -> Self {
        Self {
            node_id: "node-1".to_owned(),
            allowed_origins: Vec::new(),
            turn_time: Duration::from_secs(75),
            max_timeouts: 3,
            reconnect_window: Duration::from_secs(60),
            join_window: Duration::from_secs(30),
            finished_linger: Duration::from_secs(60),
            snapshot_every: 20,
            recent_updates: 128,
            max_frame_bytes: 16 * 1024,
            frames_per_second: 20,
            frame_burst: 40,
            outbound_queue: 64,
            room_mailbox: 256,
            max_rooms: 10_000,
            // The per-process descriptor limit here is 20,000; leave room for the rest.
            max_connections: 16_000,
            handshake_timeout: Duration::from_secs(10),
            heartbeat: Duration::from_secs(15),
            bot_think: (Duration::from_millis(800), Duration::from_millis(2500)),
        }
    }
}
