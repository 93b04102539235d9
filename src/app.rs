//! Starting the configured roles, and stopping them gracefully.

use std::process::ExitCode;

use anyhow::Context;
use moonlight_auth::AuthService;
use moonlight_common::{
    CancellationToken, Database,
    serve::{serve, shutdown_signal},
};
use tokio::{net::TcpListener, task::JoinSet};

use crate::config::{Cli, Command, ContentCommand};

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        None | Some(Command::Auth) => {
            run_services(&cli).await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Content(ContentCommand::Check { dir })) => Ok(check_content(dir)),
    }
}

/// Runs the services of the chosen role(s) until SIGTERM/Ctrl-C, then drains them within
/// the grace period. (Only auth exists so far; the lobby and game server join it here.)
async fn run_services(cli: &Cli) -> anyhow::Result<()> {
    tokio::fs::create_dir_all(&cli.data_dir)
        .await
        .with_context(|| format!("creating the data directory {}", cli.data_dir.display()))?;
    let db = Database::connect(&cli.database_url()).await?;
    tracing::info!(backend = ?db.backend(), "database ready");

    let shutdown = CancellationToken::new();
    let mut servers = JoinSet::new();

    let auth = AuthService::build(&cli.auth_config(), db.clone()).await?;
    let listener = bind("auth", cli.auth.auth_addr).await?;
    servers.spawn(serve(listener, auth.into_router(), shutdown.clone()));

    tokio::select! {
        () = shutdown_signal() => tracing::info!("shutdown requested; draining"),
        Some(stopped) = servers.join_next() => {
            stopped.context("a server task panicked")??;
            anyhow::bail!("a server stopped on its own");
        }
    }
    shutdown.cancel();
    let drained = tokio::time::timeout(cli.shutdown_grace(), async {
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
    Ok(())
}

/// Binds a listener and announces it on stdout, one line per listener, so scripts and
/// tests started with port 0 can find it.
async fn bind(role: &str, addr: std::net::SocketAddr) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {role} to {addr}"))?;
    let local = listener.local_addr()?;
    println!("{role} listening on http://{local}");
    tracing::info!(%local, "{role} listening");
    Ok(listener)
}

fn check_content(dir: &std::path::Path) -> ExitCode {
    let report = moonlight_engine::content::check_dir(dir);
    print!("{report}");
    if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
