//! `spawn_app`: the real [`Application`], built by the same entry point `main` uses, in
//! this test process: its own fresh database (SQLite or PostgreSQL) and data directory,
//! every listener on port 0, and typed handles on what the tests look at.

#![allow(dead_code)] // each test module uses a different part of this

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use moonlight::{Application, Config, Roles};
use moonlight_auth::{AuthConfig, RateLimit, TokenIssuer};
use moonlight_common::{
    CancellationToken, Database,
    time::{unix_now, unix_now_ms},
};
use moonlight_engine::{Content, Level};
use moonlight_game_server::{GameConfig, GameServer};
use moonlight_lobby::{Lobby, LobbyConfig, store::LobbyStore};
use moonlight_proto::v1 as pb;
use moonlight_rooms::{
    PlayerRecord, RoomRecord,
    ticket::{self, TicketExtra},
};
use moonlight_testkit::{DbKind, RedisServer, TestDatabase};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;

pub use moonlight_testkit::{
    clock::Frozen,
    game_client::{Client, Duel, PATIENCE},
    lobby_client::{LobbyPlayer as Player, play_url, seat_urls},
};

/// Where a test app keeps its rooms.
#[derive(Debug, Clone, Copy)]
pub enum StoreKind {
    /// The embedded store, in the database of this kind (`rooms.db` beside the main
    /// SQLite file, or the same PostgreSQL database), as `moonlight` runs it.
    Embedded(DbKind),
    /// This test process's private Redis (and PostgreSQL for results, as a deployment of
    /// several nodes has).
    Redis,
}

/// A running application and handles on its parts.
pub struct TestApp {
    pub db: Database,
    /// The prefix of this app's Redis keys, when its rooms are in Redis.
    pub redis_prefix: Option<String>,
    pub issuer: TokenIssuer,
    pub client: reqwest::Client,
    pub keys_dir: PathBuf,
    auth: Option<SocketAddr>,
    lobby_addr: Option<SocketAddr>,
    game_addr: Option<SocketAddr>,
    lobby: Option<Arc<Lobby>>,
    game: Option<GameServer>,
    stop: CancellationToken,
    _database: TestDatabase,
    _data: TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Builds and starts the application with `roles` on a fresh database of `kind`, after
/// `configure` has its say. Auth runs in every test app (its keys sign the tickets).
pub async fn spawn_app(
    store: StoreKind,
    roles: Roles,
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    moonlight_testkit::init_logs();
    let kind = match store {
        StoreKind::Embedded(kind) => kind,
        StoreKind::Redis => DbKind::Postgres,
    };
    let database = TestDatabase::new(kind).await;
    let data = tempfile::tempdir().expect("a data directory");
    let mut config = Config {
        roles: Roles {
            auth: true,
            ..roles
        },
        ..Config::default()
    };
    config.process.data_dir = data.path().to_owned();
    config.process.database_url = Some(database.url.clone());
    config.shared.content_dir = content_dir();
    if matches!(store, StoreKind::Redis) {
        config.shared.redis_url = Some(moonlight_testkit::redis().url());
        config.shared.redis_prefix = RedisServer::namespace();
    }
    let any = "127.0.0.1:0".parse().expect("an address");
    config.auth.addr = any;
    config.lobby.addr = any;
    config.game.addr = any;
    // The tests' players sign in by the hundred from one address, and play as fast as
    // the machine goes: limits meant for people would trip.
    config.auth.rate_limit.per_minute = 100_000.try_into().expect("non-zero");
    config.auth.rate_limit.burst = 100_000.try_into().expect("non-zero");
    config.lobby.admin_rate_limit = config.auth.rate_limit;
    config.game.frames_per_second = 100_000.try_into().expect("non-zero");
    config.game.frame_burst = 100_000.try_into().expect("non-zero");
    configure(&mut config);

    let app = Application::build(config.clone())
        .await
        .expect("building the application");
    let stop = CancellationToken::new();
    let test_app = TestApp {
        db: app.database().clone(),
        redis_prefix: config
            .shared
            .redis_url
            .is_some()
            .then(|| config.shared.redis_prefix.clone()),
        issuer: app.issuer().expect("auth runs in every test app").clone(),
        client: reqwest::Client::new(),
        keys_dir: config.keys_dir(),
        auth: app.address("auth"),
        lobby_addr: app.address("lobby"),
        game_addr: app.address("game-server"),
        lobby: app.lobby().cloned(),
        game: app.game_server().cloned(),
        stop: stop.clone(),
        _database: database,
        _data: data,
    };
    tokio::spawn(app.run_until_stopped(stop.cancelled_owned()));
    test_app
}

/// The OpenAPI document the service at `base` (`http://host:port`) serves.
pub async fn openapi(base: &str) -> Value {
    reqwest::get(format!("{base}/openapi.json"))
        .await
        .expect("the document answers")
        .json()
        .await
        .expect("the document is JSON")
}

/// The shipped content's directory.
pub fn content_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("content")
}

