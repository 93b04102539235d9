//! The embedded room store under a node's write pattern: CPU per move.
//!
//! `cargo bench -p moonlight-rooms --bench store_moves -- [--ids ordered|random]
//! [--live N] [--moves N] [--rooms N] [--in-flight N]`
//!
//! `--live` rooms play at once, each `--moves` moves long; as one ends a new one starts,
//! until `--rooms` have played. At most `--in-flight` moves wait for the store at a time
//! (a node at 10,000 players has about 16 in each commit). Prints the process's CPU per
//! move and the time each move waited. Room ids are ordered by creation (UUID v7, as the
//! lobby makes them) or random (UUID v4, as it made them before).

use std::{sync::Arc, time::Instant};

use clap::{Parser, ValueEnum};
use moonlight_common::Database;
use moonlight_engine::{Action, GameSetup, Input, Seat, SeatSetup};
use moonlight_rooms::{LogEntry, PlayerRecord, RoomRecord, RoomStore, SqlStore};
use parking_lot::Mutex;
use rand::{Rng, SeedableRng, rngs::StdRng};
use tokio::sync::Semaphore;

/// Match ids as the lobby makes them, or as it made them before.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Ids {
    /// UUID v7: ordered by creation.
    Ordered,
    /// UUID v4.
    Random,
}

#[derive(Parser)]
struct Args {
    #[arg(long, value_enum, default_value = "ordered")]
    ids: Ids,
    /// Rooms playing at once.
    #[arg(long, default_value_t = 5000)]
    live: usize,
    /// Moves in each room.
    #[arg(long, default_value_t = 40)]
    moves: u64,
    /// Rooms in all.
    #[arg(long, default_value_t = 10_000)]
    rooms: usize,
    /// Moves waiting for the store at most.
    #[arg(long, default_value_t = 16)]
    in_flight: usize,
    /// Passed by `cargo bench`.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if [args.live, args.rooms, args.in_flight].contains(&0) || args.moves == 0 {
        eprintln!("--live, --moves, --rooms and --in-flight must be at least 1");
        return std::process::ExitCode::from(2);
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(run(
            args.ids == Ids::Ordered,
            args.live,
            args.moves,
            args.rooms,
            args.in_flight,
        ));
    std::process::ExitCode::SUCCESS
}

async fn run(ordered: bool, live: usize, moves: u64, rooms: usize, in_flight: usize) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = Database::connect(&Database::sqlite_rooms_url_in(dir.path()))
        .await
        .expect("the database");
    let store = RoomStore::Sql(SqlStore::open(&db).await.expect("the store"));
    let ids = Arc::new(Mutex::new((StdRng::seed_from_u64(7), 0_usize)));
    // The next room's id, or `None` once `rooms` have started.
    let next_id = move || {
        let mut ids = ids.lock();
        let (rng, made) = &mut *ids;
        if *made == rooms {
            return None;
        }
        *made += 1;
        let id = if ordered {
            // Creation order in the timestamp's place: UUID v7 orders by time.
            uuid::Builder::from_unix_timestamp_millis(*made as u64, &rng.random())
        } else {
            uuid::Builder::from_random_bytes(rng.random())
        };
        Some(id.into_uuid().to_string())
    };
    let gate = Arc::new(Semaphore::new(in_flight));
    let (cpu_before, started) = (cpu_seconds(), Instant::now());
    let mut tables = tokio::task::JoinSet::new();
    for _ in 0..live {
        let (store, gate, next_id) = (store.clone(), Arc::clone(&gate), next_id.clone());
        // One table: a room's moves one after another, then the next room.
        tables.spawn(async move {
            let mut waits = Vec::new();
            while let Some(id) = next_id() {
                store.create_room(&record(&id)).await.expect("create");
                for seq in 1..=moves {
                    let _permit = gate.acquire().await.expect("the gate");
                    let asked = Instant::now();
                    store.append(&id, &entry(seq), None).await.expect("append");
                    waits.push(asked.elapsed());
                }
            }
            waits
        });
    }
    let mut waits = Vec::new();
    while let Some(table) = tables.join_next().await {
        waits.extend(table.expect("a table"));
    }
    let (cpu, wall) = (cpu_seconds() - cpu_before, started.elapsed());
    waits.sort();
    let total = waits.len();
    let pct = |p: f64| waits[((total - 1) as f64 * p) as usize].as_secs_f64() * 1e3;
    println!(
        "{} ids, {live} live rooms of {moves} moves, {rooms} rooms, {in_flight} in flight: \
         {total} moves in {:.1} s ({:.0}/s), {:.1} us of CPU per move; \
         wait p50 {:.2} ms, p99 {:.2} ms",
        if ordered { "ordered" } else { "random" },
        wall.as_secs_f64(),
        total as f64 / wall.as_secs_f64(),
        cpu / total as f64 * 1e6,
        pct(0.5),
        pct(0.99),
    );
}

/// The process's user and system CPU so far, in seconds (Linux counts 100 ticks a second).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

fn record(room_id: &str) -> RoomRecord {
    let seat = |team| SeatSetup {
        deck: vec!["moon_wisp".to_owned(); 30],
        team,
    };
    RoomRecord {
        room_id: room_id.to_owned(),
        content_version: "v1".to_owned(),
        setup: GameSetup {
            seats: vec![seat(0), seat(1)],
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
            seat: Seat((seq % 2) as u8),
            action: Action::EndTurn,
        },
        client_seq: Some(seq),
    }
}
