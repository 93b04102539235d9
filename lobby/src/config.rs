//! How the lobby behaves. Every setting is here once: flag, environment variable, default
//! and meaning in its attribute; the settings without a flag are tuned by design (`skip`).

use std::{net::SocketAddr, num::NonZeroU32, time::Duration};

use moonlight_auth::RateLimit;
use moonlight_common::config::{defaults, milliseconds, seconds};

#[derive(Debug, Clone, clap::Args)]
pub struct LobbyConfig {
    /// Address the lobby listens on (REST under /v1/lobby; port 0: any free port).
    #[arg(
        id = "lobby_addr",
        long = "lobby-addr",
        value_name = "ADDR",
        env = "MOONLIGHT_LOBBY_ADDR",
        default_value = "127.0.0.1:8081"
    )]
    pub addr: SocketAddr,

    /// Several lobby processes listen on the same --lobby-addr (each started with this
    /// flag): the kernel spreads new connections among them, so lobbies scale out behind
    /// one address without a load balancer (SO_REUSEPORT).
    #[arg(long = "lobby-reuse-port", env = "MOONLIGHT_LOBBY_REUSE_PORT")]
    pub reuse_port: bool,

    /// Milliseconds between matchmaking rounds (each lobby process runs them; it also
    /// sweeps expired private rooms).
    #[arg(long = "match-interval-ms",
        value_name = "MS", env = "MOONLIGHT_MATCH_INTERVAL_MS", default_value = "500", value_parser = milliseconds)]
    pub match_interval: Duration,

    /// Seconds a quick-match player waits before being offered a practice match.
    #[arg(long = "practice-after-secs",
        value_name = "SECS", env = "MOONLIGHT_PRACTICE_AFTER_SECS", default_value = "60", value_parser = seconds)]
    pub practice_after: Duration,

    /// Seconds a matched player has to connect before the match is void (no contest),
    /// counted from the match's creation.
    #[arg(
        long = "join-secs",
        value_name = "SECS",
        env = "MOONLIGHT_JOIN_SECS",
        default_value = "30",
        value_parser = seconds
    )]
    pub join_window: Duration,

    /// The auth service's URL as browsers reach it, for the playground this lobby serves
    /// at `/` (default: the auth port on the page's host, when auth runs in this process).
    #[arg(
        long = "public-auth-url",
        value_name = "URL",
        env = "MOONLIGHT_PUBLIC_AUTH_URL"
    )]
    pub public_auth_url: Option<String>,

    /// The rating gap a freshly queued player accepts.
    #[arg(skip = 100.0)]
    pub initial_window: f64,
    /// How much that gap widens per second of waiting.
    #[arg(skip = 10.0)]
    pub window_growth_per_sec: f64,
    /// The widest gap, however long the wait.
    #[arg(skip = 500.0)]
    pub max_window: f64,
    /// How long a private room's join code stays valid.
    #[arg(skip = Duration::from_secs(30 * 60))]
    pub room_code_ttl: Duration,
    /// How often a process looks for matches made elsewhere, for its long-polls.
    #[arg(skip = Duration::from_millis(200))]
    pub wake_interval: Duration,
    /// The longest `GET /v1/lobby/status?wait=` a client may ask for.
    #[arg(skip = Duration::from_secs(30))]
    pub max_wait: Duration,
    /// A queued player who has not asked about their wait (enqueue or status) for this
    /// long has gone, and leaves the queue: twice the longest long-poll, so a client that
    /// keeps polling is never taken out. (A question is noted only once the last note is a
    /// sixth of this old, so a client that falls silent may leave up to that much sooner.)
    #[arg(skip = Duration::from_secs(60))]
    pub queue_presence: Duration,
    /// How often finished matches are settled (ratings, records).
    #[arg(skip = Duration::from_secs(1))]
    pub settle_interval: Duration,
    /// Admin requests (`/v1/admin`) allowed per admin: plenty for a person at the console,
    /// not for a script hammering the database.
    #[arg(skip = RateLimit {
        per_minute: NonZeroU32::new(120).expect("non-zero"),
        burst: NonZeroU32::new(30).expect("non-zero"),
    })]
    pub admin_rate_limit: RateLimit,
}

impl Default for LobbyConfig {
    fn default() -> Self {
        defaults()
    }
}

impl LobbyConfig {
    /// The rating gap a player accepts after waiting `waited`.
    pub fn window(&self, waited: Duration) -> f64 {
        (self.initial_window + self.window_growth_per_sec * waited.as_secs_f64())
            .min(self.max_window)
    }
}
