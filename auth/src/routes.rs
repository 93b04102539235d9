//! The REST endpoints under `/v1/auth`, and the JWKS. Each handler is documented for the
//! OpenAPI document, which is assembled from these same routes so the two cannot drift.

use std::sync::Arc;

use axum::{
    Json,
    extract::{FromRef, State},
    http::StatusCode,
    middleware,
    response::IntoResponse,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use moonlight_common::{http::ErrorBody, time::unix_now};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    Settings,
    domain::{Password, Username},
    error::AuthError,
    extract::{ApiJson, Authenticated},
    hashing::{PasswordHasher, hex},
    limits::{IpRateLimiter, limit_by_ip, login_lock_secs},
    store::{Account, AccountStore},
    tokens::{AccessExtra, TokenIssuer, TokenType, TokenVerifier},
};

#[derive(Clone, FromRef)]
pub(crate) struct AuthState {
    pub store: AccountStore,
    pub hasher: PasswordHasher,
    pub issuer: TokenIssuer,
    pub verifier: TokenVerifier,
    pub settings: Arc<Settings>,
}

/// The routes, with their OpenAPI description.
pub(crate) fn router(state: AuthState, limiter: IpRateLimiter) -> OpenApiRouter {
    let limited = OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .route_layer(middleware::from_fn_with_state(limiter, limit_by_ip));
    let api = OpenApiRouter::new()
        .merge(limited)
        .routes(routes!(logout))
        .routes(routes!(me));
    OpenApiRouter::new()
        .nest("/v1/auth", api)
        .routes(routes!(jwks))
        .with_state(state)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// 3 to 20 ASCII letters, digits, `_` or `-`, starting with a letter.
    #[schema(
        example = "luna",
        min_length = 3,
        max_length = 20,
        pattern = "^[A-Za-z][A-Za-z0-9_-]*$"
    )]
    pub username: String,
    /// 8 to 128 characters.
    #[schema(example = "correct horse battery", min_length = 8, max_length = 128)]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserInfo {
    pub id: String,
    pub username: String,
    /// Unix seconds.
    pub created_at: i64,
}

impl From<&Account> for UserInfo {
    fn from(account: &Account) -> Self {
        Self {
            id: account.id.clone(),
            username: account.username.clone(),
            created_at: account.created_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT for `Authorization: Bearer`, valid `expires_in` seconds.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub expires_in: u64,
    /// Opaque and single-use: trade it at `/v1/auth/refresh` for a new pair.
    pub refresh_token: String,
    /// Seconds until this login's refresh tokens stop working, whatever the rotations.
    pub refresh_expires_in: u64,
    pub user_id: String,
    pub username: String,
}

fn parse_credentials(body: &Credentials) -> Result<(Username, Password), AuthError> {
    let username = Username::parse(&body.username).map_err(AuthError::Invalid)?;
    let password = Password::parse(&body.password).map_err(AuthError::Invalid)?;
    Ok((username, password))
}

/// Creates an account and logs it in.
#[utoipa::path(post, path = "/register", tag = "auth", request_body = Credentials,
    responses(
        (status = 201, description = "Account created and logged in", body = TokenResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 409, description = "Username taken", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid username or password", body = ErrorBody),
        (status = 429, description = "Too many requests", body = ErrorBody),
        (status = 503, description = "Too busy to hash a password", body = ErrorBody),
    ))]
async fn register(
    State(state): State<AuthState>,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<impl IntoResponse, AuthError> {
    let (username, password) = parse_credentials(&body)?;
    let password_hash = state.hasher.hash(&password).await?;
    let now = unix_now();
    let account = state
        .store
        .create_account(&username, &password_hash, now)
        .await?;
    tracing::info!(user_id = %account.id, username = %account.username, "account registered");
    let tokens = start_session(&state, &account, now).await?;
    Ok((StatusCode::CREATED, Json(tokens)))
}

/// Logs in with a username and password.
#[utoipa::path(post, path = "/login", tag = "auth", request_body = Credentials,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 401, description = "Wrong username or password", body = ErrorBody),
        (status = 403, description = "`account_locked`: an admin locked this account (said only to the right password)", body = ErrorBody),
        (status = 422, description = "Invalid username or password format", body = ErrorBody),
        (status = 429, description = "Too many requests or failed logins", body = ErrorBody),
        (status = 503, description = "Too busy to check a password", body = ErrorBody),
    ))]
async fn login(
    State(state): State<AuthState>,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Json<TokenResponse>, AuthError> {
    let (username, password) = parse_credentials(&body)?;
    let key = username.key();
    let now = unix_now();
    if let Some(until) = state.store.login_locked_until(&key).await?
        && until > now
    {
        return Err(AuthError::RateLimited {
            retry_after_secs: u64::try_from(until - now).unwrap_or(1),
        });
    }
    let account = state.store.account_by_username(&username).await?;
    // Unknown users are verified against a dummy hash: the same cost, so the answer's
    // timing does not tell which usernames exist.
    let verification = state
        .hasher
        .verify(
            &password,
            account.as_ref().map(|a| a.password_hash.as_str()),
        )
        .await?;
    let Some(account) = account.filter(|_| verification.matches) else {
        let failures = state.store.record_login_failure(&key).await?;
        if let Some(lock) = login_lock_secs(failures) {
            state.store.lock_logins(&key, now + lock).await?;
        }
        return Err(AuthError::InvalidCredentials);
    };
    state.store.clear_login_failures(&key).await?;
    // Only to the right password: a locked account is not revealed to anyone else.
    if account.locked_at.is_some() {
        return Err(AuthError::AccountLocked);
    }
    if verification.needs_rehash {
        rehash(&state, &account, &password).await;
    }
    Ok(Json(start_session(&state, &account, now).await?))
}

/// Replaces a hash made with old parameters. Failure only costs another try next login.
async fn rehash(state: &AuthState, account: &Account, password: &Password) {
    let result = match state.hasher.hash(password).await {
        Ok(hash) => state
            .store
            .update_password_hash(&account.id, &hash)
            .await
            .map_err(anyhow::Error::from),
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(()) => {
            tracing::info!(user_id = %account.id, "password rehashed with current parameters")
        }
        Err(error) => {
            tracing::warn!(user_id = %account.id, error = %error, "password rehash failed")
        }
    }
}

/// Trades a refresh token for a new access token and a new refresh token. The old refresh
/// token is spent; presenting it again revokes every token of its login.
#[utoipa::path(post, path = "/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "New token pair", body = TokenResponse),
        (status = 401, description = "Unknown, spent, revoked or expired refresh token", body = ErrorBody),
        (status = 429, description = "Too many requests", body = ErrorBody),
    ))]
