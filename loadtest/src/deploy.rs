//! Private local deployments (`--spawn`), started the way an operator starts them: the
//! `moonlight` binary, one process or one role per process, on this machine's loopback,
//! with private PostgreSQL and Redis servers where the layout needs them (the test
//! harness's, installed from Debian's packages if missing, removed at exit).

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    str::FromStr,
    time::{Duration, Instant},
};

use anyhow::Context;
use moonlight_testkit::{
    RedisServer,
    process::{Launch, Moonlight, Role},
};

use crate::{cli::SpawnOptions, servers::Watched};

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

pub struct Deployment {
    pub auth: String,
    pub lobbies: Vec<String>,
    pub watched: Vec<Watched>,
    /// Game-server processes by node id (only where a node runs alone).
    nodes: Vec<(String, Process)>,
    others: Vec<Process>,
    /// How every process is started (again, after a crash).
    launcher: Launcher,
    data: Option<tempfile::TempDir>,
    /// Crashes so far (the next one's victim, where there are several nodes).
    crashes: usize,
}

/// What every process of the deployment is started with.
struct Launcher {
    bin: PathBuf,
    content_dir: PathBuf,
    data_dir: PathBuf,
    env: Vec<(String, String)>,
    /// A game-server node's limits (`--max-connections`, `--max-rooms`).
    node_limits: Vec<String>,
}

/// One server process and how it was started.
struct Process {
    moonlight: Moonlight,
    role: Role,
    args: Vec<String>,
    log: PathBuf,
}

impl Deployment {
    /// Starts `spawn` with the `moonlight` at `bin`, as `options` say.
    pub async fn start(
        spawn: Spawn,
        bin: &Path,
        content_dir: &Path,
        options: SpawnOptions,
    ) -> anyhow::Result<Self> {
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
        let (env, watched) = match spawn {
            Spawn::Embedded => (Vec::new(), Vec::new()),
            Spawn::Redis | Spawn::Cluster { .. } => {
                let shared = Shared::start(options.redis_cluster).await;
                let watched = shared.watched();
                (shared.env(), watched)
            }
        };
        let mut deployment = Self {
            auth: String::new(),
            lobbies: Vec::new(),
            watched,
            nodes: Vec::new(),
            others: Vec::new(),
            launcher: Launcher {
                bin: bin.to_owned(),
                content_dir: content_dir.to_owned(),
                data_dir: dir.clone(),
                env,
                node_limits: options.node_limits,
            },
            data: Some(data),
            crashes: 0,
        };
        match spawn {
            Spawn::Embedded | Spawn::Redis => {
                let all = deployment
                    .launch(Role::All, Vec::new(), dir.join("moonlight.log"))
                    .await?;
                deployment.auth = url(&all.moonlight, "auth")?;
                deployment.lobbies.push(url(&all.moonlight, "lobby")?);
                deployment.watch(&all.moonlight, "auth", "moonlight (all roles)", true)?;
                deployment.others.push(all);
            }
            Spawn::Cluster { nodes } => {
                let auth = deployment
                    .launch(Role::Auth, Vec::new(), dir.join("auth.log"))
                    .await?;
                deployment.auth = url(&auth.moonlight, "auth")?;
                deployment.watch(&auth.moonlight, "auth", "auth", false)?;
                deployment.others.push(auth);
                deployment.start_lobbies(options.lobbies, &dir).await?;
                let jwks = format!("{}/.well-known/jwks.json", deployment.auth);
                for n in 0..nodes {
                    let id = format!("node-{n}");
                    let args = vec![
                        "--node-id".to_owned(),
                        id.clone(),
                        "--auth-jwks".to_owned(),
                        jwks.clone(),
                    ];
                    let log = dir.join(format!("{id}.log"));
                    let node = deployment.launch(Role::GameServer, args, log).await?;
                    deployment.watch(
                        &node.moonlight,
                        "game-server",
                        &format!("node {id}"),
                        true,
                    )?;
                    deployment.nodes.push((id, node));
                }
            }
        }
        Ok(deployment)
    }

    /// `count` lobby processes; several share the first one's address (each with
    /// `--lobby-reuse-port`), and each is watched through its process (its `/metrics`
    /// could answer from any of them).
    async fn start_lobbies(&mut self, count: u32, dir: &Path) -> anyhow::Result<()> {
        if count == 1 {
            let lobby = self
                .launch(Role::Lobby, Vec::new(), dir.join("lobby.log"))
                .await?;
            self.lobbies.push(url(&lobby.moonlight, "lobby")?);
            self.watch(&lobby.moonlight, "lobby", "lobby", false)?;
            self.others.push(lobby);
            return Ok(());
        }
        let args = vec!["--lobby-reuse-port".to_owned()];
        let mut address = None;
        for n in 0..count {
            let log = dir.join(format!("lobby-{n}.log"));
            let moonlight = self
                .launcher
                .run(Role::Lobby, &args, &log, address.as_ref())
                .await?;
            if address.is_none() {
                self.lobbies.push(url(&moonlight, "lobby")?);
                address = Some(moonlight.urls().clone());
            }
            self.watched.push(Watched {
                name: format!("lobby {n}"),
                source: format!("proc://{}", moonlight.pid()),
                game: false,
            });
            self.others.push(Process {
                moonlight,
                role: Role::Lobby,
                args: args.clone(),
                log,
            });
        }
        Ok(())
    }

