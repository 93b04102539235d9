//! The trigger queue, death resolution and the end-of-game check.
//!
//! See the resolution order in [`super`]'s module docs: one FIFO queue, deaths
//! resolved before every trigger (i.e. after each batch), a depth cap and a
//! per-input cap against loops.

use std::collections::VecDeque;

use super::Ctx;
use super::events::{Event, PublicEvent};
use super::state::{EndReason, HandCard, Outcome};
use crate::content::schema::{CardKind, Trigger};
use crate::ids::{EntityId, Seat};

/// What the player chose and what the trigger is about: the context an ability
/// resolves in besides its card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Cause {
    /// The character the player chose when playing the card.
    pub chosen: Option<EntityId>,
    /// The option the player chose (`choose`).
    pub choice: Option<u32>,
    /// The character the trigger is about (`pick = "it"`).
    pub it: Option<EntityId>,
}

impl Cause {
    /// A card (or power) played on `chosen` with option `choice`.
    pub(crate) fn played(chosen: Option<EntityId>, choice: Option<u32>) -> Self {
        Cause {
            chosen,
            choice,
            it: None,
        }
    }

    /// A trigger about `it`.
    pub(crate) fn about(it: Option<EntityId>) -> Self {
        Cause {
            it,
            ..Cause::default()
        }
    }
}

/// A trigger waiting to resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pending {
    /// The unit (or played card handle, secret, hero for a power) whose ability this is.
    pub source: EntityId,
    pub controller: u8,
    pub card: u16,
    pub ability: u8,
    pub cause: Cause,
    /// How many triggers led to this one (0 for those the input itself queued).
    pub depth: u8,
}

/// A trigger chain deeper than this is cut (loop guard).
pub(crate) const MAX_DEPTH: u8 = 12;
/// At most this many triggers resolve per input (loop guard for wide chains).
pub(crate) const MAX_TRIGGERS: u32 = 400;

