//! Starting the configured roles, and stopping them gracefully.

use std::{io::Write as _, process::ExitCode, sync::Arc, time::Duration};

use anyhow::Context;
use moonlight_auth::{AuthService, SigningKeys, TokenIssuer, TokenVerifier};
use moonlight_common::{
    Backend, CancellationToken, Database,
    serve::{serve, shutdown_signal},
};
use moonlight_engine::ContentStore;
use moonlight_game_server::{
    GameServer,
    store::{RedisStore, RoomStore, SqlStore},
};
use moonlight_lobby::{LobbyParts, LobbyService, NodeDirectory, NodeInfo, keep_registered};
use tokio::{net::TcpListener, task::JoinSet};

use crate::config::{Cli, Command, ContentCommand};

/// Which services this process runs.
struct Roles {
    auth: bool,
    lobby: bool,
    game: bool,
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let roles = match &cli.command {
        None => Roles {
            auth: true,
            lobby: true,
            game: true,
        },
        Some(Command::Auth) => Roles {
            auth: true,
            lobby: false,
            game: false,
        },
        Some(Command::Lobby) => Roles {
            auth: false,
            lobby: true,
            game: false,
        },
        Some(Command::GameServer) => Roles {
            auth: false,
            lobby: false,
            game: true,
        },
        Some(Command::Content(ContentCommand::Check { dir })) => return Ok(check_content(dir)),
    };
    run_services(&cli, &roles).await
}

