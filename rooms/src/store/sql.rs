//! The embedded room store: tables in the node's own SQL database (SQLite by default).
//!
//! Inputs and snapshots go through one writer task that commits whatever has queued up
//! in one statement (group commit): under load, one commit makes dozens of rooms' inputs
//! durable, instead of each paying for its own commit and its own round trip to the
//! database thread. Each room still waits for its own input's commit before it answers.

use std::{
    collections::{HashMap, HashSet},
    ops::{Deref, DerefMut},
    sync::Arc,
    time::Duration,
};

use moonlight_common::{
    Backend, Database,
    db::{is_unique_violation, placeholder_rows, probe_writes},
};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Row, pool::PoolConnection};
use tokio::sync::{Mutex, MutexGuard, mpsc, oneshot};

use super::{RoomState, StoreError, StoredRoom, from_json, to_json};
use crate::record::{LogEntry, MatchResult, Replay, RoomRecord};

/// SQLite's default page cache (2 MiB) for the store's connection, instead of the 64 MiB
/// the node's other connections keep. Inputs land at many places of the `game_inputs`
/// index at once (one per room being played), so its pages split often; a split renumbers
/// pages through page 262,145 (the lock-byte page's number), and the commit after then
/// visits every page in the connection's cache to drop that one: 16,000 pages at 64 MiB,
/// a millisecond or two each time, 8 % of a 10,000-player node's CPU (at 2 MiB the walk
/// is ~500 pages, still a sixth of the store thread's CPU). A page the small cache lacks
/// is read from the operating system's cache, which costs far less (`cargo bench -p
/// moonlight-rooms --bench store_moves`: README).
const SMALL_PAGE_CACHE: &str = "PRAGMA cache_size = -2048";

/// The most writes one commit takes (bounded by the databases' parameter limits).
const MAX_BATCH: usize = 256;
/// The longest a write waits for others to share its commit.
const MAX_LINGER: Duration = Duration::from_millis(2);

#[derive(Clone)]
pub struct SqlStore {
    conn: Conn,
    writes: mpsc::Sender<Write>,
}

/// Where the store's statements run. On SQLite, one connection of the store's own, taken
/// in turn under a fair lock: a file has one writer at a time anyway, and a pool of one
/// connection made every statement wait for a ping and for a spawned task to hand the
/// connection back (under load, 8 ms on average to open a room for its 0.06 ms of SQL).
/// On PostgreSQL, the pool: many connections, each write waits only for its rows.
#[derive(Clone)]
enum Conn {
    Own(Arc<Mutex<AnyConnection>>),
    Pool(AnyPool),
}

/// A connection taken from [`Conn`] for a few statements.
enum Taken<'a> {
    Own(MutexGuard<'a, AnyConnection>),
    Pool(PoolConnection<Any>),
}

impl Conn {
    async fn take(&self) -> Result<Taken<'_>, sqlx::Error> {
        Ok(match self {
            Self::Own(conn) => Taken::Own(conn.lock().await),
            Self::Pool(pool) => Taken::Pool(pool.acquire().await?),
        })
    }
}

impl Deref for Taken<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self {
            Self::Own(conn) => conn,
            Self::Pool(conn) => conn,
        }
    }
}

impl DerefMut for Taken<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Self::Own(conn) => conn,
            Self::Pool(conn) => conn,
        }
    }
}

/// A write waiting for the writer's next commit. `done` answers whether it went in (an
/// input that is not its room's next does not).
struct Write {
    room_id: String,
    seq: i64,
    kind: WriteKind,
    done: oneshot::Sender<Result<bool, StoreError>>,
}

enum WriteKind {
    /// An input (JSON), which must be the room's next, and the match's result (its id and
    /// JSON) when the input ends it: they go in together or not at all.
    Input {
        entry: String,
        result: Option<(String, String)>,
    },
    Snapshot(Vec<u8>),
}

