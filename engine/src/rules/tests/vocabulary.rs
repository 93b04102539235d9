//! The richer vocabulary, one scenario each: armor, freezing, attack for the turn, auras,
//! cost changes, stealing, copying, tutoring, `if`, `choose`, computed amounts, `it`,
//! secrets and hero powers. Own content: a neutral deck (no hero power) against a
//! `frost` deck (with one).

use std::sync::Arc;

use super::super::events::events_for;
use super::super::*;
use super::{A, B, alive, health, hero, idx, put};
use crate::content::SourceFile;

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
turn_limit = 200
actions_per_turn = 60
factions = ["neutral", "frost"]
hero_powers = { frost = "frost_power" }
"#;

const CARDS: &str = r#"
[[deck]]
id = "grunts"
name = "Grunts"
faction = "neutral"
cards = [{ card = "grunt", count = 20 }, { card = "spark", count = 10 }]

[[deck]]
id = "frosts"
name = "Frosts"
faction = "frost"
cards = [{ card = "icicle", count = 30 }]

[[card]]
id = "grunt"
name = "Grunt"
faction = "neutral"
kind = "unit"
cost = 1
attack = 2
health = 2

[[card]]
id = "spark"
name = "Spark"
faction = "neutral"
kind = "spell"
cost = 1
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "damage", amount = 1, target = { pick = "chosen" } }]

[[card]]
id = "icicle"
name = "Icicle"
faction = "frost"
kind = "unit"
cost = 1
attack = 1
health = 1

[[card]]
id = "frost_power"
name = "Frostbite"
faction = "frost"
kind = "power"
cost = 2
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "damage", amount = 1, target = { pick = "chosen", side = "enemy" } }]

[[card]]
id = "plate"
name = "Plate"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "armor", amount = { count = "units", side = "any", plus = 1 } }]

[[card]]
id = "blast"
name = "Blast"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "damage", amount = 5, target = { pick = "chosen" } }]

[[card]]
id = "frostbolt"
name = "Frostbolt"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "freeze", target = { pick = "chosen", kind = "unit" } }]

[[card]]
id = "rage"
name = "Rage"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "buff", attack = 3, this_turn = true, target = { pick = "chosen", side = "own", kind = "unit" } }]

[[card]]
id = "banner"
name = "Banner"
faction = "neutral"
kind = "unit"
cost = 1
attack = 0
health = 3
collectible = false
[[card.auras]]
aura = "attack"
amount = 1
target = { pick = "all", side = "own", kind = "unit", other = true }

[[card]]
id = "bargain"
name = "Bargain"
faction = "neutral"
kind = "unit"
cost = 1
attack = 1
health = 1
collectible = false
[[card.auras]]
aura = "cost"
amount = -1
matching = { kind = "spell" }

[[card]]
id = "discount"
name = "Discount"
faction = "neutral"
kind = "spell"
cost = 0
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "change_cost", amount = -3, matching = { kind = "spell" } }]

[[card]]
id = "hurry"
name = "Hurry"
faction = "neutral"
kind = "spell"
cost = 0
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "change_cost", amount = -1, duration = "this_turn" }]

[[card]]
id = "thief"
name = "Thief"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "take_control", target = { pick = "chosen", side = "enemy", kind = "unit" } }]

[[card]]
id = "mirror"
name = "Mirror"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [
  { effect = "copy", target = { pick = "chosen", kind = "unit" } },
  { effect = "copy", to = "board", target = { pick = "chosen", kind = "unit" } },
]

[[card]]
id = "seek"
name = "Seek"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "draw", matching = { kind = "spell" } }]

[[card]]
id = "gamble"
name = "Gamble"
faction = "neutral"
kind = "spell"
cost = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "if", condition = { check = "units", at_least = 2 }, then = [{ effect = "damage", amount = 3, target = { pick = "all", side = "enemy", kind = "hero" } }], else = [{ effect = "armor", amount = 1 }] }]

