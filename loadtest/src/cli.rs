//! The command line: a scenario, the deployment it targets, the load, and where the report
//! goes.

use std::{net::IpAddr, path::PathBuf, str::FromStr};

use clap::{Args, Parser, Subcommand};

use crate::{bot::Mode, deploy::Spawn, network::Impairment};

#[derive(Debug, Parser)]
#[command(
    name = "loadtest",
    version,
    about = "Bots that play real Moonlight matches through the real flow, and report what they measured",
    long_about = "Bots sign in at the auth service, find matches in the lobby (quick match or \
                  private rooms), play them over the game WebSocket with the legal actions the \
                  server sends, and start again. The run prints a live progress line, a \
                  summary table, and writes a JSON report and an SVG plot.\n\n\
                  Target a running deployment with --auth and --lobby, or let the tool start \
                  a private local one with --spawn (embedded, redis, or cluster:N)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub scenario: Scenario,
}

#[derive(Debug, Subcommand)]
pub enum Scenario {
    /// N players for T seconds; matches restart as they end.
    Steady(RunArgs),
    /// Adds players step by step until action latency or errors cross a limit, and reports
    /// the knee.
    Ramp {
        #[command(flatten)]
        run: RunArgs,
        #[command(flatten)]
        ramp: RampArgs,
    },
    /// Mid-run, cuts many players' sockets at once (no close handshake) and times how long
    /// they take to resume their matches.
    ReconnectStorm {
        #[command(flatten)]
        run: RunArgs,
        /// Sockets to cut.
        #[arg(long, default_value_t = 2000)]
        storm_players: usize,
        /// When to cut, in seconds after every player has arrived (default: half of
        /// --seconds).
        #[arg(long)]
        storm_at_secs: Option<u64>,
    },
    /// Players log in over and over for T seconds (password hashing under load).
    LoginStorm(RunArgs),
    /// Mid-run, kills a game-server node (SIGKILL) and times how long its matches take to
    /// resume on the survivors.
    Failover {
        #[command(flatten)]
        run: RunArgs,
        /// When to kill, in seconds after every player has arrived (default: a third of
        /// --seconds).
        #[arg(long)]
        kill_at_secs: Option<u64>,
        /// The node to kill (default: the one with the most players).
        #[arg(long)]
        kill_node: Option<String>,
        /// For a deployment this tool did not start: the shell command that kills a node;
        /// `{node}` is replaced by its id.
        #[arg(long)]
        kill_command: Option<String>,
    },
    /// Mid-run, opens `--readers` spectator sockets on live matches that say `Hello` and
    /// never read: clients that stop reading. Measures how fast the servers drop them and
    /// what they cost in memory meanwhile, while the bots play on.
    SlowReaders {
        #[command(flatten)]
        run: RunArgs,
        #[arg(long, default_value_t = 1000)]
        readers: usize,
        /// When to open them, in seconds after every player has arrived (default: a third
        /// of --seconds).
        #[arg(long)]
        readers_at_secs: Option<u64>,
    },
    /// SIGKILLs the game server again and again while the bots play, starting it again each
    /// time on the same addresses and data (--spawn only: the one process of `embedded` and
    /// `redis`, every role with it; a cluster's nodes in turn). Each bot keeps a ledger of
    /// its acknowledged actions and checks it after every resume (none lost, none applied
    /// twice) and that every match it finished has its result recorded.
    Crash {
        #[command(flatten)]
        run: RunArgs,
        /// Crashes in the run (it lasts until the last one, then `--seconds` more).
        #[arg(long, default_value_t = 100)]
        kills: usize,
        /// Seconds between a restart and the next crash.
        #[arg(long, default_value_t = 2.0)]
        every_secs: f64,
    },
    /// The bots play across a bad network: every byte between them and the servers is
    /// delayed, jittered, lost (and retransmitted, as TCP does) and now and then blacked
    /// out for seconds. Each bot keeps a ledger (none of its acknowledged actions lost,
    /// none applied twice, every finished match recorded) and gives up on a socket that
    /// stays silent while an action waits, resuming as a real client would; after the
    /// stop, every player must be free.
    BadNetwork {
        #[command(flatten)]
        run: RunArgs,
        #[command(flatten)]
        link: Impairment,
    },
}

impl Scenario {
    pub fn run_args(&self) -> &RunArgs {
        match self {
            Self::Steady(run) | Self::LoginStorm(run) => run,
            Self::Ramp { run, .. }
            | Self::ReconnectStorm { run, .. }
            | Self::Failover { run, .. }
            | Self::SlowReaders { run, .. }
            | Self::Crash { run, .. }
            | Self::BadNetwork { run, .. } => run,
        }
    }

