//! A game-server node on a port-0 socket with a real store, and a real WebSocket client.

#![allow(dead_code)] // each test file uses a different part of this

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use futures_util::{SinkExt, StreamExt};
use moonlight_auth::{SigningKeys, TokenIssuer};
use moonlight_common::{CancellationToken, Database, serve::serve, time::unix_now};
use moonlight_engine::{Content, GameSetup, SeatSetup};
use moonlight_game_server::{
    GameConfig, GameServer, NodeContext,
    store::{PlayerRecord, RedisStore, RoomRecord, RoomStore, SqlStore},
    ticket::{self, TicketExtra},
};
use moonlight_proto::v1::{self as pb, client_frame, server_frame::Body};
use moonlight_testkit::{DbKind, RedisServer, TestDatabase};
use prost::Message as _;
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message};

/// Which room store a test node uses.
#[derive(Debug, Clone, Copy)]
pub enum StoreKind {
    Embedded(DbKind),
    Redis,
}

pub fn content() -> Arc<Content> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
    Arc::new(
        Content::load(&dir)
            .unwrap_or_else(|report| panic!("shipped content is invalid:\n{report}")),
    )
}

pub struct TestNode {
    pub addr: SocketAddr,
    pub ctx: Arc<NodeContext>,
    pub issuer: TokenIssuer,
    pub db: Database,
    pub server: Arc<GameServer>,
    shutdown: CancellationToken,
    _database: TestDatabase,
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
        StoreKind::Redis => DbKind::Sqlite,
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
        _database: database,
    }
}

impl TestNode {
    /// Sets up a two-player room with starter decks, as the lobby will.
    pub async fn create_room(&self, room_id: &str, seed: u64) -> RoomRecord {
        let content = &self.ctx.content;
        let mut decks: Vec<String> = content.decks().map(|d| d.id.clone()).collect();
        decks.sort();
        let seats = (0..2u8)
            .map(|team| SeatSetup {
                deck: content.deck_list(&decks[usize::from(team)]).expect("deck"),
                team,
            })
            .collect();
        let record = RoomRecord {
            room_id: room_id.to_owned(),
            content_version: content.version().to_owned(),
            setup: GameSetup { seats, seed },
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
            created_at: unix_now(),
        };
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

/// Bound on any single wait for the server, so a broken server fails instead of hanging.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub next_client_seq: u64,
    /// The room sequence number of the last update seen.
    pub last_seq: u64,
}

impl Client {
    /// A client whose socket has a tiny receive buffer: once it stops reading, the server
    /// notices after a few frames.
    pub async fn connect_with_small_buffer(addr: SocketAddr, url: &str) -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(1024).expect("SO_RCVBUF");
        let stream = socket.connect(addr).await.expect("connect");
        let (ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
            .await
            .expect("websocket handshake");
        Self {
            ws,
            next_client_seq: 1,
            last_seq: 0,
        }
    }

    pub async fn connect(url: &str) -> Self {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connect");
        Self {
            ws,
            next_client_seq: 1,
            last_seq: 0,
        }
    }

    pub async fn send(&mut self, body: client_frame::Body) {
        let frame = pb::ClientFrame { body: Some(body) };
        self.ws
            .send(Message::Binary(frame.encode_to_vec().into()))
            .await
            .expect("send");
    }

    pub async fn hello(&mut self) {
        self.send(client_frame::Body::Hello(pb::Hello {
            protocol_version: pb::ProtocolVersion::ProtocolVersion1.into(),
            client_name: "test".into(),
        }))
        .await;
    }

