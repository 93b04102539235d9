//! The coordinator's side of its workers: each one a task in this process, or a child
//! process (this same executable, started with [`WORKER_ENV`] set) talked to in JSON lines.

use std::process::Stdio;

use anyhow::Context;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    process::{Child, Command as Process},
    sync::mpsc,
};

use crate::worker::{self, Command, Event, Setup};

/// Set in a child's environment: the process is a worker, not a coordinator.
pub const WORKER_ENV: &str = "MOONLIGHT_LOADTEST_WORKER";
/// Runtime threads a child worker uses.
pub const THREADS_ENV: &str = "MOONLIGHT_LOADTEST_THREADS";

pub struct Workers {
    commands: Vec<mpsc::Sender<Command>>,
    events: mpsc::Receiver<(usize, Event)>,
    _children: Vec<Child>,
}

impl Workers {
    /// Starts one worker per setup: in this process if there is only one, otherwise each in
    /// a child process with its share of the machine's cores.
    pub async fn launch(setups: Vec<Setup>) -> anyhow::Result<Self> {
        let (event_tx, events) = mpsc::channel(256);
        let mut commands = Vec::new();
        let mut children = Vec::new();
        let in_process = setups.len() == 1;
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let threads = (cores / setups.len()).max(1);
        for setup in setups {
            let index = setup.index;
            let (command_tx, command_rx) = mpsc::channel(16);
            commands.push(command_tx);
            if in_process {
                let (tx, mut rx) = mpsc::channel(64);
                tokio::spawn(worker::run(setup, command_rx, tx));
                let event_tx = event_tx.clone();
                tokio::spawn(async move {
                    while let Some(event) = rx.recv().await {
                        if event_tx.send((index, event)).await.is_err() {
                            break;
                        }
                    }
                });
            } else {
                children.push(spawn_child(setup, threads, command_rx, event_tx.clone()).await?);
            }
        }
        Ok(Self {
            commands,
            events,
            _children: children,
        })
    }

    pub fn count(&self) -> usize {
        self.commands.len()
    }

    pub async fn send(&self, worker: usize, command: Command) {
        if let Some(commands) = self.commands.get(worker) {
            let _ = commands.send(command).await;
        }
    }

    pub async fn send_all(&self, command: &Command) {
        for worker in 0..self.commands.len() {
            self.send(worker, command.clone()).await;
        }
    }

    /// The next event from any worker; `None` once every worker is gone.
    pub async fn next(&mut self) -> Option<(usize, Event)> {
        self.events.recv().await
    }
}

async fn spawn_child(
    setup: Setup,
    threads: usize,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<(usize, Event)>,
) -> anyhow::Result<Child> {
    let index = setup.index;
    let exe = std::env::current_exe().context("locating this executable")?;
    let mut child = Process::new(&exe)
        .env(WORKER_ENV, "1")
        .env(THREADS_ENV, threads.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting worker {index} ({})", exe.display()))?;
    let mut stdin = child.stdin.take().context("a worker's stdin")?;
    let stdout = child.stdout.take().context("a worker's stdout")?;
    let mut first = serde_json::to_vec(&setup)?;
    first.push(b'\n');
    stdin.write_all(&first).await?;
    tokio::spawn(async move {
        while let Some(command) = commands.recv().await {
            let Ok(mut line) = serde_json::to_vec(&command) else {
                continue;
            };
            line.push(b'\n');
            if stdin.write_all(&line).await.is_err() || stdin.flush().await.is_err() {
                break;
            }
        }
    });
    tokio::spawn(async move {
        let mut lines = BufReader::new(stdout).lines();
        let mut done = false;
        while let Ok(Some(line)) = lines.next_line().await {
            let event = serde_json::from_str(&line).unwrap_or_else(|error| Event::Failed {
                message: format!("worker {index} sent a bad line ({error})"),
            });
            done = matches!(event, Event::Done);
            if events.send((index, event)).await.is_err() || done {
                break;
            }
        }
        if !done {
            let failed = Event::Failed {
                message: format!("worker {index} exited before it was done"),
            };
            let _ = events.send((index, failed)).await;
            let _ = events.send((index, Event::Done)).await;
        }
    });
    Ok(child)
}
