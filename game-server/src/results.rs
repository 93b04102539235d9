//! The results writer: moves finished matches from the store's outbox into the database's
//! `match_results`, exactly once. A result stays in the outbox until the database has it;
//! the insert is keyed by the match id, so a retry after a partial failure (or a second
//! node finishing the same replayed match) records nothing twice.

use std::{sync::Arc, time::Duration};

use moonlight_common::{CancellationToken, Database};

use crate::{NodeContext, store::MatchResult};

const MIN_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Even with no wake-up, look again this often (another node's outbox entries, lost wakes).
const SWEEP: Duration = Duration::from_secs(30);

/// Counts of the writer's work since start-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Results moved from the outbox into the database.
    pub recorded: u64,
    /// Attempts that failed (database or store unreachable) and will be retried.
    pub failed_attempts: u64,
}

pub async fn run(ctx: Arc<NodeContext>, db: Database, shutdown: CancellationToken) {
    let mut backoff = MIN_BACKOFF;
    loop {
        let wait = match flush(&ctx, &db).await {
            Ok(()) => {
                backoff = MIN_BACKOFF;
                SWEEP
            }
            Err(error) => {
                ctx.results_progress.send_modify(|p| p.failed_attempts += 1);
                metrics::counter!("game_results_failed_attempts_total").increment(1);
                tracing::warn!(error = format!("{error:#}"), retry_in = ?backoff, "recording results failed");
                let wait = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                wait
            }
        };
        tokio::select! {
            () = ctx.results.notified() => {}
            () = tokio::time::sleep(wait) => {}
            () = shutdown.cancelled() => break,
        }
    }
    // One last try on the way out: rooms shut down just before us may have finished
    // matches. What still fails stays in the outbox for the next start (or another node).
    if let Err(error) = flush(&ctx, &db).await {
        tracing::warn!(
            error = format!("{error:#}"),
            "results left in the outbox at shutdown"
        );
    }
}

async fn flush(ctx: &NodeContext, db: &Database) -> anyhow::Result<()> {
    for result in ctx.store.pending_results().await? {
        record(db, &result).await?;
        ctx.store.clear_result(&result.match_id).await?;
        ctx.results_progress.send_modify(|p| p.recorded += 1);
        metrics::counter!("game_results_recorded_total").increment(1);
        tracing::info!(match_id = %result.match_id, "match result recorded");
    }
    Ok(())
}

async fn record(db: &Database, result: &MatchResult) -> Result<(), sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO match_results \
         (match_id, content_version, winner_team, reason, turns, started_at, finished_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (match_id) DO NOTHING",
    )
    .bind(&result.match_id)
    .bind(&result.content_version)
    .bind(result.winner_team().map(i64::from))
    .bind(crate::wire::outcome(&result.outcome).reason)
    .bind(i64::from(result.turns))
    .bind(result.started_at)
    .bind(result.finished_at)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 1 {
        for (i, player) in result.players.iter().enumerate() {
            let seat = moonlight_engine::Seat(u8::try_from(i).unwrap_or(u8::MAX));
            sqlx::query("INSERT INTO match_players (match_id, seat, player_id, result) VALUES ($1, $2, $3, $4)")
                .bind(&result.match_id)
                .bind(i64::try_from(i).unwrap_or(i64::MAX))
                .bind(&player.player_id)
                .bind(result.result_for(seat))
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await
}
