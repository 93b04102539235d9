//! Unit tests: one scenario per effect, trigger, keyword and rule, on a small
//! purpose-built content set, with the board set up directly.

use std::sync::Arc;

use super::events::events_for;
use super::state::{CardRef, HandCard, Unit};
use super::*;
use crate::content::SourceFile;
use crate::content::schema::Keyword;
use crate::ids::Keywords;

const RULES: &str = r#"
[rules]
hero_health = 30
deck_size = 30
max_copies = 30
hand_limit = 10
board_limit = 7
moonlight_cap = 10
first_hand = 3
later_hand = 4
later_bonus_card = "coin"
turn_limit = 200
actions_per_turn = 60
factions = ["neutral"]
"#;

const CARDS: &str = r#"
[[deck]]
id = "grunts"
name = "Grunts"
faction = "neutral"
cards = [{ card = "grunt", count = 30 }]

[[card]]
id = "coin"
name = "Coin"
faction = "neutral"
kind = "spell"
cost = 0
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "gain_moonlight", amount = 1 }]

[[card]]
id = "grunt"
name = "Grunt"
faction = "neutral"
kind = "unit"
cost = 1
attack = 2
health = 2

[[card]]
id = "wall"
name = "Wall"
faction = "neutral"
kind = "unit"
cost = 1
attack = 0
health = 5
keywords = ["guard"]
collectible = false

[[card]]
id = "swifty"
name = "Swifty"
faction = "neutral"
kind = "unit"
cost = 1
attack = 2
health = 1
keywords = ["swift"]
collectible = false

[[card]]
id = "bubble"
name = "Bubble"
faction = "neutral"
kind = "unit"
cost = 1
attack = 1
health = 1
keywords = ["shield"]
collectible = false

[[card]]
id = "leech"
name = "Leech"
faction = "neutral"
kind = "unit"
cost = 1
attack = 3
health = 3
keywords = ["lifesteal"]
collectible = false

[[card]]
id = "viper"
name = "Viper"
faction = "neutral"
kind = "unit"
cost = 1
attack = 1
health = 1
keywords = ["venom"]
collectible = false

[[card]]
id = "sneak"
name = "Sneak"
faction = "neutral"
kind = "unit"
cost = 1
attack = 2
health = 2
keywords = ["stealth"]
collectible = false

[[card]]
id = "bolt"
name = "Bolt"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "damage", amount = 3, target = { pick = "chosen" } }]

[[card]]
id = "mend"
name = "Mend"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "heal", amount = 5, target = { pick = "chosen" } }]

[[card]]
id = "study"
name = "Study"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "draw", count = 2 }]

[[card]]
id = "purge"
name = "Purge"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "discard", player = "enemy" }]

[[card]]
id = "grow"
name = "Grow"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "gain_moonlight", amount = 1, permanent = true }]

[[card]]
id = "drain"
name = "Drain"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "drain_moonlight", amount = 2 }]

[[card]]
id = "rally"
name = "Rally"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "buff", attack = 2, health = 2, target = { pick = "chosen", side = "own", kind = "unit" } }]

[[card]]
id = "call"
name = "Call"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "summon", card = "grunt", count = 2 }]

[[card]]
id = "doom"
name = "Doom"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "destroy", target = { pick = "chosen", kind = "unit" } }]

[[card]]
id = "mercy"
name = "Mercy"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "destroy", target = { pick = "chosen", side = "enemy", kind = "unit", damaged = true } }]

[[card]]
id = "breach"
name = "Breach"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "damage", amount = 1, target = { pick = "all", keyword = "guard", attack_at_most = 1 } }]

[[card]]
id = "gambit"
name = "Gambit"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
condition = { check = "all", of = [{ check = "units", side = "own", at_least = 1 }, { check = "any", of = [{ check = "hand_size", at_most = 0 }, { check = "moonlight", at_least = 10 }] }] }
effects = [{ effect = "damage", amount = 5, target = { pick = "all", side = "enemy", kind = "hero" } }]

[[card]]
id = "vulture"
name = "Vulture"
faction = "neutral"
kind = "unit"
cost = 1
attack = 1
health = 3
collectible = false
[[card.abilities]]
trigger = "enemy_died"
effects = [{ effect = "buff", attack = 1, health = 1, target = { pick = "self" } }]
[[card.abilities]]
trigger = "ally_died"
effects = [{ effect = "heal", amount = 2, target = { pick = "all", side = "own", kind = "hero" } }]
[[card.abilities]]
trigger = "card_drawn"
effects = [{ effect = "damage", amount = 1, target = { pick = "all", side = "enemy", kind = "hero" } }]
[[card.abilities]]
trigger = "hero_damaged"
effects = [{ effect = "buff", attack = 2, target = { pick = "self" } }]

[[card]]
id = "reset"
name = "Reset"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "set_stats", attack = 1, health = 1, target = { pick = "chosen", kind = "unit" } }]

[[card]]
id = "raise"
name = "Raise"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "resurrect", count = 2 }]

[[card]]
id = "plant"
name = "Plant"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "shuffle", card = "grunt", count = 3, player = "enemy" }]

[[card]]
id = "bounce"
name = "Bounce"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "return_to_hand", target = { pick = "chosen", kind = "unit" } }]

[[card]]
id = "mute"
name = "Mute"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "silence", target = { pick = "chosen", kind = "unit" } }]

[[card]]
id = "gift"
name = "Gift"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "give_keyword", keyword = "guard", target = { pick = "chosen", kind = "unit" } }]

