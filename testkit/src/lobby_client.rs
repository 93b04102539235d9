//! The tests' player of the real flow: an account registered with the auth service,
//! talking to a lobby over HTTP through the protocol's own [`Api`].

use moonlight_client::Api;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A logged-in player and the lobby they talk to.
#[derive(Clone)]
pub struct LobbyPlayer {
    pub id: String,
    pub name: String,
    pub token: String,
    /// The lobby's base URL (`http://127.0.0.1:port`); another lobby can be set at will.
    pub lobby: String,
    api: std::sync::Arc<Api>,
}

impl LobbyPlayer {
    /// Registers `name` with the auth service at `auth` and logs in.
    pub async fn register(auth: &str, lobby: &str, name: &str) -> Self {
        let api = Api::new(auth, &[lobby.to_owned()], None).expect("an HTTP client");
        let tokens = api
            .register(name, "correct horse battery")
            .await
            .unwrap_or_else(|error| panic!("registering {name}: {error}"));
        Self {
            id: tokens.player_id,
            name: name.to_owned(),
            token: tokens.access,
            lobby: lobby.to_owned(),
            api: std::sync::Arc::new(api),
        }
    }

    /// The same player, talking to the lobby at `lobby` (another process, or the same one
    /// after a restart).
    pub fn at(&self, lobby: &str) -> Self {
        Self {
            lobby: lobby.to_owned(),
            ..self.clone()
        }
    }

    /// The same player with another access token (after a new login, say).
    pub fn with_token(&self, token: &str) -> Self {
        Self {
            token: token.to_owned(),
            ..self.clone()
        }
    }

    /// One lobby request; the answer's status and JSON body (or its text as a string).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.lobby);
        self.api
            .request(method, &url, Some(&self.token), body)
            .await
            .unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// Joins the quick-match queue, which must accept (the answer may already carry a
    /// match, if a matchmaking round ran in between).
    pub async fn enqueue(&self, deck: &str) -> Value {
        let (status, body) = self.post("/v1/lobby/queue", json!({ "deck": deck })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert!(
            body["state"] == "queued" || body["state"] == "in_match",
            "{body}"
        );
        body
    }

    /// Long-polls until the lobby has a match for this player; returns its `match` part.
    pub async fn wait_for_match(&self) -> Value {
        let (status, body) = self.get("/v1/lobby/status?wait=20").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["state"], "in_match", "no match in time: {body}");
        body["match"].clone()
    }

    /// Games played so far, by the lobby's record.
    pub async fn games(&self) -> i64 {
        let (status, me) = self.get("/v1/lobby/me").await;
        assert_eq!(status, StatusCode::OK, "{me}");
        ["wins", "losses", "draws"]
            .iter()
            .map(|k| me[*k].as_i64().expect("a count"))
            .sum()
    }
}

/// `url?ticket=…` of a status's `match` part.
pub fn play_url(play: &Value) -> String {
    format!(
        "{}?ticket={}",
        play["url"].as_str().expect("a url"),
        play["ticket"].as_str().expect("a ticket")
    )
}

/// The two seats' play URLs of one match, in seat order.
pub fn seat_urls(a: &Value, b: &Value) -> [String; 2] {
    assert_eq!(a["room_id"], b["room_id"], "tickets to the same room");
    if a["seat"] == 0 {
        [play_url(a), play_url(b)]
    } else {
        [play_url(b), play_url(a)]
    }
}
