//! The lobby's shared state in the database: who is queued, in a private room or in a
//! match, the open private rooms, and where each match runs.
//!
//! Several lobby processes may share the database. Every change that could race is a
//! conditional write inside a transaction, checked by its row count: the
//! `lobby_players` primary key keeps a player in one place, and moving a player from
//! `queued` to `in_match` only succeeds for the one transaction that still finds them
//! queued, so nobody is matched twice and a lost race changes nothing.

use moonlight_common::{
    Database,
    db::{is_unique_violation, placeholder_rows},
};
use sqlx::Row;

use crate::error::LobbyError;

/// What a player is doing in the lobby.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Queued,
    InRoom,
    InMatch,
}

impl State {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::InRoom => "in_room",
            Self::InMatch => "in_match",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "queued" => Some(Self::Queued),
            "in_room" => Some(Self::InRoom),
            "in_match" => Some(Self::InMatch),
            _ => None,
        }
    }
}

/// A player's row: their state and what it refers to.
#[derive(Debug, Clone, PartialEq)]
pub struct Presence {
    pub player_id: String,
    pub name: String,
    pub state: State,
    /// The queue ticket, the private room id, or the match id.
    pub ref_id: String,
    pub deck: String,
    pub rating: f64,
    pub since_ms: i64,
    pub seat: Option<u8>,
}

/// Where a player is: [`LobbyStore::whereabouts`].
#[derive(Debug, Clone)]
pub struct Whereabouts {
    pub presence: Presence,
    /// In a match: the node it runs on.
    pub node_id: Option<String>,
    /// An admin locked the account.
    pub locked: bool,
}

/// A private room waiting for its second player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRoom {
    pub id: String,
    pub code: String,
    pub host_id: String,
    pub host_name: String,
    pub public: bool,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    /// Quick match: rated.
    Quick,
    /// A private room between friends: counted, not rated.
    Private,
    /// Against a practice bot: neither counted nor rated.
    Practice,
}

impl MatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Quick => "quick",
            Self::Private => "private",
            Self::Practice => "practice",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "quick" => Some(Self::Quick),
            "private" => Some(Self::Private),
            "practice" => Some(Self::Practice),
            _ => None,
        }
    }
}

/// One human seat of a match about to start, and where the player must be coming from.
#[derive(Debug, Clone)]
pub struct Seating {
    pub player_id: String,
    pub name: String,
    pub deck: String,
    pub seat: u8,
    /// `Some((state, ref_id))`: the player must still be there (a queue ticket, a room);
    /// `None`: the player must be idle.
    pub from: Option<(State, String)>,
}

/// A match to record, with its human seats.
#[derive(Debug, Clone)]
pub struct NewMatch {
    pub id: String,
    pub kind: MatchKind,
    pub node_id: String,
    pub seats: Vec<Seating>,
    /// The private room this match closes.
    pub closes_room: Option<String>,
    /// Unix milliseconds after which a match nobody opened is void.
    pub join_by_ms: i64,
    /// Listed for anyone to watch (quick, practice, and public rooms' matches).
    pub watchable: bool,
    /// Every seat's name, bots' included, in seat order.
    pub names: Vec<String>,
}

/// A match being played that anyone may watch.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LiveMatch {
    pub match_id: String,
    /// `quick`, `private` (a public room's) or `practice`.
    pub kind: String,
    /// The players' names, in seat order.
    pub players: Vec<String>,
    /// Unix seconds.
    pub started_at: i64,
}

/// Where a match stands: for someone who wants to watch it, or an admin.
pub enum Placement {
    /// Not a match (or, for a watcher, one only its players may see).
    Unknown,
    /// Over: its result is recorded.
    Over,
    /// Being played on this node.
    Live { node_id: String },
}

#[derive(Clone)]
pub struct LobbyStore {
    db: Database,
}

const PRESENCE_COLUMNS: &str = "player_id, name, state, ref_id, deck, rating, since_ms, seat";

const MATCH_COLUMNS: &str = "id, kind, node_id, created_at, join_by, watchable, players";