[[card]]
id = "morph"
name = "Morph"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "transform", card = "wall", target = { pick = "chosen", kind = "unit" } }]

[[card]]
id = "forge"
name = "Forge"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "add_card", card = "bolt", count = 2 }]

[[card]]
id = "storm"
name = "Storm"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "damage", amount = 1, target = { pick = "random", side = "enemy", count = 2 } }]

[[card]]
id = "quake"
name = "Quake"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "damage", amount = 2, target = { pick = "all", kind = "hero" } }]

[[card]]
id = "pinger"
name = "Pinger"
faction = "neutral"
kind = "unit"
cost = 1
attack = 1
health = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "damage", amount = 1, target = { pick = "chosen", side = "enemy" } }]

[[card]]
id = "martyr"
name = "Martyr"
faction = "neutral"
kind = "unit"
cost = 1
attack = 1
health = 1
collectible = false
[[card.abilities]]
trigger = "on_death"
effects = [{ effect = "damage", amount = 2, target = { pick = "all", side = "enemy", kind = "hero" } }]

[[card]]
id = "dawnling"
name = "Dawnling"
faction = "neutral"
kind = "unit"
cost = 1
attack = 1
health = 1
collectible = false
[[card.abilities]]
trigger = "turn_start"
effects = [{ effect = "buff", attack = 1, target = { pick = "self" } }]

[[card]]
id = "duskling"
name = "Duskling"
faction = "neutral"
kind = "unit"
cost = 1
attack = 1
health = 1
collectible = false
[[card.abilities]]
trigger = "turn_end"
effects = [{ effect = "draw" }]

[[card]]
id = "thornback"
name = "Thornback"
faction = "neutral"
kind = "unit"
cost = 1
attack = 1
health = 4
collectible = false
[[card.abilities]]
trigger = "on_damaged"
effects = [{ effect = "damage", amount = 1, target = { pick = "all", side = "enemy", kind = "hero" } }]

[[card]]
id = "charger"
name = "Charger"
faction = "neutral"
kind = "unit"
cost = 1
attack = 1
health = 5
collectible = false
[[card.abilities]]
trigger = "on_attack"
effects = [{ effect = "buff", attack = 2, target = { pick = "self" } }]

[[card]]
id = "herald"
name = "Herald"
faction = "neutral"
kind = "unit"
cost = 1
attack = 1
health = 1
collectible = false
[[card.abilities]]
trigger = "ally_summoned"
effects = [{ effect = "buff", health = 1, target = { pick = "self" } }]

[[card]]
id = "scholar"
name = "Scholar"
faction = "neutral"
kind = "unit"
cost = 1
attack = 1
health = 1
collectible = false
[[card.abilities]]
trigger = "spell_cast"
effects = [{ effect = "draw" }]

[[card]]
id = "captain"
name = "Captain"
faction = "neutral"
kind = "unit"
cost = 1
attack = 1
health = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
condition = { check = "units", side = "own", at_least = 3 }
effects = [{ effect = "draw" }]

[[card]]
id = "hoarder"
name = "Hoarder"
faction = "neutral"
kind = "unit"
cost = 1
attack = 1
health = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
condition = { check = "hand_size", at_most = 1 }
effects = [{ effect = "draw" }]

[[card]]
id = "desperado"
name = "Desperado"
faction = "neutral"
kind = "unit"
cost = 1
attack = 1
health = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
condition = { check = "hero_health", side = "own", at_most = 10 }
effects = [{ effect = "heal", amount = 5, target = { pick = "all", side = "own", kind = "hero" } }]

[[card]]
id = "fullmoon"
name = "Full Moon"
faction = "neutral"
kind = "unit"
cost = 1
attack = 1
health = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
condition = { check = "moonlight", at_least = 10 }
effects = [{ effect = "draw" }]

[[card]]
id = "looper"
name = "Looper"
faction = "neutral"
kind = "unit"
cost = 1
attack = 0
health = 30
collectible = false
[[card.abilities]]
trigger = "on_damaged"
effects = [
  { effect = "heal", amount = 1, target = { pick = "self" } },
  { effect = "damage", amount = 1, target = { pick = "self" } },
]
"#;

fn content() -> Arc<Content> {
    content_with(RULES)
}

fn content_with(rules: &str) -> Arc<Content> {
    let files = vec![
        SourceFile {
            name: "rules.toml".into(),
            rel: "rules.toml".into(),
            text: rules.into(),
        },
        SourceFile {
            name: "cards.toml".into(),
            rel: "cards.toml".into(),
            text: CARDS.into(),
        },
    ];
    match Content::from_sources(files) {
        Ok(c) => Arc::new(c),
        Err(r) => panic!("{r}"),
    }
}

const A: Seat = Seat(0);
const B: Seat = Seat(1);

/// A game where seat 0 is active with 10 moonlight and empty hands and boards.
fn game() -> Game {
    let mut g = Game::from_decks(content(), &["grunts", "grunts"], 1).expect("game");
    let st = g.state_mut();
    st.active = 0;
    for s in &mut st.seats {
        s.hand.clear();
        s.board.clear();
        s.moonlight = 10;
        s.max_moonlight = 10;
    }
    g
}

fn idx(g: &Game, card: &str) -> u16 {
    g.content.idx(card).expect("card")
}

fn give(g: &mut Game, seat: Seat, card: &str) -> EntityId {
    let c = idx(g, card);
    let id = g.state_mut().fresh_id();
    g.state_mut().seats[seat.index()].hand.push(HandCard {
        id,
        card: CardRef {
            card: c,
            generated: true,
        },
    });
    id
}

