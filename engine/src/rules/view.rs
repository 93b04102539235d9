//! Per-seat and spectator views. Each view type lists exactly what may be sent;
//! views are built field by field from the state, never by serialising the
//! state and stripping it. No view holds the RNG, a deck's contents or order,
//! or another seat's hand contents (those are counts plus opaque handles).

use serde::{Deserialize, Serialize};

use super::actions::Costs;
use super::events::{Viewer, can_see};
use super::state::{Outcome, State, Unit};
use crate::content::Content;
use crate::ids::{CardId, EntityId, Keywords, Seat};

/// A unit on the board (public).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitView {
    pub id: EntityId,
    pub card: CardId,
    pub attack: i32,
    pub health: i32,
    pub max_health: i32,
    pub keywords: Keywords,
    pub silenced: bool,
    /// Could attack now if it were its controller's turn and action.
    pub ready: bool,
    /// Cannot attack until the end of its controller's next turn.
    pub frozen: bool,
}

/// A card in the viewer's own hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandCardView {
    pub handle: EntityId,
    pub card: CardId,
    pub cost: i32,
}

/// A seat's public side of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatPublicView {
    pub seat: Seat,
    pub team: u8,
    pub hero: EntityId,
    pub health: i32,
    pub max_health: i32,
    pub moonlight: i32,
    pub max_moonlight: i32,
    /// Cards left in the deck (contents and order are hidden from everyone).
    pub deck_count: u32,
    /// Opaque handles of the cards in hand (new whenever a card changes zone).
    pub hand: Vec<EntityId>,
    pub board: Vec<UnitView>,
    /// Cards that went to the graveyard, oldest first (all were revealed).
    pub graveyard: Vec<CardId>,
    /// Damage of the next empty-deck draw.
    pub fatigue: i32,
    /// Defeated, conceded or forfeited.
    pub out: bool,
    /// Still choosing its opening hand.
    pub mulligan: bool,
    /// The hero's armor (damage takes it first).
    pub armor: i32,
    /// How many secrets the seat has set (which ones only its owner sees).
    pub secrets: u32,
    /// The seat's hero power, if its deck's faction has one.
    pub power: Option<CardId>,
    /// The hero power was used this turn.
    pub power_used: bool,
}

/// What one seat (or a spectator) may know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatView {
    /// `None` for spectators.
    pub viewer: Option<Seat>,
    pub turn: u32,
    pub active: Seat,
    pub seats: Vec<SeatPublicView>,
    /// The viewer's own hand, with card ids and what each costs now (empty for spectators).
    pub hand: Vec<HandCardView>,
    /// The viewer's own secrets, by card id (empty for spectators).
    pub own_secrets: Vec<CardId>,
    pub outcome: Option<Outcome>,
}

fn unit_view(content: &Content, u: &Unit) -> UnitView {
    UnitView {
        id: u.id,
        card: content.id_of(u.card.card),
        attack: u.attack,
        health: u.health,
        max_health: u.max_health,
        keywords: u.keywords,
        silenced: u.silenced,
        ready: !u.sleeping && u.attacks_left > 0 && u.attack > 0 && u.frozen == 0,
        frozen: u.frozen > 0,
    }
}

/// Builds the view for `viewer`.
pub(crate) fn build(content: &Content, st: &State, viewer: Viewer) -> SeatView {
    let seats = st
        .seats
        .iter()
        .enumerate()
        .map(|(i, s)| SeatPublicView {
            seat: Seat(i as u8),
            team: s.team,
            hero: s.hero,
            health: s.health,
            max_health: s.max_health,
            moonlight: s.moonlight,
            max_moonlight: s.max_moonlight,
            deck_count: s.deck.len() as u32,
            hand: s.hand.iter().map(|h| h.id).collect(),
            board: s.board.iter().map(|u| unit_view(content, u)).collect(),
            graveyard: s.graveyard.iter().map(|c| content.id_of(c.card)).collect(),
            fatigue: s.fatigue,
            out: s.out,
            mulligan: s.mulligan,
            armor: s.armor,
            secrets: s.secrets.len() as u32,
            power: s.power.map(|p| content.id_of(p)),
            power_used: s.power_used,
        })
        .collect();
    let (own, hand, own_secrets) = match viewer {
        Viewer::Seat(seat) if can_see(viewer, seat) => {
            let s = st.seats.get(seat.index());
            let costs = Costs::of(content, st, seat.index());
            let hand = s.map_or_else(Vec::new, |s| {
                s.hand
                    .iter()
                    .map(|h| HandCardView {
                        handle: h.id,
                        card: content.id_of(h.card.card),
                        cost: costs.of_card(content, h.card.card),
                    })
                    .collect()
            });
            let secrets = s.map_or_else(Vec::new, |s| {
                s.secrets
                    .iter()
                    .map(|h| content.id_of(h.card.card))
                    .collect()
            });
            (Some(seat), hand, secrets)
        }
        Viewer::Seat(seat) => (Some(seat), Vec::new(), Vec::new()),
        Viewer::Spectator => (None, Vec::new(), Vec::new()),
    };
    SeatView {
        viewer: own,
        turn: st.turn,
        active: Seat(st.active),
        seats,
        hand,
        own_secrets,
        outcome: st.outcome.clone(),
    }
}
