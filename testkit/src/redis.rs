//! A private Redis server per test process, on a free port, nothing kept on disk, stopped at
//! process exit. Tests share it and stay apart by using their own key prefix
//! ([`RedisServer::namespace`]). Likewise a private three-master Redis Cluster
//! ([`redis_cluster`]), and a server of a test's own to crash ([`OwnRedis`]).

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{OnceLock, mpsc},
    time::Duration,
};

use crate::{free_port, packages, watchdog};

pub struct RedisServer {
    port: u16,
    pid: u32,
}

/// This process's private Redis server, started on first use.
pub fn redis() -> &'static RedisServer {
    static SERVER: OnceLock<RedisServer> = OnceLock::new();
    SERVER.get_or_init(RedisServer::start)
}

impl RedisServer {
    fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("moonlight-redis-")
            .tempdir()
            .expect("creating a temporary directory")
            .keep();
        let port = free_port();
        let child = spawn(port, &dir, &no_persistence());
        watchdog::on_exit(&format!(
            "kill {} 2>/dev/null; rm -rf '{}'",
            child.id(),
            dir.display()
        ));
        let pid = child.id();
        std::mem::forget(child);
        Self { port, pid }
    }

    /// The server's process id (a load test reads its CPU from `/proc`).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// A key prefix no other test uses.
    pub fn namespace() -> String {
        format!("test-{}:", uuid::Uuid::new_v4().simple())
    }
}

/// A Redis server of one test's own, not shared: to crash and restart under a running
/// deployment. Stopped (and its directory removed) when dropped, or at process exit.
pub struct OwnRedis {
    port: u16,
    dir: tempfile::TempDir,
    appendonly: bool,
    child: Child,
}

impl OwnRedis {
    /// On a free port; `appendonly`: every write in the append-only file, fsynced before
    /// Redis answers (`appendfsync always`), so a crash loses nothing it acknowledged;
    /// without it, nothing is kept on disk.
    pub fn start(appendonly: bool) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("moonlight-own-redis-")
            .tempdir()
            .expect("creating a temporary directory");
        let port = free_port();
        let child = spawn(port, dir.path(), &persistence(appendonly));
        watchdog::on_exit(&format!(
            "kill $(cat '{0}/redis.pid' 2>/dev/null) 2>/dev/null; rm -rf '{0}'",
            dir.path().display()
        ));
        Self {
            port,
            dir,
            appendonly,
            child,
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// SIGKILL, as in a crash, then Redis again on the same port and directory (it reloads
    /// its append-only file, if it keeps one).
    pub fn crash_and_restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(self.port, self.dir.path(), &persistence(self.appendonly));
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private Redis Cluster of three masters (no replicas) for this test process, started on
/// first use and stopped at process exit; tests share it through key prefixes, as they
/// share [`redis`].
pub fn redis_cluster() -> &'static RedisCluster {
    static CLUSTER: OnceLock<RedisCluster> = OnceLock::new();
    CLUSTER.get_or_init(RedisCluster::start)
}

pub struct RedisCluster {
    ports: Vec<u16>,
    pids: Vec<u32>,
}

impl RedisCluster {
    const MASTERS: usize = 3;

    fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("moonlight-redis-cluster-")
            .tempdir()
            .expect("creating a temporary directory")
            .keep();
        let (mut ports, mut pids) = (Vec::new(), Vec::new());
        for i in 0..Self::MASTERS {
            let node_dir = dir.join(i.to_string());
            std::fs::create_dir(&node_dir).expect("a directory for a cluster node");
            let port = free_port();
            // The cluster bus port is given too: by default it is the port + 10,000, which
            // may be taken, or past 65,535.
            let bus = free_port().to_string();
            let mut args: Vec<&str> = no_persistence();
            args.extend(["--cluster-enabled", "yes", "--cluster-port", &bus]);
            args.extend(["--cluster-node-timeout", "5000"]);
            let child = spawn(port, &node_dir, &args);
            watchdog::on_exit(&format!("kill {} 2>/dev/null", child.id()));
            pids.push(child.id());
            std::mem::forget(child);
            ports.push(port);
        }
        watchdog::on_exit(&format!("rm -rf '{}'", dir.display()));
        let cluster = Self { ports, pids };
        cluster.create();
        cluster
    }

    /// Hands the 16,384 slots out among the masters and waits until every master says
    /// the cluster is up.
    fn create(&self) {
        let bin = packages::locate("redis-cli", &Vec::new, "redis-tools");
        let cli = |args: &[String]| {
            let output = Command::new(bin.join("redis-cli"))
                .args(args)
                .stdin(Stdio::null())
                .output()
                .expect("running redis-cli");
            assert!(
                output.status.success(),
                "redis-cli {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8_lossy(&output.stdout).into_owned()
        };
        let mut create: Vec<String> = vec!["--cluster".into(), "create".into()];
        create.extend(self.ports.iter().map(|port| format!("127.0.0.1:{port}")));
        create.extend(["--cluster-replicas", "0", "--cluster-yes"].map(String::from));
        cli(&create);
        // `create` returns once the nodes agree on the slots; each says `ok` once it has
        // heard from the others (within a few gossip rounds).
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        for port in &self.ports {
            let info = || {
                cli(&[
                    "-p".into(),
                    port.to_string(),
                    "cluster".into(),
                    "info".into(),
                ])
            };
            while !info().contains("cluster_state:ok") {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the Redis Cluster did not come up"
                );
                std::thread::yield_now();
            }
        }
    }

    /// The masters' URLs, separated by commas (as `REDIS_URL` takes them with
    /// `--redis-cluster`).
    pub fn urls(&self) -> String {
        self.seeds().join(",")
    }

    /// The masters' process ids (a load test reads their CPU from `/proc`).
    pub fn pids(&self) -> Vec<u32> {
        self.pids.clone()
    }

    pub fn seeds(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|port| format!("redis://127.0.0.1:{port}"))
            .collect()
    }
}

fn no_persistence() -> Vec<&'static str> {
    vec!["--appendonly", "no"]
}

fn persistence(appendonly: bool) -> Vec<&'static str> {
    if appendonly {
        vec!["--appendonly", "yes", "--appendfsync", "always"]
    } else {
        no_persistence()
    }
}

/// `redis-server` on `port`, its files in `dir`, with `args`, once it is ready to accept
/// connections.
fn spawn(port: u16, dir: &Path, args: &[&str]) -> Child {
    let bin = packages::locate("redis-server", &Vec::new, "redis-server");
    let mut child = Command::new(bin.join("redis-server"))
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(args)
        .args(["--logfile", ""])
        .arg("--dir")
        .arg(dir)
        .arg("--pidfile")
        .arg(dir.join("redis.pid"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting redis-server");
    // Wait for the server's own "ready" line rather than polling the port; keep draining
    // its log afterwards so it never blocks on a full pipe.
    let stdout = child.stdout.take().expect("piped stdout");
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("Ready to accept connections") {
                let _ = ready_tx.send(());
            }
        }
    });
    ready_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("redis-server did not become ready");
    child
}