fn put(g: &mut Game, seat: Seat, card: &str) -> EntityId {
    let c = idx(g, card);
    let def = g.content.def(c).expect("def").clone();
    let id = g.state_mut().fresh_id();
    g.state_mut().seats[seat.index()].board.push(Unit {
        id,
        card: CardRef {
            card: c,
            generated: true,
        },
        attack: def.attack.unwrap_or(0),
        health: def.health.unwrap_or(1),
        max_health: def.health.unwrap_or(1),
        keywords: def.keywords.iter().copied().collect(),
        silenced: false,
        sleeping: false,
        attacks_left: 1,
        doomed: false,
        frozen: 0,
        temp_attack: 0,
        aura_attack: 0,
    });
    id
}

fn hero(g: &Game, seat: Seat) -> EntityId {
    g.state().seats[seat.index()].hero
}

fn health(g: &Game, id: EntityId) -> i32 {
    match g.state().locate(id) {
        Some(state::Loc::Hero(s)) => g.state().seats[s].health,
        Some(state::Loc::Unit(..)) => g.state().unit(id).map_or(-99, |u| u.health),
        None => -99,
    }
}

fn play(g: &mut Game, card: EntityId, target: Option<EntityId>) -> Vec<Event> {
    g.apply(
        A,
        Action::PlayCard {
            card,
            target,
            choice: None,
        },
    )
    .expect("play")
}

fn alive(g: &Game, id: EntityId) -> bool {
    g.state().unit(id).is_some()
}

// ----- effects -----

#[test]
fn damage_hits_the_chosen_character() {
    let mut g = game();
    let c = give(&mut g, A, "bolt");
    let foe = hero(&g, B);
    let ev = play(&mut g, c, Some(foe));
    assert_eq!(health(&g, foe), 27);
    assert!(ev.contains(&Event::Public(PublicEvent::Damaged {
        target: foe,
        amount: 3,
        health: 27
    })));
}

#[test]
fn heal_never_exceeds_maximum() {
    let mut g = game();
    let me = hero(&g, A);
    g.state_mut().seats[0].health = 28;
    let c = give(&mut g, A, "mend");
    play(&mut g, c, Some(me));
    assert_eq!(health(&g, me), 30);
}

#[test]
fn draw_takes_from_the_deck() {
    let mut g = game();
    let deck = g.state().seats[0].deck.len();
    let c = give(&mut g, A, "study");
    play(&mut g, c, None);
    assert_eq!(g.state().seats[0].hand.len(), 2);
    assert_eq!(g.state().seats[0].deck.len(), deck - 2);
}

#[test]
fn discard_removes_a_random_enemy_card() {
    let mut g = game();
    give(&mut g, B, "grunt");
    let c = give(&mut g, A, "purge");
    let ev = play(&mut g, c, None);
    assert!(g.state().seats[1].hand.is_empty());
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Public(PublicEvent::Discarded { .. })))
    );
}

#[test]
fn gain_and_drain_moonlight_respect_bounds() {
    let mut g = game();
    g.state_mut().seats[0].max_moonlight = 4;
    g.state_mut().seats[0].moonlight = 4;
    let c = give(&mut g, A, "grow");
    play(&mut g, c, None);
    assert_eq!(g.state().seats[0].max_moonlight, 5);
    assert_eq!(g.state().seats[0].moonlight, 4);
    let c = give(&mut g, A, "coin");
    play(&mut g, c, None);
    assert_eq!(g.state().seats[0].moonlight, 5);
    let c = give(&mut g, A, "drain");
    play(&mut g, c, None);
    assert_eq!(g.state().seats[1].max_moonlight, 8);
    assert!(g.state().seats[1].moonlight <= 8);
}

#[test]
fn buff_raises_attack_and_health() {
    let mut g = game();
    let u = put(&mut g, A, "grunt");
    let c = give(&mut g, A, "rally");
    play(&mut g, c, Some(u));
    let unit = g.state().unit(u).copied().expect("unit");
    assert_eq!((unit.attack, unit.health, unit.max_health), (4, 4, 4));
}

#[test]
fn summon_fills_the_board_up_to_the_limit() {
    let mut g = game();
    for _ in 0..6 {
        put(&mut g, A, "grunt");
    }
    let c = give(&mut g, A, "call");
    play(&mut g, c, None);
    assert_eq!(g.state().seats[0].board.len(), 7);
}

#[test]
fn destroy_kills_and_resolves_death() {
    let mut g = game();
    let u = put(&mut g, B, "martyr");
    let c = give(&mut g, A, "doom");
    let ev = play(&mut g, c, Some(u));
    assert!(!alive(&g, u));
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Public(PublicEvent::Died { unit, .. }) if *unit == u))
    );
    // The martyr's on_death hit our hero.
    assert_eq!(health(&g, hero(&g, A)), 28);
}

