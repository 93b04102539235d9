//! The shared room store in Redis: what lets a room move to another node after a crash.
//!
//! Keys (under a configurable prefix): `room:{id}` the record (JSON), `room:{id}:log` the
//! input log (a list, index = seq − 1), `room:{id}:snap` the latest snapshot (a hash of
//! `seq` and `state`), `results` the outbox (a hash of match id → result). Room keys expire
//! a week after their last write. Appends and snapshots are Lua scripts, so the sequence
//! check and the write are one atomic step.

use redis::Script;

use super::{StoreError, StoredRoom, from_json, to_json};
use crate::record::{LogEntry, MatchResult, RoomRecord};
use crate::redis::{RedisConnection, RedisPool};

const ROOM_TTL_SECS: u64 = 7 * 24 * 3600;

/// Appends ARGV[2] as entry number ARGV[1] if, and only if, it is the next one.
const APPEND: &str = r"
local len = redis.call('LLEN', KEYS[1])
if len ~= tonumber(ARGV[1]) - 1 then return -1 end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return len + 1
";

/// Replaces the snapshot only with a newer one.
const SNAPSHOT: &str = r"
local current = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if tonumber(ARGV[1]) > current then
  redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'state', ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return 1
";

#[derive(Clone)]
pub struct RedisStore {
    redis: RedisPool,
    prefix: String,
    append: Script,
    snapshot: Script,
}

impl RedisStore {
    /// The store on `redis`; every key starts with `prefix`.
    pub fn new(redis: RedisPool, prefix: &str) -> Self {
        Self {
            redis,
            prefix: prefix.to_owned(),
            append: Script::new(APPEND),
            snapshot: Script::new(SNAPSHOT),
        }
    }

    async fn connection(&self) -> Result<RedisConnection, StoreError> {
        Ok(self.redis.get().await?)
    }

    fn key(&self, room_id: &str, suffix: &str) -> String {
        format!("{}room:{room_id}{suffix}", self.prefix)
    }

    fn results_key(&self) -> String {
        format!("{}results", self.prefix)
    }

    /// Saves rooms in one pipelined round trip; one already saved is left as it is.
    pub(super) async fn create_rooms(&self, records: &[RoomRecord]) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        for record in records {
            pipe.cmd("SET")
                .arg(self.key(&record.room_id, ""))
                .arg(to_json(record)?)
                .arg("NX")
                .arg("EX")
                .arg(ROOM_TTL_SECS)
                .ignore();
        }
        pipe.query_async::<()>(&mut self.connection().await?)
            .await?;
        Ok(())
    }

    pub(super) async fn load_room(&self, room_id: &str) -> Result<Option<StoredRoom>, StoreError> {
        let mut conn = self.connection().await?;
        let (record, snapshot_seq, snapshot_state): (Option<String>, Option<u64>, Option<Vec<u8>>) =
            redis::pipe()
                .get(self.key(room_id, ""))
                .hget(self.key(room_id, ":snap"), "seq")
                .hget(self.key(room_id, ":snap"), "state")
                .query_async(&mut conn)
                .await?;
        let Some(record) = record else {
            return Ok(None);
        };
        let snapshot = snapshot_seq.zip(snapshot_state);
        let after = snapshot.as_ref().map_or(0, |(seq, _)| *seq);
        let start =
            isize::try_from(after).map_err(|_| StoreError::Corrupt("snapshot seq".into()))?;
        let entries: Vec<String> = redis::cmd("LRANGE")
            .arg(self.key(room_id, ":log"))
            .arg(start)
            .arg(-1)
            .query_async(&mut conn)
            .await?;
        let log = entries
            .iter()
            .map(|e| from_json(e))
            .collect::<Result<_, _>>()?;
        Ok(Some(StoredRoom {
            record: from_json(&record)?,
            snapshot,
            log,
        }))
    }

    pub(super) async fn append(&self, room_id: &str, entry: &LogEntry) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        let length: i64 = self
            .append
            .key(self.key(room_id, ":log"))
            .arg(entry.seq)
            .arg(to_json(entry)?)
            .arg(ROOM_TTL_SECS)
            .invoke_async(&mut conn)
            .await?;
        if length < 0 {
            return Err(StoreError::OutOfSequence {
                room_id: room_id.to_owned(),
                seq: entry.seq,
            });
        }
        Ok(())
    }

    pub(super) async fn save_snapshot(
        &self,
        room_id: &str,
        seq: u64,
        state: &[u8],
    ) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        self.snapshot
            .key(self.key(room_id, ":snap"))
            .arg(seq)
            .arg(state)
            .arg(ROOM_TTL_SECS)
            .invoke_async::<()>(&mut conn)
            .await?;
        Ok(())
    }

    pub(super) async fn push_result(&self, result: &MatchResult) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        redis::cmd("HSETNX")
            .arg(self.results_key())
            .arg(&result.match_id)
            .arg(to_json(result)?)
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }

    pub(super) async fn pending_results(&self) -> Result<Vec<MatchResult>, StoreError> {
        let mut conn = self.connection().await?;
        let results: Vec<String> = redis::cmd("HVALS")
            .arg(self.results_key())
            .query_async(&mut conn)
            .await?;
        results.iter().map(|r| from_json(r)).collect()
    }

    pub(super) async fn clear_results(&self, match_ids: &[&str]) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        redis::cmd("HDEL")
            .arg(self.results_key())
            .arg(match_ids)
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }
}
