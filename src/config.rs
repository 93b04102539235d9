//! The `moonlight` command line: which roles a process runs, and the configuration of
//! each. The services' own settings are their crates' config structs, flattened in here,
//! so each flag, environment variable and default is written once, where it is used.

use std::{path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand, ValueEnum};
use moonlight_auth::AuthConfig;
use moonlight_common::{
    Database,
    config::{defaults, non_empty, seconds},
    telemetry::LogFormat,
};
use moonlight_game_server::GameConfig;
use moonlight_lobby::LobbyConfig;

#[derive(Debug, Parser)]
#[command(
    name = "moonlight",
    version,
    about = "Moonlight Online game backend: with no command, every service in one process",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub all: AllRoles,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run only the auth service.
    Auth(AuthRole),
    /// Run only a lobby (needs REDIS_URL to find game servers, and the auth keys in the
    /// data directory to sign room tickets).
    Lobby(LobbyRole),
    /// Run only a game-server node (registers itself in Redis for the lobbies).
    GameServer(GameRole),
    /// Work with designers' content.
    #[command(subcommand)]
    Content(ContentCommand),
    /// Give or take the admin role (the operator's console), against the configured
    /// database; each change goes to the audit log.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Make the account NAME an admin (it shows in its next access token: at its next
    /// login or refresh).
    Grant(AdminTarget),
    /// Take the admin role from the account NAME; its admin requests are refused at once.
    Revoke(AdminTarget),
}

#[derive(Debug, Clone, Args)]
pub struct AdminTarget {
    /// The account's username.
    pub name: String,
    #[command(flatten)]
    pub process: ProcessArgs,
}

#[derive(Debug, Subcommand)]
pub enum ContentCommand {
    /// Check every card, deck and rules file; print every problem as file:line:col.
    Check {
        /// The content directory.
        #[arg(default_value = "content")]
        dir: PathBuf,
    },
    /// Play bot-vs-bot matches between decks of a content directory as it is on disk, and
    /// report win rates (95% intervals), the first player's advantage, game length, and
    /// per card how often it is played and how its deck does when it is.
    Simulate(SimulateArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// The content directory (checked first; its errors are printed as `check` does).
    #[arg(default_value = "content")]
    pub dir: PathBuf,
    /// A deck id to include; repeat it. Every pair of the chosen decks plays. Without
    /// it, every pair of the content's decks.
    #[arg(long = "deck", value_name = "ID")]
    pub decks: Vec<String>,
    /// Games per pairing.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub games: u32,
    /// The bots of side one and side two (`easy`, `normal`, `hard`; one name: both
    /// sides). They swap decks every other game, so two levels can be compared.
    #[arg(long, value_name = "LEVEL[,LEVEL]", value_delimiter = ',', num_args = 1..=2,
        default_value = "easy", value_parser = parse_level)]
    pub bots: Vec<moonlight_engine::Level>,
    /// The seed every match's seed is drawn from: the same seed, the same results.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Threads to play on (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also draw it as an SVG picture in this file.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
}

fn parse_level(name: &str) -> Result<moonlight_engine::Level, String> {
    moonlight_engine::Level::parse(name).ok_or_else(|| {
        let known: Vec<&str> = moonlight_engine::Level::ALL
            .iter()
            .map(|l| l.as_str())
            .collect();
        format!("no bot level `{name}`; the levels are {}", known.join(", "))
    })
}

/// What `moonlight admin` does to an account's admin role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminAction {
    Grant,
    Revoke,
}

/// Every role in one process (the default).
#[derive(Debug, Args)]
pub struct AllRoles {
    #[command(flatten)]
    pub process: ProcessArgs,
    #[command(flatten)]
    pub shared: SharedArgs,
    #[command(flatten)]
    pub auth: AuthConfig,
    #[command(flatten)]
    pub lobby: LobbyConfig,
    #[command(flatten)]
    pub game: GameConfig,
}

#[derive(Debug, Args)]
pub struct AuthRole {
    #[command(flatten)]
    pub process: ProcessArgs,
    #[command(flatten)]
    pub auth: AuthConfig,
}

#[derive(Debug, Args)]
pub struct LobbyRole {
    #[command(flatten)]
    pub process: ProcessArgs,
    #[command(flatten)]
    pub shared: SharedArgs,
    #[command(flatten)]
    pub lobby: LobbyConfig,
}