/// A filtered chosen target: only a damaged enemy unit is offered and accepted; the
/// others (unhurt, or our own) are refused and change nothing.
#[test]
fn a_chosen_target_honours_its_filter() {
    let mut g = game();
    let hurt = put(&mut g, B, "grunt");
    let unhurt = put(&mut g, B, "wall");
    let ours = put(&mut g, A, "grunt");
    for id in [hurt, ours] {
        let u = g.state_mut().unit_mut(id).expect("a unit");
        u.health -= 1;
    }
    let c = give(&mut g, A, "mercy");
    let offered: Vec<Option<EntityId>> = g
        .legal_actions(A)
        .into_iter()
        .filter_map(|a| match a {
            Action::PlayCard { card, target, .. } if card == c => Some(target),
            _ => None,
        })
        .collect();
    assert_eq!(offered, vec![Some(hurt)]);
    for refused in [unhurt, ours] {
        let before = g.state().clone();
        let answer = g.apply(
            A,
            Action::PlayCard {
                card: c,
                target: Some(refused),
                choice: None,
            },
        );
        assert_eq!(answer, Err(Rejection::InvalidTarget));
        assert_eq!(g.state(), &before);
    }
    play(&mut g, c, Some(hurt));
    assert!(!alive(&g, hurt) && alive(&g, unhurt) && alive(&g, ours));
}

/// A filtered `all`: only the units that match (a guard with at most 1 attack), on both
/// sides; no hero (heroes have no keywords).
#[test]
fn an_all_target_honours_its_filter() {
    let mut g = game();
    let wall = put(&mut g, B, "wall");
    let grunt = put(&mut g, B, "grunt");
    let our_wall = put(&mut g, A, "wall");
    let (grunt_health, heroes) = (
        health(&g, grunt),
        [health(&g, hero(&g, A)), health(&g, hero(&g, B))],
    );
    let c = give(&mut g, A, "breach");
    play(&mut g, c, None);
    assert_eq!(health(&g, wall), 4);
    assert_eq!(health(&g, our_wall), 4);
    assert_eq!(health(&g, grunt), grunt_health);
    assert_eq!([health(&g, hero(&g, A)), health(&g, hero(&g, B))], heroes);
}

/// `all` and `any` conditions: the gambit hits only with a unit of ours on the board and
/// (an empty hand or ten maximum moonlight).
#[test]
fn all_and_any_conditions_combine() {
    let mut g = game();
    let enemy = hero(&g, B);
    let start = health(&g, enemy);
    // No unit of ours: nothing, whatever the moonlight.
    let c = give(&mut g, A, "gambit");
    play(&mut g, c, None);
    assert_eq!(health(&g, enemy), start);
    // A unit and ten maximum moonlight (the `any` holds through its second part).
    put(&mut g, A, "grunt");
    let c = give(&mut g, A, "gambit");
    play(&mut g, c, None);
    assert_eq!(health(&g, enemy), start - 5);
    // A unit, nine maximum moonlight and a card in hand: neither part of the `any`.
    g.state_mut().seats[A.index()].max_moonlight = 9;
    give(&mut g, A, "grunt");
    let c = give(&mut g, A, "gambit");
    play(&mut g, c, None);
    assert_eq!(health(&g, enemy), start - 5);
}

/// The reactive triggers: an enemy unit dying, another friendly one dying, its
/// controller drawing, its controller's hero taking damage; each heard only by its side.
#[test]
fn units_react_to_deaths_draws_and_damage_on_their_side() {
    let mut g = game();
    let vulture = put(&mut g, A, "vulture");
    let stats = |g: &Game| g.state().unit(vulture).map(|u| (u.attack, u.health));
    // An enemy unit dies: +1/+1.
    let enemy = put(&mut g, B, "grunt");
    let c = give(&mut g, A, "doom");
    play(&mut g, c, Some(enemy));
    assert_eq!(stats(&g), Some((2, 4)));
    // A friendly unit dies: our hero is healed 2 (from 25).
    g.state_mut().seats[A.index()].health = 25;
    let friend = put(&mut g, A, "grunt");
    let c = give(&mut g, A, "doom");
    play(&mut g, c, Some(friend));
    assert_eq!(health(&g, hero(&g, A)), 27);
    assert_eq!(stats(&g), Some((2, 4)), "not an enemy");
    // We draw: 1 damage to the enemy hero; they draw: nothing.
    let enemy_hero = health(&g, hero(&g, B));
    let c = give(&mut g, A, "study");
    play(&mut g, c, None);
    assert_eq!(
        health(&g, hero(&g, B)),
        enemy_hero - 2,
        "two cards drawn, two pings"
    );
    // Our hero takes damage: +2 attack (and the enemy's hero taking it does nothing).
    let (ours, theirs) = (hero(&g, A), hero(&g, B));
    let c = give(&mut g, A, "bolt");
    play(&mut g, c, Some(theirs));
    assert_eq!(stats(&g), Some((2, 4)));
    let c = give(&mut g, A, "bolt");
    play(&mut g, c, Some(ours));
    assert_eq!(stats(&g), Some((4, 4)));
}

#[test]
fn set_stats_makes_a_unit_exactly_that() {
    let mut g = game();
    let wall = put(&mut g, B, "wall");
    let c = give(&mut g, A, "reset");
    play(&mut g, c, Some(wall));
    let u = g.state().unit(wall).expect("alive");
    assert_eq!((u.attack, u.health, u.max_health), (1, 1, 1));
}

/// Resurrect summons fresh copies of distinct units from your graveyard (never a spell,
/// never the enemy's dead); with none there, nothing.
#[test]
fn resurrect_brings_back_your_dead_units() {
    let mut g = game();
    let c = give(&mut g, A, "raise");
    play(&mut g, c, None);
    assert!(
        g.state().seats[A.index()].board.is_empty(),
        "nothing died yet"
    );
    for card in ["grunt", "wall"] {
        let u = put(&mut g, A, card);
        let c = give(&mut g, A, "doom");
        play(&mut g, c, Some(u));
    }
    let enemy = put(&mut g, B, "swifty");
    let c = give(&mut g, A, "doom");
    play(&mut g, c, Some(enemy));
    let c = give(&mut g, A, "raise");
    play(&mut g, c, None);
    let mut back: Vec<u16> = g.state().seats[A.index()]
        .board
        .iter()
        .map(|u| u.card.card)
        .collect();
    back.sort_unstable();
    let mut expected = vec![idx(&g, "grunt"), idx(&g, "wall")];
    expected.sort_unstable();
    assert_eq!(back, expected);
}

