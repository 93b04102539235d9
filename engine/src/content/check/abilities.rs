//! Abilities, conditions, effects, targets, amounts, card filters and auras: the rules
//! language's checks, each mistake located with a hint.

use super::{Checker, card_ref, join};
use crate::content::load::{Located, Seg, tpath};
use crate::content::schema::{
    Ability, Amount, Aura, CardDef, CardFilter, CardKind, Condition, Counter, Effect, Pick, Side,
    Target, TargetKind, Trigger,
};

pub(super) fn check_ability(
    ck: &mut Checker<'_>,
    card: &Located<CardDef>,
    ai: usize,
    ability: &Ability,
    chosen: &mut Option<Target>,
) {
    let c = &card.value;
    let f = card.file;
    let base = join(&card.path, tpath!["abilities", ai]);
    let at = |more: Vec<Seg>| join(&base, more);
    if c.secret {
        if !SECRET_TRIGGERS.contains(&ability.trigger) {
            let names: Vec<&str> = SECRET_TRIGGERS.iter().map(|t| trigger_name(*t)).collect();
            ck.err(
                f,
                at(tpath!["trigger"]),
                format!(
                    "a secret cannot wait for `{}`",
                    trigger_name(ability.trigger)
                ),
                Some(format!(
                    "a secret springs on something an opponent does: use one of {}",
                    names.join(", ")
                )),
            );
        }
    } else if c.kind != CardKind::Unit && ability.trigger != Trigger::OnPlay {
        ck.err(
            f,
            at(tpath!["trigger"]),
            "a spell's (or hero power's) abilities must use `trigger = \"on_play\"`".to_owned(),
            Some(
                "spells leave play at once, so no other trigger can fire (or make it `secret = true`)"
                    .to_owned(),
            ),
        );
    }
    if ability.effects.is_empty() {
        ck.err(
            f,
            at(tpath!["effects"]),
            "ability has no effects".to_owned(),
            Some("add at least one `{ effect = \"...\", ... }`".to_owned()),
        );
    }
    if let Some(cond) = &ability.condition {
        check_condition(ck, f, &at(tpath!["condition"]), cond);
    }
    let mut choices = 0;
    for (ei, effect) in ability.effects.iter().enumerate() {
        let ep = at(tpath!["effects", ei]);
        if let Effect::Choose { .. } = effect {
            choices += 1;
            if ability.trigger != Trigger::OnPlay || c.secret || choices > 1 {
                ck.err(
                    f,
                    ep.clone(),
                    "`choose` must be the one choice a card's `on_play` offers".to_owned(),
                    Some(
                        "the player chooses when playing the card: one `choose` per card, in an `on_play` ability"
                            .to_owned(),
                    ),
                );
            }
        }
        for inner in effect.nested() {
            if matches!(inner, Effect::Choose { .. }) {
                ck.err(
                    f,
                    ep.clone(),
                    "`choose` cannot be nested in another effect".to_owned(),
                    Some("put `choose` directly in the ability's `effects`".to_owned()),
                );
            }
        }
        if let Some(why) = self_cycle(c.kind, ability.trigger, effect) {
            ck.warn(
                f,
                ep.clone(),
                format!("this ability can trigger itself: {why}"),
                Some("the engine cuts trigger chains deeper than 12, but the card will not do what its text says; narrow the target (e.g. `other = true`)".to_owned()),
            );
        }
        check_effect(ck, card, ability.trigger, effect, &ep, chosen);
    }
}

/// A condition's bounds (present, ordered, in range); `all` and `any` of two or more,
/// each checked the same way.
fn check_condition(ck: &mut Checker<'_>, f: usize, path: &[Seg], cond: &Condition) {
    let Some((lo, hi)) = cond.bounds() else {
        let (Condition::All { of } | Condition::Any { of }) = cond else {
            return;
        };
        if of.len() < 2 {
            ck.err(
                f,
                path.to_vec(),
                format!("`{}` of {} condition(s)", condition_name(cond), of.len()),
                Some("list two or more in `of` (for one, write it alone)".to_owned()),
            );
        }
        for (i, inner) in of.iter().enumerate() {
            check_condition(ck, f, &join(path, tpath!["of", i]), inner);
        }
        return;
    };
    if lo.is_none() && hi.is_none() {
        ck.err(
            f,
            path.to_vec(),
            "condition has neither `at_least` nor `at_most`".to_owned(),
            Some("add a bound, e.g. `at_least = 2`".to_owned()),
        );
    }
    if let (Some(lo), Some(hi)) = (lo, hi)
        && lo > hi
    {
        ck.err(
            f,
            path.to_vec(),
            format!("condition can never hold: at_least {lo} > at_most {hi}"),
            None,
        );
    }
    if let Condition::Units { .. } | Condition::HeroHealth { .. } = cond {
        for v in [lo, hi].into_iter().flatten() {
            ck.range(f, path.to_vec(), "condition bound", v.into(), 0, 200);
        }
    }
}

