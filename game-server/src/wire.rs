//! Translation between the engine's types and the protobuf wire types. The engine's view
//! and event types already hold only what a viewer may see; this only changes their shape.

use moonlight_engine::{
    Action, CardId, EntityId, Game, HandCardView, Keywords, Outcome, PublicEvent, Rejection, Seat,
    SeatEvent, SeatPublicView, SeatView, UnitView,
};
use moonlight_proto::v1 as pb;

pub fn view(view: &SeatView) -> pb::View {
    pb::View {
        turn: view.turn,
        active_seat: seat(view.active),
        seats: view.seats.iter().map(seat_state).collect(),
        hand: view.hand.iter().map(hand_card).collect(),
        outcome: view.outcome.as_ref().map(outcome),
        hands: Vec::new(),
        own_secrets: cards(&view.own_secrets),
    }
}

/// What turns the view of `before` into the view of `next`: the delta
/// `view(before).delta_to(&view(next))` (the protocol's definition), made from the
/// engine's views without building the protocol's. A room makes one for each seat after
/// each action, and most of what a view holds has not changed.
pub fn view_delta(before: &SeatView, next: &SeatView) -> pb::ViewDelta {
    let mut delta = pb::ViewDelta {
        turn: next.turn,
        active_seat: seat(next.active),
        outcome: next
            .outcome
            .as_ref()
            .filter(|_| next.outcome != before.outcome)
            .map(outcome),
        ..pb::ViewDelta::default()
    };
    for after in &next.seats {
        let was = before.seats.iter().find(|s| s.seat == after.seat);
        if was.is_none_or(|was| !same_but_graveyard(was, after)) {
            delta.seats.push(seat_state_but_graveyard(after));
        }
        let old = was.map_or(&[][..], |was| &was.graveyard[..]);
        if old != after.graveyard.as_slice() {
            let keep = old
                .iter()
                .zip(&after.graveyard)
                .take_while(|(a, b)| a == b)
                .count();
            delta.graveyards.push(pb::GraveyardChange {
                seat: seat(after.seat),
                keep: u32::try_from(keep).unwrap_or(u32::MAX),
                cards: cards(&after.graveyard[keep..]),
            });
        }
    }
    if before.hand != next.hand {
        delta.hand = Some(pb::Hand {
            seat: 0,
            cards: next.hand.iter().map(hand_card).collect(),
        });
    }
    if before.own_secrets != next.own_secrets {
        delta.own_secrets = Some(pb::Secrets {
            cards: cards(&next.own_secrets),
        });
    }
    delta
}

/// Every seat's hand, for those who may see them all: an admin's full view, a finished
/// match's replay.
pub fn hands(game: &Game, seats: usize) -> Vec<pb::Hand> {
    every_hand(game, seats).iter().map(hand).collect()
}

/// Every seat's hand, as the engine shows it to that seat.
pub(crate) fn every_hand(game: &Game, seats: usize) -> Vec<(Seat, Vec<HandCardView>)> {
    (0..=u8::MAX)
        .map(Seat)
        .take(seats)
        .map(|s| (s, game.view_for(s).hand))
        .collect()
}

/// One seat's hand, as every-hand views carry it.
pub(crate) fn hand((s, cards): &(Seat, Vec<HandCardView>)) -> pb::Hand {
    pb::Hand {
        seat: seat(*s),
        cards: cards.iter().map(hand_card).collect(),
    }
}

fn seat_state(s: &SeatPublicView) -> pb::SeatState {
    pb::SeatState {
        graveyard: cards(&s.graveyard),
        ..seat_state_but_graveyard(s)
    }
}

/// A seat's state with an empty graveyard: a delta sends what changed of a graveyard apart.
fn seat_state_but_graveyard(s: &SeatPublicView) -> pb::SeatState {
    pb::SeatState {
        seat: seat(s.seat),
        team: u32::from(s.team),
        hero: s.hero.0,
        health: s.health,
        max_health: s.max_health,
        moonlight: s.moonlight,
        max_moonlight: s.max_moonlight,
        deck_count: s.deck_count,
        hand: s.hand.iter().map(|h| h.0).collect(),
        board: s.board.iter().map(unit).collect(),
        graveyard: Vec::new(),
        fatigue: s.fatigue,
        out: s.out,
        choosing_opening_hand: s.mulligan,
        armor: s.armor,
        secrets: s.secrets,
        hero_power: s.power.as_ref().map(|c| c.as_str().to_owned()),
        hero_power_used: s.power_used,
    }
}

