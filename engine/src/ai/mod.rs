//! The practice bot: picks a seat's next action from what that seat may see, at one of
//! three [`Level`]s.
//!
//! - [`Level::Easy`]: one-ply lookahead with a hand-written score ([`heuristic`]); a few
//!   microseconds a move.
//! - [`Level::Normal`] and [`Level::Hard`]: information-set Monte Carlo tree search
//!   ([`search`]) over the deterministic engine, with more playouts the harder it is.
//!
//! Every level is a pure function of the seat's information set: what the seat sees, plus
//! the deck lists (public: the decks a bot meets are starter decks). It never reads the
//! match's RNG, the order of any deck, or another seat's hand; the search samples those
//! instead ([`Game::determinized`]), and a property test checks that worlds the seat
//! cannot tell apart get the same move. A clock is the caller's business: the search
//! stops early only when the caller's `stop` says so.

mod heuristic;
mod search;

use serde::{Deserialize, Serialize};

use crate::ids::Seat;
use crate::rules::Game;
use crate::rules::actions::Action;

pub use heuristic::choose_action;
pub use search::Budget;

/// How well the bot plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// One-ply lookahead with a hand-written score: a beginner's opponent.
    #[default]
    Easy,
    /// Tree search, [`Level::playouts`] of them a move.
    Normal,
    /// Tree search with four times as many playouts.
    Hard,
}

impl Level {
    /// Every level, easiest first.
    pub const ALL: [Level; 3] = [Level::Easy, Level::Normal, Level::Hard];

    /// The name clients and the content tools use.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Easy => "easy",
            Level::Normal => "normal",
            Level::Hard => "hard",
        }
    }

    /// The level named `name` (as [`Level::as_str`] writes it).
    pub fn parse(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == name)
    }

    /// Playouts a move searches (0: no search). The think time a move takes follows
    /// from this (README: measured per level); a server caps it with a clock as well.
    pub fn playouts(self) -> u32 {
        match self {
            Level::Easy => 0,
            Level::Normal => 250,
            Level::Hard => 1_000,
        }
    }
}

/// The action the bot at `level` takes for `seat` now, always one of
/// `game.legal_actions(seat)`; `None` when the game does not wait for `seat`. Never
/// concedes. `stop` is asked now and then during a search: `true` ends it with the best
/// move found so far (a server's time cap); a search is otherwise deterministic.
pub fn choose(game: &Game, seat: Seat, level: Level, stop: &dyn Fn() -> bool) -> Option<Action> {
    match level.playouts() {
        0 => choose_action(game, seat),
        playouts => search::choose(game, seat, Budget { playouts, stop }),
    }
}
