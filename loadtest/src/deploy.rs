//! Private local deployments (`--spawn`), started the way an operator starts them: the
//! `moonlight` binary, one process or one role per process, on this machine's loopback,
//! with private PostgreSQL and Redis servers where the layout needs them (the test
//! harness's, installed from Debian's packages if missing, removed at exit).

use std::{path::Path, str::FromStr};

use anyhow::Context;
use moonlight_testkit::{
    RedisServer,
    process::{Launch, Moonlight, Role},
};

use crate::servers::Watched;

/// A deployment layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spawn {
    /// One process, every role, on embedded defaults (SQLite, in-process store).
    Embedded,
    /// One process, every role, on PostgreSQL and Redis.
    Redis,
    /// Auth, one lobby and `nodes` game-server processes, on PostgreSQL and Redis.
    Cluster { nodes: usize },
}

impl FromStr for Spawn {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "embedded" => Ok(Self::Embedded),
            "redis" => Ok(Self::Redis),
            _ => text
                .strip_prefix("cluster:")
                .and_then(|n| n.parse().ok())
                .filter(|n| *n >= 1)
                .map(|nodes| Self::Cluster { nodes })
                .ok_or_else(|| format!("{text}: expected embedded, redis or cluster:N")),
        }
    }
}

impl std::fmt::Display for Spawn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Embedded => write!(
                f,
                "one process, embedded defaults (SQLite, in-process store)"
            ),
            Self::Redis => write!(f, "one process on PostgreSQL + Redis"),
            Self::Cluster { nodes } => {
                write!(
                    f,
                    "auth + 1 lobby + {nodes} game-server processes on PostgreSQL + Redis"
                )
            }
        }
    }
}

/// Limits opened for load: a load test signs in thousands of accounts from a few addresses.
/// An auth service that thousands of bots sign in to from a few addresses.
const AUTH_LOAD_FLAGS: [&str; 6] = [
    "--auth-rate-per-minute",
    "100000000",
    "--auth-rate-burst",
    "100000000",
    "--hash-queue",
    "100000",
];
/// A node for thousands of sockets.
const GAME_LOAD_FLAGS: [&str; 2] = ["--max-connections", "18000"];

pub struct Deployment {
    pub auth: String,
    pub lobbies: Vec<String>,
    pub watched: Vec<Watched>,
    /// Game-server processes by node id (only where a node runs alone).
    nodes: Vec<(String, Moonlight)>,
    others: Vec<Moonlight>,
    data: Option<tempfile::TempDir>,
}

impl Deployment {
    pub async fn start(spawn: Spawn, bin: &Path, content_dir: &Path) -> anyhow::Result<Self> {
        anyhow::ensure!(
            bin.exists(),
            "{} not found: build it (cargo build --release -p moonlight) or pass --server",
            bin.display()
        );
        let data = tempfile::Builder::new()
            .prefix("moonlight-loadtest-")
            .tempdir()
            .context("creating a data directory")?;
        let dir = data.path().to_owned();
        let mut deployment = Self {
            auth: String::new(),
            lobbies: Vec::new(),
            watched: Vec::new(),
            nodes: Vec::new(),
            others: Vec::new(),
            data: Some(data),
        };
        match spawn {
            Spawn::Embedded | Spawn::Redis => {
                let shared = match spawn {
                    Spawn::Redis => Some(Shared::start().await),
                    _ => None,
                };
                let env = shared.as_ref().map(Shared::env);
                let log = dir.join("moonlight.log");
                let all = start(
                    bin,
                    Role::All,
                    &dir,
                    content_dir,
                    &[],
                    env.as_ref().map_or(&[][..], |e| &e[..]),
                    &log,
                )
                .await?;
                deployment.adopt_all_roles(all, "moonlight (all roles)")?;
            }
            Spawn::Cluster { nodes } => {
                let shared = Shared::start().await;
                let env = shared.env();
                let auth = start(
                    bin,
                    Role::Auth,
                    &dir,
                    content_dir,
                    &[],
                    &env,
                    &dir.join("auth.log"),
                )
                .await?;
                deployment.auth = url(&auth, "auth")?;
                deployment.watch(&auth, "auth", "auth", false)?;
                let lobby = start(
                    bin,
                    Role::Lobby,
                    &dir,
                    content_dir,
                    &[],
                    &env,
                    &dir.join("lobby.log"),
                )
                .await?;
                deployment.lobbies.push(url(&lobby, "lobby")?);
                deployment.watch(&lobby, "lobby", "lobby", false)?;
                deployment.others.extend([auth, lobby]);
                let jwks = format!("{}/.well-known/jwks.json", deployment.auth);
                for n in 0..nodes {
                    let id = format!("node-{n}");
                    let args = ["--node-id", &id, "--auth-jwks", &jwks];
                    let log = dir.join(format!("{id}.log"));
                    let node =
                        start(bin, Role::GameServer, &dir, content_dir, &args, &env, &log).await?;
                    deployment.watch(&node, "game-server", &format!("node {id}"), true)?;
                    deployment.nodes.push((id, node));
                }
            }
        }
        Ok(deployment)
    }

