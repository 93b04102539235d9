//! The snapshot target: what the room store hands a restore, as bytes.

use std::sync::{Arc, OnceLock};

use moonlight_engine::{Content, Event, Game, Seat, Viewer, choose_action};
use moonlight_game_server::{RoomSnapshot, rebuild, wire};
use moonlight_rooms::{LogEntry, PlayerRecord, RoomRecord, StoredRoom, store::from_json};

use crate::shipped;

/// Actions played on a game that decoded, to see that the rules can run on it.
const PLAY_ON: usize = 24;

/// `data[0] % 4` says what the rest is:
///
/// - 0: an engine snapshot (`Game::from_bytes` on the shipped content);
/// - 1: a room as stored with a snapshot: its sequence number (one byte), the room
///   snapshot's length (two bytes, little-endian), the room snapshot (the node's
///   `RoomSnapshot`), then the logged inputs after it, a JSON `LogEntry` a line, read as
///   the stores read them (`store::from_json`); restored as a node restores a room
///   (`rebuild`);
/// - 2: a room without a snapshot: its logged inputs (as in 1), replayed from the
///   starter room's setup;
/// - 3: a room record (JSON, as the stores keep it), its game started from its setup.
///
/// Whatever decodes must be playable: views, legal actions and the bot's moves never
/// panic, and its snapshot restores to the same game.
pub fn snapshot(data: &[u8]) {
    let Some((mode, payload)) = data.split_first() else {
        return;
    };
    let content = shipped::content();
    match mode % 4 {
        0 => {
            if let Ok(game) = Game::from_bytes(Arc::clone(content), payload) {
                play_on(game, false);
            }
        }
        1 => {
            let [seq, len_lo, len_hi, rest @ ..] = payload else {
                return;
            };
            let len = usize::from(u16::from_le_bytes([*len_lo, *len_hi])).min(rest.len());
            let (snapshot, log) = rest.split_at(len);
            let Some(log) = log_entries(log) else {
                return;
            };
            restore(StoredRoom {
                record: starter_room().clone(),
                snapshot: Some((u64::from(*seq), snapshot.to_vec())),
                log,
            });
        }
        2 => {
            let Some(log) = log_entries(payload) else {
                return;
            };
            restore(StoredRoom {
                record: starter_room().clone(),
                snapshot: None,
                log,
            });
        }
        _ => {
            let Ok(text) = std::str::from_utf8(payload) else {
                return;
            };
            let Ok(record) = from_json::<RoomRecord>(text) else {
                return;
            };
            restore(StoredRoom {
                record,
                snapshot: None,
                log: Vec::new(),
            });
        }
    }
}

/// The logged inputs in `bytes`, one JSON entry a line; `None` if one does not read (a
/// store refuses the whole room then).
fn log_entries(bytes: &[u8]) -> Option<Vec<LogEntry>> {
    let text = std::str::from_utf8(bytes).ok()?;
    text.lines()
        .filter(|line| !line.is_empty())
        .map(from_json::<LogEntry>)
        .collect::<Result<_, _>>()
        .ok()
}

/// Restores `stored` as a node does; a room that restores is played on, and its snapshot
/// (as the room writes it) must restore to the same game.
fn restore(stored: StoredRoom) {
    let content = shipped::content();
    let Ok(restored) = rebuild(content, &stored) else {
        return;
    };
    let written = RoomSnapshot::of(&restored.game, &restored.last_client_seq).encode();
    let again = rebuild(
        content,
        &StoredRoom {
            record: stored.record.clone(),
            snapshot: Some((restored.seq, written)),
            log: Vec::new(),
        },
    )
    .expect("a room's own snapshot restores");
    assert_eq!(
        again.game, restored.game,
        "the snapshot restores the same game"
    );
    assert_eq!(again.last_client_seq, restored.last_client_seq);
    play_on(restored.game, false);
}

/// Plays a few moves of the practice bot on `game`, sending each viewer what the room
/// would (its events, its view, its legal actions, in wire form); with `invariants`, the
/// engine's invariants must hold after each.
pub(crate) fn play_on(mut game: Game, invariants: bool) {
    let content = Arc::clone(game.content());
    let again = Game::from_bytes(Arc::clone(&content), &game.to_bytes())
        .expect("a game's own snapshot restores");
    assert!(again == game, "the snapshot restores the same game");
    look(&game, &[]);
    for _ in 0..PLAY_ON {
        let Some(&seat) = game.seats_to_act().first() else {
            break;
        };
        let Some(action) = choose_action(&game, seat) else {
            break;
        };
        let _ = wire::legal_action(&action);
        match game.apply(seat, action) {
            Ok(events) => {
                if invariants && let Err(broken) = game.check_invariants() {
                    panic!("a legal move broke an invariant: {broken}");
                }
                look(&game, &events);
            }
            Err(rejection) => {
                let _ = wire::rejection_reason(&rejection);
                break;
            }
        }
    }
}

/// What the room sends its peers after an input.
pub(crate) fn look(game: &Game, events: &[Event]) {
    let seats = (0..game.seat_count()).map(|s| Seat(u8::try_from(s).unwrap_or(u8::MAX)));
    for seat in seats {
        let _ = wire::events(&game.events_for(Viewer::Seat(seat), events));
        let _ = wire::view(&game.view_for(seat));
        let _: Vec<_> = game
            .legal_actions(seat)
            .iter()
            .map(wire::legal_action)
            .collect();
    }
    let _ = wire::events(&game.events_for(Viewer::Spectator, events));
    let _ = wire::view(&game.spectator_view());
    if let Some(outcome) = game.outcome() {
        let _ = wire::outcome(outcome);
    }
}

/// The room every mode without a record of its own uses: the first two shipped decks.
fn starter_room() -> &'static RoomRecord {
    static ROOM: OnceLock<RoomRecord> = OnceLock::new();
    ROOM.get_or_init(|| starter_record(shipped::content(), 11))
}

/// A two-player room on the first two shipped decks, as the lobby sets one up.
pub(crate) fn starter_record(content: &Content, seed: u64) -> RoomRecord {
    let decks = shipped::decks();
    let seats = vec![
        (
            PlayerRecord::human("player-a", "player-a"),
            decks[0].as_str(),
        ),
        (
            PlayerRecord::human("player-b", "player-b"),
            decks[1].as_str(),
        ),
    ];
    RoomRecord::new("fuzz-room", content, seats, seed, 0, 0).expect("shipped decks")
}
