//! A worker: a share of the bots, in this process or in a child process of its own (the
//! file-descriptor limit is per process, and one address has only so many ephemeral ports).
//!
//! The coordinator sends [`Command`]s and receives [`Event`]s: over channels in process,
//! or as JSON lines on the child's stdin and stdout. A worker signs its players in first
//! (reporting [`Event::Ready`]), then starts bots as told, cuts sockets as told, and sends
//! one [`Event::Tick`] a second until told to stop.

use std::{collections::HashMap, net::IpAddr, sync::Arc, time::Duration};

use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    sync::mpsc,
    task::JoinSet,
    time::{Instant, MissedTickBehavior, interval, sleep},
};
use tokio_util::sync::CancellationToken;

use moonlight_client::{Api, Dialer, LobbyState, Route, Tokens, Traffic};

use crate::{
    bot::{self, Bot, Control, Ctx, Mode, Pairing},
    network::{BadNetwork, Impairment},
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
    /// Ask for view deltas (`Hello.view_deltas`).
    pub view_deltas: bool,
    pub concede_on_stop: bool,
    /// Keep ledgers: after each match, check that its result was recorded; after the
    /// stop, that every player is free (the crash and bad-network scenarios).
    pub check_results: bool,
    /// Between the bots and the servers: a bad network, and its blackouts (start and
    /// length, in seconds from the first `Activate`).
    pub network: Option<(Impairment, Vec<(f64, f64)>)>,
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
    /// After the stop (ledger scenarios): how many players the lobby had free within
    /// [`SETTLE_PATIENCE`], and how long until the last was.
    Settled {
        players: usize,
        /// Each player still not free: `name: state`.
        stuck: Vec<String>,
        took_ms: u64,
    },
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
    let network = setup
        .network
        .as_ref()
        .map(|(impairment, _)| BadNetwork::new(*impairment, setup.source_ip));
    let ctx = Arc::new(Ctx {
        api: bots_api(setup, network.as_deref()).await?,
        dialer: Dialer {
            source_ip: setup.source_ip,
            allowed: setup.allowed.clone(),
            receive_buffer: None,
            traffic: Some(Arc::clone(&recorder) as Arc<dyn Traffic>),
            route: network.clone().map(|n| n as Arc<dyn Route>),
            view_deltas: setup.view_deltas,
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

    let bots = sign_in_all(setup, &ctx, events).await?;
    let players: Vec<(String, usize)> = bots.iter().map(|b| (b.name.clone(), b.lobby)).collect();
    let mut bots = bots.into_iter();
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
                        if let (Some(network), Some((_, blackouts))) = (&network, &setup.network) {
                            network.begin(Instant::now(), blackouts);
                        }
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
                    running.spawn(async move {
                        bot.storm_logins().await;
                        None
                    });
                } else {
                    running.spawn(async move { Some(bot.run().await) });
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
    let mut tokens = HashMap::new();
    let _ = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(left) = running.join_next().await {
            if let Ok(Some((name, latest))) = left {
                tokens.insert(name, latest);
            }
        }
    })
    .await;
    running.abort_all();
    // What the stop itself cost (leaving queues, conceding) comes as one more second.
    tick(second.unwrap_or(0) + 1, &ctx.recorder, events).await?;
    if setup.check_results {
        // Asked straight, not across the bad network: what the lobby holds, not the link.
        let direct = Api::new(&setup.auth, &setup.lobbies, setup.source_ip)?;
        let settled = settle(&direct, &setup.password, players, tokens).await;
        events.send(settled).await?;
    }
    Ok(())
}

/// The bots' HTTP client: through the bad network's relays when there is one.
async fn bots_api(setup: &Setup, network: Option<&BadNetwork>) -> anyhow::Result<Api> {
    let Some(network) = network else {
        return Api::new(&setup.auth, &setup.lobbies, setup.source_ip);
    };
    let mut lobbies = Vec::new();
    for lobby in &setup.lobbies {
        lobbies.push(network.relay_url(lobby).await?);
    }
    let auth = network.relay_url(&setup.auth).await?;
    Api::new(&auth, &lobbies, setup.source_ip)
}

/// How long after the stop every player must be free: a player whose bot walked away
/// mid-match forfeits 60 s after its socket dropped; a minute more for the rest.
pub const SETTLE_PATIENCE: Duration = Duration::from_secs(120);

/// Asks the lobby (straight, not across the bad network) until every player is free (not
/// queued, in a room or in a match), for up to [`SETTLE_PATIENCE`].
async fn settle(
    api: &Api,
    password: &str,
    players: Vec<(String, usize)>,
    mut tokens: HashMap<String, Tokens>,
) -> Event {
    let started = Instant::now();
    let count = players.len();
    // Each player not known to be free yet, and where the lobby last had them.
    let mut waiting: Vec<(String, usize, String)> = players
        .into_iter()
        .map(|(name, lobby)| (name, lobby, "not asked yet".to_owned()))
        .collect();
    while !waiting.is_empty() && started.elapsed() < SETTLE_PATIENCE {
        let mut still = Vec::new();
        for (name, lobby, _) in waiting {
            let token = match tokens.get(&name) {
                Some(t) if Instant::now() < t.refresh_at => Some(t.access.clone()),
                // A bot stopped before it handed its tokens back, or they are stale.
                _ => match api.login(&name, password).await {
                    Ok(fresh) => {
                        let access = fresh.access.clone();
                        tokens.insert(name.clone(), fresh);
                        Some(access)
                    }
                    Err(_) => None,
                },
            };
            let Some(token) = token else {
                still.push((name, lobby, "cannot sign in".to_owned()));
                continue;
            };
            let state = match api.status(lobby, &token, false).await {
                Ok(LobbyState::Idle) => continue,
                Ok(LobbyState::Queued { .. }) => "queued".to_owned(),
                Ok(LobbyState::InRoom { code }) => format!("in room {code}"),
                Ok(LobbyState::InMatch(t)) => format!("in match {} on {}", t.room_id, t.node_id),
                Err(error) => error.kind(),
            };
            still.push((name, lobby, state));
        }
        waiting = still;
        if !waiting.is_empty() {
            sleep(Duration::from_secs(1)).await;
        }
    }
    Event::Settled {
        players: count,
        stuck: waiting
            .into_iter()
            .map(|(name, _, state)| format!("{name}: {state}"))
            .collect(),
        took_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
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
