//! Finished matches: settling them (ratings, win/loss records, freeing the players) exactly
//! once, and reading profiles, match history, match records and the leaderboard.
//!
//! Game servers write each result once into `match_results`; any lobby process then
//! settles it. Settling first flips `settled_at` from NULL with a conditional UPDATE in
//! the same transaction as every other change, so when several lobbies race for a match
//! one settles it and the others find nothing to do. Quick matches are rated; private
//! matches count in win/loss records only; practice and no-contest matches count nowhere.

use moonlight_common::{Database, db::placeholder_rows, time::unix_now};
use moonlight_engine::EndReason;
use moonlight_rooms::{PlayerRecord, Replay, SeatResult};
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use crate::{
    error::LobbyError,
    ratings::{PROVISIONAL_DEVIATION, Rating, Score, rate},
    store::MatchKind,
};

/// A player's rating and record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Profile {
    pub player_id: String,
    pub name: String,
    pub rating: f64,
    pub deviation: f64,
    /// True until enough games make the rating reliable (deviation ≤ 110).
    pub provisional: bool,
    pub wins: i64,
    pub losses: i64,
    pub draws: i64,
}

/// One finished match, as anyone may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchRecord {
    pub match_id: String,
    /// `quick`, `private`, `practice`, or `other` (not made by the lobby).
    pub kind: String,
    /// `hero_defeated`, `concession`, `turn_limit` or `no_contest`.
    pub reason: String,
    pub turns: i64,
    pub started_at: i64,
    pub finished_at: i64,
    /// The winning team, `null` for a draw or no contest.
    pub winner_team: Option<i64>,
    pub players: Vec<MatchPlayer>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchPlayer {
    pub seat: i64,
    pub player_id: String,
    pub name: String,
    /// `win`, `loss`, `draw` or `no_contest`.
    pub result: String,
    /// The rating before and after, for rated matches once settled.
    pub rating_before: Option<f64>,
    pub rating_after: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RankedPlayer {
    pub rank: i64,
    pub player_id: String,
    pub name: String,
    pub rating: f64,
    pub wins: i64,
    pub losses: i64,
    pub draws: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Leaderboard {
    pub top: Vec<RankedPlayer>,
    /// Your own place; `rank` is `null` while your rating is provisional.
    pub me: MyRank,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MyRank {
    pub rank: Option<i64>,
    pub rating: f64,
    pub provisional: bool,
}

#[derive(Clone)]
pub struct Records {
    db: Database,
}

impl Records {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Settles up to `limit` finished matches; returns how many this call settled.
    pub async fn settle_pending(&self, limit: i64) -> Result<usize, LobbyError> {
        let rows = sqlx::query(
            "SELECT match_id FROM match_results WHERE settled_at IS NULL \
             ORDER BY finished_at LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        let mut settled = 0;
        for row in rows {
            let match_id: String = row.get(0);
            // One match that fails to settle is retried next time; the others go on.
            match self.settle(&match_id).await {
                Ok(true) => settled += 1,
                Ok(false) => {}
                Err(error) => tracing::warn!(%match_id, %error, "settling a match failed"),
            }
        }
        Ok(settled)
    }

    /// Settles one match; `false` if it was settled already (here or by another lobby).
    ///
    /// A handful of statements whatever the match (one process's SQLite connection is
    /// shared with every room's moves, so each statement counts): claim, players, lock
    /// and read ratings, one update per player, rating changes, free the players.
    pub async fn settle(&self, match_id: &str) -> Result<bool, LobbyError> {
        let now = unix_now();
        let mut tx = self.db.pool().begin().await?;
        let Some(row) = sqlx::query(
            "UPDATE match_results SET settled_at = $1 WHERE match_id = $2 AND settled_at IS NULL \
             RETURNING reason, (SELECT kind FROM lobby_matches WHERE id = $3)",
        )
        .bind(now)
        .bind(match_id)
        .bind(match_id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(false);
        };
        let reason = stored::<EndReason>(row.try_get(0)?, EndReason::parse)?;
        let kind = row
            .try_get::<Option<String>, _>(1)?
            .map(|k| stored(k, MatchKind::parse))
            .transpose()?;
        let players: Vec<(String, SeatResult)> = sqlx::query(
            "SELECT player_id, result FROM match_players WHERE match_id = $1 ORDER BY seat",
        )
        .bind(match_id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, stored(row.try_get(1)?, SeatResult::parse)?)))
        .collect::<Result<_, LobbyError>>()?;

        let counted = reason != EndReason::NoContest
            && matches!(kind, Some(MatchKind::Quick | MatchKind::Private));
        if counted {
            let before = lock_ratings(&mut tx, &players, now).await?;
            let rated = kind == Some(MatchKind::Quick) && players.len() == 2;
            let after = if rated {
                let score = match players[0].1 {
                    SeatResult::Win => Score::Win,
                    SeatResult::Loss => Score::Loss,
                    SeatResult::Draw | SeatResult::NoContest => Score::Draw,
                };
                let (first, second) = rate(before[0], before[1], score);
                vec![first, second]
            } else {
                before.clone()
            };
            for ((player_id, result), new) in players.iter().zip(&after) {
                let [wins, losses, draws] = match result {
                    SeatResult::Win => [1_i64, 0, 0],
                    SeatResult::Loss => [0, 1, 0],
                    SeatResult::Draw | SeatResult::NoContest => [0, 0, 1],
                };
                sqlx::query(
                    "UPDATE ratings SET wins = wins + $1, losses = losses + $2, \
                     draws = draws + $3, rating = $4, deviation = $5, volatility = $6 \
                     WHERE player_id = $7",
                )
                .bind(wins)
                .bind(losses)
                .bind(draws)
                .bind(new.rating)
                .bind(new.deviation)
                .bind(new.volatility)
                .bind(player_id)
                .execute(&mut *tx)
                .await?;
            }
            if rated {
                let mut insert = sqlx::query(
                    "INSERT INTO rating_changes (match_id, player_id, rating_before, rating_after) \
                     VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)",
                );
                for ((player_id, _), (old, new)) in players.iter().zip(before.iter().zip(&after)) {
                    insert = insert
                        .bind(match_id)
                        .bind(player_id)
                        .bind(old.rating)
                        .bind(new.rating);
                }
                insert.execute(&mut *tx).await?;
            }
        }
        // The match is over: its players are free to queue again.
        sqlx::query("DELETE FROM lobby_players WHERE state = 'in_match' AND ref_id = $1")
            .bind(match_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        metrics::counter!("lobby_matches_settled_total").increment(1);
        tracing::info!(%match_id, "match settled");
        Ok(true)
    }

    /// The player's current rating (the starting one if they have none yet).
    pub async fn rating(&self, player_id: &str) -> Result<Rating, LobbyError> {
        let row =
            sqlx::query("SELECT rating, deviation, volatility FROM ratings WHERE player_id = $1")
                .bind(player_id)
                .fetch_optional(self.db.pool())
                .await?;
        Ok(row.map_or_else(Rating::default, |row| Rating {
            rating: row.get(0),
            deviation: row.get(1),
            volatility: row.get(2),
        }))
    }

    pub async fn profile(&self, player_id: &str, name: &str) -> Result<Profile, LobbyError> {
        let row = sqlx::query(
            "SELECT rating, deviation, wins, losses, draws FROM ratings WHERE player_id = $1",
        )
        .bind(player_id)
        .fetch_optional(self.db.pool())
        .await?;
        let start = Rating::default();
        let (rating, deviation, wins, losses, draws) = row
            .map_or((start.rating, start.deviation, 0, 0, 0), |row| {
                (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4))
            });
        Ok(Profile {
            player_id: player_id.to_owned(),
            name: name.to_owned(),
            rating,
            deviation,
            provisional: deviation > PROVISIONAL_DEVIATION,
            wins,
            losses,
            draws,
        })
    }

    /// A player's finished matches, newest first, after the `before` cursor
    /// (`finished_at` and match id of the last one seen).
    pub async fn history(
        &self,
        player_id: &str,
        before: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<MatchRecord>, LobbyError> {
        let query = match &before {
            Some(_) => {
                "SELECT r.match_id FROM match_players p \
                 JOIN match_results r ON r.match_id = p.match_id WHERE p.player_id = $1 \
                 AND (r.finished_at < $2 OR (r.finished_at = $2 AND r.match_id < $3)) \
                 ORDER BY r.finished_at DESC, r.match_id DESC LIMIT $4"
            }
            None => {
                "SELECT r.match_id FROM match_players p \
                 JOIN match_results r ON r.match_id = p.match_id WHERE p.player_id = $1 \
                 ORDER BY r.finished_at DESC, r.match_id DESC LIMIT $2"
            }
        };
        let mut query = sqlx::query(query).bind(player_id);
        if let Some((at, id)) = before {
            query = query.bind(at).bind(id);
        }
        let rows = query.bind(limit).fetch_all(self.db.pool()).await?;
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.get(0);
            if let Some(record) = self.match_record(&id).await? {
                records.push(record);
            }
        }
        Ok(records)
    }

    /// A finished match's replay and whether anyone may watch it (a quick or practice
    /// match, or a public room's); `None` when no replay was kept (no such match, a match
    /// void before it began, or one recorded before replays were).
    pub async fn replay(&self, match_id: &str) -> Result<Option<(Replay, bool)>, LobbyError> {
        let Some(row) = sqlx::query(
            "SELECT p.room, p.inputs, CASE WHEN k.watchable THEN 1 ELSE 0 END \
             FROM match_replays p \
             LEFT JOIN lobby_matches k ON k.id = p.match_id WHERE p.match_id = $1",
        )
        .bind(match_id)
        .fetch_optional(self.db.pool())
        .await?
        else {
            return Ok(None);
        };
        let json = |column: usize| -> Result<String, LobbyError> { Ok(row.try_get(column)?) };
        let corrupt = |e: serde_json::Error| anyhow::anyhow!("match {match_id}'s replay: {e}");
        let replay = Replay {
            record: serde_json::from_str(&json(0)?).map_err(corrupt)?,
            inputs: serde_json::from_str(&json(1)?).map_err(corrupt)?,
        };
        let watchable: i64 = row.try_get(2)?;
        Ok(Some((replay, watchable != 0)))
    }

    pub async fn match_record(&self, match_id: &str) -> Result<Option<MatchRecord>, LobbyError> {
        let Some(row) = sqlx::query(
            "SELECT r.reason, r.turns, r.started_at, r.finished_at, r.winner_team, k.kind \
             FROM match_results r LEFT JOIN lobby_matches k ON k.id = r.match_id \
             WHERE r.match_id = $1",
        )
        .bind(match_id)
        .fetch_optional(self.db.pool())
        .await?
        else {
            return Ok(None);
        };
        let players = sqlx::query(
            "SELECT p.seat, p.player_id, p.result, u.username, c.rating_before, c.rating_after \
             FROM match_players p \
             LEFT JOIN users u ON u.id = p.player_id \
             LEFT JOIN rating_changes c ON c.match_id = p.match_id AND c.player_id = p.player_id \
             WHERE p.match_id = $1 ORDER BY p.seat",
        )
        .bind(match_id)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(|row| {
            let player_id: String = row.get(1);
            let name: Option<String> = row.get(3);
            MatchPlayer {
                seat: row.get(0),
                name: name.unwrap_or_else(|| display_name_of_unknown(&player_id)),
                player_id,
                result: row.get(2),
                rating_before: row.get(4),
                rating_after: row.get(5),
            }
        })
        .collect();
        Ok(Some(MatchRecord {
            match_id: match_id.to_owned(),
            reason: row.get(0),
            turns: row.get(1),
            started_at: row.get(2),
            finished_at: row.get(3),
            winner_team: row.get(4),
            kind: row
                .get::<Option<String>, _>(5)
                .unwrap_or_else(|| "other".to_owned()),
            players,
        }))
    }

    /// The top `limit` established ratings, and the caller's place.
    pub async fn leaderboard(
        &self,
        player_id: &str,
        limit: i64,
    ) -> Result<Leaderboard, LobbyError> {
        let top = sqlx::query(
            "SELECT r.player_id, u.username, r.rating, r.wins, r.losses, r.draws \
             FROM ratings r JOIN users u ON u.id = r.player_id \
             WHERE r.deviation <= $1 ORDER BY r.rating DESC, r.player_id LIMIT $2",
        )
        .bind(PROVISIONAL_DEVIATION)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .zip(1..)
        .map(|(row, rank)| RankedPlayer {
            rank,
            player_id: row.get(0),
            name: row.get(1),
            rating: row.get(2),
            wins: row.get(3),
            losses: row.get(4),
            draws: row.get(5),
        })
        .collect();
        let mine = self.rating(player_id).await?;
        let rank = if mine.is_provisional() {
            None
        } else {
            let above: i64 =
                sqlx::query("SELECT COUNT(*) FROM ratings WHERE deviation <= $1 AND rating > $2")
                    .bind(PROVISIONAL_DEVIATION)
                    .bind(mine.rating)
                    .fetch_one(self.db.pool())
                    .await?
                    .get(0);
            Some(above + 1)
        };
        Ok(Leaderboard {
            top,
            me: MyRank {
                rank,
                rating: mine.rating,
                provisional: mine.is_provisional(),
            },
        })
    }
}

/// A value read back from the database that must be one of ours (`parse` returns `None`
/// for anything else): a stored value this code cannot read is a loud error, never a
/// guess.
fn stored<T>(text: String, parse: impl Fn(&str) -> Option<T>) -> Result<T, LobbyError> {
    parse(&text).ok_or_else(|| anyhow::anyhow!("unreadable value `{text}` in the database").into())
}

/// Practice bots and players from outside the lobby have no account.
fn display_name_of_unknown(player_id: &str) -> String {
    if PlayerRecord::is_bot_id(player_id) {
        crate::lobby::BOT_NAME.to_owned()
    } else {
        "unknown player".to_owned()
    }
}

/// The players' ratings, in `players` order, each row created (at the starting rating) if
/// new and locked for the rest of the transaction. The rows are taken in id order, so two
/// settles sharing a player cannot deadlock, and one statement does it all: the upsert
/// locks each row and returns its current values.
async fn lock_ratings(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    players: &[(String, SeatResult)],
    now: i64,
) -> Result<Vec<Rating>, LobbyError> {
    let mut ids: Vec<&str> = players.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let rows = placeholder_rows(8, ids.len());
    let sql = format!(
        "INSERT INTO ratings (player_id, rating, deviation, volatility, wins, losses, draws, updated_at) \
         VALUES {rows} ON CONFLICT (player_id) DO UPDATE SET updated_at = excluded.updated_at \
         RETURNING player_id, rating, deviation, volatility"
    );
    let start = Rating::default();
    let mut upsert = sqlx::query(&sql);
    for id in &ids {
        upsert = upsert
            .bind(*id)
            .bind(start.rating)
            .bind(start.deviation)
            .bind(start.volatility)
            .bind(0_i64)
            .bind(0_i64)
            .bind(0_i64)
            .bind(now);
    }
    let mut found = std::collections::HashMap::new();
    for row in upsert.fetch_all(&mut **tx).await? {
        let rating = Rating {
            rating: row.try_get(1)?,
            deviation: row.try_get(2)?,
            volatility: row.try_get(3)?,
        };
        found.insert(row.try_get::<String, _>(0)?, rating);
    }
    players
        .iter()
        .map(|(id, _)| {
            found.get(id).copied().ok_or_else(|| {
                LobbyError::Internal(anyhow::anyhow!("no rating row for {id} after the upsert"))
            })
        })
        .collect()
}
