//! Test harness shared by every crate's integration tests.
//!
//! - [`TestDatabase`]: a fresh, empty database of either kind per test: a SQLite file in a
//!   temporary directory, or a new database on this test process's private PostgreSQL
//!   server ([`postgres`]), started on a free port on first use.
//! - [`redis`]: this test process's private Redis server, shared through key prefixes.
//! - [`db_tests!`]: runs one async test body against both SQLite and PostgreSQL (and
//!   [`paused_db_tests!`], on a paused clock).
//! - [`clock`]: a paused clock held still, for deterministic timer tests;
//! - [`game_client`]: a real WebSocket game client that speaks the protobuf protocol.
//! - [`process`]: the `moonlight` binary as a child process, with its announced listeners.
//! - [`init_logs`]: test logs, only when `TEST_LOG` is set.
//! - [`copy_dir`]: a copy of a directory (the content, for a test that edits it).
//!
//! Private servers are never the machine's own: each test process starts its own in a
//! temporary directory and a watchdog tears it down when the process exits, however it
//! exits. Missing server binaries are installed from Debian's packages.

pub mod clock;
pub mod game_client;
pub mod lobby_client;
pub mod packages;
mod postgres;
pub mod process;
mod redis;
mod watchdog;

pub use postgres::{OwnPostgres, PostgresServer, postgres};
pub use redis::{OwnRedis, RedisCluster, RedisServer, redis, redis_cluster};

use tempfile::TempDir;

/// The database engines every database test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

/// A fresh database for one test. Dropping it removes a SQLite file; PostgreSQL databases
/// go with the private server when the test process ends.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<TempDir>,
}

impl TestDatabase {
    pub async fn new(kind: DbKind) -> Self {
        match kind {
            DbKind::Sqlite => {
                let dir = tempfile::tempdir().expect("creating a temporary directory");
                let url = moonlight_common::Database::sqlite_url_in(dir.path());
                Self {
                    url,
                    _dir: Some(dir),
                }
            }
            DbKind::Postgres => Self {
                url: postgres().create_database().await,
                _dir: None,
            },
        }
    }
}

/// Writes test logs to the test output when `TEST_LOG` is set (e.g. `TEST_LOG=debug`).
pub fn init_logs() {
    if let Ok(filter) = std::env::var("TEST_LOG") {
        use tracing_subscriber::{EnvFilter, fmt};
        let _already = fmt()
            .with_env_filter(EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
}

/// Defines, for each named `async fn name(kind: DbKind)`, a module `name` with two tests,
/// `sqlite` and `postgres`, each running the body against a fresh database of that kind.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::DbKind::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::DbKind::Postgres).await
                }
            }
        )*
    };
}

/// Like [`db_tests!`], on tokio's paused clock (the `current_thread` runtime with
/// `start_paused`): for tests of timers, which hold the clock with
/// [`clock::Frozen`] and move it themselves.
#[macro_export]
macro_rules! paused_db_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(start_paused = true)]
                async fn sqlite() {
                    super::$name($crate::DbKind::Sqlite).await
                }
                #[tokio::test(start_paused = true)]
                async fn postgres() {
                    super::$name($crate::DbKind::Postgres).await
                }
            }
        )*
    };
}

/// A TCP port that was free a moment ago (bind to port 0, read it, release it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("binding an ephemeral port")
}

/// Copies the directory `from` into `to` (which exists), recursively.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).expect("a directory to copy") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            std::fs::create_dir_all(&target).expect("a directory");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("a copied file");
        }
    }
}
