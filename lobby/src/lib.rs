//! The Moonlight lobby: private rooms with join codes, rating-based quick match, practice
//! against a bot, placement on live game-server nodes (and moving matches off dead ones),
//! and ratings and match history.
//!
//! State lives in the shared database ([`store`], [`records`]) and the node directory
//! ([`directory`]), so any number of lobby processes can serve the same players: every
//! decision that could race is one conditional write. See `lobby/README.md`.

pub mod admin;
mod background;
mod catalogue;
mod codes;
pub mod config;
pub mod decks;
mod error;
mod lobby;
mod pairing;
pub mod ratings;
pub mod records;
mod routes;
pub mod store;
mod waiters;

use std::sync::Arc;

use axum::Router;
use moonlight_auth::{KeyedRateLimiter, TokenIssuer};
use moonlight_common::{
    CancellationToken,
    http::{BearerAuth, database_ready, standard_service},
    openapi::complete,
};
use moonlight_engine::ContentStore;
use moonlight_rooms::{NodeDirectory, RoomStore};
use utoipa::OpenApi;

pub use config::LobbyConfig;
pub use error::LobbyError;
pub use lobby::{BOT_NAME, Lobby, MatchTicket, Player, Status};

use crate::store::LobbyStore;

#[derive(OpenApi)]
#[openapi(
    info(title = "Moonlight Online lobby API", description = "Rooms, quick match, practice, ratings and history, and the card catalogue (lobby service)."),
    components(schemas(moonlight_common::http::ErrorBody)),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

/// What the lobby needs from the rest of the deployment.
pub struct LobbyParts {
    pub config: LobbyConfig,
    pub db: moonlight_common::Database,
    /// Where game servers find the rooms the lobby creates.
    pub rooms: RoomStore,
    pub directory: NodeDirectory,
    pub content: Arc<ContentStore>,
    /// Signs room tickets; its verifier checks players' access tokens.
    pub issuer: TokenIssuer,
}

/// The lobby service, built and ready to serve.
pub struct LobbyService {
    lobby: Arc<Lobby>,
    router: Router,
    openapi: utoipa::openapi::OpenApi,
}

impl LobbyService {
    pub fn new(parts: LobbyParts) -> Self {
        let db = parts.db.clone();
        let admin_rate = parts.config.admin_rate_limit;
        let verifier = parts.issuer.verifier();
        let content = Arc::clone(&parts.content);
        let catalogue = Arc::new(catalogue::Catalogue::new(Arc::clone(&content)));
        let lobby = Arc::new(Lobby::new(
            parts.config,
            LobbyStore::new(parts.db),
            parts.rooms,
            parts.directory,
            parts.content,
            parts.issuer,
        ));
        let state = routes::LobbyState {
            lobby: Arc::clone(&lobby),
            verifier,
            catalogue,
        };
        let admin = admin::AdminState {
            lobby: Arc::clone(&lobby),
            db: db.clone(),
            content,
            verifier: state.verifier.clone(),
            accounts: moonlight_auth::AccountStore::new(db.clone()),
            audit: admin::AuditLog::new(db.clone()),
            limiter: KeyedRateLimiter::new(admin_rate),
        };
        let (routes, openapi) = utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
            .merge(routes::router(state))
            .merge(admin::router(admin))
            .split_for_parts();
        let mut document = complete(&openapi, &LobbyError::CODES);
        catalogue::document(&mut document);
        Self {
            lobby,
            router: standard_service("lobby", routes, document, database_ready(db)),
            openapi,
        }
    }

    pub fn lobby(&self) -> &Arc<Lobby> {
        &self.lobby
    }

    pub fn openapi(&self) -> &utoipa::openapi::OpenApi {
        &self.openapi
    }

    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Runs matchmaking, settling and long-poll wake-ups until `shutdown` (or until the
    /// returned set is dropped).
    pub fn spawn_background(&self, shutdown: &CancellationToken) -> tokio::task::JoinSet<()> {
        background::spawn(&self.lobby, shutdown)
    }
}
