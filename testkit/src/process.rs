//! `moonlight` as an operator runs it: a real child process, the listeners it announces on
//! stdout, and signals. Used by the binary's own tests and by `loadtest`'s local
//! deployments.

use std::{
    collections::HashMap,
    ffi::OsStr,
    path::Path,
    process::{ExitStatus, Stdio},
    time::Duration,
};

use anyhow::{Context, bail};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt as _, BufReader},
    process::{Child, Command},
};

/// How long a process may take to start or to stop.
pub const START_PATIENCE: Duration = Duration::from_secs(60);

/// A running `moonlight` process and the URLs its listeners announced, by role.
pub struct Moonlight {
    child: Child,
    pid: u32,
    urls: HashMap<String, String>,
}

/// How to start one `moonlight` process.
pub struct Launch<'a> {
    /// The `moonlight` binary.
    pub bin: &'a Path,
    pub data_dir: &'a Path,
    pub content_dir: &'a Path,
    /// Role and flags (every listener is put on a free port).
    pub args: &'a [&'a str],
    pub env: &'a [(&'a str, &'a str)],
    /// The roles whose "listening on" line to wait for.
    pub roles: &'a [&'a str],
    /// Where the server's log (stderr) goes; `None`: inherited.
    pub log: Option<&'a Path>,
}

impl Moonlight {
    /// Starts the process with every listener on a free port, and waits until each role in
    /// `launch.roles` has announced its listener.
    pub async fn start(launch: Launch<'_>) -> anyhow::Result<Self> {
        let mut command = Command::new(launch.bin);
        command
            .args(launch.args)
            .args(["--auth-addr", "127.0.0.1:0"])
            .args(["--lobby-addr", "127.0.0.1:0"])
            .args(["--game-addr", "127.0.0.1:0"])
            .args([OsStr::new("--content-dir"), launch.content_dir.as_os_str()])
            .args([OsStr::new("--data-dir"), launch.data_dir.as_os_str()])
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .envs(launch.env.iter().copied())
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        // The log file takes stderr and, past the announcements, stdout too (where the
        // human-format log goes).
        let log_file = match launch.log {
            Some(log) => {
                let file = std::fs::File::create(log).context("creating the server log")?;
                command.stderr(file.try_clone()?);
                Some(tokio::fs::File::from_std(file))
            }
            None => None,
        };
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", launch.bin.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let mut lines = BufReader::new(child.stdout.take().context("piped stdout")?).lines();
        let roles = launch.roles;
        let urls = tokio::time::timeout(START_PATIENCE, async {
            let mut urls = HashMap::new();
            while !roles.iter().all(|role| urls.contains_key(*role)) {
                let Some(line) = lines.next_line().await.context("reading its stdout")? else {
                    bail!("it exited before announcing {roles:?} (saw {urls:?})");
                };
                if let Some((role, url)) = line.split_once(" listening on ") {
                    urls.insert(role.to_owned(), url.to_owned());
                }
            }
            Ok(urls)
        })
        .await
        .with_context(|| format!("{} did not start in time", launch.bin.display()))??;
        // Keep reading, so the process never writes into a closed pipe.
        tokio::spawn(async move {
            let mut log_file = log_file;
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(file) = &mut log_file {
                    let _ = file.write_all(format!("{line}\n").as_bytes()).await;
                }
            }
        });
        Ok(Self { child, pid, urls })
    }

    /// The base URL `role` announced (`http://127.0.0.1:port`).
    pub fn url(&self, role: &str) -> Option<&str> {
        self.urls.get(role).map(String::as_str)
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// SIGTERM, then waits (bounded) for the exit.
    pub async fn stop(mut self) -> anyhow::Result<ExitStatus> {
        self.signal("TERM")?;
        tokio::time::timeout(START_PATIENCE, self.child.wait())
            .await
            .context("it did not stop within its drain deadline")?
            .context("waiting for it")
    }

    /// SIGKILL: the process dies at once, as in a crash, with no chance to tidy up.
    pub async fn kill(mut self) -> anyhow::Result<()> {
        self.signal("KILL")?;
        self.child.wait().await.context("waiting for it")?;
        Ok(())
    }

    fn signal(&self, name: &str) -> anyhow::Result<()> {
        let sent = std::process::Command::new("kill")
            .args([&format!("-{name}"), &self.pid.to_string()])
            .status()
            .context("running kill")?;
        anyhow::ensure!(sent.success(), "kill -{name} {} failed", self.pid);
        Ok(())
    }
}
