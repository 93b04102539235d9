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

use std::{path::PathBuf, sync::Arc, time::Duration};

use anyhow::Context;
use axum::Router;
use moonlight_common::{
    Database,
    http::{ReadinessCheck, standard_service},
};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

pub use domain::{Password, Username};
pub use error::AuthError;
pub use extract::{ApiJson, Authenticated};
pub use hashing::{OWASP_M_COST_KIB, OWASP_P_COST, OWASP_T_COST, PasswordHasher};
pub use keys::SigningKeys;
pub use limits::RateLimit;
pub use routes::{Credentials, RefreshRequest, TokenResponse, UserInfo};
pub use tokens::{
    AUDIENCE, AccessClaims, AccessExtra, Claims, ISSUER, JwksError, TokenError, TokenIssuer,
    TokenType, TokenVerifier,
};

/// How the auth service behaves; the binary fills it from flags and environment.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Where signing keys live; `None` keeps one in memory (tests).
    pub keys_dir: Option<PathBuf>,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub rate_limit: RateLimit,
    /// Password hashes computed at once (defaults to the number of cores).
    pub hash_workers: usize,
    /// Password hashes allowed to wait; beyond that requests get 503.
    pub hash_queue: usize,
}

impl Default for AuthConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            keys_dir: None,
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            rate_limit: RateLimit::default(),
            hash_workers: cores,
            hash_queue: cores * 32,
        }
    }
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

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

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
        let document = Arc::new(openapi.clone());
        let routes = routes.route(
            "/openapi.json",
            axum::routing::get(move || {
                let document = document.clone();
                async move { axum::Json(document.as_ref().clone()) }
            }),
        );
        let ready: ReadinessCheck = Arc::new(move || {
            let db = db.clone();
            Box::pin(async move { db.is_ready().await })
        });
        Ok(Self {
            router: standard_service("auth", routes, ready),
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
