//! The room store on every backend: SQLite, PostgreSQL and Redis.

use moonlight_common::Database;
use moonlight_engine::{Action, GameSetup, Input, Outcome, Seat, SeatSetup, SourceFile};
use moonlight_rooms::{
    LogEntry, MatchResult, PlayerRecord, RedisPool, RedisStore, RoomRecord, RoomState, RoomStore,
    SqlStore, StoreError,
};
use moonlight_testkit::{DbKind, RedisServer, TestDatabase};

fn record(room_id: &str) -> RoomRecord {
    RoomRecord {
        room_id: room_id.to_owned(),
        content_version: "v1".to_owned(),
        setup: GameSetup {
            seats: vec![
                SeatSetup {
                    deck: vec!["moon_wisp".to_owned()],
                    team: 0,
                },
                SeatSetup {
                    deck: vec!["moon_wisp".to_owned()],
                    team: 1,
                },
            ],
            seed: 7,
        },
        players: vec![
            PlayerRecord::human("p1", "Luna"),
            PlayerRecord::human("p2", "Sol"),
        ],
        created_at: 1,
        join_by_ms: 30_001,
    }
}

fn entry(seq: u64) -> LogEntry {
    LogEntry {
        seq,
        input: Input::Act {
            seat: Seat(0),
            action: Action::EndTurn,
        },
        client_seq: Some(seq),
    }
}

async fn exercise(store: RoomStore) {
    assert!(store.load_room("nope").await.unwrap().is_none());
    store.create_room(&record("r1")).await.unwrap();
    // Creating it again is harmless and keeps the first record.
    let mut other = record("r1");
    other.content_version = "v2".to_owned();
    store.create_room(&other).await.unwrap();

    for seq in 1..=3 {
        store.append("r1", &entry(seq), None).await.unwrap();
    }
    // A repeated or skipped sequence number is refused: nothing interleaves.
    assert!(matches!(
        store.append("r1", &entry(3), None).await,
        Err(StoreError::OutOfSequence { .. })
    ));
    assert!(matches!(
        store.append("r1", &entry(5), None).await,
        Err(StoreError::OutOfSequence { .. })
    ));

    let loaded = store.load_room("r1").await.unwrap().unwrap();
    assert_eq!(loaded.record, record("r1"));
    assert!(loaded.snapshot.is_none());
    assert_eq!(loaded.log, vec![entry(1), entry(2), entry(3)]);

    store.save_snapshot("r1", 2, b"state-at-2").await.unwrap();
    // An older snapshot never replaces a newer one.
    store.save_snapshot("r1", 1, b"state-at-1").await.unwrap();
    let loaded = store.load_room("r1").await.unwrap().unwrap();
    assert_eq!(loaded.snapshot, Some((2, b"state-at-2".to_vec())));
    assert_eq!(loaded.log, vec![entry(3)]);

    let result = result("r1");
    store.push_result(&result).await.unwrap();
    store.push_result(&result).await.unwrap();
    assert_eq!(store.pending_results().await.unwrap(), vec![result.clone()]);
    assert_eq!(
        store.pending_result("r1").await.unwrap(),
        Some(result.clone())
    );
    assert_eq!(store.pending_result("r2").await.unwrap(), None);
    store.clear_results(&["r1"]).await.unwrap();
    assert!(store.pending_results().await.unwrap().is_empty());
    assert_eq!(store.pending_result("r1").await.unwrap(), None);

    // The input that ends a match and its result go in together.
    let last = LogEntry { seq: 4, ..entry(4) };
    store.append("r1", &last, Some(&result)).await.unwrap();
    assert_eq!(store.pending_results().await.unwrap(), vec![result.clone()]);
    assert_eq!(
        store.load_room("r1").await.unwrap().unwrap().log.last(),
        Some(&last)
    );
    // Refused, neither goes in.
    store.clear_results(&["r1"]).await.unwrap();
    assert!(matches!(
        store.append("r1", &entry(9), Some(&result)).await,
        Err(StoreError::OutOfSequence { .. })
    ));
    assert!(store.pending_results().await.unwrap().is_empty());

    // A replay is the record and every input, the snapshot notwithstanding; rooms the
    // store does not have are left out.
    let replays = store.replays(&["nope", "r1"]).await.unwrap();
    assert_eq!(replays.len(), 1);
    assert_eq!(replays[0].record, record("r1"));
    let inputs: Vec<Input> = (1..=4).map(|seq| entry(seq).input).collect();
    assert_eq!(replays[0].inputs, inputs);
    assert!(store.replays(&[]).await.unwrap().is_empty());

    claims(&store).await;
    content(&store).await;
    assert!(store.accepts_writes().await);
    many_rooms_at_once(&store).await;
}

