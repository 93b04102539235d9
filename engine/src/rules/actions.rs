//! Player actions, server inputs, typed rejections, and legality.
//!
//! Validation is complete before anything changes: the `check_*` functions either
//! return a [`Rejection`] (state untouched) or what the resolver needs to carry the
//! action out without failing. `legal_actions` enumerates exactly what they accept.

use serde::{Deserialize, Serialize};

use super::state::{Loc, SeatState, State, Unit};
use crate::content::Content;
use crate::content::schema::{Aura, CardFilter, CardKind, Keyword, Pick, Side, Target, TargetKind};
use crate::ids::{EntityId, Seat};

/// What a player may ask for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Play a card from hand (by its handle), with a target if it asks for one and an
    /// option (0-based) if it says "choose one".
    PlayCard {
        card: EntityId,
        target: Option<EntityId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        choice: Option<u32>,
    },
    /// Use the hero power (once a turn), with a target and an option as for a card.
    UsePower {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<EntityId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        choice: Option<u32>,
    },
    /// Attack a character with one of your units.
    Attack {
        attacker: EntityId,
        target: EntityId,
    },
    /// End your turn.
    EndTurn,
    /// Before the first turn (if the rules allow a mulligan): put these opening
    /// cards back into the deck and draw as many. An empty list keeps the hand.
    Mulligan { replace: Vec<EntityId> },
    /// Give up (allowed at any time, even on the opponent's turn).
    Concede,
}

/// Everything that can change a match: player actions and the server's own
/// inputs (turn timer, forfeit, abandon). A match is `(content, setup, [Input])`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "snake_case")]
pub enum Input {
    /// A player's action.
    Act { seat: Seat, action: Action },
    /// The server's turn timer ran out for `seat`: its turn ends.
    TurnTimeout { seat: Seat },
    /// The server forfeits `seat` (it loses, e.g. it never reconnected).
    Forfeit { seat: Seat },
    /// The server voids the match because `seat` never showed up: the game ends
    /// with no winner ([`EndReason::NoContest`]), so nobody is handed a win for
    /// an opponent who never played.
    ///
    /// [`EndReason::NoContest`]: super::state::EndReason::NoContest
    Abandon { seat: Seat },
}

/// Why an input was refused. The state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Rejection {
    /// The game is over.
    #[error("the game is over")]
    GameOver,
    /// No such seat.
    #[error("no such seat")]
    UnknownSeat,
    /// Players are still choosing their opening hands.
    #[error("players are still choosing their opening hands")]
    MulliganPending,
    /// No mulligan now (already done, or not in the rules).
    #[error("you cannot mulligan now")]
    NoMulligan,
    /// The seat is out of the game.
    #[error("you are out of the game")]
    SeatOut,
    /// Someone else's turn.
    #[error("it is not your turn")]
    NotYourTurn,
    /// Too many actions this turn.
    #[error("no more actions this turn; end your turn")]
    ActionLimit,
    /// That handle is not in your hand.
    #[error("that card is not in your hand")]
    CardNotInHand,
    /// Not enough moonlight.
    #[error("not enough moonlight: need {need}, have {have}")]
    NotEnoughMoonlight { need: i32, have: i32 },
    /// Your board is full.
    #[error("your board is full")]
    BoardFull,
    /// The card needs a target.
    #[error("this card needs a target")]
    TargetRequired,
    /// The card takes no target.
    #[error("this card takes no target")]
    TargetNotAllowed,
    /// The target is not valid for this card or attack.
    #[error("invalid target")]
    InvalidTarget,
    /// The spell has no valid target at all.
    #[error("this spell has no valid target")]
    NoValidTarget,
    /// Not one of your units.
    #[error("that is not one of your units")]
    NotYourUnit,
    /// The unit cannot attack now.
    #[error("that unit cannot attack now")]
    CannotAttack,
    /// A guard must be attacked first.
    #[error("you must attack a unit with guard")]
    MustAttackGuard,
    /// The card says "choose one" and no option was given.
    #[error("choose one of this card's options")]
    ChoiceRequired,
    /// No such option, or the card has no options.
    #[error("this card has no such option")]
    InvalidChoice,
    /// The seat's deck brought no hero power.
    #[error("you have no hero power")]
    NoPower,
    /// The hero power was already used this turn.
    #[error("you already used your hero power this turn")]
    PowerUsed,
}

