//! Format 1, frozen: the state as it was before armor, frozen units, temporary and aura
//! attack, cost changes, secrets and hero powers. Decoded only to be converted to today's
//! [`State`]; never written. Do not change these types: they are what old bytes say.

use serde::Deserialize;

use crate::ids::{EntityId, Keywords};
use crate::rng::GameRng;
use crate::rules::state::{CardRef, HandCard, Outcome, SeatState, State, Unit};

#[derive(Deserialize)]
pub(super) struct Snapshot {
    pub content_version: String,
    pub state: StateV1,
}

#[derive(Deserialize)]
pub(super) struct StateV1 {
    seats: Vec<SeatStateV1>,
    active: u8,
    turn: u32,
    actions_this_turn: u32,
    next_id: u32,
    rng: GameRng,
    outcome: Option<Outcome>,
}

#[derive(Deserialize)]
struct SeatStateV1 {
    team: u8,
    hero: EntityId,
    health: i32,
    max_health: i32,
    moonlight: i32,
    max_moonlight: i32,
    fatigue: i32,
    deck: Vec<CardRef>,
    hand: Vec<HandCard>,
    board: Vec<UnitV1>,
    graveyard: Vec<CardRef>,
    out: bool,
    brought: u32,
    mulligan: bool,
}

#[derive(Deserialize)]
struct UnitV1 {
    id: EntityId,
    card: CardRef,
    attack: i32,
    health: i32,
    max_health: i32,
    keywords: Keywords,
    silenced: bool,
    sleeping: bool,
    attacks_left: u8,
    doomed: bool,
}

impl StateV1 {
    /// Today's state: nothing of what format 1 could not say had happened yet. A match
    /// saved in format 1 was dealt without a hero power, and keeps playing without one.
    pub(super) fn upgrade(self) -> State {
        State {
            seats: self.seats.into_iter().map(SeatStateV1::upgrade).collect(),
            active: self.active,
            turn: self.turn,
            actions_this_turn: self.actions_this_turn,
            next_id: self.next_id,
            rng: self.rng,
            outcome: self.outcome,
        }
    }
}

impl SeatStateV1 {
    fn upgrade(self) -> SeatState {
        SeatState {
            team: self.team,
            hero: self.hero,
            health: self.health,
            max_health: self.max_health,
            moonlight: self.moonlight,
            max_moonlight: self.max_moonlight,
            fatigue: self.fatigue,
            deck: self.deck,
            hand: self.hand,
            board: self.board.into_iter().map(UnitV1::upgrade).collect(),
            graveyard: self.graveyard,
            out: self.out,
            brought: self.brought,
            mulligan: self.mulligan,
            armor: 0,
            cost_mods: Vec::new(),
            secrets: Vec::new(),
            power: None,
            power_used: false,
        }
    }
}

impl UnitV1 {
    fn upgrade(self) -> Unit {
        Unit {
            id: self.id,
            card: self.card,
            attack: self.attack,
            health: self.health,
            max_health: self.max_health,
            keywords: self.keywords,
            silenced: self.silenced,
            sleeping: self.sleeping,
            attacks_left: self.attacks_left,
            doomed: self.doomed,
            frozen: 0,
            temp_attack: 0,
            aura_attack: 0,
        }
    }
}