[[card]]
id = "druid"
name = "Druid"
faction = "neutral"
kind = "unit"
cost = 1
attack = 1
health = 1
collectible = false
[[card.abilities]]
trigger = "on_play"
effects = [{ effect = "choose", options = [
  [{ effect = "damage", amount = 2, target = { pick = "chosen", side = "enemy" } }],
  [{ effect = "armor", amount = 4 }],
] }]

[[card]]
id = "trainer"
name = "Trainer"
faction = "neutral"
kind = "unit"
cost = 1
attack = 1
health = 3
collectible = false
[[card.abilities]]
trigger = "ally_summoned"
effects = [{ effect = "buff", attack = 1, target = { pick = "it" } }]

[[card]]
id = "ice_trap"
name = "Ice Trap"
faction = "neutral"
kind = "spell"
cost = 1
secret = true
collectible = false
[[card.abilities]]
trigger = "enemy_attacks"
effects = [{ effect = "freeze", target = { pick = "it" } }]
"#;

fn content() -> Arc<Content> {
    let file = |name: &str, text: &str| SourceFile {
        name: name.into(),
        rel: name.into(),
        text: text.into(),
    };
    match Content::from_sources(vec![file("rules.toml", RULES), file("cards.toml", CARDS)]) {
        Ok(c) => Arc::new(c),
        Err(r) => panic!("{r}"),
    }
}

/// Seat 0 (grunts, no power) is active with 10 moonlight; seat 1 plays frost (a power);
/// hands and boards empty.
fn game() -> Game {
    let mut g = Game::from_decks(content(), &["grunts", "frosts"], 7).expect("game");
    let st = g.state_mut();
    st.active = 0;
    st.turn = 1;
    for s in &mut st.seats {
        s.hand.clear();
        s.board.clear();
        s.brought = s.deck.len() as u32;
        s.mulligan = false;
        s.moonlight = 10;
        s.max_moonlight = 10;
    }
    g
}

fn give(g: &mut Game, seat: Seat, card: &str) -> EntityId {
    super::give(g, seat, card)
}

fn play_as(g: &mut Game, seat: Seat, card: EntityId, target: Option<EntityId>) -> Vec<Event> {
    let action = Action::PlayCard {
        card,
        target,
        choice: None,
    };
    let events = g.apply(seat, action).expect("play");
    assert_eq!(g.check_invariants(), Ok(()));
    events
}

fn play(g: &mut Game, card: EntityId, target: Option<EntityId>) -> Vec<Event> {
    play_as(g, A, card, target)
}

fn end_turn(g: &mut Game) {
    let seat = g.active_seat();
    g.apply(seat, Action::EndTurn).expect("end turn");
    assert_eq!(g.check_invariants(), Ok(()));
}

fn attack(g: &Game, id: EntityId) -> i32 {
    g.state().unit(id).map_or(-1, |u| u.attack)
}

fn armor(g: &Game, seat: Seat) -> i32 {
    g.state().seats[seat.index()].armor
}

fn cost_in_hand(g: &Game, seat: Seat, handle: EntityId) -> i32 {
    g.view_for(seat)
        .hand
        .iter()
        .find(|h| h.handle == handle)
        .map_or(-1, |h| h.cost)
}

#[test]
fn armor_takes_damage_first_and_counts_can_size_it() {
    let mut g = game();
    put(&mut g, A, "grunt");
    put(&mut g, B, "icicle");
    let c = give(&mut g, A, "plate");
    play(&mut g, c, None);
    assert_eq!(armor(&g, A), 3, "two units on the board, plus one");
    let c = give(&mut g, A, "blast");
    let own_hero = hero(&g, A);
    let events = play(&mut g, c, Some(own_hero));
    assert_eq!(armor(&g, A), 0);
    assert_eq!(
        health(&g, hero(&g, A)),
        28,
        "5 damage: 3 on armor, 2 on the hero"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Public(PublicEvent::Damaged { amount: 2, .. })))
    );
}

