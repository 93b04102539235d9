//! The coordinator: opens the target (or starts a private deployment), splits the players
//! over workers, has them sign in, then runs the scenario's timeline a second at a time:
//! merging the workers' measurements, watching the servers, printing progress, and at its
//! moments cutting sockets, killing a node or adding players. At the end it stops the
//! workers and puts the report together.

use std::{collections::BTreeMap, io::IsTerminal as _, time::Duration};

use anyhow::Context;
use moonlight_client::{Api, socket::host};
use tokio::time::{Instant, MissedTickBehavior, interval};

use crate::{
    bot,
    cli::{RampArgs, RunArgs, Scenario, TargetArgs},
    deploy::Deployment,
    report::{
        self, BadNetworkResult, CrashResult, FailoverResult, Latencies, LedgerResult, Point,
        RampResult, RampStep, Report, SlowReadersResult, StormResult,
    },
    servers::{self, Watch, Watched},
    slow_readers,
    stats::{Gauges, Sample},
    worker::{Command, Event, SETTLE_PATIENCE, Setup},
    workers::Workers,
};

/// Players per worker process by default (each socket and lobby connection is a file
/// descriptor, 20,000 of them per process here).
const PLAYERS_PER_WORKER: usize = 5000;

/// Runs the scenario to its end and returns the report.
pub async fn run(scenario: &Scenario) -> anyhow::Result<Report> {
    let args = scenario.run_args();
    check(scenario)?;
    let mut target = Target::open(&args.target).await?;
    let report = drive(scenario, &mut target).await;
    let passed = report.as_ref().is_ok_and(Report::passed);
    target.close(passed).await;
    report
}

fn check(scenario: &Scenario) -> anyhow::Result<()> {
    let args = scenario.run_args();
    anyhow::ensure!(args.players > 0, "--players must be at least 1");
    anyhow::ensure!(
        args.arrival_per_sec > 0.0,
        "--arrival-per-sec must be positive"
    );
    anyhow::ensure!(!args.decks.is_empty(), "--decks names no deck");
    if let Scenario::Crash { kills, .. } = scenario {
        anyhow::ensure!(
            args.target.spawn.is_some(),
            "the crash scenario kills and restarts servers it started: use --spawn"
        );
        anyhow::ensure!(*kills > 0, "--kills must be at least 1");
    }
    if let Scenario::Failover { kill_command, .. } = scenario {
        let spawned_nodes = match args.target.spawn {
            Some(crate::deploy::Spawn::Cluster { nodes }) => nodes,
            Some(_) => 0,
            None => usize::MAX,
        };
        anyhow::ensure!(
            spawned_nodes >= 2,
            "a failover needs at least two game-server processes: --spawn cluster:2 or more"
        );
        anyhow::ensure!(
            args.target.spawn.is_some() || kill_command.is_some(),
            "a failover against a deployment this tool did not start needs --kill-command"
        );
    }
    Ok(())
}

/// What the run talks to.
struct Target {
    auth: String,
    lobbies: Vec<String>,
    description: String,
    allowed: Vec<String>,
    watched: Vec<Watched>,
    deployment: Option<Deployment>,
}

impl Target {
    async fn open(args: &TargetArgs) -> anyhow::Result<Self> {
        if let Some(spawn) = args.spawn {
            let bin = match &args.server {
                Some(bin) => bin.clone(),
                None => std::env::current_exe()?
                    .parent()
                    .context("locating this binary's directory")?
                    .join("moonlight"),
            };
            eprintln!("starting a private deployment: {spawn}");
            let deployment =
                Deployment::start(spawn, &bin, &args.content_dir, args.spawn_options()).await?;
            if let Some(logs) = deployment.logs() {
                eprintln!("server logs: {}", logs.display());
            }
            return Ok(Self {
                auth: deployment.auth.clone(),
                lobbies: deployment.lobbies.clone(),
                description: spawn.to_string(),
                allowed: vec!["127.0.0.1".to_owned()],
                watched: deployment.watched.clone(),
                deployment: Some(deployment),
            });
        }
        let auth = args.auth.clone().context("--auth is required")?;
        let lobbies = args.lobbies.clone();
        let mut allowed: Vec<String> = std::iter::once(&auth)
            .chain(&lobbies)
            .filter_map(|url| url.split_once("://").map(|(_, rest)| rest))
            .map(|rest| host(rest.split('/').next().unwrap_or(rest)).to_owned())
            .chain(args.allow_hosts.iter().cloned())
            .collect();
        allowed.sort();
        allowed.dedup();
        let watched = if args.metrics.is_empty() {
            std::iter::once(("auth", &auth))
                .chain(lobbies.iter().map(|l| ("lobby", l)))
                .map(|(name, base)| Watched {
                    name: name.to_owned(),
                    source: format!("{}/metrics", base.trim_end_matches('/')),
                    game: false,
                })
                .collect()
        } else {
            args.metrics
                .iter()
                .map(|url| Watched {
                    name: url.clone(),
                    source: url.clone(),
                    game: false,
                })
                .collect()
        };
        Ok(Self {
            description: format!("{auth} (lobbies: {})", lobbies.join(", ")),
            auth,
            lobbies,
            allowed,
            watched,
            deployment: None,
        })
    }