impl Ctx<'_> {
    /// Queues `card`'s abilities with trigger `trig`, owned by `controller`.
    pub(crate) fn fire(
        &mut self,
        controller: usize,
        source: EntityId,
        card: u16,
        trig: Trigger,
        cause: Cause,
    ) {
        if !self.content.listens(card, trig) {
            return;
        }
        let Some(def) = self.content.def(card) else {
            return;
        };
        for (i, a) in def.abilities.iter().enumerate() {
            if a.trigger == trig {
                self.queue.push_back(Pending {
                    source,
                    controller: controller as u8,
                    card,
                    ability: i.min(usize::from(u8::MAX)) as u8,
                    cause,
                    depth: self.depth,
                });
            }
        }
    }

    /// Queues a unit's own trigger (about `it`), unless it is silenced.
    pub(crate) fn fire_unit(&mut self, unit: EntityId, trig: Trigger, it: Option<EntityId>) {
        let Some(super::state::Loc::Unit(s, i)) = self.st.locate(unit) else {
            return;
        };
        let Some(u) = self.st.seats.get(s).and_then(|x| x.board.get(i)) else {
            return;
        };
        if !u.silenced {
            let card = u.card.card;
            self.fire(s, unit, card, trig, Cause::about(it));
        }
    }

    /// Queues `trig` (about `it`) for every unsilenced unit on `seat`'s board, left to
    /// right, then springs the seat's secrets that wait for it.
    pub(crate) fn fire_board(
        &mut self,
        seat: usize,
        trig: Trigger,
        except: Option<EntityId>,
        it: Option<EntityId>,
    ) {
        let len = self.st.seats.get(seat).map_or(0, |s| s.board.len());
        // Index loop over copies: firing only queues, the board does not change.
        for i in 0..len {
            let Some(u) = self
                .st
                .seats
                .get(seat)
                .and_then(|s| s.board.get(i))
                .copied()
            else {
                return;
            };
            if !u.silenced && Some(u.id) != except && !u.is_dead() {
                self.fire(seat, u.id, u.card.card, trig, Cause::about(it));
            }
        }
        self.spring_secrets(seat, trig, it);
    }

    /// Queues `trig` (about `it`) for every seat of another team than `seat`'s.
    pub(crate) fn fire_enemies(&mut self, seat: usize, trig: Trigger, it: Option<EntityId>) {
        let order: Vec<usize> = self.st.order_from(seat).collect();
        for other in order {
            if !self.st.same_team(other, seat) {
                self.fire_board(other, trig, None, it);
            }
        }
    }

    /// During an opponent's turn, every secret of `seat` with an ability for `trig` is
    /// revealed, goes to the graveyard and queues that ability.
    fn spring_secrets(&mut self, seat: usize, trig: Trigger, it: Option<EntityId>) {
        let active = usize::from(self.st.active);
        let content = self.content;
        if self.st.same_team(seat, active) {
            return;
        }
        let Some(s) = self.st.seats.get_mut(seat) else {
            return;
        };
        if s.secrets.is_empty() {
            return;
        }
        let waits = |card: u16| content.listens(card, trig);
        let (sprung, kept): (Vec<HandCard>, Vec<HandCard>) =
            s.secrets.iter().partition(|h| waits(h.card.card));
        if sprung.is_empty() {
            return;
        }
        s.secrets = kept;
        s.graveyard.extend(sprung.iter().map(|h| h.card));
        for secret in sprung {
            self.public(PublicEvent::SecretRevealed {
                seat: Seat(seat as u8),
                handle: secret.id,
                card: content.id_of(secret.card.card),
            });
            self.fire(seat, secret.id, secret.card.card, trig, Cause::about(it));
        }
    }

    /// A unit of `owner` died: every living unit of another team hears `enemy_died`, every
    /// other of its team `ally_died`, seats in turn order from the active one.
    fn fire_death_watchers(&mut self, owner: usize) {
        let order: Vec<usize> = self.st.order_from(usize::from(self.st.active)).collect();
        for seat in order {
            let trig = if self.st.same_team(seat, owner) {
                Trigger::AllyDied
            } else {
                Trigger::EnemyDied
            };
            self.fire_board(seat, trig, None, None);
        }
    }

    /// Resolves the queue to empty: deaths first, then the oldest trigger, again.
    pub(crate) fn resolve(&mut self) {
        loop {
            self.resolve_deaths();
            self.refresh_auras();
            if self.st.outcome.is_some() {
                self.queue.clear();
                return;
            }
            let Some(p) = self.queue.pop_front() else {
                return;
            };
            if p.depth >= MAX_DEPTH || self.resolved >= MAX_TRIGGERS {
                self.public(PublicEvent::TriggerLimit { source: p.source });
                continue;
            }
            self.resolved += 1;
            let saved = self.depth;
            self.depth = p.depth.saturating_add(1);
            self.run_ability(&p);
            self.depth = saved;
        }
    }

    /// Removes dead units (seats in turn order from the active seat, boards
    /// left to right), queues their `on_death`, then marks defeated heroes
    /// and checks for the end of the game.
    pub(crate) fn resolve_deaths(&mut self) {
        // Fast path: this runs before every trigger, and usually nothing died.
        let anything = self
            .st
            .seats
            .iter()
            .any(|s| (!s.out && s.health <= 0) || s.board.iter().any(|u| u.is_dead()));
        if !anything {
            return;
        }
        let active = usize::from(self.st.active);
        let order: Vec<usize> = self.st.order_from(active).collect();
        for s in order {
            let Some(seat) = self.st.seats.get_mut(s) else {
                continue;
            };
            if !seat.board.iter().any(|u| u.is_dead()) {
                continue;
            }
            let mut dead = Vec::new();
            seat.board.retain(|u| {
                if u.is_dead() {
                    dead.push(*u);
                    false
                } else {
                    true
                }
            });
            for u in dead {
                if let Some(seat) = self.st.seats.get_mut(s) {
                    seat.graveyard.push(u.card);
                }
                let card = self.content.id_of(u.card.card);
                self.public(PublicEvent::Died {
                    unit: u.id,
                    seat: Seat(s as u8),
                    card,
                });
                if !u.silenced {
                    self.fire(s, u.id, u.card.card, Trigger::OnDeath, Cause::default());
                }
                self.fire_death_watchers(s);
            }
        }
        let mut defeated = false;
        for s in 0..self.st.seats.len() {
            let Some(seat) = self.st.seats.get_mut(s) else {
                continue;
            };
            if !seat.out && seat.health <= 0 {
                seat.out = true;
                defeated = true;
                self.public(PublicEvent::HeroDefeated {
                    seat: Seat(s as u8),
                });
            }
        }
        if defeated {
            self.check_game_over(EndReason::HeroDefeated);
        }
    }

    /// Ends the game if at most one team is left.
    pub(crate) fn check_game_over(&mut self, reason: EndReason) {
        if self.st.outcome.is_some() {
            return;
        }
        let mut teams: Vec<u8> = self
            .st
            .seats
            .iter()
            .filter(|s| !s.out)
            .map(|s| s.team)
            .collect();
        teams.sort_unstable();
        teams.dedup();
        if teams.len() > 1 {
            return;
        }
        let winners = match teams.first() {
            Some(&team) => self
                .st
                .seats
                .iter()
                .enumerate()
                .filter(|(_, s)| s.team == team)
                .map(|(i, _)| Seat(i as u8))
                .collect(),
            None => Vec::new(),
        };
        self.finish(Outcome { winners, reason });
    }

    pub(crate) fn finish(&mut self, outcome: Outcome) {
        self.st.outcome = Some(outcome.clone());
        self.queue.clear();
        self.public(PublicEvent::GameOver { outcome });
    }

    pub(crate) fn public(&mut self, e: PublicEvent) {
        self.events.push(Event::Public(e));
    }

    /// Whether a pending trigger's source may still act.
    pub(crate) fn source_alive(&self, p: &super::triggers::Pending, trig: Trigger) -> bool {
        let is_unit = self
            .content
            .def(p.card)
            .is_some_and(|d| d.kind == CardKind::Unit);
        if !is_unit || trig == Trigger::OnDeath {
            return true;
        }
        self.st
            .unit(p.source)
            .is_some_and(|u| !u.is_dead() && !u.silenced)
    }
}

/// A fresh, empty queue.
pub(crate) fn new_queue() -> VecDeque<Pending> {
    VecDeque::new()
}
