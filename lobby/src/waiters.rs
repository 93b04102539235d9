//! Long-poll wake-ups: a request waiting for its player's match is woken when this
//! process matches the player, or when the periodic look at the database finds that
//! another lobby process did.

use std::{collections::HashMap, sync::Arc};

use parking_lot::{Mutex, MutexGuard};
use tokio::sync::Notify;

#[derive(Default)]
pub struct Waiters {
    by_player: Mutex<HashMap<String, (Arc<Notify>, usize)>>,
}

/// One waiting request; unregisters itself when dropped.
pub struct Waiting<'a> {
    waiters: &'a Waiters,
    player_id: String,
    pub notify: Arc<Notify>,
}

impl Waiters {
    pub fn register(&self, player_id: &str) -> Waiting<'_> {
        let mut map = self.lock();
        let entry = map
            .entry(player_id.to_owned())
            .or_insert_with(|| (Arc::new(Notify::new()), 0));
        entry.1 += 1;
        Waiting {
            waiters: self,
            player_id: player_id.to_owned(),
            notify: Arc::clone(&entry.0),
        }
    }

    pub fn wake(&self, player_id: &str) {
        if let Some((notify, _)) = self.lock().get(player_id) {
            notify.notify_waiters();
        }
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, (Arc<Notify>, usize)>> {
        self.by_player.lock()
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut map = self.waiters.lock();
        if let Some(entry) = map.get_mut(&self.player_id) {
            entry.1 -= 1;
            if entry.1 == 0 {
                map.remove(&self.player_id);
            }
        }
    }
}
