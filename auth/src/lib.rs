//! Moonlight accounts: registration with Argon2id password hashes, logins that issue a
//! short-lived EdDSA access token and a rotating single-use refresh token, and the
//! [`TokenVerifier`] the other services use with nothing but the public keys.

mod domain;
mod error;
mod extract;
mod hashing;
mod keys;
mod limits;
mod routes;
mod store;
mod tokens;

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use anyhow::Context;
use axum::Router;
use moonlight_common::{
    Database,
    config::{at_least_one, defaults},
    http::{BearerAuth, database_ready, standard_service},
    openapi::complete,
};
use utoipa::OpenApi;

pub use domain::{Password, Username};
pub use error::AuthError;
pub use extract::{ApiJson, Authenticated, bearer};
pub use hashing::{OWASP_M_COST_KIB, OWASP_P_COST, OWASP_T_COST, PasswordHasher};
pub use keys::SigningKeys;
pub use limits::{IpRateLimiter, KeyedRateLimiter, RateLimit, limit_by_ip};
pub use routes::{Credentials, RefreshRequest, TokenResponse, UserInfo};
pub use store::{Account, AccountStore, StoreError};
pub use tokens::{
    AUDIENCE, AccessClaims, AccessExtra, Claims, ISSUER, JwksError, Role, TokenError, TokenIssuer,
    TokenType, TokenVerifier,
};

/// How the auth service behaves; the binary fills it from flags and environment.
#[derive(Debug, Clone, clap::Args)]
pub struct AuthConfig {
    /// Address the auth service listens on (port 0 picks a free port).
    #[arg(
        id = "auth_addr",
        long = "auth-addr",
        value_name = "ADDR",
        env = "MOONLIGHT_AUTH_ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub addr: SocketAddr,
    /// Where signing keys live; `None` keeps one in memory (tests).
    #[arg(skip)]
    pub keys_dir: Option<PathBuf>,
    #[arg(skip = Duration::from_secs(15 * 60))]
    pub access_ttl: Duration,
    #[arg(skip = Duration::from_secs(30 * 24 * 3600))]
    pub refresh_ttl: Duration,
    #[command(flatten)]
    pub rate_limit: RateLimit,
    /// Password hashes computed at once (default: the number of cores).
    #[arg(long, env = "MOONLIGHT_HASH_WORKERS", default_value_t = cores(), hide_default_value = true, value_parser = at_least_one)]
    pub hash_workers: usize,
    /// Password hashes allowed to wait before requests get 503 (default: 32 per core; 0:
    /// none wait).
    #[arg(long, env = "MOONLIGHT_HASH_QUEUE", default_value_t = 32 * cores(), hide_default_value = true)]
    pub hash_queue: usize,
}

impl Default for AuthConfig {
    fn default() -> Self {
        defaults()
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Token lifetimes the handlers need.
#[derive(Debug)]
pub(crate) struct Settings {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

/// The auth service, built and ready to serve.
pub struct AuthService {
    router: Router,
    openapi: utoipa::openapi::OpenApi,
    issuer: TokenIssuer,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Moonlight Online API", description = "Accounts and tokens (auth service)."),
    components(schemas(moonlight_common::http::ErrorBody)),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

impl AuthService {
    pub async fn build(config: &AuthConfig, db: Database) -> anyhow::Result<Self> {
        let keys = match &config.keys_dir {
            Some(dir) => SigningKeys::load_or_generate(dir)?,
            None => SigningKeys::ephemeral()?,
        };
        let issuer = TokenIssuer::new(keys);
        let (workers, queue) = (config.hash_workers, config.hash_queue);
        // Making the dummy hash is itself a full Argon2 run: keep it off the runtime.
        let hasher = tokio::task::spawn_blocking(move || PasswordHasher::new(workers, queue))
            .await
            .context("starting the password hasher")??;
        let state = routes::AuthState {
            store: store::AccountStore::new(db.clone()),
            hasher,
            verifier: issuer.verifier(),
            issuer: issuer.clone(),
            settings: Arc::new(Settings {
                access_ttl: config.access_ttl,
                refresh_ttl: config.refresh_ttl,
            }),
        };
        let limiter = limits::IpRateLimiter::new(config.rate_limit);
        let (routes, openapi) = utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
            .merge(routes::router(state, limiter))
            .split_for_parts();
        Ok(Self {
            router: standard_service(
                "auth",
                routes,
                complete(&openapi, &AuthError::CODES),
                database_ready(db),
            ),
            openapi,
            issuer,
        })
    }

    /// The verifier for this service's tokens (in-process use by the other services).
    pub fn verifier(&self) -> TokenVerifier {
        self.issuer.verifier()
    }

    /// The token issuer (in-process use, e.g. by the lobby to sign room tickets).
    pub fn issuer(&self) -> TokenIssuer {
        self.issuer.clone()
    }

    pub fn openapi(&self) -> &utoipa::openapi::OpenApi {
        &self.openapi
    }

    pub fn into_router(self) -> Router {
        self.router
    }
}
