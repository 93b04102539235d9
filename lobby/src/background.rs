//! The lobby's background loops, run by every lobby process: matchmaking rounds (and
//! voiding matches nobody joined in time, dropping queued players who stopped asking,
//! closing expired private rooms), settling finished matches, and waking long-polls whose
//! players another process matched. Each is safe to run in several processes at once.

use std::{sync::Arc, time::Duration};

use moonlight_common::{
    CancellationToken,
    time::{unix_now, unix_now_ms},
};
use tokio::task::JoinSet;

use crate::lobby::Lobby;

pub fn spawn(lobby: &Arc<Lobby>, shutdown: &CancellationToken) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    let config = &lobby.config;
    tasks.spawn(every(config.match_interval, shutdown.clone(), {
        let lobby = Arc::clone(lobby);
        move || {
            let lobby = Arc::clone(&lobby);
            async move { match_and_sweep(&lobby).await }
        }
    }));
    tasks.spawn(every(config.settle_interval, shutdown.clone(), {
        let lobby = Arc::clone(lobby);
        move || {
            let lobby = Arc::clone(&lobby);
            async move {
                // Batches of 100 until the backlog is gone (a busy minute can finish more).
                loop {
                    match lobby.records.settle_pending(100).await {
                        Ok(100) => continue,
                        Ok(_) => break,
                        Err(error) => {
                            tracing::warn!(%error, "settling finished matches failed");
                            break;
                        }
                    }
                }
            }
        }
    }));
    tasks.spawn(wake_remote_matches(Arc::clone(lobby), shutdown.clone()));
    tasks
}

async fn match_and_sweep(lobby: &Lobby) {
    if let Err(error) = lobby.match_round().await {
        tracing::warn!(%error, "matchmaking round failed");
    }
    match lobby.void_unjoined(unix_now_ms()).await {
        Ok(0) => {}
        Ok(voided) => tracing::info!(voided, "matches nobody joined in time voided"),
        Err(error) => tracing::warn!(%error, "voiding unjoined matches failed"),
    }
    match lobby.drop_absent_queued(unix_now_ms()).await {
        Ok(0) => {}
        Ok(dropped) => tracing::info!(dropped, "queued players who stopped asking left the queue"),
        Err(error) => tracing::warn!(%error, "dropping absent queued players failed"),
    }
    match lobby.store.sweep_expired_rooms(unix_now()).await {
        Ok(0) => {}
        Ok(closed) => tracing::info!(closed, "expired private rooms closed"),
        Err(error) => tracing::warn!(%error, "closing expired rooms failed"),
    }
}

/// Runs `work` every `interval` until `shutdown` (an overrun delays the next run rather
/// than stacking runs up).
async fn every<F, Fut>(interval: Duration, shutdown: CancellationToken, mut work: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => work().await,
            () = shutdown.cancelled() => break,
        }
    }
}

/// Wakes this process's long-polls whose players were matched by another process.
async fn wake_remote_matches(lobby: Arc<Lobby>, shutdown: CancellationToken) {
    let interval = lobby.config.wake_interval;
    // Look back a little further than one interval, so a write that committed just after
    // a look with an earlier timestamp is still seen by the next one.
    let overlap = i64::try_from(interval.as_millis() * 5).unwrap_or(i64::MAX);
    let mut since = unix_now_ms();
    every(interval, shutdown, move || {
        let lobby = Arc::clone(&lobby);
        let looked_at = unix_now_ms();
        let from = since.saturating_sub(overlap);
        since = looked_at;
        async move {
            if lobby.waiters.is_empty() {
                return;
            }
            match lobby.store.matched_since(from).await {
                Ok(players) => players.iter().for_each(|p| lobby.waiters.wake(p)),
                Err(error) => tracing::warn!(%error, "looking for remote matches failed"),
            }
        }
    })
    .await;
}
