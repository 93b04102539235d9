//! What every Moonlight HTTP service shares: the JSON error body, and the standard routes and
//! layers wrapped around each service's own routes.

use std::{future::Future, pin::Pin, sync::Arc, time::Instant};

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    http::{HeaderName, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Serialize;
use tower::ServiceBuilder;
use tower_http::{
    cors::{Any, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::TraceLayer,
};
use utoipa::{
    Modify,
    openapi::{
        OpenApi,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use crate::{
    Database,
    telemetry::{metrics_handle, render_metrics},
};

/// Largest request body any REST endpoint accepts; larger ones get 413.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The body of every error answer: `{"error":{"code":"...","message":"..."}}`.
/// `code` is stable and meant for programs; `message` is for people.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

/// An error answer with the standard body.
pub fn error_response(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_owned(),
            message: message.into(),
        },
    };
    (status, Json(body)).into_response()
}

/// How long a client is asked to wait (`Retry-After`) when the database is unreachable.
pub const UNAVAILABLE_RETRY_SECS: u64 = 5;

/// 503 `unavailable` with `Retry-After`: the request met a database that cannot be reached
/// now (see [`crate::db::is_unavailable`]); nothing was done, and it may be sent again.
pub fn unavailable_response() -> Response {
    let mut response = error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the database cannot be reached right now; nothing was done, retry shortly",
    );
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from(UNAVAILABLE_RETRY_SECS),
    );
    response
}

/// Answers whether the service can do its job now (its dependencies answer).
pub type ReadinessCheck = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// Ready when `db` accepts writes (see [`Database::accepts_writes`]).
pub fn database_ready(db: Database) -> ReadinessCheck {
    Arc::new(move || {
        let db = db.clone();
        Box::pin(async move { db.accepts_writes().await })
    })
}

/// The `bearer` security scheme (an access token in `Authorization: Bearer`) that the
/// services' OpenAPI documents refer to.
pub struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApi) {
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

/// Wraps a service's routes with what every service has: `/openapi.json` (its document),
/// `/healthz` (the process is up), `/readyz` (it can do its job), `/metrics`
/// (Prometheus), JSON 404/405 answers, a request-body cap, per-route request counts and
/// latency histograms, request ids (an incoming `x-request-id` is kept, otherwise one
/// is made) carried into the access log, and CORS for any origin (see [`cors`]).
pub fn standard_service(
    service: &'static str,
    routes: Router,
    openapi: serde_json::Value,
    ready: ReadinessCheck,
) -> Router {
    // Install the recorder now: anything recorded before it exists is lost.
    metrics_handle();
    let openapi = Arc::new(openapi);
    let tracked = routes
        .route_layer(middleware::from_fn_with_state(service, track_metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    Router::new()
        .route(
            "/healthz",
            get(|| async { Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/readyz", get(move || readiness(ready.clone())))
        .route("/metrics", get(|| async { render_metrics() }))
        .route(
            "/openapi.json",
            get(move || {
                let openapi = Arc::clone(&openapi);
                async move { Json(openapi.as_ref().clone()) }
            }),
        )
        .merge(tracked)
        .fallback(|| async { error_response(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .method_not_allowed_fallback(|| async {
            error_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not accept that method",
            )
        })
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http().make_span_with(move |request: &Request| {
                        let request_id = request
                            .extensions()
                            .get::<RequestId>()
                            .and_then(|id| id.header_value().to_str().ok())
                            .unwrap_or("-");
                        tracing::info_span!(
                            "request",
                            service,
                            method = %request.method(),
                            uri = %request.uri().path(),
                            request_id,
                        )
                    }),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(cors()),
        )
}

/// Browsers may call every service from any page (the playground, a player's own client):
/// access tokens travel in `Authorization`, never in cookies, so no page gains anything by
/// being allowed that the same request without a browser would not have.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        .allow_headers([
            axum::http::header::AUTHORIZATION,
            axum::http::header::CONTENT_TYPE,
            axum::http::header::IF_NONE_MATCH,
            REQUEST_ID,
        ])
        .expose_headers([axum::http::header::ETAG, REQUEST_ID])
        .max_age(std::time::Duration::from_secs(600))
}

async fn readiness(ready: ReadinessCheck) -> Response {
    if ready().await {
        Json(serde_json::json!({"status": "ready"})).into_response()
    } else {
        error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "a dependency of this service is unavailable (its database does not accept writes?)",
        )
    }
}

async fn track_metrics(
    State(service): State<&'static str>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [
        ("service", service.to_owned()),
        ("method", method),
        ("route", route),
        ("status", status),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}
