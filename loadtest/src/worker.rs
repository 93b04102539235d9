//! A worker: a share of the bots, in this process or in a child process of its own (the
//! file-descriptor limit is per process, and one address has only so many ephemeral ports).
//!
//! The coordinator sends [`Command`]s and receives [`Event`]s: over channels in process,
//! or as JSON lines on the child's stdin and stdout. A worker signs its players in first
//! (reporting [`Event::Ready`]), then starts bots as told, cuts sockets as told, and sends
//! one [`Event::Tick`] a second until told to stop.

use std::{net::IpAddr, sync::Arc, time::Duration};

use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    sync::mpsc,
    task::JoinSet,
    time::{Instant, MissedTickBehavior, interval, sleep},
};
use tokio_util::sync::CancellationToken;

use moonlight_client::{Api, Dialer, Traffic};

use crate::{
    bot::{self, Bot, Control, Ctx, Mode, Pairing},
    stats::{Gauges, Recorder, Sample},
};

/// Everything a worker needs to know, sent once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Setup {
    pub index: usize,
    pub auth: String,
    pub lobbies: Vec<String>,
    /// Hosts sockets may go to.
    pub allowed: Vec<String>,
    pub source_ip: Option<IpAddr>,
    /// Account names are `<prefix><n>` for n in `first..first + players`.
    pub account_prefix: String,
    pub password: String,
    pub first: usize,
    pub players: usize,
    pub mode: Mode,
    pub decks: Vec<String>,
    pub think_ms: u64,
    pub take_practice: bool,
    pub concede_on_stop: bool,
    /// After each match, check that its result was recorded (the crash scenario's ledger).
    pub check_results: bool,
    /// Sign-ins in flight at once.
    pub sign_in_concurrency: usize,
    /// Bots log in over and over instead of playing.
    pub login_storm: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Have `players` bots going, starting the new ones at `per_sec`.
    Activate { players: usize, per_sec: f64 },
    /// Cut the sockets of `players` playing bots at once, with no close handshake.
    Cut { players: usize },
    /// Stop every bot and report for the last time.
    Stop,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Players signed in; `failed` could not be, the first failure's reason in `error`.
    Ready {
        signed_in: usize,
        failed: usize,
        error: Option<String>,
        took_ms: u64,
    },
    /// Progress while signing in.
    SigningIn { done: usize },
    /// Second `n` (counted from the first `Activate`) of measurements.
    Tick {
        n: u64,
        sample: Box<Sample>,
        gauges: Gauges,
    },
    /// How many sockets a `Cut` cut.
    Cut { players: usize },
    /// Every bot has stopped; nothing follows.
    Done,
    /// The worker cannot go on.
    Failed { message: String },
}

/// Runs one worker until `Stop` (or until the coordinator goes away).
pub async fn run(setup: Setup, mut commands: mpsc::Receiver<Command>, events: mpsc::Sender<Event>) {
    if let Err(error) = work(&setup, &mut commands, &events).await {
        let _ = events
            .send(Event::Failed {
                message: format!("worker {}: {error:#}", setup.index),
            })
            .await;
    }
    let _ = events.send(Event::Done).await;
}

async fn work(
    setup: &Setup,
    commands: &mut mpsc::Receiver<Command>,
    events: &mpsc::Sender<Event>,
) -> anyhow::Result<()> {
    let stop = CancellationToken::new();
    let recorder = Arc::new(Recorder::default());
    let ctx = Arc::new(Ctx {
        api: Api::new(&setup.auth, &setup.lobbies, setup.source_ip)?,
        dialer: Dialer {
            source_ip: setup.source_ip,
            allowed: setup.allowed.clone(),
            receive_buffer: None,
            traffic: Some(Arc::clone(&recorder) as Arc<dyn Traffic>),
        },
        recorder,
        think: Duration::from_millis(setup.think_ms),
        password: setup.password.clone(),
        take_practice: setup.take_practice,
        concede_on_stop: setup.concede_on_stop,
        check_results: setup.check_results,
        stop: stop.clone(),
    });
    anyhow::ensure!(!setup.decks.is_empty(), "no decks to play");

    let mut bots = sign_in_all(setup, &ctx, events).await?.into_iter();
    let mut controls: Vec<Arc<Control>> = Vec::new();
    let mut running = JoinSet::new();
    // Seconds are counted from the first `Activate`, on every worker alike, so the
    // coordinator adds up the same second of each.
    let mut ticks = interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut second = None::<u64>;
    // Bots still to start, and the pace to start them at.
    let (mut target, mut per_sec) = (0usize, 0.0f64);
    let mut next_start = Instant::now();
    loop {
        let starting = controls.len() < target;
        tokio::select! {
            command = commands.recv() => match command {
                Some(Command::Activate { players, per_sec: rate }) => {
                    target = players.min(setup.players);
                    per_sec = rate;
                    next_start = Instant::now();
                    if second.is_none() {
                        ticks.reset_after(Duration::from_secs(1));
                        second = Some(0);
                    }
                }
                Some(Command::Cut { players }) => {
                    let cut = controls.iter().filter(|c| c.cut()).take(players).count();
                    events.send(Event::Cut { players: cut }).await?;
                }
                Some(Command::Stop) | None => break,
            },
            () = tokio::time::sleep_until(next_start), if starting => {
                let Some(bot) = bots.next() else {
                    target = controls.len();
                    continue;
                };
                controls.push(Arc::clone(&bot.control));
                if setup.login_storm {
                    running.spawn(bot.storm_logins());
                } else {
                    running.spawn(bot.run());
                }
                next_start += Duration::from_secs_f64(1.0 / per_sec.max(0.001));
            }
            _ = ticks.tick(), if second.is_some() => {
                let n = second.get_or_insert(0);
                *n += 1;
                tick(*n, &ctx.recorder, events).await?;
            }
        }
    }
    stop.cancel();
    // Bots leave their queues and matches; bounded, so one stuck bot cannot hold the run.
    let _ = tokio::time::timeout(Duration::from_secs(15), async {
        while running.join_next().await.is_some() {}
    })
    .await;
    running.abort_all();
    // What the stop itself cost (leaving queues, conceding) comes as one more second.
    tick(second.unwrap_or(0) + 1, &ctx.recorder, events).await
}

