//! The lobby as operators run it, in real processes: the single-process default, and a
//! scaled-out deployment of several lobbies and game-server nodes sharing Redis and
//! PostgreSQL, with a node killed mid-match.

use std::collections::{HashMap, HashSet};

use futures_util::StreamExt;

use crate::support::{self, Process, Role};
use moonlight_common::Database;
use moonlight_testkit::{
    DbKind, RedisServer, TestDatabase,
    game_client::{Duel, PATIENCE},
    lobby_client::{LobbyPlayer, seat_urls},
};

/// Generous limits: these tests register hundreds of accounts from one address.
const OPEN_LIMITS: [&str; 6] = [
    "--auth-rate-per-minute",
    "100000",
    "--auth-rate-burst",
    "100000",
    "--hash-queue",
    "1000",
];

/// A future that resolves once Redis expires `key` (a keyspace event): subscribed before
/// this returns, so an expiry that comes after the call is never missed.
async fn expiry_of(redis_url: &str, key: String) -> impl Future<Output = ()> {
    let client = redis::Client::open(redis_url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("notify-keyspace-events")
        .arg("Ex")
        .exec_async(&mut conn)
        .await
        .unwrap();
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    pubsub.subscribe("__keyevent@0__:expired").await.unwrap();
    async move {
        let mut events = pubsub.on_message();
        let expired = async {
            while let Some(event) = events.next().await {
                if event.get_payload::<String>().ok().as_deref() == Some(key.as_str()) {
                    return;
                }
            }
            panic!("the keyspace events stopped");
        };
        tokio::time::timeout(PATIENCE, expired)
            .await
            .expect("the key expired in time");
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
    let moonlight = support::start(data.path(), Role::All, &OPEN_LIMITS, &[]).await;
    let (auth, lobby) = (moonlight.url("auth"), moonlight.url("lobby"));
    let luna = LobbyPlayer::register(auth, lobby, "luna").await;
    let sol = LobbyPlayer::register(auth, lobby, "sol").await;
    luna.enqueue("dusk_starter").await;
    sol.enqueue("tide_starter").await;
    let (a, b) = tokio::join!(luna.wait_for_match(), sol.wait_for_match());
    assert_eq!(a["node_id"], b["node_id"]);
    let urls = seat_urls(&a, &b);
    let mut duel = Duel::join([&urls[0], &urls[1]]).await;
    duel.finish().await;
    // The lobby's own loop settles the match: both records show it, once.
    let match_id = a["room_id"].as_str().unwrap();
    moonlight.logged(&["match settled", match_id]).await;
    assert_eq!((luna.games().await, sol.games().await), (1, 1));
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
                Role::Auth,
                &OPEN_LIMITS,
                &[("DATABASE_URL", database.url.as_str())],
            )
            .await,
            lobbies: Vec::new(),
            nodes: Vec::new(),
            database,
            redis_url,
            prefix,
            data,
        };
        for _ in 0..lobbies {
            let lobby = cluster
                .start_role(Role::Lobby, &["--match-interval-ms", "50"])
                .await;
            cluster.lobbies.push(lobby);
        }
        for n in 0..nodes {
            cluster.start_node(&format!("node-{n}")).await;
        }
        cluster
    }

    async fn start_role(&self, role: Role, args: &[&str]) -> Process {
        self.start_role_at(role, &HashMap::new(), args).await
    }

    /// [`Cluster::start_role`] with its listeners at `urls` (by role).
    async fn start_role_at(
        &self,
        role: Role,
        urls: &HashMap<String, String>,
        args: &[&str],
    ) -> Process {
        let env = [
            ("DATABASE_URL", self.database.url.as_str()),
            ("REDIS_URL", self.redis_url.as_str()),
        ];
        let args = [args, &["--redis-prefix", self.prefix.as_str()]].concat();
        support::start_at(self.data.path(), role, urls, &args, &env).await
    }

    async fn start_node(&mut self, id: &str) {
        let jwks = format!("{}/.well-known/jwks.json", self.auth.url("auth"));
        let node = self
            .start_role(
                Role::GameServer,
                &[
                    "--node-id",
                    id,
                    "--auth-jwks",
                    &jwks,
                    "--heartbeat-secs",
                    "1",
                ],
            )
            .await;
        self.nodes.push((id.to_owned(), node));
    }

    fn lobby(&self, n: usize) -> &str {
        self.lobbies[n % self.lobbies.len()].url("lobby")
    }

    async fn player(&self, name: &str, lobby: usize) -> LobbyPlayer {
        LobbyPlayer::register(self.auth.url("auth"), self.lobby(lobby), name).await
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

/// Two lobby processes behind one address (`--lobby-reuse-port`; the kernel spreads the
/// connections): 100 players through that address are all matched, once each; with one
/// lobby stopped, the other serves the address alone; and a process started without the
/// flag cannot take the address by mistake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_lobbies_behind_one_address() {
    let mut cluster = Cluster::start(0, 1).await;
    let shared = ["--match-interval-ms", "50", "--lobby-reuse-port"];
    let first = cluster.start_role(Role::Lobby, &shared).await;
    let address = HashMap::from([("lobby".to_owned(), first.url("lobby").to_owned())]);
    let second = cluster.start_role_at(Role::Lobby, &address, &shared).await;
    assert_eq!(first.url("lobby"), second.url("lobby"));
    cluster.lobbies.extend([first, second]);

    let players: Vec<LobbyPlayer> =
        futures_util::future::join_all((0..100).map(|n| cluster.player_named(n))).await;
    futures_util::future::join_all(players.iter().map(|p| p.enqueue("dusk_starter"))).await;
    let matches = futures_util::future::join_all(players.iter().map(|p| p.wait_for_match())).await;
    let rooms: HashSet<&str> = matches
        .iter()
        .map(|play| play["room_id"].as_str().unwrap())
        .collect();
    assert_eq!(rooms.len(), 50, "100 players make 50 matches");

    cluster.lobbies.remove(0).stop().await;
    let late = [
        cluster.player("late1", 0).await,
        cluster.player("late2", 0).await,
    ];
    late[0].enqueue("dusk_starter").await;
    late[1].enqueue("tide_starter").await;
    let (a, b) = tokio::join!(late[0].wait_for_match(), late[1].wait_for_match());
    assert_eq!(a["room_id"], b["room_id"]);

    let env = [
        ("DATABASE_URL", cluster.database.url.as_str()),
        ("REDIS_URL", cluster.redis_url.as_str()),
    ];
    let args = ["--redis-prefix", cluster.prefix.as_str()];
    let refused = support::try_start_at(cluster.data.path(), Role::Lobby, &address, &args, &env);
    let error = format!(
        "{:#}",
        refused
            .await
            .err()
            .expect("a lobby without --lobby-reuse-port took a shared address")
    );
    assert!(error.contains("binding lobby"), "{error}");
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
    let gone = expiry_of(
        &cluster.redis_url,
        moonlight_rooms::directory::node_key(&cluster.prefix, &doomed),
    )
    .await;
    let (_, node) = cluster.nodes.remove(0);
    node.kill().await;
    // Its directory entry expires after three missed heartbeats: from then on, every
    // lobby sends its players elsewhere.
    gone.await;

    // Each player asks the lobby where the match is, as a client does after a drop.
    let mut moved = Vec::new();
    for player in [&luna, &sol] {
        let (_, status) = player.get("/v1/lobby/status").await;
        let play = status["match"].clone();
        assert_eq!(play["node_id"], "node-survivor", "{play}");
        moved.push(play);
    }
    let urls = seat_urls(&moved[0], &moved[1]);
    let mut duel = duel.resume([&urls[0], &urls[1]]).await;
    duel.finish().await;
    cluster.lobbies[0]
        .logged(&["match settled", a["room_id"].as_str().unwrap()])
        .await;
    assert_eq!((luna.games().await, sol.games().await), (1, 1));
    let db = cluster.db().await;
    assert_eq!(count(&db, "SELECT COUNT(*) FROM match_results").await, 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM rating_changes").await, 2);
    db.pool().close().await;
    cluster.stop().await;
}
