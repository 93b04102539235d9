//! `GET /v1/content`: the card catalogue of the content new matches use, for clients to
//! render cards, decks and rules. Public, and cheap to ask again: the body is built once
//! per content version, and its `ETag` is the version, so a client that has it gets 304.
//! `GET /v1/content/status`: the version in use and, when the last reload was refused, the
//! checker's messages, for designers who just edited the files.

use std::{path::Path, sync::Arc};

use axum::Json;
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use moonlight_engine::{ContentStore, Diagnostic, content::catalogue::catalogue_schemas};
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::error::LobbyError;

/// The catalogue of the current content, serialised once per version.
pub(crate) struct Catalogue {
    content: Arc<ContentStore>,
    /// The last version served, its `ETag` and its body.
    built: Mutex<Option<Built>>,
}

#[derive(Clone)]
struct Built {
    version: String,
    etag: HeaderValue,
    body: Bytes,
}

impl Catalogue {
    pub(crate) fn new(content: Arc<ContentStore>) -> Self {
        Self {
            content,
            built: Mutex::new(None),
        }
    }

    fn current(&self) -> Result<Built, LobbyError> {
        let content = self.content.current();
        if let Some(built) = &*self.built.lock()
            && built.version == content.version()
        {
            return Ok(built.clone());
        }
        let body = serde_json::to_vec(&content.catalogue()).map_err(anyhow::Error::from)?;
        let built = Built {
            version: content.version().to_owned(),
            // A version is hex: always a valid header value.
            etag: HeaderValue::from_str(&format!("\"{}\"", content.version()))
                .map_err(anyhow::Error::from)?,
            body: body.into(),
        };
        *self.built.lock() = Some(built.clone());
        Ok(built)
    }
}

/// Every card (with its abilities as data), every starter deck and the rules of the content
/// new matches use. The `ETag` is the content version (a match's `Welcome.content_version`);
/// send it back in `If-None-Match` to get 304 while it is current.
#[utoipa::path(get, path = "/v1/content", tag = "content",
    params(("If-None-Match" = Option<String>, Header,
        description = "The `ETag` of a catalogue you have: 304 if it is still current")),
    responses(
        (status = 200, description = "The catalogue", body = serde_json::Value,
            headers(("ETag" = String, description = "The content version, quoted"))),
        (status = 304, description = "Your copy is current",
            headers(("ETag" = String, description = "The content version, quoted"))),
    ))]
pub(crate) async fn catalogue(
    State(catalogue): State<Arc<Catalogue>>,
    headers: HeaderMap,
) -> Result<Response, LobbyError> {
    let built = catalogue.current()?;
    let cache = [
        (header::ETAG, built.etag.clone()),
        // Cached copies are checked each time: a content reload changes the version.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    if still_current(&headers, &built.version) {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    let json = (
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok((cache, [json], built.body).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ContentStatus {
    /// The content version new matches use (the catalogue's `ETag`).
    version: String,
    /// The last reload (`SIGHUP`), when the checker refused it: the version above stayed
    /// in use. `null` when the last reload succeeded (or none was asked for).
    refused: Option<RefusedReload>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RefusedReload {
    /// When, in Unix seconds.
    at: i64,
    /// What makes the files unusable, in file order.
    errors: Vec<ContentDiagnostic>,
    /// Suspicious things that would not have stopped the reload.
    warnings: Vec<ContentDiagnostic>,
}

/// One message of the content checker, located in a file: `file:line:col: message`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContentDiagnostic {
    /// The file, in the content directory (e.g. `cards/dusk.toml`).
    file: String,
    /// 1-based.
    line: usize,
    /// 1-based, in characters.
    col: usize,
    message: String,
    /// How to fix it (a did-you-mean, the valid names), when the checker knows.
    hint: Option<String>,
}

impl ContentDiagnostic {
    /// `d`, its file named from the content directory `dir` (the server's own paths are
    /// nobody else's business).
    fn new(d: &Diagnostic, dir: &Path) -> Self {
        let file = Path::new(&d.file)
            .strip_prefix(dir)
            .map_or_else(|_| d.file.clone(), |file| file.display().to_string());
        Self {
            file,
            line: d.line,
            col: d.col,
            message: d.message.clone(),
            hint: d.hint.clone(),
        }
    }
}

pub(crate) fn located(diagnostics: &[Diagnostic], dir: &Path) -> Vec<ContentDiagnostic> {
    diagnostics
        .iter()
        .map(|d| ContentDiagnostic::new(d, dir))
        .collect()
}

/// The content version new matches use and, if the last reload was refused, why: the
/// checker's messages with their `file:line:col`. Not cached.
#[utoipa::path(get, path = "/v1/content/status", tag = "content",
    responses((status = 200, description = "The content in use", body = ContentStatus)))]
pub(crate) async fn status(State(catalogue): State<Arc<Catalogue>>) -> impl IntoResponse {
    let content = &catalogue.content;
    let refused = content.refused().map(|refused| RefusedReload {
        at: refused
            .at
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| {
                i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
            }),
        errors: located(&refused.report.errors, content.dir()),
        warnings: located(&refused.report.warnings, content.dir()),
    });
    let status = ContentStatus {
        version: content.current().version().to_owned(),
        refused,
    };
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(status),
    )
}

/// Whether `If-None-Match` names `version` (or is `*`), weak or strong, in a list or alone.
fn still_current(headers: &HeaderMap, version: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|tag| tag == "*" || tag == version)
}

/// Puts the catalogue's schemas (from the content types themselves) into the lobby's
/// OpenAPI document and points the endpoint's 200 body at them.
pub(crate) fn document(openapi: &mut Value) {
    let schemas = catalogue_schemas();
    if let Some(components) = openapi
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        components.extend(schemas);
    }
    if let Some(body) = openapi
        .pointer_mut("/paths/~1v1~1content/get/responses/200/content/application~1json/schema")
    {
        *body = json!({"$ref": "#/components/schemas/Catalogue"});
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::still_current;

    fn asking(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn if_none_match_names_the_version_in_any_form() {
        for values in [
            &["\"abc\""][..],
            &["W/\"abc\""],
            &["\"x\", \"abc\""],
            &["\"x\"", "\"abc\""],
            &["*"],
        ] {
            assert!(still_current(&asking(values), "abc"), "{values:?}");
        }
        for values in [&[][..], &["\"ab\""], &["\"abcd\""], &["abc-x"]] {
            assert!(!still_current(&asking(values), "abc"), "{values:?}");
        }
    }
}
