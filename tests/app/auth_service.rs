//! What the auth service shares with every service: health, readiness, metrics, request
//! ids, and an OpenAPI document that matches its routes.

use crate::support::TestApp;
use moonlight_testkit::{DbKind, db_tests};
use reqwest::StatusCode;

db_tests!(
    openapi_document_matches_the_routes,
    health_ready_and_metrics,
    request_ids_are_kept_or_made
);

async fn openapi_document_matches_the_routes(kind: DbKind) {
    let app = TestApp::auth(kind, |_| {}).await;
    let doc = crate::support::openapi(&app.url("")).await;
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    operations.sort();
    assert_eq!(
        operations,
        [
            "GET /.well-known/jwks.json",
            "GET /v1/auth/me",
            "POST /v1/auth/login",
            "POST /v1/auth/logout",
            "POST /v1/auth/refresh",
            "POST /v1/auth/register",
        ]
    );
    // Every documented operation is routed (a missing route would answer 404 or 405).
    for operation in &operations {
        let (method, path) = operation.split_once(' ').unwrap();
        let request = app.client.request(method.parse().unwrap(), app.url(path));
        let request = if method == "POST" {
            request.json(&serde_json::json!({}))
        } else {
            request
        };
        let status = request.send().await.unwrap().status();
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{operation}: {status}"
        );
    }
    // The error body is described once and referenced.
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
}

async fn health_ready_and_metrics(kind: DbKind) {
    let app = TestApp::auth(kind, |_| {}).await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    app.login("Nobody", "whatever password").await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|line| line.starts_with("http_requests_total")
                && line.contains(r#"route="/v1/auth/login""#)
                && line.contains(r#"status="401""#)),
        "{metrics}"
    );
    assert!(
        metrics.contains("http_request_duration_seconds_bucket"),
        "{metrics}"
    );
}

async fn request_ids_are_kept_or_made(kind: DbKind) {
    let app = TestApp::auth(kind, |_| {}).await;
    let made = app.client.get(app.url("/healthz")).send().await.unwrap();
    let id = made.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let kept = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], "trace-me-42");
}