    /// Whether the bots keep ledgers: results checked after each match, every player
    /// free after the stop.
    pub fn keeps_ledgers(&self) -> bool {
        matches!(self, Self::Crash { .. } | Self::BadNetwork { .. })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Steady(_) => "steady",
            Self::Ramp { .. } => "ramp",
            Self::ReconnectStorm { .. } => "reconnect-storm",
            Self::LoginStorm(_) => "login-storm",
            Self::Failover { .. } => "failover",
            Self::Crash { .. } => "crash",
            Self::SlowReaders { .. } => "slow-readers",
            Self::BadNetwork { .. } => "bad-network",
        }
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Concurrent players (for a ramp: the most it goes to).
    #[arg(long, default_value_t = 1000)]
    pub players: usize,
    /// Seconds of play once every player has arrived (the run stops by itself after).
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Mean think time before each action, in milliseconds (each is drawn from half to
    /// one and a half times this).
    #[arg(long, default_value_t = 2000)]
    pub think_ms: u64,
    /// Players arriving per second at the start.
    #[arg(long, default_value_t = 500.0)]
    pub arrival_per_sec: f64,
    /// How players find matches.
    #[arg(long, value_enum, default_value_t = Mode::Quick)]
    pub mode: Mode,
    /// Decks the players use, in turn.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "dusk_starter,tide_starter,moonwell_starter"
    )]
    pub decks: Vec<String>,
    /// Worker processes running the bots (default: one per 5,000 players). With 1 the bots
    /// run in this process.
    #[arg(long)]
    pub workers: Option<usize>,
    /// Source addresses for the workers' connections: `auto` (127.0.0.11, .12, … when the
    /// target is on loopback), `none`, or a comma-separated list.
    #[arg(long, default_value = "auto")]
    pub source_ips: SourceIps,
    /// Account names are this prefix and a number; existing accounts are logged in.
    #[arg(long, default_value = "loadtest-")]
    pub account_prefix: String,
    /// The password of every account.
    #[arg(long, default_value = "loadtest-password", hide_default_value = true)]
    pub password: String,
    /// Sign-ins in flight at once per worker before the run (each hashes a password).
    #[arg(long, default_value_t = 16)]
    pub sign_in_concurrency: usize,
    /// Decline the lobby's practice-bot offer after a long wait in the queue.
    #[arg(long)]
    pub no_practice: bool,
    /// At the end, walk away from running matches instead of conceding them.
    #[arg(long)]
    pub leave_matches: bool,
    /// Ask for whole views in every update instead of view deltas (to compare the bytes).
    #[arg(long)]
    pub whole_views: bool,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The auth service's base URL (`http://host:port`).
    #[arg(long, required_unless_present = "spawn", conflicts_with = "spawn")]
    pub auth: Option<String>,
    /// A lobby's base URL; repeat it for several lobbies (players are spread over them).
    #[arg(long = "lobby", required_unless_present = "spawn")]
    pub lobbies: Vec<String>,
    /// Start a private local deployment and target it: `embedded` (one process, SQLite),
    /// `redis` (one process on private PostgreSQL and Redis) or `cluster:N` (auth, a
    /// lobby and N game-server processes on private PostgreSQL and Redis).
    #[arg(long)]
    pub spawn: Option<Spawn>,
    /// Another host a game-server URL may name (the auth and lobby hosts are allowed;
    /// nothing else is ever contacted).
    #[arg(long = "allow-host")]
    pub allow_hosts: Vec<String>,
    /// A server process's `/metrics` URL, for its CPU and memory; repeatable (default:
    /// every service's, found from the URLs in use).
    #[arg(long = "metrics")]
    pub metrics: Vec<String>,
    /// The `moonlight` binary for --spawn (default: the one next to this binary).
    #[arg(long)]
    pub server: Option<PathBuf>,
    /// The content directory for --spawn.
    #[arg(long, default_value = "content")]
    pub content_dir: PathBuf,
    /// For --spawn: the sockets each game-server node holds at most (its
    /// `--max-connections`; keep it under the file-descriptor limit).
    #[arg(long, default_value_t = 18_000)]
    pub node_max_connections: usize,
    /// For --spawn: the rooms each node holds at most (its `--max-rooms`; default: the
    /// server's).
    #[arg(long)]
    pub node_max_rooms: Option<usize>,
    /// For --spawn redis or cluster:N: the room store and node directory on a private
    /// Redis Cluster of three masters instead of one Redis.
    #[arg(long)]
    pub redis_cluster: bool,
    /// For --spawn cluster:N: this many lobby processes, behind one address
    /// (`--lobby-reuse-port`).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub spawn_lobbies: u32,
}