/// A room is opened by a node or voided by a lobby, whichever claims it first; a room the
/// store does not have can only be void.
async fn claims(store: &RoomStore) {
    store.create_room(&record("open-first")).await.unwrap();
    assert_eq!(
        store.claim("open-first", RoomState::Open).await.unwrap(),
        RoomState::Open
    );
    assert_eq!(
        store.claim("open-first", RoomState::Void).await.unwrap(),
        RoomState::Open
    );
    assert_eq!(
        store.claim("open-first", RoomState::Open).await.unwrap(),
        RoomState::Open
    );

    store.create_room(&record("void-first")).await.unwrap();
    assert_eq!(
        store.claim("void-first", RoomState::Void).await.unwrap(),
        RoomState::Void
    );
    assert_eq!(
        store.claim("void-first", RoomState::Open).await.unwrap(),
        RoomState::Void
    );

    assert_eq!(
        store.claim("never-made", RoomState::Open).await.unwrap(),
        RoomState::Void
    );
    assert!(!store.lost("open-first").await.unwrap());

    // Opening loads and claims in one step: a room voided first stays void, one opened
    // stays open for the next node, and one that does not exist is nothing.
    let (opened, held) = store.open_room("open-first").await.unwrap().unwrap();
    assert_eq!(
        (opened.record.room_id.as_str(), held),
        ("open-first", RoomState::Open)
    );
    let (_, held) = store.open_room("void-first").await.unwrap().unwrap();
    assert_eq!(held, RoomState::Void);
    store.create_room(&record("opened")).await.unwrap();
    store.append("opened", &entry(1), None).await.unwrap();
    let (opened, held) = store.open_room("opened").await.unwrap().unwrap();
    assert_eq!(held, RoomState::Open);
    assert_eq!(opened.log.len(), 1);
    assert_eq!(
        store.claim("opened", RoomState::Void).await.unwrap(),
        RoomState::Open
    );
    assert!(store.open_room("never-opened").await.unwrap().is_none());
}

/// Content versions are kept by version, as their files.
async fn content(store: &RoomStore) {
    let files = vec![SourceFile {
        name: "content/rules.toml".into(),
        rel: "rules.toml".into(),
        text: "deck_size = 30\n".into(),
    }];
    assert!(store.load_content("v9").await.unwrap().is_none());
    store.save_content("v9", &files).await.unwrap();
    store.save_content("v9", &files).await.unwrap();
    assert_eq!(store.load_content("v9").await.unwrap(), Some(files));
}

/// Fifty rooms writing at the same moment (the embedded store commits such writes
/// together, a batch this large as one JSON array of rows): each input lands in its own
/// room, and one out of sequence among them is refused on its own while the rest go
/// through.
async fn many_rooms_at_once(store: &RoomStore) {
    let rooms: Vec<String> = (0..50).map(|n| format!("busy-{n}")).collect();
    // Saved together (a matchmaking round's rooms), "r1" among them: it keeps its record.
    let mut records: Vec<RoomRecord> = rooms.iter().map(|room| record(room)).collect();
    let mut again = record("r1");
    again.content_version = "v3".to_owned();
    records.push(again);
    store.create_rooms(&records).await.unwrap();
    let kept = store.load_room("r1").await.unwrap().unwrap();
    assert_eq!(kept.record.content_version, "v1");
    let first = entry(1);
    let firsts = rooms.iter().map(|room| store.append(room, &first, None));
    for appended in futures_util::future::join_all(firsts).await {
        appended.unwrap();
    }
    let seconds = rooms.iter().enumerate().map(|(n, room)| {
        // Room 7 skips ahead; everyone also snapshots.
        let next = entry(if n == 7 { 5 } else { 2 });
        async move {
            let appended = store.append(room, &next, None).await;
            store.save_snapshot(room, 1, room.as_bytes()).await.unwrap();
            appended
        }
    });
    let outcomes = futures_util::future::join_all(seconds).await;
    for (n, (room, outcome)) in rooms.iter().zip(outcomes).enumerate() {
        let loaded = store.load_room(room).await.unwrap().unwrap();
        assert_eq!(loaded.snapshot, Some((1, room.as_bytes().to_vec())));
        if n == 7 {
            assert!(
                matches!(outcome, Err(StoreError::OutOfSequence { .. })),
                "{outcome:?}"
            );
            assert!(loaded.log.is_empty(), "the snapshot covers input 1");
        } else {
            outcome.unwrap();
            assert_eq!(loaded.log, vec![entry(2)], "{room}");
        }
    }

    // Results of many rooms at once: in the outbox together, replayed in the order asked,
    // cleared together.
    let ended: Vec<&str> = rooms.iter().take(10).map(String::as_str).collect();
    for room in &ended {
        store.push_result(&result(room)).await.unwrap();
    }
    let mut pending: Vec<String> = store
        .pending_results()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.match_id)
        .collect();
    pending.sort();
    let mut expected: Vec<String> = ended.iter().map(|r| (*r).to_owned()).collect();
    expected.sort();
    assert_eq!(pending, expected);
    let replays = store.replays(&ended).await.unwrap();
    let replayed: Vec<&str> = replays.iter().map(|r| r.record.room_id.as_str()).collect();
    assert_eq!(replayed, ended);
    store.clear_results(&ended).await.unwrap();
    assert!(store.pending_results().await.unwrap().is_empty());
}

