//! A private Redis server per test process, on a free port, nothing kept on disk, stopped at
//! process exit. Tests share it and stay apart by using their own key prefix
//! ([`RedisServer::namespace`]).

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
        let child = spawn(port, &dir, false);
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
        let child = spawn(port, dir.path(), appendonly);
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
        self.child = spawn(self.port, self.dir.path(), self.appendonly);
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `redis-server` on `port`, its files in `dir`, once it is ready to accept connections.
fn spawn(port: u16, dir: &Path, appendonly: bool) -> Child {
    let bin = packages::locate("redis-server", &Vec::new, "redis-server");
    let persistence: &[&str] = if appendonly {
        &["--appendonly", "yes", "--appendfsync", "always"]
    } else {
        &["--appendonly", "no"]
    };
    let mut child = Command::new(bin.join("redis-server"))
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(persistence)
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
