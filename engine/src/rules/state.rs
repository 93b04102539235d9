//! The authoritative game state. Never sent to anyone: clients get views
//! (see [`super::view`]), built from their own types.
//!
//! Everything is in `Vec`s in a fixed order (seats by index, boards left to
//! right, decks bottom to top), so iteration order is part of the rules and
//! never depends on hashing.

use serde::{Deserialize, Serialize};

use crate::content::schema::CardFilter;
use crate::ids::{EntityId, Keywords, Seat};
use crate::rng::GameRng;

/// A card instance outside the board: its content index, and whether an effect
/// created it (generated cards are not part of the 30 the player brought, which
/// matters to the card-conservation invariant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CardRef {
    pub card: u16,
    pub generated: bool,
}

/// A card in a hand. Its id is fresh (allocated when it entered the hand).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HandCard {
    pub id: EntityId,
    pub card: CardRef,
}

/// A unit on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Unit {
    pub id: EntityId,
    pub card: CardRef,
    pub attack: i32,
    pub health: i32,
    pub max_health: i32,
    pub keywords: Keywords,
    /// Silenced units keep their stats but lose keywords and abilities.
    pub silenced: bool,
    /// Entered this turn without `swift`: cannot attack yet.
    pub sleeping: bool,
    pub attacks_left: u8,
    /// Destroyed (or poisoned) but not yet removed: deaths resolve after each batch.
    pub doomed: bool,
    /// Frozen: the number of its controller's turn ends until it thaws (it cannot
    /// attack while this is above 0).
    pub frozen: u8,
    /// The part of `attack` that lasts until the end of this turn.
    pub temp_attack: i32,
    /// The part of `attack` that auras give (kept up to date as boards change).
    pub aura_attack: i32,
}

impl Unit {
    pub(crate) fn is_dead(&self) -> bool {
        self.doomed || self.health <= 0
    }

    /// The public event that announces this unit's stats as they are now.
    pub(crate) fn stats_changed(&self) -> super::events::PublicEvent {
        super::events::PublicEvent::StatsChanged {
            unit: self.id,
            attack: self.attack,
            health: self.health,
            max_health: self.max_health,
        }
    }

    /// Awake, with an attack left, some attack, not frozen, alive.
    pub(crate) fn can_attack(&self) -> bool {
        !self.sleeping
            && self.attacks_left > 0
            && self.attack > 0
            && self.frozen == 0
            && !self.is_dead()
    }
}

/// One seat's side of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SeatState {
    pub team: u8,
    pub hero: EntityId,
    pub health: i32,
    pub max_health: i32,
    pub moonlight: i32,
    pub max_moonlight: i32,
    /// Damage the next draw from an empty deck deals.
    pub fatigue: i32,
    /// The top of the deck is the last element.
    pub deck: Vec<CardRef>,
    pub hand: Vec<HandCard>,
    pub board: Vec<Unit>,
    pub graveyard: Vec<CardRef>,
    /// Defeated, conceded or forfeited: skipped in turn order, loses.
    pub out: bool,
    /// Cards brought to the match (deck plus starting hand), for the invariants.
    pub brought: u32,
    /// Still to keep or replace the opening hand (mulligan phase).
    pub mulligan: bool,
    /// Damage to the hero takes armor first.
    pub armor: i32,
    /// Cost changes waiting for the cards they change, oldest first.
    pub cost_mods: Vec<CostMod>,
    /// Secrets set face down (id and card), oldest first.
    pub secrets: Vec<HandCard>,
    /// The hero power (a card index), if the deck's faction has one.
    pub power: Option<u16>,
    /// The hero power was used this turn.
    pub power_used: bool,
}

/// A pending change to the cost of the cards a seat plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CostMod {
    pub amount: i32,
    #[serde(with = "every_field")]
    pub matching: CardFilter,
    /// Used up by the next matching card played (else it lasts until the turn ends).
    pub next_only: bool,
}

/// A card filter in a snapshot: every field, always. Its content form leaves absent fields
/// out, which a format without field names (postcard) cannot read back.
mod every_field {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::content::schema::{CardFilter, CardKind, Keyword};

    type Fields = (Option<CardKind>, Option<i32>, Option<i32>, Option<Keyword>);

    pub fn serialize<S: Serializer>(f: &CardFilter, s: S) -> Result<S::Ok, S::Error> {
        (f.kind, f.cost_at_most, f.cost_at_least, f.keyword).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<CardFilter, D::Error> {
        let (kind, cost_at_most, cost_at_least, keyword) = Fields::deserialize(d)?;
        Ok(CardFilter {
            kind,
            cost_at_most,
            cost_at_least,
            keyword,
        })
    }
}

/// Why the game ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Heroes were brought to 0 health.
    HeroDefeated,
    /// Every other team conceded or forfeited.
    Concession,
    /// The turn limit was reached.
    TurnLimit,
    /// The match was void: a seat never showed up ([`Input::Abandon`]). No
    /// winner, and not a draw either (nothing to rate).
    ///
    /// [`Input::Abandon`]: super::actions::Input::Abandon
    NoContest,
}

impl EndReason {
    /// Every reason, in declaration order.
    pub const ALL: [EndReason; 4] = [
        EndReason::HeroDefeated,
        EndReason::Concession,
        EndReason::TurnLimit,
        EndReason::NoContest,
    ];

