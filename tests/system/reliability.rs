//! What operators and crashes do to a node, and how Moonlight answers: a data directory
//! it cannot write, a second process on the same data directory, a restart that finds a
//! match nobody joined, content that changed between two runs, a process frozen, Redis
//! crashed, PostgreSQL stopped.

use std::{path::Path, time::Instant};

use moonlight_testkit::{
    DbKind, OwnPostgres, OwnRedis, TestDatabase, copy_dir,
    game_client::{Duel, PATIENCE},
    lobby_client::{LobbyPlayer, seat_urls},
};
use reqwest::StatusCode;
use serde_json::json;
use tokio::process::Command;

use crate::support::{Role, start, start_with_content};

const OPEN_LIMITS: [&str; 4] = [
    "--auth-rate-per-minute",
    "100000",
    "--auth-rate-burst",
    "100000",
];

/// `moonlight` with `args`, to its exit; its status and stderr.
async fn run(args: &[&str], data: &Path) -> (Option<i32>, String, std::time::Duration) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_moonlight"))
        .args(args)
        .args(["--auth-addr", "127.0.0.1:0", "--lobby-addr", "127.0.0.1:0"])
        .args(["--game-addr", "127.0.0.1:0", "--content-dir"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("content"))
        .arg("--data-dir")
        .arg(data)
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr, started.elapsed())
}

/// Two players in a private match on `process`, nobody connected yet.
async fn private_match(process: &crate::support::Process) -> (LobbyPlayer, LobbyPlayer, String) {
    let (auth, lobby) = (process.url("auth"), process.url("lobby"));
    let host = LobbyPlayer::register(auth, lobby, "host").await;
    let guest = LobbyPlayer::register(auth, lobby, "guest").await;
    let (_, opened) = host
        .post("/v1/lobby/rooms", json!({"deck": "dusk_starter"}))
        .await;
    let code = opened["room"]["code"].as_str().unwrap();
    let (status, joined) = guest
        .post(
            "/v1/lobby/rooms/join",
            json!({"code": code, "deck": "tide_starter"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    let match_id = joined["match"]["room_id"].as_str().unwrap().to_owned();
    (host, guest, match_id)
}

/// [`private_match`] with both players connected: they and the match, ready to play.
async fn joined_match(
    process: &crate::support::Process,
) -> (LobbyPlayer, LobbyPlayer, String, Duel) {
    let (host, guest, match_id) = private_match(process).await;
    let (_, hosting) = host.get("/v1/lobby/status").await;
    let (_, joined) = guest.get("/v1/lobby/status").await;
    let [a, b] = seat_urls(&hosting["match"], &joined["match"]);
    (host, guest, match_id, Duel::join([&a, &b]).await)
}

#[tokio::test]
async fn a_second_process_on_the_same_data_directory_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let first = start(data.path(), Role::All, &[], &[]).await;
    let (code, stderr, _) = run(&[], data.path()).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("another moonlight process")
            && stderr.contains(&first.pid().to_string())
            && stderr.contains(&data.path().display().to_string()),
        "{stderr}"
    );
    first.stop().await;
    // Once the first is gone, the directory is free again.
    let again = start(data.path(), Role::All, &[], &[]).await;
    again.stop().await;
}

#[tokio::test]
async fn a_database_that_cannot_be_written_fails_the_start_at_once_naming_it() {
    let data = tempfile::tempdir().unwrap();
    // A data directory that cannot be created.
    let file = data.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let inside_a_file = file.join("data");
    let (code, stderr, _) = run(&[], &inside_a_file).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&inside_a_file.display().to_string()),
        "{stderr}"
    );

    // A database that opens but refuses writes (read-only): the start fails at once.
    start(data.path(), Role::Auth, &[], &[]).await.stop().await;
    let db = data.path().join("moonlight.db");
    let url = format!("sqlite://{}?mode=ro", db.display());
    let elsewhere = tempfile::tempdir().unwrap();
    let (code, stderr, took) = run(&["--database-url", &url], elsewhere.path()).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&db.display().to_string()) && stderr.contains("does not accept writes"),
        "{stderr}"
    );
    assert!(took.as_secs() < 4, "failed after {took:?}, not at once");
}

