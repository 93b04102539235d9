//! One simulated match, bot against bot, and what the statistics need from it.

use std::sync::Arc;
use std::time::Instant;

use moonlight_engine::{CardId, Content, Event, Game, Level, PublicEvent, Seat, ai};

use crate::tally::Tally;

/// A match ends by the rules' turn limit long before this; a game that gets here is
/// reported as unfinished rather than looping forever.
const MAX_ACTIONS: usize = 20_000;

/// One match to play: which decks and bots sit where.
pub(crate) struct Fixture<'a> {
    pub pairing: usize,
    /// Content deck id of each seat.
    pub decks: [&'a str; 2],
    /// Index into the plan's bots of each seat.
    pub bots: [usize; 2],
    pub levels: [Level; 2],
    pub seed: u64,
}

/// What happened in one match.
pub(crate) struct Played {
    pub pairing: usize,
    /// Index into the plan's bots of each seat.
    pub bots: [usize; 2],
    /// The winning seat; `None` for a draw (or an unfinished game).
    pub winner: Option<usize>,
    /// The seat that took the first turn.
    pub first: usize,
    /// Turns started, both seats counted.
    pub turns: u32,
    /// The cards each seat played, with the seat's own turn number (1 = its first).
    pub plays: [Vec<(CardId, u32)>; 2],
    pub finished: bool,
}

/// Plays `fixture` to its end; each bot's think time per move goes to `tally`.
pub(crate) fn play(
    content: &Arc<Content>,
    fixture: &Fixture,
    tally: &mut Tally,
) -> Result<Played, moonlight_engine::SetupError> {
    let mut game = Game::from_decks(Arc::clone(content), &fixture.decks, fixture.seed)?;
    let first = game.active_seat().index();
    let mut own_turns = [0u32; 2];
    let mut plays: [Vec<(CardId, u32)>; 2] = Default::default();
    for _ in 0..MAX_ACTIONS {
        let Some(&seat) = game.seats_to_act().first() else {
            break;
        };
        let bot = fixture.bots[seat.index()];
        let started = Instant::now();
        let action = ai::choose(&game, seat, fixture.levels[seat.index()], &|| false);
        tally.think(bot, started.elapsed());
        let Some(action) = action else {
            break;
        };
        let Ok(events) = game.apply(seat, action) else {
            break;
        };
        for event in events {
            match event {
                Event::Public(PublicEvent::TurnStarted { seat, .. }) => {
                    if let Some(turns) = own_turns.get_mut(seat.index()) {
                        *turns += 1;
                    }
                }
                Event::Public(PublicEvent::CardPlayed { seat, card, .. }) => {
                    if let (Some(list), Some(&turn)) =
                        (plays.get_mut(seat.index()), own_turns.get(seat.index()))
                    {
                        list.push((card, turn));
                    }
                }
                _ => {}
            }
        }
    }
    let winner = game
        .outcome()
        .and_then(|o| o.winners.first())
        .map(|s: &Seat| s.index());
    Ok(Played {
        pairing: fixture.pairing,
        bots: fixture.bots,
        winner,
        first,
        turns: game.turn(),
        plays,
        finished: game.is_over(),
    })
}