/// Does character `id` match `t` for a card controlled by `controller`, whose
/// own unit (if any) is `source`? `chosen` applies the targeting protections
/// (stealth) that only player choices respect.
pub(crate) fn matches_target(
    content: &Content,
    st: &State,
    controller: usize,
    source: Option<EntityId>,
    t: &Target,
    id: EntityId,
    chosen: bool,
) -> bool {
    let Some(loc) = st.locate(id) else {
        return false;
    };
    let (owner, is_unit) = match loc {
        Loc::Hero(s) => (s, false),
        Loc::Unit(s, _) => (s, true),
    };
    let kind_ok = match t.kind {
        TargetKind::Unit => is_unit,
        TargetKind::Hero => !is_unit,
        TargetKind::Character => true,
    };
    if !kind_ok || !side_ok(st, controller, owner, t.side) {
        return false;
    }
    if t.other && Some(id) == source {
        return false;
    }
    if let Loc::Unit(s, i) = loc {
        let Some(u) = st.seats.get(s).and_then(|seat| seat.board.get(i)) else {
            return false;
        };
        if u.is_dead() {
            return false;
        }
        if chosen && !st.same_team(s, controller) && u.keywords.has(Keyword::Stealth) {
            return false;
        }
        if !unit_passes(content, t, u) {
            return false;
        }
    } else if st
        .seats
        .get(owner)
        .is_none_or(|s| s.out || !hero_passes(t, s))
    {
        return false;
    }
    true
}

/// Whether a unit passes `t`'s filters: printed cost, attack now, a keyword, damaged.
fn unit_passes(content: &Content, t: &Target, u: &Unit) -> bool {
    let within = |v: i32, low: Option<i32>, high: Option<i32>| {
        low.is_none_or(|l| v >= l) && high.is_none_or(|h| v <= h)
    };
    let cost = content.def(u.card.card).map_or(0, |d| d.cost);
    within(cost, t.cost_at_least, t.cost_at_most)
        && within(u.attack, t.attack_at_least, t.attack_at_most)
        && t.keyword.is_none_or(|k| u.keywords.has(k))
        && (!t.damaged || u.health < u.max_health)
}

/// Whether a hero passes `t`'s filters: it has no cost, attack or keywords to match.
fn hero_passes(t: &Target, seat: &SeatState) -> bool {
    !t.filters_units() && (!t.damaged || seat.health < seat.max_health)
}

/// Is `owner` on `side` relative to `controller`?
pub(crate) fn side_ok(st: &State, controller: usize, owner: usize, side: Side) -> bool {
    match side {
        Side::Own => owner == controller,
        Side::Ally => st.same_team(owner, controller),
        Side::Enemy => !st.same_team(owner, controller),
        Side::Any => true,
    }
}

/// Every character matching `t` for `controller` (see [`matches_target`]), in
/// the fixed order: seats in turn order from the controller, each hero then
/// its board left to right. Same predicate as `matches_target`, without a
/// lookup per character (this is the hot path of `legal_actions`).
pub(crate) fn collect_targets(
    content: &Content,
    st: &State,
    controller: usize,
    source: Option<EntityId>,
    t: &Target,
    chosen: bool,
) -> Vec<EntityId> {
    let mut out = Vec::new();
    for s in st.order_from(controller) {
        let Some(seat) = st.seats.get(s) else {
            continue;
        };
        if !side_ok(st, controller, s, t.side) {
            continue;
        }
        let enemy = !st.same_team(s, controller);
        if t.kind != TargetKind::Unit
            && !seat.out
            && !(t.other && Some(seat.hero) == source)
            && hero_passes(t, seat)
        {
            out.push(seat.hero);
        }
        if t.kind != TargetKind::Hero {
            for u in &seat.board {
                if u.is_dead()
                    || (t.other && Some(u.id) == source)
                    || (chosen && enemy && u.keywords.has(Keyword::Stealth))
                    || !unit_passes(content, t, u)
                {
                    continue;
                }
                out.push(u.id);
            }
        }
    }
    out
}

/// Valid chosen targets for a card played by `seat`.
pub(crate) fn chosen_targets(
    content: &Content,
    st: &State,
    seat: usize,
    t: &Target,
) -> Vec<EntityId> {
    if t.pick != Pick::Chosen {
        return Vec::new();
    }
    collect_targets(content, st, seat, None, t, true)
}

