//! What happened, as returned by `apply`, and the per-viewer filter.
//!
//! [`Event`] is the full, server-side record. It must never be sent to a client
//! as is: [`events_for`] turns it into [`SeatEvent`]s, a separate type in which
//! the only card identities are the ones the viewer may see.

use serde::{Deserialize, Serialize};

use super::state::Outcome;
use crate::ids::{CardId, EntityId, Keywords, Seat};

/// Who is looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Viewer {
    /// A player.
    Seat(Seat),
    /// Anyone else: public information only.
    Spectator,
}

/// The visibility policy, in one place: may `viewer` see the hidden cards
/// (hand) owned by `owner`? Only the owner may; teammates, opponents and
/// spectators may not. Decks are hidden from everyone, owner included.
pub fn can_see(viewer: Viewer, owner: Seat) -> bool {
    matches!(viewer, Viewer::Seat(s) if s == owner)
}

/// Everything visible to every viewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PublicEvent {
    /// A seat's turn began.
    TurnStarted { seat: Seat, turn: u32 },
    /// A seat's turn ended.
    TurnEnded { seat: Seat },
    /// A seat's moonlight changed.
    Moonlight { seat: Seat, current: i32, max: i32 },
    /// A card was drawn into a full hand and destroyed (revealed).
    CardBurned { seat: Seat, card: CardId },
    /// Drawing from an empty deck hurt.
    Fatigue { seat: Seat, damage: i32 },
    /// A card left a hand and was played (revealed).
    CardPlayed {
        seat: Seat,
        handle: EntityId,
        card: CardId,
        target: Option<EntityId>,
        /// The option chosen ("choose one"), 0-based.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        choice: Option<u32>,
    },
    /// A unit entered the board.
    UnitSummoned {
        seat: Seat,
        unit: EntityId,
        card: CardId,
        attack: i32,
        health: i32,
        keywords: Keywords,
    },
    /// A unit attacked.
    Attacked {
        attacker: EntityId,
        target: EntityId,
    },
    /// A character took damage.
    Damaged {
        target: EntityId,
        amount: i32,
        health: i32,
    },
    /// A character was healed.
    Healed {
        target: EntityId,
        amount: i32,
        health: i32,
    },
    /// A shield absorbed damage and broke.
    ShieldBroken { unit: EntityId },
    /// A unit's stats changed.
    StatsChanged {
        unit: EntityId,
        attack: i32,
        health: i32,
        max_health: i32,
    },
    /// A unit's keywords changed.
    KeywordsChanged { unit: EntityId, keywords: Keywords },
    /// A unit was silenced.
    Silenced { unit: EntityId },
    /// A unit became another (it gets a new id).
    Transformed {
        unit: EntityId,
        into: EntityId,
        card: CardId,
        attack: i32,
        health: i32,
        keywords: Keywords,
    },
    /// A unit went back to its owner's hand (it was public, so the card is shown).
    ReturnedToHand {
        unit: EntityId,
        seat: Seat,
        handle: EntityId,
        card: CardId,
    },
    /// A card was discarded from a hand (revealed).
    Discarded {
        seat: Seat,
        handle: EntityId,
        card: CardId,
    },
    /// A unit died.
    Died {
        unit: EntityId,
        seat: Seat,
        card: CardId,
    },
    /// A hero reached 0 health.
    HeroDefeated { seat: Seat },
    /// A trigger did not resolve: the chain was too deep or too long (loop guard).
    TriggerLimit { source: EntityId },
    /// A seat kept (empty list) or replaced opening cards (handles it gave back).
    Mulligan { seat: Seat, replaced: Vec<EntityId> },
    /// A seat conceded.
    Conceded { seat: Seat },
    /// A seat's turn timer ran out; its turn ends.
    TimedOut { seat: Seat },
    /// A seat was forfeited by the server (e.g. never came back).
    Forfeited { seat: Seat },
    /// The game ended.
    GameOver { outcome: Outcome },
    /// A hero's armor changed.
    ArmorChanged { seat: Seat, armor: i32 },
    /// A unit was frozen: it cannot attack until the end of its controller's next turn.
    Frozen { unit: EntityId },
    /// A frozen unit thawed.
    Thawed { unit: EntityId },
    /// A unit changed sides.
    ControlChanged { unit: EntityId, seat: Seat },
    /// A secret sprang: revealed, it resolves and goes to the graveyard.
    SecretRevealed {
        seat: Seat,
        handle: EntityId,
        card: CardId,
    },
    /// A seat used its hero power.
    PowerUsed {
        seat: Seat,
        card: CardId,
        target: Option<EntityId>,
        choice: Option<u32>,
    },
}

/// The full record of one happening (server side).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Visible to all.
    Public(PublicEvent),
    /// A seat drew a card (only the owner sees which).
    CardDrawn {
        seat: Seat,
        handle: EntityId,
        card: CardId,
    },
    /// An effect put a card into a seat's hand (only the owner sees which).
    CardGenerated {
        seat: Seat,
        handle: EntityId,
        card: CardId,
    },
    /// A seat played a secret face down (only the owner sees which).
    SecretSet {
        seat: Seat,
        handle: EntityId,
        card: CardId,
    },
}

/// An event as one viewer may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeatEvent {
    /// Visible to all.
    Public(PublicEvent),
    /// A seat drew a card; `card` only for its owner.
    CardDrawn {
        seat: Seat,
        handle: EntityId,
        card: Option<CardId>,
    },
    /// A card was put into a seat's hand; `card` only for its owner.
    CardGenerated {
        seat: Seat,
        handle: EntityId,
        card: Option<CardId>,
    },
    /// A seat set a secret; `card` only for its owner.
    SecretSet {
        seat: Seat,
        handle: EntityId,
        card: Option<CardId>,
    },
}

/// Filters events for one viewer.
pub fn events_for(viewer: Viewer, events: &[Event]) -> Vec<SeatEvent> {
    events
        .iter()
        .map(|e| match e {
            Event::Public(p) => SeatEvent::Public(p.clone()),
            Event::CardDrawn { seat, handle, card } => SeatEvent::CardDrawn {
                seat: *seat,
                handle: *handle,
                card: can_see(viewer, *seat).then(|| card.clone()),
            },
            Event::CardGenerated { seat, handle, card } => SeatEvent::CardGenerated {
                seat: *seat,
                handle: *handle,
                card: can_see(viewer, *seat).then(|| card.clone()),
            },
            Event::SecretSet { seat, handle, card } => SeatEvent::SecretSet {
                seat: *seat,
                handle: *handle,
                card: can_see(viewer, *seat).then(|| card.clone()),
            },
        })
        .collect()
}
