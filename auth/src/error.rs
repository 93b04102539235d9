//! The auth service's one error type. Clients get a stable `code`, a plain message and the
//! right status; internal detail goes to the log only.

use axum::{
    extract::rejection::JsonRejection,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use moonlight_common::http::error_response;

use crate::{hashing::HashError, store::StoreError, tokens::TokenError};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The request body could not be read as the expected JSON.
    #[error("{message}")]
    BadBody {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    /// A field failed validation (a username or password outside the rules).
    #[error("{0}")]
    Invalid(String),
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("missing or invalid access token")]
    Unauthenticated,
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    #[error("that username is taken")]
    UsernameTaken,
    #[error("this account is locked; contact support")]
    AccountLocked,
    #[error("too many attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("the server is busy; retry shortly")]
    Busy,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AuthError {
    /// Every code the auth service answers with (besides the standard ones every service
    /// has, in `moonlight_common::openapi`).
    pub const CODES: [&str; 14] = [
        "invalid_input",
        "invalid_credentials",
        "unauthenticated",
        "invalid_refresh_token",
        "username_taken",
        "account_locked",
        "rate_limited",
        "busy",
        "internal",
        "malformed_json",
        "invalid_body",
        "unsupported_media_type",
        "body_too_large",
        "bad_body",
    ];
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        if let Self::Internal(error) = &self
            && moonlight_common::db::unavailable_in(error)
        {
            tracing::warn!(error = format!("{error:#}"), "database unreachable");
            return moonlight_common::http::unavailable_response();
        }
        let message = self.to_string();
        let (status, code) = match &self {
            Self::BadBody { status, code, .. } => (*status, *code),
            Self::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
            Self::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            Self::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Self::InvalidRefreshToken => (StatusCode::UNAUTHORIZED, "invalid_refresh_token"),
            Self::UsernameTaken => (StatusCode::CONFLICT, "username_taken"),
            Self::AccountLocked => (StatusCode::FORBIDDEN, "account_locked"),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Self::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let mut response = error_response(status, code, message);
        match self {
            Self::RateLimited { retry_after_secs } => {
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(retry_after_secs.max(1)),
                );
            }
            Self::Busy => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(1u64));
            }
            Self::Unauthenticated => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

impl From<JsonRejection> for AuthError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        let code = match &rejection {
            JsonRejection::JsonSyntaxError(_) => "malformed_json",
            JsonRejection::JsonDataError(_) => "invalid_body",
            JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
            _ if status == StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
            _ => "bad_body",
        };
        Self::BadBody {
            status,
            code,
            // axum's text describes the client's own input (e.g. "missing field
            // `password`"), never server internals.
            message: rejection.body_text(),
        }
    }
}

impl From<HashError> for AuthError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy => Self::Busy,
            HashError::Internal(message) => Self::Internal(anyhow::anyhow!(message)),
        }
    }
}

impl From<StoreError> for AuthError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::UsernameTaken => Self::UsernameTaken,
            StoreError::Database(error) => Self::Internal(error.into()),
        }
    }
}

impl From<TokenError> for AuthError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::Signing(message) => Self::Internal(anyhow::anyhow!(message)),
            other => {
                tracing::debug!(reason = %other, "token refused");
                Self::Unauthenticated
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_answers_with_a_listed_code() {
        let errors = [
            AuthError::Invalid("x".into()),
            AuthError::InvalidCredentials,
            AuthError::Unauthenticated,
            AuthError::InvalidRefreshToken,
            AuthError::UsernameTaken,
            AuthError::AccountLocked,
            AuthError::RateLimited {
                retry_after_secs: 1,
            },
            AuthError::Busy,
            AuthError::Internal(anyhow::anyhow!("x")),
        ];
        for error in errors {
            // A new variant must be added above (and to CODES): this match says so.
            match &error {
                AuthError::BadBody { .. }
                | AuthError::Invalid(_)
                | AuthError::InvalidCredentials
                | AuthError::Unauthenticated
                | AuthError::InvalidRefreshToken
                | AuthError::UsernameTaken
                | AuthError::AccountLocked
                | AuthError::RateLimited { .. }
                | AuthError::Busy
                | AuthError::Internal(_) => {}
            }
            let code = code_of(error.into_response());
            assert!(AuthError::CODES.contains(&code.as_str()), "{code}");
        }
        for code in moonlight_common::openapi::BODY_CODES {
            assert!(AuthError::CODES.contains(&code), "{code}");
        }
    }

    #[test]
    fn the_readme_lists_every_code() {
        let readme = include_str!("../../README.md");
        let missing = moonlight_common::openapi::undocumented(readme, &AuthError::CODES);
        assert!(missing.is_empty(), "README.md does not name {missing:?}");
    }

    fn code_of(response: Response) -> String {
        let body = body_of(response);
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        json["error"]["code"].as_str().unwrap().to_owned()
    }

    /// The body of a response made in memory.
    fn body_of(response: Response) -> Vec<u8> {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
            .unwrap()
            .to_vec()
    }
}