/// Checks the common preconditions for a seat's turn action.
pub(crate) fn check_turn(st: &State, rules_actions: u32, seat: Seat) -> Result<(), Rejection> {
    if st.outcome.is_some() {
        return Err(Rejection::GameOver);
    }
    let s = st.seats.get(seat.index()).ok_or(Rejection::UnknownSeat)?;
    if s.out {
        return Err(Rejection::SeatOut);
    }
    if st.in_mulligan() {
        return Err(Rejection::MulliganPending);
    }
    if st.active != seat.0 {
        return Err(Rejection::NotYourTurn);
    }
    if st.actions_this_turn >= rules_actions {
        return Err(Rejection::ActionLimit);
    }
    Ok(())
}

/// What a seat pays for its cards now: printed costs changed by the seat's pending cost
/// changes and the cost auras on the board, never below 0. Gathered once per seat (usually
/// nothing), then asked per card.
pub(crate) struct Costs {
    changes: Vec<(i32, CardFilter)>,
}

impl Costs {
    pub(crate) fn of(content: &Content, st: &State, seat: usize) -> Costs {
        let mut changes: Vec<(i32, CardFilter)> = st
            .seats
            .get(seat)
            .map(|s| s.cost_mods.iter().map(|m| (m.amount, m.matching)).collect())
            .unwrap_or_default();
        for (owner, s) in st.seats.iter().enumerate() {
            let sources = s
                .board
                .iter()
                .filter(|u| !u.silenced && !u.is_dead() && content.has_cost_aura(u.card.card));
            for u in sources {
                for aura in content.def(u.card.card).map_or(&[][..], |d| &d.auras) {
                    if let Aura::Cost {
                        amount,
                        matching,
                        player,
                    } = aura
                        && side_ok(st, owner, seat, *player)
                    {
                        changes.push((*amount, *matching));
                    }
                }
            }
        }
        Costs { changes }
    }

    /// What card `card` costs.
    pub(crate) fn of_card(&self, content: &Content, card: u16) -> i32 {
        let Some(def) = content.def(card) else {
            return 0;
        };
        let change: i32 = self
            .changes
            .iter()
            .filter(|(_, matching)| matching.accepts(def))
            .map(|(amount, _)| amount)
            .sum();
        (def.cost + change).max(0)
    }
}

/// What seat `seat` pays for `card` now (see [`Costs`]).
pub(crate) fn cost_of(content: &Content, st: &State, seat: usize, card: u16) -> i32 {
    Costs::of(content, st, seat).of_card(content, card)
}

/// Validates playing the hand card `handle`; returns its hand index.
pub(crate) fn check_play(
    content: &Content,
    st: &State,
    seat: Seat,
    handle: EntityId,
    target: Option<EntityId>,
    choice: Option<u32>,
) -> Result<usize, Rejection> {
    check_turn(st, content.rules().actions_per_turn, seat)?;
    let s = st.seats.get(seat.index()).ok_or(Rejection::UnknownSeat)?;
    let hi = s
        .hand
        .iter()
        .position(|h| h.id == handle)
        .ok_or(Rejection::CardNotInHand)?;
    let card = s.hand.get(hi).ok_or(Rejection::CardNotInHand)?.card.card;
    let def = content.def(card).ok_or(Rejection::CardNotInHand)?;
    let need = cost_of(content, st, seat.index(), card);
    if need > s.moonlight {
        return Err(Rejection::NotEnoughMoonlight {
            need,
            have: s.moonlight,
        });
    }
    if def.kind == CardKind::Unit && s.board.len() >= content.rules().board_limit as usize {
        return Err(Rejection::BoardFull);
    }
    check_cast(content, st, seat, card, target, choice)?;
    Ok(hi)
}

/// Validates using the hero power.
pub(crate) fn check_power(
    content: &Content,
    st: &State,
    seat: Seat,
    target: Option<EntityId>,
    choice: Option<u32>,
) -> Result<u16, Rejection> {
    check_turn(st, content.rules().actions_per_turn, seat)?;
    let s = st.seats.get(seat.index()).ok_or(Rejection::UnknownSeat)?;
    let power = s.power.ok_or(Rejection::NoPower)?;
    if s.power_used {
        return Err(Rejection::PowerUsed);
    }
    let need = content.def(power).map_or(0, |d| d.cost);
    if need > s.moonlight {
        return Err(Rejection::NotEnoughMoonlight {
            need,
            have: s.moonlight,
        });
    }
    check_cast(content, st, seat, power, target, choice)?;
    Ok(power)
}

