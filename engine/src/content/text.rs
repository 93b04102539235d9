//! A card's rules text, written from what the card does: its keywords, then each ability
//! (trigger, condition, effects). The one source of the text players read, so it cannot
//! drift from the rules: a card file may leave `text` out (it is filled in from here) and
//! the checker refuses a `text` that says anything else.
//!
//! One sentence pattern per construct: a trigger is a prefix ("On play: ", "At the end of
//! your turn, "), a condition an "if …, " clause, each effect a verb phrase, and effects
//! that give the same chosen unit something are joined ("Give a friendly unit +2 attack
//! and Swift."). A spell's `on_play` needs no prefix: playing it is casting it.

use super::schema::{
    Ability, Amount, Aura, CardDef, CardFilter, CardKind, Condition, CopyTo, Count, Counter,
    Duration, Effect, Keyword, Pick, Side, Target, TargetKind, Trigger,
};

/// The rules text of `card`; `find` looks up the cards it names (a summoned unit, a
/// transformation, an added card), for their names and printed stats.
pub fn describe<'c>(card: &CardDef, find: &dyn Fn(&str) -> Option<&'c CardDef>) -> String {
    let mut sentences: Vec<String> = card
        .keywords
        .iter()
        .map(|k| format!("{}.", keyword(*k)))
        .collect();
    for aura in &card.auras {
        sentences.push(sentence(&describe_aura(aura)));
    }
    for ability in &card.abilities {
        sentences.push(describe_ability(card, ability, find));
    }
    sentences.join(" ")
}

/// "Your other units have +1 attack.", "Your spells cost 1 less."
fn describe_aura(aura: &Aura) -> String {
    match aura {
        Aura::Attack { amount, target } => {
            format!("{} have {} attack", noun(target), signed(*amount))
        }
        Aura::Cost {
            amount,
            matching,
            player,
        } => format!(
            "{} {} cost {}",
            whose(*player),
            filter_noun(matching, true),
            more_or_less(*amount)
        ),
    }
}

fn describe_ability<'c>(
    card: &CardDef,
    ability: &Ability,
    find: &dyn Fn(&str) -> Option<&'c CardDef>,
) -> String {
    // What `pick = "it"` stands for shows in the trigger's words when it is not plain.
    let about_it = ability
        .effects
        .iter()
        .flat_map(Effect::walk)
        .filter_map(Effect::target)
        .any(|t| t.pick == Pick::It);
    let when = match (ability.trigger, card.kind) {
        (Trigger::OnPlay, CardKind::Spell | CardKind::Power) => "",
        (Trigger::OnPlay, CardKind::Unit) => "On play: ",
        (Trigger::OnDeath, _) => "On death: ",
        (Trigger::TurnStart, _) => "At the start of your turn, ",
        (Trigger::TurnEnd, _) => "At the end of your turn, ",
        (Trigger::OnDamaged, _) if about_it => "Whenever a unit damages this and it survives, ",
        (Trigger::OnDamaged, _) => "Whenever this takes damage and survives, ",
        (Trigger::OnAttack, _) if about_it => "Whenever this attacks a character, ",
        (Trigger::OnAttack, _) => "Whenever this attacks, ",
        (Trigger::AllySummoned, _) => "Whenever another friendly unit is summoned, ",
        (Trigger::SpellCast, _) => "Whenever you cast a spell, ",
        (Trigger::EnemyDied, _) => "Whenever an enemy unit dies, ",
        (Trigger::AllyDied, _) => "Whenever another friendly unit dies, ",
        (Trigger::CardDrawn, _) => "Whenever you draw a card, ",
        (Trigger::HeroDamaged, _) if about_it => "Whenever a unit damages your hero, ",
        (Trigger::HeroDamaged, _) => "Whenever your hero takes damage, ",
        (Trigger::EnemyUnitPlayed, _) => "Whenever your opponent plays a unit, ",
        (Trigger::EnemySpellCast, _) => "Whenever your opponent casts a spell, ",
        (Trigger::EnemyAttacks, _) => "Whenever an enemy unit attacks, ",
    };
    // A secret springs once: "Secret: when …".
    let secret;
    let prefix = if card.secret {
        secret = format!("Secret: {}", when.replacen("Whenever", "when", 1));
        secret.as_str()
    } else {
        when
    };
    let condition = ability
        .condition
        .as_ref()
        .map(|c| format!("if {}, ", condition(c)));
    let phrases = effect_phrases(&ability.effects, find);
    let body = if prefix.is_empty() && condition.is_none() {
        // A spell's effects, one sentence each.
        return phrases
            .iter()
            .map(|p| sentence(p))
            .collect::<Vec<_>>()
            .join(" ");
    } else {
        join_and(&phrases)
    };
    sentence(&format!("{prefix}{}{body}", condition.unwrap_or_default()))
}