    /// Fails with a clear message if a service does not answer.
    async fn preflight(&self) -> anyhow::Result<()> {
        let api = Api::new(&self.auth, &self.lobbies, None)?;
        let timeout = Duration::from_secs(5);
        api.healthy(&self.auth, timeout)
            .await
            .with_context(|| format!("cannot reach the auth service at {}", self.auth))?;
        for lobby in &self.lobbies {
            api.healthy(lobby, timeout)
                .await
                .with_context(|| format!("cannot reach the lobby at {lobby}"))?;
        }
        Ok(())
    }

    /// Crashes and restarts a game-serving process of the deployment this tool started.
    async fn crash(&mut self) -> anyhow::Result<(String, Duration)> {
        self.deployment
            .as_mut()
            .context("the crash scenario needs --spawn")?
            .crash()
            .await
    }

    async fn kill(&mut self, node: &str, command: Option<&str>) -> anyhow::Result<()> {
        if let Some(deployment) = &mut self.deployment {
            return deployment.kill_node(node).await;
        }
        let command = command
            .context("--kill-command is needed to kill a node of this deployment")?
            .replace("{node}", node);
        let status = tokio::process::Command::new("sh")
            .args(["-c", &command])
            .status()
            .await
            .with_context(|| format!("running {command}"))?;
        anyhow::ensure!(status.success(), "{command} exited with {status}");
        Ok(())
    }

    async fn close(mut self, passed: bool) {
        let Some(mut deployment) = self.deployment.take() else {
            return;
        };
        if !passed && let Some(logs) = deployment.keep_logs() {
            eprintln!("server logs kept in {}", logs.display());
        }
        if let Err(error) = deployment.stop().await {
            eprintln!("stopping the deployment: {error:#}");
        }
    }
}

/// Starts a task that opens `asked` slow readers on `target` and holds them.
fn open_slow_readers(target: &Target, asked: usize, at: f64) -> SlowFired {
    let (answer, opened) = tokio::sync::oneshot::channel();
    let stop = tokio_util::sync::CancellationToken::new();
    let held = stop.clone();
    let api = Api::new(&target.auth, &target.lobbies, None);
    let lobby = target.lobbies.first().cloned().unwrap_or_default();
    let dialer = moonlight_client::Dialer {
        allowed: target.allowed.clone(),
        ..moonlight_client::Dialer::default()
    };
    tokio::spawn(async move {
        let opened = match api {
            Ok(api) => slow_readers::open(&api, &lobby, &dialer, asked).await,
            Err(error) => Err(error),
        };
        match opened {
            Ok(opened) => {
                let _ = answer.send(Ok((opened.sockets.len(), opened.failed)));
                // Never read: hold the sockets to the end of the run.
                held.cancelled().await;
                drop(opened.sockets);
            }
            Err(error) => {
                let _ = answer.send(Err(format!("{error:#}")));
            }
        }
    });
    SlowFired {
        at,
        opened,
        stop,
        window: Sample::default(),
    }
}

/// Splits `players` over `workers` as evenly as possible, in pairs for private rooms.
fn split(players: usize, workers: usize, pairs: bool) -> Vec<usize> {
    let unit = if pairs { 2 } else { 1 };
    let units = players / unit;
    (0..workers)
        .map(|i| (units / workers + usize::from(i < units % workers)) * unit)
        .collect()
}

fn setups(scenario: &Scenario, target: &Target, workers: usize) -> Vec<Setup> {
    let args = scenario.run_args();
    let pairs = args.mode == crate::bot::Mode::Private;
    let auth_host = target
        .auth
        .split_once("://")
        .map_or("", |(_, rest)| host(rest.split('/').next().unwrap_or(rest)))
        .to_owned();
    let run_secs = args.players as f64 / args.arrival_per_sec + args.seconds as f64;
    let mut first = 0;
    split(args.players, workers, pairs)
        .into_iter()
        .enumerate()
        .map(|(index, players)| {
            let setup = Setup {
                index,
                auth: target.auth.clone(),
                lobbies: target.lobbies.clone(),
                allowed: target.allowed.clone(),
                source_ip: args.source_ips.for_worker(index, &auth_host),
                account_prefix: args.account_prefix.clone(),
                password: args.password.clone(),
                first,
                players,
                mode: args.mode,
                decks: args.decks.clone(),
                think_ms: args.think_ms,
                take_practice: !args.no_practice,
                view_deltas: !args.whole_views,
                concede_on_stop: !args.leave_matches,
                check_results: scenario.keeps_ledgers(),
                network: match scenario {
                    Scenario::BadNetwork { link, .. } => Some((*link, link.blackouts(run_secs))),
                    _ => None,
                },
                sign_in_concurrency: args.sign_in_concurrency,
                login_storm: matches!(scenario, Scenario::LoginStorm(_)),
            };
            first += players;
            setup
        })
        .collect()
}

async fn drive(scenario: &Scenario, target: &mut Target) -> anyhow::Result<Report> {
    let args = scenario.run_args();
    target.preflight().await?;
    let worker_count = args
        .workers
        .unwrap_or_else(|| args.players.div_ceil(PLAYERS_PER_WORKER))
        .clamp(1, args.players.max(1));
    let mut workers = Workers::launch(setups(scenario, target, worker_count)).await?;
    let signing = Instant::now();
    let signed_in = sign_in(&mut workers, args.players).await?;
    let sign_in_secs = signing.elapsed().as_secs_f64();

    let mut watch = Watch::default();
    for process in target.watched.clone() {
        watch.add(process).await;
    }
    watch.sample().await;
    let mut run = Run::new(scenario, worker_count, watch.seconds());
    run.play(&mut workers, &mut watch, target).await;
    run.finish(&mut workers).await;
    watch.sample().await;
    Ok(run.report(target, &watch, worker_count, signed_in, sign_in_secs))
}

