//! A private PostgreSQL server per test process: `initdb` into a temporary directory,
//! started with `pg_ctl` on a free port, reachable only on 127.0.0.1, with durability
//! switched off (tests never need to survive a power cut), removed at process exit.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use crate::{free_port, packages, watchdog};

pub struct PostgresServer {
    port: u16,
    bin: PathBuf,
    /// The cluster's directory: `data/`, the socket, the log.
    dir: PathBuf,
    /// Options `postgres` starts with (port, socket, listening address, durability).
    options: String,
}

/// This process's private PostgreSQL server, started on first use.
pub fn postgres() -> &'static PostgresServer {
    static SERVER: OnceLock<PostgresServer> = OnceLock::new();
    SERVER.get_or_init(PostgresServer::start)
}

/// A PostgreSQL server of one test's own, not shared: to stop and start again under a
/// running deployment. Stopped (and its directory removed) when dropped, or at exit.
pub struct OwnPostgres(PostgresServer);

impl OwnPostgres {
    pub fn start() -> Self {
        Self(PostgresServer::start())
    }

    /// Stops the server (`pg_ctl stop -m fast`: connections end, nobody else gets in).
    pub fn stop(&self) {
        run(self.0.pg_ctl().args(["stop", "-w", "-m", "fast"]));
    }

    /// Starts it again on the same port and data, once it accepts connections.
    pub fn start_again(&self) {
        self.0.pg_ctl_start();
    }
}

impl std::ops::Deref for OwnPostgres {
    type Target = PostgresServer;
    fn deref(&self) -> &PostgresServer {
        &self.0
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = self.0.pg_ctl().args(["stop", "-m", "immediate"]).output();
        let _ = std::fs::remove_dir_all(&self.0.dir);
    }
}

impl PostgresServer {
    fn start() -> Self {
        let bin = packages::locate(
            "pg_ctl",
            &|| packages::versioned_dirs(Path::new("/usr/lib/postgresql"), "bin"),
            "postgresql",
        );
        let dir = tempfile::Builder::new()
            .prefix("moonlight-pg-")
            .tempdir()
            .expect("creating a temporary directory")
            .keep();
        // PostgreSQL refuses to run as root: as root, run it as the `postgres` user that
        // Debian's package creates.
        if packages::is_root() {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir));
        }
        let port = free_port();
        let server = Self {
            port,
            options: format!(
                "-p {port} -k '{}' -c listen_addresses=127.0.0.1 -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
                dir.display()
            ),
            bin,
            dir,
        };
        watchdog::on_exit(&format!(
            "{} -D '{}' stop -m immediate >/dev/null 2>&1; rm -rf '{}'",
            if packages::is_root() {
                format!(
                    "runuser -u postgres -- '{}'",
                    server.bin.join("pg_ctl").display()
                )
            } else {
                format!("'{}'", server.bin.join("pg_ctl").display())
            },
            server.data().display(),
            server.dir.display()
        ));
        run(server
            .tool("initdb")
            .args([
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(server.data()));
        server.pg_ctl_start();
        server
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// One of PostgreSQL's programs, as the `postgres` user when this process is root.
    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if packages::is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    fn pg_ctl(&self) -> Command {
        let mut command = self.tool("pg_ctl");
        command.arg("-D").arg(self.data());
        command
    }

    fn pg_ctl_start(&self) {
        run(self
            .pg_ctl()
            .args(["-w", "-t", "60", "-o", &self.options, "-l"])
            .arg(self.dir.join("server.log"))
            .arg("start"));
    }

    /// The postmaster's process id, from its pid file (its backends are its children).
    pub fn pid(&self) -> Option<u32> {
        let file = std::fs::read_to_string(self.data().join("postmaster.pid")).ok()?;
        file.lines().next()?.trim().parse().ok()
    }

    /// The URL of the server's maintenance database.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Creates an empty database and returns its URL.
    pub async fn create_database(&self) -> String {
        use sqlx::{Connection, Executor, PgConnection};
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&self.admin_url())
            .await
            .expect("connecting to the private PostgreSQL");
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("creating a test database");
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Makes the database at `url` refuse new connections and ends the open ones, as if
    /// its server were down, until [`Self::end_outage`]. Other databases are unaffected.
    pub async fn begin_outage(&self, url: &str) {
        let name = database_name(url);
        self.admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
            .await;
        self.admin(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await;
    }

    pub async fn end_outage(&self, url: &str) {
        let name = database_name(url);
        self.admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
            .await;
    }

    async fn admin(&self, sql: &str) {
        use sqlx::{Connection, Executor, PgConnection};
        let mut admin = PgConnection::connect(&self.admin_url())
            .await
            .expect("connecting to the private PostgreSQL");
        admin
            .execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// The database name at the end of a `postgres://…/name` URL made by `create_database`.
fn database_name(url: &str) -> &str {
    url.rsplit('/').next().expect("a database name")
}

fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("running {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
