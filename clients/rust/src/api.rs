//! The HTTP half: accounts at the auth service, and the lobby (queue, rooms, practice,
//! "where is my match?"). Every answer that is not a success comes back as an
//! [`ApiError`] whose [`kind`](ApiError::kind) names it (`lobby 409 busy`).

use std::{net::IpAddr, time::Duration};

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;

/// The longest long-poll the bots ask for; the lobby caps it at 30 s.
pub const LONG_POLL_SECS: u64 = 25;
/// Any other request gets this long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The service answered with an error (its status and stable error code).
    #[error("{service} answered {status} {code}")]
    Refused {
        service: &'static str,
        status: u16,
        code: String,
        retry_after: Option<Duration>,
    },
    /// No answer: refused connection, reset, timeout.
    #[error("{service} unreachable: {detail}")]
    Unreachable {
        service: &'static str,
        detail: String,
    },
    /// An answer this tool does not understand.
    #[error("{service} sent an unexpected answer: {detail}")]
    Unexpected {
        service: &'static str,
        detail: String,
    },
}

impl ApiError {
    /// A short, stable name for the error table (`lobby 409 busy`, `auth unreachable`).
    pub fn kind(&self) -> String {
        match self {
            Self::Refused {
                service,
                status,
                code,
                ..
            } => format!("{service} {status} {code}"),
            Self::Unreachable { service, .. } => format!("{service} unreachable"),
            Self::Unexpected { service, .. } => format!("{service} unexpected answer"),
        }
    }

    pub fn is(&self, status: u16, code: &str) -> bool {
        matches!(self, Self::Refused { status: s, code: c, .. } if *s == status && c == code)
    }

    /// How long the service asked us to wait, for 429 and 503 answers.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Refused { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// A signed-in player's tokens.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub player_id: String,
    /// When the access token stops working (with a minute to spare).
    pub refresh_at: Instant,
}

/// Where a player stands in the lobby.
#[derive(Debug, Clone)]
pub enum LobbyState {
    Idle,
    Queued { practice_offered: bool },
    InRoom { code: String },
    InMatch(MatchTicket),
}

/// How to reach a match: the node's socket URL and a room ticket.
#[derive(Debug, Clone)]
pub struct MatchTicket {
    pub room_id: String,
    pub node_id: String,
    pub url: String,
    pub ticket: String,
    /// When the lobby minted it (tickets live two minutes).
    pub issued: Instant,
}

impl MatchTicket {
    pub fn play_url(&self) -> String {
        format!("{}?ticket={}", self.url, self.ticket)
    }
}

/// One worker's HTTP client for the auth service and the lobbies.
pub struct Api {
    http: reqwest::Client,
    auth: String,
    lobbies: Vec<String>,
}

