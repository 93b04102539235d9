//! A snapshot written by an earlier build still restores: a match in progress survives an
//! upgrade of the server. `fixtures/snapshot-v1.bin` was written by format 1 from the
//! golden content, seed 42 and the first 40 inputs of the policy below; it must restore to
//! exactly the state a fresh replay of the same inputs reaches.
//!
//! If this fails after a change to the engine's state, the change needs a snapshot
//! migration (see `src/snapshot.rs`), not a new fixture. A new format gets a fixture of its
//! own next to this one (`UPDATE_SNAPSHOT_FIXTURE=1` writes the current format's).

use std::{path::PathBuf, sync::Arc};

use moonlight_engine::{Action, Content, Game, Input, snapshot::FORMAT};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn golden() -> Arc<Content> {
    match Content::load(&fixtures().join("golden_content")) {
        Ok(content) => Arc::new(content),
        Err(report) => panic!("{report}"),
    }
}

/// Seed 42, then 40 inputs, each the first legal action that is not a concession.
fn replayed() -> Game {
    let mut game = Game::from_decks(golden(), &["dusk_starter", "tide_starter"], 42).unwrap();
    for _ in 0..40 {
        let seat = game.seats_to_act()[0];
        let action = game
            .legal_actions(seat)
            .into_iter()
            .find(|a| *a != Action::Concede)
            .unwrap();
        game.submit(&Input::Act { seat, action }).unwrap();
    }
    assert!(!game.is_over(), "the fixture is a match in progress");
    game
}

/// Every format this server ever wrote restores to the same state: format 1 (before
/// armor, freezing, auras, cost changes, secrets and hero powers) by conversion, and
/// today's as written.
#[test]
fn every_format_restores_to_the_same_state() {
    if std::env::var_os("UPDATE_SNAPSHOT_FIXTURE").is_some() {
        let current = fixtures().join(format!("snapshot-v{FORMAT}.bin"));
        std::fs::write(current, replayed().to_bytes()).unwrap();
    }
    for format in 1..=FORMAT {
        let bytes = std::fs::read(fixtures().join(format!("snapshot-v{format}.bin"))).unwrap();
        let restored = Game::from_bytes(golden(), &bytes).unwrap();
        assert_eq!(restored, replayed(), "format {format}");
        assert!(restored.turn() > 1);
    }
}