async fn refresh(
    State(state): State<AuthState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<Json<TokenResponse>, AuthError> {
    let old_hash = hash_refresh_token(&body.refresh_token);
    let now = unix_now();
    let record = state
        .store
        .find_refresh_token(&old_hash)
        .await?
        .ok_or(AuthError::InvalidRefreshToken)?;
    if record.family_revoked || record.family_expires_at <= now {
        return Err(AuthError::InvalidRefreshToken);
    }
    let (new_token, new_hash) = new_refresh_token();
    if record.used
        || !state
            .store
            .rotate(&record.family_id, &old_hash, &new_hash, now)
            .await?
    {
        // A spent token came back: whoever holds the family's tokens, one copy leaked.
        state
            .store
            .revoke_family(&record.family_id, "reuse", now)
            .await?;
        tracing::warn!(user_id = %record.user_id, family = %record.family_id, "refresh token reuse; family revoked");
        return Err(AuthError::InvalidRefreshToken);
    }
    let access_token = issue_access(&state, &record.user_id, &record.username, now).await?;
    Ok(Json(TokenResponse {
        access_token,
        token_type: "Bearer".to_owned(),
        expires_in: state.settings.access_ttl.as_secs(),
        refresh_token: new_token,
        refresh_expires_in: u64::try_from(record.family_expires_at - now).unwrap_or(0),
        user_id: record.user_id,
        username: record.username,
    }))
}

/// Ends the login a refresh token belongs to: every refresh token of it stops working.
#[utoipa::path(post, path = "/logout", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "Unknown refresh token", body = ErrorBody),
    ))]
async fn logout(
    State(state): State<AuthState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<StatusCode, AuthError> {
    let record = state
        .store
        .find_refresh_token(&hash_refresh_token(&body.refresh_token))
        .await?
        .ok_or(AuthError::InvalidRefreshToken)?;
    state
        .store
        .revoke_family(&record.family_id, "logout", unix_now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The logged-in player's account.
#[utoipa::path(get, path = "/me", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's account", body = UserInfo),
        (status = 401, description = "Missing or invalid access token", body = ErrorBody),
    ))]
async fn me(
    State(state): State<AuthState>,
    Authenticated(claims): Authenticated,
) -> Result<Json<UserInfo>, AuthError> {
    let account = state
        .store
        .account_by_id(&claims.sub)
        .await?
        .ok_or(AuthError::Unauthenticated)?;
    Ok(Json(UserInfo::from(&account)))
}

/// The public keys that verify Moonlight tokens (RFC 7517), each with its `kid`.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "auth",
    responses((status = 200, description = "JSON Web Key Set", content_type = "application/json")))]
async fn jwks(State(issuer): State<TokenIssuer>) -> impl IntoResponse {
    Json(issuer.jwks())
}

async fn start_session(
    state: &AuthState,
    account: &Account,
    now: i64,
) -> Result<TokenResponse, AuthError> {
    let access_token = issue_access(state, &account.id, &account.username, now).await?;
    let (refresh_token, refresh_hash) = new_refresh_token();
    let refresh_ttl = state.settings.refresh_ttl.as_secs();
    let expires_at = now + i64::try_from(refresh_ttl).unwrap_or(i64::MAX / 2);
    state
        .store
        .start_family(&account.id, &refresh_hash, now, expires_at)
        .await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".to_owned(),
        expires_in: state.settings.access_ttl.as_secs(),
        refresh_token,
        refresh_expires_in: refresh_ttl,
        user_id: account.id.clone(),
        username: account.username.clone(),
    })
}

/// An access token naming the account's roles as they are now (a role granted or revoked
/// shows in the next token: at the next login or refresh).
async fn issue_access(
    state: &AuthState,
    user_id: &str,
    username: &str,
    now: i64,
) -> Result<String, AuthError> {
    let extra = AccessExtra {
        name: username.to_owned(),
        roles: state.store.roles_of(user_id).await?,
    };
    Ok(state.issuer.issue(
        user_id,
        TokenType::Access,
        now,
        state.settings.access_ttl,
        extra,
    )?)
}

/// A new refresh token and the hash under which it is stored.
fn new_refresh_token() -> (String, String) {
    let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let hash = hash_refresh_token(&token);
    (token, hash)
}

/// Refresh tokens carry 256 random bits, so a fast unsalted hash is enough: a stolen
/// table cannot be reversed into usable tokens.
fn hash_refresh_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}