/// Waits for every worker to sign its players in, with a progress line.
async fn sign_in(workers: &mut Workers, players: usize) -> anyhow::Result<usize> {
    let mut done = vec![0; workers.count()];
    let mut ready = 0;
    let (mut signed_in, mut failed, mut first_error) = (0, 0, None);
    let progress = Progress::new();
    while ready < workers.count() {
        let Some((worker, event)) = workers.next().await else {
            anyhow::bail!("the workers went away while signing in");
        };
        match event {
            Event::SigningIn { done: n } => {
                done[worker] = n;
                progress.line(&format!(
                    "signing in players: {} of {players}",
                    done.iter().sum::<usize>()
                ));
            }
            Event::Ready {
                signed_in: ok,
                failed: bad,
                error,
                ..
            } => {
                ready += 1;
                signed_in += ok;
                failed += bad;
                first_error = first_error.or(error);
            }
            Event::Failed { message } => anyhow::bail!("{message}"),
            _ => {}
        }
    }
    progress.done(&format!("{signed_in} players signed in"));
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {players} players could not sign in; the first: {}",
            first_error.unwrap_or_default()
        );
    }
    Ok(signed_in)
}

/// The live progress line: rewritten in place on a terminal, a line every five seconds
/// otherwise.
struct Progress {
    tty: bool,
    last: parking_lot::Mutex<Option<Instant>>,
}

impl Progress {
    fn new() -> Self {
        Self {
            tty: std::io::stderr().is_terminal(),
            last: parking_lot::Mutex::new(None),
        }
    }

    fn line(&self, text: &str) {
        if self.tty {
            eprint!("\r\x1b[2K{text}");
            return;
        }
        let mut last = self.last.lock();
        if last.is_none_or(|at| at.elapsed() >= Duration::from_secs(5)) {
            *last = Some(Instant::now());
            eprintln!("{text}");
        }
    }

    fn done(&self, text: &str) {
        if self.tty {
            eprintln!("\r\x1b[2K{text}");
        } else {
            eprintln!("{text}");
        }
    }
}

/// A scenario moment still to come, or what happened at it.
enum Moment {
    None,
    Storm {
        at: f64,
        asked: usize,
        fired: Option<StormFired>,
    },
    Kill {
        at: f64,
        node: Option<String>,
        command: Option<String>,
        fired: Option<KillFired>,
    },
    Ramp(Ramp),
    Crash(Crashes),
    SlowReaders {
        at: f64,
        asked: usize,
        fired: Option<SlowFired>,
    },
}

/// What the slow readers' opener says: how many opened and why the others did not, or why
/// none could be.
type SlowOpened = Result<(usize, BTreeMap<String, u64>), String>;

/// Slow readers opened: by a task of their own, which holds their sockets until `stop`.
struct SlowFired {
    at: f64,
    /// The opener's answer: how many opened, and why the others did not.
    opened: tokio::sync::oneshot::Receiver<SlowOpened>,
    stop: tokio_util::sync::CancellationToken,
    window: Sample,
}

/// The crash scenario's crashes: those to come and those done.
struct Crashes {
    kills: usize,
    every: f64,
    next_at: f64,
    /// Each crash: when (seconds into the run), what, and how long until it listened again.
    done: Vec<(f64, String, Duration)>,
    /// Everything from the first crash on.
    window: Sample,
}

struct StormFired {
    at: f64,
    cut: usize,
    window: Sample,
}

struct KillFired {
    node: String,
    at: f64,
    players: u64,
    window: Sample,
}

struct Ramp {
    args: RampArgsCopy,
    level: usize,
    step_began: f64,
    window: Sample,
    steps: Vec<RampStep>,
    over: bool,
}

#[derive(Clone, Copy)]
struct RampArgsCopy {
    step_players: usize,
    step_secs: f64,
    p99_limit_ms: f64,
    error_limit: u64,
}

impl From<&RampArgs> for RampArgsCopy {
    fn from(a: &RampArgs) -> Self {
        Self {
            step_players: a.step_players.max(1),
            step_secs: a.step_secs.max(2) as f64,
            p99_limit_ms: a.p99_limit_ms,
            error_limit: a.error_limit,
        }
    }
}

/// The run in progress.
struct Run<'a> {
    scenario: &'a Scenario,
    args: &'a RunArgs,
    workers: usize,
    /// When the players began to arrive, on the coordinator's clock and the watch's.
    began: Instant,
    began_watch: f64,
    /// Seconds the arrival takes.
    arrival: f64,
    total: Sample,
    after_arrival: Sample,
    /// Seconds some workers have reported and others not yet: what came, and from whom.
    seconds: std::collections::BTreeMap<u64, (Sample, Vec<Option<Gauges>>)>,
    /// The latest gauges of each worker.
    gauges: Vec<Gauges>,
    /// The servers' summed resident memory at the last reading, in MiB.
    server_rss_mib: f64,
    done: Vec<bool>,
    timeline: Vec<Point>,
    failures: Vec<String>,
    moment: Moment,
    /// After the stop (ledger scenarios): players checked, those stuck (`name: state`),
    /// and the longest a worker waited for its players to be free.
    settled: (usize, Vec<String>, Duration),
    progress: Progress,
}