    /// The next server frame (pings and pongs skipped); `None` once the socket closed.
    pub async fn next(&mut self) -> Option<Body> {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("a frame in time")?;
            match message {
                Ok(Message::Binary(bytes)) => {
                    let body = pb::ServerFrame::decode(bytes.as_ref())
                        .expect("a ServerFrame")
                        .body
                        .expect("a body");
                    if let Body::Update(update) = &body {
                        self.last_seq = update.seq;
                    }
                    if let Body::Welcome(welcome) = &body {
                        self.last_seq = welcome.seq;
                    }
                    return Some(body);
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// The close code the server ended the socket with.
    pub async fn close_code(&mut self) -> Option<u16> {
        loop {
            match tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("a frame in time")
            {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    }

    pub async fn welcome(&mut self) -> pb::Welcome {
        match self.next().await {
            Some(Body::Welcome(welcome)) => welcome,
            other => panic!("expected a welcome, got {other:?}"),
        }
    }

    /// Sends an action with the next client sequence number; returns that number.
    pub async fn act(&mut self, kind: pb::action::Kind) -> u64 {
        let client_seq = self.next_client_seq;
        self.next_client_seq += 1;
        self.send(client_frame::Body::Action(pb::Action {
            client_seq,
            kind: Some(kind),
        }))
        .await;
        client_seq
    }
}

/// A legal action as the `Action` frame kind that performs it (concede excluded).
pub fn as_action(legal: &pb::LegalAction) -> Option<pb::action::Kind> {
    use pb::legal_action::Kind;
    match legal.kind.as_ref()? {
        Kind::PlayCard(p) => Some(pb::action::Kind::PlayCard(*p)),
        Kind::Attack(a) => Some(pb::action::Kind::Attack(*a)),
        Kind::EndTurn(e) => Some(pb::action::Kind::EndTurn(*e)),
        Kind::Mulligan(m) => Some(pb::action::Kind::Mulligan(m.clone())),
        Kind::Concede(_) => None,
    }
}

/// A simple aggressive policy: keep the opening hand, then attack the enemy hero if
/// possible, else play a card, else attack anything, else end the turn. Keeps test
/// matches short. `None` when the seat has nothing to do (e.g. waiting for a mulligan).
pub fn choose(view: &pb::View, legal: &[pb::LegalAction], me: u32) -> Option<pb::action::Kind> {
    let enemy_hero = view.seats.iter().find(|s| s.seat != me).map(|s| s.hero);
    let actions: Vec<pb::action::Kind> = legal.iter().filter_map(as_action).collect();
    if actions
        .iter()
        .any(|a| matches!(a, pb::action::Kind::Mulligan(_)))
    {
        return Some(pb::action::Kind::Mulligan(pb::Mulligan {
            replace: Vec::new(),
        }));
    }
    if actions.is_empty() {
        return None;
    }
    let hero_attack = actions
        .iter()
        .find(|a| matches!(a, pb::action::Kind::Attack(x) if Some(x.target) == enemy_hero));
    let play = actions
        .iter()
        .find(|a| matches!(a, pb::action::Kind::PlayCard(_)));
    let attack = actions
        .iter()
        .find(|a| matches!(a, pb::action::Kind::Attack(_)));
    Some(
        hero_attack
            .or(play)
            .or(attack)
            .cloned()
            .unwrap_or(pb::action::Kind::EndTurn(pb::EndTurn {})),
    )
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
    let (a, _) = node.join(room, 0).await;
    let (b, _) = node.join(room, 1).await;
    let mut clients = [a, b];
    for client in &mut clients {
        client
            .act(pb::action::Kind::Mulligan(pb::Mulligan {
                replace: Vec::new(),
            }))
            .await;
    }
    let mut views = Vec::new();
    let mut legal = Vec::new();
    for client in &mut clients {
        loop {
            if let Some(Body::Update(update)) = client.next().await
                && update.seq == 2
            {
                views.push(update.view.expect("a view"));
                legal.push(update.legal_actions);
                break;
            }
        }
    }
    let active = views[0].active_seat as usize;
    let views: [pb::View; 2] = views.try_into().expect("two views");
    let legal: [Vec<pb::LegalAction>; 2] = legal.try_into().expect("two action lists");
    Started {
        clients,
        active,
        seq: 2,
        views,
        legal,
    }
}
