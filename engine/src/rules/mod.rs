//! The rules engine: `(content, setup, seed, inputs) → state`, deterministic.
//!
//! # Resolution order (the one place it is written down)
//!
//! Every input is validated completely first; a rejected input changes nothing.
//! An accepted input then runs these phases:
//!
//! 1. **Act.** Pay and move the card, or start the attack, or end the turn:
//!    - *play a unit*: pay, the card leaves the hand, the unit enters the right
//!      end of the board; queue its `on_play`, then `ally_summoned` of the
//!      other friendly units (left to right);
//!    - *play a spell*: pay, the card leaves the hand; queue its `on_play`,
//!      then `spell_cast` of the caster's units; the spell goes to the graveyard;
//!    - *attack*: the attacker loses stealth; queue its `on_attack` and resolve
//!      (phase 2); if attacker and target still stand, both deal damage at
//!      once, then resolve again;
//!    - *end turn*: queue `turn_end` of the active seat's units, resolve, then
//!      the next seat in turn order that is still in starts its turn: moonlight
//!      +1 (up to the cap) and refilled, its units wake, it draws a card
//!      (fatigue if the deck is empty), `turn_start` of its units is queued and
//!      resolved.
//! 2. **Resolve.** One FIFO queue of pending triggers. Before each trigger
//!    resolves (and once the queue is empty), **deaths** resolve: dead units
//!    leave the board (seats in turn order from the active seat, boards left to
//!    right), go to the graveyard and queue their `on_death`; heroes at 0 are
//!    defeated; if at most one team is left the game ends and the queue is
//!    dropped. Triggers queued during a trigger are one level deeper; a chain
//!    deeper than [`triggers::MAX_DEPTH`] or longer than
//!    [`triggers::MAX_TRIGGERS`] per input is cut with a `trigger_limit` event.
//! 3. **Report.** The events of the input, in the order things happened.
//!
//! Simultaneous triggers fire in a fixed order (board order, seats in turn
//! order); randomness comes only from the match RNG in the state; rules code
//! iterates `Vec`s only.

pub mod actions;
mod combat;
mod effects;
pub mod events;
mod lasting;
pub mod state;
mod triggers;
pub mod view;

use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::content::Content;
use crate::content::schema::{CardKind, Trigger};
use crate::ids::{EntityId, Seat};
use crate::rng::GameRng;
use actions::{Action, Input, Rejection};
use events::{Event, PublicEvent, SeatEvent, Viewer};
use state::{CardRef, EndReason, Outcome, SeatState, State};
use triggers::{Cause, Pending};
use view::SeatView;

/// One seat's setup: its deck list and its team. Seats on the same team win
/// together (2v2); with one seat per team it is 1v1 or free-for-all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatSetup {
    /// Card ids, any order (the engine shuffles with the match RNG).
    pub deck: Vec<String>,
    /// Team number.
    pub team: u8,
}

/// How a match starts. Together with the content version and the inputs, this
/// is everything needed to replay it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameSetup {
    /// Two or more seats.
    pub seats: Vec<SeatSetup>,
    /// The match seed.
    pub seed: u64,
}

/// Why a match could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum SetupError {
    /// Need 2 to 8 seats.
    #[error("a match needs 2 to 8 seats, got {0}")]
    SeatCount(usize),
    /// No deck with that id.
    #[error("unknown deck `{0}`")]
    UnknownDeck(String),
    /// A deck list is not legal.
    #[error("seat {seat}: {error}")]
    BadDeck {
        /// The seat.
        seat: u8,
        /// What is wrong.
        error: crate::content::DeckError,
    },
    /// Every seat is on the same team.
    #[error("a match needs at least two teams")]
    OneTeam,
}

/// A match in progress (or finished). Owns its content version.
#[derive(Debug, Clone)]
pub struct Game {
    content: Arc<Content>,
    st: State,
}

/// Two games are equal when they play the same content version and are in the same state
/// (what a restore or a replay must reproduce).
impl PartialEq for Game {
    fn eq(&self, other: &Self) -> bool {
        self.content.version() == other.content.version() && self.st == other.st
    }
}

impl Eq for Game {}