#[test]
fn a_frozen_unit_misses_its_next_turn_of_attacks() {
    let mut g = game();
    let mine = put(&mut g, A, "grunt");
    let theirs = put(&mut g, B, "icicle");
    // Frozen on its controller's own turn: this turn and the next.
    let c = give(&mut g, A, "frostbolt");
    play(&mut g, c, Some(mine));
    let attacks = |g: &Game, seat: Seat, unit: EntityId| {
        g.legal_actions(seat)
            .iter()
            .any(|a| matches!(a, Action::Attack { attacker, .. } if *attacker == unit))
    };
    assert!(!attacks(&g, A, mine));
    let c = give(&mut g, A, "frostbolt");
    play(&mut g, c, Some(theirs));
    end_turn(&mut g);
    assert!(
        !attacks(&g, B, theirs),
        "frozen on the enemy's turn: misses its own"
    );
    assert!(g.view_for(B).seats[1].board[0].frozen);
    end_turn(&mut g);
    assert!(
        !attacks(&g, A, mine),
        "still frozen: the turn it was frozen in did not count"
    );
    end_turn(&mut g);
    assert!(
        attacks(&g, B, theirs),
        "thawed at the end of its controller's turn"
    );
    end_turn(&mut g);
    assert!(attacks(&g, A, mine));
}

#[test]
fn attack_for_this_turn_fades_when_the_turn_ends() {
    let mut g = game();
    let mine = put(&mut g, A, "grunt");
    let c = give(&mut g, A, "rage");
    play(&mut g, c, Some(mine));
    assert_eq!(attack(&g, mine), 5);
    end_turn(&mut g);
    assert_eq!(attack(&g, mine), 2);
}

#[test]
fn an_attack_aura_follows_the_board() {
    let mut g = game();
    let grunt = put(&mut g, A, "grunt");
    let banner = give(&mut g, A, "banner");
    play(&mut g, banner, None);
    let banner = g.state().seats[A.index()].board[1].id;
    assert_eq!(attack(&g, grunt), 3, "the other friendly unit gains 1");
    assert_eq!(attack(&g, banner), 0, "not the banner itself");
    let later = give(&mut g, A, "grunt");
    play(&mut g, later, None);
    let later = g.state().seats[A.index()].board[2].id;
    assert_eq!(
        attack(&g, later),
        3,
        "a unit that arrives later gains it too"
    );
    let c = give(&mut g, A, "blast");
    play(&mut g, c, Some(banner));
    assert!(!alive(&g, banner));
    assert_eq!(
        (attack(&g, grunt), attack(&g, later)),
        (2, 2),
        "gone with its source"
    );
}

#[test]
fn cost_changes_show_in_the_hand_and_are_used_up() {
    let mut g = game();
    let blast = give(&mut g, A, "blast");
    let grunt = give(&mut g, A, "grunt");
    let bargain = give(&mut g, A, "bargain");
    play(&mut g, bargain, None);
    assert_eq!(
        cost_in_hand(&g, A, blast),
        0,
        "the aura: spells cost 1 less"
    );
    assert_eq!(cost_in_hand(&g, A, grunt), 1, "units unchanged");
    let discount = give(&mut g, A, "discount");
    play(&mut g, discount, None);
    let second = give(&mut g, A, "blast");
    assert_eq!(cost_in_hand(&g, A, blast), 0, "never below 0");
    let before = g.state().seats[A.index()].moonlight;
    let foe = hero(&g, B);
    play(&mut g, blast, Some(foe));
    assert_eq!(g.state().seats[A.index()].moonlight, before);
    assert_eq!(
        cost_in_hand(&g, A, second),
        0,
        "the next spell used the discount; the aura stays"
    );
    let hurry = give(&mut g, A, "hurry");
    play(&mut g, hurry, None);
    assert_eq!(cost_in_hand(&g, A, grunt), 0);
    end_turn(&mut g);
    end_turn(&mut g);
    assert_eq!(cost_in_hand(&g, A, grunt), 1, "this turn only");
}

