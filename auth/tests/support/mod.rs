//! `spawn_app`: the real auth service on a port-0 socket with its own fresh database.

#![allow(dead_code)] // each test file uses a different part of this

use std::{net::SocketAddr, path::PathBuf};

use moonlight_auth::{AuthConfig, AuthService, TokenIssuer};
use moonlight_common::{CancellationToken, Database, serve::serve};
use moonlight_testkit::{DbKind, TestDatabase};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub db: Database,
    pub issuer: TokenIssuer,
    pub keys_dir: PathBuf,
    shutdown: CancellationToken,
    _database: TestDatabase,
    _keys: TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn spawn_app(kind: DbKind) -> TestApp {
    spawn_app_with(kind, |_| {}).await
}

pub async fn spawn_app_with(kind: DbKind, configure: impl FnOnce(&mut AuthConfig)) -> TestApp {
    moonlight_testkit::init_logs();
    let database = TestDatabase::new(kind).await;
    let db = Database::connect(&database.url)
        .await
        .expect("connecting to the test database");
    let keys = tempfile::tempdir().expect("creating a key directory");
    let mut config = AuthConfig {
        keys_dir: Some(keys.path().to_owned()),
        ..AuthConfig::default()
    };
    configure(&mut config);
    let service = AuthService::build(&config, db.clone())
        .await
        .expect("building auth");
    let issuer = service.issuer();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding");
    let addr = listener.local_addr().expect("local address");
    let shutdown = CancellationToken::new();
    tokio::spawn(serve(listener, service.into_router(), shutdown.clone()));
    TestApp {
        addr,
        client: reqwest::Client::new(),
        db,
        issuer,
        keys_dir: keys.path().to_owned(),
        shutdown,
        _database: database,
        _keys: keys,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("sending")
    }

    pub async fn register(&self, username: &str, password: &str) -> Response {
        self.post(
            "/v1/auth/register",
            json!({"username": username, "password": password}),
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post(
            "/v1/auth/login",
            json!({"username": username, "password": password}),
        )
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post("/v1/auth/refresh", json!({"refresh_token": refresh_token}))
            .await
    }

    pub async fn me(&self, access_token: &str) -> Response {
        self.client
            .get(self.url("/v1/auth/me"))
            .bearer_auth(access_token)
            .send()
            .await
            .expect("sending")
    }

    /// Registers `username` and returns the token response.
    pub async fn registered(&self, username: &str) -> Value {
        let response = self.register(username, "correct horse battery").await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("token JSON")
    }
}

/// Asserts the status and the standard error body's code; returns the body.
pub async fn assert_error(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    let body: Value = response.json().await.expect("an error body in JSON");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}
