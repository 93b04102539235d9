//! Property tests over random legal play with the shipped content: games end
//! without panics and keep the invariants; replays (also across a snapshot)
//! are byte-identical; hidden information never reaches another seat.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::events::events_for;
use super::*;

fn shipped() -> Arc<Content> {
    static C: OnceLock<Arc<Content>> = OnceLock::new();
    Arc::clone(C.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content");
        match Content::load(&dir) {
            Ok(c) => Arc::new(c),
            Err(r) => panic!("{r}"),
        }
    }))
}

/// Every deck of the shipped content, in id order.
fn decks() -> Vec<String> {
    shipped().decks().map(|d| d.id.clone()).collect()
}

/// Generous: a game is at most `turn_limit` turns of at most `actions_per_turn` actions.
const MAX_STEPS: usize = 20_000;

fn new_game(seed: u64, d0: usize, d1: usize) -> Game {
    let decks = decks();
    let pick = |d: usize| decks[d % decks.len()].as_str();
    Game::from_decks(shipped(), &[pick(d0), pick(d1)], seed).expect("setup")
}

/// Picks a random legal action for the active seat; concedes rarely.
fn pick(g: &Game, rng: &mut ChaCha8Rng) -> (Seat, Action) {
    let seat = g.seats_to_act().first().copied().unwrap_or(g.active_seat());
    let mut legal = g.legal_actions(seat);
    if rng.random_range(0..1000) != 0 {
        legal.retain(|a| *a != Action::Concede);
    }
    let i = rng.random_range(0..legal.len().max(1));
    (seat, legal.get(i).cloned().unwrap_or(Action::Concede))
}

/// Plays a random game; returns the inputs.
fn play_random(g: &mut Game, choice_seed: u64, mut each: impl FnMut(&Game, &Input)) -> Vec<Input> {
    let mut rng = ChaCha8Rng::seed_from_u64(choice_seed);
    let mut inputs = Vec::new();
    for _ in 0..MAX_STEPS {
        if g.is_over() {
            break;
        }
        let (seat, action) = pick(g, &mut rng);
        let input = Input::Act { seat, action };
        each(g, &input);
        inputs.push(input);
        if let Err(e) = g.submit(inputs.last().expect("just pushed")) {
            panic!("legal action rejected: {e:?}");
        }
    }
    inputs
}

/// A copy of the state in which every card `viewer` may not see (other
/// seats' hands and secrets, other seats' decks, and its own deck if `own_deck`) is a
/// different card (a secret another secret).
fn with_hidden_swapped(g: &Game, viewer: Seat, own_deck: bool) -> Game {
    let mut other = g.clone();
    let n = other.content.cards().len() as u16;
    let secrets: Vec<u16> = (0..n)
        .filter(|&c| other.content.def(c).is_some_and(|d| d.secret))
        .collect();
    for (i, s) in other.st.seats.iter_mut().enumerate() {
        if i != viewer.index() {
            for h in &mut s.secrets {
                let at = secrets.iter().position(|&c| c == h.card.card).unwrap_or(0);
                h.card.card = secrets[(at + 1) % secrets.len()];
            }
        }
        if own_deck || i != viewer.index() {
            for c in &mut s.deck {
                c.card = (c.card + 1) % n;
            }
        }
        if i != viewer.index() {
            for h in &mut s.hand {
                h.card.card = (h.card.card + 1) % n;
            }
        }
    }
    other
}

/// A copy `viewer` cannot tell from `g`: each other seat's hand dealt afresh from its
/// hand and deck together (same handles, same count), and every deck reshuffled. What
/// differs is exactly what a bot must not know.
fn redealt(g: &Game, viewer: Seat, rng: &mut ChaCha8Rng) -> Game {
    let mut other = g.clone();
    for (i, s) in other.st.seats.iter_mut().enumerate() {
        let mut hidden = std::mem::take(&mut s.deck);
        if i != viewer.index() {
            hidden.extend(s.hand.iter().map(|h| h.card));
            hidden.extend(s.secrets.iter().map(|h| h.card));
        }
        for k in (1..hidden.len()).rev() {
            hidden.swap(k, rng.random_range(0..=k));
        }
        if i != viewer.index() {
            for h in &mut s.secrets {
                let at = hidden
                    .iter()
                    .position(|c| g.content.def(c.card).is_some_and(|d| d.secret))
                    .expect("the real secrets are in the pool");
                h.card = hidden.remove(at);
            }
            for h in &mut s.hand {
                h.card = hidden.pop().expect("as many cards as were taken");
            }
        }
        s.deck = hidden;
    }
    other
}

/// Events that reveal a hidden card on purpose (discards and burns are public).
fn is_reveal(e: &SeatEvent) -> bool {
    matches!(
        e,
        SeatEvent::Public(PublicEvent::Discarded { .. } | PublicEvent::CardBurned { .. })
    )
}

