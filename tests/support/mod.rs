//! `moonlight` as an operator runs it: a real child process, its announced listeners,
//! and signals.

#![allow(dead_code)] // each test file uses a different part of this

use std::{collections::HashMap, path::Path, process::Stdio, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

/// How long a process may take to start or to stop before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A running `moonlight` process and the URLs its listeners announced, by role.
pub struct Process {
    child: Child,
    urls: HashMap<String, String>,
}

/// Starts `moonlight <args>` on `data_dir` with every listener on a free port, and waits
/// until each role in `roles` has announced its listener.
pub async fn start(
    data_dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    roles: &[&str],
) -> Process {
    let mut child = Command::new(env!("CARGO_BIN_EXE_moonlight"))
        .args(args)
        .args([
            "--auth-addr",
            "127.0.0.1:0",
            "--lobby-addr",
            "127.0.0.1:0",
            "--game-addr",
            "127.0.0.1:0",
        ])
        .arg("--content-dir")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("content"))
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("starting moonlight");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    // Bounded so a broken start fails the test instead of hanging it.
    let urls = tokio::time::timeout(PATIENCE, async {
        let mut urls = HashMap::new();
        while !roles.iter().all(|role| urls.contains_key(*role)) {
            let Some(line) = lines.next_line().await.expect("reading stdout") else {
                panic!("moonlight exited before announcing {roles:?} (saw {urls:?})");
            };
            if let Some((role, url)) = line.split_once(" listening on ") {
                urls.insert(role.to_owned(), url.to_owned());
            }
        }
        urls
    })
    .await
    .expect("moonlight announced its listeners in time");
    // Keep reading, so the process never writes into a closed pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Process { child, urls }
}

impl Process {
    /// The base URL `role` announced (`http://127.0.0.1:port`).
    pub fn url(&self, role: &str) -> &str {
        self.urls
            .get(role)
            .unwrap_or_else(|| panic!("no {role} listener"))
    }

    /// Sends SIGTERM and waits (bounded) for a clean exit.
    pub async fn stop(mut self) {
        self.signal("TERM");
        let status = tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .expect("exited within the drain deadline")
            .expect("waiting for moonlight");
        assert!(status.success(), "{status}");
    }

    /// SIGKILL: the process dies at once, as in a crash, with no chance to tidy up.
    pub async fn kill(mut self) {
        self.signal("KILL");
        self.child.wait().await.expect("waiting for moonlight");
    }

    fn signal(&self, name: &str) {
        let pid = self.child.id().expect("a running child").to_string();
        let sent = std::process::Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .expect("running kill");
        assert!(sent.success(), "kill -{name} {pid}");
    }
}