fn condition_name(cond: &Condition) -> &'static str {
    match cond {
        Condition::All { .. } => "all",
        _ => "any",
    }
}

fn check_effect(
    ck: &mut Checker<'_>,
    card: &Located<CardDef>,
    trigger: Trigger,
    effect: &Effect,
    ep: &[Seg],
    chosen: &mut Option<Target>,
) {
    let f = card.file;
    let name = effect.name();
    let at = |more: Vec<Seg>| join(ep, more);
    match effect {
        Effect::Damage { amount, .. }
        | Effect::Heal { amount, .. }
        | Effect::Armor { amount, .. } => check_amount(ck, f, &at(tpath!["amount"]), amount),
        Effect::Draw {
            count, matching, ..
        } => {
            ck.range(f, at(tpath!["count"]), "count", (*count).into(), 1, 5);
            if let Some(filter) = matching {
                check_card_filter(ck, f, &at(tpath!["matching"]), filter, true);
            }
        }
        Effect::Discard { count, .. } => {
            ck.range(f, at(tpath!["count"]), "count", (*count).into(), 1, 5)
        }
        Effect::ChangeCost {
            amount, matching, ..
        } => {
            ck.range(f, at(tpath!["amount"]), "amount", (*amount).into(), -10, 10);
            if *amount == 0 {
                ck.err(
                    f,
                    at(tpath!["amount"]),
                    "a cost change of 0 changes nothing".to_owned(),
                    Some("negative makes cards cheaper, positive dearer".to_owned()),
                );
            }
            check_card_filter(ck, f, &at(tpath!["matching"]), matching, false);
        }
        Effect::If {
            condition,
            then,
            otherwise,
        } => {
            check_condition(ck, f, &at(tpath!["condition"]), condition);
            if then.is_empty() {
                ck.err(
                    f,
                    at(tpath!["then"]),
                    "`if` has nothing in `then`".to_owned(),
                    Some("list the effects to apply when the condition holds".to_owned()),
                );
            }
            for (i, inner) in then.iter().enumerate() {
                check_effect(ck, card, trigger, inner, &at(tpath!["then", i]), chosen);
            }
            for (i, inner) in otherwise.iter().enumerate() {
                check_effect(ck, card, trigger, inner, &at(tpath!["else", i]), chosen);
            }
        }
        Effect::Choose { options } => {
            if !(2..=3).contains(&options.len()) {
                ck.err(
                    f,
                    at(tpath!["options"]),
                    format!("`choose` offers {} option(s)", options.len()),
                    Some("offer two or three options".to_owned()),
                );
            }
            for (k, option) in options.iter().enumerate() {
                if option.is_empty() {
                    ck.err(
                        f,
                        at(tpath!["options", k]),
                        "an option with no effects".to_owned(),
                        Some("give every option at least one effect".to_owned()),
                    );
                }
                // Each option asks for its own target, if any.
                let mut own_chosen = None;
                for (i, inner) in option.iter().enumerate() {
                    let p = at(tpath!["options", k, i]);
                    check_effect(ck, card, trigger, inner, &p, &mut own_chosen);
                }
            }
        }
        Effect::AddCard {
            count, card: id, ..
        } => {
            ck.range(f, at(tpath!["count"]), "count", (*count).into(), 1, 5);
            card_ref(ck, f, at(tpath!["card"]), id, false);
        }
        Effect::GainMoonlight { amount, .. } | Effect::DrainMoonlight { amount, .. } => {
            ck.range(f, at(tpath!["amount"]), "amount", (*amount).into(), 1, 10)
        }
        Effect::Buff {
            attack,
            health,
            this_turn,
            ..
        } => {
            ck.range(f, at(tpath!["attack"]), "attack", (*attack).into(), -20, 20);
            ck.range(f, at(tpath!["health"]), "health", (*health).into(), 0, 20);
            if *this_turn && *health != 0 {
                ck.err(
                    f,
                    at(tpath!["health"]),
                    "only attack can be given for this turn".to_owned(),
                    Some("give the health in a buff of its own, without `this_turn`".to_owned()),
                );
            }
            if *attack == 0 && *health == 0 {
                ck.warn(
                    f,
                    ep.to_vec(),
                    "buff changes nothing".to_owned(),
                    Some("set `attack` and/or `health`".to_owned()),
                );
            }
        }
        Effect::Summon { card: id, count } => {
            ck.range(f, at(tpath!["count"]), "count", (*count).into(), 1, 7);
            card_ref(ck, f, at(tpath!["card"]), id, true);
        }
        Effect::Transform { card: id, .. } => card_ref(ck, f, at(tpath!["card"]), id, true),
        Effect::SetStats { attack, health, .. } => {
            if let Some(attack) = attack {
                ck.range(f, at(tpath!["attack"]), "attack", (*attack).into(), 0, 20);
            }
            if let Some(health) = health {
                ck.range(f, at(tpath!["health"]), "health", (*health).into(), 1, 30);
            }
            if attack.is_none() && health.is_none() {
                ck.err(
                    f,
                    ep.to_vec(),
                    "set_stats sets nothing".to_owned(),
                    Some("give `attack` and/or `health`".to_owned()),
                );
            }
        }
        Effect::Resurrect { count } => {
            ck.range(f, at(tpath!["count"]), "count", (*count).into(), 1, 7)
        }
        Effect::Shuffle {
            count, card: id, ..
        } => {
            ck.range(f, at(tpath!["count"]), "count", (*count).into(), 1, 5);
            card_ref(ck, f, at(tpath!["card"]), id, false);
        }
        Effect::Destroy { .. }
        | Effect::ReturnToHand { .. }
        | Effect::Silence { .. }
        | Effect::GiveKeyword { .. }
        | Effect::Freeze { .. }
        | Effect::TakeControl { .. }
        | Effect::Copy { .. } => {}
    }
    let Some(t) = effect.target() else { return };
    let tp = at(tpath!["target"]);
    // `self` and `it` name one unit already (`it` on a hero does nothing to units only).
    let one_unit = matches!(t.pick, Pick::This | Pick::It);
    if !effect.can_hit_heroes() && t.kind != TargetKind::Unit && !one_unit {
        ck.err(
            f,
            tp.clone(),
            format!("bad target for effect `{name}`: it only works on units"),
            Some("add `kind = \"unit\"` to the target".to_owned()),
        );
    }
    match t.pick {
        Pick::Chosen => {
            if trigger != Trigger::OnPlay {
                ck.err(
                    f,
                    join(&tp, tpath!["pick"]),
                    format!(
                        "a chosen target cannot be used with trigger `{}`",
                        trigger_name(trigger)
                    ),
                    Some(
                        "only `on_play` abilities have a player to choose; use `random` or `all`"
                            .to_owned(),
                    ),
                );
            }
            match chosen {
                Some(prev) if prev.side != t.side || prev.kind != t.kind => ck.err(
                    f,
                    tp.clone(),
                    "a card can ask for only one chosen target".to_owned(),
                    Some(
                        "give every `chosen` target of this card the same side and kind".to_owned(),
                    ),
                ),
                Some(_) => {}
                None => *chosen = Some(*t),
            }
        }
        Pick::This => {
            if card.value.kind == CardKind::Spell {
                ck.err(
                    f,
                    join(&tp, tpath!["pick"]),
                    "a spell has no unit for `pick = \"self\"`".to_owned(),
                    Some("use `chosen`, `all` or `random`".to_owned()),
                );
            }
            if trigger == Trigger::OnDeath {
                ck.warn(
                    f,
                    join(&tp, tpath!["pick"]),
                    "`self` is already dead when `on_death` resolves; this does nothing".to_owned(),
                    None,
                );
            }
        }
        Pick::Random => ck.range(f, join(&tp, tpath!["count"]), "count", t.count.into(), 1, 5),
        Pick::All => {}
        Pick::It => {
            if !IT_TRIGGERS.contains(&trigger) {
                let names: Vec<&str> = IT_TRIGGERS.iter().map(|t| trigger_name(*t)).collect();
                ck.err(
                    f,
                    join(&tp, tpath!["pick"]),
                    format!(
                        "trigger `{}` is about nothing `it` could be",
                        trigger_name(trigger)
                    ),
                    Some(format!("`it` works with {}", names.join(", "))),
                );
            }
        }
    }
    if t.pick != Pick::Random && t.count != 1 {
        ck.warn(
            f,
            join(&tp, tpath!["count"]),
            "`count` only matters with `pick = \"random\"`".to_owned(),
            None,
        );
    }
    check_filters(ck, f, &tp, t);
}

