//! The lobby as operators run it, in real processes: the single-process default, and a
//! scaled-out deployment of several lobbies and game-server nodes sharing Redis and
//! PostgreSQL, with a node killed mid-match.

mod support;

use std::{collections::HashMap, time::Duration};

use moonlight_common::Database;
use moonlight_testkit::{
    DbKind, RedisServer, TestDatabase,
    game_client::{Duel, PATIENCE},
    lobby_client::{LobbyPlayer, seat_urls},
};
use support::Process;

/// Generous limits: these tests register hundreds of accounts from one address.
const OPEN_LIMITS: [&str; 6] = [
    "--auth-rate-per-minute",
    "100000",
    "--auth-rate-burst",
    "100000",
    "--hash-queue",
    "1000",
];

/// Until `check` holds, asks again with a short pause, as a client would, up to PATIENCE.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not in time"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn count(db: &Database, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(db.pool())
        .await
        .expect("counting")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_quick_match_to_a_settled_rating() {
    let data = tempfile::tempdir().unwrap();
    let moonlight = support::start(
        data.path(),
        &OPEN_LIMITS,
        &[],
        &["auth", "lobby", "game-server"],
    )
    .await;
    let http = reqwest::Client::new();
    let (auth, lobby) = (moonlight.url("auth"), moonlight.url("lobby"));
    let luna = LobbyPlayer::register(&http, auth, lobby, "luna").await;
    let sol = LobbyPlayer::register(&http, auth, lobby, "sol").await;
    luna.enqueue("dusk_starter").await;
    sol.enqueue("tide_starter").await;
    let (a, b) = tokio::join!(luna.wait_for_match(), sol.wait_for_match());
    assert_eq!(a["node_id"], b["node_id"]);
    let urls = seat_urls(&a, &b);
    let mut duel = Duel::join([&urls[0], &urls[1]]).await;
    duel.finish().await;
    // The lobby's own loop settles the match: both records show it, once.
    eventually("the match settled", || async {
        luna.games().await == 1 && sol.games().await == 1
    })
    .await;
    moonlight.stop().await;

    let db = Database::connect(&Database::sqlite_url_in(data.path()))
        .await
        .unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM match_results").await, 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM rating_changes").await, 2);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM lobby_players").await, 0);
}

/// Auth, `lobbies` lobby processes and `nodes` game-server processes on one PostgreSQL
/// and one Redis namespace, sharing a data directory for the signing keys.
struct Cluster {
    auth: Process,
    lobbies: Vec<Process>,
    nodes: Vec<(String, Process)>,
    database: TestDatabase,
    redis_url: String,
    prefix: String,
    data: tempfile::TempDir,
    http: reqwest::Client,
}

impl Cluster {
    async fn start(lobbies: usize, nodes: usize) -> Self {
        let database = TestDatabase::new(DbKind::Postgres).await;
        let redis_url = moonlight_testkit::redis().url();
        let prefix = RedisServer::namespace();
        let data = tempfile::tempdir().unwrap();
        let mut cluster = Self {
            auth: support::start(
                data.path(),
                &[&["auth"][..], &OPEN_LIMITS].concat(),
                &[("DATABASE_URL", database.url.as_str())],
                &["auth"],
            )
            .await,
            lobbies: Vec::new(),
            nodes: Vec::new(),
            database,
            redis_url,
            prefix,
            data,
            http: reqwest::Client::new(),
        };
        for _ in 0..lobbies {
            let lobby = cluster
                .start_role(&["lobby", "--match-interval-ms", "50"], "lobby")
                .await;
            cluster.lobbies.push(lobby);
        }
        for n in 0..nodes {
            cluster.start_node(&format!("node-{n}")).await;
        }
        cluster
    }

    async fn start_role(&self, args: &[&str], role: &str) -> Process {
        let env = [
            ("DATABASE_URL", self.database.url.as_str()),
            ("REDIS_URL", self.redis_url.as_str()),
        ];
        let args = [args, &["--redis-prefix", self.prefix.as_str()]].concat();
        support::start(self.data.path(), &args, &env, &[role]).await
    }

    async fn start_node(&mut self, id: &str) {
        let jwks = format!("{}/.well-known/jwks.json", self.auth.url("auth"));
        let node = self
            .start_role(
                &[
                    "game-server",
                    "--node-id",
                    id,
                    "--auth-jwks",
                    &jwks,
                    "--heartbeat-secs",
                    "1",
                ],
                "game-server",
            )
            .await;
        self.nodes.push((id.to_owned(), node));
    }

