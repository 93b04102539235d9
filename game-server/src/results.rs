//! The results writer: moves finished matches from the store's outbox into the database's
//! `match_results`, exactly once. A result stays in the outbox until the database has it;
//! the insert is keyed by the match id, so a retry after a partial failure (or a second
//! node finishing the same replayed match) records nothing twice.

use std::{sync::Arc, time::Duration};

use moonlight_common::{CancellationToken, Database};

use moonlight_rooms::record_from_outbox;

use crate::NodeContext;

const MIN_BACKOFF: Duration = Duration::from_millis(200);
/// Short: a database back from an outage has the results (and their players are free)
/// within this, and one failing query every few seconds costs it nothing.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
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

pub(crate) async fn run(ctx: Arc<NodeContext>, db: Database, shutdown: CancellationToken) {
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

/// Results recorded in one transaction: a few statements for the lot.
const AT_ONCE: usize = 64;

async fn flush(ctx: &NodeContext, db: &Database) -> anyhow::Result<()> {
    let pending = ctx.store.pending_results().await?;
    for batch in pending.chunks(AT_ONCE) {
        record_from_outbox(&ctx.store, db, batch).await?;
        let recorded = batch.len() as u64;
        ctx.results_progress.send_modify(|p| p.recorded += recorded);
        metrics::counter!("game_results_recorded_total").increment(recorded);
        for result in batch {
            tracing::info!(match_id = %result.match_id, "match result recorded");
        }
    }
    Ok(())
}