/// One phrase per effect, with consecutive gifts to the same target joined.
fn effect_phrases<'c>(
    effects: &[Effect],
    find: &dyn Fn(&str) -> Option<&'c CardDef>,
) -> Vec<String> {
    // The player's chosen character is named once, then "it".
    let mut named_chosen = false;
    let mut once = |target: &Target| -> Target {
        let mut t = *target;
        if t.pick == Pick::Chosen {
            if named_chosen {
                t.pick = Pick::It;
            }
            named_chosen = true;
        }
        t
    };
    let mut phrases = Vec::new();
    let mut i = 0;
    while i < effects.len() {
        if let Some(target) = gift_target(&effects[i]) {
            let mut gifts = vec![gift(&effects[i])];
            while let Some(next) = effects
                .get(i + 1)
                .filter(|e| gift_target(e) == Some(target))
            {
                gifts.push(gift(next));
                i += 1;
            }
            let what = join_and(&gifts);
            phrases.push(if target.pick == Pick::This {
                format!("gain {what}")
            } else {
                format!("give {} {what}", noun(&once(target)))
            });
        } else {
            let mut e = effects[i].clone();
            if let Some(t) = e.target_mut() {
                *t = once(t);
            }
            phrases.push(effect(&e, find));
        }
        i += 1;
    }
    phrases
}

/// The target of an effect that gives its target something (stats, a keyword).
fn gift_target(effect: &Effect) -> Option<&Target> {
    match effect {
        Effect::Buff { target, .. } | Effect::GiveKeyword { target, .. } => Some(target),
        _ => None,
    }
}

fn gift(effect: &Effect) -> String {
    match effect {
        Effect::Buff {
            attack,
            this_turn: true,
            ..
        } => format!("{} attack this turn", signed(*attack)),
        Effect::Buff { attack, health, .. } => match (*attack, *health) {
            (a, 0) => format!("{} attack", signed(a)),
            (0, h) => format!("{} health", signed(h)),
            (a, h) => format!("{}/{}", signed(a), signed(h)),
        },
        Effect::GiveKeyword { keyword: k, .. } => keyword(*k),
        _ => String::new(),
    }
}

