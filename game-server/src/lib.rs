//! A Moonlight game-server node: the WebSocket gateway (`GET /v1/play?ticket=…`), one actor
//! per room, the durable input log and snapshots, recovery, and match results.
//!
//! How rooms map onto threads: each room is one tokio task (its actor) on the shared
//! multi-threaded runtime. A room only wakes for a message or a timer and does microseconds
//! of work per input, so thousands of rooms share the cores without a thread each, and an
//! idle room costs only its memory. The rules never run under a lock: only the room's own
//! task touches its game.

mod command;
pub mod config;
mod connection;
mod play;
mod registry;
pub mod replay;
pub mod results;
mod room;
mod vitals;
pub mod wire;

use std::sync::Arc;

use axum::Router;
use moonlight_auth::TokenVerifier;
use moonlight_common::{
    CancellationToken, Database,
    http::{ReadinessCheck, database_ready, standard_service},
};
use moonlight_engine::ContentStore;
use moonlight_rooms::{NodeDirectory, NodeInfo, RoomStore, directory::keep_registered};
use tokio::sync::{Notify, Semaphore, watch};

pub use config::GameConfig;
pub use connection::{ErrorCode, close};
/// How a room is rebuilt from the store, public for the fuzz targets (`fuzz/`).
pub use room::restore::{RestoreError, Restored, RoomSnapshot, content_version, rebuild};

use crate::{registry::Rooms, vitals::Vitals};

/// What every room and connection of this node shares.
pub(crate) struct NodeContext {
    pub config: GameConfig,
    pub store: RoomStore,
    /// The content new rooms use, and every version loaded since start-up.
    pub content: Arc<ContentStore>,
    pub rooms: Rooms,
    /// Wakes the results writer when a result enters the outbox.
    pub results: Notify,
    /// What this node's results writer has done so far.
    pub results_progress: watch::Sender<results::Progress>,
    pub verifier: TokenVerifier,
    /// One permit per open game socket.
    pub connections: Arc<Semaphore>,
    /// Its actions since the last heartbeat.
    pub vitals: Vitals,
}

/// A game-server node, built and ready to serve; clones are handles on the same node.
#[derive(Clone)]
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
        let ctx = Arc::new(NodeContext {
            connections: Arc::new(Semaphore::new(config.max_connections)),
            config,
            store,
            content,
            rooms: Rooms::default(),
            results: Notify::new(),
            results_progress: watch::Sender::default(),
            verifier,
            vitals: Vitals::default(),
        });
        Self { ctx, db }
    }

    pub fn config(&self) -> &GameConfig {
        &self.ctx.config
    }

    pub fn store(&self) -> &RoomStore {
        &self.ctx.store
    }

    pub fn content(&self) -> &Arc<ContentStore> {
        &self.ctx.content
    }

    /// Rooms running on this node now.
    pub fn room_count(&self) -> usize {
        self.ctx.rooms.count()
    }

    /// What the results writer has done so far, as it changes.
    pub fn results_progress(&self) -> watch::Receiver<results::Progress> {
        self.ctx.results_progress.subscribe()
    }

    /// Asks the results writer to look at the outbox now (rather than at its next retry).
    pub fn wake_results_writer(&self) {
        self.ctx.results.notify_one();
    }

    /// The node's HTTP routes: the play socket plus the standard service routes. Ready
    /// when both its database and its room store take writes: a node whose Redis is down
    /// cannot make a move durable.
    pub fn router(&self) -> Router {
        let (routes, openapi) = play::routes(Arc::clone(&self.ctx));
        let database = database_ready(self.db.clone());
        let store = self.ctx.store.clone();
        let ready: ReadinessCheck = Arc::new(move || {
            let (database, store) = (database(), store.clone());
            Box::pin(async move { database.await && store.accepts_writes().await })
        });
        standard_service("game-server", routes, openapi, ready)
    }

    /// Runs the results writer until `shutdown`.
    pub fn spawn_results_writer(&self, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(results::run(
            Arc::clone(&self.ctx),
            self.db.clone(),
            shutdown,
        ))
    }

    /// Registers this node in `directory`, reachable at `url`, and keeps it there until
    /// `stop`; then takes it out, so lobbies send its players elsewhere at once. Returns
    /// once the first heartbeat is written.
    pub async fn register(
        &self,
        directory: NodeDirectory,
        url: String,
        stop: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let ctx = Arc::clone(&self.ctx);
        let every = ctx.config.directory_heartbeat;
        let describe = move || {
            let room_versions = ctx.rooms.by_content_version();
            NodeInfo {
                id: ctx.config.node_id.clone(),
                url: url.clone(),
                capacity: ctx.config.max_rooms,
                rooms: room_versions.values().sum(),
                heartbeat_ms: 0,
                connections: ctx.config.max_connections - ctx.connections.available_permits(),
                content_version: ctx.content.current().version().to_owned(),
                room_versions,
                vitals: ctx.vitals.take(),
            }
        };
        keep_registered(directory, describe, every, stop).await
    }

    /// Snapshots every room, tells its players to reconnect, and stops the rooms; then
    /// waits for every game socket to have flushed its last frames (`Reconnect`, close
    /// 1012) and closed, so that exiting does not cut them off. The caller bounds the wait.
    pub async fn shutdown(&self) {
        self.ctx.rooms.shutdown_all().await;
        let every_socket = u32::try_from(self.ctx.config.max_connections).unwrap_or(u32::MAX);
        // Each open socket holds one permit until its last frame is written.
        let _all_closed = self.ctx.connections.acquire_many(every_socket).await;
    }
}
