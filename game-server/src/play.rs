//! `GET /v1/play?ticket=…`: everything that can be checked before a socket exists (origin,
//! ticket, node, capacity, room), then the upgrade to a game [`Connection`].

use std::sync::Arc;

use axum::{
    Router,
    extract::{
        Query, State,
        rejection::QueryRejection,
        ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection},
    },
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use moonlight_common::{
    http::{BearerAuth, ErrorBody, error_response},
    openapi::complete,
};
use moonlight_engine::Seat;
use moonlight_rooms::ticket::{self, RoomTicket};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    NodeContext, command,
    connection::{self, Admission, Connection},
    registry::{OpenError, Rooms},
    room::RoomHandle,
};

/// Initial read and write buffer of each game socket: frames are a few hundred bytes, and
/// tungstenite's 128 KiB defaults would cost a quarter of a megabyte per connection. Both
/// grow if needed.
const SOCKET_BUFFER_BYTES: usize = 4 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Moonlight Online game server",
        description = "A game-server node. `/v1/play` upgrades to the game WebSocket: binary \
            protobuf frames, `ClientFrame` up and `ServerFrame` down, as \
            `proto/moonlight/v1/game.proto` describes. `/v1/node/…` takes a lobby's \
            commands (an admin ending a match), signed by the lobby."
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// The node's routes (the game socket, and a lobby's commands) and its OpenAPI document.
pub(crate) fn routes(ctx: Arc<NodeContext>) -> (Router, serde_json::Value) {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(play))
        .routes(routes!(command::end_room))
        .routes(routes!(command::disconnect_player))
        .routes(routes!(command::glance))
        .with_state(ctx)
        .split_for_parts();
    let codes: Vec<&str> = Refusal::CODES
        .iter()
        .chain(&command::CODES)
        .copied()
        .collect();
    (router, complete(&openapi, &codes))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PlayQuery {
    /// The room ticket the lobby handed out (`match.ticket` in its status).
    ticket: Option<String>,
}

/// Opens the game WebSocket for the seat (or spectator place) the ticket names. Refusals
/// come before the upgrade, as JSON error bodies.
#[utoipa::path(get, path = "/v1/play", tag = "game", params(PlayQuery),
    responses(
        (status = 101, description = "Switching to the game WebSocket"),
        (status = 400, description = "`not_a_websocket_upgrade`, or `bad_request` (a malformed query string)", body = ErrorBody),
        (status = 401, description = "`missing_ticket` or `invalid_ticket` (bad signature, expired, not a room ticket)", body = ErrorBody),
        (status = 403, description = "`origin_not_allowed`, or `wrong_node` (the ticket is for another node)", body = ErrorBody),
        (status = 404, description = "`unknown_room`", body = ErrorBody),
        (status = 410, description = "`match_void`: the match ended without a result (nobody came before its join deadline, or it could not be played); ask the lobby", body = ErrorBody),
        (status = 503, description = "`node_full`, `shutting_down` or `room_unavailable`: ask the lobby where to play", body = ErrorBody),
    ))]
async fn play(
    State(ctx): State<Arc<NodeContext>>,
    query: Result<Query<PlayQuery>, QueryRejection>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return Refusal::BadQuery.into_response();
    };
    let ticket = match check_ticket(&ctx, query, &headers) {
        Ok(ticket) => ticket,
        Err(refusal) => return refusal.into_response(),
    };
    let Ok(upgrade) = upgrade else {
        return Refusal::NotAnUpgrade.into_response();
    };
    let Ok(permit) = Arc::clone(&ctx.connections).try_acquire_owned() else {
        return Refusal::NoConnectionLeft.into_response();
    };
    let room = match open_room(&ctx, &ticket.extra.room).await {
        Ok(room) => room,
        Err(refusal) => return refusal.into_response(),
    };
    let admission = Admission {
        player_id: ticket.sub,
        seat: ticket.extra.seat.map(Seat),
        // Only a spectator's place can see everything.
        full_view: ticket.extra.full_view && ticket.extra.seat.is_none(),
        room,
    };
    let limit = ctx.config.max_frame_bytes;
    upgrade
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| async move {
            let conn = Connection::new(socket, &ctx.config);
            connection::serve(conn, admission).await;
            drop(permit);
        })
}

/// Why a connection is refused before the upgrade; each has its HTTP answer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refusal {
    BadQuery,
    NotAnUpgrade,
    OriginNotAllowed,
    MissingTicket,
    InvalidTicket,
    WrongNode,
    NoConnectionLeft,
    NoRoomLeft,
    UnknownRoom,
    MatchVoid,
    ShuttingDown,
    RoomUnavailable,
}