/// Shuffle puts copies into the chosen player's deck; the deck grows by that many.
#[test]
fn shuffle_puts_copies_into_a_deck() {
    let mut g = game();
    let before = g.state().seats[B.index()].deck.len();
    let c = give(&mut g, A, "plant");
    play(&mut g, c, None);
    let deck = &g.state().seats[B.index()].deck;
    assert_eq!(deck.len(), before + 3);
    let grunt = idx(&g, "grunt");
    assert_eq!(
        deck.iter()
            .filter(|c| c.card == grunt && c.generated)
            .count(),
        3
    );
}

#[test]
fn return_to_hand_gives_a_new_handle() {
    let mut g = game();
    let u = put(&mut g, B, "grunt");
    let c = give(&mut g, A, "bounce");
    play(&mut g, c, Some(u));
    let hand = &g.state().seats[1].hand;
    assert_eq!(hand.len(), 1);
    assert_ne!(hand[0].id, u);
}

#[test]
fn silence_removes_keywords_and_abilities() {
    let mut g = game();
    let u = put(&mut g, B, "martyr");
    let w = put(&mut g, B, "wall");
    let c = give(&mut g, A, "mute");
    play(&mut g, c, Some(w));
    assert_eq!(g.state().unit(w).map(|u| u.keywords), Some(Keywords::NONE));
    let c = give(&mut g, A, "mute");
    play(&mut g, c, Some(u));
    let c = give(&mut g, A, "bolt");
    play(&mut g, c, Some(u));
    assert_eq!(health(&g, hero(&g, A)), 30, "silenced martyr must not fire");
}

#[test]
fn give_keyword_adds_it() {
    let mut g = game();
    let u = put(&mut g, A, "grunt");
    let c = give(&mut g, A, "gift");
    play(&mut g, c, Some(u));
    assert!(
        g.state()
            .unit(u)
            .is_some_and(|x| x.keywords.has(Keyword::Guard))
    );
}

#[test]
fn transform_replaces_the_unit_with_a_new_id() {
    let mut g = game();
    let u = put(&mut g, B, "grunt");
    let c = give(&mut g, A, "morph");
    play(&mut g, c, Some(u));
    assert!(!alive(&g, u));
    let b = &g.state().seats[1].board;
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].card.card, idx(&g, "wall"));
}

#[test]
fn add_card_puts_generated_cards_in_hand() {
    let mut g = game();
    let c = give(&mut g, A, "forge");
    let ev = play(&mut g, c, None);
    assert_eq!(g.state().seats[0].hand.len(), 2);
    let hidden = events_for(Viewer::Seat(B), &ev);
    assert!(
        hidden
            .iter()
            .all(|e| !matches!(e, SeatEvent::CardGenerated { card: Some(_), .. }))
    );
}

#[test]
fn random_targets_are_distinct() {
    let mut g = game();
    let u = put(&mut g, B, "wall");
    let c = give(&mut g, A, "storm");
    play(&mut g, c, None);
    assert_eq!(health(&g, u), 4);
    assert_eq!(health(&g, hero(&g, B)), 29);
}

// ----- triggers -----

#[test]
fn on_play_uses_the_chosen_target() {
    let mut g = game();
    let foe = hero(&g, B);
    let c = give(&mut g, A, "pinger");
    play(&mut g, c, Some(foe));
    assert_eq!(health(&g, foe), 29);
}

#[test]
fn on_play_unit_without_valid_target_can_still_be_played() {
    let mut g = game();
    let c = give(&mut g, A, "rally");
    // A spell with no valid target is refused, state untouched.
    let before = g.state().clone();
    assert_eq!(
        g.apply(
            A,
            Action::PlayCard {
                card: c,
                target: None,
                choice: None,
            }
        ),
        Err(Rejection::NoValidTarget)
    );
    assert_eq!(g.state(), &before);
}

#[test]
fn turn_start_and_turn_end_fire_for_the_active_seat() {
    let mut g = game();
    put(&mut g, A, "duskling");
    let n = put(&mut g, B, "dawnling");
    let hand = g.state().seats[0].hand.len();
    g.apply(A, Action::EndTurn).expect("end");
    assert_eq!(
        g.state().seats[0].hand.len(),
        hand + 1,
        "duskling drew at turn end"
    );
    assert_eq!(g.state().unit(n).map(|u| u.attack), Some(2));
}

#[test]
fn on_damaged_fires_only_for_survivors() {
    let mut g = game();
    let t = put(&mut g, B, "thornback");
    let c = give(&mut g, A, "bolt");
    play(&mut g, c, Some(t));
    assert_eq!(health(&g, hero(&g, A)), 29);
    let c = give(&mut g, A, "bolt");
    play(&mut g, c, Some(t));
    assert!(!alive(&g, t));
    assert_eq!(
        health(&g, hero(&g, A)),
        29,
        "a dead thornback does not react"
    );
}

#[test]
fn on_attack_resolves_before_combat_damage() {
    let mut g = game();
    let c = put(&mut g, A, "charger");
    let foe = hero(&g, B);
    g.apply(
        A,
        Action::Attack {
            attacker: c,
            target: foe,
        },
    )
    .expect("attack");
    assert_eq!(health(&g, foe), 27);
}