impl<'a> Run<'a> {
    fn new(scenario: &'a Scenario, workers: usize, began_watch: f64) -> Self {
        let args = scenario.run_args();
        let first_players = match scenario {
            Scenario::Ramp { ramp, .. } => ramp.start_players.clamp(1, args.players),
            _ => args.players,
        };
        let arrival = first_players as f64 / args.arrival_per_sec;
        let half = |at: Option<u64>, default: u64| arrival + at.unwrap_or(default) as f64;
        let moment = match scenario {
            Scenario::ReconnectStorm {
                storm_players,
                storm_at_secs,
                ..
            } => Moment::Storm {
                at: half(*storm_at_secs, args.seconds / 2),
                asked: *storm_players,
                fired: None,
            },
            Scenario::Failover {
                kill_at_secs,
                kill_node,
                kill_command,
                ..
            } => Moment::Kill {
                at: half(*kill_at_secs, args.seconds / 3),
                node: kill_node.clone(),
                command: kill_command.clone(),
                fired: None,
            },
            Scenario::Ramp { ramp, .. } => Moment::Ramp(Ramp {
                args: ramp.into(),
                level: first_players,
                step_began: 0.0,
                window: Sample::default(),
                steps: Vec::new(),
                over: false,
            }),
            Scenario::Crash {
                kills, every_secs, ..
            } => Moment::Crash(Crashes {
                kills: *kills,
                every: every_secs.max(0.1),
                // The first once every player has arrived and played a little.
                next_at: arrival + 5.0,
                done: Vec::new(),
                window: Sample::default(),
            }),
            Scenario::SlowReaders {
                readers,
                readers_at_secs,
                ..
            } => Moment::SlowReaders {
                at: half(*readers_at_secs, args.seconds / 3),
                asked: *readers,
                fired: None,
            },
            Scenario::Steady(_) | Scenario::LoginStorm(_) | Scenario::BadNetwork { .. } => {
                Moment::None
            }
        };
        Self {
            scenario,
            args,
            workers,
            began: Instant::now(),
            began_watch,
            arrival,
            total: Sample::default(),
            after_arrival: Sample::default(),
            seconds: std::collections::BTreeMap::new(),
            gauges: vec![Gauges::default(); workers],
            server_rss_mib: 0.0,
            done: vec![false; workers],
            timeline: Vec::new(),
            failures: Vec::new(),
            moment,
            settled: (0, Vec::new(), Duration::ZERO),
            progress: Progress::new(),
        }
    }

    fn t(&self) -> f64 {
        self.began.elapsed().as_secs_f64()
    }

    fn pairs(&self) -> bool {
        self.args.mode == crate::bot::Mode::Private
    }

    async fn activate(&self, workers: &Workers, players: usize) {
        let per_sec = self.args.arrival_per_sec / self.workers as f64;
        for (worker, players) in split(players, self.workers, self.pairs())
            .into_iter()
            .enumerate()
        {
            workers
                .send(worker, Command::Activate { players, per_sec })
                .await;
        }
    }

    /// Plays the timeline to its end.
    async fn play(&mut self, workers: &mut Workers, watch: &mut Watch, target: &mut Target) {
        let first = match &self.moment {
            Moment::Ramp(ramp) => ramp.level,
            _ => self.args.players,
        };
        self.began = Instant::now();
        self.began_watch = watch.seconds();
        self.activate(workers, first).await;
        let mut ticks = interval(Duration::from_secs(1));
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticks.tick().await;
        let interrupted = tokio::signal::ctrl_c();
        tokio::pin!(interrupted);
        loop {
            tokio::select! {
                event = workers.next() => match event {
                    Some((worker, event)) => self.on_event(worker, event),
                    None => {
                        self.failures.push("every worker went away".to_owned());
                        return;
                    }
                },
                _ = ticks.tick() => {
                    self.second_passed(watch).await;
                    if self.at_moment(workers, target).await {
                        return;
                    }
                }
                _ = &mut interrupted => {
                    self.progress.done("interrupted: stopping the bots");
                    self.failures.push("interrupted".to_owned());
                    return;
                }
            }
        }
    }