/// Whether two states of a seat differ in their graveyards at most. Every field is named,
/// so a new one cannot be left out of the comparison unnoticed.
fn same_but_graveyard(a: &SeatPublicView, b: &SeatPublicView) -> bool {
    let SeatPublicView {
        seat,
        team,
        hero,
        health,
        max_health,
        moonlight,
        max_moonlight,
        deck_count,
        hand,
        board,
        graveyard: _,
        fatigue,
        out,
        mulligan,
        armor,
        secrets,
        power,
        power_used,
    } = a;
    *seat == b.seat
        && *team == b.team
        && *hero == b.hero
        && *health == b.health
        && *max_health == b.max_health
        && *moonlight == b.moonlight
        && *max_moonlight == b.max_moonlight
        && *deck_count == b.deck_count
        && *hand == b.hand
        && *board == b.board
        && *fatigue == b.fatigue
        && *out == b.out
        && *mulligan == b.mulligan
        && *armor == b.armor
        && *secrets == b.secrets
        && *power == b.power
        && *power_used == b.power_used
}

fn cards(ids: &[CardId]) -> Vec<String> {
    ids.iter().map(|c| c.as_str().to_owned()).collect()
}

fn unit(u: &UnitView) -> pb::Unit {
    pb::Unit {
        id: u.id.0,
        card: u.card.as_str().to_owned(),
        attack: u.attack,
        health: u.health,
        max_health: u.max_health,
        keywords: keywords(u.keywords),
        silenced: u.silenced,
        ready: u.ready,
        frozen: u.frozen,
    }
}

fn hand_card(h: &HandCardView) -> pb::HandCard {
    pb::HandCard {
        handle: h.handle.0,
        card: h.card.as_str().to_owned(),
        cost: h.cost,
    }
}

fn keywords(k: Keywords) -> Vec<String> {
    k.iter().map(|k| k.name().to_owned()).collect()
}

pub fn seat(s: Seat) -> u32 {
    u32::from(s.0)
}

pub fn outcome(o: &Outcome) -> pb::Outcome {
    pb::Outcome {
        winners: o.winners.iter().copied().map(seat).collect(),
        reason: o.reason.as_str().to_owned(),
    }
}

pub fn legal_action(action: &Action) -> pb::LegalAction {
    use pb::legal_action::Kind;
    let kind = match action {
        Action::PlayCard {
            card,
            target,
            choice,
        } => Kind::PlayCard(pb::PlayCard {
            card: card.0,
            target: target.map(|t| t.0),
            choice: *choice,
        }),
        Action::UsePower { target, choice } => Kind::UsePower(pb::UsePower {
            target: target.map(|t| t.0),
            choice: *choice,
        }),
        Action::Attack { attacker, target } => Kind::Attack(pb::Attack {
            attacker: attacker.0,
            target: target.0,
        }),
        Action::EndTurn => Kind::EndTurn(pb::EndTurn {}),
        Action::Mulligan { replace } => Kind::Mulligan(pb::Mulligan {
            replace: replace.iter().map(|h| h.0).collect(),
        }),
        Action::Concede => Kind::Concede(pb::Concede { client_seq: 0 }),
    };
    pb::LegalAction { kind: Some(kind) }
}

/// The engine action a client's `Action` frame asks for, if it names one.
pub fn action(kind: Option<&pb::action::Kind>) -> Option<Action> {
    use pb::action::Kind;
    Some(match kind? {
        Kind::PlayCard(p) => Action::PlayCard {
            card: EntityId(p.card),
            target: p.target.map(EntityId),
            choice: p.choice,
        },
        Kind::UsePower(p) => Action::UsePower {
            target: p.target.map(EntityId),
            choice: p.choice,
        },
        Kind::Attack(a) => Action::Attack {
            attacker: EntityId(a.attacker),
            target: EntityId(a.target),
        },
        Kind::EndTurn(_) => Action::EndTurn,
        Kind::Mulligan(m) => Action::Mulligan {
            replace: m.replace.iter().copied().map(EntityId).collect(),
        },
    })
}

/// A rejection's stable reason code (the `serde` tag the engine gives it).
pub fn rejection_reason(rejection: &Rejection) -> String {
    serde_json::to_value(rejection)
        .ok()
        .and_then(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "rejected".to_owned())
}

pub fn events(events: &[SeatEvent]) -> Vec<pb::Event> {
    events.iter().map(event).collect()
}

