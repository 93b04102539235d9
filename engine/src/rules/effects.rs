//! Interpreting abilities: conditions, target selection and each effect.

use super::Ctx;
use super::actions::{collect_targets, matches_target, side_ok};
use super::events::{Event, PublicEvent};
use super::state::{CardRef, CostMod, HandCard, Loc, Unit};
use super::triggers::Pending;
use crate::content::schema::{
    Amount, CardFilter, CardKind, Condition, CopyTo, Counter, Duration, Effect, Keyword, Pick,
    Side, Target, Trigger,
};
use crate::ids::{EntityId, Seat};

impl Ctx<'_> {
    /// Resolves one pending ability: source check, condition, effects in order.
    pub(crate) fn run_ability(&mut self, p: &Pending) {
        let content = self.content;
        let Some(ability) = content
            .def(p.card)
            .and_then(|d| d.abilities.get(usize::from(p.ability)))
        else {
            return;
        };
        if !self.source_alive(p, ability.trigger) {
            return;
        }
        if let Some(c) = &ability.condition
            && !self.condition_holds(usize::from(p.controller), c)
        {
            return;
        }
        self.apply_effects(p, &ability.effects);
    }

    /// Applies `effects` in order, stopping if the game ends.
    fn apply_effects(&mut self, p: &Pending, effects: &[Effect]) {
        for effect in effects {
            if self.st.outcome.is_some() {
                return;
            }
            self.apply_effect(p, effect);
        }
    }

    /// What an amount comes to now, for `controller` (a count is never below 0).
    fn amount(&self, controller: usize, amount: &Amount) -> i32 {
        let count = match amount {
            Amount::Fixed(n) => return *n,
            Amount::Count(count) => count,
        };
        let st = &*self.st;
        let own = st.seats.get(controller);
        let counted = match count.count {
            Counter::Units => (0..st.seats.len())
                .filter(|&s| side_ok(st, controller, s, count.side))
                .filter_map(|s| st.seats.get(s))
                .map(|s| s.board.iter().filter(|u| !u.is_dead()).count() as i32)
                .sum(),
            Counter::HandSize => own.map_or(0, |s| s.hand.len() as i32),
            Counter::Moonlight => own.map_or(0, |s| s.max_moonlight),
            Counter::Armor => own.map_or(0, |s| s.armor),
            Counter::DeadUnits => own.map_or(0, |s| {
                s.graveyard
                    .iter()
                    .filter(|c| self.content.is_unit(c.card))
                    .count() as i32
            }),
        };
        (counted + count.plus).max(0)
    }

    fn condition_holds(&self, controller: usize, c: &Condition) -> bool {
        let (lo, hi) = c.bounds().unwrap_or_default();
        let within = |v: i32| lo.is_none_or(|l| v >= l) && hi.is_none_or(|h| v <= h);
        let st = &*self.st;
        match c {
            Condition::Units { side, .. } => {
                let n: usize = (0..st.seats.len())
                    .filter(|&s| side_ok(st, controller, s, *side))
                    .filter_map(|s| st.seats.get(s))
                    .map(|s| s.board.iter().filter(|u| !u.is_dead()).count())
                    .sum();
                within(n as i32)
            }
            Condition::HandSize { .. } => st
                .seats
                .get(controller)
                .is_some_and(|s| within(s.hand.len() as i32)),
            Condition::HeroHealth { side, .. } => st
                .seats
                .iter()
                .enumerate()
                .any(|(i, s)| !s.out && side_ok(st, controller, i, *side) && within(s.health)),
            Condition::Moonlight { .. } => st
                .seats
                .get(controller)
                .is_some_and(|s| within(s.max_moonlight)),
            Condition::All { of } => of.iter().all(|c| self.condition_holds(controller, c)),
            Condition::Any { of } => of.iter().any(|c| self.condition_holds(controller, c)),
        }
    }

    /// The characters `t` designates for pending ability `p`.
    fn select(&mut self, p: &Pending, t: &Target) -> Vec<EntityId> {
        let controller = usize::from(p.controller);
        let own_unit = self.st.unit(p.source).map(|u| u.id);
        match t.pick {
            Pick::Chosen => p
                .cause
                .chosen
                .filter(|&id| {
                    matches_target(self.content, self.st, controller, own_unit, t, id, false)
                })
                .into_iter()
                .collect(),
            Pick::This => own_unit
                .filter(|&id| matches_target(self.content, self.st, controller, None, t, id, false))
                .into_iter()
                .collect(),
            Pick::It => p
                .cause
                .it
                .filter(|&id| {
                    matches_target(self.content, self.st, controller, own_unit, t, id, false)
                })
                .into_iter()
                .collect(),
            Pick::All | Pick::Random => {
                let mut all =
                    collect_targets(self.content, self.st, controller, own_unit, t, false);
                if t.pick == Pick::Random {
                    // Partial Fisher–Yates: the first `count` are a uniform sample.
                    let n = (t.count as usize).min(all.len());
                    for i in 0..n {
                        let j = i + self.st.rng.below(all.len() - i);
                        all.swap(i, j);
                    }
                    all.truncate(n);
                }
                all
            }
        }
    }

    /// Seats designated by a `player` side, in turn order from the controller.
    fn players(&self, controller: usize, side: Side) -> Vec<usize> {
        self.st
            .order_from(controller)
            .filter(|&s| {
                side_ok(self.st, controller, s, side)
                    && self.st.seats.get(s).is_some_and(|x| !x.out)
            })
            .collect()
    }

    fn apply_effect(&mut self, p: &Pending, effect: &Effect) {
        let controller = usize::from(p.controller);
        let source_unit = self.st.unit(p.source).map(|u| u.id);
        let cap = self.content.rules().moonlight_cap;
        match effect {
            Effect::Damage { amount, target } => {
                let amount = self.amount(controller, amount);
                for id in self.select(p, target) {
                    self.damage(source_unit, id, amount);
                }
            }
            Effect::Heal { amount, target } => {
                let amount = self.amount(controller, amount);
                for id in self.select(p, target) {
                    self.heal(id, amount);
                }
            }
            Effect::Draw {
                count,
                player,
                matching,
            } => {
                for s in self.players(controller, *player) {
                    for _ in 0..*count {
                        match matching {
                            None => self.draw(s),
                            Some(filter) => self.draw_matching(s, filter),
                        }
                    }
                }
            }
            Effect::Discard { count, player } => {
                for s in self.players(controller, *player) {
                    for _ in 0..*count {
                        self.discard_random(s);
                    }
                }
            }
            Effect::GainMoonlight {
                amount,
                permanent,
                player,
            } => {
                for s in self.players(controller, *player) {
                    if let Some(seat) = self.st.seats.get_mut(s) {
                        if *permanent {
                            seat.max_moonlight =
                                seat.max_moonlight.saturating_add(*amount).min(cap);
                        }
                        seat.moonlight = seat.moonlight.saturating_add(*amount).min(cap);
                        let (current, max) = (seat.moonlight, seat.max_moonlight);
                        self.public(PublicEvent::Moonlight {
                            seat: Seat(s as u8),
                            current,
                            max,
                        });
                    }
                }
            }
            Effect::DrainMoonlight { amount, player } => {
                for s in self.players(controller, *player) {
                    if let Some(seat) = self.st.seats.get_mut(s) {
                        seat.max_moonlight = seat.max_moonlight.saturating_sub(*amount).max(0);
                        seat.moonlight = seat.moonlight.min(seat.max_moonlight);
                        let (current, max) = (seat.moonlight, seat.max_moonlight);
                        self.public(PublicEvent::Moonlight {
                            seat: Seat(s as u8),
                            current,
                            max,
                        });
                    }
                }
            }
            Effect::Buff {
                attack,
                health,
                this_turn,
                target,
            } => {
                for id in self.select(p, target) {
                    if let Some(u) = self.st.unit_mut(id) {
                        let before = u.attack;
                        u.attack = u.attack.saturating_add(*attack).max(0);
                        if *this_turn {
                            u.temp_attack += u.attack - before;
                        }
                        u.health = u.health.saturating_add(*health);
                        u.max_health = u.max_health.saturating_add(*health);
                        let e = u.stats_changed();
                        self.public(e);
                    }
                }
            }
            Effect::Summon { card, count } => {
                if let Some(idx) = self.content.idx(card) {
                    for _ in 0..*count {
                        self.summon_copy(controller, idx);
                    }
                }
            }
            Effect::SetStats {
                attack,
                health,
                target,
            } => {
                for id in self.select(p, target) {
                    if let Some(u) = self.st.unit_mut(id) {
                        if let Some(attack) = attack {
                            // The base is set; auras still apply, a buff for the turn is gone.
                            u.attack = attack + u.aura_attack;
                            u.temp_attack = 0;
                        }
                        if let Some(health) = health {
                            u.health = *health;
                            u.max_health = *health;
                        }
                        let e = u.stats_changed();
                        self.public(e);
                    }
                }
            }
            Effect::Resurrect { count } => {
                let mut dead: Vec<u16> = self
                    .st
                    .seats
                    .get(controller)
                    .map(|s| s.graveyard.iter().map(|c| c.card).collect())
                    .unwrap_or_default();
                dead.retain(|&card| self.content.is_unit(card));
                for _ in 0..*count {
                    if dead.is_empty() {
                        break;
                    }
                    let card = dead.swap_remove(self.st.rng.below(dead.len()));
                    self.summon_copy(controller, card);
                }
            }
            Effect::Shuffle {
                card,
                count,
                player,
            } => {
                if let Some(idx) = self.content.idx(card) {
                    for s in self.players(controller, *player) {
                        for _ in 0..*count {
                            let places = self.st.seats.get(s).map_or(0, |x| x.deck.len() + 1);
                            let at = self.st.rng.below(places);
                            if let Some(seat) = self.st.seats.get_mut(s) {
                                let copy = CardRef {
                                    card: idx,
                                    generated: true,
                                };
                                seat.deck.insert(at.min(seat.deck.len()), copy);
                            }
                        }
                    }
                }
            }
            Effect::Destroy { target } => {
                for id in self.select(p, target) {
                    if let Some(u) = self.st.unit_mut(id) {
                        u.doomed = true;
                    }
                }
            }
            Effect::ReturnToHand { target } => {
                for id in self.select(p, target) {
                    self.return_to_hand(id);
                }
            }
            Effect::Silence { target } => {
                for id in self.select(p, target) {
                    if let Some(u) = self.st.unit_mut(id) {
                        u.silenced = true;
                        u.keywords = crate::ids::Keywords::NONE;
                        self.public(PublicEvent::Silenced { unit: id });
                    }
                }
            }
            Effect::GiveKeyword { keyword, target } => {
                for id in self.select(p, target) {
                    if let Some(u) = self.st.unit_mut(id) {
                        u.keywords.insert(*keyword);
                        if *keyword == Keyword::Swift {
                            u.sleeping = false;
                        }
                        let keywords = u.keywords;
                        self.public(PublicEvent::KeywordsChanged { unit: id, keywords });
                    }
                }
            }
            Effect::Transform { card, target } => {
                if let Some(idx) = self.content.idx(card) {
                    for id in self.select(p, target) {
                        self.transform(id, idx);
                    }
                }
            }
            Effect::AddCard {
                card,
                count,
                player,
            } => {
                if let Some(idx) = self.content.idx(card) {
                    for s in self.players(controller, *player) {
                        for _ in 0..*count {
                            self.add_to_hand(
                                s,
                                CardRef {
                                    card: idx,
                                    generated: true,
                                },
                            );
                        }
                    }
                }
            }
            Effect::Armor { amount, player } => {
                let amount = self.amount(controller, amount);
                for s in self.players(controller, *player) {
                    self.gain_armor(s, amount);
                }
            }
            Effect::Freeze { target } => {
                for id in self.select(p, target) {
                    self.freeze(id);
                }
            }
            Effect::TakeControl { target } => {
                for id in self.select(p, target) {
                    self.take_control(controller, id);
                }
            }
            Effect::Copy { target, to } => {
                for id in self.select(p, target) {
                    let Some(card) = self.st.unit(id).map(|u| u.card.card) else {
                        continue;
                    };
                    match to {
                        CopyTo::Hand => self.add_to_hand(
                            controller,
                            CardRef {
                                card,
                                generated: true,
                            },
                        ),
                        CopyTo::Board => self.summon_copy(controller, card),
                    }
                }
            }
            Effect::ChangeCost {
                amount,
                matching,
                duration,
                player,
            } => {
                for s in self.players(controller, *player) {
                    if let Some(seat) = self.st.seats.get_mut(s) {
                        seat.cost_mods.push(CostMod {
                            amount: *amount,
                            matching: *matching,
                            next_only: *duration == Duration::Next,
                        });
                    }
                }
            }
            Effect::If {
                condition,
                then,
                otherwise,
            } => {
                if self.condition_holds(controller, condition) {
                    self.apply_effects(p, then);
                } else {
                    self.apply_effects(p, otherwise);
                }
            }
            Effect::Choose { options } => {
                let chosen = p.cause.choice.and_then(|c| options.get(c as usize));
                if let Some(option) = chosen {
                    self.apply_effects(p, option);
                }
            }
        }
    }

    /// Seat `s`'s hero gains `amount` armor.
    fn gain_armor(&mut self, s: usize, amount: i32) {
        let Some(seat) = self.st.seats.get_mut(s) else {
            return;
        };
        if amount <= 0 || seat.out {
            return;
        }
        seat.armor = seat.armor.saturating_add(amount);
        let armor = seat.armor;
        self.public(PublicEvent::ArmorChanged {
            seat: Seat(s as u8),
            armor,
        });
    }

    /// Unit `id` moves to `to`'s board (the right end), asleep unless swift, while there
    /// is room. It is no longer one of its owner's cards: it goes to its new side's
    /// graveyard as a generated card.
    fn take_control(&mut self, to: usize, id: EntityId) {
        let board_limit = self.content.rules().board_limit as usize;
        let Some(Loc::Unit(from, i)) = self.st.locate(id) else {
            return;
        };
        let room = self
            .st
            .seats
            .get(to)
            .is_some_and(|x| x.board.len() < board_limit);
        if from == to || !room {
            return;
        }
        let Some(seat) = self.st.seats.get_mut(from) else {
            return;
        };
        let mut u = seat.board.remove(i);
        if !u.card.generated {
            u.card.generated = true;
            seat.brought = seat.brought.saturating_sub(1);
        }
        u.sleeping = !u.keywords.has(Keyword::Swift);
        u.attacks_left = 1;
        if let Some(seat) = self.st.seats.get_mut(to) {
            seat.board.push(u);
        }
        self.public(PublicEvent::ControlChanged {
            unit: id,
            seat: Seat(to as u8),
        });
    }

    /// Draws the top card; an empty deck deals growing fatigue damage, a full
    /// hand burns the card.
    pub(crate) fn draw(&mut self, s: usize) {
        let Some(seat) = self.st.seats.get_mut(s) else {
            return;
        };
        let top = seat.deck.pop();
        self.take_drawn(s, top);
    }

    /// Draws a random card of the deck that `filter` accepts (nothing if none does: a
    /// tutor that misses deals no fatigue).
    fn draw_matching(&mut self, s: usize, filter: &CardFilter) {
        let content = self.content;
        let Some(seat) = self.st.seats.get(s) else {
            return;
        };
        let matches: Vec<usize> = (0..seat.deck.len())
            .filter(|&i| {
                seat.deck
                    .get(i)
                    .and_then(|c| content.def(c.card))
                    .is_some_and(|d| filter.accepts(d))
            })
            .collect();
        if matches.is_empty() {
            return;
        }
        let at = matches[self.st.rng.below(matches.len())];
        let card = self.st.seats.get_mut(s).map(|x| x.deck.remove(at));
        self.take_drawn(s, card);
    }

    /// A card drawn from the deck (or none: fatigue) goes to the hand, or burns.
    fn take_drawn(&mut self, s: usize, drawn: Option<CardRef>) {
        let Some(seat) = self.st.seats.get_mut(s) else {
            return;
        };
        match drawn {
            None => {
                seat.fatigue = seat.fatigue.saturating_add(1);
                let (damage, hero) = (seat.fatigue, seat.hero);
                self.public(PublicEvent::Fatigue {
                    seat: Seat(s as u8),
                    damage,
                });
                self.damage(None, hero, damage);
            }
            Some(card) => {
                let hand_limit = self.content.rules().hand_limit as usize;
                if seat.hand.len() >= hand_limit {
                    seat.graveyard.push(card);
                    let card = self.content.id_of(card.card);
                    self.public(PublicEvent::CardBurned {
                        seat: Seat(s as u8),
                        card,
                    });
                } else {
                    let id = self.st.fresh_id();
                    if let Some(seat) = self.st.seats.get_mut(s) {
                        seat.hand.push(HandCard { id, card });
                    }
                    self.events.push(Event::CardDrawn {
                        seat: Seat(s as u8),
                        handle: id,
                        card: self.content.id_of(card.card),
                    });
                    self.fire_board(s, Trigger::CardDrawn, None, None);
                }
            }
        }
    }

    /// Puts a created card into a hand (burned if full).
    pub(crate) fn add_to_hand(&mut self, s: usize, card: CardRef) {
        let hand_limit = self.content.rules().hand_limit as usize;
        let Some(seat) = self.st.seats.get_mut(s) else {
            return;
        };
        if seat.hand.len() >= hand_limit {
            seat.graveyard.push(card);
            let card = self.content.id_of(card.card);
            self.public(PublicEvent::CardBurned {
                seat: Seat(s as u8),
                card,
            });
            return;
        }
        let id = self.st.fresh_id();
        if let Some(seat) = self.st.seats.get_mut(s) {
            seat.hand.push(HandCard { id, card });
        }
        self.events.push(Event::CardGenerated {
            seat: Seat(s as u8),
            handle: id,
            card: self.content.id_of(card.card),
        });
    }

    fn discard_random(&mut self, s: usize) {
        let len = self.st.seats.get(s).map_or(0, |x| x.hand.len());
        if len == 0 {
            return;
        }
        let i = self.st.rng.below(len);
        let Some(seat) = self.st.seats.get_mut(s) else {
            return;
        };
        let h = seat.hand.remove(i);
        seat.graveyard.push(h.card);
        let card = self.content.id_of(h.card.card);
        self.public(PublicEvent::Discarded {
            seat: Seat(s as u8),
            handle: h.id,
            card,
        });
    }

    /// Puts a new unit on `seat`'s board (right end). `None` if the board is full.
    pub(crate) fn summon(&mut self, s: usize, card: CardRef) -> Option<EntityId> {
        let board_limit = self.content.rules().board_limit as usize;
        let def = self.content.def(card.card)?;
        if def.kind != CardKind::Unit || self.st.seats.get(s)?.board.len() >= board_limit {
            return None;
        }
        let id = self.st.fresh_id();
        let unit = self.new_unit(id, card);
        let seat = self.st.seats.get_mut(s)?;
        seat.board.push(unit);
        self.public(PublicEvent::UnitSummoned {
            seat: Seat(s as u8),
            unit: id,
            card: self.content.id_of(card.card),
            attack: unit.attack,
            health: unit.health,
            keywords: unit.keywords,
        });
        Some(id)
    }

    /// An effect summons a copy of `card` (a generated card) for seat `s`; the others on
    /// its board hear `ally_summoned`.
    fn summon_copy(&mut self, s: usize, card: u16) {
        let copy = CardRef {
            card,
            generated: true,
        };
        if let Some(id) = self.summon(s, copy) {
            self.fire_board(s, Trigger::AllySummoned, Some(id), Some(id));
        }
    }

    fn new_unit(&self, id: EntityId, card: CardRef) -> Unit {
        let def = self.content.def(card.card);
        let attack = def.and_then(|d| d.attack).unwrap_or(0);
        let health = def.and_then(|d| d.health).unwrap_or(1);
        let keywords = self.content.keywords_of(card.card);
        Unit {
            id,
            card,
            attack,
            health,
            max_health: health,
            keywords,
            silenced: false,
            sleeping: !keywords.has(Keyword::Swift),
            attacks_left: 1,
            doomed: false,
            frozen: 0,
            temp_attack: 0,
            aura_attack: 0,
        }
    }

    fn transform(&mut self, id: EntityId, into: u16) {
        let Some(Loc::Unit(s, i)) = self.st.locate(id) else {
            return;
        };
        if !self.content.is_unit(into) {
            return;
        }
        let new_id = self.st.fresh_id();
        let Some(old) = self.st.seats.get(s).and_then(|x| x.board.get(i)).copied() else {
            return;
        };
        let unit = self.new_unit(
            new_id,
            CardRef {
                card: into,
                generated: old.card.generated,
            },
        );
        if let Some(slot) = self.st.seats.get_mut(s).and_then(|x| x.board.get_mut(i)) {
            *slot = unit;
        }
        self.public(PublicEvent::Transformed {
            unit: id,
            into: new_id,
            card: self.content.id_of(into),
            attack: unit.attack,
            health: unit.health,
            keywords: unit.keywords,
        });
    }

    fn return_to_hand(&mut self, id: EntityId) {
        let Some(Loc::Unit(s, i)) = self.st.locate(id) else {
            return;
        };
        let hand_limit = self.content.rules().hand_limit as usize;
        let Some(seat) = self.st.seats.get_mut(s) else {
            return;
        };
        if i >= seat.board.len() {
            return;
        }
        let u = seat.board.remove(i);
        let card = self.content.id_of(u.card.card);
        if seat.hand.len() >= hand_limit {
            seat.graveyard.push(u.card);
            self.public(PublicEvent::CardBurned {
                seat: Seat(s as u8),
                card,
            });
            return;
        }
        let handle = self.st.fresh_id();
        if let Some(seat) = self.st.seats.get_mut(s) {
            seat.hand.push(HandCard {
                id: handle,
                card: u.card,
            });
        }
        self.public(PublicEvent::ReturnedToHand {
            unit: id,
            seat: Seat(s as u8),
            handle,
            card,
        });
    }
}