/// The shipped content, as the test app loads it.
pub fn shipped_content() -> Arc<Content> {
    Arc::new(Content::load(&content_dir()).unwrap_or_else(|report| panic!("{report}")))
}

/// Lobby timings for tests: matchmaking and wake-ups every few milliseconds; settling only
/// when a test asks (so it can watch exactly-once), unless it configures otherwise.
pub fn fast_lobby(config: &mut LobbyConfig) {
    config.match_interval = Duration::from_millis(20);
    config.wake_interval = Duration::from_millis(20);
    config.settle_interval = Duration::from_secs(3600);
}

// ----- auth -----

impl TestApp {
    /// Auth alone, with `configure` applied to its settings.
    pub async fn auth(kind: DbKind, configure: impl FnOnce(&mut AuthConfig)) -> Self {
        spawn_app(StoreKind::Embedded(kind), Roles::AUTH, |config| {
            // The limits as operators get them, unless the test says otherwise.
            config.auth.rate_limit = RateLimit::default();
            configure(&mut config.auth)
        })
        .await
    }

    /// A URL on the auth service.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.auth.expect("auth runs"))
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("sending")
    }

    pub async fn register(&self, username: &str, password: &str) -> Response {
        self.post(
            "/v1/auth/register",
            json!({"username": username, "password": password}),
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post(
            "/v1/auth/login",
            json!({"username": username, "password": password}),
        )
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post("/v1/auth/refresh", json!({"refresh_token": refresh_token}))
            .await
    }

    pub async fn me(&self, access_token: &str) -> Response {
        self.client
            .get(self.url("/v1/auth/me"))
            .bearer_auth(access_token)
            .send()
            .await
            .expect("sending")
    }

    /// Registers `username` and returns the token response.
    pub async fn registered(&self, username: &str) -> Value {
        let response = self.register(username, "correct horse battery").await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("token JSON")
    }
}

