//! The one way to build and run Moonlight, for `main`, the tests and `loadtest --spawn`
//! alike: [`Application::build`] opens what the configured roles need and binds their
//! listeners (so a caller on port 0 can read the ports); [`Application::run_until_stopped`]
//! serves until a stop signal, then stops everything in order.

use std::{net::SocketAddr, path::Path, sync::Arc};

use anyhow::Context;
use axum::Router;
use moonlight_auth::{AuthService, SigningKeys, TokenIssuer, TokenVerifier};
use moonlight_common::{
    Backend, CancellationToken, Database,
    serve::{self, ListenOptions},
    url::host_and_path,
};
use moonlight_engine::ContentStore;
use moonlight_game_server::GameServer;
use moonlight_lobby::{Lobby, LobbyParts, LobbyService};
use moonlight_rooms::{NodeDirectory, RedisPool, RedisStore, RoomStore, SqlStore};
use tokio::{net::TcpListener, task::JoinSet};

use crate::{
    config::Config,
    data_dir::DataDir,
    playground::{self, AuthAt},
};

/// A configured process, built and ready to run.
pub struct Application {
    config: Config,
    _data_dir: DataDir,
    db: Database,
    listeners: Vec<Listener>,
    issuer: Option<TokenIssuer>,
    lobby: Option<LobbyService>,
    game: Option<Node>,
    content: Option<Arc<ContentStore>>,
}

/// One service's bound listener and routes.
struct Listener {
    role: &'static str,
    socket: TcpListener,
    addr: SocketAddr,
    router: Router,
}

/// A game-server node and where it registers.
struct Node {
    server: GameServer,
    directory: NodeDirectory,
    url: String,
}

/// What the lobby and the game servers share: the content, the room store and the
/// node directory.
struct Shared {
    content: Arc<ContentStore>,
    rooms: RoomStore,
    directory: NodeDirectory,
}