/// Runs the chosen services until SIGTERM/Ctrl-C, then stops them in order: the node
/// leaves the directory (lobbies send its players elsewhere), the game server stops (every
/// room snapshotted; players told to reconnect), then every listener drains, all within
/// the grace period.
async fn run_services(cli: &Cli, roles: &Roles) -> anyhow::Result<ExitCode> {
    let stop_requested = shutdown_signal();
    if roles.lobby && !roles.game && cli.game.redis_url.is_none() {
        anyhow::bail!(
            "a lobby without a game server in its process needs REDIS_URL: \
             that is where game servers register"
        );
    }
    if roles.game && !roles.lobby && cli.game.redis_url.is_none() {
        tracing::warn!("no REDIS_URL: lobbies in other processes cannot find this node");
    }
    // Refuse to start on broken content, with the checker's own messages.
    let content = if roles.game || roles.lobby {
        match ContentStore::open(&cli.game.content_dir) {
            Ok(store) => Some(Arc::new(store)),
            Err(report) => {
                eprint!("{report}");
                eprintln!(
                    "error: the content in {} is invalid",
                    cli.game.content_dir.display()
                );
                return Ok(ExitCode::FAILURE);
            }
        }
    } else {
        None
    };
    tokio::fs::create_dir_all(&cli.data_dir)
        .await
        .with_context(|| format!("creating the data directory {}", cli.data_dir.display()))?;
    let db = Database::connect(&cli.database_url()).await?;
    tracing::info!(backend = ?db.backend(), "database ready");

    let shutdown = CancellationToken::new();
    // The results writer stops last, after the rooms, to record matches they finished.
    let results_stop = CancellationToken::new();
    // The node leaves the directory first when stopping, so lobbies move its players.
    let directory_stop = CancellationToken::new();
    let mut servers = JoinSet::new();
    let mut issuer = None;

    if roles.auth {
        let auth = AuthService::build(&cli.auth_config(), db.clone()).await?;
        issuer = Some(auth.issuer());
        let listener = bind("auth", cli.auth.auth_addr).await?;
        servers.spawn(serve(listener, auth.into_router(), shutdown.clone()));
    }
    let (rooms, directory) = match &cli.game.redis_url {
        Some(url) => (
            RoomStore::Redis(
                RedisStore::connect(url, &cli.game.redis_prefix)
                    .await
                    .context("connecting to Redis")?,
            ),
            NodeDirectory::redis(url, &cli.game.redis_prefix)
                .await
                .context("connecting to Redis")?,
        ),
        None => (
            RoomStore::Sql(SqlStore::new(embedded_room_db(cli, &db).await?)),
            NodeDirectory::in_process(),
        ),
    };
    let mut lobby_tasks = None;
    if let (true, Some(content)) = (roles.lobby, &content) {
        let issuer = match &issuer {
            Some(issuer) => issuer.clone(),
            None => TokenIssuer::new(
                SigningKeys::load(&cli.keys_dir()).context("loading the auth keys for tickets")?,
            ),
        };
        let lobby = LobbyService::new(LobbyParts {
            config: cli.lobby_config(),
            db: db.clone(),
            rooms: rooms.clone(),
            directory: directory.clone(),
            content: Arc::clone(content),
            issuer,
        });
        let listener = bind("lobby", cli.lobby.lobby_addr).await?;
        servers.spawn(serve(listener, lobby.router(), shutdown.clone()));
        lobby_tasks = Some(lobby.spawn_background(&shutdown));
    }
    let game = match (roles.game, content) {
        (true, Some(content)) => {
            let verifier = match &issuer {
                Some(issuer) => issuer.verifier(),
                None => remote_verifier(cli).await?,
            };
            let server = GameServer::new(
                cli.game_config(),
                Arc::clone(&content),
                rooms,
                db.clone(),
                verifier,
            );
            let listener = bind("game-server", cli.game.game_addr).await?;
            let url = match &cli.game.public_url {
                Some(url) => url.clone(),
                None => format!("ws://{}/v1/play", listener.local_addr()?),
            };
            servers.spawn(serve(listener, server.router(), shutdown.clone()));
            let results = server.spawn_results_writer(results_stop.clone());
            let node = Arc::clone(server.context());
            let heartbeat = tokio::spawn(keep_registered(
                directory,
                move || NodeInfo {
                    id: node.config.node_id.clone(),
                    url: url.clone(),
                    capacity: node.config.max_rooms,
                    rooms: node.rooms.count(),
                    heartbeat_ms: 0,
                },
                Duration::from_secs(cli.game.heartbeat_secs.max(1)),
                directory_stop.clone(),
            ));
            reload_content_on_sighup(content);
            Some((server, results, heartbeat))
        }
        _ => None,
    };

    tokio::select! {
        () = stop_requested => tracing::info!("shutdown requested; draining"),
        Some(stopped) = servers.join_next() => {
            stopped.context("a server task panicked")??;
            anyhow::bail!("a server stopped on its own");
        }
    }
    let drained = tokio::time::timeout(cli.shutdown_grace(), async {
        directory_stop.cancel();
        shutdown.cancel();
        if let Some((game, results, heartbeat)) = game {
            let _ = heartbeat.await;
            game.shutdown().await;
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
        tracing::warn!(
            grace_secs = cli.shutdown_grace_secs,
            "drain deadline passed; exiting anyway"
        );
    }
    db.pool().close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// The database of the embedded room store (no Redis). On SQLite it is a file of its own,
/// `rooms.db` next to the main one: SQLite has one writer per file, and sharing it made
/// every move wait behind the lobby's and the results writer's statements; with two files
/// the rooms' appends never queue behind them (the results outbox moves rooms.db →
/// match_results exactly as it does from Redis). Both files get the whole schema; each
/// uses its own tables. On PostgreSQL the store shares the main database.
async fn embedded_room_db(cli: &Cli, db: &Database) -> anyhow::Result<Database> {
    match db.backend() {
        Backend::Sqlite => Database::connect(&Database::sqlite_rooms_url_in(&cli.data_dir)).await,
        Backend::Postgres => Ok(db.clone()),
    }
}

/// The token verifier of a game server running without auth: from the auth service's
/// JWKS, by URL or from a saved file.
async fn remote_verifier(cli: &Cli) -> anyhow::Result<TokenVerifier> {
    let source = cli.game.auth_jwks.as_deref().context(
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

/// Reloads the content for new matches on SIGHUP; running matches keep theirs, and
/// broken content is reported and not used. Listens from the call on.
fn reload_content_on_sighup(content: Arc<ContentStore>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; content reload disabled");
            return;
        };
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                match content.reload() {
                    Ok(Some(version)) => {
                        tracing::info!(%version, "content reloaded for new matches");
                    }
                    Ok(None) => tracing::info!("content unchanged"),
                    Err(report) => tracing::error!("content reload refused:\n{report}"),
                }
            }
        });
    }
    #[cfg(not(unix))]
    drop(content);
}

/// Binds a listener and announces it on stdout, one line per listener, so scripts and
/// tests started with port 0 can find it.
async fn bind(role: &str, addr: std::net::SocketAddr) -> anyhow::Result<TcpListener> {
    let listener = moonlight_common::serve::listen(addr)
        .with_context(|| format!("binding {role} to {addr}"))?;
    let local = listener.local_addr()?;
    // Not println!: a closed stdout must not bring the service down.
    let _ = writeln!(std::io::stdout(), "{role} listening on http://{local}");
    tracing::info!(%local, "{role} listening");
    Ok(listener)
}

fn check_content(dir: &std::path::Path) -> ExitCode {
    let report = moonlight_engine::check_dir(dir);
    print!("{report}");
    if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
