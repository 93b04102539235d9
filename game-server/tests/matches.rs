//! Whole matches over real WebSockets, on each room store.

mod support;

use moonlight_engine::{EndReason, Outcome, Seat};
use moonlight_game_server::store::{MatchResult, PlayerRecord};
use moonlight_testkit::DbKind;
use support::{StoreKind, spawn_node};

/// Plays a whole match between two clients; every frame is checked to hide the other
/// seat's cards.
async fn play_to_the_end(node: &support::TestNode, room: &str) {
    node.duel(room).await.finish().await;
}

async fn full_match_records_the_result_once(kind: StoreKind) {
    let node = spawn_node(kind, |_| {}).await;
    node.create_room("room-1", 42).await;
    play_to_the_end(&node, "room-1").await;
    let mut recorded = node.ctx.results_progress.subscribe();
    tokio::time::timeout(support::PATIENCE, recorded.wait_for(|p| p.recorded >= 1))
        .await
        .expect("recorded in time")
        .unwrap();

    let pool = node.db.pool();
    let results: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM match_results WHERE match_id = 'room-1'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(results, 1);
    let mut outcomes: Vec<String> =
        sqlx::query_scalar("SELECT result FROM match_players WHERE match_id = 'room-1'")
            .fetch_all(pool)
            .await
            .unwrap();
    outcomes.sort();
    assert!(
        outcomes == ["loss", "win"] || outcomes == ["draw", "draw"],
        "{outcomes:?}"
    );
    assert!(node.ctx.store.pending_results().await.unwrap().is_empty());

    // The same match reaching the outbox again (a retry, or another node replaying it to
    // the end after a failover) is recorded no second time.
    let duplicate = MatchResult {
        match_id: "room-1".to_owned(),
        content_version: node.ctx.content.current().version().to_owned(),
        outcome: Outcome {
            winners: vec![Seat(0)],
            reason: EndReason::Concession,
        },
        teams: vec![0, 1],
        players: vec![
            PlayerRecord {
                player_id: "player-a".into(),
                name: "Luna".into(),
                bot: false,
            },
            PlayerRecord {
                player_id: "player-b".into(),
                name: "Sol".into(),
                bot: false,
            },
        ],
        turns: 1,
        started_at: 0,
        finished_at: 0,
    };
    node.ctx.store.push_result(&duplicate).await.unwrap();
    node.ctx.results.notify_one();
    tokio::time::timeout(support::PATIENCE, recorded.wait_for(|p| p.recorded >= 2))
        .await
        .expect("processed in time")
        .unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM match_players")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(rows, 2);
    let mut again: Vec<String> =
        sqlx::query_scalar("SELECT result FROM match_players WHERE match_id = 'room-1'")
            .fetch_all(pool)
            .await
            .unwrap();
    again.sort();
    assert_eq!(again, outcomes, "the first recording stands");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_match_on_the_embedded_store_sqlite() {
    full_match_records_the_result_once(StoreKind::Embedded(DbKind::Sqlite)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_match_on_the_embedded_store_postgres() {
    full_match_records_the_result_once(StoreKind::Embedded(DbKind::Postgres)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_match_on_redis() {
    full_match_records_the_result_once(StoreKind::Redis).await;
}

/// The results outbox outlives a database outage: a match that ends while PostgreSQL
/// refuses connections is recorded, once, when it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_reached_while_the_database_is_down_is_recorded_once_it_is_back() {
    let node = spawn_node(StoreKind::Redis, |_| {}).await;
    node.create_room("room-1", 42).await;
    let postgres = moonlight_testkit::postgres();
    let mut progress = node.ctx.results_progress.subscribe();
    postgres.begin_outage(&node.database.url).await;

    play_to_the_end(&node, "room-1").await;
    tokio::time::timeout(
        support::PATIENCE,
        progress.wait_for(|p| p.failed_attempts >= 1),
    )
    .await
    .expect("the writer tried while the database was down")
    .unwrap();
    assert_eq!(progress.borrow().recorded, 0);
    assert_eq!(node.ctx.store.pending_results().await.unwrap().len(), 1);

    postgres.end_outage(&node.database.url).await;
    node.ctx.results.notify_one(); // rather than wait out the retry backoff
    tokio::time::timeout(support::PATIENCE, progress.wait_for(|p| p.recorded >= 1))
        .await
        .expect("recorded once the database is back")
        .unwrap();
    let results: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM match_results WHERE match_id = 'room-1'")
            .fetch_one(node.db.pool())
            .await
            .unwrap();
    assert_eq!(results, 1);
    assert!(node.ctx.store.pending_results().await.unwrap().is_empty());
}