impl SqlStore {
    /// The store in `db`, and its writer task (which ends when the last clone is dropped).
    /// The writer holds `db`, so its SQLite checkpointer runs as long as the store, however
    /// briefly the caller holds it: without it the write-ahead log was never copied into
    /// the file and grew without end (2.4 GB in a 19,000-player run).
    pub async fn open(db: &Database) -> Result<Self, StoreError> {
        let conn = match db.backend() {
            Backend::Sqlite => {
                let mut own = db
                    .own_connection()
                    .await
                    .map_err(|error| StoreError::Unavailable(format!("{error:#}")))?;
                sqlx::query(SMALL_PAGE_CACHE).execute(&mut own).await?;
                Conn::Own(Arc::new(Mutex::new(own)))
            }
            Backend::Postgres => Conn::Pool(db.pool().clone()),
        };
        let (writes, queue) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_in_batches(conn.clone(), db.clone(), queue));
        Ok(Self { conn, writes })
    }

    async fn write(&self, room_id: &str, seq: u64, kind: WriteKind) -> Result<(), StoreError> {
        let (done, result) = oneshot::channel();
        let write = Write {
            room_id: room_id.to_owned(),
            seq: seq_to_db(seq)?,
            kind,
            done,
        };
        let gone = || StoreError::Unavailable("the store's writer has stopped".to_owned());
        self.writes.send(write).await.map_err(|_| gone())?;
        if result.await.map_err(|_| gone())?? {
            Ok(())
        } else {
            Err(StoreError::OutOfSequence {
                room_id: room_id.to_owned(),
                seq,
            })
        }
    }

    /// Saves rooms, a statement per [`MAX_BATCH`]; one already saved is left as it is.
    pub(super) async fn create_rooms(&self, records: &[RoomRecord]) -> Result<(), StoreError> {
        for chunk in records.chunks(MAX_BATCH) {
            let sql = format!(
                "INSERT INTO game_rooms (id, record, created_at) VALUES {} \
                 ON CONFLICT (id) DO NOTHING",
                placeholder_rows(3, chunk.len())
            );
            let mut insert = sqlx::query(&sql).persistent(cached(chunk.len()));
            for record in chunk {
                insert = insert
                    .bind(&record.room_id)
                    .bind(to_json(record)?)
                    .bind(record.created_at);
            }
            insert.execute(&mut *self.conn.take().await?).await?;
        }
        Ok(())
    }

    pub(super) async fn load_room(&self, room_id: &str) -> Result<Option<StoredRoom>, StoreError> {
        let mut conn = self.conn.take().await?;
        // The record and the latest snapshot in one statement: a room is opened at each
        // match start, and every statement waits its turn on the store's connection.
        let Some(row) = sqlx::query(
            "SELECT r.record, s.seq, s.state FROM game_rooms r \
             LEFT JOIN game_snapshots s ON s.room_id = r.id WHERE r.id = $1",
        )
        .bind(room_id)
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(None);
        };
        let record: String = row.try_get(0)?;
        let snapshot = match row.try_get::<Option<i64>, _>(1)? {
            Some(seq) => Some((seq_from_db(seq)?, row.try_get::<Vec<u8>, _>(2)?)),
            None => None,
        };
        let after = snapshot.as_ref().map_or(0, |(seq, _)| *seq);
        let log = sqlx::query_scalar::<_, String>(
            "SELECT entry FROM game_inputs WHERE room_id = $1 AND seq > $2 ORDER BY seq",
        )
        .bind(room_id)
        .bind(seq_to_db(after)?)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|entry| from_json(entry))
        .collect::<Result<_, _>>()?;
        Ok(Some(StoredRoom {
            record: from_json(&record)?,
            snapshot,
            log,
        }))
    }

    pub(super) async fn append(
        &self,
        room_id: &str,
        entry: &LogEntry,
        result: Option<&MatchResult>,
    ) -> Result<(), StoreError> {
        let result = match result {
            Some(result) => Some((result.match_id.clone(), to_json(result)?)),
            None => None,
        };
        let (seq, entry) = (entry.seq, to_json(entry)?);
        self.write(room_id, seq, WriteKind::Input { entry, result })
            .await
    }

    /// One statement for any number of rooms: a lobby's sweep claims every match past its
    /// deadline at once, and each statement waits its turn on the store's connection.
    pub(super) async fn claim_all(
        &self,
        room_ids: &[&str],
        state: RoomState,
    ) -> Result<Vec<RoomState>, StoreError> {
        let mut held = std::collections::HashMap::new();
        for chunk in room_ids.chunks(MAX_BATCH) {
            let sql = format!(
                "UPDATE game_rooms SET state = COALESCE(state, ${}) WHERE id IN {} \
                 RETURNING id, state",
                chunk.len() + 1,
                placeholder_rows(chunk.len(), 1)
            );
            let mut claim = sqlx::query(&sql).persistent(chunk.len() == 1);
            for id in chunk {
                claim = claim.bind(*id);
            }
            claim = claim.bind(state.as_str());
            for row in claim.fetch_all(&mut *self.conn.take().await?).await? {
                let state: String = row.try_get(1)?;
                let state = RoomState::parse(&state)
                    .ok_or_else(|| StoreError::Corrupt(format!("room state {state}")))?;
                held.insert(row.try_get::<String, _>(0)?, state);
            }
        }
        // A room that was never set up can only be void.
        Ok(room_ids
            .iter()
            .map(|id| held.get(*id).copied().unwrap_or(RoomState::Void))
            .collect())
    }

    pub(super) async fn save_content(
        &self,
        version: &str,
        sources: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO content_versions (version, sources, stored_at) VALUES ($1, $2, $3) \
             ON CONFLICT (version) DO NOTHING",
        )
        .bind(version)
        .bind(sources)
        .bind(moonlight_common::time::unix_now())
        .execute(&mut *self.conn.take().await?)
        .await?;
        Ok(())
    }

    pub(super) async fn load_content(&self, version: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT sources FROM content_versions WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *self.conn.take().await?)
                .await?,
        )
    }

    pub(super) async fn accepts_writes(&self) -> bool {
        match self.conn.take().await {
            Ok(mut conn) => probe_writes(&mut conn).await.is_ok(),
            Err(_) => false,
        }
    }

    pub(super) async fn save_snapshot(
        &self,
        room_id: &str,
        seq: u64,
        state: &[u8],
    ) -> Result<(), StoreError> {
        self.write(room_id, seq, WriteKind::Snapshot(state.to_vec()))
            .await
    }

    pub(super) async fn replays(&self, room_ids: &[&str]) -> Result<Vec<Replay>, StoreError> {
        let mut conn = self.conn.take().await?;
        let list = placeholder_rows(room_ids.len(), 1);
        let sql = format!("SELECT id, record FROM game_rooms WHERE id IN {list}");
        let mut rooms = sqlx::query(&sql).persistent(false);
        for id in room_ids {
            rooms = rooms.bind(*id);
        }
        let rooms = rooms.fetch_all(&mut *conn).await?;
        let sql = format!(
            "SELECT room_id, entry FROM game_inputs WHERE room_id IN {list} ORDER BY room_id, seq"
        );
        let mut entries = sqlx::query(&sql).persistent(false);
        for id in room_ids {
            entries = entries.bind(*id);
        }
        let mut inputs: HashMap<String, Vec<_>> = HashMap::new();
        for row in entries.fetch_all(&mut *conn).await? {
            let entry: LogEntry = from_json(&row.try_get::<String, _>(1)?)?;
            inputs.entry(row.try_get(0)?).or_default().push(entry.input);
        }
        rooms
            .iter()
            .map(|row| {
                let id: String = row.try_get(0)?;
                Ok(Replay {
                    record: from_json(&row.try_get::<String, _>(1)?)?,
                    inputs: inputs.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }

    pub(super) async fn push_result(&self, result: &MatchResult) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO pending_results (match_id, result) VALUES ($1, $2) \
             ON CONFLICT (match_id) DO NOTHING",
        )
        .bind(&result.match_id)
        .bind(to_json(result)?)
        .execute(&mut *self.conn.take().await?)
        .await?;
        Ok(())
    }

    pub(super) async fn pending_results(&self) -> Result<Vec<MatchResult>, StoreError> {
        sqlx::query_scalar::<_, String>("SELECT result FROM pending_results ORDER BY match_id")
            .fetch_all(&mut *self.conn.take().await?)
            .await?
            .iter()
            .map(|text| from_json(text))
            .collect()
    }

    pub(super) async fn pending_result(
        &self,
        match_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT result FROM pending_results WHERE match_id = $1")
                .bind(match_id)
                .fetch_optional(&mut *self.conn.take().await?)
                .await?,
        )
    }

    pub(super) async fn clear_results(&self, match_ids: &[&str]) -> Result<(), StoreError> {
        let sql = format!(
            "DELETE FROM pending_results WHERE match_id IN {}",
            placeholder_rows(match_ids.len(), 1)
        );
        let mut delete = sqlx::query(&sql).persistent(false);
        for id in match_ids {
            delete = delete.bind(*id);
        }
        delete.execute(&mut *self.conn.take().await?).await?;
        Ok(())
    }
}