fn event(e: &SeatEvent) -> pb::Event {
    use pb::event::Kind;
    let hand_event = |s: &Seat, handle: &EntityId, card: Option<String>| pb::HandCardEvent {
        seat: seat(*s),
        handle: handle.0,
        card,
    };
    let kind = match e {
        SeatEvent::CardDrawn {
            seat: s,
            handle,
            card,
        } => Kind::CardDrawn(hand_event(
            s,
            handle,
            card.as_ref().map(|c| c.as_str().to_owned()),
        )),
        SeatEvent::CardGenerated {
            seat: s,
            handle,
            card,
        } => Kind::CardGenerated(hand_event(
            s,
            handle,
            card.as_ref().map(|c| c.as_str().to_owned()),
        )),
        SeatEvent::SecretSet {
            seat: s,
            handle,
            card,
        } => Kind::SecretSet(hand_event(
            s,
            handle,
            card.as_ref().map(|c| c.as_str().to_owned()),
        )),
        SeatEvent::Public(p) => public_event(p),
    };
    pb::Event { kind: Some(kind) }
}

fn public_event(p: &PublicEvent) -> pb::event::Kind {
    use pb::event::Kind;
    let seat_only = |s: &Seat| pb::SeatOnly { seat: seat(*s) };
    let unit_only = |u: &EntityId| pb::UnitOnly { unit: u.0 };
    match p {
        PublicEvent::TurnStarted { seat: s, turn } => Kind::TurnStarted(pb::TurnStarted {
            seat: seat(*s),
            turn: *turn,
        }),
        PublicEvent::TurnEnded { seat: s } => Kind::TurnEnded(seat_only(s)),
        PublicEvent::Moonlight {
            seat: s,
            current,
            max,
        } => Kind::Moonlight(pb::Moonlight {
            seat: seat(*s),
            current: *current,
            max: *max,
        }),
        PublicEvent::CardBurned { seat: s, card } => Kind::CardBurned(pb::SeatCard {
            seat: seat(*s),
            card: card.as_str().to_owned(),
        }),
        PublicEvent::Fatigue { seat: s, damage } => Kind::Fatigue(pb::Fatigue {
            seat: seat(*s),
            damage: *damage,
        }),
        PublicEvent::CardPlayed {
            seat: s,
            handle,
            card,
            target,
            choice,
        } => Kind::CardPlayed(pb::CardPlayed {
            seat: seat(*s),
            handle: handle.0,
            card: card.as_str().to_owned(),
            target: target.map(|t| t.0),
            choice: *choice,
        }),
        PublicEvent::UnitSummoned {
            seat: s,
            unit,
            card,
            attack,
            health,
            keywords: k,
        } => Kind::UnitSummoned(pb::UnitSummoned {
            seat: seat(*s),
            unit: unit.0,
            card: card.as_str().to_owned(),
            attack: *attack,
            health: *health,
            keywords: keywords(*k),
        }),
        PublicEvent::Attacked { attacker, target } => Kind::Attacked(pb::Attacked {
            attacker: attacker.0,
            target: target.0,
        }),
        PublicEvent::Damaged {
            target,
            amount,
            health,
        } => Kind::Damaged(pb::HealthChanged {
            target: target.0,
            amount: *amount,
            health: *health,
        }),
        PublicEvent::Healed {
            target,
            amount,
            health,
        } => Kind::Healed(pb::HealthChanged {
            target: target.0,
            amount: *amount,
            health: *health,
        }),
        PublicEvent::ShieldBroken { unit } => Kind::ShieldBroken(unit_only(unit)),
        PublicEvent::StatsChanged {
            unit,
            attack,
            health,
            max_health,
        } => Kind::StatsChanged(pb::StatsChanged {
            unit: unit.0,
            attack: *attack,
            health: *health,
            max_health: *max_health,
        }),
        PublicEvent::KeywordsChanged { unit, keywords: k } => {
            Kind::KeywordsChanged(pb::KeywordsChanged {
                unit: unit.0,
                keywords: keywords(*k),
            })
        }
        PublicEvent::Silenced { unit } => Kind::Silenced(unit_only(unit)),
        PublicEvent::Transformed {
            unit,
            into,
            card,
            attack,
            health,
            keywords: k,
        } => Kind::Transformed(pb::Transformed {
            unit: unit.0,
            into: into.0,
            card: card.as_str().to_owned(),
            attack: *attack,
            health: *health,
            keywords: keywords(*k),
        }),
        PublicEvent::ReturnedToHand {
            unit,
            seat: s,
            handle,
            card,
        } => Kind::ReturnedToHand(pb::ReturnedToHand {
            unit: unit.0,
            seat: seat(*s),
            handle: handle.0,
            card: card.as_str().to_owned(),
        }),
        PublicEvent::Discarded {
            seat: s,
            handle,
            card,
        } => Kind::Discarded(pb::HandCardEvent {
            seat: seat(*s),
            handle: handle.0,
            card: Some(card.as_str().to_owned()),
        }),
        PublicEvent::Died {
            unit,
            seat: s,
            card,
        } => Kind::Died(pb::Died {
            unit: unit.0,
            seat: seat(*s),
            card: card.as_str().to_owned(),
        }),
        PublicEvent::HeroDefeated { seat: s } => Kind::HeroDefeated(seat_only(s)),
        PublicEvent::TriggerLimit { source } => Kind::TriggerLimit(unit_only(source)),
        PublicEvent::Mulligan { seat: s, replaced } => Kind::Mulligan(pb::MulliganChosen {
            seat: seat(*s),
            replaced: replaced.iter().map(|h| h.0).collect(),
        }),
        PublicEvent::Conceded { seat: s } => Kind::Conceded(seat_only(s)),
        PublicEvent::TimedOut { seat: s } => Kind::TimedOut(seat_only(s)),
        PublicEvent::Forfeited { seat: s } => Kind::Forfeited(seat_only(s)),
        PublicEvent::GameOver { outcome: o } => Kind::GameOver(outcome(o)),
        PublicEvent::ArmorChanged { seat: s, armor } => Kind::ArmorChanged(pb::ArmorChanged {
            seat: seat(*s),
            armor: *armor,
        }),
        PublicEvent::Frozen { unit } => Kind::Frozen(unit_only(unit)),
        PublicEvent::Thawed { unit } => Kind::Thawed(unit_only(unit)),
        PublicEvent::ControlChanged { unit, seat: s } => Kind::ControlChanged(pb::ControlChanged {
            unit: unit.0,
            seat: seat(*s),
        }),
        PublicEvent::SecretRevealed {
            seat: s,
            handle,
            card,
        } => Kind::SecretRevealed(pb::HandCardEvent {
            seat: seat(*s),
            handle: handle.0,
            card: Some(card.as_str().to_owned()),
        }),
        PublicEvent::PowerUsed {
            seat: s,
            card,
            target,
            choice,
        } => Kind::PowerUsed(pb::PowerUsed {
            seat: seat(*s),
            card: card.as_str().to_owned(),
            target: target.map(|t| t.0),
            choice: *choice,
        }),
    }
}

