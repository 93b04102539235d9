//! The shared room store in Redis: what lets a room move to another node after a crash.
//!
//! Keys (under a configurable prefix), for a room `ID` in bucket `B` (one of
//! [`BUCKETS`], from a hash of the id): `room:{bB}:ID` the record (JSON), `room:{bB}:ID:log`
//! the input log (a list, index = seq − 1), `room:{bB}:ID:snap` the latest snapshot (a hash
//! of `seq` and `state`), `room:{bB}:ID:state` who has the room (`open` or `void`);
//! `results:{bB}` the bucket's outbox (a hash of match id → result); `content:VERSION` a
//! content version's files. Room keys expire a week after their last write, content a
//! month after the last room that used it. Appends, snapshots and claims are Lua scripts,
//! so each check and its write are one atomic step.
//!
//! The `{bB}` hash tag puts a room's keys and its bucket's outbox in one Redis Cluster
//! slot, so the script that appends a match's last input and puts its result in the outbox
//! stays one atomic step on a cluster too. A tag per room would spread rooms more finely,
//! but then no outbox could share the slot of every room that writes to it.

use futures_util::future::try_join_all;
use redis::{FromRedisValue, Pipeline, Script, Value};

use super::{RoomState, StoreError, StoredRoom, from_json, to_json};
use crate::record::{LogEntry, MatchResult, Replay, RoomRecord};
use crate::redis::{RedisConnection, RedisPool};

const ROOM_TTL_SECS: u64 = 7 * 24 * 3600;

const CONTENT_TTL_SECS: u64 = 30 * 24 * 3600;

/// How many hash tags rooms are spread over: as many slots, so a cluster of up to this
/// many masters shares them (the scaling notes in docs/scaling.md).
pub const BUCKETS: u32 = 64;

/// The bucket of a room: FNV-1a of its id, a hash that must never change (it names keys
/// already written), so not the standard library's.
fn bucket(room_id: &str) -> u32 {
    let hash = room_id.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    hash % BUCKETS
}

/// Appends ARGV[2] to the log KEYS[1] as entry number ARGV[1] if, and only if, it is the
/// next one, and the room (KEYS[2]) still exists; with a result (ARGV[4] its match id,
/// ARGV[5] the result), puts it in the outbox KEYS[3] in the same step. -1: out of
/// sequence; -2: the room is gone.
const APPEND: &str = r"
if redis.call('EXISTS', KEYS[2]) == 0 then return -2 end
local len = redis.call('LLEN', KEYS[1])
if len ~= tonumber(ARGV[1]) - 1 then return -1 end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
if ARGV[4] ~= '' then redis.call('HSETNX', KEYS[3], ARGV[4], ARGV[5]) end
return len + 1
";

/// Claims the room (its state key KEYS[1]) for ARGV[1] unless claimed before; a room
/// whose record (KEYS[2]) is gone can only be void. Returns the state that holds.
const CLAIM: &str = r"
local held = redis.call('GET', KEYS[1])
if held then return held end
local state = ARGV[1]
if redis.call('EXISTS', KEYS[2]) == 0 then state = 'void' end
redis.call('SET', KEYS[1], state, 'EX', ARGV[2])
return state
";

/// Opens the room (record KEYS[1], snapshot KEYS[2], log KEYS[3]) to run it: what a node
/// needs to restore it, and its claim (state KEYS[4]) for `open` unless claimed before,
/// in one round trip. Nothing (nil) when the room does not exist.
const OPEN: &str = r"
local record = redis.call('GET', KEYS[1])
if not record then return false end
local seq = redis.call('HGET', KEYS[2], 'seq')
local state = redis.call('HGET', KEYS[2], 'state')
local log = redis.call('LRANGE', KEYS[3], tonumber(seq or '0'), -1)
local held = redis.call('GET', KEYS[4])
if not held then
  held = 'open'
  redis.call('SET', KEYS[4], held, 'EX', ARGV[1])
end
return {record, seq or false, state or false, log, held}
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
    claim: Script,
    open: Script,
}

impl RedisStore {
    /// The store on `redis`; every key starts with `prefix`.
    pub fn new(redis: RedisPool, prefix: &str) -> Self {
        Self {
            redis,
            prefix: prefix.to_owned(),
            append: Script::new(APPEND),
            snapshot: Script::new(SNAPSHOT),
            claim: Script::new(CLAIM),
            open: Script::new(OPEN),
        }
    }

    async fn connection(&self) -> Result<RedisConnection, StoreError> {
        Ok(self.redis.get().await?)
    }

    /// The key of a room's record (`suffix` empty) or of its `:log`, `:snap` or `:state`,
    /// under `prefix`.
    pub fn room_key(prefix: &str, room_id: &str, suffix: &str) -> String {
        format!("{prefix}room:{{b{}}}:{room_id}{suffix}", bucket(room_id))
    }

    fn key(&self, room_id: &str, suffix: &str) -> String {
        Self::room_key(&self.prefix, room_id, suffix)
    }