/// The mutable context of one input: state, events, trigger queue.
pub(crate) struct Ctx<'a> {
    pub(crate) content: &'a Content,
    pub(crate) st: &'a mut State,
    pub(crate) events: Vec<Event>,
    pub(crate) queue: VecDeque<Pending>,
    /// Depth given to triggers queued now.
    pub(crate) depth: u8,
    /// Triggers resolved during this input.
    pub(crate) resolved: u32,
}

impl<'a> Ctx<'a> {
    fn new(content: &'a Content, st: &'a mut State) -> Self {
        Ctx {
            content,
            st,
            events: Vec::with_capacity(16),
            queue: triggers::new_queue(),
            depth: 0,
            resolved: 0,
        }
    }
}

impl Game {
    /// Starts a match: shuffles decks, picks the first seat at random, deals
    /// opening hands (later seats get `later_bonus_card`) and starts turn 1.
    pub fn new(content: Arc<Content>, setup: &GameSetup) -> Result<Game, SetupError> {
        let mut decks = Vec::with_capacity(setup.seats.len());
        for (i, s) in setup.seats.iter().enumerate() {
            content
                .validate_deck(&s.deck)
                .map_err(|error| SetupError::BadDeck {
                    seat: i.min(255) as u8,
                    error,
                })?;
            let cards = s.deck.iter().filter_map(|id| content.idx(id)).collect();
            decks.push((cards, s.team));
        }
        Game::start(content, decks, setup.seed)
    }

    /// Starts a 1v1 (or free-for-all) match from content deck ids, one per seat.
    /// Content decks were checked when the content loaded.
    pub fn from_decks(
        content: Arc<Content>,
        deck_ids: &[&str],
        seed: u64,
    ) -> Result<Game, SetupError> {
        let mut decks = Vec::with_capacity(deck_ids.len());
        for (i, id) in deck_ids.iter().enumerate() {
            let def = content
                .deck(id)
                .ok_or_else(|| SetupError::UnknownDeck((*id).to_owned()))?;
            let cards = def
                .cards
                .iter()
                .filter_map(|e| content.idx(&e.card).map(|c| (c, e.count)))
                .flat_map(|(c, n)| std::iter::repeat_n(c, n as usize))
                .collect();
            decks.push((cards, i.min(255) as u8));
        }
        Game::start(content, decks, seed)
    }

    /// The common start: `decks` are (card indices, team) per seat.
    fn start(
        content: Arc<Content>,
        decks: Vec<(Vec<u16>, u8)>,
        seed: u64,
    ) -> Result<Game, SetupError> {
        let n = decks.len();
        if !(2..=8).contains(&n) {
            return Err(SetupError::SeatCount(n));
        }
        if decks.iter().all(|d| d.1 == decks[0].1) {
            return Err(SetupError::OneTeam);
        }
        let rules = content.rules();
        let mut rng = GameRng::from_seed_u64(seed);
        let mut seats = Vec::with_capacity(n);
        for (i, (cards, team)) in decks.into_iter().enumerate() {
            let power = content.power_for(&cards);
            let mut deck: Vec<CardRef> = cards
                .into_iter()
                .map(|card| CardRef {
                    card,
                    generated: false,
                })
                .collect();
            rng.shuffle(&mut deck);
            seats.push(SeatState {
                team,
                hero: EntityId(i as u32 + 1),
                health: rules.hero_health,
                max_health: rules.hero_health,
                moonlight: 0,
                max_moonlight: 0,
                fatigue: 0,
                brought: deck.len() as u32,
                deck,
                hand: Vec::new(),
                board: Vec::new(),
                graveyard: Vec::new(),
                out: false,
                mulligan: rules.mulligan,
                armor: 0,
                cost_mods: Vec::new(),
                secrets: Vec::new(),
                power,
                power_used: false,
            });
        }
        let first = rng.below(n);
        let mut st = State {
            seats,
            active: first as u8,
            turn: 0,
            actions_this_turn: 0,
            next_id: n as u32,
            rng,
            outcome: None,
        };
        {
            let mut cx = Ctx::new(&content, &mut st);
            let order: Vec<usize> = cx.st.order_from(first).collect();
            for s in order {
                let count = if s == first {
                    rules.first_hand
                } else {
                    rules.later_hand
                };
                for _ in 0..count {
                    cx.draw(s);
                }
                if s != first
                    && let Some(bonus) = rules
                        .later_bonus_card
                        .as_deref()
                        .and_then(|b| content.idx(b))
                {
                    cx.add_to_hand(
                        s,
                        CardRef {
                            card: bonus,
                            generated: true,
                        },
                    );
                }
            }
            // With a mulligan, turn 1 starts once every seat has decided.
            if !rules.mulligan {
                cx.start_turn(first);
            }
        }
        Ok(Game { content, st })
    }

