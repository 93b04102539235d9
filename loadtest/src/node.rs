//! The server under test: a `moonlight` process on a prepared data directory, and what
//! the kernel says about it (resident memory, CPU time).

use std::{path::Path, process::Stdio, time::Duration};

use anyhow::{Context, bail};
use moonlight_auth::{SigningKeys, TokenIssuer};
use moonlight_common::{Database, time::unix_now};
use moonlight_engine::ContentStore;
use moonlight_game_server::{
    store::{PlayerRecord, RoomRecord, RoomStore, SqlStore},
    ticket::{self, TicketExtra},
};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

/// The node id of a single `moonlight` process on defaults.
const NODE_ID: &str = "node-1";

pub struct Node {
    child: Child,
    pid: u32,
    game_url: String,
    issuer: TokenIssuer,
}

impl Node {
    /// Writes `rooms` two-player rooms and the signing keys into `data`, then starts the
    /// server there on free ports and waits for its game-server listener.
    pub async fn start(
        server: &Path,
        content_dir: &Path,
        data: &Path,
        rooms: usize,
    ) -> anyhow::Result<Self> {
        let issuer = TokenIssuer::new(SigningKeys::load_or_generate(&data.join("keys"))?);
        let content = ContentStore::open(content_dir)
            .map_err(|report| anyhow::anyhow!("{report}"))?
            .current();
        // In id order.
        let decks: Vec<&str> = content.decks().map(|d| d.id.as_str()).collect();
        let db = Database::connect(&Database::sqlite_url_in(data)).await?;
        let store = RoomStore::Sql(SqlStore::new(db.clone()));
        for room in 0..rooms {
            let seats = (0..2)
                .map(|seat| {
                    let player = PlayerRecord {
                        player_id: player_id(room, seat),
                        name: format!("bot {room}/{seat}"),
                        bot: false,
                    };
                    (player, decks[seat % decks.len()])
                })
                .collect();
            let record = RoomRecord::new(&room_id(room), &content, seats, room as u64, unix_now())
                .context("the content has no starter decks")?;
            store.create_room(&record).await?;
        }
        db.pool().close().await;

        let log = std::fs::File::create(data.join("server.log"))?;
        let mut child = Command::new(server)
            .args(["--auth-addr", "127.0.0.1:0", "--game-addr", "127.0.0.1:0"])
            .args(["--max-rooms", &rooms.to_string()])
            .args(["--max-connections", &(2 * rooms + 100).to_string()])
            .arg("--content-dir")
            .arg(content_dir)
            .arg("--data-dir")
            .arg(data)
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", server.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let mut lines = BufReader::new(child.stdout.take().context("piped stdout")?).lines();
        let game_url = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("game-server listening on http://") {
                    return Ok(url.to_owned());
                }
            }
            bail!(
                "the server exited before listening (see {}/server.log)",
                data.display()
            )
        })
        .await
        .context("the server did not start within 60 s")??;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            child,
            pid,
            game_url,
            issuer,
        })
    }

    /// The socket URL, with a fresh ticket, for `seat` of room number `room`.
    pub fn play_url(&self, room: usize, seat: u8) -> anyhow::Result<String> {
        let extra = TicketExtra {
            room: room_id(room),
            seat: Some(seat),
            node: NODE_ID.to_owned(),
            name: format!("bot {room}/{seat}"),
        };
        let ticket = ticket::mint(
            &self.issuer,
            &player_id(room, usize::from(seat)),
            extra,
            unix_now(),
        )?;
        Ok(format!("ws://{}/v1/play?ticket={ticket}", self.game_url))
    }

    /// The server's resident memory, in KiB.
    pub fn rss_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS in /proc/<pid>/status")
    }

    /// User + system CPU time the server has used, in seconds.
    pub fn cpu_seconds(&self) -> anyhow::Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid))?;
        // Fields after the parenthesised command name; utime and stime are the 14th and
        // 15th fields of the whole line.
        let after_name = stat.rsplit_once(')').context("malformed stat")?.1;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks: f64 = fields
            .get(11..13)
            .context("short stat")?
            .iter()
            .map(|f| f.parse::<f64>().unwrap_or(0.0))
            .sum();
        // USER_HZ is 100 on Linux.
        Ok(ticks / 100.0)
    }

    /// SIGTERM, then wait for a clean exit.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()?;
        anyhow::ensure!(status.success(), "could not signal the server");
        let exit = tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .context("the server did not stop within 60 s")??;
        anyhow::ensure!(exit.success(), "the server exited with {exit}");
        Ok(())
    }
}

fn room_id(room: usize) -> String {
    format!("load-{room}")
}

fn player_id(room: usize, seat: usize) -> String {
    format!("bot-{room}-{seat}")
}
