//! Recording results: many in one go, each once.

use moonlight_common::Database;
use moonlight_engine::{EndReason, Outcome, Seat};
use moonlight_rooms::{MatchResult, PlayerRecord, record_results as record};
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
            .map(|name| PlayerRecord {
                player_id: format!("{match_id}-{name}"),
                name: name.to_owned(),
                bot: false,
            })
            .to_vec(),
        turns: 4,
        started_at: 1,
        finished_at: 2,
    }
}

/// A batch holding a result recorded before (a retry after a crash between the commit and
/// the outbox clean-up) records the others and leaves that one as it was.
async fn a_batch_records_each_result_once(kind: DbKind) {
    let database = TestDatabase::new(kind).await;
    let db = Database::connect(&database.url).await.unwrap();
    record(&db, &[result("m1", 0)]).await.unwrap();
    let batch = [result("m0", 1), result("m1", 1), result("m2", 0)];
    record(&db, &batch).await.unwrap();

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