    fn on_event(&mut self, worker: usize, event: Event) {
        match event {
            Event::Tick { n, sample, gauges } => {
                let t = self.t();
                self.total.merge(&sample);
                self.add_to_second(n, worker, &sample, &gauges);
                if t >= self.arrival {
                    self.after_arrival.merge(&sample);
                }
                match &mut self.moment {
                    Moment::Storm {
                        fired: Some(fired), ..
                    } => fired.window.merge(&sample),
                    Moment::Kill {
                        fired: Some(fired), ..
                    } => fired.window.merge(&sample),
                    Moment::Crash(crashes) if !crashes.done.is_empty() => {
                        crashes.window.merge(&sample);
                    }
                    Moment::SlowReaders {
                        fired: Some(fired), ..
                    } => fired.window.merge(&sample),
                    Moment::Ramp(ramp) if t - ramp.step_began >= ramp.args.step_secs / 2.0 => {
                        ramp.window.merge(&sample);
                    }
                    _ => {}
                }
                if let Some(slot) = self.gauges.get_mut(worker) {
                    *slot = gauges;
                }
            }
            Event::Cut { players } => {
                if let Moment::Storm {
                    fired: Some(fired), ..
                } = &mut self.moment
                {
                    fired.cut += players;
                }
            }
            Event::Settled {
                players,
                stuck,
                took_ms,
            } => {
                self.settled.0 += players;
                self.settled.1.extend(stuck);
                self.settled.2 = self.settled.2.max(Duration::from_millis(took_ms));
            }
            Event::Failed { message } => self.failures.push(message),
            Event::Done => {
                if let Some(done) = self.done.get_mut(worker) {
                    *done = true;
                }
            }
            Event::Ready { .. } | Event::SigningIn { .. } => {}
        }
    }

    fn merged_gauges(&self) -> Gauges {
        let mut gauges = Gauges::default();
        for g in &self.gauges {
            gauges.merge(g);
        }
        gauges
    }

    /// Adds worker `worker`'s second `n`; once every worker's is in, the second goes on
    /// the timeline (with those before it that are complete too).
    fn add_to_second(&mut self, n: u64, worker: usize, sample: &Sample, gauges: &Gauges) {
        let workers = self.workers;
        let (second, from) = self
            .seconds
            .entry(n)
            .or_insert_with(|| (Sample::default(), vec![None; workers]));
        second.merge(sample);
        if let Some(slot) = from.get_mut(worker) {
            *slot = Some(gauges.clone());
        }
        while let Some(entry) = self.seconds.first_entry() {
            if entry.get().1.iter().any(Option::is_none) {
                break;
            }
            let (n, (sample, from)) = entry.remove_entry();
            self.push_point(n, &sample, from.into_iter().flatten());
        }
    }

    fn push_point(&mut self, n: u64, sample: &Sample, gauges: impl Iterator<Item = Gauges>) {
        let mut merged = Gauges::default();
        for g in gauges {
            merged.merge(&g);
        }
        let point = Point::new(n as f64, sample, &merged, self.server_rss_mib);
        self.progress.line(&format!(
            "[{:>4.0}s] players {} playing {} waiting {} resuming {} | {} actions/s p99 {:.1} ms | {} matches done | errors {} | servers {:.0} MiB",
            point.t,
            point.active,
            point.playing,
            point.waiting,
            point.resuming,
            point.actions,
            point.action.p99_ms,
            self.total.counters.matches_completed,
            self.total.error_count(),
            point.server_rss_mib
        ));
        self.timeline.push(point);
    }

    /// Seconds not every worker reported (the last, if a worker stopped early) go on the
    /// timeline with what came.
    fn flush_seconds(&mut self) {
        for (n, (sample, from)) in std::mem::take(&mut self.seconds) {
            self.push_point(n, &sample, from.into_iter().flatten());
        }
    }

    /// Servers found along the way, and a reading of every server.
    async fn second_passed(&mut self, watch: &mut Watch) {
        let gauges = self.merged_gauges();
        for (id, url) in &gauges.nodes {
            watch
                .add(Watched {
                    name: format!("node {id}"),
                    source: format!("{url}/metrics"),
                    game: true,
                })
                .await;
        }
        watch.sample().await;
        // Moonlight's own processes: what a player costs the servers we run.
        self.server_rss_mib = watch
            .processes
            .iter()
            .zip(&watch.readings)
            .filter(|(process, _)| !process.is_local())
            .filter_map(|(_, r)| r.last())
            .map(|(_, r)| r.rss_bytes / (1024.0 * 1024.0))
            .sum();
    }