#[test]
fn ally_summoned_and_spell_cast() {
    let mut g = game();
    let h = put(&mut g, A, "herald");
    put(&mut g, A, "scholar");
    let c = give(&mut g, A, "grunt");
    play(&mut g, c, None);
    assert_eq!(g.state().unit(h).map(|u| u.health), Some(2));
    let hand = g.state().seats[0].hand.len();
    let c = give(&mut g, A, "coin");
    play(&mut g, c, None);
    assert_eq!(g.state().seats[0].hand.len(), hand + 1);
}

#[test]
fn condition_gates_the_ability() {
    let mut g = game();
    let c = give(&mut g, A, "captain");
    play(&mut g, c, None);
    assert!(g.state().seats[0].hand.is_empty(), "1 unit: no draw");
    put(&mut g, A, "grunt");
    let c = give(&mut g, A, "captain");
    play(&mut g, c, None);
    assert_eq!(g.state().seats[0].hand.len(), 1, "3 units: draw");
}

#[test]
fn hand_size_condition() {
    let mut g = game();
    give(&mut g, A, "grunt");
    give(&mut g, A, "grunt");
    let c = give(&mut g, A, "hoarder");
    play(&mut g, c, None);
    assert_eq!(g.state().seats[0].hand.len(), 2, "2 cards left: no draw");
    g.state_mut().seats[0].hand.clear();
    let c = give(&mut g, A, "hoarder");
    play(&mut g, c, None);
    assert_eq!(g.state().seats[0].hand.len(), 1, "empty hand: draw");
}

#[test]
fn hero_health_condition() {
    let mut g = game();
    let me = hero(&g, A);
    g.state_mut().seats[0].health = 20;
    let c = give(&mut g, A, "desperado");
    play(&mut g, c, None);
    assert_eq!(health(&g, me), 20);
    g.state_mut().seats[0].health = 10;
    let c = give(&mut g, A, "desperado");
    play(&mut g, c, None);
    assert_eq!(health(&g, me), 15);
}

#[test]
fn moonlight_condition() {
    let mut g = game();
    let c = give(&mut g, A, "fullmoon");
    play(&mut g, c, None);
    assert_eq!(g.state().seats[0].hand.len(), 1, "10 max moonlight: draw");
    g.state_mut().seats[0].max_moonlight = 9;
    g.state_mut().seats[0].hand.clear();
    let c = give(&mut g, A, "fullmoon");
    play(&mut g, c, None);
    assert!(
        g.state().seats[0].hand.is_empty(),
        "9 max moonlight: no draw"
    );
}

#[test]
fn trigger_loops_are_capped() {
    let mut g = game();
    let l = put(&mut g, B, "looper");
    let c = give(&mut g, A, "bolt");
    let ev = play(&mut g, c, Some(l));
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Public(PublicEvent::TriggerLimit { .. })))
    );
    assert!(!g.is_over());
}

// ----- keywords -----

#[test]
fn guard_must_be_attacked_first() {
    let mut g = game();
    let a = put(&mut g, A, "grunt");
    let w = put(&mut g, B, "wall");
    let foe = hero(&g, B);
    assert_eq!(
        g.apply(
            A,
            Action::Attack {
                attacker: a,
                target: foe
            }
        ),
        Err(Rejection::MustAttackGuard)
    );
    assert!(
        g.legal_actions(A)
            .iter()
            .all(|x| !matches!(x, Action::Attack { target, .. } if *target == foe))
    );
    g.apply(
        A,
        Action::Attack {
            attacker: a,
            target: w,
        },
    )
    .expect("attack guard");
}

#[test]
fn swift_attacks_the_turn_it_is_played_and_others_sleep() {
    let mut g = game();
    let s = give(&mut g, A, "swifty");
    let n = give(&mut g, A, "grunt");
    play(&mut g, s, None);
    play(&mut g, n, None);
    let board = g.state().seats[0].board.clone();
    let foe = hero(&g, B);
    assert_eq!(
        g.apply(
            A,
            Action::Attack {
                attacker: board[1].id,
                target: foe
            }
        ),
        Err(Rejection::CannotAttack)
    );
    g.apply(
        A,
        Action::Attack {
            attacker: board[0].id,
            target: foe,
        },
    )
    .expect("swift");
    assert_eq!(
        g.apply(
            A,
            Action::Attack {
                attacker: board[0].id,
                target: foe
            }
        ),
        Err(Rejection::CannotAttack),
        "one attack per turn"
    );
}

#[test]
fn shield_absorbs_the_first_damage() {
    let mut g = game();
    let b = put(&mut g, B, "bubble");
    let c = give(&mut g, A, "bolt");
    play(&mut g, c, Some(b));
    assert_eq!(health(&g, b), 1);
    let c = give(&mut g, A, "bolt");
    play(&mut g, c, Some(b));
    assert!(!alive(&g, b));
}

#[test]
fn lifesteal_heals_the_controller() {
    let mut g = game();
    g.state_mut().seats[0].health = 20;
    let l = put(&mut g, A, "leech");
    let foe = hero(&g, B);
    g.apply(
        A,
        Action::Attack {
            attacker: l,
            target: foe,
        },
    )
    .expect("attack");
    assert_eq!(health(&g, hero(&g, A)), 23);
}

