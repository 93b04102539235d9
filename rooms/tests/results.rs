//! Recording results: many in one go, each once.

use moonlight_common::Database;
use moonlight_engine::{Action, EndReason, GameSetup, Input, Outcome, Seat};
use moonlight_rooms::{MatchResult, PlayerRecord, Replay, RoomRecord, record_results as record};
use moonlight_testkit::{DbKind, TestDatabase, db_tests};
use sqlx::Row;

fn result(match_id: &str, winner: u8) -> MatchResult {
    MatchResult {
        match_id: match_id.to_owned(),
        content_version: "v1".to_owned(),
        outcome: Outcome {
            winners: vec![Seat(winner)],
            reason: EndReason::Concession,
        },
        teams: vec![0, 1],
        players: ["luna", "sol"]
            .map(|name| PlayerRecord::human(&format!("{match_id}-{name}"), name))
            .to_vec(),
        turns: 4,
        started_at: 1,
        finished_at: 2,
    }
}

fn replay(match_id: &str, inputs: usize) -> Replay {
    let end_turn = Input::Act {
        seat: Seat(0),
        action: Action::EndTurn,
    };
    Replay {
        record: RoomRecord {
            room_id: match_id.to_owned(),
            content_version: "v1".to_owned(),
            setup: GameSetup {
                seats: Vec::new(),
                seed: 7,
            },
            players: result(match_id, 0).players,
            created_at: 1,
            join_by_ms: 2,
        },
        inputs: vec![end_turn; inputs],
    }
}

/// A batch holding a result recorded before (a retry after a crash between the commit and
/// the outbox clean-up) records the others and leaves that one as it was, replay included.
async fn a_batch_records_each_result_once(kind: DbKind) {
    let database = TestDatabase::new(kind).await;
    let db = Database::connect(&database.url).await.unwrap();
    record(&db, &[result("m1", 0)], &[replay("m1", 1)])
        .await
        .unwrap();
    let batch = [result("m0", 1), result("m1", 1), result("m2", 0)];
    // m2's room was gone: recorded without a replay. A replay of no result in the batch
    // is not written.
    let replays = [replay("m0", 2), replay("m1", 3), replay("other", 4)];
    record(&db, &batch, &replays).await.unwrap();

    let rows = sqlx::query("SELECT match_id, room, inputs FROM match_replays ORDER BY match_id")
        .fetch_all(db.pool())
        .await
        .unwrap();
    let kept: Vec<(String, Replay)> = rows
        .iter()
        .map(|r| {
            let room: String = r.get(1);
            let inputs: String = r.get(2);
            let replay = Replay {
                record: serde_json::from_str(&room).unwrap(),
                inputs: serde_json::from_str(&inputs).unwrap(),
            };
            (r.get(0), replay)
        })
        .collect();
    assert_eq!(
        kept,
        vec![
            ("m0".to_owned(), replay("m0", 2)),
            ("m1".to_owned(), replay("m1", 1)),
        ]
    );

    let rows = sqlx::query(
        "SELECT p.match_id, p.seat, p.result FROM match_players p \
         JOIN match_results r ON r.match_id = p.match_id ORDER BY p.match_id, p.seat",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let seen: Vec<(String, i64, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let expected = [
        ("m0", 0, "loss"),
        ("m0", 1, "win"),
        // Recorded first with seat 0 winning; the batch's other outcome changed nothing.
        ("m1", 0, "win"),
        ("m1", 1, "loss"),
        ("m2", 0, "win"),
        ("m2", 1, "loss"),
    ]
    .map(|(m, s, r)| (m.to_owned(), s, r.to_owned()));
    assert_eq!(seen, expected);
}

db_tests!(a_batch_records_each_result_once);
