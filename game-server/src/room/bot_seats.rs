//! Practice-bot seats of a room. A bot seat has no connection: whenever the game waits for
//! it (opening hand included), it acts after a human-like think time, and the room commits
//! its action through the same path as a player's. The choice itself is the engine's
//! ([`moonlight_engine::ai::choose`], at the seat's level); this decides when, and runs a
//! search where it cannot hold up other rooms.

use std::sync::LazyLock;

use moonlight_engine::{Action, Game, Level, Seat, ai};
use moonlight_rooms::PlayerRecord;
use rand::Rng;
use tokio::sync::Semaphore;
use tokio::time::{Duration, Instant};

/// A search stops at this, however many playouts its level asks for: on a loaded node a
/// bot plays a little weaker instead of keeping its room (or a core) waiting.
const SEARCH_CAP: Duration = Duration::from_millis(300);

/// Searches running at once on this node: one per core. A search runs on tokio's blocking
/// pool, never on an async worker (it would stall every room on that worker), and the
/// rooms beyond this wait their turn without holding a thread.
static SEARCHES: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(1, |n| n.get())));

pub(crate) struct BotSeats {
    /// Each seat's bot level (by index); `None` for a person.
    seats: Vec<Option<Level>>,
    /// When the bot the game waits for acts; `None` while no bot is thinking.
    due: Option<Instant>,
}

impl BotSeats {
    pub(crate) fn new(players: &[PlayerRecord]) -> Self {
        Self {
            seats: players.iter().map(PlayerRecord::bot).collect(),
            due: None,
        }
    }

    pub(crate) fn is_bot(&self, seat: Seat) -> bool {
        self.level(seat).is_some()
    }

    fn level(&self, seat: Seat) -> Option<Level> {
        self.seats.get(seat.index()).copied().flatten()
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

    /// Once the think time is over: the bot seat the game waits for and its level. Clears
    /// the timer either way; the room schedules the next one after committing.
    pub(crate) fn take_due(&mut self, game: &Game, now: Instant) -> Option<(Seat, Level)> {
        if self.due.is_none_or(|due| due > now) {
            return None;
        }
        self.due = None;
        let seat = self.to_act(game)?;
        Some((seat, self.level(seat)?))
    }

    /// The first bot seat the game waits for.
    fn to_act(&self, game: &Game) -> Option<Seat> {
        game.seats_to_act()
            .into_iter()
            .find(|&seat| self.is_bot(seat))
    }
}

/// The move of the bot at `level` on `seat`. The easy bot answers inline (microseconds); a
/// search runs on the blocking pool, at most one per core at a time, and stops at
/// [`SEARCH_CAP`]. The room awaits it: nothing else of this room can happen meanwhile that
/// could not wait (its player is waiting for the bot anyway), and other rooms go on.
pub(crate) async fn think(game: &Game, seat: Seat, level: Level) -> Option<Action> {
    if level.playouts() == 0 {
        return ai::choose(game, seat, level, &|| false);
    }
    let _turn = SEARCHES.acquire().await.ok()?;
    let game = game.clone();
    let searched = tokio::task::spawn_blocking(move || {
        let cap = std::time::Instant::now() + SEARCH_CAP;
        let started = std::time::Instant::now();
        let action = ai::choose(&game, seat, level, &|| std::time::Instant::now() >= cap);
        metrics::histogram!("game_bot_think_seconds", "level" => level.as_str())
            .record(started.elapsed().as_secs_f64());
        action
    })
    .await;
    searched.ok().flatten()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use moonlight_engine::Content;

    use super::*;

    fn game() -> Game {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
        let content = Arc::new(Content::load(&dir).expect("the shipped content"));
        let mut game =
            Game::from_decks(content, &["tide_starter", "dusk_starter"], 5).expect("setup");
        // Into the game, to a position with a real choice (more than ending the turn or
        // conceding), so a search runs.
        while game.turn() < 3 || game.legal_actions(game.seats_to_act()[0]).len() <= 2 {
            let seat = game.seats_to_act()[0];
            let action = ai::choose_action(&game, seat).expect("a move");
            game.apply(seat, action).expect("legal");
        }
        game
    }

    #[test]
    fn each_bot_seat_plays_at_its_recorded_level() {
        let players = [
            PlayerRecord::human("p", "Ann"),
            PlayerRecord::practice_bot("Moonbot", Level::Hard),
        ];
        let bots = BotSeats::new(&players);
        assert!(!bots.is_bot(Seat(0)) && bots.is_bot(Seat(1)));
        assert_eq!(bots.level(Seat(1)), Some(Level::Hard));
        assert_eq!(bots.level(Seat(0)), None);
    }

    /// A search on the blocking pool is the engine's search at that level (uncut: an idle
    /// test machine finishes the hard level's playouts long before the cap).
    #[tokio::test]
    async fn a_searching_bot_moves_as_the_engine_searches() {
        let game = game();
        let seat = game.seats_to_act()[0];
        for level in Level::ALL {
            let expected = ai::choose(&game, seat, level, &|| false);
            assert!(expected.is_some());
            assert_eq!(think(&game, seat, level).await, expected, "{level:?}");
        }
    }
}
