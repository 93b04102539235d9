//! Ending a live match for an admin: the lobby signs a command for the node running it
//! (`moonlight_rooms::command`), and the node's room ends the match as any match ends, so
//! its result is recorded and settled once and its players are free.

use std::time::Duration;

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use moonlight_auth::ApiJson;
use moonlight_common::http::ErrorBody;
use moonlight_rooms::{
    NodeInfo,
    command::{Ending, Order},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Admin, AdminState, reason};
use crate::{
    error::{ApiPath, ApiQuery, LobbyError},
    lobby::{Player, WatchTicket},
    routes::{ReplayQuery, replay_answer},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndMatch {
    /// Why, for the audit log.
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
    /// The seat awarded the win (the others forfeit); none: `no_contest`, nobody wins and
    /// nothing is rated.
    pub winner_seat: Option<u8>,
}

/// Signs `order` for `node` and the room `match_id` (or `ANY_ROOM` for a glance) and posts
/// it, with `body`, to the node's route for it; the node's answer, or `no_nodes` when it
/// cannot be reached.
pub(super) async fn order_node(
    state: &AdminState,
    admin_id: &str,
    node: &NodeInfo,
    match_id: &str,
    order: Order,
    body: serde_json::Value,
) -> Result<reqwest::Response, LobbyError> {
    let path = match order {
        Order::End(_) => format!("/v1/node/rooms/{match_id}/end"),
        Order::Disconnect { .. } => format!("/v1/node/rooms/{match_id}/disconnect"),
        Order::Glance => "/v1/node/glance".to_owned(),
    };
    // A glance only decorates a list: a slow node must not hold the page.
    let timeout = if order == Order::Glance {
        GLANCE_TIMEOUT
    } else {
        NODE_COMMAND_TIMEOUT
    };
    let token = state.lobby.command(admin_id, node, match_id, order)?;
    let url = node
        .http_url(&path)
        .ok_or_else(|| anyhow::anyhow!("node {} has no HTTP address ({})", node.id, node.url))?;
    state
        .lobby
        .http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| unreachable(node, match_id, &e.to_string()))
}

/// How long a node has to take an admin's command (open the room if need be, make its
/// ending durable).
const NODE_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a node has to say where its rooms stand.
const GLANCE_TIMEOUT: Duration = Duration::from_secs(1);

/// A node that did not take a command: `no_nodes`, try again.
fn unreachable(node: &NodeInfo, match_id: &str, error: &str) -> LobbyError {
    tracing::warn!(node = %node.id, %match_id, error, "node did not take an admin's command");
    LobbyError::NoNodes
}

/// The node's answer (`moonlight_game_server`'s `EndedBody`).
#[derive(Deserialize)]
struct NodeEnded {
    seq: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchEnded {
    /// The node that ran the match.
    pub node_id: String,
    /// The sequence number of the input that ended it.
    pub seq: u64,
}

/// Ends a live match: `no_contest`, or a win for `winner_seat`. Its players see the game
/// end; its result is recorded and settled as any other's, so they are free to play again.
#[utoipa::path(post, path = "/matches/{id}/end", tag = "admin", request_body = EndMatch,
    params(("id" = String, Path, description = "The match id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The match is over", body = MatchEnded),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`unknown_match`", body = ErrorBody),
        (status = 410, description = "`match_over`: it ended already", body = ErrorBody),
        (status = 422, description = "`invalid_body`: no reason, one over 500 characters, or a winner seat the match does not have", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`no_nodes`: the match's node did not take the command; try again", body = ErrorBody),
    ))]