    fn lobby(&self, n: usize) -> &str {
        self.lobbies[n % self.lobbies.len()].url("lobby")
    }

    async fn player(&self, name: &str, lobby: usize) -> LobbyPlayer {
        LobbyPlayer::register(&self.http, self.auth.url("auth"), self.lobby(lobby), name).await
    }

    async fn db(&self) -> Database {
        Database::connect(&self.database.url).await.unwrap()
    }

    async fn stop(self) {
        for (_, node) in self.nodes {
            node.stop().await;
        }
        for lobby in self.lobbies {
            lobby.stop().await;
        }
        self.auth.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_lobbies_pair_200_concurrent_players_with_no_duplicates_and_nobody_lost() {
    let cluster = Cluster::start(2, 2).await;
    let players: Vec<LobbyPlayer> =
        futures_util::future::join_all((0..200).map(|n| cluster.player_named(n))).await;
    // Everybody enqueues at once, half through each lobby, then waits for a match.
    futures_util::future::join_all(players.iter().map(|p| p.enqueue("dusk_starter"))).await;
    let matches = futures_util::future::join_all(players.iter().map(|p| p.wait_for_match())).await;

    let mut rooms: HashMap<String, Vec<(&str, u64, String)>> = HashMap::new();
    for (player, play) in players.iter().zip(&matches) {
        rooms
            .entry(play["room_id"].as_str().unwrap().to_owned())
            .or_default()
            .push((
                player.id.as_str(),
                play["seat"].as_u64().unwrap(),
                play["node_id"].as_str().unwrap().to_owned(),
            ));
    }
    assert_eq!(rooms.len(), 100, "200 players make 100 matches");
    let mut per_node: HashMap<&str, usize> = HashMap::new();
    for (room, seats) in &rooms {
        assert_eq!(seats.len(), 2, "room {room}: {seats:?}");
        assert_ne!(seats[0].0, seats[1].0);
        assert_ne!(seats[0].1, seats[1].1, "room {room} gave one seat twice");
        assert_eq!(seats[0].2, seats[1].2, "room {room} split across nodes");
        *per_node.entry(seats[0].2.as_str()).or_default() += 1;
    }
    assert_eq!(
        per_node.len(),
        2,
        "rooms spread over both nodes: {per_node:?}"
    );

    let db = cluster.db().await;
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM lobby_matches").await,
        100,
        "no match made twice"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM lobby_players WHERE state = 'in_match'"
        )
        .await,
        200,
        "no ticket lost"
    );
    db.pool().close().await;
    cluster.stop().await;
}

impl Cluster {
    /// Player `n`, talking to lobby `n mod lobbies`.
    async fn player_named(&self, n: usize) -> LobbyPlayer {
        self.player(&format!("player{n}"), n).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_nodes_players_ask_the_lobby_and_finish_on_the_survivor() {
    let mut cluster = Cluster::start(1, 1).await;
    let luna = cluster.player("luna", 0).await;
    let sol = cluster.player("sol", 0).await;
    luna.enqueue("dusk_starter").await;
    sol.enqueue("moonwell_starter").await;
    let (a, b) = tokio::join!(luna.wait_for_match(), sol.wait_for_match());
    let doomed = a["node_id"].as_str().unwrap().to_owned();
    let urls = seat_urls(&a, &b);
    let mut duel = Duel::join([&urls[0], &urls[1]]).await;
    for _ in 0..8 {
        assert!(duel.step().await, "the match ended too early for this test");
    }
    // A second node comes up; the first dies mid-match, with no chance to say goodbye.
    cluster.start_node("node-survivor").await;
    let (_, node) = cluster.nodes.remove(0);
    node.kill().await;

    // Each player asks the lobby where the match is, as a client does after a drop,
    // until the lobby has noticed the dead node (three missed heartbeats).
    let mut moved = Vec::new();
    for player in [&luna, &sol] {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let play = loop {
            let (_, status) = player.get("/v1/lobby/status").await;
            if status["match"]["node_id"] != doomed.as_str() {
                break status["match"].clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the match never moved"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(play["node_id"], "node-survivor", "{play}");
        moved.push(play);
    }
    let urls = seat_urls(&moved[0], &moved[1]);
    let mut duel = duel.resume([&urls[0], &urls[1]]).await;
    duel.finish().await;
    eventually("the match settled", || async {
        luna.games().await == 1 && sol.games().await == 1
    })
    .await;
    let db = cluster.db().await;
    assert_eq!(count(&db, "SELECT COUNT(*) FROM match_results").await, 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM rating_changes").await, 2);
    db.pool().close().await;
    cluster.stop().await;
}
