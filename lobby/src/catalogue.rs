//! `GET /v1/content`: the card catalogue of the content new matches use, for clients to
//! render cards, decks and rules. Public, and cheap to ask again: the body is built once
//! per content version, and its `ETag` is the version, so a client that has it gets 304.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use moonlight_engine::{ContentStore, content::catalogue::catalogue_schemas};
use parking_lot::Mutex;
use serde_json::{Value, json};

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