    /// The content this match runs on.
    pub fn content(&self) -> &Arc<Content> {
        &self.content
    }

    /// Number of seats.
    pub fn seat_count(&self) -> usize {
        self.st.seats.len()
    }

    /// Whose turn it is (during the mulligan: who will start).
    pub fn active_seat(&self) -> Seat {
        Seat(self.st.active)
    }

    /// The seats the game is waiting for: the active seat, or during the
    /// mulligan every seat that has not chosen yet; empty once it is over.
    pub fn seats_to_act(&self) -> Vec<Seat> {
        if self.st.outcome.is_some() {
            return Vec::new();
        }
        if self.st.in_mulligan() {
            return (0..self.st.seats.len())
                .filter(|&i| self.st.seats.get(i).is_some_and(|s| s.mulligan && !s.out))
                .map(|i| Seat(i as u8))
                .collect();
        }
        vec![Seat(self.st.active)]
    }

    /// Turns started so far (all seats counted).
    pub fn turn(&self) -> u32 {
        self.st.turn
    }

    /// Whether the game has ended.
    pub fn is_over(&self) -> bool {
        self.st.outcome.is_some()
    }

    /// The result, once the game has ended.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.st.outcome.as_ref()
    }

    /// Every action `seat` may take now (empty once the game is over or the
    /// seat is out). Includes `concede`; includes `end_turn` on its turn.
    pub fn legal_actions(&self, seat: Seat) -> Vec<Action> {
        actions::legal_actions(&self.content, &self.st, seat)
    }

    /// Applies a player's action. On rejection nothing changes.
    pub fn apply(&mut self, seat: Seat, action: Action) -> Result<Vec<Event>, Rejection> {
        self.submit(&Input::Act { seat, action })
    }

    /// The server's turn timer ran out: ends `seat`'s turn.
    pub fn timeout(&mut self, seat: Seat) -> Result<Vec<Event>, Rejection> {
        self.submit(&Input::TurnTimeout { seat })
    }

    /// The server forfeits `seat` (it loses; the others play on if 3+ teams).
    pub fn forfeit(&mut self, seat: Seat) -> Result<Vec<Event>, Rejection> {
        self.submit(&Input::Forfeit { seat })
    }

    /// The server voids the match because `seat` never showed up: it ends with
    /// no winner ([`EndReason::NoContest`]).
    pub fn abandon(&mut self, seat: Seat) -> Result<Vec<Event>, Rejection> {
        self.submit(&Input::Abandon { seat })
    }

    /// Applies any input (the form the action log stores).
    pub fn submit(&mut self, input: &Input) -> Result<Vec<Event>, Rejection> {
        let content = Arc::clone(&self.content);
        let content = &*content;
        // Validate everything before touching the state.
        enum Plan {
            Play(usize, Cause),
            Power(u16, Cause),
            Attack(usize, EntityId),
            EndTurn,
            Mulligan(Vec<usize>),
            Leave(PublicEvent),
            Void,
        }
        let (seat, plan) = match input {
            Input::Act { seat, action } => {
                let plan = match action {
                    Action::PlayCard {
                        card,
                        target,
                        choice,
                    } => Plan::Play(
                        actions::check_play(content, &self.st, *seat, *card, *target, *choice)?,
                        Cause::played(*target, *choice),
                    ),
                    Action::UsePower { target, choice } => Plan::Power(
                        actions::check_power(content, &self.st, *seat, *target, *choice)?,
                        Cause::played(*target, *choice),
                    ),
                    Action::Attack { attacker, target } => Plan::Attack(
                        actions::check_attack(content, &self.st, *seat, *attacker, *target)?,
                        *target,
                    ),
                    Action::EndTurn => {
                        self.check_active(*seat)?;
                        Plan::EndTurn
                    }
                    Action::Mulligan { replace } => {
                        Plan::Mulligan(actions::check_mulligan(&self.st, *seat, replace)?)
                    }
                    Action::Concede => {
                        self.check_in(*seat)?;
                        Plan::Leave(PublicEvent::Conceded { seat: *seat })
                    }
                };
                (*seat, plan)
            }
            Input::TurnTimeout { seat } if self.st.in_mulligan() => {
                // Out of time to choose: keep the opening hand.
                actions::check_mulligan(&self.st, *seat, &[])?;
                (*seat, Plan::Mulligan(Vec::new()))
            }
            Input::TurnTimeout { seat } => {
                self.check_active(*seat)?;
                (*seat, Plan::EndTurn)
            }
            Input::Forfeit { seat } => {
                self.check_in(*seat)?;
                (*seat, Plan::Leave(PublicEvent::Forfeited { seat: *seat }))
            }
            Input::Abandon { seat } => {
                self.check_in(*seat)?;
                (*seat, Plan::Void)
            }
        };
        let mut cx = Ctx::new(content, &mut self.st);
        let s = seat.index();
        match plan {
            Plan::Play(hand_idx, cause) => {
                cx.st.actions_this_turn = cx.st.actions_this_turn.saturating_add(1);
                cx.play(s, hand_idx, cause);
            }
            Plan::Power(power, cause) => {
                cx.st.actions_this_turn = cx.st.actions_this_turn.saturating_add(1);
                cx.use_power(s, power, cause);
            }
            Plan::Attack(idx, target) => {
                cx.st.actions_this_turn = cx.st.actions_this_turn.saturating_add(1);
                cx.attack(s, idx, target);
            }
            Plan::EndTurn => {
                if matches!(input, Input::TurnTimeout { .. }) {
                    cx.public(PublicEvent::TimedOut { seat });
                }
                cx.end_turn(s);
            }
            Plan::Mulligan(indices) => {
                if matches!(input, Input::TurnTimeout { .. }) {
                    cx.public(PublicEvent::TimedOut { seat });
                }
                cx.mulligan(s, &indices);
            }
            Plan::Leave(event) => cx.leave(s, event),
            Plan::Void => cx.void(s),
        }
        cx.skip_out_active();
        Ok(cx.events)
    }

    fn check_active(&self, seat: Seat) -> Result<(), Rejection> {
        self.check_in(seat)?;
        if self.st.in_mulligan() {
            return Err(Rejection::MulliganPending);
        }
        if self.st.active != seat.0 {
            return Err(Rejection::NotYourTurn);
        }
        Ok(())
    }

    fn check_in(&self, seat: Seat) -> Result<(), Rejection> {
        if self.st.outcome.is_some() {
            return Err(Rejection::GameOver);
        }
        match self.st.seats.get(seat.index()) {
            None => Err(Rejection::UnknownSeat),
            Some(s) if s.out => Err(Rejection::SeatOut),
            Some(_) => Ok(()),
        }
    }

    /// What `seat` may see.
    pub fn view_for(&self, seat: Seat) -> SeatView {
        view::build(&self.content, &self.st, Viewer::Seat(seat))
    }

    /// What a spectator may see (public information only).
    pub fn spectator_view(&self) -> SeatView {
        view::build(&self.content, &self.st, Viewer::Spectator)
    }

    /// Filters events for a viewer (same as [`events::events_for`]).
    pub fn events_for(&self, viewer: Viewer, events: &[Event]) -> Vec<SeatEvent> {
        events::events_for(viewer, events)
    }

    /// The state as compact bytes (snapshot), including the RNG's position.
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::snapshot::encode(&self.content, &self.st)
    }

    /// Restores a snapshot taken with the same content version.
    pub fn from_bytes(
        content: Arc<Content>,
        bytes: &[u8],
    ) -> Result<Game, crate::snapshot::SnapshotError> {
        let st = crate::snapshot::decode(&content, bytes)?;
        Ok(Game { content, st })
    }

    /// SHA-256 (hex) of the snapshot bytes: equal states have equal hashes.
    pub fn state_hash(&self) -> String {
        crate::snapshot::hash(&self.to_bytes())
    }

    /// Replays a match from its setup and input log.
    pub fn replay(
        content: Arc<Content>,
        setup: &GameSetup,
        inputs: &[Input],
    ) -> Result<Game, ReplayError> {
        let mut g = Game::new(content, setup).map_err(ReplayError::Setup)?;
        for (i, input) in inputs.iter().enumerate() {
            g.submit(input).map_err(|rejection| ReplayError::Rejected {
                index: i,
                rejection,
            })?;
        }
        Ok(g)
    }

    /// A world `seat` cannot tell from this one, for a bot's lookahead: what the seat
    /// cannot see is sampled from `seed`. Every deck is reshuffled, each other seat's hand
    /// is dealt afresh from its hand and deck together (same handles, same count; which
    /// card is which is drawn anew), and the RNG is reseeded. The hidden cards are put in
    /// a canonical order before shuffling, so the result depends only on what `seat` may
    /// see, the deck lists, and `seed`: never on the real order of a deck, the cards
    /// really in another hand, or the match's next random outcomes. `self` is untouched.
    pub fn determinized(&self, seat: Seat, seed: u64) -> Game {
        let mut copy = self.clone();
        let mut rng = GameRng::from_seed_u64(seed);
        let content = &self.content;
        let is_secret = |c: &CardRef| content.def(c.card).is_some_and(|d| d.secret);
        for (i, side) in copy.st.seats.iter_mut().enumerate() {
            let mut hidden = std::mem::take(&mut side.deck);
            let theirs = i != seat.index();
            if theirs {
                hidden.extend(side.hand.iter().map(|h| h.card));
                hidden.extend(side.secrets.iter().map(|h| h.card));
            }
            hidden.sort_unstable_by_key(|c| (c.card, c.generated));
            rng.shuffle(&mut hidden);
            if theirs {
                // Secret slots take secret cards (the real ones are in the pool, so
                // there are enough), the hand takes what is left.
                for set in &mut side.secrets {
                    if let Some(at) = hidden.iter().rposition(is_secret) {
                        set.card = hidden.remove(at);
                    }
                }
                for held in &mut side.hand {
                    if let Some(card) = hidden.pop() {
                        held.card = card;
                    }
                }
            }
            side.deck = hidden;
        }
        copy.st.rng = rng;
        copy
    }

    /// Checks the engine's invariants (moonlight within bounds, health never
    /// above maximum, limits, cards conserved across zones except generated
    /// ones, unique ids). For tests and debug assertions; `Err` says what broke.
    pub fn check_invariants(&self) -> Result<(), String> {
        self.st.check_invariants(&self.content)
    }

    #[cfg(test)]
    pub(crate) fn state(&self) -> &State {
        &self.st
    }

    #[cfg(test)]
    pub(crate) fn state_mut(&mut self) -> &mut State {
        &mut self.st
    }
}