/// The option and target of a card (or power) being played: an option exactly when it
/// says "choose one", and the chosen target that option's effects ask for.
fn check_cast(
    content: &Content,
    st: &State,
    seat: Seat,
    card: u16,
    target: Option<EntityId>,
    choice: Option<u32>,
) -> Result<(), Rejection> {
    match (content.choices_of(card), choice) {
        (0, None) => {}
        (0, Some(_)) => return Err(Rejection::InvalidChoice),
        (_, None) => return Err(Rejection::ChoiceRequired),
        (n, Some(c)) if c >= n => return Err(Rejection::InvalidChoice),
        (_, Some(_)) => {}
    }
    let is_unit = content.is_unit(card);
    match (content.chosen_of(card, choice), target) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(Rejection::TargetNotAllowed),
        (Some(t), Some(id)) => {
            if matches_target(content, st, seat.index(), None, &t, id, true) {
                Ok(())
            } else {
                Err(Rejection::InvalidTarget)
            }
        }
        (Some(t), None) => {
            // A unit whose on-play has nothing to choose still enters the board;
            // a spell (or power) without a target would do nothing, so it is refused.
            if chosen_targets(content, st, seat.index(), &t).is_empty() {
                if is_unit {
                    Ok(())
                } else {
                    Err(Rejection::NoValidTarget)
                }
            } else {
                Err(Rejection::TargetRequired)
            }
        }
    }
}

/// Every (target, option) a card (or power) may be played with now, as actions.
fn casts(
    content: &Content,
    st: &State,
    seat: usize,
    card: u16,
    out: &mut Vec<Action>,
    action: impl Fn(Option<EntityId>, Option<u32>) -> Action,
) {
    let n = content.choices_of(card);
    // No options: one pass without one; else one pass per option.
    for k in 0..n.max(1) {
        let choice = (n > 0).then_some(k);
        match content.chosen_of(card, choice) {
            None => out.push(action(None, choice)),
            Some(t) => {
                let targets = chosen_targets(content, st, seat, &t);
                if targets.is_empty() && content.is_unit(card) {
                    out.push(action(None, choice));
                }
                out.extend(targets.into_iter().map(|id| action(Some(id), choice)));
            }
        }
    }
}

/// Validates an attack; returns (seat index, board index) of the attacker.
pub(crate) fn check_attack(
    content: &Content,
    st: &State,
    seat: Seat,
    attacker: EntityId,
    target: EntityId,
) -> Result<usize, Rejection> {
    check_turn(st, content.rules().actions_per_turn, seat)?;
    let s = st.seats.get(seat.index()).ok_or(Rejection::UnknownSeat)?;
    let ai = s
        .board
        .iter()
        .position(|u| u.id == attacker)
        .ok_or(Rejection::NotYourUnit)?;
    let u = s.board.get(ai).ok_or(Rejection::NotYourUnit)?;
    if !u.can_attack() {
        return Err(Rejection::CannotAttack);
    }
    let enemy = Target::unfiltered(Pick::Chosen, Side::Enemy, TargetKind::Character);
    if !matches_target(content, st, seat.index(), None, &enemy, target, true) {
        return Err(Rejection::InvalidTarget);
    }
    let target_owner = match st.locate(target) {
        Some(Loc::Hero(o)) | Some(Loc::Unit(o, _)) => o,
        None => return Err(Rejection::InvalidTarget),
    };
    let guards = guards_of(st, target_owner);
    if guards > 0 {
        let is_guard = st
            .unit(target)
            .is_some_and(|t| t.keywords.has(Keyword::Guard) && !t.keywords.has(Keyword::Stealth));
        if !is_guard {
            return Err(Rejection::MustAttackGuard);
        }
    }
    Ok(ai)
}

