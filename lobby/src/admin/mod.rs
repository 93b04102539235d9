//! The operator's endpoints under `/v1/admin`: for an account with the admin role only,
//! rate-limited per admin, every action written to the audit log.
//!
//! An admin is checked twice: the access token must name the role (a signed claim, so it
//! cannot be added by hand), and the account must still hold it in the database, so a
//! revoke acts at once instead of when the token expires. The rate is counted between the
//! two: anyone else is refused before costing a database query, and a runaway script with
//! an admin's token is slowed down before it does.

mod audit;
mod content;
mod matches;
mod now;
mod players;
mod ratings;

use std::sync::Arc;

use axum::{
    Json,
    extract::{FromRef, FromRequestParts, State},
    http::request::Parts,
    response::{IntoResponse, Response},
};
use moonlight_auth::{
    AccountStore, AuthError, Authenticated, KeyedRateLimiter, Role, TokenVerifier,
};
use moonlight_common::{Database, http::ErrorBody};
use moonlight_engine::ContentStore;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use audit::{Actor, AuditEntry, AuditLog};

use crate::{
    error::{ApiQuery, LobbyError, page_size},
    lobby::Lobby,
};

#[derive(Clone, FromRef)]
pub(crate) struct AdminState {
    pub lobby: Arc<Lobby>,
    pub db: Database,
    pub content: Arc<ContentStore>,
    pub verifier: TokenVerifier,
    pub accounts: AccountStore,
    pub audit: AuditLog,
    /// Requests per admin account.
    pub limiter: KeyedRateLimiter<String>,
}

pub(crate) fn router(state: AdminState) -> OpenApiRouter {
    let api = OpenApiRouter::new()
        .routes(routes!(now::overview))
        .routes(routes!(now::live_matches))
        .routes(routes!(audit_log))
        .routes(routes!(players::find_players))
        .routes(routes!(players::player_detail))
        .routes(routes!(players::free_player))
        .routes(routes!(players::lock_account))
        .routes(routes!(players::unlock_account))
        .routes(routes!(players::revoke_sessions))
        .routes(routes!(matches::end_match))
        .routes(routes!(matches::watch_match))
        .routes(routes!(matches::replay))
        .routes(routes!(content::content_now))
        .routes(routes!(content::reload_content))
        .routes(routes!(ratings::rating_spread));
    OpenApiRouter::new()
        .nest("/v1/admin", api)
        .with_state(state)
}

/// The caller, proven to hold the admin role (see the module docs).
pub(crate) struct Admin(Actor);

impl FromRequestParts<AdminState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AdminState,
    ) -> Result<Self, Self::Rejection> {
        let Authenticated(claims) = Authenticated::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if !claims.extra.roles.contains(&Role::Admin) {
            return Err(LobbyError::Forbidden.into_response());
        }
        if let Err(retry_after_secs) = state.limiter.check(&claims.sub) {
            return Err(AuthError::RateLimited { retry_after_secs }.into_response());
        }
        let held = state
            .accounts
            .roles_of(&claims.sub)
            .await
            .map_err(|e| LobbyError::from(e).into_response())?;
        if !held.contains(&Role::Admin) {
            return Err(LobbyError::Forbidden.into_response());
        }
        Ok(Self(Actor {
            id: claims.sub,
            name: claims.extra.name,
        }))
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries to return, newest first (1 to 500; default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
}

/// The audit log, newest first: every admin action, from the console or the command line.
#[utoipa::path(get, path = "/audit", tag = "admin", params(AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The latest entries", body = AuditPage),
        (status = 400, description = "`bad_request`: a limit outside 1 to 500", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
async fn audit_log(
    State(audit): State<AuditLog>,
    _admin: Admin,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, LobbyError> {
    let limit = page_size(query.limit, 100, 500)?;
    Ok(Json(AuditPage {
        entries: audit.latest(limit).await?,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Why, for the audit log.
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// The reason given, trimmed, or why it cannot be one.
fn reason(text: &str) -> Result<&str, LobbyError> {
    let reason = text.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(LobbyError::InvalidBody("reason is 1 to 500 characters"));
    }
    Ok(reason)
}
