//! How the lobby behaves. Every tunable is here, with a default that suits a small
//! deployment.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct LobbyConfig {
    /// How often each lobby process looks for pairs in the queue (and sweeps expired
    /// private rooms).
    pub match_interval: Duration,
    /// The rating gap a freshly queued player accepts.
    pub initial_window: f64,
    /// How much that gap widens per second of waiting.
    pub window_growth_per_sec: f64,
    /// The widest gap, however long the wait.
    pub max_window: f64,
    /// After this long in the queue, a player is offered a practice match.
    pub practice_after: Duration,
    /// How long a private room's join code stays valid.
    pub room_code_ttl: Duration,
    /// How often a process looks for matches made elsewhere, for its long-polls.
    pub wake_interval: Duration,
    /// The longest `GET /v1/lobby/status?wait=` a client may ask for.
    pub max_wait: Duration,
    /// How often finished matches are settled (ratings, records).
    pub settle_interval: Duration,
}

impl Default for LobbyConfig {
    fn default() -> Self {
        Self {
            match_interval: Duration::from_millis(500),
            initial_window: 100.0,
            window_growth_per_sec: 10.0,
            max_window: 500.0,
            practice_after: Duration::from_secs(60),
            room_code_ttl: Duration::from_secs(30 * 60),
            wake_interval: Duration::from_millis(200),
            max_wait: Duration::from_secs(30),
            settle_interval: Duration::from_secs(1),
        }
    }
}

impl LobbyConfig {
    /// The rating gap a player accepts after waiting `waited`.
    pub fn window(&self, waited: Duration) -> f64 {
        (self.initial_window + self.window_growth_per_sec * waited.as_secs_f64())
            .min(self.max_window)
    }
}