fn effect<'c>(effect: &Effect, find: &dyn Fn(&str) -> Option<&'c CardDef>) -> String {
    match effect {
        Effect::Damage { amount, target } => match amount {
            Amount::Fixed(n) => format!("deal {n} damage to {}", noun(target)),
            Amount::Count(c) => format!("deal damage to {} equal to {}", noun(target), count(c)),
        },
        Effect::Heal { amount, target } => match amount {
            Amount::Fixed(n) => format!("restore {n} health to {}", noun(target)),
            Amount::Count(c) => format!("restore health to {} equal to {}", noun(target), count(c)),
        },
        Effect::Armor { amount, player } => {
            let what = match amount {
                Amount::Fixed(n) => format!("{n} armor"),
                Amount::Count(c) => format!("armor equal to {}", count(c)),
            };
            player_does(*player, "gain", "gains", &what)
        }
        Effect::Draw {
            count,
            player,
            matching,
        } => {
            let what = match matching {
                None => cards(*count, "card"),
                Some(filter) => {
                    let noun = filter_noun(filter, *count != 1);
                    if *count == 1 {
                        format!("{} {noun}", article(&noun))
                    } else {
                        format!("{count} {noun}")
                    }
                }
            };
            player_does(*player, "draw", "draws", &what)
        }
        Effect::Freeze { target } => format!("freeze {}", noun(target)),
        Effect::TakeControl { target } => format!("take control of {}", noun(target)),
        Effect::Copy { target, to } => {
            let copies = if plural(target) { "copies" } else { "a copy" };
            match to {
                CopyTo::Hand => format!("add {copies} of {} to your hand", noun(target)),
                CopyTo::Board => format!("summon {copies} of {}", noun(target)),
            }
        }
        Effect::ChangeCost {
            amount,
            matching,
            duration,
            player,
        } => match duration {
            Duration::Next => format!(
                "{} next {} costs {}",
                whose(*player),
                filter_noun(matching, false),
                more_or_less(*amount)
            ),
            Duration::ThisTurn => format!(
                "{} {} cost {} this turn",
                whose(*player),
                filter_noun(matching, true),
                more_or_less(*amount)
            ),
        },
        Effect::If {
            condition: c,
            then,
            otherwise,
        } => {
            let then = join_and(&effect_phrases(then, find));
            if otherwise.is_empty() {
                format!("if {}, {then}", condition(c))
            } else {
                let otherwise = join_and(&effect_phrases(otherwise, find));
                format!("if {}, {then}; otherwise, {otherwise}", condition(c))
            }
        }
        Effect::Choose { options } => {
            let options: Vec<String> = options
                .iter()
                .map(|o| join_and(&effect_phrases(o, find)))
                .collect();
            format!("choose one: {}", options.join("; or "))
        }
        Effect::Discard { count, player } => player_does(
            *player,
            "discard",
            "discards",
            &cards(*count, "random card"),
        ),
        Effect::GainMoonlight {
            amount,
            permanent,
            player,
        } => {
            let what = if *permanent {
                format!("{amount} maximum moonlight")
            } else {
                format!("{amount} moonlight this turn")
            };
            player_does(*player, "gain", "gains", &what)
        }
        Effect::DrainMoonlight { amount, player } => {
            format!("destroy {amount} of {} maximum moonlight", whose(*player))
        }
        Effect::Summon { card, count } => {
            format!("summon {}", card_phrase(card, *count, true, find))
        }
        Effect::Destroy { target } => format!("destroy {}", noun(target)),
        Effect::ReturnToHand { target } => {
            if plural(target) {
                format!("return {} to their owners’ hands", noun(target))
            } else {
                format!("return {} to its owner’s hand", noun(target))
            }
        }
        Effect::Silence { target } => format!("silence {}", noun(target)),
        Effect::Transform { card, target } => format!(
            "transform {} into {}",
            noun(target),
            card_phrase(card, 1, true, find)
        ),
        Effect::SetStats {
            attack,
            health,
            target,
        } => match (attack, health) {
            (Some(a), Some(h)) => {
                format!("set the attack and health of {} to {a}/{h}", noun(target))
            }
            (Some(a), None) => format!("set the attack of {} to {a}", noun(target)),
            (None, Some(h)) => format!("set the health of {} to {h}", noun(target)),
            (None, None) => String::new(),
        },
        Effect::Resurrect { count } => {
            if *count == 1 {
                "summon a random friendly unit that died this game".to_owned()
            } else {
                format!(
                    "summon {} random friendly units that died this game",
                    number(*count)
                )
            }
        }
        Effect::Shuffle {
            card,
            count,
            player,
        } => format!(
            "shuffle {} into {} deck",
            card_phrase(card, *count, false, find),
            whose(*player)
        ),
        Effect::AddCard {
            card,
            count,
            player,
        } => format!(
            "add {} to {} hand",
            card_phrase(card, *count, false, find),
            whose(*player)
        ),
        // Gifts are phrased by `effect_phrases`.
        Effect::Buff { .. } | Effect::GiveKeyword { .. } => String::new(),
    }
}

/// Who does it: "draw a card", "your opponent draws a card", "each player draws a card".
fn player_does(player: Side, verb: &str, verb_s: &str, what: &str) -> String {
    match player {
        Side::Own => format!("{verb} {what}"),
        Side::Ally => format!("you and your allies {verb} {what}"),
        Side::Enemy => format!("your opponent {verb_s} {what}"),
        Side::Any => format!("each player {verb_s} {what}"),
    }
}

