//! Whole matches over real WebSockets, on each room store.

mod support;

use moonlight_engine::{EndReason, Outcome, Seat};
use moonlight_game_server::store::{MatchResult, PlayerRecord};
use moonlight_proto::v1::{event::Kind as EventKind, server_frame::Body};
use moonlight_testkit::DbKind;
use moonlight_testkit::game_client::choose;
use support::{Client, Started, StoreKind, spawn_node, start_match};

/// Asserts that a frame sent to `me` shows none of the other seats' hidden cards.
fn assert_hides_other_hands(me: u32, body: &Body) {
    let (events, view) = match body {
        Body::Update(update) => (update.events.as_slice(), update.view.as_ref()),
        Body::Welcome(welcome) => (&[][..], welcome.view.as_ref()),
        _ => return,
    };
    for event in events {
        if let Some(EventKind::CardDrawn(e) | EventKind::CardGenerated(e)) = &event.kind {
            assert!(
                e.seat == me || e.card.is_none(),
                "seat {me} saw seat {}'s card {:?}",
                e.seat,
                e.card
            );
        }
    }
    if let Some(view) = view {
        let mine = view.seats.iter().find(|s| s.seat == me).expect("my seat");
        for card in &view.hand {
            assert!(
                mine.hand.contains(&card.handle),
                "seat {me} was shown a card not in its own hand"
            );
        }
    }
}

/// Plays a whole match between two clients, checking every frame, and returns the clients.
async fn play_to_the_end(node: &support::TestNode, room: &str) -> [Client; 2] {
    let Started {
        mut clients,
        mut seq,
        mut views,
        mut legal,
        ..
    } = start_match(node, room).await;
    for _ in 0..3_000 {
        let active = views[0].active_seat as usize;
        let action =
            choose(&views[active], &legal[active], active as u32).expect("the active seat can act");
        let client_seq = clients[active].act(action).await;
        seq += 1;
        for (seat, client) in clients.iter_mut().enumerate() {
            let update = loop {
                let body = client.next().await.expect("socket open");
                assert_hides_other_hands(seat as u32, &body);
                match body {
                    Body::Update(update) => break update,
                    Body::ActionRejected(rejected) => {
                        panic!("a legal action was rejected: {rejected:?}")
                    }
                    Body::GameOver(_) | Body::Emoted(_) => {}
                    other => panic!("unexpected frame {other:?}"),
                }
            };
            assert_eq!(update.seq, seq);
            let expected_ack = (seat == active).then_some(client_seq);
            assert_eq!(update.acked_client_seq, expected_ack);
            views[seat] = update.view.expect("live updates carry the view");
            legal[seat] = update.legal_actions;
        }
        if views[0].outcome.is_some() {
            for client in &mut clients {
                assert!(matches!(client.next().await, Some(Body::GameOver(_))));
            }
            return clients;
        }
    }
    panic!("the match did not end in 3,000 actions");
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
            },
            PlayerRecord {
                player_id: "player-b".into(),
                name: "Sol".into(),
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