#[derive(Debug, Args)]
pub struct GameRole {
    #[command(flatten)]
    pub process: ProcessArgs,
    #[command(flatten)]
    pub shared: SharedArgs,
    #[command(flatten)]
    pub game: GameConfig,
    /// Where this game server finds the token public keys: the auth service's JWKS URL
    /// (`http://…/.well-known/jwks.json`, fetched once at start) or a saved copy.
    #[arg(long, value_name = "URL_OR_FILE", env = "MOONLIGHT_AUTH_JWKS")]
    pub auth_jwks: String,
}

/// What every process has, whatever its roles.
#[derive(Debug, Clone, Args)]
pub struct ProcessArgs {
    /// Directory for the SQLite databases and the signing keys.
    #[arg(
        long,
        value_name = "DIR",
        env = "MOONLIGHT_DATA_DIR",
        default_value = "data"
    )]
    pub data_dir: PathBuf,

    /// Database URL (`sqlite://...` or `postgres://...`); default: a SQLite file in the data
    /// directory.
    #[arg(long, value_name = "URL", env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Log format (logs go to stderr; `RUST_LOG` filters them).
    #[arg(
        long,
        env = "MOONLIGHT_LOG_FORMAT",
        value_enum,
        default_value = "human"
    )]
    pub log_format: LogFormatArg,

    /// Seconds to let in-flight work finish after SIGTERM/Ctrl-C before exiting.
    #[arg(long = "shutdown-grace-secs",
        value_name = "SECS", env = "MOONLIGHT_SHUTDOWN_GRACE_SECS", default_value = "10", value_parser = seconds)]
    pub shutdown_grace: Duration,
}

/// What the lobby and the game servers share.
#[derive(Debug, Clone, Args)]
pub struct SharedArgs {
    /// The designers' content (cards, decks, rules). SIGHUP reloads it for new matches.
    #[arg(
        long,
        value_name = "DIR",
        env = "MOONLIGHT_CONTENT_DIR",
        default_value = "content"
    )]
    pub content_dir: PathBuf,

    /// Redis for the shared room store and node directory (required with more than one
    /// process); default: the embedded store in the data directory, and an in-process
    /// directory. With --redis-cluster: the URLs of some of the cluster's nodes, separated
    /// by commas.
    #[arg(long, value_name = "URL", env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// REDIS_URL names nodes of a Redis Cluster (the rest are found from them).
    #[arg(long, env = "MOONLIGHT_REDIS_CLUSTER", requires = "redis_url")]
    pub redis_cluster: bool,

    /// Prefix of every Redis key this deployment uses (no braces: they would make a Redis
    /// Cluster hash tag of it).
    #[arg(long, env = "MOONLIGHT_REDIS_PREFIX", default_value = "moonlight:", value_parser = redis_prefix)]
    pub redis_prefix: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormatArg {
    Human,
    Json,
}

impl From<LogFormatArg> for LogFormat {
    fn from(format: LogFormatArg) -> Self {
        match format {
            LogFormatArg::Human => Self::Human,
            LogFormatArg::Json => Self::Json,
        }
    }
}

/// Which services a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    pub auth: bool,
    pub lobby: bool,
    pub game: bool,
}

impl Roles {
    pub const ALL: Roles = Roles {
        auth: true,
        lobby: true,
        game: true,
    };
    pub const AUTH: Roles = Roles {
        auth: true,
        lobby: false,
        game: false,
    };
    pub const LOBBY: Roles = Roles {
        auth: false,
        lobby: true,
        game: false,
    };
    pub const GAME: Roles = Roles {
        auth: false,
        lobby: false,
        game: true,
    };
}

/// Everything an [`Application`](crate::Application) is built from.
#[derive(Debug, Clone)]
pub struct Config {
    pub roles: Roles,
    pub process: ProcessArgs,
    pub shared: SharedArgs,
    pub auth: AuthConfig,
    pub lobby: LobbyConfig,
    pub game: GameConfig,
    /// A game server without auth in its process: where its token keys are.
    pub auth_jwks: Option<String>,
}

impl Default for Config {
    /// Every role, every default: what `moonlight` alone runs.
    fn default() -> Self {
        let all: AllRoles = defaults();
        Self::from_all(all)
    }
}

impl Config {
    fn from_all(all: AllRoles) -> Self {
        Self {
            roles: Roles::ALL,
            process: all.process,
            shared: all.shared,
            auth: all.auth,
            lobby: all.lobby,
            game: all.game,
            auth_jwks: None,
        }
    }