    async fn launch(&self, role: Role, args: Vec<String>, log: PathBuf) -> anyhow::Result<Process> {
        let moonlight = self.launcher.run(role, &args, &log, None).await?;
        Ok(Process {
            moonlight,
            role,
            args,
            log,
        })
    }

    /// A crash: SIGKILLs a process that runs game servers (the one process of `embedded`
    /// and `redis`, every role with it; the nodes of a cluster in turn) and starts it again
    /// on its addresses and data. Returns what was killed and how long it took to listen
    /// again.
    pub async fn crash(&mut self) -> anyhow::Result<(String, Duration)> {
        let victim = if self.nodes.is_empty() {
            self.others
                .iter()
                .position(|p| p.role == Role::All)
                .map(|at| (at, "moonlight (all roles)".to_owned(), false))
        } else {
            let at = self.crashes % self.nodes.len();
            Some((at, self.nodes[at].0.clone(), true))
        };
        let (at, name, node) = victim.context("no process runs game servers here")?;
        self.crashes += 1;
        let process = if node {
            &mut self.nodes[at].1
        } else {
            &mut self.others[at]
        };
        let killed = Instant::now();
        let urls = process.moonlight.urls().clone();
        process.moonlight.kill().await?;
        process.moonlight = self
            .launcher
            .run(process.role, &process.args, &process.log, Some(&urls))
            .await?;
        Ok((name, killed.elapsed()))
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
            source: format!("{}/metrics", url(process, role)?),
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
        let (_, mut node) = self.nodes.remove(at);
        node.moonlight.kill().await
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
                .moonlight
                .stop()
                .await
                .with_context(|| format!("stopping {id}"))?;
            anyhow::ensure!(status.success(), "{id} exited with {status}");
        }
        for process in self.others.into_iter().rev() {
            let status = process.moonlight.stop().await?;
            anyhow::ensure!(status.success(), "a server exited with {status}");
        }
        Ok(())
    }
}

impl Launcher {
    /// Runs `role` with `args` (and the load flags), on free ports or, after a crash, where
    /// `urls` say it listened before.
    async fn run(
        &self,
        role: Role,
        args: &[String],
        log: &Path,
        urls: Option<&HashMap<String, String>>,
    ) -> anyhow::Result<Moonlight> {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        if role.runs(Role::Auth) {
            args.extend(AUTH_LOAD_FLAGS);
        }
        if role.runs(Role::GameServer) {
            args.extend(self.node_limits.iter().map(String::as_str));
        }
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let launch = Launch {
            bin: &self.bin,
            role,
            data_dir: &self.data_dir,
            content_dir: &self.content_dir,
            args: &args,
            env: &env,
            log: Some(log),
        };
        let started = match urls {
            Some(urls) => Moonlight::start_at(launch, urls).await,
            None => Moonlight::start(launch).await,
        };
        started.with_context(|| format!("starting the server (its log: {})", log.display()))
    }
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
    /// The Redis processes: one, or a cluster's masters.
    redis_pids: Vec<u32>,
    cluster: bool,
    prefix: String,
}

impl Shared {
    async fn start(cluster: bool) -> Self {
        let (redis_url, redis_pids) = if cluster {
            let cluster = moonlight_testkit::redis_cluster();
            (cluster.urls(), cluster.pids())
        } else {
            let redis = moonlight_testkit::redis();
            (redis.url(), vec![redis.pid()])
        };
        Self {
            database_url: moonlight_testkit::postgres().create_database().await,
            redis_url,
            redis_pids,
            cluster,
            prefix: RedisServer::namespace(),
        }
    }

    /// PostgreSQL (with every backend) and Redis, read from `/proc`: their CPU counts in
    /// the run's cost per action.
    fn watched(&self) -> Vec<Watched> {
        let postgres = moonlight_testkit::postgres().pid();
        let proc = |name: String, pid: u32| Watched {
            name,
            source: format!("proc://{pid}"),
            game: false,
        };
        let redis = self.redis_pids.iter().enumerate().map(|(n, pid)| {
            let name = if self.cluster {
                format!("Redis Cluster master {}", n + 1)
            } else {
                "Redis".to_owned()
            };
            proc(name, *pid)
        });
        postgres
            .map(|pid| proc("PostgreSQL (all its processes)".to_owned(), pid))
            .into_iter()
            .chain(redis)
            .collect()
    }

    fn env(self) -> Vec<(String, String)> {
        let mut env = vec![
            ("DATABASE_URL".to_owned(), self.database_url),
            ("REDIS_URL".to_owned(), self.redis_url),
            ("MOONLIGHT_REDIS_PREFIX".to_owned(), self.prefix),
        ];
        if self.cluster {
            env.push(("MOONLIGHT_REDIS_CLUSTER".to_owned(), "true".to_owned()));
        }
        env
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
