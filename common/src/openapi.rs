//! Completing a service's OpenAPI document with what every one of its routes can answer,
//! so the document says exactly what the server does: the standard refusals of each
//! operation (a body that is not JSON, too big, of the wrong type; a missing token; a bad
//! query string or path parameter) and, in the error body's schema, the service's every
//! error code.

use serde_json::{Map, Value, json};

/// Codes any service's routes can answer: a request body that cannot be read.
pub const BODY_CODES: [&str; 5] = [
    "malformed_json",
    "invalid_body",
    "unsupported_media_type",
    "body_too_large",
    "bad_body",
];

/// Codes of the routes every service has (`/readyz`, unknown routes and methods), and of
/// every operation that uses the database while it cannot be reached (`unavailable`).
pub const STANDARD_CODES: [&str; 4] = [
    "not_found",
    "method_not_allowed",
    "not_ready",
    "unavailable",
];

/// The document `openapi`, with each operation's standard refusals added where it does
/// not list them itself, and `codes` (plus the standard ones) as the only values of the
/// error body's `code`.
pub fn complete(openapi: &utoipa::openapi::OpenApi, codes: &[&str]) -> Value {
    let mut document = serde_json::to_value(openapi).unwrap_or(Value::Null);
    let mut all: Vec<&str> = codes.iter().chain(&STANDARD_CODES).copied().collect();
    all.sort_unstable();
    all.dedup();
    if let Some(code) = document.pointer_mut("/components/schemas/ErrorDetail/properties/code") {
        code["enum"] = json!(all);
    }
    let paths = document.get_mut("paths").and_then(Value::as_object_mut);
    for item in paths.into_iter().flat_map(Map::values_mut) {
        let operations = item.as_object_mut().into_iter().flat_map(Map::values_mut);
        for operation in operations.filter(|o| o.get("responses").is_some()) {
            add_standard_refusals(operation);
        }
    }
    document
}

fn add_standard_refusals(operation: &mut Value) {
    let has_body = operation.get("requestBody").is_some();
    let secured = operation
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty());
    let has_parameter_in = |place: &str| {
        operation
            .get("parameters")
            .and_then(Value::as_array)
            .is_some_and(|ps| ps.iter().any(|p| p["in"] == place))
    };
    let (queried, pathed) = (has_parameter_in("query"), has_parameter_in("path"));
    let mut refusals: Vec<(&str, String)> = Vec::new();
    if has_body {
        refusals.push(("400", "`malformed_json`: the body is not JSON".into()));
        refusals.push(("413", "`body_too_large`: the body is over 16 KiB".into()));
        refusals.push((
            "415",
            "`unsupported_media_type`: the body is not `application/json`".into(),
        ));
        refusals.push((
            "422",
            "`invalid_body`: the JSON is not what this operation takes".into(),
        ));
    }
    if queried {
        refusals.push((
            "400",
            "`bad_request`: a query parameter is malformed".into(),
        ));
    }
    if pathed {
        refusals.push((
            "400",
            "`bad_request`: a path parameter is malformed (not UTF-8)".into(),
        ));
    }
    if secured {
        refusals.push((
            "401",
            "`unauthenticated`: no valid access token (`Authorization: Bearer`)".into(),
        ));
    }
    // Every operation with a body or a caller uses the database.
    if secured || has_body {
        refusals.push((
            "503",
            "`unavailable`: the database cannot be reached right now (nothing was done; \
             retry after `Retry-After` seconds)"
                .into(),
        ));
    }
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (status, description) in refusals {
        match responses.get_mut(status) {
            // Documented by the operation already: say what else it can mean.
            Some(existing) => {
                let text = existing["description"].as_str().unwrap_or_default();
                if !text.contains(&description) {
                    existing["description"] = json!(format!("{text}; or {description}"));
                }
            }
            None => {
                responses.insert(
                    status.to_owned(),
                    json!({
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
                    }),
                );
            }
        }
    }
}

/// The codes of `codes` that `text` (a README) never names as `` `code` ``: what a test
/// of "the README lists every error code" reports.
pub fn undocumented<'a>(text: &str, codes: &[&'a str]) -> Vec<&'a str> {
    codes
        .iter()
        .copied()
        .filter(|code| !text.contains(&format!("`{code}`")))
        .collect()
}