    /// The database URL in use: the flag's, or the SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        self.process
            .database_url
            .clone()
            .unwrap_or_else(|| Database::sqlite_url_in(&self.process.data_dir))
    }

    pub fn keys_dir(&self) -> PathBuf {
        self.process.data_dir.join("keys")
    }

    /// What the flags cannot check one at a time.
    pub fn validate(&self) -> anyhow::Result<()> {
        // A seat that never shows up voids the match at the join deadline; the turn timer
        // ends the opening-hand choice (and starts play), so the deadline must come first.
        if self.roles.lobby && self.roles.game && self.lobby.join_window >= self.game.turn_time {
            anyhow::bail!(
                "--join-secs ({}) must be less than --turn-secs ({})",
                self.lobby.join_window.as_secs(),
                self.game.turn_time.as_secs()
            );
        }
        if self.roles.lobby && !self.roles.game && self.shared.redis_url.is_none() {
            anyhow::bail!(
                "a lobby without a game server in its process needs REDIS_URL: \
                 that is where game servers register"
            );
        }
        Ok(())
    }
}

fn redis_prefix(text: &str) -> Result<String, String> {
    let prefix = non_empty(text)?;
    if prefix.contains(['{', '}']) {
        return Err(
            "must not contain { or }: a Redis Cluster would read them as a hash tag".to_owned(),
        );
    }
    Ok(prefix)
}

/// What `moonlight` was asked to do.
pub enum Task {
    Serve(Box<Config>),
    CheckContent(PathBuf),
    Simulate(SimulateArgs),
    /// An admin role change for the account `name`, and the database URL to make it in.
    Admin {
        action: AdminAction,
        name: String,
        database_url: String,
    },
}

impl Cli {
    pub fn log_format(&self) -> LogFormat {
        let format = match &self.command {
            None => self.all.process.log_format,
            Some(Command::Auth(role)) => role.process.log_format,
            Some(Command::Lobby(role)) => role.process.log_format,
            Some(Command::GameServer(role)) => role.process.log_format,
            Some(Command::Content(_) | Command::Admin(_)) => LogFormatArg::Human,
        };
        format.into()
    }