/// A target's filters: sensible bounds, and something they can match.
fn check_filters(ck: &mut Checker<'_>, f: usize, tp: &[Seg], t: &Target) {
    let cap = i64::from(ck.rules.moonlight_cap);
    let bounds = [
        (
            "cost_at_least",
            "cost_at_most",
            t.cost_at_least,
            t.cost_at_most,
            cap,
        ),
        (
            "attack_at_least",
            "attack_at_most",
            t.attack_at_least,
            t.attack_at_most,
            20,
        ),
    ];
    for (low_name, high_name, low, high, top) in bounds {
        check_bounds(ck, f, tp, (low_name, low), (high_name, high), top);
    }
    let filtered = t.filters_units() || t.damaged;
    if t.pick == Pick::This && filtered {
        ck.err(
            f,
            tp.to_vec(),
            "a filter on `pick = \"self\"` picks this unit or nothing".to_owned(),
            Some("to act only sometimes, give the ability a `condition`".to_owned()),
        );
    } else if t.kind == TargetKind::Hero && t.filters_units() {
        ck.err(
            f,
            tp.to_vec(),
            "heroes have no cost, attack or keywords: this target takes nothing".to_owned(),
            Some("use `kind = \"unit\"` (or drop the filter)".to_owned()),
        );
    }
}