fn whose(player: Side) -> &'static str {
    match player {
        Side::Own => "your",
        Side::Ally => "your team’s",
        Side::Enemy => "your opponent’s",
        Side::Any => "each player’s",
    }
}

/// "a spell", "units costing 3 or less", "cards with Guard".
fn filter_noun(filter: &CardFilter, plural: bool) -> String {
    let kind = match filter.kind {
        Some(CardKind::Unit) => "unit",
        Some(CardKind::Spell) => "spell",
        Some(CardKind::Power) => "hero power",
        None => "card",
    };
    let s = if plural { "s" } else { "" };
    let mut text = format!("{kind}{s}");
    if let Some(cost) = bounds_words(filter.cost_at_least, filter.cost_at_most, "less") {
        text.push_str(&format!(" costing {cost}"));
    }
    if let Some(k) = filter.keyword {
        text.push_str(&format!(" with {}", keyword(k)));
    }
    text
}

/// Inclusive bounds in words: "3", "1 to 3", "2 or more", "4 or less" (`less` is the word
/// below: "less", "fewer").
fn bounds_words(low: Option<i32>, high: Option<i32>, less: &str) -> Option<String> {
    match (low, high) {
        (Some(l), Some(h)) if l == h => Some(format!("{l}")),
        (Some(l), Some(h)) => Some(format!("{l} to {h}")),
        (Some(l), None) => Some(format!("{l} or more")),
        (None, Some(h)) => Some(format!("{h} or {less}")),
        (None, None) => None,
    }
}

/// "2 less", "1 more".
fn more_or_less(amount: i32) -> String {
    if amount < 0 {
        format!("{} less", -amount)
    } else {
        format!("{amount} more")
    }
}

/// What a computed amount counts: "the number of units you control", "1 plus your
/// maximum moonlight".
fn count(c: &Count) -> String {
    let counted = match c.count {
        Counter::Units => match c.side {
            Side::Own => "the number of units you control",
            Side::Ally => "the number of units your team controls",
            Side::Enemy => "the number of units your opponent controls",
            Side::Any => "the number of units on the board",
        },
        Counter::HandSize => "the number of cards in your hand",
        Counter::Moonlight => "your maximum moonlight",
        Counter::Armor => "your hero’s armor",
        Counter::DeadUnits => "the number of friendly units that died this game",
    };
    match c.plus {
        0 => counted.to_owned(),
        p if p > 0 => format!("{p} plus {counted}"),
        p => format!("{counted} minus {}", -p),
    }
}

