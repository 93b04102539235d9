//! The web playground (`playground/`), served by the lobby's listener: its built files are
//! compiled into the binary, so running it needs no Node, and `/playground/config.json`
//! tells the page where the auth service and the lobby are.

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, HeaderValue, header},
    response::IntoResponse,
    routing::get,
};
use serde::Serialize;

const INDEX: &str = include_str!("../playground/dist/index.html");
const SCRIPT: &str = include_str!("../playground/dist/assets/app.js");
const STYLE: &str = include_str!("../playground/dist/assets/app.css");

/// Where the page finds the auth service.
#[derive(Debug, Clone)]
pub enum AuthAt {
    /// This URL (`--public-auth-url`).
    Url(String),
    /// This port of the host the page was loaded from (auth runs in the same process).
    Port(u16),
    /// Unknown: the page says so.
    Unknown,
}

/// The playground's routes: `/`, `/assets/app.js`, `/assets/app.css` and
/// `/playground/config.json`.
pub fn router(auth: AuthAt) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { file("text/html; charset=utf-8", INDEX) }),
        )
        .route(
            "/assets/app.js",
            get(|| async { file("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/assets/app.css",
            get(|| async { file("text/css; charset=utf-8", STYLE) }),
        )
        .route("/playground/config.json", get(config))
        .with_state(auth)
}

fn file(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // Fixed names: a new build of the binary must reach the browser at once.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PageConfig {
    /// `None` when this lobby does not know where auth is (started with the lobby role
    /// alone and no `--public-auth-url`).
    auth_url: Option<String>,
    lobby_url: String,
}

async fn config(State(auth): State<AuthAt>, headers: HeaderMap) -> Json<PageConfig> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    // Behind a TLS-terminating proxy the page is https: say so to every URL.
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|p| p.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    let auth_url = match auth {
        AuthAt::Url(url) => Some(url),
        AuthAt::Port(port) => Some(format!("{scheme}://{}:{port}", hostname(host))),
        AuthAt::Unknown => None,
    };
    Json(PageConfig {
        auth_url,
        lobby_url: format!("{scheme}://{host}"),
    })
}

/// `host` without its port: `[::1]:8081` → `[::1]`, `example.com:8081` → `example.com`.
fn hostname(host: &str) -> &str {
    match host.rfind(':') {
        Some(colon) if !host[colon..].contains(']') => &host[..colon],
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::hostname;

    #[test]
    fn a_host_header_loses_only_its_port() {
        assert_eq!(hostname("127.0.0.1:8081"), "127.0.0.1");
        assert_eq!(hostname("example.com"), "example.com");
        assert_eq!(hostname("[::1]:8081"), "[::1]");
        assert_eq!(hostname("[::1]"), "[::1]");
    }
}