/// The writer: takes the first write that comes and those that join it for as long as the
/// last commit took (up to [`MAX_BATCH`] and [`MAX_LINGER`]), commits them together,
/// answers each, and goes again.
///
/// A commit costs about the same for one write as for fifty, and every commit is a round
/// trip to the database's thread: under load the linger roughly halves the commits (and
/// the thread hand-offs around them) for a wait no longer than one commit. A lone write on
/// an idle store waits the last commit's time, a fraction of a millisecond.
///
/// Between two batches it also copies the rest of SQLite's log when the checkpointer left
/// some ([`Database::catch_up_log`]), so the log can start over under steady writes.
async fn write_in_batches(conn: Conn, db: Database, mut queue: mpsc::Receiver<Write>) {
    let mut last_commit = Duration::ZERO;
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        let linger = super::real_time::sleep(last_commit.min(MAX_LINGER));
        tokio::pin!(linger);
        while batch.len() < MAX_BATCH {
            tokio::select! {
                biased;
                write = queue.recv() => match write {
                    Some(write) => batch.push(write),
                    None => break,
                },
                () = &mut linger => break,
            }
        }
        let started = std::time::Instant::now();
        let size = batch.len();
        match commit(&conn, db.backend(), &batch).await {
            Ok(inserted) => answer(batch, &inserted),
            // A duplicate key fails the whole statement: take the writes one at a time to
            // tell each its own outcome.
            Err(error) if is_unique_violation(&error) => {
                for write in batch {
                    let one = std::slice::from_ref(&write);
                    match commit(&conn, db.backend(), one).await {
                        Ok(inserted) => answer(vec![write], &inserted),
                        Err(error) => fail(vec![write], &error),
                    }
                }
            }
            Err(error) => fail(batch, &error),
        }
        last_commit = started.elapsed();
        metrics::histogram!("game_store_batch_seconds").record(last_commit.as_secs_f64());
        metrics::histogram!("game_store_batch_writes").record(size as f64);
        if db.log_behind()
            && let Ok(mut taken) = conn.take().await
        {
            db.catch_up_log(&mut taken).await;
        }
    }
}