#[cfg(test)]
mod tests {
    use moonlight_engine::Rejection;

    /// Every rejection, once: the match below stops compiling when one is added, so the
    /// documented list cannot fall behind.
    fn every_rejection() -> Vec<Rejection> {
        use Rejection::*;
        let all = vec![
            GameOver,
            UnknownSeat,
            MulliganPending,
            NoMulligan,
            SeatOut,
            NotYourTurn,
            ActionLimit,
            CardNotInHand,
            NotEnoughMoonlight { need: 2, have: 1 },
            BoardFull,
            TargetRequired,
            TargetNotAllowed,
            InvalidTarget,
            NoValidTarget,
            NotYourUnit,
            CannotAttack,
            MustAttackGuard,
            ChoiceRequired,
            InvalidChoice,
            NoPower,
            PowerUsed,
        ];
        for rejection in &all {
            match rejection {
                GameOver
                | UnknownSeat
                | MulliganPending
                | NoMulligan
                | SeatOut
                | NotYourTurn
                | ActionLimit
                | CardNotInHand
                | NotEnoughMoonlight { .. }
                | BoardFull
                | TargetRequired
                | TargetNotAllowed
                | InvalidTarget
                | NoValidTarget
                | NotYourUnit
                | CannotAttack
                | MustAttackGuard
                | ChoiceRequired
                | InvalidChoice
                | NoPower
                | PowerUsed => {}
            }
        }
        all
    }

    #[test]
    fn every_rejection_reason_is_documented_in_the_proto_and_the_readme() {
        let proto = include_str!("../../proto/proto/moonlight/v1/game.proto");
        let readme = include_str!("../../README.md");
        for rejection in every_rejection() {
            let reason = super::rejection_reason(&rejection);
            assert!(
                proto.contains(&format!("\"{reason}\"")),
                "{reason} in game.proto"
            );
            assert!(
                readme.contains(&format!("`{reason}`")),
                "{reason} in README.md"
            );
        }
    }
}
