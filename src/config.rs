//! The one typed configuration, from flags and environment variables (flags win).
//! Every setting has a default that runs: `moonlight` alone starts everything.

use std::{net::SocketAddr, num::NonZeroU32, path::PathBuf, time::Duration};

use clap::{Parser, Subcommand, ValueEnum};
use moonlight_auth::{AuthConfig, RateLimit};
use moonlight_common::{Database, telemetry::LogFormat};
use moonlight_game_server::GameConfig;
use moonlight_lobby::LobbyConfig;

#[derive(Debug, Parser)]
#[command(name = "moonlight", version, about = "Moonlight Online game backend")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Directory for the SQLite database and generated keys.
    #[arg(
        long,
        env = "MOONLIGHT_DATA_DIR",
        default_value = "data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Database URL (`sqlite://...` or `postgres://...`); default: a SQLite file in the data
    /// directory.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,

    /// Log format.
    #[arg(long, env = "MOONLIGHT_LOG_FORMAT", value_enum, default_value_t = LogFormatArg::Human, global = true)]
    pub log_format: LogFormatArg,

    /// Seconds to let in-flight requests finish after SIGTERM/Ctrl-C before exiting.
    #[arg(
        long,
        env = "MOONLIGHT_SHUTDOWN_GRACE_SECS",
        default_value_t = 10,
        global = true
    )]
    pub shutdown_grace_secs: u64,

    #[command(flatten)]
    pub auth: AuthArgs,

    #[command(flatten)]
    pub lobby: LobbyArgs,

    #[command(flatten)]
    pub game: GameArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run only the auth service.
    Auth,
    /// Run only a lobby (needs REDIS_URL to find game servers, and the auth keys).
    Lobby,
    /// Run only a game-server node (registers itself in Redis for the lobbies).
    GameServer,
    /// Work with designers' content.
    #[command(subcommand)]
    Content(ContentCommand),
}

#[derive(Debug, Subcommand)]
pub enum ContentCommand {
    /// Check every card, deck and rules file; print every problem as file:line:col.
    Check {
        /// The content directory.
        #[arg(default_value = "content")]
        dir: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormatArg {
    Human,
    Json,
}

impl From<LogFormatArg> for LogFormat {
    fn from(format: LogFormatArg) -> Self {
        match format {
            LogFormatArg::Human => Self::Human,
            LogFormatArg::Json => Self::Json,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct AuthArgs {
    /// Address the auth service listens on (port 0 picks a free port).
    #[arg(
        long,
        env = "MOONLIGHT_AUTH_ADDR",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub auth_addr: SocketAddr,

    /// Register/login/refresh requests allowed per client IP per minute.
    #[arg(
        long,
        env = "MOONLIGHT_AUTH_RATE_PER_MINUTE",
        default_value = "30",
        global = true
    )]
    pub auth_rate_per_minute: NonZeroU32,

    /// Requests a client IP may make in a burst before the per-minute rate applies.
    #[arg(
        long,
        env = "MOONLIGHT_AUTH_RATE_BURST",
        default_value = "10",
        global = true
    )]
    pub auth_rate_burst: NonZeroU32,

    /// Password hashes computed at once (default: the number of cores).
    #[arg(long, env = "MOONLIGHT_HASH_WORKERS", global = true)]
    pub hash_workers: Option<usize>,

    /// Password hashes allowed to wait before requests get 503 (default: 32 per core).
    #[arg(long, env = "MOONLIGHT_HASH_QUEUE", global = true)]
    pub hash_queue: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub struct LobbyArgs {
    /// Address the lobby listens on (REST under /v1/lobby).
    #[arg(
        long,
        env = "MOONLIGHT_LOBBY_ADDR",
        default_value = "127.0.0.1:8081",
        global = true
    )]
    pub lobby_addr: SocketAddr,

    /// Seconds a quick-match player waits before being offered a practice match.
    #[arg(
        long,
        env = "MOONLIGHT_PRACTICE_AFTER_SECS",
        default_value_t = 60,
        global = true
    )]
    pub practice_after_secs: u64,

    /// Milliseconds between matchmaking rounds.
    #[arg(
        long,
        env = "MOONLIGHT_MATCH_INTERVAL_MS",
        default_value_t = 500,
        global = true
    )]
    pub match_interval_ms: u64,
}

