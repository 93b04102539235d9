//! Crash recovery and graceful restarts of real `moonlight` processes: SIGKILL mid-match,
//! then the match goes on in a fresh process with every acknowledged action still there,
//! once on the embedded store and once on Redis with the room moving to another node.

use std::path::Path;

use crate::support::{self, Process, Role};
use moonlight_auth::{SigningKeys, TokenIssuer};
use moonlight_common::{
    Database,
    time::{unix_now, unix_now_ms},
};
use moonlight_engine::ContentStore;
use moonlight_game_server::close;
use moonlight_proto::v1::{self as pb, client_frame, server_frame::Body};
use moonlight_rooms::{
    PlayerRecord, RedisPool, RedisStore, RoomRecord, RoomStore, SqlStore,
    ticket::{self, TicketExtra},
};
use moonlight_testkit::{DbKind, RedisServer, TestDatabase, game_client::Duel};

const ROOM: &str = "room-1";
const PLAYERS: [&str; 2] = ["player-a", "player-b"];

/// A two-player room on the shipped content's first two starter decks.
fn room() -> RoomRecord {
    let content = ContentStore::open(&Path::new(env!("CARGO_MANIFEST_DIR")).join("content"))
        .expect("shipped content")
        .current();
    // In id order.
    let decks: Vec<&str> = content.decks().map(|d| d.id.as_str()).collect();
    let seats = PLAYERS
        .iter()
        .zip(decks)
        .map(|(player, deck)| {
            let record = PlayerRecord::human(player, player);
            (record, deck)
        })
        .collect();
    RoomRecord::new(
        ROOM,
        &content,
        seats,
        11,
        unix_now(),
        unix_now_ms() + 30_000,
    )
    .expect("starter decks")
}

/// The two seats' WebSocket URLs on `process`, with tickets for `node`.
fn seat_urls(issuer: &TokenIssuer, process: &Process, node: &str) -> [String; 2] {
    let base = process.url("game-server").replace("http://", "ws://");
    [0u8, 1].map(|seat| {
        let extra = TicketExtra {
            room: ROOM.to_owned(),
            seat: Some(seat),
            node: node.to_owned(),
            name: PLAYERS[usize::from(seat)].to_owned(),
            full_view: false,
        };
        let ticket =
            ticket::mint(issuer, PLAYERS[usize::from(seat)], extra, unix_now()).expect("ticket");
        format!("{base}/v1/play?ticket={ticket}")
    })
}

fn refs(urls: &[String; 2]) -> [&str; 2] {
    [urls[0].as_str(), urls[1].as_str()]
}

/// Plays `n` actions (past the mulligans), each acknowledged to its player.
async fn play(duel: &mut Duel, n: usize) {
    for _ in 0..n {
        assert!(duel.step().await, "the match ended too early for this test");
    }
}

/// After a restart the last acknowledged action, sent again with its client sequence
/// number, is acknowledged again and applied no second time.
async fn retry_is_applied_once(duel: &mut Duel) {
    let seat = (0..2)
        .find(|&s| duel.last_acked[s].is_some())
        .expect("an acknowledged action");
    let (client_seq, action) = duel.last_acked[seat].clone().expect("acked");
    let client = &mut duel.clients[seat];
    client
        .send(client_frame::Body::Action(pb::Action {
            client_seq,
            kind: Some(action),
        }))
        .await;
    let ack = loop {
        if let Body::Update(update) = client.next().await.expect("socket open") {
            break update;
        }
    };
    assert_eq!(ack.acked_client_seq, Some(client_seq));
    assert_eq!(ack.seq, duel.seq, "a retry creates no new update");
    assert!(ack.events.is_empty());
}

