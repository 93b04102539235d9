//! The REST endpoints under `/v1/lobby`. Each handler is documented for the OpenAPI
//! document, which is assembled from these same routes so the two cannot drift.

use std::{sync::Arc, time::Duration};

use axum::{
    Json,
    extract::{FromRef, State},
    http::{StatusCode, header},
    response::IntoResponse,
};
use moonlight_auth::{ApiJson, Authenticated, TokenVerifier};
use moonlight_common::{http::ErrorBody, time::unix_now};
use moonlight_engine::Level;
use moonlight_proto::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    catalogue::{self, Catalogue},
    decks,
    error::{ApiPath, ApiQuery, LobbyError, page_size},
    lobby::{Lobby, MatchTicket, Player, QueueStatus, RoomStatus, Status, WatchTicket},
    records::{Leaderboard, MatchRecord, Profile},
    store::LiveMatch,
};

#[derive(Clone, FromRef)]
pub(crate) struct LobbyState {
    pub lobby: Arc<Lobby>,
    pub verifier: TokenVerifier,
    pub catalogue: Arc<Catalogue>,
}

pub(crate) fn router(state: LobbyState) -> OpenApiRouter {
    let api = OpenApiRouter::new()
        .routes(routes!(enqueue, cancel))
        .routes(routes!(status))
        .routes(routes!(open_room, public_rooms))
        .routes(routes!(join_room))
        .routes(routes!(leave_room))
        .routes(routes!(practice))
        .routes(routes!(decks::list, decks::create))
        .routes(routes!(decks::update, decks::delete))
        .routes(routes!(profile))
        .routes(routes!(history))
        .routes(routes!(match_record))
        .routes(routes!(replay))
        .routes(routes!(live))
        .routes(routes!(watch))
        .routes(routes!(leaderboard));
    OpenApiRouter::new()
        .routes(routes!(catalogue::catalogue))
        .routes(routes!(catalogue::status))
        .nest("/v1/lobby", api)
        .with_state(state)
        // Referenced by the status body but not by a handler directly.
        .merge(OpenApiRouter::with_openapi(schemas()))
}

fn schemas() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    #[derive(utoipa::OpenApi)]
    #[openapi(components(schemas(QueueStatus, RoomStatus, MatchTicket)))]
    struct Schemas;
    Schemas::openapi()
}

fn player(claims: &Authenticated) -> Player {
    Player {
        id: claims.0.sub.clone(),
        name: claims.0.extra.name.clone(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeckChoice {
    /// Your deck: a deck id of the content (`GET /v1/content`, e.g. `dusk_starter`), the
    /// id of one of your saved decks (`GET /v1/lobby/decks`), or a deck code.
    #[schema(min_length = 1)]
    pub deck: String,
}

/// Joins the quick-match queue; you are matched by rating, the accepted gap widening the
/// longer you wait. Follow with `GET /v1/lobby/status?wait=25`, again each time it answers
/// while you are queued: ask at least every 50 s. A queued player silent for 60 s since
/// the last question the lobby noted (it notes one at most every 10 s) has gone (closed,
/// crashed, lost the network) and leaves the queue.
#[utoipa::path(post, path = "/queue", tag = "lobby", request_body = DeckChoice,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Queued", body = Status),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 409, description = "Already queued, in a room or in a match", body = ErrorBody),
        (status = 422, description = "`unknown_deck`, or `illegal_deck`: a saved deck or code the content now refuses (the reason names the card)", body = ErrorBody),
    ))]
async fn enqueue(
    State(lobby): State<Arc<Lobby>>,
    caller: Authenticated,
    ApiJson(body): ApiJson<DeckChoice>,
) -> Result<impl IntoResponse, LobbyError> {
    let status = lobby.enqueue(&player(&caller), &body.deck).await?;
    Ok((StatusCode::CREATED, Json(status)))
}

/// Leaves the quick-match queue.
#[utoipa::path(delete, path = "/queue", tag = "lobby", security(("bearer" = [])),
    responses(
        (status = 200, description = "Left the queue", body = Status),
        (status = 404, description = "Not queued", body = ErrorBody),
        (status = 409, description = "Already matched: see /v1/lobby/status", body = ErrorBody),
    ))]
