//! A real game-server node in this process, for the frame targets: `GameServer` as the
//! binary builds it (the shipped content, the embedded SQLite room store, the node's
//! router), served by `axum::serve` over in-memory streams instead of TCP, and real
//! WebSocket clients (tokio-tungstenite) that hold room tickets signed with the fixed key.
//!
//! Each exchange starts a fresh node on the shared database, sets up one room as the lobby
//! does, connects its clients, sends the script, waits until the node has handed every
//! frame on (a sync ping per socket), then shuts the node down as the binary does on
//! SIGTERM (every room snapshots, every socket closes) so nothing carries over to the next
//! input. Everything runs on one current-thread runtime: one input at a time, in order.
//!
//! Frames reach the room in the script's order, across sockets too: before the script
//! moves to another socket, the harness pings the one it leaves and waits for the pong. A
//! connection answers a ping itself, after handing every frame read before it to the
//! room's mailbox, so the room takes them in the order sent, as it would from players who
//! each wait for the others' moves.

use std::{
    future::IntoFuture,
    io,
    num::NonZeroU32,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, MutexGuard, OnceLock},
    time::Duration,
};

use futures_util::{SinkExt, StreamExt, stream::SplitSink};
use moonlight_auth::TokenType;
use moonlight_common::{
    Database,
    time::{unix_now, unix_now_ms},
};
use moonlight_engine::{Content, ContentStore};
use moonlight_game_server::{GameConfig, GameServer};
use moonlight_proto::v1::{self as pb, client_frame};
use moonlight_rooms::{
    PlayerRecord, RoomRecord, RoomStore, SqlStore,
    ticket::{TICKET_TTL, TicketExtra},
};
use prost::Message as _;
use tokio::{io::DuplexStream, runtime::Runtime, sync::mpsc, task::JoinHandle, time::timeout};
use tokio_tungstenite::{WebSocketStream, client_async, tungstenite::Message};
use tower::ServiceExt as _;

use crate::{keys, shipped};

/// The node's id; the tickets name it.
pub(crate) const NODE_ID: &str = "fuzz-node";
/// Who sits in the two seats.
pub(crate) const PLAYERS: [&str; 2] = ["player-a", "player-b"];
/// The `Ping` nonce of the harness's syncs (see the module's documentation).
pub(crate) const SYNC: u64 = 0x6d6f_6f6e_6c69_6768;
/// The longest any step may take before it counts as a hang (a bug too).
const PATIENCE: Duration = Duration::from_secs(30);
/// Inputs between two clear-ups of the room tables.
const FORGET_EVERY: u64 = 128;
/// Each in-memory stream's buffer, each way.
const STREAM_BUFFER: usize = 64 * 1024;

/// The node's configuration: the defaults (as `moonlight game-server` with no flags has
/// them), but for its id.
pub(crate) fn config() -> &'static GameConfig {
    static CONFIG: OnceLock<GameConfig> = OnceLock::new();
    CONFIG.get_or_init(|| GameConfig {
        node_id: NODE_ID.to_owned(),
        ..GameConfig::default()
    })
}

/// Who a client is: a seat's player, or a spectator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Who {
    Seat(u8),
    Spectator,
}

/// A WebSocket message a client sends.
#[derive(Debug, Clone)]
pub(crate) enum Outgoing {
    Binary(Vec<u8>),
    Text(String),
}

/// What one client saw, in order.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// Every binary message the node sent, decoded.
    pub frames: Vec<pb::ServerFrame>,
    /// The close code the node sent, if it closed.
    pub close: Option<u16>,
    /// Whether the last sync's pong came back (the socket was still open after the
    /// script).
    pub barrier: bool,
}

/// An exchange with a fresh node: one room, its clients and what they send.
pub(crate) struct Exchange {
    /// Each seat's deck, by index into the shipped decks (wrapping).
    pub decks: [usize; 2],
    pub seed: u64,
    pub clients: Vec<Who>,
    /// Whether each client says `Hello` (protocol version 1) before the script.
    pub hello_first: bool,
    /// (client index, message), in order.
    pub script: Vec<(usize, Outgoing)>,
    /// Frames a socket may send at once (`--frame-burst`); `None`: the default.
    pub frame_burst: Option<NonZeroU32>,
}

pub(crate) struct Node {
    runtime: Runtime,
    content: Arc<ContentStore>,
    store: RoomStore,
    db: Database,
    rooms: u64,
    /// A node that only ever answers plain requests (see [`Node::get`]).
    http: Option<axum::Router>,
}

