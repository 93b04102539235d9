//! The SQL database behind accounts, tokens, ratings and match history.
//!
//! One pool type ([`sqlx::AnyPool`]) serves both backends, so every query is written once:
//! queries use `$1`-style placeholders (which SQLite accepts too) and only portable types
//! (`BIGINT`, `TEXT`, `BOOLEAN`). Each backend has its own migration set in `migrations/`.

use std::{
    path::Path,
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use anyhow::Context;
use sqlx::{
    AnyConnection, AnyPool, Connection, Executor, Row,
    any::{AnyConnectOptions, AnyPoolOptions},
};
use tokio_util::sync::{CancellationToken, DropGuard};

/// How often the SQLite checkpointer copies the write-ahead log into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);

/// Which database engine a URL points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Reads the backend from a database URL's scheme.
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            anyhow::bail!("unsupported database URL (expected sqlite: or postgres:)")
        }
    }
}

/// A pooled connection to the database, with migrations applied.
#[derive(Clone)]
pub struct Database {
    pool: AnyPool,
    options: AnyConnectOptions,
    backend: Backend,
    described: String,
    /// Set by the SQLite checkpointer when its pass found frames in the log: see
    /// [`Database::catch_up_log`].
    log_behind: Arc<AtomicBool>,
    /// Stops the SQLite checkpointer when the last clone goes.
    _checkpointer: Option<Arc<DropGuard>>,
}

/// Names the database, never its credentials (the connect options hold the password).
impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.backend)
            .field("database", &self.described)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// The URL of the SQLite database inside `data_dir`, created if missing.
    pub fn sqlite_url_in(data_dir: &Path) -> String {
        Self::sqlite_file_url(&data_dir.join("moonlight.db"))
    }

    /// The URL of the embedded room store's SQLite file inside `data_dir` (a file of its
    /// own: see the `moonlight` binary), created if missing.
    pub fn sqlite_rooms_url_in(data_dir: &Path) -> String {
        Self::sqlite_file_url(&data_dir.join("rooms.db"))
    }

    fn sqlite_file_url(path: &Path) -> String {
        format!("sqlite://{}?mode=rwc", path.display())
    }

    /// Connects to `url` and applies the migrations for its backend. Errors name the
    /// database (its file, or its host and name; never its password) and come at once: a
    /// database that cannot be opened, or that refuses writes, fails here, not at the first
    /// request.
    ///
    /// A commit survives a crash of the process on both backends. On PostgreSQL (with its
    /// default `synchronous_commit = on`) it also survives an OS crash or a power loss; on
    /// SQLite (WAL, `synchronous = NORMAL`) those can lose the commits since the last
    /// checkpoint, at most [`CHECKPOINT_EVERY`] ago: fsyncing every commit (`FULL`)
    /// measured 2.8 times the time per commit of the embedded room store under load
    /// (0.86 ms against 0.31 ms, with the store's thread 59 % busy) and tripled the action
    /// p99.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let place = describe(url);
        Self::connect_to(url)
            .await
            .with_context(|| format!("opening the database ({place})"))
    }

    async fn connect_to(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let options = AnyConnectOptions::from_str(url).context("parsing the database URL")?;
        // One connection first, on its own: the pool would retry a failing one until its
        // acquire timeout and then report only "timed out".
        AnyConnection::connect_with(&options)
            .await
            .context("connecting")?
            .close()
            .await
            .context("connecting")?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                // SQLite has one writer at a time. With several connections, a writer that
                // finds the lock taken sleeps in SQLite's busy handler (1, 2, 5… 100 ms):
                // under steady writes that put hundreds of milliseconds on a game action.
                // One connection queues every statement in the pool instead, in order and
                // without sleeping; each takes microseconds.
                Backend::Sqlite => 1,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(5))
            // A SQLite file does not hang up: no ping before each statement, and no
            // reconnecting (with a cold cache) every half hour.
            .test_before_acquire(backend == Backend::Postgres)
            .max_lifetime((backend == Backend::Postgres).then_some(Duration::from_secs(30 * 60)))
            .idle_timeout((backend == Backend::Postgres).then_some(Duration::from_secs(10 * 60)))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        configure_sqlite(conn).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await
            .context("connecting to the database")?;
        let log_behind = Arc::new(AtomicBool::new(false));
        let checkpointer = match backend {
            Backend::Sqlite => Some(Arc::new(
                spawn_checkpointer(&options, Arc::clone(&log_behind)).await?,
            )),
            Backend::Postgres => None,
        };
        let db = Self {
            pool,
            options,
            backend,
            described: describe(url),
            log_behind,
            _checkpointer: checkpointer,
        };
        db.migrate().await?;
        db.write_probe()
            .await
            .context("the database does not accept writes")?;
        Ok(db)
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("../migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("../migrations/postgres"),
        };
        migrator
            .run(&self.pool)
            .await
            .context("applying database migrations")
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A connection of the caller's own, outside the pool, set up like the pool's: for a
    /// component that runs every statement of its own in order (the embedded room store
    /// on SQLite), which a pool of one would make pay a hand-off to a spawned task per
    /// statement.
    pub async fn own_connection(&self) -> anyhow::Result<AnyConnection> {
        let mut conn = AnyConnection::connect_with(&self.options)
            .await
            .with_context(|| format!("connecting to {}", self.described))?;
        if self.backend == Backend::Sqlite {
            configure_sqlite(&mut conn).await?;
        }
        Ok(conn)
    }

    /// Whether the checkpointer's last pass found frames in SQLite's log (since the writer
    /// last caught up): a writer that never pauses then calls [`Self::catch_up_log`]
    /// between two writes.
    pub fn log_behind(&self) -> bool {
        self.log_behind.load(Ordering::Relaxed)
    }

    /// Copies the rest of SQLite's log into the file on `conn`, the connection that writes,
    /// between two of its writes.
    ///
    /// SQLite starts its log over (and trims it to `journal_size_limit`) only when a write
    /// begins with every frame copied. Under writes that never pause (the embedded room
    /// store) that moment never comes while another connection copies, since writes land
    /// during each pass: the log grew by hundreds of megabytes a minute. After the
    /// checkpointer's pass only the frames written during it are left, so this copy is
    /// short, and the writer's next write starts the log over.
    pub async fn catch_up_log(&self, conn: &mut AnyConnection) {
        if !self.log_behind.swap(false, Ordering::Relaxed) {
            return;
        }
        if let Err(error) = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
            tracing::warn!(%error, "SQLite checkpoint on the writer's connection failed");
        }
    }

    /// Which database this is, for logs: its file, or its host and name.
    pub fn describe(&self) -> String {
        self.described.clone()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database accepts writes now (for `/readyz`: a database that answers
    /// reads but refuses writes, a read-only file say, cannot do a service's job).
    pub async fn accepts_writes(&self) -> bool {
        self.write_probe().await.is_ok()
    }

    async fn write_probe(&self) -> Result<(), sqlx::Error> {
        probe_writes(&mut *self.pool.acquire().await?).await
    }
}

/// One small write (the `readiness_probe` row), to learn whether the database takes writes.
pub async fn probe_writes(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE readiness_probe SET checked_at = $1 WHERE id = 1")
        .bind(crate::time::unix_now())
        .execute(conn)
        .await
        .map(drop)
}

/// The settings of every SQLite connection. WAL lets readers proceed during a write;
/// busy_timeout makes a writer wait for the lock instead of failing at once; a 64 MiB page
/// cache (SQLite's default is 2 MiB) keeps the indexes that lobby requests read in memory
/// as tables grow (the room store's own connection goes back to the default: its commits
/// split pages, and a split makes the commit walk the whole cache). No checkpoint inside a
/// commit: the checkpointer does them.
async fn configure_sqlite(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    conn.execute(
        "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; \
         PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
         PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 0; \
         PRAGMA journal_size_limit = 67108864;",
    )
    .await
    .map(drop)
}

/// A database URL as people read it, without credentials: `SQLite file data/moonlight.db`,
/// `PostgreSQL moonlight on db.internal:5432`.
fn describe(url: &str) -> String {
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = rest.split('?').next().unwrap_or(rest);
        return format!("SQLite file {path}");
    }
    if !url.contains("://") {
        return "an unrecognised URL".to_owned();
    }
    match crate::url::host_and_path(url) {
        (host, "") => format!("PostgreSQL on {host}"),
        (host, name) => format!("PostgreSQL {name} on {host}"),
    }
}