impl Refusal {
    /// Every code the node answers with over HTTP.
    const CODES: [&str; 11] = [
        "bad_request",
        "not_a_websocket_upgrade",
        "origin_not_allowed",
        "missing_ticket",
        "invalid_ticket",
        "wrong_node",
        "node_full",
        "unknown_room",
        "match_void",
        "shutting_down",
        "room_unavailable",
    ];
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Self::BadQuery => (
                StatusCode::BAD_REQUEST,
                "bad_request",
                "the query string is malformed",
            ),
            Self::NotAnUpgrade => (
                StatusCode::BAD_REQUEST,
                "not_a_websocket_upgrade",
                "this route opens a WebSocket: send an upgrade request",
            ),
            Self::OriginNotAllowed => (
                StatusCode::FORBIDDEN,
                "origin_not_allowed",
                "this origin may not connect",
            ),
            Self::MissingTicket => (
                StatusCode::UNAUTHORIZED,
                "missing_ticket",
                "a room ticket is required",
            ),
            Self::InvalidTicket => (
                StatusCode::UNAUTHORIZED,
                "invalid_ticket",
                "the room ticket is invalid or expired",
            ),
            Self::WrongNode => (
                StatusCode::FORBIDDEN,
                "wrong_node",
                "this ticket is for another node",
            ),
            Self::NoConnectionLeft => (
                StatusCode::SERVICE_UNAVAILABLE,
                "node_full",
                "this node has no room for more connections",
            ),
            Self::NoRoomLeft => (
                StatusCode::SERVICE_UNAVAILABLE,
                "node_full",
                "this node has no room for more rooms",
            ),
            Self::UnknownRoom => (StatusCode::NOT_FOUND, "unknown_room", "no such room"),
            Self::MatchVoid => (
                StatusCode::GONE,
                "match_void",
                "this match ended without a result (nobody came in time, or it could not be \
                 played); ask the lobby",
            ),
            Self::ShuttingDown => (
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                "this node is shutting down; ask the lobby where to play",
            ),
            Self::RoomUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "room_unavailable",
                "the room cannot be opened now",
            ),
        };
        error_response(status, code, message)
    }
}

/// The verified ticket of an allowed origin, for this node.
fn check_ticket(
    ctx: &NodeContext,
    query: PlayQuery,
    headers: &HeaderMap,
) -> Result<RoomTicket, Refusal> {
    let allowed = &ctx.config.allowed_origins;
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok())
        && !allowed.is_empty()
        && !allowed.iter().any(|a| a == origin)
    {
        return Err(Refusal::OriginNotAllowed);
    }
    let ticket = query.ticket.ok_or(Refusal::MissingTicket)?;
    let ticket = ticket::verify(&ctx.verifier, &ticket).map_err(|error| {
        tracing::debug!(%error, "ticket refused");
        Refusal::InvalidTicket
    })?;
    if ticket.extra.node != ctx.config.node_id {
        return Err(Refusal::WrongNode);
    }
    Ok(ticket)
}

/// The room's actor, started here if need be.
pub(crate) async fn open_room(
    ctx: &Arc<NodeContext>,
    room_id: &str,
) -> Result<RoomHandle, Refusal> {
    Rooms::open(ctx, room_id)
        .await
        .map_err(|error| match error {
            OpenError::UnknownRoom => Refusal::UnknownRoom,
            OpenError::Void => Refusal::MatchVoid,
            OpenError::ShuttingDown => Refusal::ShuttingDown,
            OpenError::NodeFull => Refusal::NoRoomLeft,
            error => {
                tracing::error!(room = %room_id, %error, "could not open room");
                Refusal::RoomUnavailable
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_answers_with_a_listed_code() {
        let refusals = [
            Refusal::BadQuery,
            Refusal::NotAnUpgrade,
            Refusal::OriginNotAllowed,
            Refusal::MissingTicket,
            Refusal::InvalidTicket,
            Refusal::WrongNode,
            Refusal::NoConnectionLeft,
            Refusal::NoRoomLeft,
            Refusal::UnknownRoom,
            Refusal::MatchVoid,
            Refusal::ShuttingDown,
            Refusal::RoomUnavailable,
        ];
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for refusal in refusals {
            let body = runtime
                .block_on(axum::body::to_bytes(
                    refusal.into_response().into_body(),
                    usize::MAX,
                ))
                .unwrap();
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let code = json["error"]["code"].as_str().unwrap();
            assert!(Refusal::CODES.contains(&code), "{code}");
        }
    }

    #[test]
    fn the_readme_lists_every_code() {
        let readme = include_str!("../../README.md");
        let codes: Vec<&str> = Refusal::CODES
            .iter()
            .chain(&command::CODES)
            .copied()
            .collect();
        let missing = moonlight_common::openapi::undocumented(readme, &codes);
        assert!(missing.is_empty(), "README.md does not name {missing:?}");
    }
}
