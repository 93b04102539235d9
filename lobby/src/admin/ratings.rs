//! How ratings are spread, for the console's histogram (the top players are the public
//! leaderboard's).

use axum::{Json, extract::State};
use moonlight_common::http::ErrorBody;
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use super::{Admin, AdminState};
use crate::{error::LobbyError, ratings::PROVISIONAL_DEVIATION};

/// The width of a bucket, in rating points.
const BUCKET: i64 = 50;

#[derive(Debug, Serialize, ToSchema)]
pub struct RatingSpread {
    /// Rating points per bucket.
    pub bucket_width: i64,
    /// The non-empty buckets, lowest first.
    pub buckets: Vec<RatingBucket>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RatingBucket {
    /// Ratings from this (rounded to whole points) up to `from + bucket_width`, excluded.
    pub from: i64,
    /// Rated players in it (players who never played a rated match have no rating yet).
    pub players: i64,
    /// Of them, those whose rating is established (on the leaderboard).
    pub established: i64,
}

/// The number of rated players per 50-point rating bucket.
#[utoipa::path(get, path = "/ratings", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "The rating distribution", body = RatingSpread),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub(super) async fn rating_spread(
    State(state): State<AdminState>,
    _admin: Admin,
) -> Result<Json<RatingSpread>, LobbyError> {
    // Rounded first: PostgreSQL's cast rounds and SQLite's truncates.
    let rows = sqlx::query(
        "SELECT CAST(ROUND(rating) AS BIGINT) / $1 AS bucket, COUNT(*) AS players, \
           SUM(CASE WHEN deviation <= $2 THEN 1 ELSE 0 END) AS established \
         FROM ratings GROUP BY bucket ORDER BY bucket",
    )
    .bind(BUCKET)
    .bind(PROVISIONAL_DEVIATION)
    .fetch_all(state.db.pool())
    .await?;
    let buckets = rows
        .iter()
        .map(|row| {
            Ok(RatingBucket {
                from: row.try_get::<i64, _>("bucket")? * BUCKET,
                players: row.try_get("players")?,
                established: row.try_get("established")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(Json(RatingSpread {
        bucket_width: BUCKET,
        buckets,
    }))
}
