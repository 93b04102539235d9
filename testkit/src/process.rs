//! `moonlight` as an operator runs it: a real child process, the listeners it announces on
//! stdout, and signals. Used by the binary's own tests and by `loadtest`'s local
//! deployments.

use std::{
    collections::HashMap,
    ffi::OsStr,
    path::Path,
    process::{ExitStatus, Stdio},
    sync::Arc,
    time::Duration,
};

use anyhow::{Context, bail};
use parking_lot::Mutex;
use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader},
    process::{Child, Command},
    sync::Notify,
};

/// How long a process may take to start or to stop.
pub const START_PATIENCE: Duration = Duration::from_secs(60);

/// A running `moonlight` process and the URLs its listeners announced, by role.
pub struct Moonlight {
    child: Child,
    pid: u32,
    urls: HashMap<String, String>,
    log: Arc<Log>,
}

/// The log lines a process wrote so far (kept when it logs to no file), and a wake-up for
/// each new one.
#[derive(Default)]
struct Log {
    lines: Mutex<Vec<String>>,
    written: Notify,
}

/// Which services a `moonlight` process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Every service in one process (`moonlight` alone).
    All,
    Auth,
    Lobby,
    GameServer,
}

impl Role {
    /// The roles whose listeners this process announces.
    pub fn listeners(self) -> &'static [&'static str] {
        match self {
            Role::All => &["auth", "lobby", "game-server"],
            Role::Auth => &["auth"],
            Role::Lobby => &["lobby"],
            Role::GameServer => &["game-server"],
        }
    }

    /// Whether this role takes a flag (each role takes only its own).
    pub fn runs(self, role: Role) -> bool {
        self == Role::All || self == role
    }

    fn command(self) -> Option<&'static str> {
        match self {
            Role::All => None,
            Role::Auth => Some("auth"),
            Role::Lobby => Some("lobby"),
            Role::GameServer => Some("game-server"),
        }
    }
}

/// How to start one `moonlight` process.
pub struct Launch<'a> {
    /// The `moonlight` binary.
    pub bin: &'a Path,
    pub role: Role,
    pub data_dir: &'a Path,
    pub content_dir: &'a Path,
    /// Flags of the role (every listener is put on a free port).
    pub args: &'a [&'a str],
    pub env: &'a [(&'a str, &'a str)],
    /// Where the server's log (stderr) goes; `None`: kept in memory, for
    /// [`Moonlight::logged`].
    pub log: Option<&'a Path>,
}

impl Moonlight {
    /// Starts the process with every listener on a free port, and waits until each of its
    /// listeners is announced.
    pub async fn start(launch: Launch<'_>) -> anyhow::Result<Self> {
        Self::start_on(launch, &HashMap::new()).await
    }

    /// Starts the process with each listener on the address `urls` gives its role (URLs as
    /// [`Moonlight::urls`] has them): where an earlier process (now dead) listened, so
    /// clients that know it find it again; or where another listens with a shared port.
    /// Its log is appended to.
    pub async fn start_at(
        launch: Launch<'_>,
        urls: &HashMap<String, String>,
    ) -> anyhow::Result<Self> {
        Self::start_on(launch, urls).await
    }

    async fn start_on(launch: Launch<'_>, urls: &HashMap<String, String>) -> anyhow::Result<Self> {
        let role = launch.role;
        let mut command = Command::new(launch.bin);
        command.args(role.command());
        for (runs, name, flag) in [
            (Role::Auth, "auth", "--auth-addr"),
            (Role::Lobby, "lobby", "--lobby-addr"),
            (Role::GameServer, "game-server", "--game-addr"),
        ] {
            if role.runs(runs) {
                let addr = urls
                    .get(name)
                    .and_then(|url| url.strip_prefix("http://"))
                    .unwrap_or("127.0.0.1:0");
                command.args([flag, addr]);
            }
        }
        if role != Role::Auth {
            command.args([OsStr::new("--content-dir"), launch.content_dir.as_os_str()]);
        }
        command
            .args(launch.args)
            .args([OsStr::new("--data-dir"), launch.data_dir.as_os_str()])
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .envs(launch.env.iter().copied())
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        // A log file is the process's stderr itself: copying it through a pipe would make
        // the server wait on this process whenever the copy fell behind (it writes its log
        // synchronously), and that wait would be measured as the server's latency.
        match launch.log {
            Some(path) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .with_context(|| format!("opening the server log {}", path.display()))?;
                command.stderr(file)
            }
            None => command.stderr(Stdio::piped()),
        };
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", launch.bin.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let log = Arc::new(Log::default());
        let mut logging = child
            .stderr
            .take()
            .map(|stderr| tokio::spawn(keep_log(stderr, Arc::clone(&log))));
        let mut lines = BufReader::new(child.stdout.take().context("piped stdout")?).lines();
        let roles = role.listeners();
        let urls = tokio::time::timeout(START_PATIENCE, async {
            let mut urls = HashMap::new();
            while !roles.iter().all(|role| urls.contains_key(*role)) {
                let Some(line) = lines.next_line().await.context("reading its stdout")? else {
                    // Its log says why: read to its end (the process has closed it).
                    if let Some(logging) = logging.take() {
                        let _ = logging.await;
                    }
                    let said: Vec<String> = {
                        let lines = log.lines.lock();
                        lines
                            .iter()
                            .skip(lines.len().saturating_sub(3))
                            .cloned()
                            .collect()
                    };
                    bail!(
                        "it exited before announcing {roles:?} (saw {urls:?}); its log ends: {}",
                        said.join(" | ")
                    );
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
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            child,
            pid,
            urls,
            log,
        })
    }

    /// The base URL `role` announced (`http://127.0.0.1:port`).
    pub fn url(&self, role: &str) -> Option<&str> {
        self.urls.get(role).map(String::as_str)
    }

    /// Every listener's base URL, by role.
    pub fn urls(&self) -> &HashMap<String, String> {
        &self.urls
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Waits (up to `patience`) until the process has logged a line `matching` accepts,
    /// and returns it: how a test waits for something to happen in another process.
    /// Only for a process started without a log file.
    pub async fn logged(
        &self,
        patience: Duration,
        matching: impl Fn(&str) -> bool,
    ) -> anyhow::Result<String> {
        let log = &self.log;
        tokio::time::timeout(patience, async {
            let mut seen = 0;
            loop {
                let written = log.written.notified();
                tokio::pin!(written);
                written.as_mut().enable();
                {
                    let lines = log.lines.lock();
                    if let Some(line) = lines[seen..].iter().find(|l| matching(l)) {
                        return line.clone();
                    }
                    seen = lines.len();
                }
                written.await;
            }
        })
        .await
        .context("no such line in its log in time")
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
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        self.signal("KILL")?;
        self.child.wait().await.context("waiting for it")?;
        Ok(())
    }

    /// Freezes the process (SIGSTOP), as a stalled machine or a debugger would, until
    /// [`Moonlight::resume`].
    pub fn freeze(&self) -> anyhow::Result<()> {
        self.signal("STOP")
    }

    /// Continues a frozen process (SIGCONT).
    pub fn resume(&self) -> anyhow::Result<()> {
        self.signal("CONT")
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

/// Keeps the process's stderr in `log`, line by line, for [`Moonlight::logged`].
async fn keep_log(stderr: impl AsyncRead + Unpin, log: Arc<Log>) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        log.lines.lock().push(line);
        log.written.notify_waiters();
    }
}