async fn tick(n: u64, recorder: &Recorder, events: &mpsc::Sender<Event>) -> anyhow::Result<()> {
    let sample = recorder.take();
    let gauges = recorder.gauges();
    events
        .send(Event::Tick {
            n,
            sample: Box::new(sample),
            gauges,
        })
        .await?;
    Ok(())
}

/// Signs in every player of this worker (a few at a time), pairing them for private rooms.
async fn sign_in_all(
    setup: &Setup,
    ctx: &Arc<Ctx>,
    events: &mpsc::Sender<Event>,
) -> anyhow::Result<Vec<Bot>> {
    let started = Instant::now();
    let names: Vec<String> = (setup.first..setup.first + setup.players)
        .map(|n| format!("{}{n}", setup.account_prefix))
        .collect();
    let mut signing = stream::iter(names.clone().into_iter().enumerate())
        .map(|(i, name)| {
            let ctx = Arc::clone(ctx);
            async move { (i, bot::sign_in(&ctx, &name).await) }
        })
        .buffer_unordered(setup.sign_in_concurrency.max(1));
    let mut tokens = vec![None; names.len()];
    let (mut failed, mut first_error) = (0, None);
    let mut reported = Instant::now();
    let mut done = 0;
    while let Some((i, signed)) = signing.next().await {
        done += 1;
        match signed {
            Ok(t) => tokens[i] = Some(t),
            Err(error) => {
                failed += 1;
                first_error.get_or_insert_with(|| error.to_string());
            }
        }
        if reported.elapsed() >= Duration::from_secs(1) {
            reported = Instant::now();
            events.send(Event::SigningIn { done }).await?;
        }
    }
    // Sign-in latencies are reported with Ready, not mixed into the run's figures.
    let _ = ctx.recorder.take();

    let mut bots = Vec::new();
    let mut pending_host: Option<mpsc::Receiver<String>> = None;
    for (n, (name, tokens)) in names.into_iter().zip(tokens).enumerate() {
        let Some(tokens) = tokens else { continue };
        let pairing = match setup.mode {
            Mode::Quick => Pairing::Quick,
            Mode::Private => match pending_host.take() {
                None => {
                    let (codes, receiver) = mpsc::channel(1);
                    pending_host = Some(receiver);
                    Pairing::Host(codes)
                }
                Some(codes) => Pairing::Guest {
                    codes,
                    pending: None,
                },
            },
        };
        let deck = setup.decks[(setup.first + n) % setup.decks.len()].clone();
        let lobby = setup.first + n;
        bots.push(Bot::new(
            Arc::clone(ctx),
            name,
            deck,
            lobby,
            tokens,
            pairing,
        ));
    }
    events
        .send(Event::Ready {
            signed_in: bots.len(),
            failed,
            error: first_error,
            took_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
        .await?;
    Ok(bots)
}

/// The child-process side: commands from stdin, events to stdout, one JSON value a line.
/// The first line is the [`Setup`].
pub async fn serve_stdio() -> anyhow::Result<()> {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let setup: Setup = match lines.next_line().await? {
        Some(line) => serde_json::from_str(&line)?,
        None => anyhow::bail!("no setup on stdin"),
    };
    let (command_tx, command_rx) = mpsc::channel(16);
    let (event_tx, mut event_rx) = mpsc::channel(64);
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            match serde_json::from_str::<Command>(&line) {
                Ok(command) => {
                    if command_tx.send(command).await.is_err() {
                        break;
                    }
                }
                Err(error) => eprintln!("loadtest worker: ignoring a bad command: {error}"),
            }
        }
        // The coordinator went away: stop.
        let _ = command_tx.send(Command::Stop).await;
    });
    let worker = tokio::spawn(run(setup, command_rx, event_tx));
    let mut stdout = tokio::io::stdout();
    while let Some(event) = event_rx.recv().await {
        let mut line = serde_json::to_vec(&event)?;
        line.push(b'\n');
        stdout.write_all(&line).await?;
        stdout.flush().await?;
        if matches!(event, Event::Done) {
            break;
        }
    }
    worker.await?;
    // A moment for the last line to leave before the process ends.
    sleep(Duration::from_millis(10)).await;
    Ok(())
}