async fn cancel(
    State(lobby): State<Arc<Lobby>>,
    caller: Authenticated,
) -> Result<Json<Status>, LobbyError> {
    Ok(Json(lobby.cancel(&player(&caller)).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitQuery {
    /// Seconds to wait for a match before answering (default 0; more than 30 waits 30,
    /// however many digits).
    #[serde(default, deserialize_with = "whole_seconds")]
    #[param(schema_with = whole_seconds_schema)]
    pub wait: Option<u64>,
    /// The id of your match's node when you could not reach it: the lobby checks the node
    /// at once and, if it cannot reach it either, moves your match to a live node (the
    /// ticket in the answer is for it) instead of waiting for the node's heartbeat to
    /// expire.
    #[param(max_length = 200)]
    pub unreachable: Option<String>,
}

/// Any whole number of seconds, however large: past `u64` it is as good as 30 (the longest
/// wait), so it saturates rather than being refused.
fn whole_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let text = String::deserialize(d)?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(serde::de::Error::custom(
            "`wait` must be a whole number of seconds",
        ));
    }
    Ok(Some(text.parse().unwrap_or(u64::MAX)))
}

/// What [`whole_seconds`] takes: an integer from 0, with no upper bound (no `int64`).
fn whole_seconds_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Integer)
        .minimum(Some(0))
        .build()
}

/// What you are doing. In a match, it carries a fresh ticket to the node running it (on a
/// live node: a match whose node died is moved). With `wait`, answers as soon as you are
/// matched or your state changes (a long-poll).
#[utoipa::path(get, path = "/status", tag = "lobby", params(WaitQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your state", body = Status),
        (status = 400, description = "`bad_request`: an `unreachable` over 200 characters, or a malformed query", body = ErrorBody),
        (status = 403, description = "`account_locked`: you are in a match and an admin locked your account", body = ErrorBody),
        (status = 503, description = "Your match has no live node to run on", body = ErrorBody),
    ))]
async fn status(
    State(lobby): State<Arc<Lobby>>,
    caller: Authenticated,
    ApiQuery(query): ApiQuery<WaitQuery>,
) -> Result<Json<Status>, LobbyError> {
    let wait = Duration::from_secs(query.wait.unwrap_or(0));
    if let Some(node_id) = query.unreachable.as_deref() {
        if node_id.chars().count() > 200 {
            return Err(LobbyError::BadRequest(
                "unreachable is a node id, at most 200 characters",
            ));
        }
        lobby.reported_unreachable(node_id).await?;
    }
    Ok(Json(lobby.wait_status(&player(&caller), wait).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRoom {
    /// Your deck: a deck id of the content (`GET /v1/content`, e.g. `dusk_starter`), the
    /// id of one of your saved decks (`GET /v1/lobby/decks`), or a deck code.
    #[schema(min_length = 1)]
    pub deck: String,
    /// Listed in `GET /v1/lobby/rooms` for anyone to join; otherwise by code only.
    #[serde(default)]
    pub public: bool,
}

/// Opens a private room; share its code. The match starts when a second player joins.
#[utoipa::path(post, path = "/rooms", tag = "lobby", request_body = NewRoom,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Room open", body = Status),
        (status = 409, description = "Already queued, in a room or in a match", body = ErrorBody),
        (status = 422, description = "`unknown_deck`, or `illegal_deck`: a saved deck or code the content now refuses (the reason names the card)", body = ErrorBody),
    ))]
