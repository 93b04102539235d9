//! Every way a lobby request can fail, and the HTTP answer for each.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use moonlight_common::http::error_response;

#[derive(Debug, thiserror::Error)]
pub enum LobbyError {
    #[error("you are already queued, in a room or in a match")]
    Busy,
    #[error("you are not in the queue")]
    NotQueued,
    #[error("you were matched already; ask /v1/lobby/status for your match")]
    AlreadyMatched,
    #[error("no deck with this id")]
    UnknownDeck,
    #[error("no open room has this code (it may have expired or filled)")]
    UnknownRoom,
    #[error("you are not in a room")]
    NotInRoom,
    #[error("you cannot join your own room")]
    OwnRoom,
    #[error("no such match")]
    UnknownMatch,
    #[error("no game server is available; try again shortly")]
    NoNodes,
    #[error("{0}")]
    BadRequest(&'static str),
    #[error("bad query string: {0}")]
    BadQuery(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for LobbyError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.into())
    }
}

impl From<axum::extract::rejection::QueryRejection> for LobbyError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        Self::BadQuery(rejection.body_text())
    }
}

/// A query string; a malformed one is a clear 400 with the standard error body.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(LobbyError))]
pub struct ApiQuery<T>(pub T);

impl IntoResponse for LobbyError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Self::Busy => (StatusCode::CONFLICT, "busy"),
            Self::NotQueued => (StatusCode::NOT_FOUND, "not_queued"),
            Self::AlreadyMatched => (StatusCode::CONFLICT, "already_matched"),
            Self::UnknownDeck => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_deck"),
            Self::UnknownRoom => (StatusCode::NOT_FOUND, "unknown_room"),
            Self::NotInRoom => (StatusCode::NOT_FOUND, "not_in_room"),
            Self::OwnRoom => (StatusCode::CONFLICT, "own_room"),
            Self::UnknownMatch => (StatusCode::NOT_FOUND, "unknown_match"),
            Self::NoNodes => (StatusCode::SERVICE_UNAVAILABLE, "no_nodes"),
            Self::BadRequest(_) | Self::BadQuery(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "lobby request failed");
                return error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side",
                );
            }
        };
        error_response(status, code, self.to_string())
    }
}