#[derive(Debug, clap::Args)]
pub struct GameArgs {
    /// Address the game server listens on (WebSocket at /v1/play).
    #[arg(
        long,
        env = "MOONLIGHT_GAME_ADDR",
        default_value = "127.0.0.1:8082",
        global = true
    )]
    pub game_addr: SocketAddr,

    /// This node's id: room tickets name the node they admit to.
    #[arg(
        long,
        env = "MOONLIGHT_NODE_ID",
        default_value = "node-1",
        global = true
    )]
    pub node_id: String,

    /// Redis for the shared room store and node directory (required with more than one
    /// process); default: the embedded store in the database, and an in-process directory.
    #[arg(long, env = "REDIS_URL", hide_env_values = true, global = true)]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key this deployment uses.
    #[arg(
        long,
        env = "MOONLIGHT_REDIS_PREFIX",
        default_value = "moonlight:",
        global = true
    )]
    pub redis_prefix: String,

    /// The WebSocket URL players use to reach this node (default: its listener's address,
    /// `ws://ADDR/v1/play`). Set it when players connect through another name or a proxy.
    #[arg(long, env = "MOONLIGHT_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Seconds between this node's heartbeats in the node directory; three missed beats
    /// and lobbies move its matches elsewhere.
    #[arg(
        long,
        env = "MOONLIGHT_HEARTBEAT_SECS",
        default_value_t = 2,
        global = true
    )]
    pub heartbeat_secs: u64,

    /// The designers' content (cards, decks, rules). SIGHUP reloads it for new matches.
    #[arg(
        long,
        env = "MOONLIGHT_CONTENT_DIR",
        default_value = "content",
        global = true
    )]
    pub content_dir: PathBuf,

    /// Where a game server without auth in its process finds the token public keys: the
    /// auth service's JWKS URL (`http://…/.well-known/jwks.json`) or a saved copy.
    #[arg(long, env = "MOONLIGHT_AUTH_JWKS", global = true)]
    pub auth_jwks: Option<String>,

    /// Browser origins allowed to open game sockets (comma-separated); empty: any.
    #[arg(
        long,
        env = "MOONLIGHT_ALLOWED_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub allowed_origins: Vec<String>,

    /// Seconds a player has for a turn.
    #[arg(long, env = "MOONLIGHT_TURN_SECS", default_value_t = 75, global = true)]
    pub turn_secs: u64,

    /// Seconds a disconnected seat is held before it forfeits.
    #[arg(
        long,
        env = "MOONLIGHT_RECONNECT_SECS",
        default_value_t = 60,
        global = true
    )]
    pub reconnect_secs: u64,

    /// Seconds a matched player has to connect before the match is void (no contest).
    #[arg(long, env = "MOONLIGHT_JOIN_SECS", default_value_t = 30, global = true)]
    pub join_secs: u64,

    /// Rooms this node runs at most.
    #[arg(
        long,
        env = "MOONLIGHT_MAX_ROOMS",
        default_value_t = 10_000,
        global = true
    )]
    pub max_rooms: usize,

    /// Game sockets this node holds at most.
    #[arg(
        long,
        env = "MOONLIGHT_MAX_CONNECTIONS",
        default_value_t = 16_000,
        global = true
    )]
    pub max_connections: usize,

    /// Frames a game socket may send per second, after a burst of --frame-burst (more:
    /// `rate_limited` and the socket closes).
    #[arg(
        long,
        env = "MOONLIGHT_FRAMES_PER_SECOND",
        default_value_t = 20,
        global = true
    )]
    pub frames_per_second: u32,

    /// Frames a game socket may send at once before --frames-per-second applies.
    #[arg(
        long,
        env = "MOONLIGHT_FRAME_BURST",
        default_value_t = 40,
        global = true
    )]
    pub frame_burst: u32,
}

impl Cli {
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| Database::sqlite_url_in(&self.data_dir))
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }

    pub fn game_config(&self) -> GameConfig {
        GameConfig {
            node_id: self.game.node_id.clone(),
            allowed_origins: self.game.allowed_origins.clone(),
            turn_time: Duration::from_secs(self.game.turn_secs),
            reconnect_window: Duration::from_secs(self.game.reconnect_secs),
            join_window: Duration::from_secs(self.game.join_secs),
            max_rooms: self.game.max_rooms,
            max_connections: self.game.max_connections,
            frames_per_second: self.game.frames_per_second,
            frame_burst: self.game.frame_burst,
            ..GameConfig::default()
        }
    }

    pub fn lobby_config(&self) -> LobbyConfig {
        LobbyConfig {
            practice_after: Duration::from_secs(self.lobby.practice_after_secs),
            match_interval: Duration::from_millis(self.lobby.match_interval_ms.max(1)),
            ..LobbyConfig::default()
        }
    }

    pub fn keys_dir(&self) -> PathBuf {
        self.data_dir.join("keys")
    }

    pub fn auth_config(&self) -> AuthConfig {
        let defaults = AuthConfig::default();
        AuthConfig {
            keys_dir: Some(self.keys_dir()),
            rate_limit: RateLimit {
                per_minute: self.auth.auth_rate_per_minute,
                burst: self.auth.auth_rate_burst,
            },
            hash_workers: self.auth.hash_workers.unwrap_or(defaults.hash_workers),
            hash_queue: self.auth.hash_queue.unwrap_or(defaults.hash_queue),
            ..defaults
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_run_with_no_configuration() {
        let cli = Cli::try_parse_from(["moonlight"]).unwrap();
        assert!(cli.command.is_none());
        assert!(cli.database_url().starts_with("sqlite://"));
        assert_eq!(cli.auth.auth_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(cli.lobby.lobby_addr.to_string(), "127.0.0.1:8081");
        assert_eq!(cli.game.game_addr.to_string(), "127.0.0.1:8082");
        assert!(cli.game.redis_url.is_none());
    }

    #[test]
    fn game_server_flags_reach_its_config() {
        let cli = Cli::try_parse_from([
            "moonlight",
            "game-server",
            "--node-id",
            "eu-2",
            "--allowed-origins",
            "https://a.example,https://b.example",
            "--turn-secs",
            "30",
        ])
        .unwrap();
        assert!(matches!(cli.command, Some(Command::GameServer)));
        let config = cli.game_config();
        assert_eq!(config.node_id, "eu-2");
        assert_eq!(
            config.allowed_origins,
            ["https://a.example", "https://b.example"]
        );
        assert_eq!(config.turn_time, Duration::from_secs(30));
    }

    #[test]
    fn flags_after_the_role_are_accepted() {
        let cli = Cli::try_parse_from(["moonlight", "auth", "--auth-addr", "127.0.0.1:0"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Auth)));
        assert_eq!(cli.auth.auth_addr.port(), 0);
    }
}