/// Commits `batch`: its inputs in one statement, its snapshots in another (each statement
/// is atomic on its own, and the two need not be together, so no transaction round trips).
/// Returns the rooms whose input went in (an input that is not its room's next is left
/// out, and told so).
async fn commit(
    conn: &Conn,
    backend: Backend,
    batch: &[Write],
) -> Result<HashSet<String>, sqlx::Error> {
    let (mut inputs, mut snapshots, mut results) = (Vec::new(), Vec::new(), Vec::new());
    for write in batch {
        match &write.kind {
            WriteKind::Input { entry, result } => {
                inputs.push((write, entry.as_str()));
                if let Some((match_id, result)) = result {
                    results.push((write.room_id.as_str(), match_id.as_str(), result.as_str()));
                }
            }
            WriteKind::Snapshot(state) => snapshots.push((write, state.as_slice())),
        }
    }
    // An input that ends a match goes in with its result, in one transaction; the others
    // need none (each statement is atomic on its own), so they spare its round trips.
    let mut conn = conn.take().await?;
    if results.is_empty() {
        let inserted = insert_inputs(&mut conn, backend, &inputs).await?;
        insert_snapshots(&mut conn, &snapshots).await?;
        return Ok(inserted);
    }
    let mut tx = conn.begin().await?;
    let inserted = insert_inputs(&mut tx, backend, &inputs).await?;
    results.retain(|(room_id, _, _)| inserted.contains(*room_id));
    if !results.is_empty() {
        let sql = format!(
            "INSERT INTO pending_results (match_id, result) VALUES {} \
             ON CONFLICT (match_id) DO NOTHING",
            placeholder_rows(2, results.len())
        );
        let mut query = sqlx::query(&sql).persistent(cached(results.len()));
        for (_, match_id, result) in &results {
            query = query.bind(*match_id).bind(*result);
        }
        query.execute(&mut *tx).await?;
    }
    insert_snapshots(&mut tx, &snapshots).await?;
    tx.commit().await?;
    Ok(inserted)
}