/// "a card", "2 cards" ("a random card", "2 random cards").
fn cards(count: i32, noun: &str) -> String {
    if count == 1 {
        format!("a {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// "a 1/1 Shade", "two 1/1 Shades", "a Moon Coin".
fn card_phrase<'c>(
    id: &str,
    count: i32,
    with_stats: bool,
    find: &dyn Fn(&str) -> Option<&'c CardDef>,
) -> String {
    let named = find(id);
    let mut name = named.map_or_else(|| id.to_owned(), |n| n.name.clone());
    if count != 1 {
        name.push('s');
    }
    let stats = named
        .and_then(|n| n.attack.zip(n.health))
        .filter(|_| with_stats)
        .map(|(a, h)| format!("{a}/{h} "))
        .unwrap_or_default();
    let how_many = match count {
        1 => article(if stats.is_empty() { &name } else { &stats }).to_owned(),
        n => number(n),
    };
    format!("{how_many} {stats}{name}")
}

/// Which characters a target takes, as a noun phrase.
fn noun(t: &Target) -> String {
    let other = if t.other { "other " } else { "" };
    let damaged = if t.damaged { "damaged " } else { "" };
    let qualified = qualifiers(t);
    // Heroes are named, not counted: "your hero", "the enemy hero".
    let hero = |name: &str| {
        if t.damaged {
            format!("{name}, if damaged")
        } else {
            name.to_owned()
        }
    };
    match t.pick {
        Pick::This => "this".to_owned(),
        Pick::It => "it".to_owned(),
        Pick::Chosen => {
            if t.kind == TargetKind::Hero && t.side == Side::Own {
                return hero("your hero");
            }
            let phrase = format!(
                "{damaged}{}{}{qualified}",
                side_adjective(t.side),
                kind_noun(t.kind, false)
            );
            let article = if t.other { "another" } else { article(&phrase) };
            format!("{article} {phrase}")
        }
        Pick::Random => {
            let plural = t.count != 1;
            let phrase = format!(
                "random {other}{damaged}{}{}{qualified}",
                side_adjective(t.side),
                kind_noun(t.kind, plural)
            );
            if plural {
                format!("{} {phrase}", t.count)
            } else {
                format!("a {phrase}")
            }
        }
        Pick::All => match (t.side, t.kind) {
            (Side::Own, TargetKind::Hero) => hero("your hero"),
            (Side::Enemy, TargetKind::Hero) => hero("the enemy hero"),
            (Side::Ally, TargetKind::Hero) => format!("your team’s {damaged}heroes"),
            (Side::Any, TargetKind::Hero) => format!("each {damaged}hero"),
            (Side::Own, TargetKind::Unit) => format!("your {other}{damaged}units{qualified}"),
            (side, kind) => format!(
                "all {other}{damaged}{}{}{qualified}",
                side_adjective(side),
                kind_noun(kind, true)
            ),
        },
    }
}

/// What a target's unit filters add after the noun: " costing 3 or less with Guard and 2
/// or more attack".
fn qualifiers(t: &Target) -> String {
    let mut text = String::new();
    if let Some(cost) = bounds_words(t.cost_at_least, t.cost_at_most, "less") {
        text.push_str(&format!(" costing {cost}"));
    }
    let mut with = Vec::new();
    if let Some(k) = t.keyword {
        with.push(keyword(k));
    }
    if let Some(attack) = bounds_words(t.attack_at_least, t.attack_at_most, "less") {
        with.push(format!("{attack} attack"));
    }
    if !with.is_empty() {
        text.push_str(&format!(" with {}", join_and(&with)));
    }
    text
}

fn plural(t: &Target) -> bool {
    match t.pick {
        Pick::All => t.kind != TargetKind::Hero || t.side == Side::Any,
        Pick::Random => t.count != 1,
        Pick::Chosen | Pick::This | Pick::It => false,
    }
}

fn side_adjective(side: Side) -> &'static str {
    match side {
        Side::Own => "friendly ",
        Side::Ally => "allied ",
        Side::Enemy => "enemy ",
        Side::Any => "",
    }
}

fn kind_noun(kind: TargetKind, plural: bool) -> &'static str {
    match (kind, plural) {
        (TargetKind::Unit, false) => "unit",
        (TargetKind::Unit, true) => "units",
        (TargetKind::Hero, false) => "hero",
        (TargetKind::Hero, true) => "heroes",
        (TargetKind::Character, false) => "character",
        (TargetKind::Character, true) => "characters",
    }
}

fn condition(c: &Condition) -> String {
    let (at_least, at_most) = c.bounds().unwrap_or_default();
    let bound = |more: &str, less: &str| match (at_least, at_most) {
        (Some(low), Some(high)) if low == high => format!("exactly {low}"),
        (Some(low), Some(high)) => format!("{low} to {high}"),
        (Some(low), None) => format!("{low} or {more}"),
        (None, Some(high)) => format!("{high} or {less}"),
        (None, None) => "any number of".to_owned(),
    };
    match c {
        Condition::Units { side, .. } => {
            let who = match side {
                Side::Own => "you control",
                Side::Ally => "your team controls",
                Side::Enemy => "your opponent controls",
                Side::Any => "there are",
            };
            format!("{who} {} units", bound("more", "fewer"))
        }
        Condition::HandSize { .. } => format!("you have {} cards in hand", bound("more", "fewer")),
        Condition::HeroHealth { side, .. } => {
            let hero = match side {
                Side::Own => "your hero has",
                Side::Ally => "a hero of your team has",
                Side::Enemy => "the enemy hero has",
                Side::Any => "a hero has",
            };
            format!("{hero} {} health", bound("more", "less"))
        }
        Condition::Moonlight { .. } => {
            format!("you have {} maximum moonlight", bound("more", "less"))
        }
        Condition::All { of } => joined(of, "and"),
        Condition::Any { of } => joined(of, "or"),
    }
}

