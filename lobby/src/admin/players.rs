//! Finding a player, and what an admin can do to one: free them from the queue or a room,
//! lock or unlock their account, end their logins.

use axum::{Json, extract::State};
use moonlight_auth::{Account, ApiJson};
use moonlight_common::{Database, http::ErrorBody, time::unix_now};
use moonlight_rooms::command::Order;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};

use super::{Admin, AdminState, Reason, matches::order_node, reason};
use crate::{
    error::{ApiPath, ApiQuery, LobbyError},
    lobby::Player,
    records::{MatchRecord, Profile},
    store::State as Presence,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlayerQuery {
    /// The start of the player's name (any case), or their whole account id.
    #[param(min_length = 1, max_length = 64)]
    pub q: String,
}

/// A player as the console shows them: who, their rating, and where they are now.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlayerSummary {
    pub id: String,
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// `None` before their first rated match.
    pub rating: Option<f64>,
    /// `idle`, `queued`, `in_room` or `in_match` (as in the player's own status).
    pub state: String,
    /// The match they play, when `in_match`.
    pub match_id: Option<String>,
    /// The node running that match.
    pub node_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlayerList {
    /// At most 50, by name.
    pub players: Vec<PlayerSummary>,
}

/// Finds players by the start of their name or by account id.
#[utoipa::path(get, path = "/players", tag = "admin", params(PlayerQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The players found", body = PlayerList),
        (status = 400, description = "`bad_request`: no `q`, or one over 64 characters", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub(super) async fn find_players(
    State(db): State<Database>,
    _admin: Admin,
    ApiQuery(query): ApiQuery<PlayerQuery>,
) -> Result<Json<PlayerList>, LobbyError> {
    let q = query.q.trim();
    if q.is_empty() || q.chars().count() > 64 {
        return Err(LobbyError::BadRequest("q is 1 to 64 characters"));
    }
    Ok(Json(PlayerList {
        players: players_matching(&db, q).await?,
    }))
}

async fn players_matching(db: &Database, q: &str) -> Result<Vec<PlayerSummary>, LobbyError> {
    // LIKE's own wildcards in a name are matched as themselves.
    let escaped: String = q
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let rows = sqlx::query(
        "SELECT u.id, u.username, u.created_at, r.rating, p.state, p.ref_id, m.node_id \
         FROM users u \
         LEFT JOIN ratings r ON r.player_id = u.id \
         LEFT JOIN lobby_players p ON p.player_id = u.id \
         LEFT JOIN lobby_matches m ON p.state = 'in_match' AND m.id = p.ref_id \
         WHERE u.username_key LIKE $1 ESCAPE '\\' OR u.id = $2 \
         ORDER BY u.username_key LIMIT 50",
    )
    .bind(format!("{escaped}%"))
    .bind(q)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let state: Option<String> = row.try_get("state")?;
            let in_match = state.as_deref() == Some(Presence::InMatch.as_str());
            Ok(PlayerSummary {
                id: row.try_get("id")?,
                name: row.try_get("username")?,
                created_at: row.try_get("created_at")?,
                rating: row.try_get("rating")?,
                state: state.unwrap_or_else(|| "idle".to_owned()),
                match_id: if in_match {
                    row.try_get("ref_id")?
                } else {
                    None
                },
                node_id: row.try_get("node_id")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(LobbyError::from)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlayerDetail {
    #[serde(flatten)]
    pub player: PlayerSummary,
    /// When the account was locked (Unix seconds); `None` when it is not.
    pub locked_at: Option<i64>,
    /// The roles it holds (`admin`).
    pub roles: Vec<String>,
    pub profile: Profile,
    /// Its latest finished matches, newest first (at most 20).
    pub recent: Vec<MatchRecord>,
}

/// One player: where they are now, their account, rating and latest matches.
#[utoipa::path(get, path = "/players/{id}", tag = "admin",
    params(("id" = String, Path, description = "The player's account id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The player", body = PlayerDetail),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`unknown_player`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub(super) async fn player_detail(
    State(state): State<AdminState>,
    _admin: Admin,
    ApiPath(player_id): ApiPath<String>,
) -> Result<Json<PlayerDetail>, LobbyError> {
    let account = account(&state, &player_id).await?;
    let player = players_matching(&state.db, &account.id)
        .await?
        .into_iter()
        .find(|p| p.id == account.id)
        .ok_or(LobbyError::UnknownPlayer)?;
    let roles = state.accounts.roles_of(&account.id).await?;
    let records = &state.lobby.records;
    Ok(Json(PlayerDetail {
        player,
        locked_at: account.locked_at,
        roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
        profile: records.profile(&account.id, &account.username).await?,
        recent: records.history(&account.id, None, 20).await?,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Freed {
    /// What the player was doing: `queued` or `in_room`.
    pub was: String,
}

/// Frees a player who is queued or waiting in a private room (their room closes): they can
/// queue again at once. A player in a match is freed by ending the match.
#[utoipa::path(post, path = "/players/{id}/free", tag = "admin", request_body = Reason,
    params(("id" = String, Path, description = "The player's account id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Freed", body = Freed),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`not_queued`: the player is neither queued nor in a room", body = ErrorBody),
        (status = 409, description = "`already_matched`: the player is in a match", body = ErrorBody),
        (status = 422, description = "`invalid_body`: no reason, or one over 500 characters", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub(super) async fn free_player(
    State(state): State<AdminState>,
    Admin(admin): Admin,
    ApiPath(player_id): ApiPath<String>,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<Freed>, LobbyError> {
    let reason = reason(&body.reason)?;
    let player = Player {
        id: player_id,
        name: String::new(),
    };
    let was = match state
        .lobby
        .store
        .presence(&player.id)
        .await?
        .map(|p| p.state)
    {
        Some(Presence::Queued) => {
            state.lobby.cancel(&player).await?;
            Presence::Queued
        }
        Some(Presence::InRoom) => {
            state.lobby.leave_room(&player).await?;
            Presence::InRoom
        }
        Some(Presence::InMatch) => return Err(LobbyError::AlreadyMatched),
        None => return Err(LobbyError::NotQueued),
    };
    let detail = serde_json::json!({ "was": was.as_str(), "reason": reason });
    state
        .audit
        .record(&admin, "free_player", &player.id, detail)
        .await?;
    Ok(Json(Freed {
        was: was.as_str().to_owned(),
    }))
}

/// The account `player_id`, or 404 `unknown_player`.
async fn account(state: &AdminState, player_id: &str) -> Result<Account, LobbyError> {
    state
        .accounts
        .account_by_id(player_id)
        .await?
        .ok_or(LobbyError::UnknownPlayer)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Changed {
    /// `false` when it was so already (nothing was done, nothing audited).
    pub changed: bool,
    /// Logins ended (their refresh tokens revoked).
    pub sessions_revoked: u64,
    /// Game sockets closed (a lock closes the account's sockets in its live match).
    pub sockets_closed: usize,
}

/// Locks the account: it cannot log in, and every login it has ends (its refresh tokens are
/// revoked, so it cannot refresh either). An access token it holds works until it
/// expires (15 minutes at most).
#[utoipa::path(post, path = "/players/{id}/lock", tag = "admin", request_body = Reason,
    params(("id" = String, Path, description = "The player's account id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Locked (or locked already)", body = Changed),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`unknown_player`", body = ErrorBody),
        (status = 422, description = "`invalid_body`: no reason, or one over 500 characters", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub(super) async fn lock_account(
    State(state): State<AdminState>,
    Admin(admin): Admin,
    ApiPath(player_id): ApiPath<String>,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<Changed>, LobbyError> {
    let reason = reason(&body.reason)?;
    let account = account(&state, &player_id).await?;
    let now = unix_now();
    let changed = state.accounts.set_locked(&account.id, Some(now)).await?;
    let sessions_revoked = state
        .accounts
        .revoke_all_families(&account.id, "locked", now)
        .await?;
    let sockets_closed = disconnect_from_match(&state, &admin, &account.id).await?;
    if changed {
        let detail = serde_json::json!({
            "reason": reason,
            "sessions_revoked": sessions_revoked,
            "sockets_closed": sockets_closed,
        });
        state
            .audit
            .record(&admin, "lock", &account.id, detail)
            .await?;
    }
    Ok(Json(Changed {
        changed,
        sessions_revoked,
        sockets_closed,
    }))
}

/// Closes the sockets `player_id` has in its live match, if it is in one, through the
/// node running it; how many. The lobby gives a locked account no new ticket, so it stays
/// out, and its seat is held and forfeited as any abandoned seat. The lock stands whatever
/// the node does: a node that cannot be reached (or no live node) closes nothing, and the
/// account still gets no ticket back in.
async fn disconnect_from_match(
    state: &AdminState,
    admin: &super::Actor,
    player_id: &str,
) -> Result<usize, LobbyError> {
    let Some(match_id) = state
        .lobby
        .store
        .whereabouts(player_id)
        .await?
        .filter(|place| place.presence.state == Presence::InMatch)
        .map(|place| place.presence.ref_id)
    else {
        return Ok(0);
    };
    let node = match state.lobby.node_of_live_match(&match_id).await {
        Ok(node) => node,
        // Over meanwhile: nothing to close; no node alive: nothing open to close.
        Err(LobbyError::MatchOver | LobbyError::UnknownMatch | LobbyError::NoNodes) => {
            return Ok(0);
        }
        Err(error) => return Err(error),
    };
    let order = Order::Disconnect {
        player: player_id.to_owned(),
    };
    let null = serde_json::Value::Null;
    let Ok(answer) = order_node(state, &admin.id, &node, &match_id, order, null).await else {
        return Ok(0);
    };
    if answer.status() != reqwest::StatusCode::OK {
        tracing::warn!(%match_id, status = %answer.status(), "node did not close a locked account's sockets");
        return Ok(0);
    }
    #[derive(serde::Deserialize)]
    struct Closed {
        closed: usize,
    }
    Ok(answer.json::<Closed>().await.map_or(0, |c| c.closed))
}

/// Unlocks the account: it can log in again (its ended logins stay ended).
#[utoipa::path(post, path = "/players/{id}/unlock", tag = "admin", request_body = Reason,
    params(("id" = String, Path, description = "The player's account id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Unlocked (or not locked)", body = Changed),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`unknown_player`", body = ErrorBody),
        (status = 422, description = "`invalid_body`: no reason, or one over 500 characters", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub(super) async fn unlock_account(
    State(state): State<AdminState>,
    Admin(admin): Admin,
    ApiPath(player_id): ApiPath<String>,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<Changed>, LobbyError> {
    let reason = reason(&body.reason)?;
    let account = account(&state, &player_id).await?;
    let changed = state.accounts.set_locked(&account.id, None).await?;
    if changed {
        let detail = serde_json::json!({ "reason": reason });
        state
            .audit
            .record(&admin, "unlock", &account.id, detail)
            .await?;
    }
    Ok(Json(Changed {
        changed,
        sessions_revoked: 0,
        sockets_closed: 0,
    }))
}

/// Ends every login of the account (a stolen refresh token, a lost device): none of its
/// refresh tokens works any more; it logs in again with its password.
#[utoipa::path(post, path = "/players/{id}/revoke-sessions", tag = "admin", request_body = Reason,
    params(("id" = String, Path, description = "The player's account id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Its logins ended", body = Changed),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`unknown_player`", body = ErrorBody),
        (status = 422, description = "`invalid_body`: no reason, or one over 500 characters", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub(super) async fn revoke_sessions(
    State(state): State<AdminState>,
    Admin(admin): Admin,
    ApiPath(player_id): ApiPath<String>,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<Changed>, LobbyError> {
    let reason = reason(&body.reason)?;
    let account = account(&state, &player_id).await?;
    let sessions_revoked = state
        .accounts
        .revoke_all_families(&account.id, "admin", unix_now())
        .await?;
    let detail = serde_json::json!({ "reason": reason, "sessions_revoked": sessions_revoked });
    state
        .audit
        .record(&admin, "revoke_sessions", &account.id, detail)
        .await?;
    Ok(Json(Changed {
        changed: sessions_revoked > 0,
        sessions_revoked,
        sockets_closed: 0,
    }))
}
