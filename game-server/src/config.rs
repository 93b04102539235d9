//! How a game-server node behaves. Every setting is here once: flag, environment variable,
//! default and meaning in its attribute; the settings without a flag are fixed by design
//! (`skip`), with their reason beside them.

use std::{net::SocketAddr, num::NonZeroU32, time::Duration};

use moonlight_common::config::{at_least_one, defaults, non_empty, seconds};

#[derive(Debug, Clone, clap::Args)]
pub struct GameConfig {
    /// Address the game server listens on (WebSocket at /v1/play; port 0: any free port).
    #[arg(
        id = "game_addr",
        long = "game-addr",
        value_name = "ADDR",
        env = "MOONLIGHT_GAME_ADDR",
        default_value = "127.0.0.1:8082"
    )]
    pub addr: SocketAddr,

    /// This node's id: room tickets name the node they admit to.
    #[arg(long, env = "MOONLIGHT_NODE_ID", default_value = "node-1", value_parser = non_empty)]
    pub node_id: String,

    /// The WebSocket URL players use to reach this node (default: its listener's address,
    /// `ws://ADDR/v1/play`). Set it when players connect through another name or a proxy.
    #[arg(long, value_name = "URL", env = "MOONLIGHT_PUBLIC_URL", value_parser = websocket_url)]
    pub public_url: Option<String>,

    /// Seconds between this node's heartbeats in the node directory; three missed beats
    /// and lobbies move its matches elsewhere.
    #[arg(long = "heartbeat-secs",
        value_name = "SECS", env = "MOONLIGHT_HEARTBEAT_SECS", default_value = "2", value_parser = seconds)]
    pub directory_heartbeat: Duration,

    /// Browser origins allowed to open game sockets (comma-separated); empty: any.
    #[arg(
        long,
        value_name = "ORIGINS",
        env = "MOONLIGHT_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,

    /// Seconds a player has for a turn.
    #[arg(long = "turn-secs",
        value_name = "SECS", env = "MOONLIGHT_TURN_SECS", default_value = "75", value_parser = seconds)]
    pub turn_time: Duration,

    /// Consecutive turn timeouts after which a seat forfeits.
    #[arg(skip = 3_u32)]
    pub max_timeouts: u32,

    /// Seconds a disconnected seat is held before it forfeits.
    #[arg(long = "reconnect-secs",
        value_name = "SECS", env = "MOONLIGHT_RECONNECT_SECS", default_value = "60", value_parser = seconds)]
    pub reconnect_window: Duration,

    /// How long a finished room waits for its players to leave.
    #[arg(skip = Duration::from_secs(60))]
    pub finished_linger: Duration,

    /// A snapshot every this many inputs (and at game over): a restore replays at most
    /// this many inputs, microseconds each.
    #[arg(skip = 20_u64)]
    pub snapshot_every: u64,

    /// Updates kept per room for resuming clients; further behind gets a welcome (the
    /// full view). A resume takes at most half a client's outbound queue.
    #[arg(skip = 64_usize)]
    pub recent_updates: usize,

    /// Largest WebSocket message accepted (larger: close 1009). Frames are a few hundred
    /// bytes; this leaves room for any legal one.
    #[arg(skip = 16 * 1024_usize)]
    pub max_frame_bytes: usize,

    /// Frames a game socket may send per second, after a burst of --frame-burst (more:
    /// `rate_limited` and the socket closes).
    #[arg(long, env = "MOONLIGHT_FRAMES_PER_SECOND", default_value = "20")]
    pub frames_per_second: NonZeroU32,

    /// Frames a game socket may send at once before --frames-per-second applies.
    #[arg(long, env = "MOONLIGHT_FRAME_BURST", default_value = "40")]
    pub frame_burst: NonZeroU32,

    /// Frames queued for a client before it is dropped as too slow (room for a resume of
    /// every recent update, and the live ones behind it).
    #[arg(skip = 128_usize)]
    pub outbound_queue: usize,

    /// Messages queued for a room before new ones are refused.
    #[arg(skip = 256_usize)]
    pub room_mailbox: usize,

    /// Rooms this node runs at most (more: 503 `node_full`).
    #[arg(long, env = "MOONLIGHT_MAX_ROOMS", default_value = "10000", value_parser = at_least_one)]
    pub max_rooms: usize,

    /// Game sockets this node holds at most (more: 503 `node_full`). Keep it under the
    /// process's file-descriptor limit.
    #[arg(long, env = "MOONLIGHT_MAX_CONNECTIONS", default_value = "16000", value_parser = at_least_one)]
    pub max_connections: usize,

    /// Kernel send buffer of each game socket (`None`: the system's, which grows to
    /// megabytes). Bounded, a client that stops reading holds little of the node's memory
    /// before its writes stall and it is dropped.
    #[arg(skip = Some(64 * 1024_u32))]
    pub socket_send_buffer: Option<u32>,

    /// Time a client has to send its first frame.
    #[arg(skip = Duration::from_secs(10))]
    pub handshake_timeout: Duration,

    /// Interval between server pings to a client not heard from for half of it; a client
    /// silent for twice this is dropped.
    #[arg(skip = Duration::from_secs(15))]
    pub heartbeat: Duration,

    /// A practice bot's think time before each action, drawn uniformly from (min, max) so
    /// it plays at a human pace rather than instantly.
    #[arg(skip = (Duration::from_millis(800), Duration::from_millis(2500)))]
    pub bot_think: (Duration, Duration),
}

impl Default for GameConfig {
    fn default() -> Self {
        defaults()
    }
}

/// A `ws://` or `wss://` URL.
fn websocket_url(text: &str) -> Result<String, String> {
    if text.starts_with("ws://") || text.starts_with("wss://") {
        Ok(text.to_owned())
    } else {
        Err(format!("`{text}` is not a ws:// or wss:// URL"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_come_from_the_flags() {
        let config = GameConfig::default();
        assert_eq!(config.addr.to_string(), "127.0.0.1:8082");
        assert_eq!(config.turn_time, Duration::from_secs(75));
        assert_eq!(config.max_rooms, 10_000);
        assert_eq!(config.frames_per_second.get(), 20);
        assert_eq!(config.snapshot_every, 20);
        assert!(config.public_url.is_none());
    }
}