async fn match_results(url: &str) -> i64 {
    let db = Database::connect(url).await.expect("database");
    let count = sqlx::query_scalar("SELECT COUNT(*) FROM match_results WHERE match_id = $1")
        .bind(ROOM)
        .fetch_one(db.pool())
        .await
        .expect("counting results");
    db.pool().close().await;
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_store_survives_sigkill_and_a_graceful_restart() {
    let data = tempfile::tempdir().unwrap();
    // The room and the keys exist before the process starts, as the lobby and an earlier
    // run would have left them; the process finds both in its data directory.
    let issuer =
        TokenIssuer::new(SigningKeys::load_or_generate(&data.path().join("keys")).unwrap());
    let db_url = Database::sqlite_url_in(data.path());
    let rooms = Database::connect(&Database::sqlite_rooms_url_in(data.path()))
        .await
        .unwrap();
    RoomStore::Sql(SqlStore::open(&rooms).await.unwrap())
        .create_room(&room())
        .await
        .unwrap();
    rooms.pool().close().await;
    drop(rooms);
    let first = support::start(data.path(), Role::All, &[], &[]).await;
    let urls = seat_urls(&issuer, &first, "node-1");
    let mut duel = Duel::join(refs(&urls)).await;
    play(&mut duel, 8).await;
    first.kill().await;

    // Same node restarted: everything acknowledged is still there.
    let second = support::start(data.path(), Role::All, &[], &[]).await;
    let urls = seat_urls(&issuer, &second, "node-1");
    let mut duel = duel.resume(refs(&urls)).await;
    retry_is_applied_once(&mut duel).await;
    play(&mut duel, 3).await;

    // A graceful stop tells both players to come back, then closes with 1012.
    let stopping = tokio::spawn(second.stop());
    for client in &mut duel.clients {
        let reconnect = client.next().await;
        assert!(
            matches!(reconnect, Some(Body::Reconnect(_))),
            "{reconnect:?}"
        );
        assert_eq!(client.close_code().await, Some(close::RESTARTING));
    }
    stopping.await.unwrap();

    let third = support::start(data.path(), Role::All, &[], &[]).await;
    let urls = seat_urls(&issuer, &third, "node-1");
    let mut duel = duel.resume(refs(&urls)).await;
    duel.finish().await;
    third.stop().await;
    assert_eq!(match_results(&db_url).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_redis_a_killed_nodes_match_finishes_on_another_node() {
    let url = moonlight_testkit::redis().url();
    let pool = RedisPool::connect(&url).await.unwrap();
    a_killed_nodes_match_finishes_on_another_node(pool, &url, &[]).await;
}

/// The same on a Redis Cluster of three masters: the room's log, snapshot and outbox stay
/// on one master, and the directory works across them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_a_redis_cluster_a_killed_nodes_match_finishes_on_another_node() {
    let cluster = moonlight_testkit::redis_cluster();
    let seeds = cluster.seeds();
    let seeds: Vec<&str> = seeds.iter().map(String::as_str).collect();
    let pool = RedisPool::connect_cluster(&seeds).await.unwrap();
    let env = [("MOONLIGHT_REDIS_CLUSTER", "true")];
    a_killed_nodes_match_finishes_on_another_node(pool, &cluster.urls(), &env).await;
}

/// A match played to its eighth move on one node, whose process is then SIGKILLed; both
/// players resume on a second node, a retried move is applied once, the match ends there,
/// and its result is recorded once.
async fn a_killed_nodes_match_finishes_on_another_node(
    pool: RedisPool,
    redis_url: &str,
    extra_env: &[(&str, &str)],
) {
    let database = TestDatabase::new(DbKind::Postgres).await;
    let prefix = RedisServer::namespace();
    let store = RedisStore::new(pool, &prefix);
    RoomStore::Redis(store).create_room(&room()).await.unwrap();
    // A standalone game server knows only the auth service's public keys.
    let issuer = TokenIssuer::new(SigningKeys::ephemeral().unwrap());
    let keys = tempfile::tempdir().unwrap();
    let jwks = keys.path().join("jwks.json");
    std::fs::write(&jwks, serde_json::to_string(&issuer.jwks()).unwrap()).unwrap();
    let jwks = jwks.to_str().unwrap();
    let mut env = vec![
        ("REDIS_URL", redis_url),
        ("DATABASE_URL", database.url.as_str()),
    ];
    env.extend_from_slice(extra_env);
    let node = |id: &'static str| {
        [
            "--node-id",
            id,
            "--auth-jwks",
            jwks,
            "--redis-prefix",
            prefix.as_str(),
        ]
    };

    let data_a = tempfile::tempdir().unwrap();
    let a = support::start(data_a.path(), Role::GameServer, &node("node-a"), &env).await;
    let urls = seat_urls(&issuer, &a, "node-a");
    let mut duel = Duel::join(refs(&urls)).await;
    play(&mut duel, 8).await;
    a.kill().await;

    let data_b = tempfile::tempdir().unwrap();
    let b = support::start(data_b.path(), Role::GameServer, &node("node-b"), &env).await;
    let urls = seat_urls(&issuer, &b, "node-b");
    let mut duel = duel.resume(refs(&urls)).await;
    retry_is_applied_once(&mut duel).await;
    duel.finish().await;
    b.stop().await;
    assert_eq!(match_results(&database.url).await, 1);
}