impl Application {
    /// Opens the database, the content and the stores the roles need, and binds every
    /// listener. Fails with a message that names what is wrong (a path, a flag, a host).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        config.validate()?;
        // SQLite files in the data directory (no --database-url): this process's alone.
        let exclusive = config.process.database_url.is_none();
        let data_dir = DataDir::open(&config.process.data_dir, exclusive)?;
        let db = Database::connect(&config.database_url()).await?;
        tracing::info!(database = %db.describe(), "database ready");
        let mut app = Self {
            _data_dir: data_dir,
            db,
            listeners: Vec::new(),
            issuer: None,
            lobby: None,
            game: None,
            content: None,
            config,
        };
        let roles = app.config.roles;
        if roles.auth {
            app.build_auth().await?;
        }
        if roles.lobby || roles.game {
            let shared = app.open_shared().await?;
            if roles.lobby {
                app.build_lobby(&shared).await?;
            }
            if roles.game {
                app.build_game(shared).await?;
            }
        }
        Ok(app)
    }

    async fn build_auth(&mut self) -> anyhow::Result<()> {
        let mut config = self.config.auth.clone();
        config.keys_dir = Some(self.config.keys_dir());
        let auth = AuthService::build(&config, self.db.clone()).await?;
        self.issuer = Some(auth.issuer());
        self.listen("auth", config.addr, auth.into_router())
    }

    async fn build_lobby(&mut self, shared: &Shared) -> anyhow::Result<()> {
        // A lobby signs room tickets with the auth keys: its own process's, or the ones
        // the auth service keeps in the shared data directory.
        let issuer = match &self.issuer {
            Some(issuer) => issuer.clone(),
            None => TokenIssuer::new(
                SigningKeys::load(&self.config.keys_dir())
                    .context("loading the auth keys, to sign room tickets")?,
            ),
        };
        let lobby = LobbyService::new(LobbyParts {
            config: self.config.lobby.clone(),
            db: self.db.clone(),
            rooms: shared.rooms.clone(),
            directory: shared.directory.clone(),
            content: Arc::clone(&shared.content),
            issuer,
        });
        let auth_at = match (&self.config.lobby.public_auth_url, self.address("auth")) {
            (Some(url), _) => AuthAt::Url(url.clone()),
            (None, Some(auth)) => AuthAt::Port(auth.port()),
            (None, None) => AuthAt::Unknown,
        };
        let router = lobby.router().merge(playground::router(auth_at));
        let options = ListenOptions {
            reuse_port: self.config.lobby.reuse_port,
            ..ListenOptions::default()
        };
        self.listen_with("lobby", self.config.lobby.addr, router, options)?;
        self.lobby = Some(lobby);
        Ok(())
    }

    async fn build_game(&mut self, shared: Shared) -> anyhow::Result<()> {
        if self.config.shared.redis_url.is_none() && !self.config.roles.lobby {
            tracing::warn!("no REDIS_URL: lobbies in other processes cannot find this node");
        }
        let verifier = match &self.issuer {
            Some(issuer) => issuer.verifier(),
            None => remote_verifier(self.config.auth_jwks.as_deref()).await?,
        };
        let config = self.config.game.clone();
        let server = GameServer::new(
            config.clone(),
            Arc::clone(&shared.content),
            shared.rooms,
            self.db.clone(),
            verifier,
        );
        let options = ListenOptions {
            send_buffer: config.socket_send_buffer,
            ..ListenOptions::default()
        };
        self.listen_with("game-server", config.addr, server.router(), options)?;
        let addr = self.listeners.last().map(|l| l.addr).context("bound")?;
        let url = config
            .public_url
            .unwrap_or_else(|| format!("ws://{addr}/v1/play"));
        self.game = Some(Node {
            server,
            directory: shared.directory,
            url,
        });
        Ok(())
    }

    /// The content (checked, or the start fails with the checker's messages), the room
    /// store and the node directory: in Redis when `REDIS_URL` says so, else embedded.
    async fn open_shared(&mut self) -> anyhow::Result<Shared> {
        let content = Arc::new(open_content(&self.config.shared.content_dir)?);
        self.content = Some(Arc::clone(&content));
        let shared = &self.config.shared;
        let (rooms, directory) = match &shared.redis_url {
            Some(url) => {
                let redis = if shared.redis_cluster {
                    let seeds: Vec<&str> = url.split(',').map(str::trim).collect();
                    let hosts: Vec<&str> = seeds.iter().map(|s| host_and_path(s).0).collect();
                    RedisPool::connect_cluster(&seeds).await.with_context(|| {
                        format!("connecting to the Redis Cluster at {}", hosts.join(", "))
                    })?
                } else {
                    RedisPool::connect(url).await.with_context(|| {
                        format!("connecting to Redis at {}", host_and_path(url).0)
                    })?
                };
                (
                    RoomStore::Redis(RedisStore::new(redis.clone(), &shared.redis_prefix)),
                    NodeDirectory::redis(redis, &shared.redis_prefix),
                )
            }
            None => (
                RoomStore::Sql(
                    SqlStore::open(&embedded_room_db(&self.config, &self.db).await?).await?,
                ),
                NodeDirectory::in_process(),
            ),
        };
        Ok(Shared {
            content,
            rooms,
            directory,
        })
    }

    fn listen(
        &mut self,
        role: &'static str,
        addr: SocketAddr,
        router: Router,
    ) -> anyhow::Result<()> {
        self.listen_with(role, addr, router, ListenOptions::default())
    }

    fn listen_with(
        &mut self,
        role: &'static str,
        addr: SocketAddr,
        router: Router,
        options: ListenOptions,
    ) -> anyhow::Result<()> {
        let socket =
            serve::listen(addr, options).with_context(|| format!("binding {role} to {addr}"))?;
        let addr = socket.local_addr()?;
        tracing::info!(%addr, "{role} listening");
        self.listeners.push(Listener {
            role,
            socket,
            addr,
            router,
        });
        Ok(())
    }

    /// Each role's listener address, in the order they were bound.
    pub fn addresses(&self) -> impl Iterator<Item = (&'static str, SocketAddr)> + '_ {
        self.listeners.iter().map(|l| (l.role, l.addr))
    }

    /// The address `role` listens on (`auth`, `lobby`, `game-server`), if it runs here.
    pub fn address(&self, role: &str) -> Option<SocketAddr> {
        self.addresses().find(|(r, _)| *r == role).map(|(_, a)| a)
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The token issuer, when auth runs in this process.
    pub fn issuer(&self) -> Option<&TokenIssuer> {
        self.issuer.as_ref()
    }

    pub fn lobby(&self) -> Option<&Arc<Lobby>> {
        self.lobby.as_ref().map(LobbyService::lobby)
    }

    pub fn game_server(&self) -> Option<&GameServer> {
        self.game.as_ref().map(|node| &node.server)
    }

    /// Serves until `stop` resolves (or a server fails), then stops in order: the node
    /// leaves the directory (lobbies send its players elsewhere), the rooms snapshot and
    /// tell their players to reconnect, the results writer makes a last flush, the
    /// listeners drain; all within the shutdown grace.
    pub async fn run_until_stopped(self, stop: impl Future<Output = ()>) -> anyhow::Result<()> {
        let grace = self.config.process.shutdown_grace;
        let shutdown = CancellationToken::new();
        // The node leaves the directory first on the way out, so lobbies move its players
        // at once; it is in the directory before any listener serves, so a lobby never
        // answers `no_nodes` for a node that is up.
        let directory_stop = CancellationToken::new();
        // The results writer stops after the rooms, to record the matches they finished.
        let results_stop = CancellationToken::new();
        let game = match self.game {
            Some(node) => {
                let results = node.server.spawn_results_writer(results_stop.clone());
                let registration = node
                    .server
                    .register(node.directory, node.url, directory_stop.clone())
                    .await;
                Some((node.server, results, registration))
            }
            None => None,
        };
        let mut servers = JoinSet::new();
        for listener in self.listeners {
            servers.spawn(serve::serve(
                listener.socket,
                listener.router,
                shutdown.clone(),
            ));
        }
        let lobby_tasks = self.lobby.as_ref().map(|l| l.spawn_background(&shutdown));
        if let Some(content) = self.content {
            reload_content_on_sighup(content, shutdown.clone());
        }

        tokio::select! {
            () = stop => tracing::info!("shutdown requested; draining"),
            Some(stopped) = servers.join_next() => {
                stopped.context("a server task panicked")??;
                anyhow::bail!("a server stopped on its own");
            }
        }
        let drained = tokio::time::timeout(grace, async {
            directory_stop.cancel();
            shutdown.cancel();
            if let Some((server, results, registration)) = game {
                let _ = registration.await;
                server.shutdown().await;
                results_stop.cancel();
                let _ = results.await;
            }
            if let Some(mut tasks) = lobby_tasks {
                while tasks.join_next().await.is_some() {}
            }
            while let Some(stopped) = servers.join_next().await {
                if let Err(error) = stopped.context("a server task panicked").and_then(|r| r) {
                    tracing::error!(error = format!("{error:#}"), "server stopped with an error");
                }
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!(?grace, "drain deadline passed; exiting anyway");
        }
        self.db.pool().close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The content in `dir`, checked; the error carries the checker's messages.
fn open_content(dir: &Path) -> anyhow::Result<ContentStore> {
    if !dir.is_dir() {
        anyhow::bail!(
            "there is no content directory at {} (run from the repository, or point \
             --content-dir / MOONLIGHT_CONTENT_DIR at one)",
            dir.display()
        );
    }
    let content = ContentStore::open(dir)
        .map_err(|report| anyhow::anyhow!("{report}the content in {} is invalid", dir.display()))?;
    tracing::info!(
        version = content.current().version(),
        dir = %dir.display(),
        "content loaded"
    );
    Ok(content)
}

/// The database of the embedded room store (no Redis). On SQLite it is a file of its own,
/// `rooms.db` next to the main one: SQLite has one writer per file, and a shared file
/// made every move wait behind the lobby's and the results writer's statements (the
/// results outbox moves rooms.db → match_results exactly as it does from Redis). On
/// PostgreSQL (whose commits are on disk) the store shares the main database.
async fn embedded_room_db(config: &Config, db: &Database) -> anyhow::Result<Database> {
    match db.backend() {
        Backend::Sqlite => {
            Database::connect(&Database::sqlite_rooms_url_in(&config.process.data_dir)).await
        }
        Backend::Postgres => Ok(db.clone()),
    }
}

/// The token verifier of a game server running without auth: from the auth service's
/// JWKS, by URL or from a saved file.
async fn remote_verifier(source: Option<&str>) -> anyhow::Result<TokenVerifier> {
    let source = source.context(
        "a game server without auth in its process needs --auth-jwks \
         (the auth service's /.well-known/jwks.json URL, or a saved copy)",
    )?;
    let json = if source.starts_with("http://") || source.starts_with("https://") {
        // Bounded: an auth service that does not answer must not hang the start.
        reqwest::Client::new()
            .get(source)
            .timeout(std::time::Duration::from_secs(10))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .with_context(|| format!("fetching the JWKS from {source}"))?
            .text()
            .await
            .context("reading the JWKS")?
    } else {
        tokio::fs::read_to_string(source)
            .await
            .with_context(|| format!("reading the JWKS file {source}"))?
    };
    TokenVerifier::from_jwks_json(&json).with_context(|| format!("{source} is not a usable JWKS"))
}

/// Reloads the content for new matches on SIGHUP until `stop`; running matches keep
/// theirs, and broken content is reported and not used.
fn reload_content_on_sighup(content: Arc<ContentStore>, stop: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; content reload disabled");
            return;
        };
        tokio::spawn(async move {
            while stop
                .run_until_cancelled(hangups.recv())
                .await
                .flatten()
                .is_some()
            {
                match content.reload() {
                    Ok(Some(version)) => {
                        tracing::info!(%version, "content reloaded for new matches")
                    }
                    Ok(None) => tracing::info!("content unchanged"),
                    Err(refused) => {
                        tracing::error!("content reload refused:\n{}", refused.report)
                    }
                }
            }
        });
    }
    #[cfg(not(unix))]
    drop((content, stop));
}