impl Api {
    /// Connections come from `source_ip` when set; idle keep-alive connections are few and
    /// short-lived, so thousands of bots playing do not hold thousands of lobby sockets.
    pub fn new(auth: &str, lobbies: &[String], source_ip: Option<IpAddr>) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .local_address(source_ip)
            .pool_max_idle_per_host(64)
            .pool_idle_timeout(Duration::from_secs(10))
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        anyhow::ensure!(!lobbies.is_empty(), "no lobby to talk to");
        Ok(Self {
            http,
            auth: auth.trim_end_matches('/').to_owned(),
            lobbies: lobbies
                .iter()
                .map(|l| l.trim_end_matches('/').to_owned())
                .collect(),
        })
    }

    /// Creates the account; `409 username_taken` if it exists.
    pub async fn register(&self, name: &str, password: &str) -> Result<Tokens, ApiError> {
        self.tokens("register", json!({"username": name, "password": password}))
            .await
    }

    pub async fn login(&self, name: &str, password: &str) -> Result<Tokens, ApiError> {
        self.tokens("login", json!({"username": name, "password": password}))
            .await
    }

    pub async fn refresh(&self, tokens: &Tokens) -> Result<Tokens, ApiError> {
        self.tokens("refresh", json!({"refresh_token": tokens.refresh}))
            .await
    }

    async fn tokens(&self, call: &str, body: Value) -> Result<Tokens, ApiError> {
        #[derive(Deserialize)]
        struct Answer {
            access_token: String,
            refresh_token: String,
            expires_in: u64,
            user_id: String,
        }
        let url = format!("{}/v1/auth/{call}", self.auth);
        let answer: Answer = self
            .call(
                "auth",
                Method::POST,
                &url,
                None,
                Some(body),
                REQUEST_TIMEOUT,
            )
            .await
            .and_then(|v| parse("auth", v))?;
        Ok(Tokens {
            access: answer.access_token,
            refresh: answer.refresh_token,
            player_id: answer.user_id,
            refresh_at: Instant::now() + Duration::from_secs(answer.expires_in.saturating_sub(60)),
        })
    }

    pub async fn enqueue(
        &self,
        lobby: usize,
        token: &str,
        deck: &str,
    ) -> Result<LobbyState, ApiError> {
        self.lobby(
            lobby,
            Method::POST,
            "queue",
            token,
            Some(json!({"deck": deck})),
        )
        .await
    }

    pub async fn cancel_queue(&self, lobby: usize, token: &str) -> Result<LobbyState, ApiError> {
        self.lobby(lobby, Method::DELETE, "queue", token, None)
            .await
    }

    /// The player's state; with `wait`, a long-poll that answers when it changes.
    pub async fn status(
        &self,
        lobby: usize,
        token: &str,
        wait: bool,
    ) -> Result<LobbyState, ApiError> {
        let path = if wait {
            format!("status?wait={LONG_POLL_SECS}")
        } else {
            "status".to_owned()
        };
        self.lobby(lobby, Method::GET, &path, token, None).await
    }

    /// The player's state after it could not reach `node_id`, its match's node: the lobby
    /// checks that node at once and, if it is gone, answers with a ticket to a live one.
    pub async fn status_unreachable(
        &self,
        lobby: usize,
        token: &str,
        node_id: &str,
    ) -> Result<LobbyState, ApiError> {
        let mut query = reqwest::Url::parse("http://query.invalid/").expect("a valid URL");
        query.query_pairs_mut().append_pair("unreachable", node_id);
        let path = format!("status?{}", query.query().unwrap_or_default());
        self.lobby(lobby, Method::GET, &path, token, None).await
    }

    pub async fn open_room(
        &self,
        lobby: usize,
        token: &str,
        deck: &str,
    ) -> Result<LobbyState, ApiError> {
        let body = json!({"deck": deck, "public": false});
        self.lobby(lobby, Method::POST, "rooms", token, Some(body))
            .await
    }

    pub async fn join_room(
        &self,
        lobby: usize,
        token: &str,
        code: &str,
        deck: &str,
    ) -> Result<LobbyState, ApiError> {
        let body = json!({"code": code, "deck": deck});
        self.lobby(lobby, Method::POST, "rooms/join", token, Some(body))
            .await
    }

    pub async fn leave_room(&self, lobby: usize, token: &str) -> Result<LobbyState, ApiError> {
        self.lobby(lobby, Method::DELETE, "rooms/current", token, None)
            .await
    }

    pub async fn practice(
        &self,
        lobby: usize,
        token: &str,
        deck: &str,
    ) -> Result<LobbyState, ApiError> {
        self.lobby(
            lobby,
            Method::POST,
            "practice",
            token,
            Some(json!({"deck": deck})),
        )
        .await
    }

    /// Whether the lobby has recorded the result of `match_id` (`GET /v1/lobby/matches/{id}`:
    /// 200, or 404 `unknown_match` while it has not).
    pub async fn match_recorded(
        &self,
        lobby: usize,
        token: &str,
        match_id: &str,
    ) -> Result<bool, ApiError> {
        let base = &self.lobbies[lobby % self.lobbies.len()];
        let url = format!("{base}/v1/lobby/matches/{match_id}");
        match self
            .call(
                "lobby",
                Method::GET,
                &url,
                Some(token),
                None,
                REQUEST_TIMEOUT,
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.is(404, "unknown_match") => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn lobby(
        &self,
        lobby: usize,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Result<LobbyState, ApiError> {
        let base = &self.lobbies[lobby % self.lobbies.len()];
        let url = format!("{base}/v1/lobby/{path}");
        let timeout = REQUEST_TIMEOUT + Duration::from_secs(LONG_POLL_SECS);
        let answer = self
            .call("lobby", method, &url, Some(token), body, timeout)
            .await?;
        lobby_state(&answer)
    }

    /// One request, whatever it answers: the status and the JSON body (or the body's text
    /// as a JSON string). For callers that look at refusals themselves (tests of bad
    /// input); everything else goes through the typed calls.
    pub async fn request(
        &self,
        method: Method,
        url: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<(StatusCode, Value), ApiError> {
        let answer = self
            .send("server", method, url, token, body, REQUEST_TIMEOUT)
            .await?;
        let body = serde_json::from_str(&answer.text).unwrap_or(Value::String(answer.text));
        Ok((answer.status, body))
    }

    async fn call(
        &self,
        service: &'static str,
        method: Method,
        url: &str,
        token: Option<&str>,
        body: Option<Value>,
        timeout: Duration,
    ) -> Result<Value, ApiError> {
        let Answer {
            status,
            retry_after,
            text,
        } = self
            .send(service, method, url, token, body, timeout)
            .await?;
        if status.is_success() {
            return serde_json::from_str(&text).or_else(|_| match status {
                StatusCode::NO_CONTENT => Ok(Value::Null),
                _ => Err(ApiError::Unexpected {
                    service,
                    detail: format!("{status} with a body that is not JSON"),
                }),
            });
        }
        let code = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "no_error_code".to_owned());
        Err(ApiError::Refused {
            service,
            status: status.as_u16(),
            code,
            retry_after,
        })
    }

    async fn send(
        &self,
        service: &'static str,
        method: Method,
        url: &str,
        token: Option<&str>,
        body: Option<Value>,
        timeout: Duration,
    ) -> Result<Answer, ApiError> {
        let mut request = self.http.request(method, url).timeout(timeout);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let unreachable = |error: reqwest::Error| ApiError::Unreachable {
            service,
            detail: error.without_url().to_string(),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .map(Duration::from_secs);
        let text = response.text().await.map_err(unreachable)?;
        Ok(Answer {
            status,
            retry_after,
            text,
        })
    }

    /// `GET <base>/healthz` answers, within `timeout`.
    pub async fn healthy(&self, base: &str, timeout: Duration) -> anyhow::Result<()> {
        let url = format!("{}/healthz", base.trim_end_matches('/'));
        let response = self
            .http
            .get(&url)
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.without_url()))?;
        anyhow::ensure!(
            response.status().is_success(),
            "{url} answered {}",
            response.status()
        );
        Ok(())
    }
}

/// An HTTP answer, read whole.
struct Answer {
    status: StatusCode,
    retry_after: Option<Duration>,
    text: String,
}

fn parse<T: serde::de::DeserializeOwned>(
    service: &'static str,
    value: Value,
) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::Unexpected {
        service,
        detail: e.to_string(),
    })
}

fn lobby_state(status: &Value) -> Result<LobbyState, ApiError> {
    let unexpected = |detail: &str| ApiError::Unexpected {
        service: "lobby",
        detail: format!("{detail}: {status}"),
    };
    let text = |v: &Value| v.as_str().map(str::to_owned);
    Ok(match status["state"].as_str() {
        Some("idle") => LobbyState::Idle,
        Some("queued") => LobbyState::Queued {
            practice_offered: status["queue"]["practice_offered"].as_bool() == Some(true),
        },
        Some("in_room") => LobbyState::InRoom {
            code: text(&status["room"]["code"])
                .ok_or_else(|| unexpected("a room without a code"))?,
        },
        Some("in_match") => {
            let play = &status["match"];
            let field = |name: &str| text(&play[name]).ok_or_else(|| unexpected(name));
            LobbyState::InMatch(MatchTicket {
                room_id: field("room_id")?,
                node_id: field("node_id")?,
                url: field("url")?,
                ticket: field("ticket")?,
                issued: Instant::now(),
            })
        }
        _ => return Err(unexpected("no state")),
    })
}