/// A secret sprang: what it does next depends on which card it was, now public.
fn springs_secret(events: &[Event]) -> bool {
    events
        .iter()
        .any(|e| matches!(e, Event::Public(PublicEvent::SecretRevealed { .. })))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_play_ends_and_keeps_invariants(seed in any::<u64>(), choice in any::<u64>(), d0 in 0usize..16, d1 in 0usize..16) {
        let mut g = new_game(seed, d0, d1);
        prop_assert_eq!(g.check_invariants(), Ok(()));
        let mut junk = ChaCha8Rng::seed_from_u64(choice ^ 0x5eed);
        let mut steps = 0usize;
        play_random(&mut g, choice, |_, _| steps += 1);
        prop_assert!(g.is_over(), "game did not end in {} steps", MAX_STEPS);
        prop_assert_eq!(g.check_invariants(), Ok(()));
        // Garbage input after the end is rejected and changes nothing.
        let before = g.state().clone();
        let bogus = Action::Attack { attacker: EntityId(junk.random()), target: EntityId(junk.random()) };
        prop_assert!(g.apply(Seat(junk.random_range(0..3)), bogus).is_err());
        prop_assert_eq!(g.state(), &before);
        prop_assert!(steps > 0);
    }

    #[test]
    fn invariants_hold_after_every_input_and_junk_is_rejected(seed in any::<u64>(), choice in any::<u64>()) {
        let mut g = new_game(seed, (seed % 16) as usize, (choice % 16) as usize);
        let mut junk = ChaCha8Rng::seed_from_u64(choice);
        let mut rng = ChaCha8Rng::seed_from_u64(choice.rotate_left(7));
        for _ in 0..MAX_STEPS {
            if g.is_over() { break; }
            // A random, probably illegal input: if rejected, nothing changed.
            let before = g.state().clone();
            let bogus = match junk.random_range(0..3) {
                0 => Action::PlayCard { card: EntityId(junk.random_range(0..200)), target: Some(EntityId(junk.random_range(0..200))), choice: None },
                1 => Action::Attack { attacker: EntityId(junk.random_range(0..200)), target: EntityId(junk.random_range(0..200)) },
                _ => Action::EndTurn,
            };
            let seat = Seat(junk.random_range(0..2));
            let legal = g.legal_actions(seat).contains(&bogus);
            match g.clone().apply(seat, bogus.clone()) {
                Ok(_) => prop_assert!(legal, "accepted an action legal_actions did not list: {:?}", bogus),
                Err(_) => {
                    prop_assert!(!legal, "rejected a listed action: {:?}", bogus);
                    prop_assert_eq!(g.state(), &before);
                }
            }
            let (seat, action) = pick(&g, &mut rng);
            g.apply(seat, action).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            prop_assert_eq!(g.check_invariants(), Ok(()));
        }
        prop_assert!(g.is_over());
    }

    #[test]
    fn replay_and_restore_give_the_same_state(seed in any::<u64>(), choice in any::<u64>(), cut in 0.0f64..1.0) {
        let (d0, d1) = ((seed % 16) as usize, (choice % 16) as usize);
        let mut g = new_game(seed, d0, d1);
        let mut hashes = Vec::new();
        let inputs = play_random(&mut g, choice, |g, _| hashes.push(g.state_hash()));
        let decks = decks();
        let list = |d: usize| shipped().deck_list(&decks[d % decks.len()]).unwrap_or_default();
        let setup = GameSetup {
            seats: vec![
                SeatSetup { deck: list(d0), team: 0 },
                SeatSetup { deck: list(d1), team: 1 },
            ],
            seed,
        };
        let log = MatchLog { content_version: shipped().version().to_owned(), setup: setup.clone(), inputs: inputs.clone() };
        let json = serde_json::to_string(&log).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let log: MatchLog = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let replayed = log.replay(shipped()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(replayed.state(), g.state());

        // Step by step: same hash before every input; snapshot and restore mid-game.
        let k = ((inputs.len() as f64) * cut) as usize;
        let mut r = Game::new(shipped(), &setup).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (i, input) in inputs.iter().enumerate() {
            if i == k {
                let restored = Game::from_bytes(shipped(), &r.to_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(restored.state(), r.state());
                r = restored;
            }
            prop_assert_eq!(&r.state_hash(), &hashes[i]);
            r.submit(input).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        }
        prop_assert_eq!(r.state(), g.state());
        prop_assert_eq!(r.state_hash(), g.state_hash());
    }

    #[test]
    fn no_hidden_card_reaches_another_seat(seed in any::<u64>(), choice in any::<u64>()) {
        let mut g = new_game(seed, (seed % 16) as usize, (choice % 16) as usize);
        let mut rng = ChaCha8Rng::seed_from_u64(choice);
        for _ in 0..MAX_STEPS {
            if g.is_over() { break; }
            let (actor, action) = pick(&g, &mut rng);
            for v in 0..2u8 {
                let viewer = Seat(v);
                let swapped = with_hidden_swapped(&g, viewer, true);
                // Two states that differ only in what `viewer` cannot see look the same to it.
                prop_assert_eq!(g.view_for(viewer), swapped.view_for(viewer));
                prop_assert_eq!(g.spectator_view(), with_hidden_swapped(&g, Seat(9), true).spectator_view());
                prop_assert_eq!(g.legal_actions(viewer), swapped.legal_actions(viewer));
                // The viewer's own moves and turn ends by others: identical filtered
                // events (the viewer's own deck stays, its own draws are its to see).
                let mut swapped = with_hidden_swapped(&g, viewer, false);
                let plays_hidden_card = actor != viewer && matches!(action, Action::PlayCard { .. });
                if !plays_hidden_card {
                    let mut real = g.clone();
                    let a = real.apply(actor, action.clone()).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
                    let b = swapped.apply(actor, action.clone()).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
                    if springs_secret(&a) || springs_secret(&b) {
                        continue;
                    }
                    let a: Vec<SeatEvent> = events_for(Viewer::Seat(viewer), &a).into_iter().filter(|e| !is_reveal(e)).collect();
                    let b: Vec<SeatEvent> = events_for(Viewer::Seat(viewer), &b).into_iter().filter(|e| !is_reveal(e)).collect();
                    prop_assert_eq!(a, b);
                }
            }
            g.apply(actor, action).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// A bot at any level chooses from its seat's information set only: in a world
    /// redealt where the seat cannot see, the sampled worlds and the move are the same.
    #[test]
    fn bots_never_peek(seed in any::<u64>(), choice in any::<u64>(), d0 in 0usize..16, d1 in 0usize..16, steps in 0usize..150) {
        let mut g = new_game(seed, d0, d1);
        let mut rng = ChaCha8Rng::seed_from_u64(choice);
        for _ in 0..steps {
            if g.is_over() { break; }
            let (seat, action) = pick(&g, &mut rng);
            g.apply(seat, action).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        }
        prop_assume!(!g.is_over());
        let me = g.seats_to_act()[0];
        let other = redealt(&g, me, &mut rng);
        prop_assert_eq!(g.view_for(me), other.view_for(me));
        let (seen, other_seen) = (g.determinized(me, choice), other.determinized(me, choice));
        prop_assert_eq!(seen.state(), other_seen.state());
        for level in crate::Level::ALL {
            let never = || false;
            prop_assert_eq!(
                crate::ai::choose(&g, me, level, &never),
                crate::ai::choose(&other, me, level, &never),
                "{:?}", level
            );
        }
    }
}

/// A determinized world looks the same to its seat, and is really sampled: the other
/// hand is not the real one in every world.
#[test]
fn determinized_worlds_keep_the_seats_view_and_redeal_the_rest() {
    let mut g = new_game(3, 0, 1);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    while g.turn() < 4 {
        let (seat, action) = pick(&g, &mut rng);
        g.apply(seat, action).expect("legal");
    }
    let me = g.active_seat();
    let them = Seat(1 - me.0);
    let mut redealt_hands = 0;
    for seed in 0..20 {
        let world = g.determinized(me, seed);
        assert_eq!(world.view_for(me), g.view_for(me));
        let theirs = |g: &Game| -> Vec<u16> {
            g.st.seats[them.index()]
                .hand
                .iter()
                .map(|h| h.card.card)
                .collect()
        };
        assert_eq!(theirs(&world).len(), theirs(&g).len());
        redealt_hands += usize::from(theirs(&world) != theirs(&g));
        assert_eq!(world.check_invariants(), Ok(()));
    }
    assert!(
        redealt_hands >= 15,
        "the other hand was the real one in {} of 20 worlds",
        20 - redealt_hands
    );
}

#[test]
fn views_and_events_never_carry_rng_or_deck_contents() {
    let mut g = new_game(11, 0, 1);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let seed = g.st.rng.seed();
    let seed_hex: String = seed.iter().map(|b| format!("{b:02x}")).collect();
    for _ in 0..200 {
        if g.is_over() {
            break;
        }
        let (seat, action) = pick(&g, &mut rng);
        let events = g.apply(seat, action).expect("legal");
        for v in [
            Viewer::Seat(Seat(0)),
            Viewer::Seat(Seat(1)),
            Viewer::Spectator,
        ] {
            let json = serde_json::to_string(&events_for(v, &events)).unwrap_or_default();
            assert!(!json.contains(&seed_hex));
            for e in events_for(v, &events) {
                if let SeatEvent::CardDrawn { seat, card, .. } = e {
                    assert_eq!(card.is_some(), Viewer::Seat(seat) == v);
                }
            }
        }
    }
}
