//! A lobby's orders to a room, for an admin, each with a command token
//! (`moonlight_rooms::command`) for that order: `POST /v1/node/rooms/{id}/end` (the room
//! applies it as a server input, so the match ends as any match ends: logged and durable,
//! its result in the outbox, every player told) and `…/disconnect` (a locked account's
//! sockets closed).

use std::sync::Arc;

use axum::{
    Json,
    extract::{
        Path, State,
        rejection::{JsonRejection, PathRejection},
    },
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use moonlight_auth::bearer;
use moonlight_common::http::{ErrorBody, error_response};
use moonlight_rooms::command::{self, Ending, NodeCommand, Order};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use utoipa::ToSchema;

use crate::{
    NodeContext,
    play::{Refusal, open_room},
    room::{RoomHandle, RoomMsg},
};

/// How the room took an ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The match is over now; `seq` is the input that ended it.
    Now { seq: u64 },
    /// It was over already.
    Before,
    /// The winner named is not one of the room's seats.
    NoSuchSeat,
    /// The store did not take the input: nothing changed.
    StoreFailed,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndedBody {
    /// The sequence number of the input that ended the match.
    pub seq: u64,
}

/// Ends a match (for an admin, through a lobby): `no_contest`, or a win for one seat, as
/// the command token says. Not for players: only a lobby can sign a command.
#[utoipa::path(post, path = "/v1/node/rooms/{id}/end", tag = "node",
    params(("id" = String, Path, description = "The room (match) id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The match is over", body = EndedBody),
        (status = 400, description = "`bad_request`: a room id that is not UTF-8", body = ErrorBody),
        (status = 401, description = "`invalid_command`: no command token, or an invalid, expired or foreign one, or one with another order", body = ErrorBody),
        (status = 403, description = "`wrong_node`: the command is for another node or room", body = ErrorBody),
        (status = 404, description = "`unknown_room`", body = ErrorBody),
        (status = 409, description = "`match_over`: it ended already", body = ErrorBody),
        (status = 410, description = "`match_void`", body = ErrorBody),
        (status = 422, description = "`no_such_seat`: the winner named is not a seat of the room", body = ErrorBody),
        (status = 503, description = "`room_unavailable`, `shutting_down` or `node_full`: try again", body = ErrorBody),
    ))]
pub(crate) async fn end_room(
    State(ctx): State<Arc<NodeContext>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let (command, room) = match ordered(&ctx, path, &headers).await {
        Ok(ordered) => ordered,
        Err(refusal) => return refusal,
    };
    let Order::End(end) = command.extra.order else {
        return invalid_command();
    };
    let (done, answer) = oneshot::channel();
    if !room.send(RoomMsg::End { end, done }).await {
        return unavailable();
    }
    let (room_id, by) = (&command.extra.room, &command.sub);
    match answer.await {
        Ok(Ended::Now { seq }) => {
            tracing::info!(room = %room_id, admin = %by, ?end, "match ended by an admin");
            Json(EndedBody { seq }).into_response()
        }
        Ok(Ended::Before) => refuse(
            StatusCode::CONFLICT,
            "match_over",
            "this match is over already",
        ),
        Ok(Ended::NoSuchSeat) => refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_such_seat",
            "the winner named is not a seat of this room",
        ),
        Ok(Ended::StoreFailed) | Err(_) => unavailable(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DisconnectedBody {
    /// The sockets closed (the player's seat, and any place it watched from).
    pub closed: usize,
}

/// Closes every socket an account has in a room, with close code 4004 (its account was
/// locked: a client does not reconnect). Its seat is then held as any disconnected seat
/// is. Not for players: only a lobby can sign a command.
#[utoipa::path(post, path = "/v1/node/rooms/{id}/disconnect", tag = "node",
    params(("id" = String, Path, description = "The room (match) id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account's sockets in the room are closed", body = DisconnectedBody),
        (status = 400, description = "`bad_request`: a room id that is not UTF-8", body = ErrorBody),
        (status = 401, description = "`invalid_command`: no command token, or an invalid, expired or foreign one, or one with another order", body = ErrorBody),
        (status = 403, description = "`wrong_node`: the command is for another node or room", body = ErrorBody),
        (status = 404, description = "`unknown_room`", body = ErrorBody),
        (status = 410, description = "`match_void`", body = ErrorBody),
        (status = 503, description = "`room_unavailable`, `shutting_down` or `node_full`: try again", body = ErrorBody),
    ))]
pub(crate) async fn disconnect_player(
    State(ctx): State<Arc<NodeContext>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let (command, room) = match ordered(&ctx, path, &headers).await {
        Ok(ordered) => ordered,
        Err(refusal) => return refusal,
    };
    let Order::Disconnect { player } = command.extra.order else {
        return invalid_command();
    };
    let (done, answer) = oneshot::channel();
    let msg = RoomMsg::Disconnect {
        player_id: player.clone(),
        done,
    };
    if !room.send(msg).await {
        return unavailable();
    }
    match answer.await {
        Ok(closed) => {
            tracing::info!(room = %command.extra.room, %player, closed, admin = %command.sub,
                "a locked account's sockets closed");
            Json(DisconnectedBody { closed }).into_response()
        }
        Err(_) => unavailable(),
    }
}

