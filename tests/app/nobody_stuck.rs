//! Every state a player can be in has a way out in bounded time, whatever the others, the
//! nodes or the stores do: a queued player whose client stopped asking leaves the queue, a
//! match nobody joins is void at its deadline, a room the store lost ends, a room that
//! cannot be restored ends, a match that ends while the database is down is settled once it
//! is back; and in each case the players are free.

use moonlight_common::time::unix_now_ms;
use moonlight_proto::v1::{self as pb, server_frame::Body};
use moonlight_testkit::{DbKind, db_tests};
use std::time::Duration;

use moonlight_rooms::{NodeInfo, RedisStore};
use moonlight_testkit::game_client::Client;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    Duel, Player, StoreKind, TestApp, TestApp as Stack, fast_lobby, play_url, seat_urls,
};

db_tests!(
    a_match_nobody_joins_is_void_at_its_deadline,
    a_queued_player_whose_client_stopped_asking_leaves_the_queue,
    a_player_who_cannot_reach_its_node_is_moved_at_once
);

/// Both players are free, their match void (`no_contest` for each) and counted nowhere.
async fn assert_free_after_a_void_match(players: [&Player; 2], match_id: &str) {
    for player in players {
        let (_, status) = player.get("/v1/lobby/status").await;
        assert_eq!(status["state"], "idle", "{status}");
        assert_eq!(player.games().await, 0);
    }
    let (_, record) = players[0]
        .get(&format!("/v1/lobby/matches/{match_id}"))
        .await;
    assert_eq!(record["reason"], "no_contest", "{record}");
    for seat in record["players"].as_array().unwrap() {
        assert_eq!(seat["result"], "no_contest", "{record}");
    }
    for player in players {
        player.enqueue("dusk_starter").await;
    }
}

/// Two new players in a private match, both connected, four moves in; the match's id.
async fn four_moves_into_a_private_match(stack: &TestApp) -> (Player, Player, String, Duel) {
    let (host, guest, plays) = stack.private_match("host", "guest").await;
    let match_id = plays[0]["room_id"].as_str().unwrap().to_owned();
    let urls = seat_urls(&plays[0], &plays[1]);
    let mut duel = Duel::join([&urls[0], &urls[1]]).await;
    for _ in 0..4 {
        duel.step().await;
    }
    (host, guest, match_id, duel)
}

/// A stack whose lobby runs no background rounds: the test runs the lobby's sweeps itself,
/// at chosen times.
async fn without_background_rounds(kind: DbKind) -> TestApp {
    TestApp::stack(
        kind,
        |lobby| {
            fast_lobby(lobby);
            lobby.match_interval = std::time::Duration::from_secs(3600);
        },
        |_| {},
    )
    .await
}

/// Refused at the upgrade: the status and the error code.
async fn refused(url: &str) -> (u16, String) {
    use tokio_tungstenite::tungstenite;
    match tokio_tungstenite::connect_async(url).await {
        Ok(_) => panic!("a socket opened"),
        Err(tungstenite::Error::Http(response)) => {
            let body = response.body().as_deref().unwrap_or_default();
            let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let code = body["error"]["code"].as_str().unwrap_or("").to_owned();
            (response.status().as_u16(), code)
        }
        Err(other) => panic!("unexpected error {other}"),
    }
}

async fn a_match_nobody_joins_is_void_at_its_deadline(kind: DbKind) {
    let stack = without_background_rounds(kind).await;
    let (host, guest, plays) = stack.private_match("host", "guest").await;
    let match_id = plays[0]["room_id"].as_str().unwrap().to_owned();
    let lobby = stack.lobby();
    // Before the deadline the match waits; after it, nobody having come, it is void.
    assert_eq!(lobby.void_unjoined(unix_now_ms()).await.unwrap(), 0);
    let past = unix_now_ms() + i64::try_from(lobby.config.join_window.as_millis()).unwrap() + 1;
    assert_eq!(lobby.void_unjoined(past).await.unwrap(), 1);
    // A second look (another lobby process, or after a restart) changes nothing.
    assert_eq!(lobby.void_unjoined(past).await.unwrap(), 0);
    assert_free_after_a_void_match([&host, &guest], &match_id).await;
    // A ticket handed out before is no way back in.
    assert_eq!(
        refused(&play_url(&plays[0])).await,
        (410, "match_void".into())
    );
}