/// Validates a mulligan; returns the hand indices to replace, ascending.
pub(crate) fn check_mulligan(
    st: &State,
    seat: Seat,
    replace: &[EntityId],
) -> Result<Vec<usize>, Rejection> {
    if st.outcome.is_some() {
        return Err(Rejection::GameOver);
    }
    let s = st.seats.get(seat.index()).ok_or(Rejection::UnknownSeat)?;
    if s.out {
        return Err(Rejection::SeatOut);
    }
    if !st.in_mulligan() || !s.mulligan {
        return Err(Rejection::NoMulligan);
    }
    let mut idx = Vec::with_capacity(replace.len());
    for id in replace {
        // Only cards dealt from the deck go back (not the bonus card).
        let i = s
            .hand
            .iter()
            .position(|h| h.id == *id && !h.card.generated)
            .ok_or(Rejection::CardNotInHand)?;
        if idx.contains(&i) {
            return Err(Rejection::CardNotInHand);
        }
        idx.push(i);
    }
    idx.sort_unstable();
    Ok(idx)
}

/// Every mulligan choice: each subset of the cards dealt from the deck, in
/// bitmask order (the content checker keeps opening hands to 8 cards or fewer).
fn mulligan_choices(hand: &[super::state::HandCard], out: &mut Vec<Action>) {
    let eligible: Vec<EntityId> = hand
        .iter()
        .filter(|h| !h.card.generated)
        .map(|h| h.id)
        .take(8)
        .collect();
    for mask in 0u32..(1 << eligible.len()) {
        let replace = eligible
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, id)| *id)
            .collect();
        out.push(Action::Mulligan { replace });
    }
}

/// Visible guards on a seat's board (stealthed guards do not protect).
fn guards_of(st: &State, seat: usize) -> usize {
    st.seats.get(seat).map_or(0, |s| {
        s.board
            .iter()
            .filter(|u| {
                !u.is_dead() && u.keywords.has(Keyword::Guard) && !u.keywords.has(Keyword::Stealth)
            })
            .count()
    })
}

/// Every action `seat` may take now. Concede is always included while the
/// game runs and the seat is in it.
pub(crate) fn legal_actions(content: &Content, st: &State, seat: Seat) -> Vec<Action> {
    let mut out = Vec::new();
    if st.outcome.is_some() {
        return out;
    }
    let Some(s) = st.seats.get(seat.index()) else {
        return out;
    };
    if s.out {
        return out;
    }
    if st.in_mulligan() {
        if s.mulligan {
            mulligan_choices(&s.hand, &mut out);
        }
        out.push(Action::Concede);
        return out;
    }
    if check_turn(st, content.rules().actions_per_turn, seat).is_ok() {
        let board_full = s.board.len() >= content.rules().board_limit as usize;
        let costs = Costs::of(content, st, seat.index());
        for h in &s.hand {
            let card = h.card.card;
            if costs.of_card(content, card) > s.moonlight || (content.is_unit(card) && board_full) {
                continue;
            }
            casts(
                content,
                st,
                seat.index(),
                card,
                &mut out,
                |target, choice| Action::PlayCard {
                    card: h.id,
                    target,
                    choice,
                },
            );
        }
        if let Some(power) = s.power
            && !s.power_used
            && content.def(power).is_some_and(|d| d.cost <= s.moonlight)
        {
            casts(
                content,
                st,
                seat.index(),
                power,
                &mut out,
                |target, choice| Action::UsePower { target, choice },
            );
        }
        // Attack targets are the same for every attacker: compute them once.
        let attackers: Vec<EntityId> = s
            .board
            .iter()
            .filter(|u| u.can_attack())
            .map(|u| u.id)
            .collect();
        if !attackers.is_empty() {
            let mut targets = Vec::new();
            for o in st.order_from(seat.index()) {
                if st.same_team(o, seat.index()) {
                    continue;
                }
                let Some(os) = st.seats.get(o) else { continue };
                if os.out {
                    continue;
                }
                let guarded = guards_of(st, o) > 0;
                if !guarded {
                    targets.push(os.hero);
                }
                for u in &os.board {
                    let visible = !u.keywords.has(Keyword::Stealth) && !u.is_dead();
                    if visible && (!guarded || u.keywords.has(Keyword::Guard)) {
                        targets.push(u.id);
                    }
                }
            }
            for a in attackers {
                out.extend(targets.iter().map(|&t| Action::Attack {
                    attacker: a,
                    target: t,
                }));
            }
        }
    }
    if st.active == seat.0 {
        out.push(Action::EndTurn);
    }
    out.push(Action::Concede);
    out
}