/// "a, b and c" ("a, b or c") of the conditions.
fn joined(of: &[Condition], word: &str) -> String {
    let parts: Vec<String> = of.iter().map(condition).collect();
    match parts.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, init)) => format!("{} {word} {last}", init.join(", ")),
    }
}

fn keyword(k: Keyword) -> String {
    capitalised(k.name())
}

fn signed(n: i32) -> String {
    if n >= 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

fn number(n: i32) -> String {
    match n {
        2 => "two",
        3 => "three",
        4 => "four",
        5 => "five",
        6 => "six",
        7 => "seven",
        _ => return n.to_string(),
    }
    .to_owned()
}

fn article(next: &str) -> &'static str {
    // "an 8/8", "an enemy", "an Eclipse"; "a 1/1", "a unit" (by sound for the numbers).
    match next.chars().next() {
        Some('8') => "an",
        Some(c) if "aeioAEIO".contains(c) => "an",
        _ => "a",
    }
}

/// "a, b and c".
fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Capitalised and ending in a full stop.
fn sentence(text: &str) -> String {
    let mut text = capitalised(text);
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(pick: Pick, side: Side, kind: TargetKind, count: u32, other: bool) -> Target {
        Target {
            count,
            other,
            ..Target::unfiltered(pick, side, kind)
        }
    }

    fn spell(effects: Vec<Effect>) -> CardDef {
        card("x", "X", None, effects)
    }

    fn card(id: &str, name: &str, stats: Option<(i32, i32)>, effects: Vec<Effect>) -> CardDef {
        CardDef {
            id: id.into(),
            name: name.into(),
            faction: "neutral".into(),
            kind: if stats.is_some() {
                CardKind::Unit
            } else {
                CardKind::Spell
            },
            cost: 1,
            attack: stats.map(|s| s.0),
            health: stats.map(|s| s.1),
            keywords: Vec::new(),
            text: String::new(),
            collectible: true,
            rarity: Default::default(),
            art: None,
            flavor: String::new(),
            translations: Default::default(),
            secret: false,
            auras: Vec::new(),
            abilities: vec![Ability {
                trigger: Trigger::OnPlay,
                condition: None,
                effects,
            }],
        }
    }

    fn says(effects: Vec<Effect>) -> String {
        let imp = card("imp", "Imp", Some((8, 1)), Vec::new());
        describe(&spell(effects), &|id| (id == "imp").then_some(&imp))
    }

    #[test]
    fn each_construct_has_its_words() {
        let all_enemy_units = target(Pick::All, Side::Enemy, TargetKind::Unit, 1, false);
        assert_eq!(
            says(vec![Effect::ReturnToHand {
                target: all_enemy_units
            }]),
            "Return all enemy units to their owners’ hands."
        );
        assert_eq!(
            says(vec![Effect::Buff {
                attack: 0,
                health: 2,
                this_turn: false,
                target: target(Pick::Random, Side::Own, TargetKind::Unit, 2, true),
            }]),
            "Give 2 random other friendly units +2 health."
        );
        assert_eq!(
            says(vec![Effect::AddCard {
                card: "imp".into(),
                count: 2,
                player: Side::Enemy,
            }]),
            "Add two Imps to your opponent’s hand."
        );
        assert_eq!(
            says(vec![Effect::Summon {
                card: "imp".into(),
                count: 1,
            }]),
            "Summon an 8/1 Imp."
        );
        assert_eq!(
            says(vec![
                Effect::Draw {
                    count: 1,
                    player: Side::Any,
                    matching: None,
                },
                Effect::Discard {
                    count: 2,
                    player: Side::Own,
                },
            ]),
            "Each player draws a card. Discard 2 random cards."
        );
        assert_eq!(
            says(vec![Effect::Buff {
                attack: -2,
                health: 0,
                this_turn: false,
                target: target(Pick::All, Side::Any, TargetKind::Unit, 1, false),
            }]),
            "Give all units -2 attack."
        );
        let mut filtered = target(Pick::Chosen, Side::Enemy, TargetKind::Unit, 1, false);
        filtered.damaged = true;
        filtered.keyword = Some(Keyword::Guard);
        filtered.attack_at_most = Some(3);
        assert_eq!(
            says(vec![Effect::Destroy { target: filtered }]),
            "Destroy a damaged enemy unit with Guard and 3 or less attack."
        );
        assert_eq!(
            says(vec![
                Effect::SetStats {
                    attack: Some(1),
                    health: Some(1),
                    target: target(Pick::Chosen, Side::Any, TargetKind::Unit, 1, false),
                },
                Effect::Resurrect { count: 2 },
                Effect::Shuffle {
                    card: "imp".into(),
                    count: 3,
                    player: Side::Enemy,
                },
            ]),
            "Set the attack and health of a unit to 1/1. Summon two random friendly units that \
             died this game. Shuffle three Imps into your opponent’s deck."
        );
        let enemy_unit = target(Pick::Chosen, Side::Enemy, TargetKind::Unit, 1, false);
        assert_eq!(
            says(vec![
                Effect::Damage {
                    amount: Amount::Count(Count {
                        count: Counter::Units,
                        side: Side::Own,
                        plus: 1,
                    }),
                    target: enemy_unit,
                },
                Effect::Freeze { target: enemy_unit },
            ]),
            "Deal damage to an enemy unit equal to 1 plus the number of units you control. \
             Freeze it."
        );
        assert_eq!(
            says(vec![Effect::Choose {
                options: vec![
                    vec![Effect::Armor {
                        amount: Amount::Fixed(3),
                        player: Side::Own,
                    }],
                    vec![Effect::Draw {
                        count: 1,
                        player: Side::Own,
                        matching: Some(CardFilter {
                            kind: Some(CardKind::Spell),
                            cost_at_most: Some(2),
                            ..CardFilter::default()
                        }),
                    }],
                ],
            }]),
            "Choose one: gain 3 armor; or draw a spell costing 2 or less."
        );
        assert_eq!(
            says(vec![Effect::If {
                condition: Condition::HandSize {
                    at_least: None,
                    at_most: Some(1),
                },
                then: vec![Effect::ChangeCost {
                    amount: -2,
                    matching: CardFilter::default(),
                    duration: Duration::ThisTurn,
                    player: Side::Own,
                }],
                otherwise: vec![Effect::TakeControl { target: enemy_unit }],
            }]),
            "If you have 1 or fewer cards in hand, your cards cost 2 less this turn; otherwise, \
             take control of an enemy unit."
        );
        let mut spell = spell(vec![Effect::Copy {
            target: target(Pick::It, Side::Any, TargetKind::Unit, 1, false),
            to: CopyTo::Hand,
        }]);
        spell.secret = true;
        spell.abilities[0].trigger = Trigger::EnemyUnitPlayed;
        assert_eq!(
            describe(&spell, &|_| None),
            "Secret: when your opponent plays a unit, add a copy of it to your hand."
        );
        let mut banner = card("banner", "Banner", Some((0, 3)), Vec::new());
        banner.abilities.clear();
        banner.auras = vec![
            Aura::Attack {
                amount: 1,
                target: target(Pick::All, Side::Own, TargetKind::Unit, 1, true),
            },
            Aura::Cost {
                amount: -1,
                matching: CardFilter {
                    kind: Some(CardKind::Spell),
                    ..CardFilter::default()
                },
                player: Side::Enemy,
            },
        ];
        assert_eq!(
            describe(&banner, &|_| None),
            "Your other units have +1 attack. Your opponent’s spells cost 1 less."
        );
        let mut cheap = target(Pick::All, Side::Any, TargetKind::Unit, 1, false);
        cheap.cost_at_most = Some(2);
        assert_eq!(
            says(vec![Effect::ReturnToHand { target: cheap }]),
            "Return all units costing 2 or less to their owners’ hands."
        );
    }
}