#[test]
fn venom_destroys_any_unit_it_damages() {
    let mut g = game();
    let v = put(&mut g, A, "viper");
    let w = put(&mut g, B, "wall");
    g.apply(
        A,
        Action::Attack {
            attacker: v,
            target: w,
        },
    )
    .expect("attack");
    assert!(!alive(&g, w));
}

#[test]
fn stealth_hides_until_it_attacks() {
    let mut g = game();
    let s = put(&mut g, B, "sneak");
    let a = put(&mut g, A, "grunt");
    assert_eq!(
        g.apply(
            A,
            Action::Attack {
                attacker: a,
                target: s
            }
        ),
        Err(Rejection::InvalidTarget)
    );
    let c = give(&mut g, A, "bolt");
    assert_eq!(
        g.apply(
            A,
            Action::PlayCard {
                card: c,
                target: Some(s),
                choice: None,
            }
        ),
        Err(Rejection::InvalidTarget)
    );
    g.apply(A, Action::EndTurn).expect("end");
    let me = hero(&g, A);
    g.apply(
        B,
        Action::Attack {
            attacker: s,
            target: me,
        },
    )
    .expect("sneak attacks");
    assert!(
        g.state()
            .unit(s)
            .is_some_and(|u| !u.keywords.has(Keyword::Stealth))
    );
}

// ----- rules -----

#[test]
fn rejections_leave_the_state_untouched() {
    let mut g = game();
    let before = g.state().clone();
    let c = give(&mut g, B, "bolt");
    let with_card = g.state().clone();
    assert_ne!(before, with_card);
    let foe = hero(&g, A);
    assert_eq!(
        g.apply(
            B,
            Action::PlayCard {
                card: c,
                target: Some(foe),
                choice: None,
            }
        ),
        Err(Rejection::NotYourTurn)
    );
    assert_eq!(
        g.apply(
            A,
            Action::PlayCard {
                card: c,
                target: Some(foe),
                choice: None,
            }
        ),
        Err(Rejection::CardNotInHand)
    );
    g.state_mut().seats[0].moonlight = 0;
    let d = give(&mut g, A, "bolt");
    let snap = g.state().clone();
    assert_eq!(
        g.apply(
            A,
            Action::PlayCard {
                card: d,
                target: Some(foe),
                choice: None,
            }
        ),
        Err(Rejection::NotEnoughMoonlight { need: 1, have: 0 })
    );
    assert_eq!(
        g.apply(Seat(9), Action::EndTurn),
        Err(Rejection::UnknownSeat)
    );
    assert_eq!(g.state(), &snap);
}

#[test]
fn fatigue_grows_and_ends_games() {
    let mut g = game();
    g.state_mut().seats[1].deck.clear();
    g.apply(A, Action::EndTurn).expect("end");
    assert_eq!(g.state().seats[1].health, 29);
    g.apply(B, Action::EndTurn).expect("end");
    g.apply(A, Action::EndTurn).expect("end");
    assert_eq!(g.state().seats[1].health, 27);
}

#[test]
fn both_heroes_at_zero_is_a_draw() {
    let mut g = game();
    g.state_mut().seats[0].health = 2;
    g.state_mut().seats[1].health = 2;
    // One effect hits both heroes; deaths resolve after it, together.
    let c = give(&mut g, A, "quake");
    play(&mut g, c, None);
    let o = g.outcome().cloned().expect("over");
    assert!(o.is_draw(), "{o:?}");
    assert_eq!(g.legal_actions(A), Vec::new());
    assert_eq!(g.apply(A, Action::EndTurn), Err(Rejection::GameOver));
}

#[test]
fn concede_and_forfeit_end_the_game() {
    let mut g = game();
    let ev = g.apply(B, Action::Concede).expect("concede off-turn");
    assert!(ev.contains(&Event::Public(PublicEvent::Conceded { seat: B })));
    assert_eq!(g.outcome().map(|o| o.winners.clone()), Some(vec![A]));
    let mut g = game();
    g.forfeit(A).expect("forfeit");
    assert_eq!(g.outcome().map(|o| o.winners.clone()), Some(vec![B]));
}

#[test]
fn timeout_ends_only_the_active_turn() {
    let mut g = game();
    assert_eq!(g.timeout(B), Err(Rejection::NotYourTurn));
    let ev = g.timeout(A).expect("timeout");
    assert!(ev.contains(&Event::Public(PublicEvent::TimedOut { seat: A })));
    assert_eq!(g.active_seat(), B);
}

#[test]
fn second_player_gets_the_bonus_card() {
    let g = Game::from_decks(content(), &["grunts", "grunts"], 5).expect("game");
    let first = g.active_seat().index();
    let second = 1 - first;
    let st = g.state();
    // First: 3 + the turn-1 draw; second: 4 + coin.
    assert_eq!(st.seats[first].hand.len(), 4);
    assert_eq!(st.seats[second].hand.len(), 5);
    assert!(
        st.seats[second]
            .hand
            .iter()
            .any(|h| h.card.card == g.content.idx("coin").unwrap_or(0))
    );
    assert_eq!(st.seats[first].max_moonlight, 1);
}

#[test]
fn free_for_all_skips_defeated_seats() {
    let c = content();
    let deck = c.deck_list("grunts").expect("deck");
    let setup = GameSetup {
        seats: (0..3)
            .map(|t| SeatSetup {
                deck: deck.clone(),
                team: t,
            })
            .collect(),
        seed: 3,
    };
    let mut g = Game::new(c, &setup).expect("ffa");
    let a = g.active_seat();
    g.apply(a, Action::Concede).expect("concede");
    assert!(!g.is_over());
    assert_ne!(g.active_seat(), a);
    let b = g.active_seat();
    g.apply(b, Action::Concede).expect("concede");
    assert!(g.is_over());
}