async fn a_queued_player_whose_client_stopped_asking_leaves_the_queue(kind: DbKind) {
    let stack = without_background_rounds(kind).await;
    let lobby = stack.lobby();
    let presence = i64::try_from(lobby.config.queue_presence.as_millis()).unwrap();
    let player = stack.player("waiting").await;
    player.enqueue("dusk_starter").await;
    let pool = stack.db.pool();
    let seen = || async {
        sqlx::query_scalar::<_, i64>("SELECT seen_ms FROM lobby_players WHERE state = 'queued'")
            .fetch_one(pool)
            .await
            .expect("a queued player")
    };
    // As if the player had enqueued half a presence ago and not asked since.
    sqlx::query("UPDATE lobby_players SET seen_ms = seen_ms - $1")
        .bind(presence / 2)
        .execute(pool)
        .await
        .unwrap();
    let long_ago = seen().await;
    // Asking about the wait notes the player again: they stay a whole presence from now.
    let (_, status) = player.get("/v1/lobby/status").await;
    assert_eq!(status["state"], "queued", "{status}");
    let noted = seen().await;
    assert!(noted >= long_ago + presence / 2, "{noted} after {long_ago}");
    // A note that fresh is not written again (a long-poll looks every time it is woken;
    // the clock must move on for the test to tell).
    while unix_now_ms() <= noted {
        tokio::task::yield_now().await;
    }
    player.get("/v1/lobby/status").await;
    assert_eq!(seen().await, noted);
    assert_eq!(lobby.drop_absent_queued(noted + presence).await.unwrap(), 0);
    // A whole presence with no question: gone, and out of the queue; once only.
    let silent = unix_now_ms() + presence + 1;
    assert_eq!(lobby.drop_absent_queued(silent).await.unwrap(), 1);
    assert_eq!(lobby.drop_absent_queued(silent).await.unwrap(), 0);
    let (_, status) = player.get("/v1/lobby/status").await;
    assert_eq!(status["state"], "idle", "{status}");
    player.enqueue("dusk_starter").await;
}

/// A match played to its deadline is not void: the lobby finds its room opened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_match_its_players_joined_is_not_void_at_the_deadline() {
    let stack = TestApp::stack(DbKind::Sqlite, fast_lobby, |_| {}).await;
    let (_, _, plays) = stack.private_match("host", "guest").await;
    let urls = seat_urls(&plays[0], &plays[1]);
    let mut duel = Duel::join([&urls[0], &urls[1]]).await;
    let past = unix_now_ms() + 3_600_000;
    assert_eq!(stack.lobby().void_unjoined(past).await.unwrap(), 0);
    duel.finish().await;
}

/// Redis restarted without persistence and lost the rooms: the match ends without a
/// result (the players are told why), and both are free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_the_store_lost_ends_and_frees_its_players() {
    let stack = TestApp::stack_on(StoreKind::Redis, fast_lobby, |_| {}).await;
    let (host, guest, match_id, mut duel) = four_moves_into_a_private_match(&stack).await;
    // What a restart without persistence does to the rooms.
    let prefix = stack.redis_prefix.clone().unwrap();
    let redis = redis::Client::open(moonlight_testkit::redis().url()).unwrap();
    let mut conn = redis.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}room:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(!keys.is_empty());
    redis::cmd("DEL")
        .arg(&keys)
        .exec_async(&mut conn)
        .await
        .unwrap();

    // The node still holds the game, but cannot make another move durable: it says so.
    duel.move_into_a_lost_room().await;
    stack.results_recorded(1).await;
    stack.settle().await;
    assert_free_after_a_void_match([&host, &guest], &match_id).await;
}

/// Asking the lobby where a lost room's match is frees the player at once, without
/// waiting for a node to notice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lobby_frees_the_players_of_a_room_the_store_lost() {
    let stack = TestApp::stack_on(StoreKind::Redis, fast_lobby, |_| {}).await;
    let (host, guest, plays) = stack.private_match("host", "guest").await;
    let match_id = plays[0]["room_id"].as_str().unwrap().to_owned();
    let prefix = stack.redis_prefix.clone().unwrap();
    let redis = redis::Client::open(moonlight_testkit::redis().url()).unwrap();
    let mut conn = redis.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("DEL")
        .arg(RedisStore::room_key(&prefix, &match_id, ""))
        .exec_async(&mut conn)
        .await
        .unwrap();
    assert_free_after_a_void_match([&host, &guest], &match_id).await;
}

/// A room set up under content no store keeps cannot be played: it ends without a result
/// and its players are free (here: the result is recorded, ready to settle).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_that_cannot_be_restored_is_void() {
    let node = TestApp::node(StoreKind::Embedded(DbKind::Sqlite), |_| {}).await;
    let mut record = crate::support::starter_room(&node.game().content().current(), "r", 1);
    record.content_version = "no-such-version".into();
    node.game().store().create_room(&record).await.unwrap();
    let (status, code) = refused(&node.play_url(&node.ticket("r", "player-a", Some(0)))).await;
    assert_eq!((status, code.as_str()), (410, "match_void"));
    node.results_recorded(1).await;
    let reason: String =
        sqlx::query_scalar("SELECT reason FROM match_results WHERE match_id = 'r'")
            .fetch_one(node.db.pool())
            .await
            .unwrap();
    assert_eq!(reason, "no_contest");
    // Asked again, the node still refuses (the room is void, not retried).
    let (status, _) = refused(&node.play_url(&node.ticket("r", "player-b", Some(1)))).await;
    assert_eq!(status, 410);
}

