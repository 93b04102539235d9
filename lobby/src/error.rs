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
    #[error(
        "there is no deck `{deck}`; the decks are: {} (GET /v1/content lists their cards)",
        known.join(", ")
    )]
    UnknownDeck { deck: String, known: Vec<String> },
    /// A deck that breaks the deck rules (of the content now), or a code that is not one.
    #[error("this deck cannot be played: {0}")]
    IllegalDeck(String),
    #[error("none of your decks has this id")]
    DeckNotFound,
    #[error("you have {0} decks, the most one may keep; delete one first")]
    TooManyDecks(i64),
    #[error("no open room has this code (it may have expired or filled)")]
    UnknownRoom,
    #[error("you are not in a room")]
    NotInRoom,
    #[error("you cannot join your own room")]
    OwnRoom,
    #[error("no such match")]
    UnknownMatch,
    #[error("this match is over; its record is at GET /v1/lobby/matches/{{id}}")]
    MatchOver,
    #[error("this match has no replay: it ended before anyone played")]
    NoReplay,
    #[error("no game server is available; try again shortly")]
    NoNodes,
    #[error("{0}")]
    BadRequest(&'static str),
    #[error("{0}")]
    InvalidBody(&'static str),
    #[error("this needs the admin role")]
    Forbidden,
    #[error("your account is locked")]
    AccountLocked,
    #[error("no such player")]
    UnknownPlayer,
    #[error("bad query string: {0}")]
    BadQuery(String),
    #[error("bad path: {0}")]
    BadPath(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<moonlight_auth::StoreError> for LobbyError {
    fn from(error: moonlight_auth::StoreError) -> Self {
        Self::Internal(error.into())
    }
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

impl From<axum::extract::rejection::PathRejection> for LobbyError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> Self {
        Self::BadPath(rejection.body_text())
    }
}

/// A page size asked for in a query (`limit`): `default` when absent; 400 `bad_request`
/// outside 1 to `most`.
pub fn page_size(asked: Option<i64>, default: i64, most: i64) -> Result<i64, LobbyError> {
    let limit = asked.unwrap_or(default);
    if (1..=most).contains(&limit) {
        Ok(limit)
    } else {
        Err(LobbyError::BadQuery(format!(
            "limit must be between 1 and {most}, not {limit}"
        )))
    }
}

/// A query string; a malformed one is a clear 400 with the standard error body.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(LobbyError))]
pub struct ApiQuery<T>(pub T);

/// Path parameters; a malformed one (not UTF-8 once decoded) is a clear 400 with the
/// standard error body, not axum's plain text.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(LobbyError))]
pub struct ApiPath<T>(pub T);

impl LobbyError {
    /// Every code the lobby answers with (besides the standard ones every service has, in
    /// `moonlight_common::openapi`): its own, and those of the access-token and JSON-body
    /// checks it shares with auth.
    pub const CODES: [&str; 26] = [
        "busy",
        "not_queued",
        "already_matched",
        "unknown_deck",
        "illegal_deck",
        "deck_not_found",
        "too_many_decks",
        "unknown_room",
        "not_in_room",
        "own_room",
        "unknown_match",
        "match_over",
        "no_replay",
        "no_nodes",
        "bad_request",
        "forbidden",
        "account_locked",
        "unknown_player",
        "rate_limited",
        "internal",
        "unauthenticated",
        "malformed_json",
        "invalid_body",
        "unsupported_media_type",
        "body_too_large",
        "bad_body",
    ];

    pub fn code(&self) -> &'static str {
        match self {
            Self::Busy => "busy",
            Self::NotQueued => "not_queued",
            Self::AlreadyMatched => "already_matched",
            Self::UnknownDeck { .. } => "unknown_deck",
            Self::IllegalDeck(_) => "illegal_deck",
            Self::DeckNotFound => "deck_not_found",
            Self::TooManyDecks(_) => "too_many_decks",
            Self::UnknownRoom => "unknown_room",
            Self::NotInRoom => "not_in_room",
            Self::OwnRoom => "own_room",
            Self::UnknownMatch => "unknown_match",
            Self::MatchOver => "match_over",
            Self::NoReplay => "no_replay",
            Self::NoNodes => "no_nodes",
            Self::BadRequest(_) | Self::BadQuery(_) | Self::BadPath(_) => "bad_request",
            Self::InvalidBody(_) => "invalid_body",
            Self::Forbidden => "forbidden",
            Self::AccountLocked => "account_locked",
            Self::UnknownPlayer => "unknown_player",
            Self::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for LobbyError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::Busy | Self::AlreadyMatched | Self::OwnRoom | Self::TooManyDecks(_) => {
                StatusCode::CONFLICT
            }
            Self::NotQueued
            | Self::UnknownRoom
            | Self::NotInRoom
            | Self::UnknownMatch
            | Self::UnknownPlayer
            | Self::DeckNotFound
            | Self::NoReplay => StatusCode::NOT_FOUND,
            Self::UnknownDeck { .. } | Self::IllegalDeck(_) | Self::InvalidBody(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::Forbidden | Self::AccountLocked => StatusCode::FORBIDDEN,
            Self::MatchOver => StatusCode::GONE,
            Self::NoNodes => StatusCode::SERVICE_UNAVAILABLE,
            Self::BadRequest(_) | Self::BadQuery(_) | Self::BadPath(_) => StatusCode::BAD_REQUEST,
            Self::Internal(error) if moonlight_common::db::unavailable_in(error) => {
                tracing::warn!(error = format!("{error:#}"), "database unreachable");
                return moonlight_common::http::unavailable_response();
            }
            Self::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "lobby request failed");
                return error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side",
                );
            }
        };
        error_response(status, self.code(), self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::LobbyError;

    #[test]
    fn a_page_size_is_the_default_or_1_to_the_most() {
        use super::page_size;
        assert_eq!(page_size(None, 20, 50).unwrap(), 20);
        assert_eq!(page_size(Some(1), 20, 50).unwrap(), 1);
        assert_eq!(page_size(Some(50), 20, 50).unwrap(), 50);
        for asked in [0, -1, 51, i64::MAX] {
            let refused = page_size(Some(asked), 20, 50).unwrap_err();
            assert_eq!(refused.code(), "bad_request");
            assert_eq!(
                refused.to_string(),
                format!("bad query string: limit must be between 1 and 50, not {asked}")
            );
        }
    }

    #[test]
    fn every_code_is_listed() {
        let errors = [
            LobbyError::Busy,
            LobbyError::NotQueued,
            LobbyError::AlreadyMatched,
            LobbyError::UnknownDeck {
                deck: "x".into(),
                known: vec![],
            },
            LobbyError::UnknownRoom,
            LobbyError::NotInRoom,
            LobbyError::OwnRoom,
            LobbyError::UnknownMatch,
            LobbyError::MatchOver,
            LobbyError::NoReplay,
            LobbyError::NoNodes,
            LobbyError::BadRequest("x"),
            LobbyError::InvalidBody("x"),
            LobbyError::Forbidden,
            LobbyError::AccountLocked,
            LobbyError::UnknownPlayer,
            LobbyError::BadQuery("x".into()),
            LobbyError::BadPath("x".into()),
            LobbyError::Internal(anyhow::anyhow!("x")),
        ];
        for error in &errors {
            assert!(LobbyError::CODES.contains(&error.code()), "{error:?}");
        }
        for code in moonlight_common::openapi::BODY_CODES {
            assert!(LobbyError::CODES.contains(&code), "{code}");
        }
    }

    #[test]
    fn the_readme_lists_every_code() {
        let readme = include_str!("../README.md");
        let codes: Vec<&str> = LobbyError::CODES
            .iter()
            .chain(&moonlight_common::openapi::STANDARD_CODES)
            .copied()
            .collect();
        let missing = moonlight_common::openapi::undocumented(readme, &codes);
        assert!(
            missing.is_empty(),
            "lobby/README.md does not name {missing:?}"
        );
    }
}
