//! `POST /v1/node/rooms/{id}/end`: a lobby ending a match for an admin, with a command token
//! (`moonlight_rooms::command`). The room applies it as a server input, so the match ends as
//! any match ends: logged and durable, its result in the outbox, every player told.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State, rejection::PathRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use moonlight_auth::bearer;
use moonlight_common::http::{ErrorBody, error_response};
use moonlight_rooms::command::{self, Ending};
use serde::Serialize;
use tokio::sync::oneshot;
use utoipa::ToSchema;

use crate::{
    NodeContext,
    play::{Refusal, open_room},
    room::RoomMsg,
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
        (status = 401, description = "`invalid_command`: no command token, or an invalid, expired or foreign one", body = ErrorBody),
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
    let Ok(Path(room_id)) = path else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the room id is malformed",
        );
    };
    let command = bearer(&headers).and_then(|token| command::verify(&ctx.verifier, token).ok());
    let Some(command) = command else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_command",
            "a valid command token is required",
        );
    };
    if command.extra.node != ctx.config.node_id || command.extra.room != room_id {
        return refuse(
            StatusCode::FORBIDDEN,
            "wrong_node",
            "this command is for another node or room",
        );
    }
    let room = match open_room(&ctx, &room_id).await {
        Ok(room) => room,
        Err(refusal) => return refusal.into_response(),
    };
    let (done, answer) = oneshot::channel();
    let end = command.extra.end;
    if !room.send(RoomMsg::End { end, done }).await {
        return unavailable();
    }
    let by = &command.sub;
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