#[test]
fn taking_control_moves_a_unit_and_keeps_the_card_count() {
    let mut g = game();
    let theirs = put(&mut g, B, "icicle");
    g.state_mut().seats[B.index()].board[0].card.generated = false;
    g.state_mut().seats[B.index()].brought += 1;
    assert_eq!(g.check_invariants(), Ok(()));
    let c = give(&mut g, A, "thief");
    play(&mut g, c, Some(theirs));
    assert!(
        g.state().seats[A.index()]
            .board
            .iter()
            .any(|u| u.id == theirs)
    );
    assert!(g.state().seats[B.index()].board.is_empty());
}

#[test]
fn copies_go_to_the_hand_and_the_board() {
    let mut g = game();
    let theirs = put(&mut g, B, "icicle");
    let c = give(&mut g, A, "mirror");
    play(&mut g, c, Some(theirs));
    let icicle = idx(&g, "icicle");
    assert!(
        g.state().seats[A.index()]
            .hand
            .iter()
            .any(|h| h.card.card == icicle)
    );
    assert!(
        g.state().seats[A.index()]
            .board
            .iter()
            .any(|u| u.card.card == icicle)
    );
}

#[test]
fn a_tutor_draws_only_what_matches_and_never_fatigues() {
    let mut g = game();
    let deck = g.state().seats[A.index()].deck.len();
    let c = give(&mut g, A, "seek");
    play(&mut g, c, None);
    let spark = idx(&g, "spark");
    let hand = &g.state().seats[A.index()].hand;
    assert_eq!(hand.len(), 1);
    assert_eq!(hand[0].card.card, spark);
    assert_eq!(g.state().seats[A.index()].deck.len(), deck - 1);
    let seat = &mut g.state_mut().seats[A.index()];
    seat.deck.retain(|c| c.card != spark);
    seat.brought = (seat.deck.len() + seat.hand.len()) as u32;
    let c = give(&mut g, A, "seek");
    play(&mut g, c, None);
    assert_eq!(g.state().seats[A.index()].fatigue, 0);
}

#[test]
fn if_takes_one_branch_or_the_other() {
    let mut g = game();
    let c = give(&mut g, A, "gamble");
    play(&mut g, c, None);
    assert_eq!((armor(&g, A), health(&g, hero(&g, B))), (1, 30));
    put(&mut g, A, "grunt");
    put(&mut g, A, "grunt");
    let c = give(&mut g, A, "gamble");
    play(&mut g, c, None);
    assert_eq!((armor(&g, A), health(&g, hero(&g, B))), (1, 27));
}

#[test]
fn choose_one_asks_for_an_option_and_its_target() {
    let mut g = game();
    let c = give(&mut g, A, "druid");
    let foe = hero(&g, B);
    let options: Vec<Action> = g
        .legal_actions(A)
        .into_iter()
        .filter(|a| matches!(a, Action::PlayCard { card, .. } if *card == c))
        .collect();
    assert!(options.contains(&Action::PlayCard {
        card: c,
        target: Some(foe),
        choice: Some(0)
    }));
    assert!(options.contains(&Action::PlayCard {
        card: c,
        target: None,
        choice: Some(1)
    }));
    assert!(options.iter().all(|a| matches!(
        a,
        Action::PlayCard {
            choice: Some(_),
            ..
        }
    )));
    let refused = |g: &mut Game, target, choice| {
        let before = g.state().clone();
        let r = g.apply(
            A,
            Action::PlayCard {
                card: c,
                target,
                choice,
            },
        );
        assert_eq!(g.state(), &before, "a refusal changes nothing");
        r.err()
    };
    assert_eq!(refused(&mut g, None, None), Some(Rejection::ChoiceRequired));
    assert_eq!(
        refused(&mut g, None, Some(2)),
        Some(Rejection::InvalidChoice)
    );
    assert_eq!(
        refused(&mut g, Some(foe), Some(1)),
        Some(Rejection::TargetNotAllowed)
    );
    let plain = give(&mut g, A, "grunt");
    let r = g.apply(
        A,
        Action::PlayCard {
            card: plain,
            target: None,
            choice: Some(0),
        },
    );
    assert_eq!(r.err(), Some(Rejection::InvalidChoice));
    g.apply(
        A,
        Action::PlayCard {
            card: c,
            target: Some(foe),
            choice: Some(0),
        },
    )
    .expect("option 0 on the enemy hero");
    assert_eq!((health(&g, foe), armor(&g, A)), (28, 0));
}

