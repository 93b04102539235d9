//! `match_results`, where every finished match is written exactly once: by a node's
//! results writer (from the store's outbox), or by a lobby (a match void before any node
//! opened it, or a player back from a finished match before that writer).

use std::collections::HashSet;

use moonlight_common::{Database, db::placeholder_rows};
use sqlx::Row;

use crate::{
    record::{MatchResult, Replay},
    store::{RoomStore, StoreError},
};

/// Moves `results`, read from `store`'s outbox, into `match_results` with their replays,
/// then out of the outbox. A node's results writer does this for every finished match; a
/// lobby for one whose player is back before that writer got to it. Whoever comes second
/// records nothing (see [`record_results`]).
pub async fn record_from_outbox(
    store: &RoomStore,
    db: &Database,
    results: &[MatchResult],
) -> Result<(), StoreError> {
    let ids: Vec<&str> = results.iter().map(|r| r.match_id.as_str()).collect();
    // Each match's room and inputs, kept with its result for replays.
    let replays = store.replays(&ids).await?;
    record_results(db, results, &replays).await?;
    store.clear_results(&ids).await
}

/// Records `results`, their players and their `replays` (those of `replays` whose match is
/// among them); a result already recorded (a retry after its outbox entry outlived the
/// commit, or another node finishing the same replayed match) is left as it was, players
/// and replay included.
pub async fn record_results(
    db: &Database,
    results: &[MatchResult],
    replays: &[Replay],
) -> Result<(), sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    let sql = format!(
        "INSERT INTO match_results \
         (match_id, content_version, winner_team, reason, turns, started_at, finished_at) \
         VALUES {} ON CONFLICT (match_id) DO NOTHING RETURNING match_id",
        placeholder_rows(7, results.len())
    );
    let mut insert = sqlx::query(&sql).persistent(results.len() == 1);
    for result in results {
        insert = insert
            .bind(&result.match_id)
            .bind(&result.content_version)
            .bind(result.winner_team().map(i64::from))
            .bind(result.outcome.reason.as_str())
            .bind(i64::from(result.turns))
            .bind(result.started_at)
            .bind(result.finished_at);
    }
    let inserted: HashSet<String> = insert
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    if !inserted.is_empty() {
        // The lobby's own record of the match (if the lobby made it) stops being live.
        let sql = format!(
            "UPDATE lobby_matches SET finished = TRUE WHERE id IN ({})",
            (1..=inserted.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut update = sqlx::query(&sql).persistent(inserted.len() == 1);
        for match_id in &inserted {
            update = update.bind(match_id);
        }
        update.execute(&mut *tx).await?;
    }
    let seats: Vec<_> = results
        .iter()
        .filter(|r| inserted.contains(&r.match_id))
        .flat_map(|r| r.seats().map(move |seat| (&r.match_id, seat)))
        .collect();
    if !seats.is_empty() {
        let sql = format!(
            "INSERT INTO match_players (match_id, seat, player_id, result) VALUES {}",
            placeholder_rows(4, seats.len())
        );
        let mut insert = sqlx::query(&sql).persistent(seats.len() == 2);
        for (match_id, (seat, player, seat_result)) in seats {
            insert = insert
                .bind(match_id)
                .bind(i64::from(seat.0))
                .bind(&player.player_id)
                .bind(seat_result.as_str());
        }
        insert.execute(&mut *tx).await?;
    }
    let replays: Vec<&Replay> = replays
        .iter()
        .filter(|r| inserted.contains(&r.record.room_id))
        .collect();
    if !replays.is_empty() {
        let sql = format!(
            "INSERT INTO match_replays (match_id, room, inputs) VALUES {}",
            placeholder_rows(3, replays.len())
        );
        let mut insert = sqlx::query(&sql).persistent(replays.len() == 1);
        for replay in replays {
            insert = insert
                .bind(&replay.record.room_id)
                .bind(json(&replay.record)?)
                .bind(json(&replay.inputs)?);
        }
        insert.execute(&mut *tx).await?;
    }
    tx.commit().await
}

fn json(value: &impl serde::Serialize) -> Result<String, sqlx::Error> {
    serde_json::to_string(value).map_err(|error| sqlx::Error::Encode(Box::new(error)))
}
