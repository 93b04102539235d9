//! A game-server node on a port-0 socket with a real store, and a real WebSocket client.

#![allow(dead_code)] // each test file uses a different part of this

use std::{net::SocketAddr, path::Path, sync::Arc};

use moonlight_auth::{SigningKeys, TokenIssuer};
use moonlight_common::{CancellationToken, Database, serve::serve, time::unix_now};
use moonlight_engine::{Content, ContentStore};
use moonlight_game_server::{
    GameConfig, GameServer, NodeContext,
    store::{PlayerRecord, RedisStore, RoomRecord, RoomStore, SqlStore},
    ticket::{self, TicketExtra},
};
use moonlight_proto::v1 as pb;
pub use moonlight_testkit::game_client::{Client, Duel, PATIENCE};
use moonlight_testkit::{DbKind, RedisServer, TestDatabase};

/// Which room store a test node uses.
#[derive(Debug, Clone, Copy)]
pub enum StoreKind {
    Embedded(DbKind),
    Redis,
}

pub fn content() -> Arc<ContentStore> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
    Arc::new(
        ContentStore::open(&dir)
            .unwrap_or_else(|report| panic!("shipped content is invalid:\n{report}")),
    )
}

pub struct TestNode {
    pub addr: SocketAddr,
    pub ctx: Arc<NodeContext>,
    pub issuer: TokenIssuer,
    pub db: Database,
    pub server: Arc<GameServer>,
    pub database: TestDatabase,
    shutdown: CancellationToken,
}

impl Drop for TestNode {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn spawn_node(kind: StoreKind, configure: impl FnOnce(&mut GameConfig)) -> TestNode {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    spawn_node_on(listener, kind, configure).await
}

/// A node whose sockets have tiny kernel send buffers (accepted sockets inherit the
/// listener's), so a client that stops reading backs up into the node's own queues at once.
pub async fn spawn_node_with_small_socket_buffers(
    kind: StoreKind,
    configure: impl FnOnce(&mut GameConfig),
) -> TestNode {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_send_buffer_size(4096).expect("SO_SNDBUF");
    socket
        .bind("127.0.0.1:0".parse().expect("address"))
        .expect("bind");
    spawn_node_on(socket.listen(1024).expect("listen"), kind, configure).await
}

async fn spawn_node_on(
    listener: tokio::net::TcpListener,
    kind: StoreKind,
    configure: impl FnOnce(&mut GameConfig),
) -> TestNode {
    moonlight_testkit::init_logs();
    let db_kind = match kind {
        StoreKind::Embedded(db) => db,
        // A Redis deployment has several nodes, so a shared PostgreSQL for results.
        StoreKind::Redis => DbKind::Postgres,
    };
    let database = TestDatabase::new(db_kind).await;
    let db = Database::connect(&database.url).await.expect("database");
    let store = match kind {
        StoreKind::Embedded(_) => RoomStore::Sql(SqlStore::new(db.clone())),
        StoreKind::Redis => RoomStore::Redis(
            RedisStore::connect(&moonlight_testkit::redis().url(), &RedisServer::namespace())
                .await
                .expect("redis"),
        ),
    };
    let mut config = GameConfig::default();
    configure(&mut config);
    let issuer = TokenIssuer::new(SigningKeys::ephemeral().expect("keys"));
    let server = Arc::new(GameServer::new(
        config,
        content(),
        store,
        db.clone(),
        issuer.verifier(),
    ));
    let addr = listener.local_addr().expect("address");
    let shutdown = CancellationToken::new();
    tokio::spawn(serve(listener, server.router(), shutdown.clone()));
    server.spawn_results_writer(shutdown.clone());
    TestNode {
        addr,
        ctx: Arc::clone(server.context()),
        issuer,
        db,
        server,
        shutdown,
        database,
    }
}

impl TestNode {
    /// Sets up a two-player room with starter decks, as the lobby will.
    pub async fn create_room(&self, room_id: &str, seed: u64) -> RoomRecord {
        let record = starter_room(&self.ctx.content.current(), room_id, seed);
        self.ctx
            .store
            .create_room(&record)
            .await
            .expect("room created");
        record
    }

    /// A practice room: `player-a` on seat 0 against a bot on seat 1, starter decks.
    pub async fn create_practice_room(&self, room_id: &str, seed: u64) -> RoomRecord {
        let mut record = starter_room(&self.ctx.content.current(), room_id, seed);
        record.players[1] = PlayerRecord::practice_bot("Moonbot");
        self.ctx
            .store
            .create_room(&record)
            .await
            .expect("room created");
        record
    }

    pub fn ticket(&self, room_id: &str, player_id: &str, seat: Option<u8>) -> String {
        let extra = TicketExtra {
            room: room_id.to_owned(),
            seat,
            node: self.ctx.config.node_id.clone(),
            name: player_id.to_owned(),
        };
        ticket::mint(&self.issuer, player_id, extra, unix_now()).expect("ticket")
    }

    pub fn play_url(&self, ticket: &str) -> String {
        format!("ws://{}/v1/play?ticket={ticket}", self.addr)
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

/// A two-player room with the first two starter decks (by id), as the lobby makes.
pub fn starter_room(content: &Content, room_id: &str, seed: u64) -> RoomRecord {
    // In id order.
    let decks: Vec<&str> = content.decks().map(|d| d.id.as_str()).collect();
    let seats = vec![
        (
            PlayerRecord {
                player_id: "player-a".into(),
                name: "Luna".into(),
                bot: false,
            },
            decks[0],
        ),
        (
            PlayerRecord {
                player_id: "player-b".into(),
                name: "Sol".into(),
                bot: false,
            },
            decks[1],
        ),
    ];
    RoomRecord::new(room_id, content, seats, seed, unix_now()).expect("starter decks exist")
}

/// Both seats of `room` joined and past the mulligan (both kept their hands).
pub struct Started {
    pub clients: [Client; 2],
    /// The seat whose turn it is.
    pub active: usize,
    /// The room's sequence number now.
    pub seq: u64,
    pub views: [pb::View; 2],
    pub legal: [Vec<pb::LegalAction>; 2],
}

pub async fn start_match(node: &TestNode, room: &str) -> Started {
    let mut duel = node.duel(room).await;
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