    fn adopt_all_roles(&mut self, process: Moonlight, name: &str) -> anyhow::Result<()> {
        self.auth = url(&process, "auth")?;
        self.lobbies.push(url(&process, "lobby")?);
        self.watch(&process, "auth", name, true)?;
        self.others.push(process);
        Ok(())
    }

    fn watch(
        &mut self,
        process: &Moonlight,
        role: &str,
        name: &str,
        game: bool,
    ) -> anyhow::Result<()> {
        self.watched.push(Watched {
            name: name.to_owned(),
            metrics_url: format!("{}/metrics", url(process, role)?),
            game,
        });
        Ok(())
    }

    /// The ids of nodes running in processes of their own (the ones that can be killed).
    pub fn node_ids(&self) -> Vec<String> {
        self.nodes.iter().map(|(id, _)| id.clone()).collect()
    }

    /// SIGKILLs node `id`.
    pub async fn kill_node(&mut self, id: &str) -> anyhow::Result<()> {
        let at = self
            .nodes
            .iter()
            .position(|(node, _)| node == id)
            .with_context(|| format!("no node {id} in this deployment"))?;
        let (_, node) = self.nodes.remove(at);
        node.kill().await
    }

    /// Where the servers' logs are.
    pub fn logs(&self) -> Option<&Path> {
        self.data.as_ref().map(tempfile::TempDir::path)
    }

    /// Keeps the data directory (and the logs in it) after the run, for a look.
    pub fn keep_logs(&mut self) -> Option<std::path::PathBuf> {
        self.data.take().map(tempfile::TempDir::keep)
    }

    /// Stops every process (SIGTERM, drained), nodes first.
    pub async fn stop(self) -> anyhow::Result<()> {
        for (id, node) in self.nodes {
            let status = node
                .stop()
                .await
                .with_context(|| format!("stopping {id}"))?;
            anyhow::ensure!(status.success(), "{id} exited with {status}");
        }
        for process in self.others.into_iter().rev() {
            let status = process.stop().await?;
            anyhow::ensure!(status.success(), "a server exited with {status}");
        }
        Ok(())
    }
}

async fn start(
    bin: &Path,
    role: Role,
    data_dir: &Path,
    content_dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    log: &Path,
) -> anyhow::Result<Moonlight> {
    let mut args = args.to_vec();
    if role.runs(Role::Auth) {
        args.extend(AUTH_LOAD_FLAGS);
    }
    if role.runs(Role::GameServer) {
        args.extend(GAME_LOAD_FLAGS);
    }
    Moonlight::start(Launch {
        bin,
        role,
        data_dir,
        content_dir,
        args: &args,
        env,
        log: Some(log),
    })
    .await
    .with_context(|| format!("starting the server (its log: {})", log.display()))
}

fn url(process: &Moonlight, role: &str) -> anyhow::Result<String> {
    process
        .url(role)
        .map(str::to_owned)
        .with_context(|| format!("no {role} listener"))
}

/// The private PostgreSQL database and Redis namespace a deployment shares.
struct Shared {
    database_url: String,
    redis_url: String,
    prefix: String,
}

impl Shared {
    async fn start() -> Self {
        Self {
            database_url: moonlight_testkit::postgres().create_database().await,
            redis_url: moonlight_testkit::redis().url(),
            prefix: RedisServer::namespace(),
        }
    }

    fn env(&self) -> [(&str, &str); 3] {
        [
            ("DATABASE_URL", self.database_url.as_str()),
            ("REDIS_URL", self.redis_url.as_str()),
            ("MOONLIGHT_REDIS_PREFIX", self.prefix.as_str()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_parse() {
        assert_eq!("embedded".parse::<Spawn>(), Ok(Spawn::Embedded));
        assert_eq!("redis".parse::<Spawn>(), Ok(Spawn::Redis));
        assert_eq!(
            "cluster:3".parse::<Spawn>(),
            Ok(Spawn::Cluster { nodes: 3 })
        );
        assert!("cluster:0".parse::<Spawn>().is_err());
        assert!("k8s".parse::<Spawn>().is_err());
    }
}