/// A pair of inclusive bounds (`*_at_least`, `*_at_most`): each within 0..=`top`, and the
/// low one not above the high one.
fn check_bounds(
    ck: &mut Checker<'_>,
    f: usize,
    path: &[Seg],
    (low_name, low): (&str, Option<i32>),
    (high_name, high): (&str, Option<i32>),
    top: i64,
) {
    for (name, value) in [(low_name, low), (high_name, high)] {
        if let Some(v) = value {
            ck.range(f, join(path, tpath![name]), name, v.into(), 0, top);
        }
    }
    if let (Some(low), Some(high)) = (low, high)
        && low > high
    {
        ck.err(
            f,
            join(path, tpath![low_name]),
            format!("`{low_name} = {low}` is above `{high_name} = {high}`: nothing matches"),
            None,
        );
    }
}

/// The triggers a secret may wait for: things an opponent's turn brings.
const SECRET_TRIGGERS: [Trigger; 6] = [
    Trigger::EnemyUnitPlayed,
    Trigger::EnemySpellCast,
    Trigger::EnemyAttacks,
    Trigger::HeroDamaged,
    Trigger::AllyDied,
    Trigger::EnemyDied,
];

/// The triggers about a character `pick = "it"` can take.
const IT_TRIGGERS: [Trigger; 6] = [
    Trigger::AllySummoned,
    Trigger::OnAttack,
    Trigger::OnDamaged,
    Trigger::HeroDamaged,
    Trigger::EnemyUnitPlayed,
    Trigger::EnemyAttacks,
];

/// A number in 1..=20, or a count whose `plus` is within -10..=10.
fn check_amount(ck: &mut Checker<'_>, f: usize, path: &[Seg], amount: &Amount) {
    match amount {
        Amount::Fixed(n) => ck.range(f, path.to_vec(), "amount", (*n).into(), 1, 20),
        Amount::Count(c) => {
            ck.range(
                f,
                join(path, tpath!["plus"]),
                "plus",
                c.plus.into(),
                -10,
                10,
            );
            if c.side != Side::Own && c.count != Counter::Units {
                ck.err(
                    f,
                    join(path, tpath!["side"]),
                    "`side` only matters when counting units".to_owned(),
                    Some("remove `side`: the other counts are your own".to_owned()),
                );
            }
        }
    }
}

