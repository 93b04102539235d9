//! Golden games: a seed, decks and a fixed play policy give exactly these
//! results. If a rules change moves them on purpose, update the numbers and
//! say why in the commit; if not, it is a determinism bug.

use std::path::PathBuf;
use std::sync::Arc;

use moonlight_engine::{Action, Content, Event, Game, Input, PublicEvent, Seat};

/// A frozen copy of the content, so designers' edits to `content/` do not move
/// the golden numbers (the shipped content is covered by the property tests).
fn shipped() -> Arc<Content> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden_content");
    match Content::load(&dir) {
        Ok(c) => Arc::new(c),
        Err(r) => panic!("{r}"),
    }
}

/// Deterministic policy: the `k`-th legal action (mod count), never conceding.
fn policy(g: &Game, k: usize) -> (Seat, Action) {
    let seat = g.seats_to_act().first().copied().unwrap_or(g.active_seat());
    let mut legal = g.legal_actions(seat);
    legal.retain(|a| *a != Action::Concede);
    let a = legal
        .get(k % legal.len().max(1))
        .cloned()
        .unwrap_or(Action::EndTurn);
    (seat, a)
}

struct Summary {
    turns: u32,
    inputs: usize,
    events: usize,
    winners: Vec<Seat>,
    hash: String,
    first_events: Vec<Event>,
}

fn run(decks: [&str; 2], seed: u64, stride: usize) -> Summary {
    let mut g = Game::from_decks(shipped(), &decks, seed).expect("setup");
    let (mut inputs, mut events, mut first_events) = (0, 0, Vec::new());
    let mut step = 0usize;
    while !g.is_over() && inputs < 10_000 {
        let (seat, action) = policy(&g, step * stride);
        step += 1;
        let ev = g.submit(&Input::Act { seat, action }).expect("legal");
        if first_events.is_empty() {
            first_events = ev.clone();
        }
        events += ev.len();
        inputs += 1;
        assert_eq!(g.check_invariants(), Ok(()));
    }
    Summary {
        turns: g.turn(),
        inputs,
        events,
        winners: g.outcome().map(|o| o.winners.clone()).unwrap_or_default(),
        hash: g.state_hash(),
        first_events,
    }
}

#[test]
fn golden_tide_vs_dusk_first_action() {
    let s = run(["tide_starter", "dusk_starter"], 42, 0);
    assert_eq!((s.turns, s.inputs, s.events), GOLDEN_1.0);
    assert_eq!(s.winners, vec![Seat(GOLDEN_1.1)]);
    assert_eq!(s.hash, GOLDEN_1.2);
    // The first input is the first mulligan choice: keep the hand.
    assert!(matches!(
        s.first_events.first(),
        Some(Event::Public(PublicEvent::Mulligan { replaced, .. })) if replaced.is_empty()
    ));
}

#[test]
fn golden_dusk_vs_moonwell_striding() {
    let s = run(["dusk_starter", "moonwell_starter"], 7, 3);
    assert_eq!((s.turns, s.inputs, s.events), GOLDEN_2.0);
    assert_eq!(s.winners, vec![Seat(GOLDEN_2.1)]);
    assert_eq!(s.hash, GOLDEN_2.2);
}

#[test]
fn golden_mirror_match() {
    let s = run(["tide_starter", "tide_starter"], 2026, 5);
    assert_eq!((s.turns, s.inputs, s.events), GOLDEN_3.0);
    assert_eq!(s.winners, vec![Seat(GOLDEN_3.1)]);
    assert_eq!(s.hash, GOLDEN_3.2);
}

type Golden = ((u32, usize, usize), u8, &'static str);
const GOLDEN_1: Golden = (
    (17, 69, 231),
    0,
    "57476a4408c30c54ff4be0ba01c2fb3154e7624b9dfaeeb38e4123b26e3e1464",
);
const GOLDEN_2: Golden = (
    (36, 143, 522),
    1,
    "7e9881c720edc5bd7588babab0e781c8eb22dd2ab9a536f522802f272e172b5a",
);
const GOLDEN_3: Golden = (
    (49, 168, 635),
    0,
    "c74e5c183ec09b53ed63142d25a7483cbb84409232fa445447f5850bdb303946",
);
