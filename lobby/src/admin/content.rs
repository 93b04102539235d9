//! The content, for the console: what new matches use, what live matches still play, what
//! the checker says of the files on disk now, and a reload (what `SIGHUP` does).

use std::collections::BTreeMap;

use axum::{Json, extract::State};
use moonlight_auth::ApiJson;
use moonlight_common::http::ErrorBody;
use moonlight_engine::CheckReport;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{Admin, AdminState, Reason, reason};
use crate::{
    catalogue::{ContentDiagnostic, located},
    error::LobbyError,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct ContentNow {
    /// The version new matches use (this lobby's).
    pub loaded: String,
    /// The directory the content is read from (relative to the server's working
    /// directory, as it was configured).
    pub dir: String,
    /// Rooms running on the live nodes, by the content version each plays.
    pub live: BTreeMap<String, usize>,
    /// The checker's verdict on the files as they are on disk now.
    pub on_disk: Check,
}

/// What the content checker says of a directory.
#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    /// No errors: a reload would be taken.
    pub ok: bool,
    pub errors: Vec<ContentDiagnostic>,
    pub warnings: Vec<ContentDiagnostic>,
}

impl Check {
    fn of(report: &CheckReport, dir: &std::path::Path) -> Self {
        Self {
            ok: report.is_ok(),
            errors: located(&report.errors, dir),
            warnings: located(&report.warnings, dir),
        }
    }
}

/// The content in use and on disk.
#[utoipa::path(get, path = "/content", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "The content now", body = ContentNow),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub(super) async fn content_now(
    State(state): State<AdminState>,
    _admin: Admin,
) -> Result<Json<ContentNow>, LobbyError> {
    let mut live = BTreeMap::new();
    for node in state.lobby.live_nodes().await? {
        for (version, rooms) in node.room_versions {
            *live.entry(version).or_default() += rooms;
        }
    }
    let content = std::sync::Arc::clone(&state.content);
    // Reading and checking the files is blocking work (milliseconds).
    let on_disk = tokio::task::spawn_blocking(move || {
        let dir = content.dir();
        Check::of(&moonlight_engine::check_dir(dir), dir)
    })
    .await
    .map_err(anyhow::Error::from)?;
    Ok(Json(ContentNow {
        loaded: state.content.current().version().to_owned(),
        dir: state.content.dir().display().to_string(),
        live,
        on_disk,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Reloaded {
    /// `reloaded` (new matches use `version` from now on), `unchanged` (the files are
    /// those in use) or `refused` (the checker found errors: the previous version stays).
    pub outcome: String,
    /// The version new matches use after the reload.
    pub version: String,
    pub check: Check,
}

/// Reloads the content from its directory for new matches, as `SIGHUP` does: running
/// matches keep theirs, and content with errors is refused (the answer says why). It
/// reloads this lobby's process (and the nodes in it); a node in a process of its own
/// still plays every version a lobby gives it, from the room store.
#[utoipa::path(post, path = "/content/reload", tag = "admin", request_body = Reason,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Reloaded, unchanged or refused", body = Reloaded),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 422, description = "`invalid_body`: no reason given", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ))]
pub(super) async fn reload_content(
    State(state): State<AdminState>,
    Admin(admin): Admin,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<Reloaded>, LobbyError> {
    let why = reason(&body.reason)?;
    let content = std::sync::Arc::clone(&state.content);
    let reloaded = tokio::task::spawn_blocking(move || content.reload())
        .await
        .map_err(anyhow::Error::from)?;
    let dir = state.content.dir();
    let (outcome, check) = match reloaded {
        Ok(Some(version)) => {
            tracing::info!(%version, admin = %admin.name, "content reloaded for new matches");
            ("reloaded", Check::of(&CheckReport::default(), dir))
        }
        Ok(None) => ("unchanged", Check::of(&CheckReport::default(), dir)),
        Err(refused) => ("refused", Check::of(&refused.report, dir)),
    };
    let version = state.content.current().version().to_owned();
    state
        .audit
        .record(
            &admin,
            "reload_content",
            &version,
            json!({"reason": why, "outcome": outcome, "errors": check.errors.len()}),
        )
        .await?;
    Ok(Json(Reloaded {
        outcome: outcome.to_owned(),
        version,
        check,
    }))
}