/// Which cards: bounds within the moonlight cap and ordered; `keyword` only on units;
/// with `required`, at least one field (a draw matching everything is a plain draw).
fn check_card_filter(
    ck: &mut Checker<'_>,
    f: usize,
    path: &[Seg],
    filter: &CardFilter,
    required: bool,
) {
    let cap = i64::from(ck.rules.moonlight_cap);
    check_bounds(
        ck,
        f,
        path,
        ("cost_at_least", filter.cost_at_least),
        ("cost_at_most", filter.cost_at_most),
        cap,
    );
    if filter.keyword.is_some() && filter.kind.is_some_and(|k| k != CardKind::Unit) {
        ck.err(
            f,
            join(path, tpath!["keyword"]),
            "only units have keywords".to_owned(),
            Some("use `kind = \"unit\"` with `keyword`".to_owned()),
        );
    }
    if filter.kind == Some(CardKind::Power) {
        ck.err(
            f,
            join(path, tpath!["kind"]),
            "hero powers are never in a deck or a hand".to_owned(),
            Some("use `unit` or `spell`".to_owned()),
        );
    }
    if required && filter.is_empty() {
        ck.err(
            f,
            path.to_vec(),
            "`matching` matches every card".to_owned(),
            Some("give `kind`, a cost bound or a `keyword`, or remove `matching`".to_owned()),
        );
    }
}

/// An aura: a sensible amount; an attack aura takes `all` of some units.
pub(super) fn check_aura(ck: &mut Checker<'_>, f: usize, path: &[Seg], aura: &Aura) {
    match aura {
        Aura::Attack { amount, target } => {
            ck.range(
                f,
                join(path, tpath!["amount"]),
                "amount",
                (*amount).into(),
                1,
                5,
            );
            let tp = join(path, tpath!["target"]);
            if target.pick != Pick::All {
                ck.err(
                    f,
                    join(&tp, tpath!["pick"]),
                    "an aura applies to `all` the units it names".to_owned(),
                    Some("use `pick = \"all\"`".to_owned()),
                );
            }
            if target.kind != TargetKind::Unit {
                ck.err(
                    f,
                    tp.clone(),
                    "an attack aura applies to units".to_owned(),
                    Some("add `kind = \"unit\"` to the target".to_owned()),
                );
            }
            check_filters(ck, f, &tp, target);
        }
        Aura::Cost {
            amount, matching, ..
        } => {
            ck.range(
                f,
                join(path, tpath!["amount"]),
                "amount",
                (*amount).into(),
                -5,
                5,
            );
            if *amount == 0 {
                ck.err(
                    f,
                    join(path, tpath!["amount"]),
                    "a cost aura of 0 changes nothing".to_owned(),
                    Some("negative makes cards cheaper, positive dearer".to_owned()),
                );
            }
            check_card_filter(ck, f, &join(path, tpath!["matching"]), matching, false);
        }
    }
}

pub(super) fn trigger_name(t: Trigger) -> &'static str {
    crate::content::schema::TRIGGER_NAMES[t as usize]
}

/// A trivial self-trigger cycle: the ability's own effect re-fires its trigger.
fn self_cycle(kind: CardKind, trigger: Trigger, effect: &Effect) -> Option<&'static str> {
    if kind != CardKind::Unit {
        return None;
    }
    let hits_self = |t: &Target| match t.pick {
        Pick::This => true,
        Pick::All | Pick::Random => {
            !t.other
                && t.kind != TargetKind::Hero
                && matches!(t.side, Side::Own | Side::Ally | Side::Any)
        }
        Pick::Chosen | Pick::It => false,
    };
    match (trigger, effect) {
        (Trigger::OnDamaged, Effect::Damage { target, .. }) if hits_self(target) => {
            Some("`on_damaged` deals damage that can hit this unit")
        }
        (Trigger::AllySummoned, Effect::Summon { .. } | Effect::Resurrect { .. }) => {
            Some("`ally_summoned` summons a unit, which fires `ally_summoned` again")
        }
        (Trigger::CardDrawn, Effect::Draw { player, .. }) if *player != Side::Enemy => {
            Some("`card_drawn` draws a card, which fires `card_drawn` again")
        }
        (Trigger::HeroDamaged, Effect::Damage { target, .. })
            if target.kind != TargetKind::Unit && target.side != Side::Enemy =>
        {
            Some("`hero_damaged` deals damage that can hit your hero, which fires it again")
        }
        _ => None,
    }
}