pub(super) async fn end_match(
    State(state): State<AdminState>,
    Admin(admin): Admin,
    ApiPath(match_id): ApiPath<String>,
    ApiJson(body): ApiJson<EndMatch>,
) -> Result<Json<MatchEnded>, LobbyError> {
    let reason = reason(&body.reason)?;
    let node = state.lobby.node_of_live_match(&match_id).await?;
    let end = body
        .winner_seat
        .map_or(Ending::NoContest, |seat| Ending::Win { seat });
    let answer = order_node(
        &state,
        &admin.id,
        &node,
        &match_id,
        Order::End(end),
        serde_json::Value::Null,
    )
    .await?;
    let seq = match answer.status() {
        StatusCode::OK => {
            let ended: NodeEnded = answer
                .json()
                .await
                .map_err(|e| unreachable(&node, &match_id, &e.to_string()))?;
            ended.seq
        }

        StatusCode::CONFLICT | StatusCode::GONE => return Err(LobbyError::MatchOver),
        StatusCode::NOT_FOUND => return Err(LobbyError::UnknownMatch),
        StatusCode::UNPROCESSABLE_ENTITY => {
            return Err(LobbyError::InvalidBody(
                "winner_seat is not a seat of this match",
            ));
        }
        status => return Err(unreachable(&node, &match_id, &format!("answered {status}"))),
    };
    let detail = serde_json::json!({
        "reason": reason,
        "winner_seat": body.winner_seat,
        "node_id": node.id,
        "seq": seq,
    });
    state
        .audit
        .record(&admin, "end_match", &match_id, detail)
        .await?;
    Ok(Json(MatchEnded {
        node_id: node.id,
        seq,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchMatch {
    /// Every hand too, not only the public view; written in the audit log as such.
    #[serde(default)]
    pub full_view: bool,
    /// Why, for the audit log (required for the full view).
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// A spectator's ticket to any live match, private ones too: the public view, or with
/// `full_view` every hand as well (which needs a reason). Audited either way.
#[utoipa::path(post, path = "/matches/{id}/watch", tag = "admin", request_body = WatchMatch,
    params(("id" = String, Path, description = "The match id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Open `{url}?ticket={ticket}` as the game WebSocket", body = WatchTicket),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`unknown_match`", body = ErrorBody),
        (status = 410, description = "`match_over`: open its replay instead", body = ErrorBody),
        (status = 422, description = "`invalid_body`: the full view without a reason, or a reason over 500 characters", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`no_nodes`: no node can run it now", body = ErrorBody),
    ))]
pub(super) async fn watch_match(
    State(state): State<AdminState>,
    Admin(admin): Admin,
    ApiPath(match_id): ApiPath<String>,
    ApiJson(body): ApiJson<WatchMatch>,
) -> Result<Json<WatchTicket>, LobbyError> {
    let why = match (&body.reason, body.full_view) {
        (Some(text), _) => Some(reason(text)?),
        (None, true) => return Err(LobbyError::InvalidBody("the full view needs a reason")),
        (None, false) => None,
    };
    let watcher = Player {
        id: admin.id.clone(),
        name: admin.name.clone(),
    };
    let ticket = state
        .lobby
        .watch_as_admin(&watcher, &match_id, body.full_view)
        .await?;
    let action = if body.full_view {
        "watch_full_view"
    } else {
        "watch"
    };
    state
        .audit
        .record(
            &admin,
            action,
            &match_id,
            serde_json::json!({"reason": why}),
        )
        .await?;
    Ok(Json(ticket))
}

/// One step of any finished match's replay (private rooms' too), as a protobuf
/// `moonlight.v1.ReplayStep`: as `GET /v1/lobby/matches/{id}/replay` answers its players.
#[utoipa::path(get, path = "/matches/{id}/replay", tag = "admin", params(
        ("id" = String, Path, description = "The match id"), ReplayQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The step", content_type = "application/x-protobuf", body = Vec<u8>),
        (status = 400, description = "`bad_request`: a step past the end, a seat not in the match, or a malformed query", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`unknown_match` (no such finished match); `no_replay` (void before anyone played)", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub(super) async fn replay(
    State(state): State<AdminState>,
    _admin: Admin,
    ApiPath(match_id): ApiPath<String>,
    ApiQuery(query): ApiQuery<ReplayQuery>,
) -> Result<impl IntoResponse, LobbyError> {
    let step = state
        .lobby
        .replay_step(None, &match_id, query.step(), query.view.as_deref())
        .await?;
    Ok(replay_answer(&step))
}