    /// The outbox that `room_id`'s result goes to.
    fn results_key(&self, room_id: &str) -> String {
        self.outbox(bucket(room_id))
    }

    fn outbox(&self, bucket: u32) -> String {
        format!("{}results:{{b{bucket}}}", self.prefix)
    }

    /// Runs `add(pipeline, item)` for every item, in as few round trips as the store
    /// allows (one on a single Redis; one per slot, all at once, on a cluster): each item
    /// adds `commands` commands whose answers are returned together as its `R`, in the
    /// items' order. `key_of` names a key of the item's slot.
    async fn per_item<T, R: FromRedisValue>(
        &self,
        items: &[T],
        commands: usize,
        key_of: impl Fn(&T) -> String,
        add: impl Fn(&mut Pipeline, &T) -> Result<(), StoreError>,
    ) -> Result<Vec<R>, StoreError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.connection().await?;
        let groups = conn.slot_groups(items, key_of);
        let mut pipes = Vec::with_capacity(groups.len());
        for group in &groups {
            let mut pipe = redis::pipe();
            for &index in group {
                add(&mut pipe, &items[index])?;
            }
            pipes.push(pipe);
        }
        let answers = try_join_all(pipes.iter().map(|pipe| {
            let mut conn = conn.clone();
            async move { pipe.query_async::<Vec<Value>>(&mut conn).await }
        }))
        .await?;
        // Back in the items' order: each group holds its items in order.
        let mut by_item: Vec<(usize, R)> = Vec::with_capacity(items.len());
        for (group, answers) in groups.iter().zip(answers) {
            let mut answers = answers.into_iter();
            for &index in group {
                let values: Vec<Value> = answers.by_ref().take(commands).collect();
                let parsed = redis::from_redis_value(Value::Array(values))
                    .map_err(|error| StoreError::Corrupt(error.to_string()))?;
                by_item.push((index, parsed));
            }
        }
        by_item.sort_by_key(|(index, _)| *index);
        Ok(by_item.into_iter().map(|(_, answer)| answer).collect())
    }

    /// Saves rooms in one pipelined round trip (per slot); one already saved is left as
    /// it is.
    pub(super) async fn create_rooms(&self, records: &[RoomRecord]) -> Result<(), StoreError> {
        self.per_item::<_, (Value,)>(
            records,
            1,
            |record| self.key(&record.room_id, ""),
            |pipe, record| {
                pipe.cmd("SET")
                    .arg(self.key(&record.room_id, ""))
                    .arg(to_json(record)?)
                    .arg("NX")
                    .arg("EX")
                    .arg(ROOM_TTL_SECS);
                Ok(())
            },
        )
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
        let log: Vec<String> = redis::cmd("LRANGE")
            .arg(self.key(room_id, ":log"))
            .arg(start)
            .arg(-1)
            .query_async(&mut conn)
            .await?;
        stored(&record, snapshot, &log).map(Some)
    }

    /// [`load_room`](Self::load_room) and a claim for `open`, in one script: opening a
    /// room is one round trip (connecting players wait for it).
    pub(super) async fn open_room(
        &self,
        room_id: &str,
    ) -> Result<Option<(StoredRoom, RoomState)>, StoreError> {
        type Opened = (String, Option<u64>, Option<Vec<u8>>, Vec<String>, String);
        let opened: Option<Opened> = self
            .open
            .key(self.key(room_id, ""))
            .key(self.key(room_id, ":snap"))
            .key(self.key(room_id, ":log"))
            .key(self.key(room_id, ":state"))
            .arg(ROOM_TTL_SECS)
            .invoke_async(&mut self.connection().await?)
            .await?;
        let Some((record, seq, state, log, held)) = opened else {
            return Ok(None);
        };
        let held = RoomState::parse(&held)
            .ok_or_else(|| StoreError::Corrupt(format!("room state {held}")))?;
        Ok(Some((stored(&record, seq.zip(state), &log)?, held)))
    }

    pub(super) async fn append(
        &self,
        room_id: &str,
        entry: &LogEntry,
        result: Option<&MatchResult>,
    ) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        let (match_id, result) = match result {
            Some(result) => (result.match_id.as_str(), to_json(result)?),
            None => ("", String::new()),
        };
        let length: i64 = self
            .append
            .key(self.key(room_id, ":log"))
            .key(self.key(room_id, ""))
            .key(self.results_key(room_id))
            .arg(entry.seq)
            .arg(to_json(entry)?)
            .arg(ROOM_TTL_SECS)
            .arg(match_id)
            .arg(result)
            .invoke_async(&mut conn)
            .await?;
        match length {
            -2 => Err(StoreError::RoomGone(room_id.to_owned())),
            ..0 => Err(StoreError::OutOfSequence {
                room_id: room_id.to_owned(),
                seq: entry.seq,
            }),
            _ => Ok(()),
        }
    }

    /// One pipeline for any number of rooms (per slot; the script loaded first, so that a
    /// Redis that restarted without it still runs it).
    pub(super) async fn claim_all(
        &self,
        room_ids: &[&str],
        state: RoomState,
    ) -> Result<Vec<RoomState>, StoreError> {
        let held: Vec<(String, String)> = self
            .per_item(
                room_ids,
                2,
                |id| self.key(id, ""),
                |pipe, id| {
                    pipe.load_script(&self.claim).invoke_script(
                        self.claim
                            .key(self.key(id, ":state"))
                            .key(self.key(id, ""))
                            .arg(state.as_str())
                            .arg(ROOM_TTL_SECS),
                    );
                    Ok(())
                },
            )
            .await?;
        held.iter()
            .map(|(_script, held)| {
                RoomState::parse(held)
                    .ok_or_else(|| StoreError::Corrupt(format!("room state {held}")))
            })
            .collect()
    }

    pub(super) async fn room_exists(&self, room_id: &str) -> Result<bool, StoreError> {
        let mut conn = self.connection().await?;
        Ok(redis::cmd("EXISTS")
            .arg(self.key(room_id, ""))
            .query_async(&mut conn)
            .await?)
    }

    pub(super) async fn save_content(
        &self,
        version: &str,
        sources: &str,
    ) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        redis::cmd("SET")
            .arg(format!("{}content:{version}", self.prefix))
            .arg(sources)
            .arg("EX")
            .arg(CONTENT_TTL_SECS)
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }

    pub(super) async fn load_content(&self, version: &str) -> Result<Option<String>, StoreError> {
        let mut conn = self.connection().await?;
        Ok(redis::cmd("GET")
            .arg(format!("{}content:{version}", self.prefix))
            .query_async(&mut conn)
            .await?)
    }

    /// A write that expires: Redis refuses writes when it is a replica, out of memory, or
    /// cannot persist (with `stop-writes-on-bgsave-error`).
    pub(super) async fn accepts_writes(&self) -> bool {
        let Ok(mut conn) = self.connection().await else {
            return false;
        };
        redis::cmd("SET")
            .arg(format!("{}ready", self.prefix))
            .arg(1)
            .arg("EX")
            .arg(60)
            .query_async::<()>(&mut conn)
            .await
            .is_ok()
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

    /// Every room's record and whole log, in one pipelined round trip (per slot).
    pub(super) async fn replays(&self, room_ids: &[&str]) -> Result<Vec<Replay>, StoreError> {
        let rooms: Vec<(Option<String>, Vec<String>)> = self
            .per_item(
                room_ids,
                2,
                |id| self.key(id, ""),
                |pipe, id| {
                    pipe.get(self.key(id, ""))
                        .cmd("LRANGE")
                        .arg(self.key(id, ":log"))
                        .arg(0)
                        .arg(-1);
                    Ok(())
                },
            )
            .await?;
        rooms
            .into_iter()
            .filter_map(|(record, log)| Some((record?, log)))
            .map(|(record, log)| {
                let inputs = log
                    .iter()
                    .map(|e| from_json::<LogEntry>(e).map(|entry| entry.input))
                    .collect::<Result<_, _>>()?;
                Ok(Replay {
                    record: from_json(&record)?,
                    inputs,
                })
            })
            .collect()
    }

    pub(super) async fn push_result(&self, result: &MatchResult) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        redis::cmd("HSETNX")
            .arg(self.results_key(&result.match_id))
            .arg(&result.match_id)
            .arg(to_json(result)?)
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }

    /// Every bucket's outbox.
    pub(super) async fn pending_results(&self) -> Result<Vec<MatchResult>, StoreError> {
        let buckets: Vec<u32> = (0..BUCKETS).collect();
        let outboxes: Vec<(Vec<String>,)> = self
            .per_item(
                &buckets,
                1,
                |bucket| self.outbox(*bucket),
                |pipe, bucket| {
                    pipe.cmd("HVALS").arg(self.outbox(*bucket));
                    Ok(())
                },
            )
            .await?;
        outboxes
            .iter()
            .flat_map(|(results,)| results)
            .map(|r| from_json(r))
            .collect()
    }

    pub(super) async fn pending_result(
        &self,
        match_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let mut conn = self.connection().await?;
        Ok(redis::cmd("HGET")
            .arg(self.results_key(match_id))
            .arg(match_id)
            .query_async(&mut conn)
            .await?)
    }

    pub(super) async fn clear_results(&self, match_ids: &[&str]) -> Result<(), StoreError> {
        self.per_item::<_, (Value,)>(
            match_ids,
            1,
            |id| self.results_key(id),
            |pipe, id| {
                pipe.cmd("HDEL").arg(self.results_key(id)).arg(*id);
                Ok(())
            },
        )
        .await?;
        Ok(())
    }
}

/// A room as the store keeps it: its record, its latest snapshot, the log after it.
fn stored(
    record: &str,
    snapshot: Option<(u64, Vec<u8>)>,
    log: &[String],
) -> Result<StoredRoom, StoreError> {
    Ok(StoredRoom {
        record: from_json(record)?,
        snapshot,
        log: log.iter().map(|e| from_json(e)).collect::<Result<_, _>>()?,
    })
}