/// PostgreSQL goes down while a match ends: meanwhile calls that need it get a clear 503
/// `unavailable` with `Retry-After` (not a 500); once it is back the result is recorded
/// once, settled once, and both players are free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_match_that_ends_while_the_database_is_down_is_settled_once_when_it_is_back() {
    let stack = TestApp::stack_on(StoreKind::Redis, fast_lobby, |_| {}).await;
    let (host, guest, match_id, mut duel) = four_moves_into_a_private_match(&stack).await;
    let postgres = moonlight_testkit::postgres();
    postgres.begin_outage(stack.database_url()).await;

    // The match ends on the room store (Redis), which is up: both see the end.
    duel.clients[1]
        .send(pb::client_frame::Body::Concede(pb::Concede {
            client_seq: 99,
        }))
        .await;
    for (seat, client) in duel.clients.iter_mut().enumerate() {
        loop {
            match client.next_seen_by(seat).await {
                Body::GameOver(over) => {
                    assert_eq!(over.outcome.unwrap().reason, "concession");
                    break;
                }
                _ => continue,
            }
        }
    }
    // The lobby and auth cannot reach their database: they say so, and when to retry.
    let status = reqwest::Client::new()
        .get(format!("{}/v1/lobby/status", stack.lobby_url()))
        .bearer_auth(&host.token)
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(status.headers()["retry-after"], "5");
    let body: Value = status.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    let login = stack
        .post(
            "/v1/auth/login",
            serde_json::json!({"username": "host", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(login.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");

    // Back: recorded once, settled once, both free.
    postgres.end_outage(stack.database_url()).await;
    stack.game().wake_results_writer();
    stack.results_recorded(1).await;
    stack.settle().await;
    let results: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM match_results WHERE match_id = $1")
        .bind(&match_id)
        .fetch_one(stack.db.pool())
        .await
        .unwrap();
    assert_eq!(results, 1);
    for player in [&host, &guest] {
        let (_, status) = player.get("/v1/lobby/status").await;
        assert_eq!(status["state"], "idle", "{status}");
        assert_eq!(player.games().await, 1);
    }
    assert_eq!(stack.settle().await, 0, "nothing is settled twice");
}

/// A player who cannot reach its match's node says so to the lobby, which checks the node
/// itself: a node that does not answer is taken out of the directory at once (not after
/// its heartbeat expires) and the player's ticket is for a live node; a node that answers
/// stays, whoever says otherwise.
async fn a_player_who_cannot_reach_its_node_is_moved_at_once(kind: DbKind) {
    let stack = Stack::stack(kind, |_| {}, |_| {}).await;
    let (luna, _sol, plays) = stack.private_match("luna", "sol").await;
    let match_id = plays[0]["room_id"].as_str().expect("a match").to_owned();
    let real = plays[0]["node_id"].as_str().expect("a node").to_owned();
    // A node that heartbeats but does not answer (nothing listens on port 9), the match
    // placed on it.
    let ghost = NodeInfo {
        id: "ghost".to_owned(),
        url: "ws://127.0.0.1:9/v1/play".to_owned(),
        capacity: 100,
        ..NodeInfo::default()
    };
    let directory = stack.lobby().directory();
    directory
        .heartbeat(&ghost, Duration::from_secs(600))
        .await
        .expect("a heartbeat");
    stack
        .lobby_store()
        .move_match(&match_id, &real, "ghost")
        .await
        .expect("moved");
    let (_, status) = luna.get("/v1/lobby/status").await;
    assert_eq!(status["match"]["node_id"], "ghost", "{status}");

    // Someone claims the real node is unreachable: it answers the lobby, nothing changes.
    let (_, status) = luna
        .get(&format!("/v1/lobby/status?unreachable={real}"))
        .await;
    assert_eq!(status["match"]["node_id"], "ghost", "{status}");
    assert!(
        directory
            .live()
            .await
            .expect("the directory")
            .iter()
            .any(|n| n.id == real),
        "the real node stays"
    );

    // Not a node id: refused, nothing probed.
    let (status, refused) = luna
        .get(&format!("/v1/lobby/status?unreachable={}", "g".repeat(201)))
        .await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (StatusCode::BAD_REQUEST, &json!("bad_request"))
    );

    // Luna cannot reach the ghost, nor can the lobby: the match moves now.
    let (status, moved) = luna.get("/v1/lobby/status?unreachable=ghost").await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["match"]["node_id"], json!(real), "{moved}");
    let mut client = Client::connect(&play_url(&moved["match"])).await;
    client.hello().await;
    assert_eq!(client.welcome().await.room_id, match_id);
}