    /// The stable name clients and the database see (`hero_defeated`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::HeroDefeated => "hero_defeated",
            EndReason::Concession => "concession",
            EndReason::TurnLimit => "turn_limit",
            EndReason::NoContest => "no_contest",
        }
    }

    /// The reason named `text` ([`EndReason::as_str`]'s inverse).
    pub fn parse(text: &str) -> Option<EndReason> {
        EndReason::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// The result of a finished game. No winners means a draw, unless the match
/// was void ([`EndReason::NoContest`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Seats of the winning team (empty on a draw).
    pub winners: Vec<Seat>,
    /// Why it ended.
    pub reason: EndReason,
}

impl Outcome {
    /// True when the game was played out and nobody won.
    pub fn is_draw(&self) -> bool {
        self.winners.is_empty() && !self.is_void()
    }

    /// True when the match did not count: a seat never showed up.
    pub fn is_void(&self) -> bool {
        self.reason == EndReason::NoContest
    }
}

/// The whole state of a match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct State {
    pub seats: Vec<SeatState>,
    pub active: u8,
    /// Turns started so far (all seats counted), 1 during the first turn.
    pub turn: u32,
    pub actions_this_turn: u32,
    pub next_id: u32,
    pub rng: GameRng,
    pub outcome: Option<Outcome>,
}

/// Where a character is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loc {
    Hero(usize),
    Unit(usize, usize),
}

impl State {
    /// Before the first turn: players keep or replace their opening hands.
    pub(crate) fn in_mulligan(&self) -> bool {
        self.turn == 0
    }

    pub(crate) fn fresh_id(&mut self) -> EntityId {
        self.next_id = self.next_id.saturating_add(1);
        EntityId(self.next_id)
    }

    pub(crate) fn locate(&self, id: EntityId) -> Option<Loc> {
        for (s, seat) in self.seats.iter().enumerate() {
            if seat.hero == id {
                return Some(Loc::Hero(s));
            }
            if let Some(i) = seat.board.iter().position(|u| u.id == id) {
                return Some(Loc::Unit(s, i));
            }
        }
        None
    }

    pub(crate) fn unit(&self, id: EntityId) -> Option<&Unit> {
        match self.locate(id)? {
            Loc::Unit(s, i) => self.seats.get(s)?.board.get(i),
            Loc::Hero(_) => None,
        }
    }

    pub(crate) fn unit_mut(&mut self, id: EntityId) -> Option<&mut Unit> {
        match self.locate(id)? {
            Loc::Unit(s, i) => self.seats.get_mut(s)?.board.get_mut(i),
            Loc::Hero(_) => None,
        }
    }

    /// Seats in turn order starting at `from` (the fixed order for simultaneous things).
    pub(crate) fn order_from(&self, from: usize) -> impl Iterator<Item = usize> + use<> {
        let n = self.seats.len();
        (0..n).map(move |k| (from + k) % n.max(1))
    }

    pub(crate) fn same_team(&self, a: usize, b: usize) -> bool {
        match (self.seats.get(a), self.seats.get(b)) {
            (Some(x), Some(y)) => x.team == y.team,
            _ => false,
        }
    }
}

impl State {
    /// Checks the rules' invariants; `Err` names the first one broken.
    pub(crate) fn check_invariants(&self, content: &crate::content::Content) -> Result<(), String> {
        let r = content.rules();
        let mut ids: Vec<u32> = Vec::new();
        for (i, s) in self.seats.iter().enumerate() {
            if !(0..=r.moonlight_cap).contains(&s.moonlight)
                || !(0..=r.moonlight_cap).contains(&s.max_moonlight)
            {
                return Err(format!(
                    "seat {i}: moonlight {}/{} out of bounds",
                    s.moonlight, s.max_moonlight
                ));
            }
            if s.health > s.max_health {
                return Err(format!(
                    "seat {i}: hero health {} above max {}",
                    s.health, s.max_health
                ));
            }
            if s.armor < 0 {
                return Err(format!("seat {i}: negative armor"));
            }
            if s.hand.len() > r.hand_limit as usize || s.board.len() > r.board_limit as usize {
                return Err(format!("seat {i}: hand or board over the limit"));
            }
            for u in &s.board {
                if u.health > u.max_health || u.attack < 0 {
                    return Err(format!("seat {i}: unit {:?} has bad stats", u.id));
                }
                if u.is_dead() {
                    return Err(format!("seat {i}: dead unit {:?} left on the board", u.id));
                }
            }
            let kept = |c: &CardRef| !c.generated;
            let count = s.deck.len()
                + s.hand.iter().filter(|h| kept(&h.card)).count()
                + s.secrets.iter().filter(|h| kept(&h.card)).count()
                + s.board.iter().filter(|u| kept(&u.card)).count()
                + s.graveyard.iter().filter(|c| kept(c)).count();
            if count != s.brought as usize {
                return Err(format!(
                    "seat {i}: {count} cards accounted for, {} brought",
                    s.brought
                ));
            }
            ids.push(s.hero.0);
            ids.extend(s.hand.iter().map(|h| h.id.0));
            ids.extend(s.board.iter().map(|u| u.id.0));
            ids.extend(s.secrets.iter().map(|h| h.id.0));
        }
        let n = ids.len();
        if ids.iter().any(|&id| id > self.next_id) {
            return Err("an id above the id counter".to_owned());
        }
        ids.sort_unstable();
        ids.dedup();
        if ids.len() != n {
            return Err("duplicate entity ids".to_owned());
        }
        if self.outcome.is_none()
            && !self.in_mulligan()
            && self
                .seats
                .get(usize::from(self.active))
                .is_none_or(|s| s.out)
        {
            return Err("the active seat is out but the game goes on".to_owned());
        }
        Ok(())
    }
}
