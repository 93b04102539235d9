//! Everything the server carries over the wire or logs round-trips through
//! serde (JSON here) unchanged, and hostile input never panics the engine.

use std::path::PathBuf;
use std::sync::Arc;

use moonlight_engine::{
    Action, Content, Game, Input, Rejection, Seat, SeatEvent, SeatView, SourceFile, Viewer,
    check_sources, events_for,
};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn content_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content")
}

fn shipped() -> Arc<Content> {
    match Content::load(&content_dir()) {
        Ok(c) => Arc::new(c),
        Err(r) => panic!("{r}"),
    }
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(v: &T) {
    let json = serde_json::to_string(v).expect("serialise");
    let back: T = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(&back, v, "{json}");
}

#[test]
fn actions_events_views_and_rejections_round_trip() {
    let c = shipped();
    let mut g =
        Game::from_decks(Arc::clone(&c), &["tide_starter", "dusk_starter"], 99).expect("setup");
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    while !g.is_over() {
        let seat = g.seats_to_act()[0];
        let legal = g.legal_actions(seat);
        for a in &legal {
            round_trip(a);
        }
        let a = legal[rng.random_range(0..legal.len() - 1)].clone();
        let input = Input::Act { seat, action: a };
        round_trip(&input);
        let events = g.submit(&input).expect("legal");
        round_trip(&events);
        for v in [
            Viewer::Seat(Seat(0)),
            Viewer::Seat(Seat(1)),
            Viewer::Spectator,
        ] {
            let filtered: Vec<SeatEvent> = events_for(v, &events);
            round_trip(&filtered);
        }
        let view: SeatView = g.view_for(seat);
        round_trip(&view);
        round_trip(&g.spectator_view());
    }
    round_trip(&g.outcome().cloned());
    round_trip(&g.apply(Seat(0), Action::EndTurn).expect_err("over"));
    round_trip(&Rejection::NotEnoughMoonlight { need: 3, have: 1 });
}

#[test]
fn client_json_shapes_are_stable() {
    let a: Action =
        serde_json::from_str(r#"{"type":"play_card","card":12,"target":null}"#).expect("play");
    assert!(matches!(a, Action::PlayCard { target: None, .. }));
    let a: Action =
        serde_json::from_str(r#"{"type":"attack","attacker":5,"target":1}"#).expect("attack");
    assert!(matches!(a, Action::Attack { .. }));
    assert!(serde_json::from_str::<Action>(r#"{"type":"cheat"}"#).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn snapshot_restore_never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..600), flip in any::<usize>(), val in any::<u8>()) {
        let c = shipped();
        let _ = Game::from_bytes(Arc::clone(&c), &bytes);
        // Corrupt one byte of a real snapshot: either an error or a valid game.
        let g = Game::from_decks(Arc::clone(&c), &["tide_starter", "dusk_starter"], flip as u64).expect("setup");
        let mut snap = g.to_bytes();
        let i = flip % snap.len();
        snap[i] = val;
        if let Ok(restored) = Game::from_bytes(c, &snap) {
            let _ = restored.legal_actions(restored.active_seat());
            let _ = restored.view_for(Seat(0));
        }
    }

    #[test]
    fn checker_never_panics_on_mangled_files(cut in any::<usize>(), len in 0usize..40, junk in "[\\[\\]{}=\"#a-z0-9_ \n.,-]{0,30}") {
        let path = content_dir().join("cards/tide.toml");
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let mut bytes: Vec<char> = text.chars().collect();
        let at = cut % bytes.len().max(1);
        let end = (at + len).min(bytes.len());
        bytes.splice(at..end, junk.chars());
        let mangled: String = bytes.into_iter().collect();
        let report = check_sources(vec![SourceFile { name: "tide.toml".into(), rel: "tide.toml".into(), text: mangled }]);
        // Without rules this can never be valid: errors are reported, never a panic.
        prop_assert!(!report.is_ok());
        for e in &report.errors {
            prop_assert!(e.line >= 1 && e.col >= 1);
        }
    }
}
