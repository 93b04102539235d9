//! Where rooms live between messages: the room's record, its input log, its latest
//! snapshot, and the outbox of finished results.
//!
//! Two backends behind one type: [`redis::RedisStore`] when `REDIS_URL` is set (required
//! once several nodes share rooms), and [`sql::SqlStore`] in the node's own database for the
//! single-node default, which also survives a restart. An append returns only once the
//! entry is durable in the backend, and refuses a sequence number that is not the next one,
//! so two nodes that both think they own a room cannot interleave their inputs.

mod redis;
mod sql;

use serde::Serialize;

pub use self::{redis::RedisStore, sql::SqlStore};
use crate::record::{LogEntry, MatchResult, RoomRecord};

/// What a room's restore starts from.
#[derive(Debug, Clone)]
pub struct StoredRoom {
    pub record: RoomRecord,
    /// The latest snapshot: the sequence number it includes and the engine's state bytes.
    pub snapshot: Option<(u64, Vec<u8>)>,
    /// The inputs after the snapshot (or all of them), in order.
    pub log: Vec<LogEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("input {seq} is not the next one for room {room_id} (another node owns it?)")]
    OutOfSequence { room_id: String, seq: u64 },
    #[error("a stored record is corrupt: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A write that could not be committed (the database's error, as text: one failed
    /// commit answers every write in it).
    #[error("database: {0}")]
    Unavailable(String),
    #[error("redis: {0}")]
    Redis(#[from] ::redis::RedisError),
    #[error(transparent)]
    RedisPool(#[from] crate::redis::PoolError),
}

/// The room store in use.
#[derive(Clone)]
pub enum RoomStore {
    Sql(SqlStore),
    Redis(RedisStore),
}

impl RoomStore {
    /// Saves a new room's record; saving the same room again changes nothing.
    pub async fn create_room(&self, record: &RoomRecord) -> Result<(), StoreError> {
        self.create_rooms(std::slice::from_ref(record)).await
    }

    /// Saves many new rooms at once (a matchmaking round's).
    pub async fn create_rooms(&self, records: &[RoomRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        match self {
            Self::Sql(store) => store.create_rooms(records).await,
            Self::Redis(store) => store.create_rooms(records).await,
        }
    }

    pub async fn load_room(&self, room_id: &str) -> Result<Option<StoredRoom>, StoreError> {
        match self {
            Self::Sql(store) => store.load_room(room_id).await,
            Self::Redis(store) => store.load_room(room_id).await,
        }
    }

    /// Appends `entry` durably; it must be the room's next sequence number.
    pub async fn append(&self, room_id: &str, entry: &LogEntry) -> Result<(), StoreError> {
        match self {
            Self::Sql(store) => store.append(room_id, entry).await,
            Self::Redis(store) => store.append(room_id, entry).await,
        }
    }

    pub async fn save_snapshot(
        &self,
        room_id: &str,
        seq: u64,
        state: &[u8],
    ) -> Result<(), StoreError> {
        match self {
            Self::Sql(store) => store.save_snapshot(room_id, seq, state).await,
            Self::Redis(store) => store.save_snapshot(room_id, seq, state).await,
        }
    }

    /// Puts a finished match in the outbox (idempotent).
    pub async fn push_result(&self, result: &MatchResult) -> Result<(), StoreError> {
        match self {
            Self::Sql(store) => store.push_result(result).await,
            Self::Redis(store) => store.push_result(result).await,
        }
    }

    pub async fn pending_results(&self) -> Result<Vec<MatchResult>, StoreError> {
        match self {
            Self::Sql(store) => store.pending_results().await,
            Self::Redis(store) => store.pending_results().await,
        }
    }

    /// Takes results out of the outbox once they are recorded.
    pub async fn clear_results(&self, match_ids: &[&str]) -> Result<(), StoreError> {
        if match_ids.is_empty() {
            return Ok(());
        }
        match self {
            Self::Sql(store) => store.clear_results(match_ids).await,
            Self::Redis(store) => store.clear_results(match_ids).await,
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}