#[test]
fn it_is_the_unit_the_trigger_is_about() {
    let mut g = game();
    let trainer = put(&mut g, A, "trainer");
    let c = give(&mut g, A, "grunt");
    play(&mut g, c, None);
    let newcomer = g.state().seats[A.index()].board[1].id;
    assert_eq!((attack(&g, newcomer), attack(&g, trainer)), (3, 1));
}

#[test]
fn a_secret_is_hidden_until_an_enemy_springs_it() {
    let mut g = game();
    let attacker = put(&mut g, B, "icicle");
    let c = give(&mut g, A, "ice_trap");
    let events = play(&mut g, c, None);
    let ice_trap = idx(&g, "ice_trap");
    // The owner sees which secret; the opponent only that there is one.
    let theirs = events_for(Viewer::Seat(B), &events);
    assert!(
        theirs
            .iter()
            .any(|e| matches!(e, SeatEvent::SecretSet { card: None, .. }))
    );
    assert!(!format!("{theirs:?}").contains("ice_trap"));
    assert_eq!(g.view_for(B).seats[0].secrets, 1);
    assert!(g.view_for(B).own_secrets.is_empty());
    assert_eq!(g.view_for(A).own_secrets.len(), 1);
    // Our own turn does not spring it; the enemy's attack does, once.
    end_turn(&mut g);
    let events = g
        .apply(
            B,
            Action::Attack {
                attacker,
                target: hero(&g, A),
            },
        )
        .expect("attack");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Public(PublicEvent::SecretRevealed { .. })))
    );
    assert!(g.state().unit(attacker).is_some_and(|u| u.frozen > 0));
    assert!(g.state().seats[A.index()].secrets.is_empty());
    assert!(
        g.state().seats[A.index()]
            .graveyard
            .iter()
            .any(|c| c.card == ice_trap)
    );
    assert_eq!(g.check_invariants(), Ok(()));
}

#[test]
fn a_hero_power_is_used_once_a_turn_and_only_by_its_faction() {
    let mut g = game();
    assert_eq!(
        g.apply(
            A,
            Action::UsePower {
                target: None,
                choice: None
            }
        )
        .err(),
        Some(Rejection::NoPower),
        "the neutral deck brought none"
    );
    end_turn(&mut g);
    let power = |g: &Game| {
        g.legal_actions(B)
            .into_iter()
            .filter(|a| matches!(a, Action::UsePower { .. }))
            .count()
    };
    assert_eq!(power(&g), 1, "one target: the enemy hero");
    assert_eq!(
        g.view_for(A).seats[1].power.as_ref().map(|c| c.as_str()),
        Some("frost_power")
    );
    let foe = hero(&g, A);
    let moonlight = g.state().seats[B.index()].moonlight;
    g.apply(
        B,
        Action::UsePower {
            target: Some(foe),
            choice: None,
        },
    )
    .expect("power");
    assert_eq!(health(&g, foe), 29);
    assert_eq!(g.state().seats[B.index()].moonlight, moonlight - 2);
    assert_eq!(power(&g), 0);
    assert_eq!(
        g.apply(
            B,
            Action::UsePower {
                target: Some(foe),
                choice: None
            }
        )
        .err(),
        Some(Rejection::PowerUsed)
    );
    end_turn(&mut g);
    end_turn(&mut g);
    assert_eq!(power(&g), 1, "again next turn");
}
