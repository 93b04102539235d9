//! A whole deployment in one test process, on real sockets: auth, a lobby and a game-server
//! node sharing a real database (SQLite or PostgreSQL) and an in-process node directory.
//! Players are real HTTP clients with real accounts.

#![allow(dead_code)] // each test file uses a different part of this

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use moonlight_auth::{AuthConfig, AuthService, RateLimit};
use moonlight_common::{CancellationToken, Database, serve::serve};
use moonlight_engine::ContentStore;
use moonlight_game_server::{
    GameConfig, GameServer, NodeContext,
    store::{RoomStore, SqlStore},
};
use moonlight_lobby::{
    Lobby, LobbyConfig, LobbyService, NodeDirectory, NodeInfo, keep_registered, store::LobbyStore,
};
use moonlight_testkit::{DbKind, TestDatabase};
use tokio::net::TcpListener;

pub use moonlight_testkit::{
    game_client::{Duel, PATIENCE},
    lobby_client::{LobbyPlayer as Player, play_url, seat_urls},
};

pub struct Stack {
    pub auth: String,
    pub lobby_url: String,
    pub lobby: Arc<Lobby>,
    pub node: Arc<NodeContext>,
    pub db: Database,
    pub http: reqwest::Client,
    shutdown: CancellationToken,
    _background: tokio::task::JoinSet<()>,
    _database: TestDatabase,
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Test timings: matchmaking and wake-ups every few milliseconds; settling only when a
/// test asks (so it can watch exactly-once), unless it configures otherwise.
pub fn fast_lobby() -> LobbyConfig {
    LobbyConfig {
        match_interval: Duration::from_millis(20),
        wake_interval: Duration::from_millis(20),
        settle_interval: Duration::from_secs(3600),
        ..LobbyConfig::default()
    }
}

impl Stack {
    pub async fn start(
        kind: DbKind,
        lobby_config: LobbyConfig,
        configure_game: impl FnOnce(&mut GameConfig),
    ) -> Self {
        moonlight_testkit::init_logs();
        let database = TestDatabase::new(kind).await;
        let db = Database::connect(&database.url).await.expect("database");
        let shutdown = CancellationToken::new();
        let content = Arc::new(
            ContentStore::open(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../content"))
                .unwrap_or_else(|report| panic!("shipped content is invalid:\n{report}")),
        );

        let auth = AuthService::build(
            &AuthConfig {
                rate_limit: RateLimit {
                    per_minute: 10_000.try_into().expect("non-zero"),
                    burst: 10_000.try_into().expect("non-zero"),
                },
                ..AuthConfig::default()
            },
            db.clone(),
        )
        .await
        .expect("auth");
        let issuer = auth.issuer();
        let auth_addr = listen(auth.into_router(), &shutdown).await;

        // The tests' players act as fast as the machine goes: a whole game in a second
        // would trip the per-socket frame limit meant for people.
        let mut game_config = GameConfig {
            frames_per_second: 100_000,
            frame_burst: 100_000,
            ..GameConfig::default()
        };
        configure_game(&mut game_config);
        let rooms = RoomStore::Sql(SqlStore::new(db.clone()));
        let game = GameServer::new(
            game_config,
            Arc::clone(&content),
            rooms.clone(),
            db.clone(),
            issuer.verifier(),
        );
        let node = Arc::clone(game.context());
        let game_addr = listen(game.router(), &shutdown).await;
        game.spawn_results_writer(shutdown.clone());
        let directory = NodeDirectory::in_process();
        let describe = {
            let node = Arc::clone(&node);
            move || NodeInfo {
                id: node.config.node_id.clone(),
                url: format!("ws://{game_addr}/v1/play"),
                capacity: node.config.max_rooms,
                rooms: node.rooms.count(),
                heartbeat_ms: 0,
            }
        };
        // Registered before the lobby answers anyone.
        directory
            .heartbeat(&describe(), Duration::from_secs(3600))
            .await
            .expect("register the node");
        tokio::spawn(keep_registered(
            directory.clone(),
            describe,
            Duration::from_secs(600),
            shutdown.clone(),
        ));

        let service = LobbyService::new(moonlight_lobby::LobbyParts {
            config: lobby_config,
            db: db.clone(),
            rooms,
            directory,
            content,
            issuer,
        });
        let background = service.spawn_background(&shutdown);
        let lobby = Arc::clone(service.lobby());
        let lobby_addr = listen(service.router(), &shutdown).await;
        Self {
            auth: format!("http://{auth_addr}"),
            lobby_url: format!("http://{lobby_addr}"),
            lobby,
            node,
            db,
            http: reqwest::Client::new(),
            shutdown,
            _background: background,
            _database: database,
        }
    }

    /// A new account, logged in.
    pub async fn player(&self, name: &str) -> Player {
        Player::register(&self.http, &self.auth, &self.lobby_url, name).await
    }

    /// Settles every finished match the game server has recorded so far, as a lobby's
    /// background loop would; returns how many this call settled.
    pub async fn settle(&self) -> usize {
        self.lobby
            .records
            .settle_pending(100)
            .await
            .expect("settling")
    }

    /// Waits until the node's results writer has recorded `n` results.
    pub async fn results_recorded(&self, n: u64) {
        let mut progress = self.node.results_progress.subscribe();
        tokio::time::timeout(PATIENCE, progress.wait_for(|p| p.recorded >= n))
            .await
            .expect("results recorded in time")
            .expect("results writer alive");
    }

    pub fn lobby_store(&self) -> LobbyStore {
        LobbyStore::new(self.db.clone())
    }
}

async fn listen(router: axum::Router, shutdown: &CancellationToken) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(serve(listener, router, shutdown.clone()));
    addr
}
