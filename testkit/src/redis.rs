//! A private Redis server per test process, on a free port, nothing kept on disk, stopped at
//! process exit. Tests share it and stay apart by using their own key prefix
//! ([`RedisServer::namespace`]).

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::{OnceLock, mpsc},
    time::Duration,
};

use crate::{free_port, packages, watchdog};

pub struct RedisServer {
    port: u16,
}

/// This process's private Redis server, started on first use.
pub fn redis() -> &'static RedisServer {
    static SERVER: OnceLock<RedisServer> = OnceLock::new();
    SERVER.get_or_init(RedisServer::start)
}

impl RedisServer {
    fn start() -> Self {
        let bin = packages::locate("redis-server", &Vec::new, "redis-server");
        let dir = tempfile::Builder::new()
            .prefix("moonlight-redis-")
            .tempdir()
            .expect("creating a temporary directory")
            .keep();
        let port = free_port();
        let mut child = Command::new(bin.join("redis-server"))
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(["--logfile", ""])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting redis-server");
        watchdog::on_exit(&format!(
            "kill {} 2>/dev/null; rm -rf '{}'",
            child.id(),
            dir.display()
        ));
        // Wait for the server's own "ready" line rather than polling the port; keep
        // draining its log afterwards so it never blocks on a full pipe.
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
        std::mem::forget(child);
        Self { port }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// A key prefix no other test uses.
    pub fn namespace() -> String {
        format!("test-{}:", uuid::Uuid::new_v4().simple())
    }
}