async fn open_room(
    State(lobby): State<Arc<Lobby>>,
    caller: Authenticated,
    ApiJson(body): ApiJson<NewRoom>,
) -> Result<impl IntoResponse, LobbyError> {
    let status = lobby
        .open_room(&player(&caller), &body.deck, body.public)
        .await?;
    Ok((StatusCode::CREATED, Json(status)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicRoom {
    pub code: String,
    pub host: String,
    pub created_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicRooms {
    pub rooms: Vec<PublicRoom>,
}

/// Public rooms waiting for a second player, newest first.
#[utoipa::path(get, path = "/rooms", tag = "lobby", security(("bearer" = [])),
    responses((status = 200, description = "Open public rooms", body = PublicRooms)))]
async fn public_rooms(
    State(lobby): State<Arc<Lobby>>,
    _caller: Authenticated,
) -> Result<Json<PublicRooms>, LobbyError> {
    let rooms = lobby.store.public_rooms(unix_now(), 50).await?;
    Ok(Json(PublicRooms {
        rooms: rooms
            .into_iter()
            .map(|r| PublicRoom {
                code: r.code,
                host: r.host_name,
                created_at: r.created_at,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRoom {
    /// The room's code (case, spaces and dashes do not matter).
    #[schema(min_length = 1)]
    pub code: String,
    /// Your deck: a deck id of the content (`GET /v1/content`, e.g. `dusk_starter`), the
    /// id of one of your saved decks (`GET /v1/lobby/decks`), or a deck code.
    #[schema(min_length = 1)]
    pub deck: String,
}

/// Joins a room by its code; the match starts at once.
#[utoipa::path(post, path = "/rooms/join", tag = "lobby", request_body = JoinRoom,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Joined: the match is ready", body = Status),
        (status = 404, description = "No open room with this code", body = ErrorBody),
        (status = 409, description = "Busy elsewhere, or your own room", body = ErrorBody),
        (status = 422, description = "`unknown_deck`, or `illegal_deck`: a saved deck or code the content now refuses (the reason names the card)", body = ErrorBody),
    ))]
async fn join_room(
    State(lobby): State<Arc<Lobby>>,
    caller: Authenticated,
    ApiJson(body): ApiJson<JoinRoom>,
) -> Result<Json<Status>, LobbyError> {
    Ok(Json(
        lobby
            .join_room(&player(&caller), &body.code, &body.deck)
            .await?,
    ))
}

/// Leaves (and closes) the room you opened.
#[utoipa::path(delete, path = "/rooms/current", tag = "lobby", security(("bearer" = [])),
    responses(
        (status = 200, description = "Left", body = Status),
        (status = 404, description = "Not in a room", body = ErrorBody),
    ))]
async fn leave_room(
    State(lobby): State<Arc<Lobby>>,
    caller: Authenticated,
) -> Result<Json<Status>, LobbyError> {
    Ok(Json(lobby.leave_room(&player(&caller)).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PracticeChoice {
    /// Your deck: a deck id of the content (`GET /v1/content`, e.g. `dusk_starter`), the
    /// id of one of your saved decks (`GET /v1/lobby/decks`), or a deck code.
    #[schema(min_length = 1)]
    pub deck: String,
    /// The bot's deck, chosen as yours is (a playtest); absent: a random starter deck.
    #[schema(min_length = 1)]
    pub bot_deck: Option<String>,
    /// The match's seed, which fixes every shuffle and draw: the same seed, decks and
    /// choices play the same match again (a playtest); absent: a random one.
    #[serde(default, deserialize_with = "seed")]
    #[schema(minimum = 0, maximum = 9_007_199_254_740_991_u64)]
    pub seed: Option<u64>,
    /// How well the bot plays; absent: `easy`.
    #[serde(default)]
    pub level: BotLevel,
}

/// How well the practice bot plays (README: "Practice bot levels" has each level's
/// strength and think time, measured).
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BotLevel {
    /// Looks one move ahead: a beginner's opponent.
    #[default]
    Easy,
    /// Searches a few hundred playouts a move (milliseconds): beats `easy` about two
    /// games in three.
    Normal,
    /// Searches four times as long: beats `easy` about seven games in ten.
    Hard,
}

impl From<BotLevel> for Level {
    fn from(level: BotLevel) -> Self {
        match level {
            BotLevel::Easy => Level::Easy,
            BotLevel::Normal => Level::Normal,
            BotLevel::Hard => Level::Hard,
        }
    }
}

/// A seed a JSON number carries exactly everywhere (at most JavaScript's
/// `Number.MAX_SAFE_INTEGER`): a seed shown to a designer is the seed that was played.
fn seed<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    const MAX_SEED: u64 = (1 << 53) - 1;
    match Option::<u64>::deserialize(deserializer)? {
        Some(seed) if seed > MAX_SEED => Err(serde::de::Error::custom(
            "seed: at most 2^53 - 1 (9007199254740991)",
        )),
        seed => Ok(seed),
    }
}

/// Starts a match against a practice bot now (leaving the queue if you were in it), at the
/// level you choose; a designer's playtest picks the bot's deck and the seed too.
#[utoipa::path(post, path = "/practice", tag = "lobby", request_body = PracticeChoice,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The match is ready", body = Status),
        (status = 409, description = "In a room or a match", body = ErrorBody),
        (status = 422, description = "`unknown_deck` or `illegal_deck` (yours or the bot's), or a body that is \
            not a `PracticeChoice` (a seed above 2^53 - 1 included)", body = ErrorBody),
    ))]
async fn practice(
    State(lobby): State<Arc<Lobby>>,
    caller: Authenticated,
    ApiJson(body): ApiJson<PracticeChoice>,
) -> Result<impl IntoResponse, LobbyError> {
    let status = lobby
        .practice(
            &player(&caller),
            &body.deck,
            body.bot_deck.as_deref(),
            body.seed,
            body.level.into(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(status)))
}

/// Your rating and record.
#[utoipa::path(get, path = "/me", tag = "lobby", security(("bearer" = [])),
    responses((status = 200, description = "Your profile", body = Profile)))]
