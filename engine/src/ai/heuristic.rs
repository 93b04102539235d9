//! [`Level::Easy`](super::Level::Easy): one-ply lookahead. Every legal play and attack
//! is tried on a world the seat cannot tell from the real one ([`Game::determinized`]:
//! decks reshuffled, other hands dealt afresh, the RNG reseeded), so the bot cannot peek
//! at the next draw, an opponent's hand or the next random outcome; the position after
//! each is scored from the seat's own view (hero health, boards, hands, a win or a loss)
//! and the best is taken if it beats the position now. When nothing improves the
//! position the turn ends. Opening hands: keep the cheap cards, send the expensive ones
//! back.
//!
//! Deterministic (the same game gives the same choice) and pure: no clock, no
//! RNG of its own, never the match's RNG. A human-like pace is the caller's job.

use crate::ids::{EntityId, Seat};
use crate::rules::Game;
use crate::rules::actions::Action;
use crate::rules::view::{SeatView, UnitView};
use crate::schema::Keyword;

/// Opening cards costing more than this go back into the deck.
const MULLIGAN_ABOVE_COST: i32 = 3;
/// At most this many candidate actions are tried per decision, in the engine's
/// order (a full hand with targets plus a full board of attackers stays below).
const MAX_CANDIDATES: usize = 512;
/// The score of a won game; a lost one is its negative. Beyond any position.
pub(super) const WIN: i64 = 1_000_000;

/// The action the bot takes for `seat` now, always one of
/// `game.legal_actions(seat)`; `None` when the game does not wait for `seat`.
/// Never concedes.
pub fn choose_action(game: &Game, seat: Seat) -> Option<Action> {
    if !game.seats_to_act().contains(&seat) {
        return None;
    }
    let legal = game.legal_actions(seat);
    if legal.iter().any(|a| matches!(a, Action::Mulligan { .. })) {
        return opening_hand(game, seat, &legal);
    }
    best_move(game, seat, &legal).or_else(|| legal.into_iter().find(|a| *a == Action::EndTurn))
}

/// Sends back every dealt card above [`MULLIGAN_ABOVE_COST`]: an early curve
/// wins more games than a hand of big cards the bot cannot play yet.
pub(super) fn opening_hand(game: &Game, seat: Seat, legal: &[Action]) -> Option<Action> {
    let view = game.view_for(seat);
    let cost = |h: &EntityId| view.hand.iter().find(|c| c.handle == *h).map(|c| c.cost);
    // The longest choice names every card that may go back (the bonus card may not).
    let eligible = legal
        .iter()
        .filter_map(|a| match a {
            Action::Mulligan { replace } => Some(replace),
            _ => None,
        })
        .max_by_key(|replace| replace.len())?;
    let replace = eligible
        .iter()
        .filter(|h| cost(h).is_some_and(|c| c > MULLIGAN_ABOVE_COST))
        .copied()
        .collect();
    let wanted = Action::Mulligan { replace };
    legal.iter().find(|a| **a == wanted).cloned()
}

/// The play, attack or hero power that most improves the seat's position, if any does.
fn best_move(game: &Game, seat: Seat, legal: &[Action]) -> Option<Action> {
    let view = game.view_for(seat);
    let base = game.determinized(seat, lookahead_seed(&view));
    let mut best_score = score(&view, seat);
    let mut best = None;
    let candidates = legal
        .iter()
        .filter(|a| {
            matches!(
                a,
                Action::PlayCard { .. } | Action::Attack { .. } | Action::UsePower { .. }
            )
        })
        .take(MAX_CANDIDATES);
    for action in candidates {
        let mut next = base.clone();
        if next.apply(seat, action.clone()).is_err() {
            continue;
        }
        let value = score(&next.view_for(seat), seat);
        // Strictly better only: ties keep the engine's order, and "no better than
        // now" means end the turn rather than make a pointless move.
        if value > best_score {
            best_score = value;
            best = Some(action);
        }
        if value >= WIN {
            break; // lethal: nothing beats it
        }
    }
    best.cloned()
}

/// A seed for the lookahead copy, from public facts only, so the same position
/// always gives the same choice.
pub(super) fn lookahead_seed(view: &SeatView) -> u64 {
    let facts = view.seats.iter().flat_map(|s| {
        [
            i64::from(s.health),
            i64::from(s.deck_count),
            s.hand.len() as i64,
            s.board.len() as i64,
        ]
    });
    let start = [i64::from(view.turn), i64::from(view.active.0)];
    start
        .into_iter()
        .chain(facts)
        .fold(0x9e37_79b9_7f4a_7c15, |h, x| {
            // splitmix64's finaliser over the running hash.
            let mut z = (h ^ x as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        })
}

/// How good the position is for `me`: its side's heroes, units and cards minus
/// every enemy's. Enemy health weighs more than our own (the bot presses), and
/// both weigh more once low (so it finishes off and stays out of reach).
pub(super) fn score(view: &SeatView, me: Seat) -> i64 {
    let my_team = view.seats.get(me.index()).map(|s| s.team);
    if let Some(outcome) = &view.outcome {
        return if outcome.winners.contains(&me) {
            WIN
        } else if outcome.winners.is_empty() {
            -WIN / 2
        } else {
            -WIN
        };
    }
    let mut total = 0;
    for side in view.seats.iter().filter(|s| !s.out) {
        let mine = Some(side.team) == my_team;
        let health = i64::from(side.health.max(0));
        // Armor is health that cannot be healed back: worth as much while it lasts.
        let hero = health + health.min(10) + i64::from(side.armor);
        // A secret set is worth a little more than the card it was in hand.
        let secrets = 4 * i64::from(side.secrets);
        let units: i64 = side.board.iter().map(|u| unit_value(u, mine)).sum();
        let hand = 3 * side.hand.len() as i64 + secrets;
        if mine {
            total += 2 * hero + units + hand;
        } else {
            total -= 3 * hero + units + hand;
        }
    }
    total
}

/// A unit's worth on the board. An enemy's attack counts extra: it is what
/// threatens us, so killing a striker beats killing a wall.
fn unit_value(u: &UnitView, mine: bool) -> i64 {
    let attack = i64::from(u.attack.max(0));
    let health = i64::from(u.health.max(0));
    // A frozen unit's attack threatens nothing for a turn.
    let attack = if u.frozen { attack / 2 } else { attack };
    let mut value = 2 + 2 * health + if mine { 3 } else { 4 } * attack;
    for k in u.keywords.iter() {
        value += match k {
            Keyword::Guard | Keyword::Stealth => 2,
            Keyword::Shield | Keyword::Venom => 3,
            Keyword::Lifesteal => attack,
            Keyword::Swift => 0,
        };
    }
    value
}
