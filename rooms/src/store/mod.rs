//! Where rooms live between messages: the room's record, its input log, its latest
//! snapshot, and the outbox of finished results.
//!
//! Two backends behind one type: [`redis::RedisStore`] when `REDIS_URL` is set (required
//! once several nodes share rooms), and [`sql::SqlStore`] in the node's own database for the
//! single-node default, which also survives a restart. An append returns only once the
//! entry is durable in the backend, and refuses a sequence number that is not the next one,
//! so two nodes that both think they own a room cannot interleave their inputs.

mod real_time;
mod redis;
mod sql;

use moonlight_engine::SourceFile;
use serde::Serialize;

pub use self::{redis::RedisStore, sql::SqlStore};
use crate::record::{LogEntry, MatchResult, Replay, RoomRecord};

/// What a room's restore starts from.
#[derive(Debug, Clone)]
pub struct StoredRoom {
    pub record: RoomRecord,
    /// The latest snapshot: the sequence number it includes and the engine's state bytes.
    pub snapshot: Option<(u64, Vec<u8>)>,
    /// The inputs after the snapshot (or all of them), in order.
    pub log: Vec<LogEntry>,
}

/// Who has a room: a node that opened it, or a lobby that voided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomState {
    Open,
    /// Nobody came before the join deadline, or the room cannot be played: the match
    /// ended without a result (`no_contest`).
    Void,
}

impl RoomState {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomState::Open => "open",
            RoomState::Void => "void",
        }
    }

    pub fn parse(text: &str) -> Option<RoomState> {
        [RoomState::Open, RoomState::Void]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("input {seq} is not the next one for room {room_id} (another node owns it?)")]
    OutOfSequence { room_id: String, seq: u64 },
    /// The room's record is gone from the store (Redis lost it).
    #[error("room {0} is no longer in the store")]
    RoomGone(String),
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

    /// Loads the room to run it and claims it for [`RoomState::Open`] in the same step
    /// (one round trip on Redis): what a node does when a player connects. The state that
    /// holds is `Void` when a lobby voided the room first. `None`: no such room.
    pub async fn open_room(
        &self,
        room_id: &str,
    ) -> Result<Option<(StoredRoom, RoomState)>, StoreError> {
        match self {
            Self::Sql(store) => {
                let Some(stored) = store.load_room(room_id).await? else {
                    return Ok(None);
                };
                Ok(Some((stored, self.claim(room_id, RoomState::Open).await?)))
            }
            Self::Redis(store) => store.open_room(room_id).await,
        }
    }

    /// Appends `entry` durably; it must be the room's next sequence number. With
    /// `result` (the entry ends the match), the result enters the outbox in the same
    /// write: a crash leaves both or neither.
    pub async fn append(
        &self,
        room_id: &str,
        entry: &LogEntry,
        result: Option<&MatchResult>,
    ) -> Result<(), StoreError> {
        match self {
            Self::Sql(store) => store.append(room_id, entry, result).await,
            Self::Redis(store) => store.append(room_id, entry, result).await,
        }
    }

    /// Claims the room for `state`, unless it was claimed before: a node opening it, or a
    /// lobby voiding it because nobody came in time. Returns the state that holds (the
    /// first claim's). A room missing from the store can only be void.
    pub async fn claim(&self, room_id: &str, state: RoomState) -> Result<RoomState, StoreError> {
        let held = self.claim_all(&[room_id], state).await?;
        held.first()
            .copied()
            .ok_or_else(|| StoreError::Corrupt(format!("no claim answered for room {room_id}")))
    }

    /// [`RoomStore::claim`] for each of `room_ids` at once; the states that hold, in order.
    pub async fn claim_all(
        &self,
        room_ids: &[&str],
        state: RoomState,
    ) -> Result<Vec<RoomState>, StoreError> {
        if room_ids.is_empty() {
            return Ok(Vec::new());
        }
        match self {
            Self::Sql(store) => store.claim_all(room_ids, state).await,
            Self::Redis(store) => store.claim_all(room_ids, state).await,
        }
    }

    /// The rooms of `room_ids` with every input they logged, as replays; a room the store
    /// does not have is left out.
    pub async fn replays(&self, room_ids: &[&str]) -> Result<Vec<Replay>, StoreError> {
        if room_ids.is_empty() {
            return Ok(Vec::new());
        }
        match self {
            Self::Sql(store) => store.replays(room_ids).await,
            Self::Redis(store) => store.replays(room_ids).await,
        }
    }

    /// Whether the store lost the room, whose creation it acknowledged: Redis without
    /// persistence loses every room when it restarts; a SQL database keeps what it
    /// committed, so on SQL this asks nothing (the lobby asks it at every ticket).
    pub async fn lost(&self, room_id: &str) -> Result<bool, StoreError> {
        match self {
            Self::Sql(_) => Ok(false),
            Self::Redis(store) => Ok(!store.room_exists(room_id).await?),
        }
    }

    /// Keeps the content files of `version`, so any node can restore a room begun under
    /// it after the content changed (idempotent: a version is its files' hash).
    pub async fn save_content(
        &self,
        version: &str,
        sources: &[SourceFile],
    ) -> Result<(), StoreError> {
        let sources = to_json(&sources)?;
        match self {
            Self::Sql(store) => store.save_content(version, &sources).await,
            Self::Redis(store) => store.save_content(version, &sources).await,
        }
    }

    /// The content files of `version`, if they were saved.
    pub async fn load_content(&self, version: &str) -> Result<Option<Vec<SourceFile>>, StoreError> {
        let sources = match self {
            Self::Sql(store) => store.load_content(version).await?,
            Self::Redis(store) => store.load_content(version).await?,
        };
        sources.map(|text| from_json(&text)).transpose()
    }

    /// Whether the store takes writes now (for readiness).
    pub async fn accepts_writes(&self) -> bool {
        match self {
            Self::Sql(store) => store.accepts_writes().await,
            Self::Redis(store) => store.accepts_writes().await,
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

    /// `match_id`'s result if it is in the outbox (finished, not yet recorded).
    pub async fn pending_result(&self, match_id: &str) -> Result<Option<MatchResult>, StoreError> {
        let result = match self {
            Self::Sql(store) => store.pending_result(match_id).await?,
            Self::Redis(store) => store.pending_result(match_id).await?,
        };
        result.map(|text| from_json(&text)).transpose()
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

/// How every store reads back what it kept as JSON (records, logged inputs, results).
pub fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}