    /// Does what the scenario does at this second; `true` when the run is over.
    async fn at_moment(&mut self, workers: &Workers, target: &mut Target) -> bool {
        let t = self.t();
        let end = self.arrival + self.args.seconds as f64;
        let gauges = self.merged_gauges();
        match &mut self.moment {
            Moment::Storm { at, asked, fired } if fired.is_none() && t >= *at => {
                let share = asked.div_ceil(self.workers);
                self.progress
                    .done(&format!("cutting {asked} players' sockets at once"));
                workers.send_all(&Command::Cut { players: share }).await;
                *fired = Some(StormFired {
                    at: t,
                    cut: 0,
                    window: Sample::default(),
                });
            }
            Moment::Kill {
                at,
                node,
                command,
                fired,
            } if fired.is_none() && t >= *at => {
                let chosen = node.clone().or_else(|| {
                    gauges
                        .per_node
                        .iter()
                        .max_by_key(|(_, n)| **n)
                        .map(|(id, _)| id.clone())
                });
                let Some(chosen) = chosen else {
                    self.failures.push("no node had players to kill".to_owned());
                    return true;
                };
                let players = gauges.per_node.get(&chosen).copied().unwrap_or(0);
                self.progress
                    .done(&format!("killing {chosen} with {players} players on it"));
                if let Err(error) = target.kill(&chosen, command.as_deref()).await {
                    self.failures.push(format!("killing {chosen}: {error:#}"));
                    return true;
                }
                *fired = Some(KillFired {
                    node: chosen,
                    at: t,
                    players,
                    window: Sample::default(),
                });
            }
            Moment::Ramp(ramp) if !ramp.over && t - ramp.step_began >= ramp.args.step_secs => {
                let window = std::mem::take(&mut ramp.window);
                let judged = ramp.args.step_secs / 2.0;
                let p99 = window.hist.action.ms(0.99);
                let errors = window.error_count() + window.drops.values().sum::<u64>();
                let held = !window.hist.action.is_empty()
                    && p99 <= ramp.args.p99_limit_ms
                    && errors <= ramp.args.error_limit;
                ramp.steps.push(RampStep {
                    players: ramp.level,
                    action_p99_ms: p99,
                    errors,
                    actions_per_sec: window.counters.actions as f64 / judged,
                    held,
                });
                if held && ramp.level < self.args.players {
                    ramp.level = (ramp.level + ramp.args.step_players).min(self.args.players);
                    ramp.step_began = t;
                    let level = ramp.level;
                    self.activate(workers, level).await;
                } else {
                    ramp.over = true;
                    return true;
                }
            }
            Moment::Ramp(_) => {}
            Moment::Crash(crashes)
                if crashes.done.len() < crashes.kills && t >= crashes.next_at =>
            {
                match target.crash().await {
                    Ok((what, restart)) => {
                        let n = crashes.done.len() + 1;
                        self.progress.done(&format!(
                            "crash {n} of {}: {what} killed, listening again after {:.2} s",
                            crashes.kills,
                            restart.as_secs_f64()
                        ));
                        crashes.done.push((t, what, restart));
                        crashes.next_at = self.began.elapsed().as_secs_f64() + crashes.every;
                    }
                    Err(error) => {
                        self.failures.push(format!("crash: {error:#}"));
                        return true;
                    }
                }
            }
            // After the last crash, `--seconds` for every match to come back and play on.
            Moment::Crash(crashes) if crashes.done.len() >= crashes.kills => {
                let last = crashes.done.last().map_or(0.0, |(at, ..)| *at);
                if t >= last + self.args.seconds as f64 {
                    return true;
                }
            }
            Moment::Crash(_) => {}
            Moment::SlowReaders { at, asked, fired } if fired.is_none() && t >= *at => {
                self.progress.done(&format!(
                    "opening {asked} spectator sockets that never read"
                ));
                *fired = Some(open_slow_readers(target, *asked, t));
            }
            _ if t >= end => return true,
            _ => {}
        }
        false
    }

    /// Stops the bots and takes their last measurements.
    async fn finish(&mut self, workers: &mut Workers) {
        self.progress.done("stopping the bots");
        let duration = self.t();
        workers.send_all(&Command::Stop).await;
        let mut patience = Duration::from_secs(30);
        if self.scenario.keeps_ledgers() {
            self.progress
                .done("waiting for the lobby to have every player free");
            patience += SETTLE_PATIENCE;
        }
        let deadline = Instant::now() + patience;
        while self.done.iter().any(|d| !d) {
            match tokio::time::timeout_at(deadline, workers.next()).await {
                Ok(Some((worker, event))) => self.on_event(worker, event),
                Ok(None) => break,
                Err(_) => {
                    self.failures.push(format!(
                        "workers did not stop within {} s",
                        patience.as_secs()
                    ));
                    break;
                }
            }
        }
        self.flush_seconds();
        // The stop itself (leaving queues, conceding) is not part of the measured run.
        self.began = Instant::now() - Duration::from_secs_f64(duration);
    }

    /// What the ledgers found over `window`, and after the stop.
    fn ledger_result(&self, window: &Sample) -> LedgerResult {
        let errors = &self.total.errors;
        let count = |kind: &str| errors.get(kind).copied().unwrap_or(0);
        let (players_checked, stuck, took) = &self.settled;
        LedgerResult {
            acknowledged: window.counters.actions,
            resumed: window.counters.resumed,
            resume: window.hist.resume.summary(),
            gave_up_on_silence: window.counters.gave_up_on_silence,
            matches_completed: window.counters.matches_completed,
            lost: count(bot::LOST_ACTION),
            applied_twice: count(bot::APPLIED_TWICE),
            results_missing: count(bot::RESULT_MISSING),
            not_resumed: count(bot::NOT_RESUMED),
            stuck_after_stop: stuck.len(),
            stuck: stuck.iter().take(20).cloned().collect(),
            players_checked: *players_checked,
            all_free_after_secs: took.as_secs_f64(),
            other_errors: errors
                .iter()
                .filter(|(kind, _)| !bot::LEDGER_ERRORS.contains(&kind.as_str()))
                .map(|(kind, n)| (kind.clone(), *n))
                .collect(),
        }
    }