/// Batches of up to this many rows have a statement of their own, kept prepared (each
/// size is a statement, and a connection keeps 100; the small batches are the common ones).
///
/// A larger batch of inputs comes to the database as one JSON array of `[room_id, seq,
/// entry]` rows instead, one statement for every size: with a placeholder per value,
/// larger batches were parsed anew at every commit (a fifth of the store thread's CPU
/// with matches ending ~120 a second, and batches grow to hundreds when a node is
/// saturated). JSON costs more per row to unpack, so small batches keep their
/// placeholders (`store_moves` bench, README: per move at 4, 16 and 64 writes in flight,
/// 64.0, 36.1, 27.6 µs with placeholders only; 71.4, 34.3, 21.4 µs with JSON only).
const PREPARED_SIZES: usize = 8;

/// Inserts the inputs that are their room's next; returns those rooms.
async fn insert_inputs(
    conn: &mut AnyConnection,
    backend: Backend,
    inputs: &[(&Write, &str)],
) -> Result<HashSet<String>, sqlx::Error> {
    let mut inserted = HashSet::new();
    if inputs.is_empty() {
        return Ok(inserted);
    }
    // Small batches: a placeholder per value; larger ones: the rows in one JSON value.
    let (rows, json) = if cached(inputs.len()) {
        (
            format!("VALUES {}", placeholder_rows(3, inputs.len())),
            None,
        )
    } else {
        let rows: Vec<(&str, i64, &str)> = inputs
            .iter()
            .map(|(write, entry)| (write.room_id.as_str(), write.seq, *entry))
            .collect();
        let json = serde_json::to_string(&rows).map_err(|e| sqlx::Error::Encode(e.into()))?;
        let unpack = match backend {
            Backend::Sqlite => "SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each($1)",
            Backend::Postgres => {
                "SELECT value ->> 0, (value ->> 1)::bigint, value ->> 2 \
                 FROM json_array_elements($1::json)"
            }
        };
        (unpack.to_owned(), Some(json))
    };
    // The primary key refuses a duplicate seq; the WHERE refuses a gap.
    let sql = format!(
        "WITH v (room_id, seq, entry) AS ({rows}) \
         INSERT INTO game_inputs (room_id, seq, entry) \
         SELECT room_id, seq, entry FROM v WHERE \
         (SELECT COALESCE(MAX(g.seq), 0) FROM game_inputs g WHERE g.room_id = v.room_id) \
         = v.seq - 1 \
         RETURNING room_id"
    );
    let mut query = sqlx::query(&sql);
    match json {
        Some(rows) => query = query.bind(rows),
        None => {
            for (write, entry) in inputs {
                query = query.bind(&write.room_id).bind(write.seq).bind(*entry);
            }
        }
    }
    for row in query.fetch_all(&mut *conn).await? {
        inserted.insert(row.try_get::<String, _>(0)?);
    }
    Ok(inserted)
}

/// Replaces each room's snapshot with a newer one.
async fn insert_snapshots(
    conn: &mut AnyConnection,
    snapshots: &[(&Write, &[u8])],
) -> Result<(), sqlx::Error> {
    if snapshots.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO game_snapshots (room_id, seq, state) VALUES {} \
         ON CONFLICT (room_id) DO UPDATE SET seq = excluded.seq, state = excluded.state \
         WHERE game_snapshots.seq < excluded.seq",
        placeholder_rows(3, snapshots.len())
    );
    let mut query = sqlx::query(&sql).persistent(cached(snapshots.len()));
    for (write, state) in snapshots {
        query = query.bind(&write.room_id).bind(write.seq).bind(*state);
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// Whether the statement for a batch of `rows` is kept prepared ([`PREPARED_SIZES`]).
fn cached(rows: usize) -> bool {
    rows <= PREPARED_SIZES
}

fn answer(batch: Vec<Write>, inserted: &HashSet<String>) {
    for write in batch {
        let went_in = match write.kind {
            WriteKind::Input { .. } => inserted.contains(&write.room_id),
            WriteKind::Snapshot(_) => true,
        };
        let _ = write.done.send(Ok(went_in));
    }
}

fn fail(batch: Vec<Write>, error: &sqlx::Error) {
    for write in batch {
        let _ = write
            .done
            .send(Err(StoreError::Unavailable(error.to_string())));
    }
}

fn seq_to_db(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq)
        .map_err(|_| StoreError::Corrupt(format!("sequence number {seq} out of range")))
}

fn seq_from_db(seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("negative sequence number {seq}")))
}