/// The shared node, one input at a time.
pub(crate) fn node() -> MutexGuard<'static, Node> {
    static NODE: OnceLock<Mutex<Node>> = OnceLock::new();
    NODE.get_or_init(|| Mutex::new(Node::open()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Node {
    fn open() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let dir = database_dir();
        let content = Arc::new(ContentStore::open(&shipped::content_dir()).expect("content"));
        let url = Database::sqlite_rooms_url_in(&dir);
        let (db, store) = runtime.block_on(async {
            let db = Database::connect(&url).await.expect("the room database");
            let store = SqlStore::open(&db).await.expect("the room store");
            (db, RoomStore::Sql(store))
        });
        Self {
            runtime,
            content,
            store,
            db,
            rooms: 0,
            http: None,
        }
    }

    /// Runs `exchange`; returns what each client saw.
    pub(crate) fn exchange(&mut self, exchange: &Exchange) -> Vec<Seen> {
        self.rooms += 1;
        let room_id = format!("fuzz-room-{}", self.rooms);
        let runtime = &self.runtime;
        runtime.block_on(self.run(&room_id, exchange))
    }

    async fn run(&self, room_id: &str, exchange: &Exchange) -> Vec<Seen> {
        // Every statement is a hand-off to SQLite's thread: clear up now and then only
        // (each input has a room of its own).
        if self.rooms % FORGET_EVERY == 1 {
            self.forget_rooms().await;
        }
        let record = room_record(
            room_id,
            &self.content.current(),
            exchange.decks,
            exchange.seed,
        );
        self.store.create_room(&record).await.expect("room created");
        let mut config = config().clone();
        if let Some(burst) = exchange.frame_burst {
            config.frame_burst = burst;
        }
        let server = GameServer::new(
            config,
            Arc::clone(&self.content),
            self.store.clone(),
            self.db.clone(),
            keys::verifier().clone(),
        );
        let (dial, incoming) = mpsc::unbounded_channel();
        let serving = tokio::spawn(axum::serve(Memory(incoming), server.router()).into_future());

        let mut sinks = Vec::new();
        let mut readers = Vec::new();
        for who in &exchange.clients {
            let (sink, reader) = connect(&dial, room_id, *who).await;
            sinks.push(sink);
            readers.push(reader);
        }
        for (i, sink) in sinks.iter_mut().enumerate() {
            if exchange.hello_first {
                send(sink, Outgoing::Binary(hello(i))).await;
            }
        }
        let mut last = None;
        for (i, message) in &exchange.script {
            if i >= &sinks.len() {
                continue;
            }
            if let Some(previous) = last
                && previous != *i
            {
                sync(&mut sinks[previous], &mut readers[previous]).await;
            }
            last = Some(*i);
            send(&mut sinks[*i], message.clone()).await;
        }
        let mut answered = Vec::new();
        for (sink, reader) in sinks.iter_mut().zip(&mut readers) {
            answered.push(sync(sink, reader).await);
        }
        timeout(PATIENCE, server.shutdown())
            .await
            .expect("the node shuts down in time");
        let mut seen = Vec::new();
        for (reader, answered) in readers.into_iter().zip(answered) {
            let result = timeout(PATIENCE, reader.task)
                .await
                .expect("every socket closes after the shutdown");
            let mut client = result.expect("the reader task");
            client.barrier = answered;
            seen.push(client);
        }
        drop(sinks);
        serving.abort();
        seen
    }

    /// The node's answer to a plain `GET uri` (no WebSocket upgrade): its status and
    /// error code. `None` if `uri` is not one.
    pub(crate) fn get(&mut self, uri: &str) -> Option<(u16, String)> {
        let request = axum::http::Request::get(uri)
            .body(axum::body::Body::empty())
            .ok()?;
        let router = self
            .http
            .get_or_insert_with(|| {
                GameServer::new(
                    config().clone(),
                    Arc::clone(&self.content),
                    self.store.clone(),
                    self.db.clone(),
                    keys::verifier().clone(),
                )
                .router()
            })
            .clone();
        self.runtime.block_on(async {
            let response = router
                .oneshot(request)
                .await
                .unwrap_or_else(|never| match never {});
            let status = response.status().as_u16();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .expect("the body");
            let json: serde_json::Value =
                serde_json::from_slice(&body).expect("every refusal is a JSON error body");
            let code = json["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            Some((status, code))
        })
    }

    /// Removes the rooms of earlier inputs (and anything a late snapshot left behind).
    async fn forget_rooms(&self) {
        for table in [
            "game_inputs",
            "game_snapshots",
            "pending_results",
            "game_rooms",
        ] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(self.db.pool())
                .await
                .expect("clearing the room tables");
        }
    }
}

/// A two-player room, as the lobby sets one up: each seat's deck by index into the
/// shipped decks (wrapping), a join deadline well ahead.
pub(crate) fn room_record(
    room_id: &str,
    content: &Content,
    decks: [usize; 2],
    seed: u64,
) -> RoomRecord {
    let ids = shipped::decks();
    let seats = PLAYERS
        .iter()
        .zip(decks)
        .map(|(player, deck)| {
            let deck = ids[deck % ids.len()].as_str();
            (PlayerRecord::human(player, player), deck)
        })
        .collect();
    RoomRecord::new(
        room_id,
        content,
        seats,
        seed,
        unix_now(),
        unix_now_ms() + 600_000,
    )
    .expect("shipped decks")
}

/// The node's listener: streams handed over by [`connect`].
struct Memory(mpsc::UnboundedReceiver<DuplexStream>);

impl axum::serve::Listener for Memory {
    type Io = DuplexStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.0.recv().await {
            Some(stream) => (stream, ([127, 0, 0, 1], 0).into()),
            // Nobody dials any more: wait to be aborted.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(([127, 0, 0, 1], 0).into())
    }
}

type Sink = SplitSink<WebSocketStream<DuplexStream>, Message>;

/// A client's reading half: a task collecting what it sees, and the syncs' pongs.
struct Reader {
    task: JoinHandle<Seen>,
    pongs: mpsc::UnboundedReceiver<()>,
}

/// Opens `who`'s game socket on the node behind `dial`, with a fresh ticket.
async fn connect(
    dial: &mpsc::UnboundedSender<DuplexStream>,
    room_id: &str,
    who: Who,
) -> (Sink, Reader) {
    let (player, seat) = match who {
        Who::Seat(seat) => (PLAYERS[usize::from(seat) % 2], Some(seat)),
        Who::Spectator => ("spectator", None),
    };
    let extra = TicketExtra {
        room: room_id.to_owned(),
        seat,
        node: NODE_ID.to_owned(),
        name: player.to_owned(),
        full_view: false,
    };
    let ticket = keys::issuer()
        .issue(player, TokenType::RoomTicket, unix_now(), TICKET_TTL, extra)
        .expect("ticket");
    let (client, server) = tokio::io::duplex(STREAM_BUFFER);
    dial.send(server).expect("the node listens");
    let url = format!("ws://{NODE_ID}/v1/play?ticket={ticket}");
    let (socket, _) = timeout(PATIENCE, client_async(url, client))
        .await
        .expect("upgraded in time")
        .expect("the node upgrades a valid ticket's socket");
    let (sink, mut stream) = socket.split();
    let (pong, pongs) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut seen = Seen::default();
        while let Some(Ok(message)) = stream.next().await {
            match message {
                Message::Binary(bytes) => {
                    let frame = pb::ServerFrame::decode(bytes.as_ref())
                        .expect("every frame the node sends decodes");
                    if let Some(pb::server_frame::Body::Pong(answer)) = &frame.body
                        && answer.nonce == SYNC
                    {
                        let _ = pong.send(());
                    }
                    seen.frames.push(frame);
                }
                Message::Close(close) => {
                    seen.close = Some(close.map_or(1005, |c| u16::from(c.code)));
                }
                Message::Text(text) => panic!("the node sent a text message: {text}"),
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
        seen
    });
    (sink, Reader { task, pongs })
}

/// Pings the node on `sink` and waits for the pong: then every frame sent before is in the
/// room's mailbox. `false` if the socket closed instead.
async fn sync(sink: &mut Sink, reader: &mut Reader) -> bool {
    send(sink, Outgoing::Binary(ping(SYNC))).await;
    timeout(PATIENCE, reader.pongs.recv())
        .await
        .expect("the node answers a ping, or closes the socket, in time")
        .is_some()
}

/// Sends `message`; a socket the node closed already refuses it, which is fine.
async fn send(sink: &mut Sink, message: Outgoing) {
    let message = match message {
        Outgoing::Binary(bytes) => Message::Binary(bytes.into()),
        Outgoing::Text(text) => Message::Text(text.into()),
    };
    let _ = timeout(PATIENCE, sink.send(message))
        .await
        .expect("the node reads what it is sent");
}

/// A `Hello` in protocol version 1; every other client asks for view deltas.
pub(crate) fn hello(client: usize) -> Vec<u8> {
    pb::ClientFrame {
        body: Some(client_frame::Body::Hello(pb::Hello {
            protocol_version: pb::ProtocolVersion::ProtocolVersion1.into(),
            client_name: format!("fuzz-{client}"),
            view_deltas: client.is_multiple_of(2),
        })),
    }
    .encode_to_vec()
}

fn ping(nonce: u64) -> Vec<u8> {
    pb::ClientFrame {
        body: Some(client_frame::Body::Ping(pb::Ping { nonce })),
    }
    .encode_to_vec()
}

/// Where the node's SQLite files live: a file (the store has a connection of its own besides
/// the pool), in memory where there is `/dev/shm`. The node is a static that is never dropped
/// (libFuzzer ends with `exit`), so the directory is named by the process id and the ones
/// of processes that are gone are removed here instead.
fn database_dir() -> PathBuf {
    const PREFIX: &str = "moonlight-fuzz-node-";
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    if let Ok(entries) = std::fs::read_dir(&base) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
                continue;
            };
            if !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = base.join(format!("{PREFIX}{}", std::process::id()));
    // A directory left by an earlier process with this id: nothing of it is wanted.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a directory for the node's database");
    dir
}