/// Everything needed to replay a match, as the server should log it: the
/// content version, the setup (with the seed) and every accepted input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchLog {
    /// [`Content::version`] of the content the match ran on.
    pub content_version: String,
    /// Seats, decks, teams and seed.
    pub setup: GameSetup,
    /// Accepted inputs, in order.
    pub inputs: Vec<Input>,
}

impl MatchLog {
    /// Replays the log on `content`, which must be the version it was recorded with.
    pub fn replay(&self, content: Arc<Content>) -> Result<Game, ReplayError> {
        if content.version() != self.content_version {
            return Err(ReplayError::ContentMismatch {
                found: content.version().to_owned(),
                expected: self.content_version.clone(),
            });
        }
        Game::replay(content, &self.setup, &self.inputs)
    }
}

/// Why a replay failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// The setup was refused.
    #[error("setup: {0}")]
    Setup(SetupError),
    /// The content is not the version the log was recorded with.
    #[error("log recorded with content {expected}, given {found}")]
    ContentMismatch {
        /// The given content's version.
        found: String,
        /// The log's.
        expected: String,
    },
    /// An input in the log was refused.
    #[error("input {index} rejected: {rejection}")]
    Rejected {
        /// Position in the log.
        index: usize,
        /// Why.
        rejection: Rejection,
    },
}