    /// What the crashes did, and what the ledgers found from the first on.
    fn crash_result(&self, crashes: &Crashes) -> CrashResult {
        let mut restarts: Vec<f64> = crashes
            .done
            .iter()
            .map(|(_, _, d)| d.as_secs_f64())
            .collect();
        restarts.sort_by(f64::total_cmp);
        let quantile = |q: f64| {
            restarts
                .get(((restarts.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or(0.0)
        };
        let last = crashes.done.last().map_or(0.0, |(at, ..)| *at);
        CrashResult {
            asked: crashes.kills,
            kills: crashes.done.len(),
            restart_p50_secs: quantile(0.5),
            restart_max_secs: quantile(1.0),
            actions_after_last: self
                .timeline
                .iter()
                .filter(|p| p.t > last + 1.0)
                .map(|p| p.actions)
                .sum(),
            ledger: self.ledger_result(&crashes.window),
        }
    }

    fn report(
        mut self,
        target: &Target,
        watch: &Watch,
        workers: usize,
        signed_in: usize,
        sign_in_secs: f64,
    ) -> Report {
        let duration = self.t();
        let from = self.began_watch;
        let costs = servers::costs(watch, from, from + duration);
        let server_side = servers::server_side(watch, from, from + duration);
        let actions = self.total.counters.actions;
        let cpu_per_action_us = server_side
            .filter(|side| side.cpu_seconds > 0.0 && actions > 0)
            .map(|side| side.cpu_seconds / actions as f64 * 1e6);
        let peak = self.timeline.iter().max_by_key(|p| p.playing);
        let idle_rss: f64 = costs.iter().map(|c| c.rss_idle_mib).sum();
        let memory_per_player_kib = peak
            .filter(|p| p.playing > 0)
            .map(|p| (p.server_rss_mib - idle_rss).max(0.0) * 1024.0 / p.playing as f64);
        let peak_playing = peak.map_or(0, |p| p.playing);

        let (ramp, storm, failover, expected_drops) = match &self.moment {
            Moment::Ramp(r) => (
                Some(RampResult {
                    steps: r.steps.clone(),
                    knee_players: r.steps.iter().filter(|s| s.held).map(|s| s.players).max(),
                    limit: format!(
                        "a step holds with action p99 ≤ {} ms and ≤ {} errors",
                        r.args.p99_limit_ms, r.args.error_limit
                    ),
                }),
                None,
                None,
                None,
            ),
            Moment::Storm {
                asked,
                fired: Some(f),
                ..
            } => {
                if f.window.counters.resumed < f.cut as u64 {
                    self.failures.push(format!(
                        "{} of {} cut sockets did not resume",
                        f.cut as u64 - f.window.counters.resumed,
                        f.cut
                    ));
                }
                let storm = StormResult {
                    at_secs: f.at,
                    asked: *asked,
                    cut: f.cut,
                    resumed: f.window.counters.resumed,
                    resume: f.window.hist.resume.summary(),
                };
                (None, Some(storm), None, None)
            }
            Moment::Kill { fired: Some(f), .. } => {
                let moved = f.window.counters.moved_node;
                if moved < f.players {
                    self.failures.push(format!(
                        "{} of {} players on {} did not resume elsewhere",
                        f.players - moved,
                        f.players,
                        f.node
                    ));
                }
                let failover = FailoverResult {
                    node: f.node.clone(),
                    at_secs: f.at,
                    players_on_node: f.players,
                    matches_on_node: f.players.div_ceil(2),
                    resumed_elsewhere: moved,
                    resume: f.window.hist.resume.summary(),
                };
                (None, None, Some(failover), Some(f.node.clone()))
            }
            Moment::Storm { fired: None, .. } | Moment::Kill { fired: None, .. } => {
                self.failures
                    .push("the run ended before its storm or kill".to_owned());
                (None, None, None, None)
            }
            Moment::None | Moment::Crash(_) | Moment::SlowReaders { .. } => {
                (None, None, None, None)
            }
        };
        let slow_readers = match &mut self.moment {
            Moment::SlowReaders {
                asked,
                fired: Some(fired),
                ..
            } => {
                fired.stop.cancel();
                let answer = fired.opened.try_recv();
                let result = slow_result(*asked, fired, answer, watch, self.began_watch);
                match &result {
                    Ok(result) if result.opened == 0 => {
                        self.failures
                            .push("no slow reader could be opened".to_owned());
                    }
                    Ok(_) => {}
                    Err(error) => self.failures.push(format!("slow readers: {error}")),
                }
                result.ok()
            }
            Moment::SlowReaders { fired: None, .. } => {
                self.failures
                    .push("the run ended before the slow readers came".to_owned());
                None
            }
            _ => None,
        };
        let crash = match &self.moment {
            Moment::Crash(crashes) => Some(self.crash_result(crashes)),
            _ => None,
        };
        let bad_network = match self.scenario {
            Scenario::BadNetwork { link, .. } => Some(BadNetworkResult {
                link: *link,
                blackouts: link.blackouts(self.arrival + self.args.seconds as f64),
                dropped_by_servers: watch
                    .processes
                    .iter()
                    .zip(&watch.readings)
                    .filter(|(process, _)| process.game)
                    .filter_map(|(_, readings)| readings.last())
                    .map(|(_, reading)| reading.slow_clients_dropped as u64)
                    .sum(),
                ledger: self.ledger_result(&self.total),
            }),
            _ => None,
        };
        if let Some(crash) = &crash {
            if crash.kills < crash.asked {
                self.failures
                    .push(format!("{} of {} crashes done", crash.kills, crash.asked));
            }
            self.failures.extend(crash.ledger.failures());
            if crash.actions_after_last == 0 {
                self.failures
                    .push("no action was acknowledged after the last crash".to_owned());
            }
        } else if ramp.is_none() {
            if let Some(bad) = &bad_network {
                self.failures.extend(bad.ledger.failures());
            }
            let errors = self.total.error_count();
            if errors > 0 {
                self.failures.push(format!("{errors} errors"));
            }
            // Across a bad network, sockets are lost: that is the scenario.
            let unexpected: u64 = self
                .total
                .drops
                .iter()
                .filter(|(node, _)| Some(*node) != expected_drops.as_ref())
                .filter(|_| bad_network.is_none())
                .map(|(_, n)| n)
                .sum();
            if unexpected > 0 {
                self.failures.push(format!(
                    "{unexpected} sockets lost mid-match (dropped, or closed 1008 by the server)"
                ));
            }
        }
        if self.total.counters.actions == 0 && !matches!(self.scenario, Scenario::LoginStorm(_)) {
            self.failures.push("no action was acknowledged".to_owned());
        }

        let h = &self.total.hist;
        Report {
            scenario: self.scenario.name().to_owned(),
            deployment: target.description.clone(),
            started_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
                .saturating_sub(duration as u64),
            players: self.args.players,
            think_ms: self.args.think_ms,
            mode: format!("{:?}", self.args.mode).to_lowercase(),
            workers,
            accounts_signed_in: signed_in,
            sign_in_secs,
            duration_secs: duration,
            arrival_secs: self.arrival.min(duration),
            peak_playing,
            counters: self.total.counters,
            per_sec: report::rates(&self.total.counters, duration),
            latency_ms: Latencies {
                action: h.action.summary(),
                action_after_arrival: self.after_arrival.hist.action.summary(),
                connect: h.connect.summary(),
                upgrade: h.upgrade.summary(),
                resume: h.resume.summary(),
                matchmaking: h.matchmaking.summary(),
                login: h.login.summary(),
            },
            errors: self.total.errors.clone(),
            drops: self.total.drops.clone(),
            servers: costs,
            server_side,
            cpu_per_action_us,
            memory_per_player_kib,
            ramp,
            storm,
            failover,
            crash,
            bad_network,
            slow_readers,
            failures: self.failures,
            timeline: self.timeline,
        }
    }
}

/// What the slow readers cost the game servers: memory before, at the peak after and at
/// the end, and how many the servers dropped (their slow and silent clients dropped),
/// how soon after they came.
fn slow_result(
    asked: usize,
    fired: &SlowFired,
    answer: Result<SlowOpened, tokio::sync::oneshot::error::TryRecvError>,
    watch: &Watch,
    began_watch: f64,
) -> Result<SlowReadersResult, String> {
    let (opened, failed) = match answer {
        Ok(answer) => answer?,
        Err(_) => return Err("still opening at the end of the run".to_owned()),
    };
    let fired_at = began_watch + fired.at;
    let games: Vec<&Vec<(f64, servers::Reading)>> = watch
        .processes
        .iter()
        .zip(&watch.readings)
        .filter(|(process, _)| process.game)
        .map(|(_, readings)| readings)
        .collect();
    let mib = |bytes: f64| bytes / (1024.0 * 1024.0);
    let before = |readings: &Vec<(f64, servers::Reading)>| {
        readings
            .iter()
            .take_while(|(t, _)| *t <= fired_at)
            .last()
            .map(|(_, r)| r.clone())
            .unwrap_or_default()
    };
    let rss_before: f64 = games.iter().map(|r| before(r).rss_bytes).sum();
    let rss_peak: f64 = games
        .iter()
        .map(|r| {
            r.iter()
                .filter(|(t, _)| *t > fired_at)
                .map(|(_, reading)| reading.rss_bytes)
                .fold(0.0, f64::max)
        })
        .sum();
    let rss_end: f64 = games
        .iter()
        .filter_map(|r| r.last().map(|(_, reading)| reading.rss_bytes))
        .sum();
    let dropped_before: f64 = games.iter().map(|r| before(r).slow_clients_dropped).sum();
    // The servers' count of dropped slow clients, second by second (they read together).
    let seconds = games.iter().map(|r| r.len()).min().unwrap_or(0);
    let mut dropped = 0.0;
    let mut all_dropped_after = None;
    for i in 0..seconds {
        let t = games[0][i].0;
        if t <= fired_at {
            continue;
        }
        dropped = games
            .iter()
            .map(|r| r[i].1.slow_clients_dropped)
            .sum::<f64>()
            - dropped_before;
        if all_dropped_after.is_none() && opened > 0 && dropped >= opened as f64 {
            all_dropped_after = Some(t - fired_at);
        }
    }
    Ok(SlowReadersResult {
        at_secs: fired.at,
        asked,
        opened,
        failed,
        dropped_by_servers: dropped.max(0.0) as u64,
        all_dropped_after_secs: all_dropped_after,
        rss_before_mib: mib(rss_before),
        rss_peak_mib: mib(rss_peak),
        rss_end_mib: mib(rss_end),
        action: fired.window.hist.action.summary(),
    })
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn players_split_evenly_and_in_pairs() {
        assert_eq!(split(10, 3, false), [4, 3, 3]);
        assert_eq!(split(10, 3, true), [4, 4, 2]);
        assert_eq!(split(7, 2, true), [4, 2]);
        assert_eq!(split(1, 1, false), [1]);
        for level in 0..50 {
            let at_level = split(level, 3, true);
            let at_max = split(50, 3, true);
            assert!(at_level.iter().zip(&at_max).all(|(a, m)| a <= m));
        }
    }
}
