//! What lasts beyond one effect: auras kept up to date as boards change, and what ends
//! with a turn (attack given "this turn", cost changes for the turn, frozen units thawing).

use super::Ctx;
use super::actions::matches_target;
use super::events::PublicEvent;
use crate::content::schema::Aura;
use crate::ids::EntityId;

impl Ctx<'_> {
    /// Brings every unit's aura attack in line with the auras on the board now: each
    /// living, unsilenced unit's `attack` auras give their amount to the units they
    /// target. Runs before every trigger resolves and when the queue is empty, so
    /// combat, targets and views always see the board's auras.
    pub(crate) fn refresh_auras(&mut self) {
        if !self.content.has_attack_auras() {
            return;
        }
        let content = self.content;
        let mut wanted: Vec<(EntityId, i32)> = Vec::new();
        for (owner, seat) in self.st.seats.iter().enumerate() {
            for source in seat.board.iter().filter(|u| !u.silenced && !u.is_dead()) {
                for aura in content.def(source.card.card).map_or(&[][..], |d| &d.auras) {
                    let Aura::Attack { amount, target } = aura else {
                        continue;
                    };
                    for s in &self.st.seats {
                        for u in &s.board {
                            if matches_target(
                                content,
                                self.st,
                                owner,
                                Some(source.id),
                                target,
                                u.id,
                                false,
                            ) {
                                wanted.push((u.id, *amount));
                            }
                        }
                    }
                }
            }
        }
        let mut changed = Vec::new();
        for seat in &mut self.st.seats {
            for u in &mut seat.board {
                let total: i32 = wanted
                    .iter()
                    .filter(|(id, _)| *id == u.id)
                    .map(|(_, a)| a)
                    .sum();
                if total != u.aura_attack {
                    u.attack = (u.attack + total - u.aura_attack).max(0);
                    u.aura_attack = total;
                    changed.push(PublicEvent::StatsChanged {
                        unit: u.id,
                        attack: u.attack,
                        health: u.health,
                        max_health: u.max_health,
                    });
                }
            }
        }
        for e in changed {
            self.public(e);
        }
    }

    /// Seat `s`'s turn ends: attack given for the turn fades (every board), cost changes
    /// for the turn end (every seat), and `s`'s frozen units come one turn closer to
    /// thawing.
    pub(crate) fn expire_turn(&mut self, s: usize) {
        let mut events = Vec::new();
        for (i, seat) in self.st.seats.iter_mut().enumerate() {
            seat.cost_mods.retain(|m| m.next_only);
            for u in &mut seat.board {
                if u.temp_attack != 0 {
                    u.attack = (u.attack - u.temp_attack).max(0);
                    u.temp_attack = 0;
                    events.push(PublicEvent::StatsChanged {
                        unit: u.id,
                        attack: u.attack,
                        health: u.health,
                        max_health: u.max_health,
                    });
                }
                if i == s && u.frozen > 0 {
                    u.frozen -= 1;
                    if u.frozen == 0 {
                        events.push(PublicEvent::Thawed { unit: u.id });
                    }
                }
            }
        }
        for e in events {
            self.public(e);
        }
    }

    /// Freezes unit `id`: it misses its controller's next turn of attacks (the rest of
    /// this one too, if it is frozen during its controller's turn).
    pub(crate) fn freeze(&mut self, id: EntityId) {
        let active = usize::from(self.st.active);
        let Some(super::state::Loc::Unit(s, i)) = self.st.locate(id) else {
            return;
        };
        let Some(u) = self.st.seats.get_mut(s).and_then(|x| x.board.get_mut(i)) else {
            return;
        };
        // The end of this turn counts if it is the controller's own: wait one more.
        u.frozen = if s == active { 2 } else { 1 };
        self.public(PublicEvent::Frozen { unit: id });
    }
}