fn result(room_id: &str) -> MatchResult {
    MatchResult {
        match_id: room_id.to_owned(),
        content_version: "v1".to_owned(),
        outcome: Outcome {
            winners: vec![Seat(1)],
            reason: moonlight_engine::EndReason::Concession,
        },
        teams: vec![0, 1],
        players: record(room_id).players,
        turns: 3,
        started_at: 1,
        finished_at: 2,
    }
}

#[tokio::test]
async fn sql_store_on_sqlite() {
    let database = TestDatabase::new(DbKind::Sqlite).await;
    let db = Database::connect(&database.url).await.unwrap();
    exercise(RoomStore::Sql(SqlStore::open(&db).await.unwrap())).await;
}

/// The SQL store on a SQLite file in `dir`, opened as the `moonlight` binary opens it: the
/// caller keeps no handle to the database.
async fn sqlite_store_in(dir: &std::path::Path) -> RoomStore {
    let db = Database::connect(&Database::sqlite_url_in(dir))
        .await
        .unwrap();
    RoomStore::Sql(SqlStore::open(&db).await.unwrap())
}

/// Polls `done` until it holds; fails with `what` after 30 s.
async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// On SQLite, moves reach the database file, not only its write-ahead log, after the
/// caller's handle to the database is gone: the store keeps the database's checkpointer
/// running. Without it the log grows without end.
#[tokio::test]
async fn sql_store_on_sqlite_keeps_its_log_checkpointed() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store_in(dir.path()).await;
    let file = dir.path().join("moonlight.db");
    let size = || std::fs::metadata(&file).unwrap().len();
    let before = size();
    store.create_room(&record("r1")).await.unwrap();
    for seq in 1..=500 {
        store.append("r1", &entry(seq), None).await.unwrap();
    }
    // The checkpointer copies the log into the file every two seconds.
    let what = format!("500 moves never left the write-ahead log ({before} bytes in the file)");
    wait_until(&what, || size() > before).await;
}

/// On SQLite, under writes that never pause, the log still starts over (SQLite does so only
/// when a write begins with every frame copied, which the store's writer brings about
/// between two batches once the checkpointer has copied the rest). Without it the log grew
/// by hundreds of megabytes a minute at a few thousand players.
#[tokio::test]
async fn sql_store_on_sqlite_starts_its_log_over_under_steady_writes() {
    use std::io::Read as _;

    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store_in(dir.path()).await;
    // The log's header holds a number SQLite raises each time it starts the log over.
    let log = dir.path().join("moonlight.db-wal");
    let starts = || {
        let mut header = [0; 16];
        std::fs::File::open(&log)
            .and_then(|mut file| file.read_exact(&mut header))
            .expect("the log's header");
        u32::from_be_bytes(header[12..].try_into().unwrap())
    };
    let mut writers = tokio::task::JoinSet::new();
    for n in 0..8 {
        let (store, room) = (store.clone(), format!("r{n}"));
        store.create_room(&record(&room)).await.unwrap();
        writers.spawn(async move {
            for seq in 1.. {
                store.append(&room, &entry(seq), None).await.unwrap();
            }
        });
    }
    // The log exists since the migrations; its number now, with the writers running.
    let first = starts();
    wait_until("the log never started over under steady writes", || {
        starts() != first
    })
    .await;
    writers.abort_all();
}

#[tokio::test]
async fn sql_store_on_postgres() {
    let database = TestDatabase::new(DbKind::Postgres).await;
    let db = Database::connect(&database.url).await.unwrap();
    exercise(RoomStore::Sql(SqlStore::open(&db).await.unwrap())).await;
}

#[tokio::test]
async fn redis_store() {
    let url = moonlight_testkit::redis().url();
    exercise(RoomStore::Redis(RedisStore::new(
        RedisPool::connect(&url).await.unwrap(),
        &RedisServer::namespace(),
    )))
    .await;
}

/// The same on a Redis Cluster of three masters: a room's keys and its outbox share a
/// slot (its script is refused otherwise), and work over many rooms is split by slot.
#[tokio::test]
async fn redis_store_on_a_cluster() {
    let seeds = moonlight_testkit::redis_cluster().seeds();
    let seeds: Vec<&str> = seeds.iter().map(String::as_str).collect();
    exercise(RoomStore::Redis(RedisStore::new(
        RedisPool::connect_cluster(&seeds).await.unwrap(),
        &RedisServer::namespace(),
    )))
    .await;
}

/// Cluster seeds that cannot name a cluster are refused with an error, never a panic.
#[tokio::test]
async fn hostile_cluster_seeds_are_refused() {
    for seeds in [
        &[][..],
        &["not a url"],
        &["http://127.0.0.1:6379"],
        &["redis://"],
    ] {
        assert!(
            RedisPool::connect_cluster(seeds).await.is_err(),
            "{seeds:?}"
        );
    }
}
