//! `moonlight` as an operator runs it: a real child process, its announced listeners,
//! and signals (through `moonlight_testkit::process`).

#![allow(dead_code)] // each test file uses a different part of this

use std::{collections::HashMap, path::Path, time::Duration};

pub use moonlight_testkit::process::Role;
use moonlight_testkit::process::{Launch, Moonlight};

/// How long a process may take to start or to stop before the test fails.
pub const PATIENCE: Duration = moonlight_testkit::process::START_PATIENCE;

/// A running `moonlight` process.
pub struct Process(Moonlight);

/// Starts `moonlight` in `role` with `args` on `data_dir`, every listener on a free port,
/// and waits until each of its listeners is announced.
pub async fn start(data_dir: &Path, role: Role, args: &[&str], env: &[(&str, &str)]) -> Process {
    start_at(data_dir, role, &HashMap::new(), args, env).await
}

/// [`start`], with the listeners of `role` on the addresses in `urls` (by role name).
pub async fn start_at(
    data_dir: &Path,
    role: Role,
    urls: &HashMap<String, String>,
    args: &[&str],
    env: &[(&str, &str)],
) -> Process {
    try_start_at(data_dir, role, urls, args, env)
        .await
        .expect("starting moonlight")
}

/// [`start_at`], for a process that may fail to start.
pub async fn try_start_at(
    data_dir: &Path,
    role: Role,
    urls: &HashMap<String, String>,
    args: &[&str],
    env: &[(&str, &str)],
) -> anyhow::Result<Process> {
    let content_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    launch(data_dir, &content_dir, role, urls, args, env).await
}

/// [`start`], on the content in `content_dir`.
pub async fn start_with_content(
    data_dir: &Path,
    content_dir: &Path,
    role: Role,
    args: &[&str],
    env: &[(&str, &str)],
) -> Process {
    launch(data_dir, content_dir, role, &HashMap::new(), args, env)
        .await
        .expect("starting moonlight")
}

async fn launch(
    data_dir: &Path,
    content_dir: &Path,
    role: Role,
    urls: &HashMap<String, String>,
    args: &[&str],
    env: &[(&str, &str)],
) -> anyhow::Result<Process> {
    // The tests' players act as fast as the machine goes: a whole game in a second would
    // trip the per-socket frame limit meant for people.
    let mut args = args.to_vec();
    if role.runs(Role::GameServer) {
        args.extend(["--frames-per-second", "100000", "--frame-burst", "100000"]);
    }
    let launch = Launch {
        bin: Path::new(env!("CARGO_BIN_EXE_moonlight")),
        role,
        data_dir,
        content_dir,
        args: &args,
        env,
        log: None,
    };
    Ok(Process(Moonlight::start_at(launch, urls).await?))
}

impl Process {
    /// The base URL `role` announced (`http://127.0.0.1:port`).
    pub fn url(&self, role: &str) -> &str {
        self.0
            .url(role)
            .unwrap_or_else(|| panic!("no {role} listener"))
    }

    /// Waits until the process logs a line containing every one of `words`: how a test
    /// waits for something to happen inside another process.
    pub async fn logged(&self, words: &[&str]) -> String {
        self.0
            .logged(PATIENCE, |line| words.iter().all(|w| line.contains(w)))
            .await
            .unwrap_or_else(|error| panic!("waiting for {words:?}: {error}"))
    }

    pub fn pid(&self) -> u32 {
        self.0.pid()
    }

    /// SIGSTOP for `how_long`, then SIGCONT: the process frozen, as on a stalled machine.
    pub async fn freeze_for(&self, how_long: Duration) {
        self.0.freeze().expect("freezing moonlight");
        // The fault itself lasts this long: nothing is being waited for.
        tokio::time::sleep(how_long).await;
        self.0.resume().expect("continuing moonlight");
    }

    /// Sends SIGTERM and waits (bounded) for a clean exit.
    pub async fn stop(self) {
        let status = self.0.stop().await.expect("stopping moonlight");
        assert!(status.success(), "{status}");
    }

    /// SIGKILL: the process dies at once, as in a crash, with no chance to tidy up.
    pub async fn kill(mut self) {
        self.0.kill().await.expect("killing moonlight");
    }
}