impl TargetArgs {
    /// How a spawned deployment is laid out and limited.
    pub fn spawn_options(&self) -> SpawnOptions {
        let mut node_limits = vec![
            "--max-connections".to_owned(),
            self.node_max_connections.to_string(),
        ];
        if let Some(rooms) = self.node_max_rooms {
            node_limits.extend(["--max-rooms".to_owned(), rooms.to_string()]);
        }
        SpawnOptions {
            node_limits,
            redis_cluster: self.redis_cluster,
            lobbies: self.spawn_lobbies,
        }
    }
}

/// What a spawned deployment gets besides its layout.
#[derive(Debug, Clone)]
pub struct SpawnOptions {
    /// The flags each game-server node gets for its limits.
    pub node_limits: Vec<String>,
    /// On a Redis Cluster rather than one Redis.
    pub redis_cluster: bool,
    /// Lobby processes of a `cluster:N`, sharing one address.
    pub lobbies: u32,
}

#[derive(Debug, Args)]
pub struct RampArgs {
    /// Players to begin with.
    #[arg(long, default_value_t = 500)]
    pub start_players: usize,
    /// Players added at each step.
    #[arg(long, default_value_t = 500)]
    pub step_players: usize,
    /// Seconds each step is held (its last half is judged).
    #[arg(long, default_value_t = 20)]
    pub step_secs: u64,
    /// The step fails when its action → update p99 is above this.
    #[arg(long, default_value_t = 20.0)]
    pub p99_limit_ms: f64,
    /// The step fails when it has more errors than this.
    #[arg(long, default_value_t = 0)]
    pub error_limit: u64,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Where the JSON report goes.
    #[arg(long, default_value = "loadtest-report.json")]
    pub json: PathBuf,
    /// Where the SVG plot goes.
    #[arg(long, default_value = "loadtest-report.svg")]
    pub plot: PathBuf,
}

#[derive(Debug, Clone)]
pub enum SourceIps {
    Auto,
    None,
    List(Vec<IpAddr>),
}

impl FromStr for SourceIps {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "auto" => Ok(Self::Auto),
            "none" => Ok(Self::None),
            list => list
                .split(',')
                .map(|ip| ip.trim().parse().map_err(|e| format!("{ip}: {e}")))
                .collect::<Result<Vec<_>, _>>()
                .map(Self::List),
        }
    }
}

impl SourceIps {
    /// The source address of worker `index`, for a target on `target_host`.
    pub fn for_worker(&self, index: usize, target_host: &str) -> Option<IpAddr> {
        match self {
            Self::None => None,
            Self::List(ips) => ips.get(index % ips.len().max(1)).copied(),
            Self::Auto => {
                let loopback = target_host
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback() && ip.is_ipv4())
                    || target_host == "localhost";
                let last = u8::try_from(11 + index % 240).unwrap_or(11);
                loopback.then(|| IpAddr::from([127, 0, 0, last]))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_addresses() {
        let auto: SourceIps = "auto".parse().unwrap();
        assert_eq!(
            auto.for_worker(0, "127.0.0.1"),
            Some(IpAddr::from([127, 0, 0, 11]))
        );
        assert_eq!(
            auto.for_worker(2, "localhost"),
            Some(IpAddr::from([127, 0, 0, 13]))
        );
        assert_eq!(auto.for_worker(0, "10.0.0.5"), None);
        let list: SourceIps = "10.0.0.1, 10.0.0.2".parse().unwrap();
        assert_eq!(
            list.for_worker(3, "10.1.1.1"),
            Some(IpAddr::from([10, 0, 0, 2]))
        );
        assert!("nonsense".parse::<SourceIps>().is_err());
    }

    #[test]
    fn the_command_line_parses() {
        let cli = Cli::try_parse_from([
            "loadtest",
            "failover",
            "--spawn",
            "cluster:3",
            "--players",
            "1000",
        ])
        .unwrap();
        assert_eq!(cli.scenario.name(), "failover");
        assert_eq!(cli.scenario.run_args().players, 1000);
        // A target is required: a URL pair or --spawn.
        assert!(Cli::try_parse_from(["loadtest", "steady"]).is_err());
        assert!(
            Cli::try_parse_from([
                "loadtest",
                "steady",
                "--auth",
                "http://a:1",
                "--lobby",
                "http://b:2"
            ])
            .is_ok()
        );
        // A scaled-out spawn: 1 to 16 lobbies; none, or a silly number, is refused.
        let spawn = |lobbies: &str| {
            Cli::try_parse_from([
                "loadtest",
                "steady",
                "--spawn",
                "cluster:2",
                "--spawn-lobbies",
                lobbies,
            ])
        };
        assert!(spawn("2").is_ok());
        for refused in ["0", "17", "-1", "many"] {
            assert!(spawn(refused).is_err(), "{refused}");
        }
    }
}