/// The most rooms one glance asks about (the console's page of live matches).
pub const MOST_GLANCED: usize = 200;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GlanceRequest {
    /// Room ids, at most 200.
    pub rooms: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoomGlance {
    pub room_id: String,
    pub turn: u32,
    /// When the room last applied an input, in Unix milliseconds; `null` when it has not
    /// since it opened on this node.
    pub last_input_ms: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GlanceBody {
    /// The rooms asked about that run here (the others are left out).
    pub rooms: Vec<RoomGlance>,
}

/// Where some of this node's rooms stand: their turn and their last input, read without
/// disturbing them (for the console's list of live matches). Not for players: only a
/// lobby can sign a command.
#[utoipa::path(post, path = "/v1/node/glance", tag = "node", request_body = GlanceRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rooms that run here", body = GlanceBody),
        (status = 400, description = "`bad_request`: not a JSON list of at most 200 room ids", body = ErrorBody),
        (status = 401, description = "`invalid_command`: no command token, or an invalid, expired or foreign one, or one with another order", body = ErrorBody),
        (status = 403, description = "`wrong_node`: the command is for another node", body = ErrorBody),
    ))]
pub(crate) async fn glance(
    State(ctx): State<Arc<NodeContext>>,
    headers: HeaderMap,
    body: Result<Json<GlanceRequest>, JsonRejection>,
) -> Response {
    let command = match commanded(&ctx, &headers, command::ANY_ROOM) {
        Ok(command) => command,
        Err(untaken) => return untaken.into_response(),
    };
    if command.extra.order != Order::Glance {
        return invalid_command();
    }
    let Ok(Json(GlanceRequest { rooms })) = body else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the body must be {\"rooms\": [room ids]}",
        );
    };
    if rooms.len() > MOST_GLANCED {
        return refuse(StatusCode::BAD_REQUEST, "bad_request", "at most 200 rooms");
    }
    let rooms = rooms
        .into_iter()
        .filter_map(|room_id| {
            let (turn, last_input_ms) = ctx.rooms.glance(&room_id)?;
            Some(RoomGlance {
                room_id,
                turn,
                last_input_ms,
            })
        })
        .collect();
    Json(GlanceBody { rooms }).into_response()
}

/// The command a route's request carries, checked (a lobby's signature, unexpired, for this
/// node and the room its path names), and that room, opened; or the refusal.
async fn ordered(
    ctx: &Arc<NodeContext>,
    path: Result<Path<String>, PathRejection>,
    headers: &HeaderMap,
) -> Result<(NodeCommand, RoomHandle), Response> {
    let Ok(Path(room_id)) = path else {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the room id is malformed",
        ));
    };
    let command = commanded(ctx, headers, &room_id).map_err(IntoResponse::into_response)?;
    let room = open_room(ctx, &room_id)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok((command, room))
}

/// Why a command token is not taken.
enum Untaken {
    /// None, or not a lobby's unexpired command.
    Invalid,
    /// Another node's or room's.
    WrongNode,
}

impl IntoResponse for Untaken {
    fn into_response(self) -> Response {
        match self {
            Self::Invalid => invalid_command(),
            Self::WrongNode => refuse(
                StatusCode::FORBIDDEN,
                "wrong_node",
                "this command is for another node or room",
            ),
        }
    }
}

/// The command token the request carries, checked: a lobby's signature, unexpired, for this
/// node and `room`.
fn commanded(ctx: &NodeContext, headers: &HeaderMap, room: &str) -> Result<NodeCommand, Untaken> {
    let command = bearer(headers)
        .and_then(|token| command::verify(&ctx.verifier, token).ok())
        .ok_or(Untaken::Invalid)?;
    if command.extra.node != ctx.config.node_id || command.extra.room != room {
        return Err(Untaken::WrongNode);
    }
    Ok(command)
}

fn invalid_command() -> Response {
    refuse(
        StatusCode::UNAUTHORIZED,
        "invalid_command",
        "a valid command token for this order is required",
    )
}

/// The codes this route answers with, besides the standard ones.
pub(crate) const CODES: [&str; 4] = [
    "invalid_command",
    "match_over",
    "no_such_seat",
    "wrong_node",
];

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    error_response(status, code, message)
}

fn unavailable() -> Response {
    Refusal::RoomUnavailable.into_response()
}

/// The input that ends a match as `end` says, for a room of `seats` seats; `None` for a
/// winner that is not one of them.
pub(crate) fn ending_input(end: Ending, seats: usize) -> Option<Vec<moonlight_engine::Input>> {
    use moonlight_engine::{Input, Seat};
    match end {
        Ending::NoContest => Some(vec![Input::Abandon { seat: Seat(0) }]),
        Ending::Win { seat } if usize::from(seat) < seats => Some(
            (0..seats)
                .filter_map(|s| u8::try_from(s).ok())
                .filter(|&s| s != seat)
                .map(|s| Input::Forfeit { seat: Seat(s) })
                .collect(),
        ),
        Ending::Win { .. } => None,
    }
}