    pub fn into_task(self) -> Task {
        let defaults = Config::default();
        let config = match self.command {
            None => Config::from_all(self.all),
            Some(Command::Auth(role)) => Config {
                roles: Roles::AUTH,
                process: role.process,
                auth: role.auth,
                ..defaults
            },
            Some(Command::Lobby(role)) => Config {
                roles: Roles::LOBBY,
                process: role.process,
                shared: role.shared,
                lobby: role.lobby,
                ..defaults
            },
            Some(Command::GameServer(role)) => Config {
                roles: Roles::GAME,
                process: role.process,
                shared: role.shared,
                game: role.game,
                auth_jwks: Some(role.auth_jwks),
                ..defaults
            },
            Some(Command::Content(ContentCommand::Check { dir })) => {
                return Task::CheckContent(dir);
            }
            Some(Command::Content(ContentCommand::Simulate(args))) => {
                return Task::Simulate(args);
            }
            Some(Command::Admin(command)) => {
                let (action, target) = match command {
                    AdminCommand::Grant(target) => (AdminAction::Grant, target),
                    AdminCommand::Revoke(target) => (AdminAction::Revoke, target),
                };
                let config = Config {
                    process: target.process,
                    ..defaults
                };
                return Task::Admin {
                    action,
                    name: target.name,
                    database_url: config.database_url(),
                };
            }
        };
        Task::Serve(Box::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, clap::Error> {
        match Cli::try_parse_from(args)?.into_task() {
            Task::Serve(config) => Ok(*config),
            Task::CheckContent(_) | Task::Simulate(_) | Task::Admin { .. } => {
                panic!("not a server")
            }
        }
    }

    #[test]
    fn the_cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_run_with_no_configuration() {
        let config = parse(&["moonlight"]).unwrap();
        assert_eq!(config.roles, Roles::ALL);
        assert!(config.database_url().starts_with("sqlite://"));
        assert_eq!(config.auth.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(config.lobby.addr.to_string(), "127.0.0.1:8081");
        assert_eq!(config.game.addr.to_string(), "127.0.0.1:8082");
        assert!(config.shared.redis_url.is_none());
        config.validate().unwrap();
    }

    #[test]
    fn game_server_flags_reach_its_config() {
        let config = parse(&[
            "moonlight",
            "game-server",
            "--node-id",
            "eu-2",
            "--allowed-origins",
            "https://a.example,https://b.example",
            "--turn-secs",
            "40",
            "--auth-jwks",
            "jwks.json",
        ])
        .unwrap();
        assert_eq!(config.roles, Roles::GAME);
        assert_eq!(config.game.node_id, "eu-2");
        assert_eq!(
            config.game.allowed_origins,
            ["https://a.example", "https://b.example"]
        );
        assert_eq!(config.game.turn_time, Duration::from_secs(40));
        assert_eq!(config.auth_jwks.as_deref(), Some("jwks.json"));
    }

    #[test]
    fn zero_and_nonsense_values_are_refused_with_the_flag_named() {
        for args in [
            &["moonlight", "--max-rooms", "0"][..],
            &["moonlight", "--turn-secs", "0"],
            &["moonlight", "--frames-per-second", "0"],
            &["moonlight", "--match-interval-ms", "0"],
            &["moonlight", "--node-id", " "],
            &["moonlight", "--public-url", "http://example"],
            &["moonlight", "--game-addr", "nowhere"],
            &["moonlight", "--redis-prefix", "game{1}:"],
            &["moonlight", "--redis-cluster"],
        ] {
            let error = parse(args).unwrap_err().to_string();
            assert!(error.contains(args[1]), "{args:?}: {error}");
        }
        let config = parse(&["moonlight", "--join-secs", "90"]).unwrap();
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("--join-secs"), "{error}");
    }

    /// One row of the README's flag table, or of the command line: environment variable,
    /// literal default (`None`: computed or none), and the roles that take the flag.
    type Flag = (String, Option<String>, String);

    /// The README's flag table: rows `| `--flag` | `ENV` | default | roles | meaning |`.
    fn readme_flags() -> std::collections::BTreeMap<String, Flag> {
        let code = |cell: &str| {
            let inner = cell.strip_prefix('`')?.strip_suffix('`')?;
            (!inner.contains('`')).then(|| inner.to_owned())
        };
        include_str!("../README.md")
            .lines()
            .filter(|line| line.starts_with("| `--"))
            .map(|line| {
                let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
                let flag = code(cells[0]).expect("a flag in backticks");
                let env = code(cells[1]).expect("an environment variable in backticks");
                (flag, (env, code(cells[2]), cells[3].to_owned()))
            })
            .collect()
    }

    /// The same, from the command line's own definition (what `--help` prints).
    fn command_line_flags() -> std::collections::BTreeMap<String, Flag> {
        use clap::CommandFactory;
        let top = Cli::command();
        let mut roles: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
        let roles_of = ["auth", "lobby", "game-server"];
        for role in roles_of {
            let sub = top.find_subcommand(role).expect("a role subcommand");
            for arg in sub.get_arguments().filter_map(|a| a.get_long()) {
                roles.entry(format!("--{arg}")).or_default().push(role);
            }
        }
        let mut flags = std::collections::BTreeMap::new();
        for role in roles_of {
            for arg in top
                .find_subcommand(role)
                .into_iter()
                .flat_map(|s| s.get_arguments())
            {
                let Some(long) = arg.get_long() else { continue };
                let flag = format!("--{long}");
                let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
                let default = (!arg.is_hide_default_value_set())
                    .then(|| arg.get_default_values().first())
                    .flatten()
                    .map(|d| d.to_string_lossy().into_owned());
                let taken_by = &roles[&flag];
                let mut roles_cell = if taken_by.len() == roles_of.len() {
                    "all".to_owned()
                } else {
                    taken_by.join(", ")
                };
                if top.get_arguments().all(|a| a.get_long() != Some(long)) {
                    roles_cell.push_str(" alone");
                }
                let env = env.unwrap_or_else(|| panic!("{flag} has no environment variable"));
                flags.insert(flag, (env, default, roles_cell));
            }
        }
        flags
    }

    #[test]
    fn the_readme_flag_table_is_the_command_line() {
        assert_eq!(readme_flags(), command_line_flags());
    }

    #[test]
    fn each_role_takes_only_its_own_flags() {
        assert!(parse(&["moonlight", "auth", "--auth-addr", "127.0.0.1:0"]).is_ok());
        assert!(parse(&["moonlight", "auth", "--turn-secs", "30"]).is_err());
        assert!(parse(&["moonlight", "game-server", "--auth-addr", "127.0.0.1:0"]).is_err());
        assert!(
            Cli::try_parse_from(["moonlight", "content", "check", "--turn-secs", "3"]).is_err()
        );
    }
}