#[test]
fn hidden_hand_is_not_in_the_opponents_view() {
    let mut g = game();
    let c = give(&mut g, B, "bolt");
    let v = g.view_for(A);
    assert!(v.hand.is_empty());
    assert_eq!(v.seats[1].hand, vec![c]);
    let json = serde_json::to_string(&v).unwrap_or_default();
    assert!(!json.contains("bolt"));
    let own = g.view_for(B);
    assert_eq!(own.hand.len(), 1);
    assert!(g.spectator_view().hand.is_empty());
}

#[test]
fn snapshot_round_trip_and_corruption() {
    let g = game();
    let bytes = g.to_bytes();
    let back = Game::from_bytes(Arc::clone(&g.content), &bytes).expect("restore");
    assert_eq!(back.state(), g.state());
    for cut in [0, 3, 10, bytes.len() / 2, bytes.len() - 1] {
        assert!(Game::from_bytes(Arc::clone(&g.content), &bytes[..cut]).is_err());
    }
    let mut extra = bytes.clone();
    extra.push(0);
    assert!(Game::from_bytes(Arc::clone(&g.content), &extra).is_err());
    let mut bad = bytes;
    bad[0] = b'X';
    assert!(Game::from_bytes(g.content, &bad).is_err());
}

#[test]
fn mulligan_replaces_chosen_cards_before_turn_one() {
    let rules = RULES.replace(
        "actions_per_turn = 60",
        "actions_per_turn = 60\nmulligan = true",
    );
    let mut g = Game::from_decks(content_with(&rules), &["grunts", "grunts"], 8).expect("game");
    let first = g.active_seat();
    let second = Seat(1 - first.0);
    assert_eq!(g.turn(), 0);
    assert_eq!(g.seats_to_act().len(), 2);
    // 3 cards dealt: 8 choices (every subset) plus concede.
    assert_eq!(g.legal_actions(first).len(), 9);
    // The bonus coin cannot go back: 4 dealt cards, 16 choices.
    assert_eq!(g.legal_actions(second).len(), 17);
    assert_eq!(
        g.apply(first, Action::EndTurn),
        Err(Rejection::MulliganPending)
    );
    let before: Vec<EntityId> = g.state().seats[first.index()]
        .hand
        .iter()
        .map(|h| h.id)
        .collect();
    let ev = g
        .apply(
            first,
            Action::Mulligan {
                replace: before[..2].to_vec(),
            },
        )
        .expect("mulligan");
    assert!(ev.contains(&Event::Public(PublicEvent::Mulligan {
        seat: first,
        replaced: before[..2].to_vec()
    })));
    let after: Vec<EntityId> = g.state().seats[first.index()]
        .hand
        .iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(after.len(), 3);
    assert_eq!(after[0], before[2]);
    assert!(!after.contains(&before[0]) && !after.contains(&before[1]));
    assert_eq!(
        g.apply(
            first,
            Action::Mulligan {
                replace: Vec::new()
            }
        ),
        Err(Rejection::NoMulligan)
    );
    assert_eq!(g.turn(), 0, "waiting for the other seat");
    assert_eq!(g.check_invariants(), Ok(()));
    // The server's timer keeps the other hand; turn 1 begins.
    g.timeout(second).expect("timeout keeps the hand");
    assert_eq!(g.turn(), 1);
    assert_eq!(g.active_seat(), first);
    assert_eq!(g.state().seats[first.index()].hand.len(), 4, "turn-1 draw");
    assert_eq!(g.check_invariants(), Ok(()));
}

#[test]
fn abandon_voids_the_match_with_no_winner() {
    let rules = RULES.replace(
        "actions_per_turn = 60",
        "actions_per_turn = 60\nmulligan = true",
    );
    let mut g = Game::from_decks(content_with(&rules), &["grunts", "grunts"], 8).expect("game");
    let (first, second) = (g.active_seat(), Seat(1 - g.active_seat().0));
    // One seat chose its opening hand; the other never showed up.
    g.apply(first, Action::Mulligan { replace: vec![] })
        .expect("keep");
    let ev = g.abandon(second).expect("abandon");
    let outcome = Outcome {
        winners: Vec::new(),
        reason: EndReason::NoContest,
    };
    assert_eq!(
        ev,
        vec![Event::Public(PublicEvent::GameOver {
            outcome: outcome.clone()
        })]
    );
    assert_eq!(g.outcome(), Some(&outcome));
    assert!(outcome.is_void() && !outcome.is_draw());
    assert_eq!(g.turn(), 0, "no turn was played");
    assert!(g.seats_to_act().is_empty());
    assert_eq!(g.abandon(first), Err(Rejection::GameOver));
    assert_eq!(g.check_invariants(), Ok(()));
    // The void outcome survives a snapshot.
    let restored = Game::from_bytes(g.content().clone(), &g.to_bytes()).expect("restore");
    assert_eq!(restored.outcome(), Some(&outcome));
}

#[test]
fn end_reason_names_are_their_serde_names_and_parse_back() {
    for reason in EndReason::ALL {
        let json = serde_json::to_value(reason).unwrap();
        assert_eq!(json.as_str(), Some(reason.as_str()));
        assert_eq!(EndReason::parse(reason.as_str()), Some(reason));
    }
    assert_eq!(EndReason::parse("forfeit"), None);
}

mod vocabulary;
