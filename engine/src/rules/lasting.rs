//! What lasts beyond one effect: auras kept up to date as boards change, and what ends
//! with a turn (attack given "this turn", cost changes for the turn, frozen units thawing).

use super::Ctx;
use super::actions::matches_target;
use super::events::PublicEvent;
use super::state::Unit;
use crate::content::schema::{Aura, Target};
use crate::ids::EntityId;

impl Ctx<'_> {
    /// Brings every unit's aura attack in line with the auras on the board now: each
    /// living, unsilenced unit's `attack` auras give their amount to the units they
    /// target. Runs before every trigger resolves and when the queue is empty, so
    /// combat, targets and views always see the board's auras.
    pub(crate) fn refresh_auras(&mut self) {
        let content = self.content;
        let is_source =
            |u: &Unit| !u.silenced && !u.is_dead() && content.has_attack_aura(u.card.card);
        let boards = || self.st.seats.iter().flat_map(|s| s.board.iter());
        // Fast path (the usual case): no aura on the board and none to take back.
        if !boards().any(|u| is_source(u) || u.aura_attack != 0) {
            return;
        }
        let mut sources: Vec<(usize, EntityId, &Target, i32)> = Vec::new();
        for (owner, seat) in self.st.seats.iter().enumerate() {
            for u in seat.board.iter().filter(|u| is_source(u)) {
                for aura in content.def(u.card.card).map_or(&[][..], |d| &d.auras) {
                    if let Aura::Attack { amount, target } = aura {
                        sources.push((owner, u.id, target, *amount));
                    }
                }
            }
        }
        let mut changed = Vec::new();
        let ids: Vec<EntityId> = boards().map(|u| u.id).collect();
        for id in ids {
            let total: i32 = sources
                .iter()
                .filter(|(owner, source, target, _)| {
                    matches_target(content, self.st, *owner, Some(*source), target, id, false)
                })
                .map(|(.., amount)| amount)
                .sum();
            if let Some(u) = self.st.unit_mut(id)
                && total != u.aura_attack
            {
                u.attack = (u.attack + total - u.aura_attack).max(0);
                u.aura_attack = total;
                changed.push(u.stats_changed());
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
                    events.push(u.stats_changed());
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