fn names_json(names: &[String]) -> String {
    serde_json::to_string(names).unwrap_or_else(|_| "[]".to_owned())
}

impl LobbyStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    pub async fn presence(&self, player_id: &str) -> Result<Option<Presence>, LobbyError> {
        let row = sqlx::query(&format!(
            "SELECT {PRESENCE_COLUMNS} FROM lobby_players WHERE player_id = $1"
        ))
        .bind(player_id)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| presence_from(&row)).transpose()
    }

    /// Where the player is, in one read: their row, the node their match runs on, and
    /// whether an admin locked the account (it gets no more tickets).
    pub async fn whereabouts(&self, player_id: &str) -> Result<Option<Whereabouts>, LobbyError> {
        let columns = PRESENCE_COLUMNS
            .split(", ")
            .map(|c| format!("p.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let row = sqlx::query(&format!(
            "SELECT {columns}, m.node_id, u.locked_at FROM lobby_players p \
             LEFT JOIN lobby_matches m ON p.state = 'in_match' AND m.id = p.ref_id \
             LEFT JOIN users u ON u.id = p.player_id \
             WHERE p.player_id = $1"
        ))
        .bind(player_id)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| {
            Ok(Whereabouts {
                presence: presence_from(&row)?,
                node_id: row.try_get(8)?,
                locked: row.try_get::<Option<i64>, _>(9)?.is_some(),
            })
        })
        .transpose()
    }

    /// Puts an idle player in the queue at their current rating (`unrated`: a player
    /// without one), in one statement; returns that rating. `Busy` if they are anywhere
    /// already.
    pub async fn enqueue(&self, player: &Presence, unrated: f64) -> Result<f64, LobbyError> {
        let inserted = sqlx::query(&format!(
            "INSERT INTO lobby_players ({PRESENCE_COLUMNS}, seen_ms) \
             SELECT $1, $2, 'queued', $3, $4, \
             COALESCE((SELECT rating FROM ratings WHERE player_id = $1), $5), $6, NULL, $6 \
             RETURNING rating"
        ))
        .bind(&player.player_id)
        .bind(&player.name)
        .bind(&player.ref_id)
        .bind(&player.deck)
        .bind(unrated)
        .bind(player.since_ms)
        .fetch_one(self.db.pool())
        .await;
        match inserted {
            Ok(row) => Ok(row.try_get(0)?),
            Err(error) if is_unique_violation(&error) => Err(LobbyError::Busy),
            Err(error) => Err(error.into()),
        }
    }

    /// Takes a queued player out; `false` if they were not queued (any more).
    pub async fn cancel_queue(&self, player_id: &str) -> Result<bool, LobbyError> {
        let done =
            sqlx::query("DELETE FROM lobby_players WHERE player_id = $1 AND state = 'queued'")
                .bind(player_id)
                .execute(self.db.pool())
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Notes that a queued player asked about their wait at `now_ms`, unless they were
    /// last noted at `stale_ms` or later: a long-poll looks at the player every time it is
    /// woken, and writing each look made a queued player's poll a write transaction every
    /// 200 ms.
    pub async fn seen_in_queue(
        &self,
        player_id: &str,
        now_ms: i64,
        stale_ms: i64,
    ) -> Result<(), LobbyError> {
        sqlx::query(
            "UPDATE lobby_players SET seen_ms = $2 \
             WHERE player_id = $1 AND state = 'queued' AND seen_ms < $3",
        )
        .bind(player_id)
        .bind(now_ms)
        .bind(stale_ms)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Takes out of the queue every player not heard from since `before_ms`; how many.
    pub async fn drop_absent_queued(&self, before_ms: i64) -> Result<u64, LobbyError> {
        let dropped =
            sqlx::query("DELETE FROM lobby_players WHERE state = 'queued' AND seen_ms < $1")
                .bind(before_ms)
                .execute(self.db.pool())
                .await?;
        Ok(dropped.rows_affected())
    }

    /// Queued players, longest waiting first.
    pub async fn queued(&self, limit: i64) -> Result<Vec<Presence>, LobbyError> {
        let rows = sqlx::query(&format!(
            "SELECT {PRESENCE_COLUMNS} FROM lobby_players WHERE state = 'queued' \
             ORDER BY since_ms LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(presence_from).collect()
    }

    /// Matches whose join deadline passed before `now_ms` and that no lobby has checked
    /// yet, the oldest first.
    pub async fn unchecked_matches(
        &self,
        now_ms: i64,
        limit: i64,
    ) -> Result<Vec<String>, LobbyError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM lobby_matches WHERE join_checked = FALSE AND join_by < $1 \
             ORDER BY join_by LIMIT $2",
        )
        .bind(now_ms)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?)
    }

    /// The matches' join deadlines have been seen to: each was opened, or voided.
    pub async fn mark_checked(&self, match_ids: &[&str]) -> Result<(), LobbyError> {
        if match_ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "UPDATE lobby_matches SET join_checked = TRUE WHERE id IN {}",
            placeholder_rows(match_ids.len(), 1)
        );
        let mut update = sqlx::query(&sql).persistent(false);
        for id in match_ids {
            update = update.bind(*id);
        }
        update.execute(self.db.pool()).await?;
        Ok(())
    }

    /// The human players of a match, in seat order (for a match whose room is gone).
    pub async fn match_players(
        &self,
        match_id: &str,
    ) -> Result<Vec<(u8, String, String)>, LobbyError> {
        let rows = sqlx::query(
            "SELECT seat, player_id, name FROM lobby_players \
             WHERE state = 'in_match' AND ref_id = $1 ORDER BY seat",
        )
        .bind(match_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let seat: Option<i64> = row.try_get(0)?;
                let seat = seat
                    .and_then(|s| u8::try_from(s).ok())
                    .ok_or_else(|| anyhow::anyhow!("player in match {match_id} without a seat"))?;
                Ok((seat, row.try_get(1)?, row.try_get(2)?))
            })
            .collect()
    }

    /// Players put in a match since `since_ms` (by any lobby process).
    pub async fn matched_since(&self, since_ms: i64) -> Result<Vec<String>, LobbyError> {
        let rows = sqlx::query(
            "SELECT player_id FROM lobby_players WHERE state = 'in_match' AND since_ms >= $1",
        )
        .bind(since_ms)
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    /// Records a match and moves its players into it, all or nothing. `Ok(false)`: one of
    /// them was no longer where the match expected (matched elsewhere, cancelled, left), and
    /// nothing changed.
    pub async fn start_match(&self, new: &NewMatch, now_ms: i64) -> Result<bool, LobbyError> {
        let mut tx = self.db.pool().begin().await?;
        if let Some(room_id) = &new.closes_room {
            let closed = sqlx::query("DELETE FROM lobby_rooms WHERE id = $1")
                .bind(room_id)
                .execute(&mut *tx)
                .await?;
            if closed.rows_affected() != 1 {
                return Ok(false);
            }
        }
        // Rows are taken in player-id order, so two lobbies racing for the same players
        // wait for each other instead of deadlocking.
        let mut seatings: Vec<&Seating> = new.seats.iter().collect();
        seatings.sort_by(|a, b| a.player_id.cmp(&b.player_id));
        for seating in seatings {
            let moved = match &seating.from {
                Some((state, ref_id)) => sqlx::query(
                    "UPDATE lobby_players SET state = 'in_match', ref_id = $1, seat = $2, \
                     since_ms = $3, deck = $4 \
                     WHERE player_id = $5 AND state = $6 AND ref_id = $7",
                )
                .bind(&new.id)
                .bind(i64::from(seating.seat))
                .bind(now_ms)
                .bind(&seating.deck)
                .bind(&seating.player_id)
                .bind(state.as_str())
                .bind(ref_id)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
                None => {
                    let player = Presence {
                        player_id: seating.player_id.clone(),
                        name: seating.name.clone(),
                        state: State::InMatch,
                        ref_id: new.id.clone(),
                        deck: seating.deck.clone(),
                        rating: 0.0,
                        since_ms: now_ms,
                        seat: Some(seating.seat),
                    };
                    match insert_presence(&mut *tx, &player).await {
                        Ok(()) => 1,
                        Err(LobbyError::Busy) => 0,
                        Err(error) => return Err(error),
                    }
                }
            };
            if moved != 1 {
                return Ok(false);
            }
        }
        sqlx::query(&format!(
            "INSERT INTO lobby_matches ({MATCH_COLUMNS}) VALUES {}",
            placeholder_rows(7, 1)
        ))
        .bind(&new.id)
        .bind(new.kind.as_str())
        .bind(&new.node_id)
        .bind(now_ms / 1000)
        .bind(new.join_by_ms)
        .bind(new.watchable)
        .bind(names_json(&new.names))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Starts many quick matches, all of whose players come from the queue, in one
    /// transaction of a few statements (a matchmaking round): `true` for each match that
    /// started. A match one of whose players is no longer queued as expected (another lobby
    /// took them, or they left) does not start, and changes nothing.
    pub async fn start_queued_matches(
        &self,
        matches: &[NewMatch],
        now_ms: i64,
    ) -> Result<Vec<bool>, LobbyError> {
        let mut started = vec![false; matches.len()];
        for chunk in (0..matches.len())
            .collect::<Vec<_>>()
            .chunks(QUEUED_MATCHES_AT_ONCE)
        {
            let mut pending: Vec<usize> = chunk.to_vec();
            // A round that finds some players gone is rolled back and tried again without
            // their matches; each try drops at least one match, so this ends.
            while !pending.is_empty() {
                let mut tx = self.db.pool().begin().await?;
                let moved = move_queued_players(&mut tx, matches, &pending, now_ms).await?;
                let complete: Vec<usize> = pending
                    .iter()
                    .copied()
                    .filter(|&m| {
                        matches[m]
                            .seats
                            .iter()
                            .all(|s| moved.contains(&s.player_id))
                    })
                    .collect();
                if complete.len() < pending.len() {
                    drop(tx);
                    pending = complete;
                    continue;
                }
                let sql = format!(
                    "INSERT INTO lobby_matches ({MATCH_COLUMNS}) VALUES {}",
                    placeholder_rows(7, pending.len())
                );
                // Not cached: each round's size is a statement of its own.
                let mut insert = sqlx::query(&sql).persistent(false);
                for &m in &pending {
                    let new = &matches[m];
                    insert = insert
                        .bind(&new.id)
                        .bind(new.kind.as_str())
                        .bind(&new.node_id)
                        .bind(now_ms / 1000)
                        .bind(new.join_by_ms)
                        .bind(new.watchable)
                        .bind(names_json(&new.names));
                }
                insert.execute(&mut *tx).await?;
                tx.commit().await?;
                for m in pending.drain(..) {
                    started[m] = true;
                }
            }
        }
        Ok(started)
    }

    /// The newest `limit` matches being played, each with the node it is on: those anyone
    /// may watch, or (`all`, for an admin) every one.
    pub async fn live_matches(
        &self,
        limit: i64,
        all: bool,
    ) -> Result<Vec<(LiveMatch, String)>, LobbyError> {
        // Two statements rather than `watchable OR $2`: each keeps its index ((finished,
        // created_at), (finished, watchable, created_at)), whatever plan a parameter would
        // get; either reads only the live matches.
        let statement = if all {
            "SELECT m.id, m.kind, m.players, m.node_id, m.created_at FROM lobby_matches m \
             WHERE m.finished = FALSE \
             ORDER BY m.created_at DESC, m.id LIMIT $1"
        } else {
            "SELECT m.id, m.kind, m.players, m.node_id, m.created_at FROM lobby_matches m \
             WHERE m.finished = FALSE AND m.watchable = TRUE \
             ORDER BY m.created_at DESC, m.id LIMIT $1"
        };
        let rows = sqlx::query(statement)
            .bind(limit)
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|row| {
                let players: String = row.try_get("players")?;
                let live = LiveMatch {
                    match_id: row.try_get("id")?,
                    kind: row.try_get("kind")?,
                    players: serde_json::from_str(&players).map_err(anyhow::Error::from)?,
                    started_at: row.try_get("created_at")?,
                };
                Ok((live, row.try_get("node_id")?))
            })
            .collect()
    }

    /// Whether `match_id` may be watched, and where.
    pub async fn watchable(&self, match_id: &str) -> Result<Placement, LobbyError> {
        self.placement(match_id, true).await
    }

    /// Where `match_id` is played, or that it is over (any match: for an admin).
    pub async fn placement_of(&self, match_id: &str) -> Result<Placement, LobbyError> {
        self.placement(match_id, false).await
    }

    async fn placement(&self, match_id: &str, watchable: bool) -> Result<Placement, LobbyError> {
        let row = sqlx::query(
            "SELECT m.node_id, CASE WHEN m.watchable THEN 1 ELSE 0 END AS watchable, \
                    (SELECT COUNT(*) FROM match_results r WHERE r.match_id = m.id) AS results \
             FROM lobby_matches m WHERE m.id = $1",
        )
        .bind(match_id)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) =
            row.filter(|row| !watchable || row.try_get::<i64, _>("watchable").unwrap_or(0) == 1)
        else {
            return Ok(Placement::Unknown);
        };
        if row.try_get::<i64, _>("results")? > 0 {
            return Ok(Placement::Over);
        }
        Ok(Placement::Live {
            node_id: row.try_get("node_id")?,
        })
    }

    /// Moves a match off a dead node, unless another lobby already did: returns the node
    /// the match is on now.
    pub async fn move_match(
        &self,
        match_id: &str,
        from: &str,
        to: &str,
    ) -> Result<String, LobbyError> {
        sqlx::query("UPDATE lobby_matches SET node_id = $1 WHERE id = $2 AND node_id = $3")
            .bind(to)
            .bind(match_id)
            .bind(from)
            .execute(self.db.pool())
            .await?;
        let row = sqlx::query("SELECT node_id FROM lobby_matches WHERE id = $1")
            .bind(match_id)
            .fetch_one(self.db.pool())
            .await?;
        Ok(row.get(0))
    }

    /// Opens a private room with its host in it; `Ok(false)` if the code is taken.
    pub async fn open_room(&self, room: &OpenRoom, host: &Presence) -> Result<bool, LobbyError> {
        let mut tx = self.db.pool().begin().await?;
        insert_presence(&mut *tx, host).await?;
        let inserted = sqlx::query(
            "INSERT INTO lobby_rooms (id, code, host_id, host_name, public, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&room.id)
        .bind(&room.code)
        .bind(&room.host_id)
        .bind(&room.host_name)
        .bind(i64::from(room.public))
        .bind(room.created_at)
        .bind(room.expires_at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {
                tx.commit().await?;
                Ok(true)
            }
            Err(error) if is_unique_violation(&error) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    pub async fn room_by_code(&self, code: &str, now: i64) -> Result<Option<OpenRoom>, LobbyError> {
        let row = sqlx::query(&format!(
            "SELECT {ROOM_COLUMNS} FROM lobby_rooms WHERE code = $1 AND expires_at > $2"
        ))
        .bind(code)
        .bind(now)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.as_ref().map(room_from))
    }

    pub async fn room(&self, id: &str) -> Result<Option<OpenRoom>, LobbyError> {
        let row = sqlx::query(&format!(
            "SELECT {ROOM_COLUMNS} FROM lobby_rooms WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.as_ref().map(room_from))
    }

    /// Open public rooms, newest first.
    pub async fn public_rooms(&self, now: i64, limit: i64) -> Result<Vec<OpenRoom>, LobbyError> {
        let rows = sqlx::query(&format!(
            "SELECT {ROOM_COLUMNS} FROM lobby_rooms WHERE public = 1 AND expires_at > $1 \
             ORDER BY created_at DESC LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows.iter().map(room_from).collect())
    }

    /// Takes a player out of their private room, closing it; `false` if not in one.
    pub async fn leave_room(&self, player_id: &str) -> Result<bool, LobbyError> {
        let mut tx = self.db.pool().begin().await?;
        let row = sqlx::query(
            "DELETE FROM lobby_players WHERE player_id = $1 AND state = 'in_room' RETURNING ref_id",
        )
        .bind(player_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        let room_id: String = row.get(0);
        sqlx::query("DELETE FROM lobby_rooms WHERE id = $1")
            .bind(&room_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Closes private rooms whose code expired, freeing their hosts.
    pub async fn sweep_expired_rooms(&self, now: i64) -> Result<u64, LobbyError> {
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "DELETE FROM lobby_players WHERE state = 'in_room' AND ref_id IN \
             (SELECT id FROM lobby_rooms WHERE expires_at <= $1)",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let closed = sqlx::query("DELETE FROM lobby_rooms WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(closed.rows_affected())
    }
}

/// Matches one transaction of a round starts (short, so other work goes in between).
const QUEUED_MATCHES_AT_ONCE: usize = 100;

/// Moves the queued players of `matches[pending]` into their matches, each only if still
/// queued with the ticket the match was made from; returns those moved.
async fn move_queued_players(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    matches: &[NewMatch],
    pending: &[usize],
    now_ms: i64,
) -> Result<std::collections::HashSet<String>, LobbyError> {
    let seatings: Vec<(&NewMatch, &Seating, &str)> = pending
        .iter()
        .flat_map(|&m| {
            let new = &matches[m];
            new.seats.iter().filter_map(move |s| match &s.from {
                Some((State::Queued, ticket)) => Some((new, s, ticket.as_str())),
                _ => None,
            })
        })
        .collect();
    let sql = format!(
        "WITH v (player_id, ticket, match_id, seat) AS (VALUES {}) \
         UPDATE lobby_players SET state = 'in_match', ref_id = v.match_id, seat = v.seat, \
         since_ms = ${} \
         FROM v WHERE lobby_players.player_id = v.player_id \
         AND lobby_players.state = 'queued' AND lobby_players.ref_id = v.ticket \
         RETURNING lobby_players.player_id",
        placeholder_rows(4, seatings.len()),
        4 * seatings.len() + 1
    );
    let mut update = sqlx::query(&sql).persistent(false);
    for (new, seating, ticket) in &seatings {
        update = update
            .bind(&seating.player_id)
            .bind(*ticket)
            .bind(&new.id)
            .bind(i64::from(seating.seat));
    }
    let moved = update.bind(now_ms).fetch_all(&mut **tx).await?;
    moved
        .iter()
        .map(|row| row.try_get::<String, _>(0).map_err(LobbyError::from))
        .collect()
}

const ROOM_COLUMNS: &str = "id, code, host_id, host_name, public, created_at, expires_at";

async fn insert_presence<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    player: &Presence,
) -> Result<(), LobbyError> {
    let inserted = sqlx::query(&format!(
        "INSERT INTO lobby_players ({PRESENCE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(&player.player_id)
    .bind(&player.name)
    .bind(player.state.as_str())
    .bind(&player.ref_id)
    .bind(&player.deck)
    .bind(player.rating)
    .bind(player.since_ms)
    .bind(player.seat.map(i64::from))
    .execute(executor)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(error) if is_unique_violation(&error) => Err(LobbyError::Busy),
        Err(error) => Err(error.into()),
    }
}

fn presence_from(row: &sqlx::any::AnyRow) -> Result<Presence, LobbyError> {
    let state: String = row.get(2);
    let seat: Option<i64> = row.get(7);
    Ok(Presence {
        player_id: row.get(0),
        name: row.get(1),
        state: State::parse(&state)
            .ok_or_else(|| anyhow::anyhow!("unknown lobby state {state}"))?,
        ref_id: row.get(3),
        deck: row.get(4),
        rating: row.get(5),
        since_ms: row.get(6),
        seat: seat.and_then(|s| u8::try_from(s).ok()),
    })
}

fn room_from(row: &sqlx::any::AnyRow) -> OpenRoom {
    let public: i64 = row.get(4);
    OpenRoom {
        id: row.get(0),
        code: row.get(1),
        host_id: row.get(2),
        host_name: row.get(3),
        public: public != 0,
        created_at: row.get(5),
        expires_at: row.get(6),
    }
}