async fn profile(
    State(lobby): State<Arc<Lobby>>,
    caller: Authenticated,
) -> Result<Json<Profile>, LobbyError> {
    let me = player(&caller);
    Ok(Json(lobby.records.profile(&me.id, &me.name).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Matches per page (1 to 50; default 20).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<i64>,
    /// The `next` cursor of the previous page.
    #[param(pattern = "^-?[0-9]+_.+$")]
    pub before: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchPage {
    pub matches: Vec<MatchRecord>,
    /// Pass as `before` for the next page; `null` on the last page.
    pub next: Option<String>,
}

/// Your finished matches, newest first.
#[utoipa::path(get, path = "/me/matches", tag = "lobby", params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of your matches", body = MatchPage),
        (status = 400, description = "Bad cursor or limit", body = ErrorBody),
    ))]
async fn history(
    State(lobby): State<Arc<Lobby>>,
    caller: Authenticated,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<MatchPage>, LobbyError> {
    let limit = page_size(query.limit, 20, 50)?;
    let before = query
        .before
        .as_deref()
        .map(|cursor| {
            let (at, id) = cursor
                .split_once('_')
                .ok_or(LobbyError::BadRequest("bad cursor"))?;
            let at = at
                .parse()
                .map_err(|_| LobbyError::BadRequest("bad cursor"))?;
            Ok::<_, LobbyError>((at, id.to_owned()))
        })
        .transpose()?;
    let matches = lobby.records.history(&caller.0.sub, before, limit).await?;
    let full = usize::try_from(limit) == Ok(matches.len());
    let next = matches
        .last()
        .filter(|_| full)
        .map(|m| format!("{}_{}", m.finished_at, m.match_id));
    Ok(Json(MatchPage { matches, next }))
}

/// One finished match.
#[utoipa::path(get, path = "/matches/{id}", tag = "lobby", security(("bearer" = [])),
    params(("id" = String, Path, description = "The match id")),
    responses(
        (status = 200, description = "The match", body = MatchRecord),
        (status = 404, description = "No finished match with this id", body = ErrorBody),
    ))]
