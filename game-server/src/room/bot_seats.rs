//! Practice-bot seats of a room. A bot seat has no connection: whenever the game waits for
//! it (opening hand included), it acts after a human-like think time, and the room commits
//! its action through the same path as a player's. The choice itself is the engine's
//! [`moonlight_engine::choose_action`]; this only decides when.

use moonlight_engine::{Action, Game, Seat, choose_action};
use moonlight_rooms::PlayerRecord;
use rand::Rng;
use tokio::time::{Duration, Instant};

pub(crate) struct BotSeats {
    /// Whether each seat (by index) is a bot.
    seats: Vec<bool>,
    /// When the bot the game waits for acts; `None` while no bot is thinking.
    due: Option<Instant>,
}

impl BotSeats {
    pub(crate) fn new(players: &[PlayerRecord]) -> Self {
        Self {
            seats: players.iter().map(|p| p.bot).collect(),
            due: None,
        }
    }

    pub(crate) fn is_bot(&self, seat: Seat) -> bool {
        self.seats.get(seat.index()).copied().unwrap_or(false)
    }

    /// When a bot acts next, if one is thinking.
    pub(crate) fn due(&self) -> Option<Instant> {
        self.due
    }

    /// Starts a think time if the game waits for a bot and none is thinking yet (one bot
    /// at a time: after it acts, the next is scheduled). The think time is drawn from
    /// `think`, but ends at most halfway to the turn deadline, so a bot's turn of many
    /// actions never runs out of time.
    pub(crate) fn schedule(
        &mut self,
        game: &Game,
        think: (Duration, Duration),
        turn_deadline: Instant,
    ) {
        if self.due.is_some() || self.to_act(game).is_none() {
            return;
        }
        let (min, max) = think;
        let spread = max.saturating_sub(min);
        let delay = min + spread.mul_f64(rand::rng().random::<f64>());
        let now = Instant::now();
        let latest = now + turn_deadline.saturating_duration_since(now) / 2;
        self.due = Some((now + delay).min(latest));
    }

    /// Once the think time is over: the bot seat the game waits for and its action. Clears
    /// the timer either way; the room schedules the next one after committing.
    pub(crate) fn take_due(&mut self, game: &Game, now: Instant) -> Option<(Seat, Action)> {
        if self.due.is_none_or(|due| due > now) {
            return None;
        }
        self.due = None;
        let seat = self.to_act(game)?;
        Some((seat, choose_action(game, seat)?))
    }

    /// The first bot seat the game waits for.
    fn to_act(&self, game: &Game) -> Option<Seat> {
        game.seats_to_act()
            .into_iter()
            .find(|&seat| self.is_bot(seat))
    }
}