/// Whether `error` is a unique-constraint violation (a duplicate key), on either backend.
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Whether `error` means the database cannot be reached now (down, refusing connections,
/// no connection free in time), rather than a statement that failed: the same request may
/// succeed shortly. PostgreSQL's codes: 55000 (a database not accepting connections),
/// 57P01–57P03 (shut down, or starting), 08xxx (connection failures).
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code == "55000" || code.starts_with("57P") || code.starts_with("08")
        }),
        _ => false,
    }
}

/// [`is_unavailable`] for an error anywhere in `error`'s chain of causes.
pub fn unavailable_in(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<sqlx::Error>()
            .is_some_and(is_unavailable)
    })
}

/// Copies SQLite's write-ahead log into the database file every [`CHECKPOINT_EVERY`], on a
/// connection of its own, until the guard drops.
///
/// SQLite's own automatic checkpoint runs inside the commit that crosses 1,000 pages:
/// that commit (a batch of moves) waits while the log is copied and the file synced, and
/// under load every room on the node stalled with it, for up to a second. A passive
/// checkpoint on another connection takes no lock a writer needs, so commits go on while
/// it copies; the log restarts from its beginning once a checkpoint has caught up (with a
/// writer that never pauses, through [`Database::catch_up_log`], told by `log_behind`).
async fn spawn_checkpointer(
    options: &AnyConnectOptions,
    log_behind: Arc<AtomicBool>,
) -> anyhow::Result<DropGuard> {
    let mut conn = AnyConnection::connect_with(options)
        .await
        .context("connecting the SQLite checkpointer")?;
    let stop = CancellationToken::new();
    let stopped = stop.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(CHECKPOINT_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = stopped.cancelled() => break,
            }
            // Its answer: (whether it was blocked, frames in the log, frames copied).
            match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&mut conn)
                .await
                .and_then(|row| row.try_get::<i64, _>(1))
            {
                Ok(frames) => log_behind.store(frames > 0, Ordering::Relaxed),
                Err(error) => tracing::warn!(%error, "SQLite checkpoint failed; retrying"),
            }
        }
        let _ = conn.close().await;
    });
    Ok(stop.drop_guard())
}

/// `($1, $2, …), (…)`: `rows` rows of `width` numbered placeholders, for a multi-row
/// `VALUES` (one statement instead of one per row); one row of `n` is an `IN` list.
pub fn placeholder_rows(width: usize, rows: usize) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn databases_are_described_without_credentials() {
        assert_eq!(
            super::describe("sqlite://data/moonlight.db?mode=rwc"),
            "SQLite file data/moonlight.db"
        );
        assert_eq!(
            super::describe("postgres://app:hunter2@db.internal:5432/moonlight?sslmode=require"),
            "PostgreSQL moonlight on db.internal:5432"
        );
    }

    #[test]
    fn placeholder_rows_number_every_value() {
        assert_eq!(super::placeholder_rows(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(super::placeholder_rows(3, 1), "($1, $2, $3)");
        assert_eq!(super::placeholder_rows(3, 0), "");
    }
}
