//! Damage, healing and attacks, with the keywords that change them
//! (shield, venom, lifesteal, stealth).

use super::Ctx;
use super::events::PublicEvent;
use super::state::Loc;
use crate::content::schema::{Keyword, Trigger};
use crate::ids::{EntityId, Seat};

impl Ctx<'_> {
    /// Deals `amount` damage to `target`. `source` is the dealing unit, if a
    /// unit deals it (spells and fatigue have none): only units carry venom
    /// and lifesteal. Returns the damage actually dealt.
    pub(crate) fn damage(
        &mut self,
        source: Option<EntityId>,
        target: EntityId,
        amount: i32,
    ) -> i32 {
        if amount <= 0 {
            return 0;
        }
        let dealt = match self.st.locate(target) {
            None => return 0,
            Some(Loc::Hero(s)) => {
                let Some(seat) = self.st.seats.get_mut(s) else {
                    return 0;
                };
                // Armor takes what it can; the hero the rest.
                let absorbed = seat.armor.min(amount);
                seat.armor -= absorbed;
                let through = amount - absorbed;
                seat.health = seat.health.saturating_sub(through);
                let (health, armor) = (seat.health, seat.armor);
                if absorbed > 0 {
                    self.public(PublicEvent::ArmorChanged {
                        seat: Seat(s as u8),
                        armor,
                    });
                }
                if through > 0 {
                    self.public(PublicEvent::Damaged {
                        target,
                        amount: through,
                        health,
                    });
                }
                self.fire_board(s, Trigger::HeroDamaged, None, source);
                amount
            }
            Some(Loc::Unit(s, i)) => {
                let venom = source
                    .filter(|&src| src != target)
                    .and_then(|src| self.st.unit(src))
                    .is_some_and(|u| u.keywords.has(Keyword::Venom));
                let Some(u) = self.st.seats.get_mut(s).and_then(|x| x.board.get_mut(i)) else {
                    return 0;
                };
                if u.keywords.has(Keyword::Shield) {
                    u.keywords.remove(Keyword::Shield);
                    self.public(PublicEvent::ShieldBroken { unit: target });
                    return 0;
                }
                u.health = u.health.saturating_sub(amount);
                if venom {
                    u.doomed = true;
                }
                let health = u.health;
                self.public(PublicEvent::Damaged {
                    target,
                    amount,
                    health,
                });
                // Queued now, resolved after deaths: only a survivor reacts.
                self.fire_unit(target, Trigger::OnDamaged, source);
                amount
            }
        };
        if let Some(src) = source {
            let lifesteal = self
                .st
                .unit(src)
                .is_some_and(|u| u.keywords.has(Keyword::Lifesteal));
            if lifesteal
                && let Some(Loc::Unit(s, _)) = self.st.locate(src)
                && let Some(hero) = self.st.seats.get(s).map(|x| x.hero)
            {
                self.heal(hero, dealt);
            }
        }
        dealt
    }

    /// Restores up to `amount` health, never above the maximum.
    pub(crate) fn heal(&mut self, target: EntityId, amount: i32) {
        let (health, max) = match self.st.locate(target) {
            Some(Loc::Hero(s)) => match self.st.seats.get_mut(s) {
                Some(seat) if !seat.out => (&mut seat.health, seat.max_health),
                _ => return,
            },
            Some(Loc::Unit(s, i)) => {
                match self.st.seats.get_mut(s).and_then(|x| x.board.get_mut(i)) {
                    Some(u) if !u.is_dead() => (&mut u.health, u.max_health),
                    _ => return,
                }
            }
            None => return,
        };
        let healed = max.saturating_sub(*health).clamp(0, amount.max(0));
        if healed == 0 {
            return;
        }
        *health += healed;
        let health = *health;
        self.public(PublicEvent::Healed {
            target,
            amount: healed,
            health,
        });
    }

    /// An attack: `on_attack` triggers resolve first; if both are still
    /// standing, they deal damage to each other simultaneously.
    pub(crate) fn attack(&mut self, seat: usize, attacker_idx: usize, target: EntityId) {
        let Some(u) = self
            .st
            .seats
            .get_mut(seat)
            .and_then(|s| s.board.get_mut(attacker_idx))
        else {
            return;
        };
        u.attacks_left = u.attacks_left.saturating_sub(1);
        let attacker = u.id;
        if u.keywords.has(Keyword::Stealth) {
            u.keywords.remove(Keyword::Stealth);
            let keywords = u.keywords;
            self.public(PublicEvent::KeywordsChanged {
                unit: attacker,
                keywords,
            });
        }
        self.public(PublicEvent::Attacked { attacker, target });
        self.fire_unit(attacker, Trigger::OnAttack, Some(target));
        self.fire_enemies(seat, Trigger::EnemyAttacks, Some(attacker));
        self.resolve();
        if self.st.outcome.is_some() {
            return;
        }
        let Some(a) = self.st.unit(attacker).filter(|u| !u.is_dead()).copied() else {
            return;
        };
        let counter = match self.st.locate(target) {
            Some(Loc::Hero(s)) if self.st.seats.get(s).is_some_and(|x| !x.out) => 0,
            Some(Loc::Unit(..)) => match self.st.unit(target) {
                Some(t) if !t.is_dead() => t.attack,
                _ => return,
            },
            _ => return,
        };
        self.damage(Some(attacker), target, a.attack);
        if counter > 0 {
            self.damage(Some(target), attacker, counter);
        }
        self.resolve();
    }
}