/// Readiness means the service can do its job: a database that answers but refuses
/// writes is not ready.
#[tokio::test]
async fn a_read_only_database_is_not_ready() {
    let database = TestDatabase::new(DbKind::Postgres).await;
    let data = tempfile::tempdir().unwrap();
    let auth = start(
        data.path(),
        Role::Auth,
        &[],
        &[("DATABASE_URL", &database.url)],
    )
    .await;
    let ready = || async {
        reqwest::get(format!("{}/readyz", auth.url("auth")))
            .await
            .unwrap()
            .status()
    };
    assert_eq!(ready().await, StatusCode::OK);
    // The database goes read-only (a replica promoted the other way, a full disk), and
    // every connection sees it at once.
    let admin = moonlight_common::Database::connect(&database.url)
        .await
        .unwrap();
    let name = database.url.rsplit('/').next().unwrap();
    sqlx::query(&format!(
        "ALTER DATABASE \"{name}\" SET default_transaction_read_only = on"
    ))
    .execute(admin.pool())
    .await
    .unwrap();
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(name)
    .execute(admin.pool())
    .await
    .unwrap();
    admin.pool().close().await;
    assert_eq!(ready().await, StatusCode::SERVICE_UNAVAILABLE);
    auth.kill().await;
}

/// The join deadline holds across a crash: the restarted process voids the match nobody
/// joined, and both players are free.
#[tokio::test]
async fn a_match_nobody_joined_is_void_after_a_crash_and_restart() {
    let data = tempfile::tempdir().unwrap();
    let args = [&OPEN_LIMITS[..], &["--join-secs", "1"]].concat();
    let first = start(data.path(), Role::All, &args, &[]).await;
    let (host, guest, match_id) = private_match(&first).await;
    first.kill().await;

    let second = start(data.path(), Role::All, &args, &[]).await;
    second.logged(&["match void", &match_id]).await;
    for player in [&host, &guest] {
        let player = player.at(second.url("lobby"));
        let (_, status) = player.get("/v1/lobby/status").await;
        assert_eq!(status["state"], "idle", "{status}");
        player.enqueue("dusk_starter").await;
    }
    second.stop().await;
}

/// The content changes between two runs (a designer's edit, a deploy): a match begun
/// before goes on under the rules it began with, kept in the room store.
#[tokio::test]
async fn a_match_goes_on_under_its_own_content_after_the_content_changed() {
    let data = tempfile::tempdir().unwrap();
    let content = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("content"),
        content.path(),
    );
    let first = start_with_content(data.path(), content.path(), Role::All, &OPEN_LIMITS, &[]).await;
    let (host, guest, _, mut duel) = joined_match(&first).await;
    for _ in 0..6 {
        assert!(duel.step().await);
    }
    first.stop().await;

    // Another version of the content: every file is hashed into the version.
    let rules = content.path().join("rules.toml");
    let text = std::fs::read_to_string(&rules).unwrap();
    std::fs::write(&rules, format!("{text}\n# edited between two runs\n")).unwrap();
    let second =
        start_with_content(data.path(), content.path(), Role::All, &OPEN_LIMITS, &[]).await;
    let mut seats = Vec::new();
    for player in [&host, &guest] {
        let player = player.at(second.url("lobby"));
        let (_, status) = player.get("/v1/lobby/status").await;
        assert_eq!(status["state"], "in_match", "{status}");
        seats.push(status["match"].clone());
    }
    let urls = seat_urls(&seats[0], &seats[1]);
    let mut duel = duel.resume([&urls[0], &urls[1]]).await;
    duel.finish().await;
    second.stop().await;
}

/// The whole process is frozen (SIGSTOP) for 40 s, longer than a client may stay silent,
/// then continued: its clients are not blamed for its own absence, the match goes on, and
/// the lobby still knows where it is.
#[tokio::test]
async fn a_process_frozen_for_40_s_goes_on_with_its_players() {
    let data = tempfile::tempdir().unwrap();
    let process = start(data.path(), Role::All, &[], &[]).await;
    let (host, guest, match_id, mut duel) = joined_match(&process).await;
    for _ in 0..4 {
        duel.step().await;
    }
    process.freeze_for(std::time::Duration::from_secs(40)).await;
    // The same sockets, the same match: nobody was dropped for the server's silence.
    for _ in 0..4 {
        assert!(duel.step().await, "the match goes on");
    }
    for player in [&host, &guest] {
        let (status, now) = player.get("/v1/lobby/status").await;
        assert_eq!(status, StatusCode::OK, "{now}");
        assert_eq!(now["state"], "in_match", "{now}");
        assert_eq!(now["match"]["room_id"], match_id.as_str(), "{now}");
    }
    process.stop().await;
}