/// Asserts the status and the standard error body's code; returns the body.
pub async fn assert_error(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    let body: Value = response.json().await.expect("an error body in JSON");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

// ----- lobby -----

impl TestApp {
    /// Every role on a fresh database of `kind`, the lobby as `lobby` says, the game
    /// server as `game` says.
    pub async fn stack(
        kind: DbKind,
        lobby: impl FnOnce(&mut LobbyConfig),
        game: impl FnOnce(&mut GameConfig),
    ) -> Self {
        Self::stack_on(StoreKind::Embedded(kind), lobby, game).await
    }

    /// [`TestApp::stack`], its rooms in `store`.
    pub async fn stack_on(
        store: StoreKind,
        lobby: impl FnOnce(&mut LobbyConfig),
        game: impl FnOnce(&mut GameConfig),
    ) -> Self {
        spawn_app(store, Roles::ALL, |config| {
            lobby(&mut config.lobby);
            game(&mut config.game);
        })
        .await
    }

    /// Auth and a lobby, no game server (so rooms and the directory are in Redis): the
    /// test plays the node's part (a node in the directory, rooms it finishes) with the
    /// lobby's own handles.
    pub async fn lobby_only(lobby: impl FnOnce(&mut LobbyConfig)) -> Self {
        spawn_app(StoreKind::Redis, Roles::LOBBY, |config| {
            lobby(&mut config.lobby)
        })
        .await
    }

    /// Two new players in a private match (its room created, nobody connected yet); their
    /// `match` parts, in seat order.
    pub async fn private_match(&self, host: &str, guest: &str) -> (Player, Player, [Value; 2]) {
        let host = self.player(host).await;
        let guest = self.player(guest).await;
        let (status, opened) = host
            .post("/v1/lobby/rooms", json!({"deck": "dusk_starter"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{opened}");
        let code = opened["room"]["code"].as_str().expect("a code");
        let (status, joined) = guest
            .post(
                "/v1/lobby/rooms/join",
                json!({"code": code, "deck": "tide_starter"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{joined}");
        let (_, hosting) = host.get("/v1/lobby/status").await;
        let plays = [hosting["match"].clone(), joined["match"].clone()];
        (host, guest, plays)
    }

    pub fn lobby(&self) -> &Arc<Lobby> {
        self.lobby.as_ref().expect("a lobby runs")
    }

    pub fn lobby_url(&self) -> String {
        format!("http://{}", self.lobby_addr.expect("a lobby runs"))
    }

    /// A new account, logged in.
    pub async fn player(&self, name: &str) -> Player {
        Player::register(&self.url(""), &self.lobby_url(), name).await
    }

    /// Settles every finished match the game server has recorded so far, as a lobby's
    /// background loop would; returns how many this call settled.
    pub async fn settle(&self) -> usize {
        self.lobby()
            .records
            .settle_pending(100)
            .await
            .expect("settling")
    }

    /// Waits until the node's results writer has recorded `n` results.
    pub async fn results_recorded(&self, n: u64) {
        let mut progress = self.game().results_progress();
        tokio::time::timeout(PATIENCE, progress.wait_for(|p| p.recorded >= n))
            .await
            .expect("results recorded in time")
            .expect("results writer alive");
    }

    pub fn lobby_store(&self) -> LobbyStore {
        LobbyStore::new(self.db.clone())
    }
}

// ----- game server -----

impl TestApp {
    /// Auth and a game-server node (rooms set up by the test, as the lobby would), its
    /// rooms in `store`.
    pub async fn node(store: StoreKind, configure: impl FnOnce(&mut GameConfig)) -> Self {
        spawn_app(store, Roles::GAME, |config| configure(&mut config.game)).await
    }

    /// The URL of this app's test database.
    pub fn database_url(&self) -> &str {
        &self._database.url
    }

    pub fn game(&self) -> &GameServer {
        self.game.as_ref().expect("a game server runs")
    }

    pub fn game_addr(&self) -> SocketAddr {
        self.game_addr.expect("a game server runs")
    }

    /// Sets up a two-player room with starter decks, as the lobby will.
    pub async fn create_room(&self, room_id: &str, seed: u64) -> RoomRecord {
        let record = starter_room(&self.game().content().current(), room_id, seed);
        self.game()
            .store()
            .create_room(&record)
            .await
            .expect("room created");
        record
    }

    /// A practice room: `player-a` on seat 0 against a bot at `level` on seat 1, starter
    /// decks.
    pub async fn create_practice_room(&self, room_id: &str, seed: u64, level: Level) -> RoomRecord {
        let mut record = starter_room(&self.game().content().current(), room_id, seed);
        record.players[1] = PlayerRecord::practice_bot("Moonbot", level);
        self.game()
            .store()
            .create_room(&record)
            .await
            .expect("room created");
        record
    }

    pub fn ticket(&self, room_id: &str, player_id: &str, seat: Option<u8>) -> String {
        let extra = TicketExtra {
            room: room_id.to_owned(),
            seat,
            node: self.game().config().node_id.clone(),
            name: player_id.to_owned(),
            full_view: false,
        };
        ticket::mint(&self.issuer, player_id, extra, unix_now()).expect("ticket")
    }

    pub fn play_url(&self, ticket: &str) -> String {
        format!("ws://{}/v1/play?ticket={ticket}", self.game_addr())
    }

    /// Both seats of `room_id` joined, as a [`Duel`].
    pub async fn duel(&self, room_id: &str) -> Duel {
        let urls = ["player-a", "player-b"]
            .into_iter()
            .zip(0u8..)
            .map(|(player, seat)| self.play_url(&self.ticket(room_id, player, Some(seat))));
        let [a, b]: [String; 2] = urls.collect::<Vec<_>>().try_into().expect("two seats");
        Duel::join([&a, &b]).await
    }

    /// Connects seat `seat` of `room_id` and says hello; returns the client and its welcome.
    pub async fn join(&self, room_id: &str, seat: u8) -> (Client, pb::Welcome) {
        let player = ["player-a", "player-b"][usize::from(seat)];
        let mut client =
            Client::connect(&self.play_url(&self.ticket(room_id, player, Some(seat)))).await;
        client.hello().await;
        let welcome = client.welcome().await;
        (client, welcome)
    }
}

/// How long the players of a room set up by [`starter_room`] have to connect.
pub const JOIN_WINDOW: Duration = Duration::from_secs(30);

/// A two-player room with the first two starter decks (by id), as the lobby makes.
pub fn starter_room(content: &Content, room_id: &str, seed: u64) -> RoomRecord {
    let decks: Vec<&str> = content.decks().map(|d| d.id.as_str()).collect();
    let seats = vec![
        (PlayerRecord::human("player-a", "Luna"), decks[0]),
        (PlayerRecord::human("player-b", "Sol"), decks[1]),
    ];
    let join_by_ms = unix_now_ms() + i64::try_from(JOIN_WINDOW.as_millis()).expect("ms");
    RoomRecord::new(room_id, content, seats, seed, unix_now(), join_by_ms)
        .expect("starter decks exist")
}

/// Both seats of a room joined and past the mulligan (both kept their hands).
pub struct Started {
    pub clients: [Client; 2],
    /// The seat whose turn it is.
    pub active: usize,
    /// The room's sequence number now.
    pub seq: u64,
    pub views: [pb::View; 2],
    pub legal: [Vec<pb::LegalAction>; 2],
}

pub async fn start_match(app: &TestApp, room: &str) -> Started {
    let mut duel = app.duel(room).await;
    // Both seats keep their opening hands.
    duel.step().await;
    duel.step().await;
    let Duel {
        clients,
        views,
        legal,
        seq,
        ..
    } = duel;
    Started {
        active: views[0].active_seat as usize,
        clients,
        seq,
        views,
        legal,
    }
}

/// Moves a frozen clock (see [`Frozen`]) on by `by`, then lets the tasks its timers woke
/// take their turn.
pub async fn advance(by: Duration) {
    tokio::time::advance(by).await;
    for _ in 0..16 {
        tokio::task::yield_now().await;
    }
}

/// Plays the seat `url` admits to against a practice bot, on a frozen clock, with the
/// simple policy, from the hello to the game over; returns the outcome. Whenever the game
/// waits for the bot, the clock moves on by the bot's longest think time, which makes the
/// bot take exactly one action.
pub async fn play_against_bot(url: &str, config: &GameConfig) -> pb::Outcome {
    use moonlight_client::policy::choose;
    use pb::server_frame::Body;

    let mut client = Client::connect(url).await;
    client.hello().await;
    let welcome = client.welcome().await;
    let me = welcome.seat.expect("a seated ticket");
    client.next_client_seq = welcome.last_client_seq + 1;
    let mut view = welcome.view.expect("a welcome carries the view");
    let mut legal = welcome.legal_actions;
    let mut in_flight = None;
    loop {
        if in_flight.is_none() {
            match choose(&view, &legal, me) {
                Some(action) => in_flight = Some(client.act(action).await),
                None => advance(config.bot_think.1).await,
            }
        }
        match client.next_seen_by(me as usize).await {
            Body::Update(update) => {
                if update.acked_client_seq.is_some() {
                    assert_eq!(update.acked_client_seq, in_flight);
                    in_flight = None;
                }
                view = update.view.expect("live updates carry the view");
                legal = update.legal_actions;
            }
            Body::GameOver(over) => return over.outcome.expect("an outcome"),
            Body::ActionRejected(rejected) => panic!("a legal action was refused: {rejected:?}"),
            _ => {}
        }
    }
}
