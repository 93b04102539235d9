//! The rooms running on this node, by id. Opening a room that is not running loads it
//! from the store (a new room, or one restored after a crash or from another node) and
//! starts its actor. The lock is never held across an `.await`.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use moonlight_rooms::{RoomRecord, RoomState, StoreError};
use parking_lot::{Mutex, MutexGuard};
use tokio::sync::{mpsc, oneshot};

use crate::{
    NodeContext,
    room::{
        Glance, Room, RoomHandle, RoomMsg,
        restore::{RestoreError, restore},
    },
};

/// A room that cannot be played here (its content is nowhere to be found, its log does
/// not replay) ends without a result, so its players are freed: its `no_contest` result
/// goes to the outbox (once, whichever node tries first).
async fn void_unplayable(
    ctx: &NodeContext,
    record: &RoomRecord,
    error: &RestoreError,
) -> Result<(), StoreError> {
    tracing::error!(room = %record.room_id, %error, "room cannot be restored; voiding the match");
    ctx.store
        .push_result(&record.void_result(0, moonlight_common::time::unix_now()))
        .await?;
    ctx.results.notify_one();
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("no such room")]
    UnknownRoom,
    #[error("this node is full")]
    NodeFull,
    #[error("this node is shutting down")]
    ShuttingDown,
    /// The match is over without a result: a lobby voided it (nobody came in time), or
    /// it could not be restored here (and this node voided it).
    #[error("the match is void")]
    Void,
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct Entry {
    handle: RoomHandle,
    generation: u64,
    content_version: String,
    glance: Arc<Glance>,
}

#[derive(Default)]
pub struct Rooms {
    running: Mutex<HashMap<String, Entry>>,
    generations: AtomicU64,
    /// Set once shutdown begins: no new rooms from then on.
    closing: AtomicBool,
}

impl Rooms {
    fn running(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.running.lock()
    }

    fn running_handle(&self, room_id: &str) -> Option<RoomHandle> {
        self.running()
            .get(room_id)
            .filter(|e| !e.handle.is_closed())
            .map(|e| e.handle.clone())
    }

    pub fn count(&self) -> usize {
        self.running().len()
    }

    /// The turn and last input of `room_id`, if it runs here.
    pub fn glance(&self, room_id: &str) -> Option<(u32, Option<i64>)> {
        self.running()
            .get(room_id)
            .map(|e| (e.glance.turn(), e.glance.last_input_ms()))
    }

    /// How many rooms run each content version.
    pub fn by_content_version(&self) -> BTreeMap<String, usize> {
        let running = self.running();
        let mut versions = BTreeMap::<&str, usize>::new();
        for entry in running.values() {
            *versions.entry(&entry.content_version).or_default() += 1;
        }
        versions
            .into_iter()
            .map(|(version, rooms)| (version.to_owned(), rooms))
            .collect()
    }

    /// The room's actor, started (and restored) if it is not running here.
    pub async fn open(ctx: &Arc<NodeContext>, room_id: &str) -> Result<RoomHandle, OpenError> {
        let rooms = &ctx.rooms;
        if rooms.closing.load(Ordering::Acquire) {
            return Err(OpenError::ShuttingDown);
        }
        if let Some(handle) = rooms.running_handle(room_id) {
            return Ok(handle);
        }
        if rooms.count() >= ctx.config.max_rooms {
            return Err(OpenError::NodeFull);
        }
        // Opened here, unless a lobby voided it first (nobody came before its deadline).
        let started = std::time::Instant::now();
        let (stored, held) = ctx
            .store
            .open_room(room_id)
            .await?
            .ok_or(OpenError::UnknownRoom)?;
        metrics::histogram!("game_room_open_seconds").record(started.elapsed().as_secs_f64());
        if held == RoomState::Void {
            return Err(OpenError::Void);
        }
        // Replaying a log is microseconds per input: fine to do inline.
        let restored = match restore(ctx, &stored).await {
            Ok(restored) => restored,
            Err(RestoreError::Store(error)) => return Err(OpenError::Store(error)),
            Err(error) => {
                void_unplayable(ctx, &stored.record, &error).await?;
                return Err(OpenError::Void);
            }
        };
        let content_version = stored.record.content_version.clone();
        let glance = Arc::new(Glance::at_turn(restored.game.turn()));
        let room = Room::new(
            Arc::clone(ctx),
            stored.record,
            restored,
            Arc::clone(&glance),
        );

        let (tx, rx) = mpsc::channel(ctx.config.room_mailbox);
        let handle = RoomHandle::new(tx);
        let generation = rooms.generations.fetch_add(1, Ordering::Relaxed);
        {
            let mut running = rooms.running();
            // Another connection may have opened it while we were loading.
            if rooms.closing.load(Ordering::Acquire) {
                return Err(OpenError::ShuttingDown);
            }
            if let Some(existing) = running.get(room_id).filter(|e| !e.handle.is_closed()) {
                return Ok(existing.handle.clone());
            }
            running.insert(
                room_id.to_owned(),
                Entry {
                    handle: handle.clone(),
                    generation,
                    content_version,
                    glance,
                },
            );
        }
        metrics::gauge!("game_rooms").increment(1.0);
        let ctx = Arc::clone(ctx);
        let id = room_id.to_owned();
        tokio::spawn(async move {
            room.run(rx).await;
            let mut running = ctx.rooms.running();
            if running.get(&id).is_some_and(|e| e.generation == generation) {
                running.remove(&id);
            }
            metrics::gauge!("game_rooms").decrement(1.0);
        });
        Ok(handle)
    }

    /// Asks every room to snapshot, tell its players to reconnect, and stop; waits for them.
    pub async fn shutdown_all(&self) {
        self.closing.store(true, Ordering::Release);
        let handles: Vec<RoomHandle> = self.running().values().map(|e| e.handle.clone()).collect();
        let mut waiting = Vec::new();
        for handle in handles {
            let (done, stopped) = oneshot::channel();
            if handle.send(RoomMsg::Shutdown { done }).await {
                waiting.push(stopped);
            }
        }
        for stopped in waiting {
            let _ = stopped.await;
        }
    }
}