async fn match_record(
    State(lobby): State<Arc<Lobby>>,
    _caller: Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<MatchRecord>, LobbyError> {
    lobby
        .records
        .match_record(&id)
        .await?
        .map(Json)
        .ok_or(LobbyError::UnknownMatch)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReplayQuery {
    /// Inputs applied: 0 (the deal, the default) to the match's `steps`.
    #[param(minimum = 0)]
    pub step: Option<u32>,
    /// `public` (no hand), `full` (every hand: the match is over) or a seat number (that
    /// seat's view, its hand as it was then); by default your own seat, or `public`.
    #[param(pattern = "^(public|full|[0-9]+)$")]
    pub view: Option<String>,
}

impl ReplayQuery {
    pub(crate) fn step(&self) -> usize {
        usize::try_from(self.step.unwrap_or(0)).unwrap_or(usize::MAX)
    }
}

/// One step of a finished match's replay: the state after `step` inputs as `view` sees it,
/// played again by the server from the match's seed and inputs, as a protobuf
/// `moonlight.v1.ReplayStep` (see `proto/`). The match's players may watch it, and anyone
/// may watch a match that anyone could watch live; a private room's match is its players'
/// only (404 for anyone else).
#[utoipa::path(get, path = "/matches/{id}/replay", tag = "lobby", security(("bearer" = [])),
    params(("id" = String, Path, description = "The match id"), ReplayQuery),
    responses(
        (status = 200, description = "A `moonlight.v1.ReplayStep`, protobuf-encoded",
            content_type = "application/x-protobuf", body = Vec<u8>),
        (status = 400, description = "A step past the end, a seat not in the match, or a \
            malformed query", body = ErrorBody),
        (status = 404, description = "No such finished match, or not yours to watch \
            (`unknown_match`); a match void before anyone played (`no_replay`)", body = ErrorBody),
    ))]
async fn replay(
    State(lobby): State<Arc<Lobby>>,
    caller: Authenticated,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<ReplayQuery>,
) -> Result<impl IntoResponse, LobbyError> {
    let body = lobby
        .replay_step(
            Some(&player(&caller)),
            &id,
            query.step(),
            query.view.as_deref(),
        )
        .await?;
    Ok(replay_answer(&body))
}

/// A replay step as the protobuf answer it is.
pub(crate) fn replay_answer(step: &pb::ReplayStep) -> impl IntoResponse + use<> {
    (
        [
            (header::CONTENT_TYPE, "application/x-protobuf"),
            // A finished match never changes.
            (header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        prost::Message::encode_to_vec(step),
    )
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LiveQuery {
    /// How many matches (1 to 50; default 20).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LiveMatches {
    /// Newest first.
    pub matches: Vec<LiveMatch>,
}

/// Matches being played that anyone may watch (quick and practice matches, and public
/// rooms'), newest first. Watch one with `POST /matches/{id}/watch`.
#[utoipa::path(get, path = "/live", tag = "lobby", params(LiveQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Live matches", body = LiveMatches),
        (status = 400, description = "Bad limit", body = ErrorBody),
    ))]
async fn live(
    State(lobby): State<Arc<Lobby>>,
    _caller: Authenticated,
    ApiQuery(query): ApiQuery<LiveQuery>,
) -> Result<Json<LiveMatches>, LobbyError> {
    let limit = page_size(query.limit, 20, 50)?;
    Ok(Json(LiveMatches {
        matches: lobby.live(limit).await?,
    }))
}

/// A spectator's ticket to a match being played: open `{url}?ticket={ticket}` as the game
/// WebSocket to see its public view (no hand, no card drawn) and its events as they
/// happen. A private room's match cannot be watched (404, as if it did not exist).
#[utoipa::path(post, path = "/matches/{id}/watch", tag = "lobby", security(("bearer" = [])),
    params(("id" = String, Path, description = "The match id")),
    responses(
        (status = 200, description = "Your spectator ticket", body = WatchTicket),
        (status = 404, description = "`unknown_match`: no such match, or one only its players may see", body = ErrorBody),
        (status = 410, description = "`match_over`: the match is over", body = ErrorBody),
        (status = 503, description = "`no_nodes`: no live game server to run it", body = ErrorBody),
    ))]
async fn watch(
    State(lobby): State<Arc<Lobby>>,
    caller: Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<WatchTicket>, LobbyError> {
    Ok(Json(lobby.watch(&player(&caller), &id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TopQuery {
    /// How many of the top players (1 to 100; default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// The best established ratings, and your own place.
#[utoipa::path(get, path = "/leaderboard", tag = "lobby", params(TopQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The leaderboard", body = Leaderboard),
        (status = 400, description = "Bad limit", body = ErrorBody),
    ))]
async fn leaderboard(
    State(lobby): State<Arc<Lobby>>,
    caller: Authenticated,
    ApiQuery(query): ApiQuery<TopQuery>,
) -> Result<Json<Leaderboard>, LobbyError> {
    let limit = page_size(query.limit, 20, 100)?;
    Ok(Json(lobby.records.leaderboard(&caller.0.sub, limit).await?))
}
