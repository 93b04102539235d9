//! What is happening now, for the console's first page: the live nodes, the queue, the
//! matches being played.

use std::collections::{BTreeMap, HashMap};

use axum::{Json, extract::State};
use moonlight_common::{
    Database,
    http::ErrorBody,
    time::{unix_now, unix_now_ms},
};
use moonlight_rooms::{
    NodeInfo, NodeVitals,
    command::{ANY_ROOM, Order},
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};

use super::{Admin, AdminState, matches::order_node};
use crate::{
    error::{ApiQuery, LobbyError, page_size},
    store::LiveMatch,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct Overview {
    /// The game-server nodes with a fresh heartbeat.
    pub nodes: Vec<NodeNow>,
    pub queue: QueueNow,
    pub matches: MatchesNow,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NodeNow {
    pub id: String,
    /// Its play socket.
    pub url: String,
    /// Rooms running there at its last heartbeat, and the most it takes.
    pub rooms: usize,
    pub capacity: usize,
    /// Open game sockets (players and spectators) at its last heartbeat.
    pub connections: usize,
    /// Its last heartbeat, Unix milliseconds.
    pub heartbeat_ms: i64,
    /// The content version its new rooms use.
    pub content_version: String,
    /// Its running rooms by the content version each plays.
    pub room_versions: BTreeMap<String, usize>,
    /// Its actions between its last two heartbeats, as it measured them.
    pub vitals: VitalsNow,
}

/// A node's actions over one heartbeat interval (about 2 seconds).
#[derive(Debug, Serialize, ToSchema)]
pub struct VitalsNow {
    /// The interval covered, in milliseconds.
    pub window_ms: u64,
    /// Actions applied and acknowledged.
    pub actions: u64,
    /// Actions the rules refused (players' illegal moves).
    pub rejected: u64,
    /// Actions the node failed to make durable: its errors.
    pub failed: u64,
    /// From an action's arrival in its room to its acknowledgement, in microseconds.
    pub p50_us: u64,
    pub p99_us: u64,
}

impl From<NodeInfo> for NodeNow {
    fn from(node: NodeInfo) -> Self {
        let NodeVitals {
            window_ms,
            actions,
            rejected,
            failed,
            p50_us,
            p99_us,
        } = node.vitals;
        Self {
            id: node.id,
            url: node.url,
            rooms: node.rooms,
            capacity: node.capacity,
            connections: node.connections,
            heartbeat_ms: node.heartbeat_ms,
            content_version: node.content_version,
            room_versions: node.room_versions,
            vitals: VitalsNow {
                window_ms,
                actions,
                rejected,
                failed,
                p50_us,
                p99_us,
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueNow {
    /// Players in the quick-match queue.
    pub players: i64,
    /// How long the longest-waiting of them has waited, in seconds (0 with nobody queued).
    pub longest_wait_secs: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchesNow {
    /// Matches placed and not finished.
    pub live: i64,
    /// Matches whose result was recorded in the last 60 seconds.
    pub finished_last_minute: i64,
}

/// The live nodes, the queue and the matches, now.
#[utoipa::path(get, path = "/overview", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Now", body = Overview),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub(super) async fn overview(
    State(state): State<AdminState>,
    _admin: Admin,
) -> Result<Json<Overview>, LobbyError> {
    let nodes = state
        .lobby
        .live_nodes()
        .await?
        .into_iter()
        .map(NodeNow::from)
        .collect();
    Ok(Json(Overview {
        nodes,
        queue: queue_now(&state.db).await?,
        matches: matches_now(&state.db).await?,
    }))
}

async fn queue_now(db: &Database) -> Result<QueueNow, LobbyError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS players, MIN(since_ms) AS first FROM lobby_players \
         WHERE state = 'queued'",
    )
    .fetch_one(db.pool())
    .await?;
    let first: Option<i64> = row.try_get("first")?;
    let waited_ms = first.map_or(0, |first| (unix_now_ms() - first).max(0));
    Ok(QueueNow {
        players: row.try_get("players")?,
        // Milliseconds in an f64: exact far beyond any wait.
        longest_wait_secs: waited_ms as f64 / 1000.0,
    })
}

async fn matches_now(db: &Database) -> Result<MatchesNow, LobbyError> {
    let row = sqlx::query(
        "SELECT \
           (SELECT COUNT(*) FROM lobby_matches WHERE finished = FALSE) AS live, \
           (SELECT COUNT(*) FROM match_results WHERE finished_at >= $1) AS recent",
    )
    .bind(unix_now() - 60)
    .fetch_one(db.pool())
    .await?;
    Ok(MatchesNow {
        live: row.try_get("live")?,
        finished_last_minute: row.try_get("recent")?,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatchesQuery {
    /// Matches to return, newest first (1 to 200; default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminMatch {
    #[serde(flatten)]
    pub live: LiveMatch,
    /// The node it is placed on.
    pub node_id: String,
    /// Its turn (0 while the opening hands are chosen), as its node says; `null` when the
    /// node did not say (it is not running the room now, or did not answer in time).
    pub turn: Option<u32>,
    /// When it last applied an input, Unix milliseconds; `null` as for `turn`, or when no
    /// input was applied since the room opened on its node.
    pub last_input_ms: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchList {
    pub matches: Vec<AdminMatch>,
}

/// Every match being played (private ones too), newest first, with its node, and its turn
/// and last input as the node running it says.
#[utoipa::path(get, path = "/matches", tag = "admin", params(MatchesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The live matches", body = MatchList),
        (status = 400, description = "`bad_request`: a limit outside 1 to 200", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub(super) async fn live_matches(
    State(state): State<AdminState>,
    Admin(admin): Admin,
    ApiQuery(query): ApiQuery<MatchesQuery>,
) -> Result<Json<MatchList>, LobbyError> {
    let limit = page_size(query.limit, 50, 200)?;
    let live = state.lobby.store.live_matches(limit, true).await?;
    let glances = glances(&state, &admin.id, &live).await?;
    Ok(Json(MatchList {
        matches: live
            .into_iter()
            .map(|(live, node_id)| {
                let (turn, last_input_ms) = glances
                    .get(&live.match_id)
                    .map_or((None, None), |g| (Some(g.turn), g.last_input_ms));
                AdminMatch {
                    live,
                    node_id,
                    turn,
                    last_input_ms,
                }
            })
            .collect(),
    }))
}

/// What a node says of one of its rooms (`moonlight_game_server`'s `RoomGlance`).
#[derive(Deserialize)]
struct Glance {
    room_id: String,
    turn: u32,
    last_input_ms: Option<i64>,
}

#[derive(Deserialize)]
struct Glances {
    rooms: Vec<Glance>,
}

/// The turn and last input of `live`'s matches, asked of the live nodes running them (at
/// once); a node that does not answer leaves its matches out.
async fn glances(
    state: &AdminState,
    admin_id: &str,
    live: &[(LiveMatch, String)],
) -> Result<HashMap<String, Glance>, LobbyError> {
    let nodes = state.lobby.live_nodes().await?;
    let asks = nodes.iter().filter_map(|node| {
        let rooms: Vec<&str> = live
            .iter()
            .filter(|(_, on)| *on == node.id)
            .map(|(m, _)| m.match_id.as_str())
            .collect();
        (!rooms.is_empty()).then_some(async move {
            let answer = order_node(
                state,
                admin_id,
                node,
                ANY_ROOM,
                Order::Glance,
                json!({ "rooms": rooms }),
            )
            .await
            .ok()?;
            if answer.status() != reqwest::StatusCode::OK {
                tracing::warn!(node = %node.id, status = %answer.status(), "node refused a glance");
                return None;
            }
            answer.json::<Glances>().await.ok()
        })
    });
    Ok(futures_util::future::join_all(asks)
        .await
        .into_iter()
        .flatten()
        .flat_map(|glances| glances.rooms)
        .map(|glance| (glance.room_id.clone(), glance))
        .collect())
}
