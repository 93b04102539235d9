//! Request extractors whose failures answer with [`AuthError`]'s JSON body.

use axum::{
    extract::{FromRef, FromRequest, FromRequestParts},
    http::{HeaderMap, header, request::Parts},
};

use crate::{
    error::AuthError,
    tokens::{AccessClaims, TokenVerifier},
};

/// A JSON body; malformed, mistyped or oversized bodies become clear 4xx answers.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AuthError))]
pub struct ApiJson<T>(pub T);

/// The caller, proven by a valid `Authorization: Bearer <access token>`. Usable by any
/// service whose state can hand out a [`TokenVerifier`].
#[derive(Debug, Clone)]
pub struct Authenticated(pub AccessClaims);

impl<S> FromRequestParts<S> for Authenticated
where
    TokenVerifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers).ok_or(AuthError::Unauthenticated)?;
        let claims = TokenVerifier::from_ref(state).verify_access(token)?;
        Ok(Self(claims))
    }
}

/// The token of an `Authorization: Bearer <token>` header, if the request has one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
}
