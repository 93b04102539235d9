//! The content target: designers' TOML through the loader and checker.

use std::sync::Arc;

use moonlight_engine::{Content, Game, GameSetup, SeatSetup, SourceFile, check_sources};

use crate::snapshot::play_on;

/// The most files one input makes.
const MAX_FILES: usize = 16;
/// A line starting with this starts a new file, named by the rest of the line (a TOML
/// comment, so a corpus file reads as TOML).
pub const FILE_HEADER: &str = "#@file ";

/// `data` is one or more content files (UTF-8; invalid sequences replaced): text before
/// the first `#@file <path>` line is `content.toml`, and each such line starts a file at
/// `<path>`. The checker must report problems, never panic; `moonlight content check`
/// and the loader the servers use must agree; content that loads must give playable
/// matches with each of its decks (the bot plays a few moves, and the engine's
/// invariants hold).
pub fn content(data: &[u8]) {
    let files = files(&String::from_utf8_lossy(data));
    let report = check_sources(files.clone());
    let _ = report.to_string();
    match Content::from_sources(files) {
        Ok(content) => {
            assert!(report.is_ok(), "loaded, yet the checker says:\n{report}");
            play(Arc::new(content));
        }
        Err(refused) => {
            assert!(!refused.is_ok(), "refused without an error");
            assert!(!report.is_ok(), "refused, yet the checker passes it");
        }
    }
}

/// The files of `text`.
fn files(text: &str) -> Vec<SourceFile> {
    let mut files = Vec::new();
    let mut rel = "content.toml".to_owned();
    let mut body = String::new();
    for line in text.split_inclusive('\n') {
        if let Some(name) = line.strip_prefix(FILE_HEADER)
            && files.len() + 1 < MAX_FILES
        {
            if !body.is_empty() {
                files.push(file(&rel, std::mem::take(&mut body)));
            }
            rel = name.trim_end_matches(['\r', '\n']).to_owned();
            continue;
        }
        body.push_str(line);
    }
    files.push(file(&rel, body));
    files
}

fn file(rel: &str, text: String) -> SourceFile {
    SourceFile {
        name: format!("content/{rel}"),
        rel: rel.to_owned(),
        text,
    }
}

/// A match of each deck against the next (the last against the first), as the lobby
/// sets one up; the engine's invariants hold after every move.
fn play(content: Arc<Content>) {
    let decks: Vec<String> = content.decks().map(|d| d.id.clone()).collect();
    for (i, deck) in decks.iter().enumerate() {
        let other = &decks[(i + 1) % decks.len()];
        let seats = [deck, other]
            .into_iter()
            .zip(0u8..)
            .map(|(id, team)| SeatSetup {
                deck: content.deck_list(id).expect("a listed deck"),
                team,
            })
            .collect();
        let setup = GameSetup { seats, seed: 5 };
        let game = match Game::new(Arc::clone(&content), &setup) {
            Ok(game) => game,
            Err(error) => panic!("the checker passed deck {deck}, yet: {error}"),
        };
        if let Err(broken) = game.check_invariants() {
            panic!("a new match breaks an invariant: {broken}");
        }
        play_on(game, true);
    }
}
