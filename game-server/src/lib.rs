//! A Moonlight game-server node: the WebSocket gateway (`GET /v1/play?ticket=…`), one actor
//! per room, the durable input log and snapshots, recovery, and match results.
//!
//! How rooms map onto threads: each room is one tokio task (its actor) on the shared
//! multi-threaded runtime. A room only wakes for a message or a timer and does microseconds
//! of work per input, so thousands of rooms share the cores without a thread each, and an
//! idle room costs only its memory. The rules never run under a lock: only the room's own
//! task touches its game.

pub mod config;
mod connection;
pub mod registry;
pub mod results;
mod room;
pub mod store;
pub mod ticket;
pub mod wire;

use std::sync::Arc;

use axum::{
    Router,
    extract::{
        Query, State,
        ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection},
    },
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use moonlight_auth::TokenVerifier;
use moonlight_common::{
    CancellationToken, Database,
    http::{ReadinessCheck, error_response, standard_service},
};
use moonlight_engine::{ContentStore, Seat};
use serde::Deserialize;
use tokio::sync::{Notify, Semaphore};

pub use config::GameConfig;
pub use room::close;

use crate::{
    connection::Admission,
    registry::{OpenError, Rooms},
    store::RoomStore,
};

/// Initial read and write buffer of each game socket.
const SOCKET_BUFFER_BYTES: usize = 4 * 1024;

/// What every room and connection of this node shares.
pub struct NodeContext {
    pub config: GameConfig,
    pub store: RoomStore,
    /// The content new rooms use, and every version loaded since start-up.
    pub content: Arc<ContentStore>,
    pub rooms: Rooms,
    /// Wakes the results writer when a result enters the outbox.
    pub results: Arc<Notify>,
    /// What this node's results writer has done so far (watchable, e.g. by tests).
    pub results_progress: tokio::sync::watch::Sender<results::Progress>,
    verifier: TokenVerifier,
    connections: Arc<Semaphore>,
}

/// A game-server node, built and ready to serve.
pub struct GameServer {
    ctx: Arc<NodeContext>,
    db: Database,
}

impl GameServer {
    pub fn new(
        config: GameConfig,
        content: Arc<ContentStore>,
        store: RoomStore,
        db: Database,
        verifier: TokenVerifier,
    ) -> Self {
        let connections = Arc::new(Semaphore::new(config.max_connections));
        let ctx = Arc::new(NodeContext {
            config,
            store,
            content,
            rooms: Rooms::default(),
            results: Arc::new(Notify::new()),
            results_progress: tokio::sync::watch::Sender::default(),
            verifier,
            connections,
        });
        Self { ctx, db }
    }

    pub fn context(&self) -> &Arc<NodeContext> {
        &self.ctx
    }

    /// The node's HTTP routes: the play socket plus the standard service routes.
    pub fn router(&self) -> Router {
        let routes = Router::new()
            .route("/v1/play", get(play))
            .with_state(Arc::clone(&self.ctx));
        let db = self.db.clone();
        let ready: ReadinessCheck = Arc::new(move || {
            let db = db.clone();
            Box::pin(async move { db.is_ready().await })
        });
        standard_service("game-server", routes, ready)
    }

    /// Runs the results writer until `shutdown`.
    pub fn spawn_results_writer(&self, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(results::run(
            Arc::clone(&self.ctx),
            self.db.clone(),
            shutdown,
        ))
    }

    /// Snapshots every room, tells its players to reconnect, and stops the rooms.
    pub async fn shutdown(&self) {
        self.ctx.rooms.shutdown_all().await;
    }
}

#[derive(Debug, Deserialize)]
struct PlayQuery {
    ticket: Option<String>,
}

/// `GET /v1/play?ticket=…`: checks everything that can be checked before a socket exists
/// (origin, ticket, node, capacity, room), then upgrades.
async fn play(
    State(ctx): State<Arc<NodeContext>>,
    Query(query): Query<PlayQuery>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok())
        && !ctx.config.allowed_origins.is_empty()
        && !ctx
            .config
            .allowed_origins
            .iter()
            .any(|allowed| allowed == origin)
    {
        return error_response(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "this origin may not connect",
        );
    }
    let Some(ticket) = query.ticket else {
        return error_response(
            StatusCode::UNAUTHORIZED,
            "missing_ticket",
            "a room ticket is required",
        );
    };
    let ticket = match ticket::verify(&ctx.verifier, &ticket) {
        Ok(ticket) => ticket,
        Err(error) => {
            tracing::debug!(%error, "ticket refused");
            return error_response(
                StatusCode::UNAUTHORIZED,
                "invalid_ticket",
                "the room ticket is invalid or expired",
            );
        }
    };
    if ticket.extra.node != ctx.config.node_id {
        return error_response(
            StatusCode::FORBIDDEN,
            "wrong_node",
            "this ticket is for another node",
        );
    }
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let Ok(permit) = Arc::clone(&ctx.connections).try_acquire_owned() else {
        return error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "node_full",
            "this node has no room for more connections",
        );
    };
    let room = match Rooms::open(&ctx, &ticket.extra.room).await {
        Ok(room) => room,
        Err(OpenError::UnknownRoom) => {
            return error_response(StatusCode::NOT_FOUND, "unknown_room", "no such room");
        }
        Err(OpenError::ShuttingDown) => {
            return error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                "this node is shutting down; ask the lobby where to play",
            );
        }
        Err(OpenError::NodeFull) => {
            return error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "node_full",
                "this node has no room for more rooms",
            );
        }
        Err(error) => {
            tracing::error!(room = %ticket.extra.room, %error, "could not open room");
            return error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "room_unavailable",
                "the room cannot be opened now",
            );
        }
    };
    let admission = Admission {
        player_id: ticket.sub.clone(),
        seat: ticket.extra.seat.map(Seat),
        room,
    };
    let frame_limit = ctx.config.max_frame_bytes;
    // Small socket buffers: our frames are a few hundred bytes, and tungstenite's 128 KiB
    // defaults would cost a quarter of a megabyte per connection. Both grow if needed.
    upgrade
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
        .max_message_size(frame_limit)
        .max_frame_size(frame_limit)
        .on_upgrade(move |socket| async move {
            connection::run(socket, ctx, admission).await;
            drop(permit);
        })
}