impl Ctx<'_> {
    fn play(&mut self, s: usize, hand_idx: usize, cause: Cause) {
        let content = self.content;
        let Some(h) = self
            .st
            .seats
            .get(s)
            .and_then(|x| x.hand.get(hand_idx))
            .copied()
        else {
            return;
        };
        let Some(def) = content.def(h.card.card) else {
            return;
        };
        let cost = actions::cost_of(content, self.st, s, h.card.card);
        let Some(seat) = self.st.seats.get_mut(s) else {
            return;
        };
        seat.hand.remove(hand_idx);
        seat.moonlight = seat.moonlight.saturating_sub(cost);
        // The first pending "next card" change each card matches is used up by it.
        if let Some(used) = seat
            .cost_mods
            .iter()
            .position(|m| m.next_only && m.matching.accepts(def))
        {
            seat.cost_mods.remove(used);
        }
        let (current, max) = (seat.moonlight, seat.max_moonlight);
        let card_id = content.id_of(h.card.card);
        if def.secret {
            seat.secrets.push(h);
            self.events.push(Event::SecretSet {
                seat: Seat(s as u8),
                handle: h.id,
                card: card_id,
            });
        } else {
            self.public(PublicEvent::CardPlayed {
                seat: Seat(s as u8),
                handle: h.id,
                card: card_id,
                target: cause.chosen,
                choice: cause.choice,
            });
        }
        self.public(PublicEvent::Moonlight {
            seat: Seat(s as u8),
            current,
            max,
        });
        match def.kind {
            CardKind::Unit => {
                if let Some(id) = self.summon(s, h.card) {
                    self.fire(s, id, h.card.card, Trigger::OnPlay, cause);
                    self.fire_board(s, Trigger::AllySummoned, Some(id), Some(id));
                    self.fire_enemies(s, Trigger::EnemyUnitPlayed, Some(id));
                }
            }
            CardKind::Spell if def.secret => {}
            CardKind::Spell | CardKind::Power => {
                self.fire(s, h.id, h.card.card, Trigger::OnPlay, cause);
                self.fire_board(s, Trigger::SpellCast, None, None);
                self.fire_enemies(s, Trigger::EnemySpellCast, None);
                if let Some(seat) = self.st.seats.get_mut(s) {
                    seat.graveyard.push(h.card);
                }
            }
        }
        self.resolve();
    }

    /// The hero power: paid, marked used for the turn, its `on_play` abilities resolved
    /// with the hero as their source.
    fn use_power(&mut self, s: usize, power: u16, cause: Cause) {
        let cost = self.content.def(power).map_or(0, |d| d.cost);
        let Some(seat) = self.st.seats.get_mut(s) else {
            return;
        };
        seat.moonlight = seat.moonlight.saturating_sub(cost);
        seat.power_used = true;
        let (current, max, hero) = (seat.moonlight, seat.max_moonlight, seat.hero);
        self.public(PublicEvent::PowerUsed {
            seat: Seat(s as u8),
            card: self.content.id_of(power),
            target: cause.chosen,
            choice: cause.choice,
        });
        self.public(PublicEvent::Moonlight {
            seat: Seat(s as u8),
            current,
            max,
        });
        self.fire(s, hero, power, Trigger::OnPlay, cause);
        self.resolve();
    }

    fn end_turn(&mut self, s: usize) {
        self.fire_board(s, Trigger::TurnEnd, None, None);
        self.resolve();
        if self.st.outcome.is_some() {
            return;
        }
        self.expire_turn(s);
        self.public(PublicEvent::TurnEnded {
            seat: Seat(s as u8),
        });
        if let Some(next) = self.next_seat(s) {
            self.start_turn(next);
        }
    }

    /// The next seat after `s` in turn order that is still in.
    fn next_seat(&self, s: usize) -> Option<usize> {
        let n = self.st.seats.len();
        (1..=n)
            .map(|k| (s + k) % n)
            .find(|&i| self.st.seats.get(i).is_some_and(|x| !x.out))
    }

    fn start_turn(&mut self, s: usize) {
        self.st.active = s as u8;
        self.st.turn = self.st.turn.saturating_add(1);
        self.st.actions_this_turn = 0;
        if self.st.turn > self.content.rules().turn_limit {
            self.finish(Outcome {
                winners: Vec::new(),
                reason: EndReason::TurnLimit,
            });
            return;
        }
        let cap = self.content.rules().moonlight_cap;
        let turn = self.st.turn;
        let Some(seat) = self.st.seats.get_mut(s) else {
            return;
        };
        seat.max_moonlight = seat.max_moonlight.saturating_add(1).min(cap);
        seat.moonlight = seat.max_moonlight;
        seat.power_used = false;
        for u in &mut seat.board {
            u.sleeping = false;
            u.attacks_left = 1;
        }
        let (current, max) = (seat.moonlight, seat.max_moonlight);
        self.public(PublicEvent::TurnStarted {
            seat: Seat(s as u8),
            turn,
        });
        self.public(PublicEvent::Moonlight {
            seat: Seat(s as u8),
            current,
            max,
        });
        self.draw(s);
        self.fire_board(s, Trigger::TurnStart, None, None);
        self.resolve();
    }

    /// If the active seat dropped out during its own turn while the game goes
    /// on (3+ teams), the turn passes on so the game never waits for it.
    fn skip_out_active(&mut self) {
        if self.st.in_mulligan() {
            self.maybe_begin();
            return;
        }
        for _ in 0..self.st.seats.len() {
            let active = usize::from(self.st.active);
            let out = self.st.seats.get(active).is_none_or(|x| x.out);
            if self.st.outcome.is_some() || !out {
                return;
            }
            match self.next_seat(active) {
                Some(next) => self.start_turn(next),
                None => return,
            }
        }
    }

    /// Puts the cards at `indices` (ascending) back into the deck, shuffles it,
    /// draws as many, and starts turn 1 once every seat has chosen.
    fn mulligan(&mut self, s: usize, indices: &[usize]) {
        let Some(seat) = self.st.seats.get_mut(s) else {
            return;
        };
        seat.mulligan = false;
        let mut replaced = Vec::with_capacity(indices.len());
        for &i in indices.iter().rev() {
            if i < seat.hand.len() {
                let h = seat.hand.remove(i);
                seat.deck.push(h.card);
                replaced.push(h.id);
            }
        }
        replaced.reverse();
        let count = replaced.len();
        if count > 0 {
            let mut deck = std::mem::take(&mut seat.deck);
            self.st.rng.shuffle(&mut deck);
            if let Some(seat) = self.st.seats.get_mut(s) {
                seat.deck = deck;
            }
        }
        self.public(PublicEvent::Mulligan {
            seat: Seat(s as u8),
            replaced,
        });
        for _ in 0..count {
            self.draw(s);
        }
        self.maybe_begin();
    }

    /// Ends the mulligan phase when no seat still has to choose: the first
    /// seat still in starts turn 1.
    fn maybe_begin(&mut self) {
        if !self.st.in_mulligan() || self.st.outcome.is_some() {
            return;
        }
        if self.st.seats.iter().any(|x| x.mulligan && !x.out) {
            return;
        }
        let active = usize::from(self.st.active);
        let first = if self.st.seats.get(active).is_some_and(|x| !x.out) {
            Some(active)
        } else {
            self.next_seat(active)
        };
        if let Some(first) = first {
            self.start_turn(first);
        }
    }

    /// The match is void: `s` never showed up. It is out, and the game ends with
    /// no winner whoever else is still in, so nobody gains from an empty seat.
    fn void(&mut self, s: usize) {
        if let Some(seat) = self.st.seats.get_mut(s) {
            seat.out = true;
        }
        self.finish(Outcome {
            winners: Vec::new(),
            reason: EndReason::NoContest,
        });
    }

    /// A seat concedes or is forfeited.
    fn leave(&mut self, s: usize, event: PublicEvent) {
        if let Some(seat) = self.st.seats.get_mut(s) {
            seat.out = true;
        }
        self.public(event);
        self.check_game_over(EndReason::Concession);
        if self.st.in_mulligan() {
            // skip_out_active starts turn 1 if the others have chosen.
            return;
        }
        if self.st.outcome.is_none() && usize::from(self.st.active) == s {
            // Free-for-all: the game goes on with the next seat.
            if let Some(next) = self.next_seat(s) {
                self.start_turn(next);
            }
        }
    }
}

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