/// Redis is killed and restarted under a running match. Kept with `appendonly` (fsynced
/// before it answers), the room is still there and the match goes on; without persistence
/// the room is gone: the players are told (`room_lost`), the match ends without a result,
/// and both are free.
#[tokio::test]
async fn a_redis_crash_keeps_the_match_with_appendonly_and_ends_it_cleanly_without() {
    for appendonly in [true, false] {
        let mut redis = OwnRedis::start(appendonly);
        let database = moonlight_testkit::postgres().create_database().await;
        let data = tempfile::tempdir().unwrap();
        let redis_url = redis.url();
        let env = [
            ("DATABASE_URL", database.as_str()),
            ("REDIS_URL", redis_url.as_str()),
        ];
        let process = start(data.path(), Role::All, &[], &env).await;
        let (host, guest, match_id, mut duel) = joined_match(&process).await;
        for _ in 0..4 {
            duel.step().await;
        }

        redis.crash_and_restart();
        // The node finds its Redis again (a broken connection is replaced).
        ready_again(process.url("game-server")).await;
        if appendonly {
            for _ in 0..4 {
                assert!(duel.step().await, "the match goes on");
            }
            let (_, now) = host.get("/v1/lobby/status").await;
            assert_eq!(now["match"]["room_id"], match_id.as_str(), "{now}");
        } else {
            // The next move cannot be made durable: the room says why and ends.
            duel.move_into_a_lost_room().await;
            for player in [&host, &guest] {
                free_in_time(player).await;
            }
        }
        process.stop().await;
    }
}

/// PostgreSQL stopped for 30 s while a match ends: the match plays to its end on the room
/// store, auth and the lobby answer 503 `unavailable` (with `Retry-After`) all along, and
/// once PostgreSQL is back the result is recorded and settled once and both players are
/// free.
#[tokio::test]
async fn postgres_stopped_for_30_s_while_a_match_ends_settles_it_once_when_back() {
    let postgres = OwnPostgres::start();
    let database = postgres.create_database().await;
    let data = tempfile::tempdir().unwrap();
    let redis_url = moonlight_testkit::redis().url();
    let env = [
        ("DATABASE_URL", database.as_str()),
        ("REDIS_URL", redis_url.as_str()),
    ];
    let process = start(data.path(), Role::All, &OPEN_LIMITS, &env).await;
    let (host, guest, match_id, mut duel) = joined_match(&process).await;
    for _ in 0..4 {
        duel.step().await;
    }

    postgres.stop();
    let stopped = Instant::now();
    duel.finish().await;
    // The outage lasts 30 s; every second of it, the services say so and when to retry.
    let http = reqwest::Client::new();
    while stopped.elapsed() < std::time::Duration::from_secs(30) {
        for player in [&host, &guest] {
            let (status, body) = player.get("/v1/lobby/status").await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
            assert_eq!(body["error"]["code"], "unavailable", "{body}");
        }
        let login = http
            .post(format!("{}/v1/auth/login", process.url("auth")))
            .json(&json!({"username": "host", "password": "correct horse battery"}))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(login.headers()["retry-after"], "5");
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }

    postgres.start_again();
    for player in [&host, &guest] {
        free_in_time(player).await;
        assert_eq!(player.games().await, 1, "settled once");
    }
    let db = moonlight_common::Database::connect(&database)
        .await
        .unwrap();
    let results: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM match_results WHERE match_id = $1")
        .bind(&match_id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(results, 1, "recorded once");
    process.stop().await;
}

/// Waits (bounded) until `base`'s `/readyz` answers 200.
async fn ready_again(base: &str) {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let ready = http.get(format!("{base}/readyz")).send().await;
        if ready.is_ok_and(|r| r.status() == StatusCode::OK) {
            return;
        }
        assert!(Instant::now() < deadline, "{base} not ready again in time");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Waits (bounded) until the lobby says `player` is idle: free to play again.
async fn free_in_time(player: &LobbyPlayer) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (_, status) = player.get("/v1/lobby/status").await;
        if status["state"] == "idle" {
            return;
        }
        assert!(Instant::now() < deadline, "still not free: {status}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
