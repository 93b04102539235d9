//! The operator's endpoints (`/v1/admin`) and `moonlight admin grant|revoke`: an admin
//! frees a stuck player and the audit log says so; everyone else is refused.

use std::{num::NonZeroU32, time::Duration};

use moonlight::{Roles, admin, config::AdminAction};
use moonlight_auth::{AccessExtra, RateLimit, Role, SigningKeys, TokenIssuer, TokenType};
use moonlight_common::time::unix_now;
use moonlight_testkit::{DbKind, db_tests, lobby_client::LobbyPlayer};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use moonlight_proto::v1::{self as pb, server_frame::Body};
use moonlight_rooms::command::{self, CommandExtra, Ending, Order};
use moonlight_testkit::game_client::Client;

use crate::support::{
    StoreKind, TestApp as Stack, assert_error, content_dir, fast_lobby, play_url, spawn_app,
};

db_tests!(
    an_admin_frees_a_queued_player_and_the_audit_log_shows_it,
    a_locked_account_cannot_log_in_or_refresh_until_unlocked,
    admin_endpoints_are_rate_limited,
    an_admin_ends_a_stuck_match_and_its_players_can_queue_again,
    admin_endpoints_refuse_everyone_else_and_bad_input,
    a_node_takes_commands_only_from_a_lobby,
    the_rating_spread_counts_players_per_bucket,
    locking_a_player_in_a_match_closes_their_socket_and_keeps_them_out,
);

async fn cli(stack: &Stack, action: AdminAction, name: &str) -> anyhow::Result<String> {
    admin::run(action, name, stack.database_url()).await
}

/// `player` logged in again: a token that names the roles it holds now.
async fn logged_in_again(stack: &Stack, player: &LobbyPlayer) -> LobbyPlayer {
    let response = stack.login(&player.name, "correct horse battery").await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.expect("tokens");
    player.with_token(tokens["access_token"].as_str().expect("an access token"))
}

async fn an_admin_frees_a_queued_player_and_the_audit_log_shows_it(kind: DbKind) {
    let stack = Stack::stack(kind, |_| {}, |_| {}).await;
    let root = stack.player("root").await;
    let luna = stack.player("luna").await;
    luna.enqueue("dusk_starter").await;

    let said = cli(&stack, AdminAction::Grant, "ROOT")
        .await
        .expect("granted");
    assert!(said.contains("is now an admin"), "{said}");
    let said = cli(&stack, AdminAction::Grant, "root")
        .await
        .expect("granted again");
    assert!(said.contains("was an admin already"), "{said}");
    let error = cli(&stack, AdminAction::Grant, "nobody")
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("no account named `nobody`"), "{error}");

    // The token from before the grant names no role.
    let (status, body) = root.get("/v1/admin/players?q=lu").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::FORBIDDEN, &json!("forbidden"))
    );
    let admin = logged_in_again(&stack, &root).await;

    let (status, found) = admin.get("/v1/admin/players?q=LU").await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let players = found["players"].as_array().expect("players");
    assert_eq!(players.len(), 1, "{found}");
    assert_eq!(players[0]["id"], json!(luna.id));
    assert_eq!(players[0]["state"], "queued");
    let (_, by_id) = admin.get(&format!("/v1/admin/players?q={}", luna.id)).await;
    assert_eq!(by_id["players"][0]["name"], "luna");
    // LIKE's wildcards are plain characters in a search.
    let (_, wild) = admin.get("/v1/admin/players?q=%25").await;
    assert_eq!(wild["players"], json!([]));

    let free = format!("/v1/admin/players/{}/free", luna.id);
    let (status, freed) = admin
        .post(&free, json!({"reason": "stuck in the queue"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{freed}");
    assert_eq!(freed["was"], "queued");
    let (_, status) = luna.get("/v1/lobby/status").await;
    assert_eq!(status["state"], "idle", "{status}");
    luna.enqueue("dusk_starter").await;
    let (status, again) = luna.delete("/v1/lobby/queue").await;
    assert_eq!(status, StatusCode::OK, "{again}");
    let (status, body) = admin.post(&free, json!({"reason": "again"})).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::NOT_FOUND, &json!("not_queued"))
    );
    // A host waiting in a private room is freed too: the room closes.
    let (status, opened) = luna
        .post("/v1/lobby/rooms", json!({"deck": "dusk_starter"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let (status, freed) = admin.post(&free, json!({"reason": "room left open"})).await;
    assert_eq!(
        (status, &freed["was"]),
        (StatusCode::OK, &json!("in_room")),
        "{freed}"
    );
    let (_, status) = luna.get("/v1/lobby/status").await;
    assert_eq!(status["state"], "idle", "{status}");

    let (status, audit) = admin.get("/v1/admin/audit").await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let entries = audit["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 3, "one grant, two frees: {audit}");
    assert_eq!(entries[0]["detail"]["was"], "in_room");
    let entries = &entries[1..];
    assert_eq!(entries[0]["action"], "free_player");
    assert_eq!(entries[0]["actor_id"], json!(root.id));
    assert_eq!(entries[0]["actor_name"], "root");
    assert_eq!(entries[0]["target"], json!(luna.id));
    assert_eq!(entries[0]["detail"]["was"], "queued");
    assert_eq!(entries[0]["detail"]["reason"], "stuck in the queue");
    assert_eq!(entries[1]["action"], "grant_role");
    assert_eq!(entries[1]["actor_id"], "cli");
    assert_eq!(entries[1]["target"], json!(root.id));

    // A revoke acts at once, whatever the token still says.
    let said = cli(&stack, AdminAction::Revoke, "root")
        .await
        .expect("revoked");
    assert!(said.contains("is no longer an admin"), "{said}");
    let (status, _) = admin.get("/v1/admin/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// Every admin operation, as (method, path, body).
fn operations(player_id: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, "/v1/admin/audit".to_owned(), None),
        (Method::GET, "/v1/admin/overview".to_owned(), None),
        (Method::GET, "/v1/admin/matches".to_owned(), None),
        (Method::GET, "/v1/admin/players?q=a".to_owned(), None),
        (
            Method::POST,
            format!("/v1/admin/players/{player_id}/free"),
            Some(json!({"reason": "x"})),
        ),
        (
            Method::POST,
            format!("/v1/admin/players/{player_id}/lock"),
            Some(json!({"reason": "x"})),
        ),
        (
            Method::POST,
            format!("/v1/admin/players/{player_id}/unlock"),
            Some(json!({"reason": "x"})),
        ),
        (
            Method::POST,
            format!("/v1/admin/players/{player_id}/revoke-sessions"),
            Some(json!({"reason": "x"})),
        ),
        (
            Method::POST,
            "/v1/admin/matches/m/end".to_owned(),
            Some(json!({"reason": "x"})),
        ),
        (Method::GET, format!("/v1/admin/players/{player_id}"), None),
        (
            Method::POST,
            "/v1/admin/matches/m/watch".to_owned(),
            Some(json!({"full_view": true, "reason": "x"})),
        ),
        (Method::GET, "/v1/admin/content".to_owned(), None),
        (
            Method::POST,
            "/v1/admin/content/reload".to_owned(),
            Some(json!({"reason": "x"})),
        ),
        (Method::GET, "/v1/admin/ratings".to_owned(), None),
        (Method::GET, "/v1/admin/matches/m/replay".to_owned(), None),
    ]
}

async fn admin_endpoints_refuse_everyone_else_and_bad_input(kind: DbKind) {
    let stack = Stack::stack(kind, |_| {}, |_| {}).await;
    let root = stack.player("root").await;
    let luna = stack.player("luna").await;
    luna.enqueue("dusk_starter").await;
    let signed = |issuer: &TokenIssuer, now: i64, ttl: u64| {
        let extra = AccessExtra {
            name: "root".to_owned(),
            roles: vec![Role::Admin],
        };
        let ttl = Duration::from_secs(ttl);
        issuer
            .issue(&root.id, TokenType::Access, now, ttl, extra)
            .expect("a token")
    };
    let stranger = TokenIssuer::new(SigningKeys::ephemeral().expect("a key"));
    // The role claim, signed by the real key, for an account that does not hold the role.
    let claimed = root.with_token(&signed(&stack.issuer, unix_now(), 600));
    let refusals = [
        (
            root.with_token(""),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        (
            root.with_token("not.a.jwt"),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        (root.clone(), StatusCode::FORBIDDEN, "forbidden"),
        (
            root.with_token(&signed(&stranger, unix_now(), 600)),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        (
            root.with_token(&signed(&stack.issuer, unix_now() - 3600, 60)),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        (claimed, StatusCode::FORBIDDEN, "forbidden"),
    ];
    for (caller, status, code) in &refusals {
        for (method, path, body) in operations(&luna.id) {
            let (got, answer) = caller.call(method, &path, body).await;
            assert_eq!(
                (got, &answer["error"]["code"]),
                (*status, &json!(code)),
                "{path}"
            );
        }
    }
    let (_, still) = luna.get("/v1/lobby/status").await;
    assert_eq!(still["state"], "queued", "nothing changed: {still}");

    cli(&stack, AdminAction::Grant, "root")
        .await
        .expect("granted");
    let admin = logged_in_again(&stack, &root).await;
    let free = format!("/v1/admin/players/{}/free", luna.id);
    for (method, path, body, status, code) in [
        (
            Method::GET,
            "/v1/admin/audit?limit=0".to_owned(),
            None,
            400,
            "bad_request",
        ),
        (
            Method::GET,
            "/v1/admin/matches?limit=201".to_owned(),
            None,
            400,
            "bad_request",
        ),
        (
            Method::GET,
            "/v1/admin/audit?limit=x".to_owned(),
            None,
            400,
            "bad_request",
        ),
        (
            Method::GET,
            "/v1/admin/players".to_owned(),
            None,
            400,
            "bad_request",
        ),
        (
            Method::GET,
            "/v1/admin/players?q=%20".to_owned(),
            None,
            400,
            "bad_request",
        ),
        (
            Method::GET,
            format!("/v1/admin/players?q={}", "a".repeat(65)),
            None,
            400,
            "bad_request",
        ),
        (
            Method::POST,
            free.clone(),
            Some(json!({})),
            422,
            "invalid_body",
        ),
        (
            Method::POST,
            free.clone(),
            Some(json!({"reason": " "})),
            422,
            "invalid_body",
        ),
        (
            Method::POST,
            free.clone(),
            Some(json!({"reason": "x".repeat(501)})),
            422,
            "invalid_body",
        ),
        (
            Method::POST,
            free.clone(),
            Some(json!({"reason": "x", "also": 1})),
            422,
            "invalid_body",
        ),
        (
            Method::POST,
            "/v1/admin/players/nobody/free".to_owned(),
            Some(json!({"reason": "x"})),
            404,
            "not_queued",
        ),
        (
            Method::GET,
            "/v1/admin/players/nobody".to_owned(),
            None,
            404,
            "unknown_player",
        ),
        (
            Method::POST,
            "/v1/admin/matches/nowhere/watch".to_owned(),
            Some(json!({})),
            404,
            "unknown_match",
        ),
        (
            Method::POST,
            "/v1/admin/matches/nowhere/watch".to_owned(),
            Some(json!({"full_view": true})),
            422,
            "invalid_body",
        ),
        (
            Method::POST,
            "/v1/admin/matches/nowhere/watch".to_owned(),
            Some(json!({"full_view": "yes", "reason": "x"})),
            422,
            "invalid_body",
        ),
        (
            Method::POST,
            "/v1/admin/content/reload".to_owned(),
            Some(json!({"reason": ""})),
            422,
            "invalid_body",
        ),
    ] {
        let (got, answer) = admin.call(method, &path, body).await;
        assert_eq!(
            (got.as_u16(), &answer["error"]["code"]),
            (status, &json!(code)),
            "{path}"
        );
    }
    let (_, still) = luna.get("/v1/lobby/status").await;
    assert_eq!(still["state"], "queued", "nothing changed: {still}");
    let (_, audit) = admin.get("/v1/admin/audit").await;
    assert_eq!(
        audit["entries"].as_array().map(Vec::len),
        Some(1),
        "the grant only: {audit}"
    );
}

/// A script with an admin's token is slowed down, with a time to come back; the rate is
/// each admin's own.
async fn admin_endpoints_are_rate_limited(kind: DbKind) {
    let stack = Stack::stack(
        kind,
        |lobby| {
            lobby.admin_rate_limit = RateLimit {
                per_minute: NonZeroU32::new(1).expect("non-zero"),
                burst: NonZeroU32::new(3).expect("non-zero"),
            }
        },
        |_| {},
    )
    .await;
    let root = stack.player("root").await;
    let other = stack.player("other").await;
    for name in ["root", "other"] {
        cli(&stack, AdminAction::Grant, name)
            .await
            .expect("granted");
    }
    let (root, other) = (
        logged_in_again(&stack, &root).await,
        logged_in_again(&stack, &other).await,
    );
    for _ in 0..3 {
        let (status, _) = root.get("/v1/admin/audit").await;
        assert_eq!(status, StatusCode::OK);
    }
    let limited = stack
        .client
        .get(format!("{}/v1/admin/audit", stack.lobby_url()))
        .bearer_auth(&root.token)
        .send()
        .await
        .expect("sending");
    assert!(limited.headers().contains_key("retry-after"));
    assert_error(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    let (status, _) = other.get("/v1/admin/audit").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "another admin has a rate of their own"
    );
    // Players' own routes are not counted.
    let (status, _) = root.get("/v1/lobby/status").await;
    assert_eq!(status, StatusCode::OK);
}

/// Frames until the game's end, whose outcome is returned.
async fn game_over(client: &mut Client) -> pb::Outcome {
    loop {
        match client
            .next()
            .await
            .expect("the socket open until the game's end")
        {
            Body::GameOver(over) => return over.outcome.expect("an outcome"),
            _ => continue,
        }
    }
}

async fn an_admin_ends_a_stuck_match_and_its_players_can_queue_again(kind: DbKind) {
    let stack = Stack::stack(kind, fast_lobby, |_| {}).await;
    let root = stack.player("root").await;
    cli(&stack, AdminAction::Grant, "root")
        .await
        .expect("granted");
    let admin = logged_in_again(&stack, &root).await;

    // Luna is in a match whose opponent never comes.
    let (luna, sol, plays) = stack.private_match("luna", "sol").await;
    let match_id = plays[0]["room_id"].as_str().expect("a match").to_owned();
    let mut client = Client::connect(&play_url(&plays[0])).await;
    client.hello().await;
    client.welcome().await;
    let (_, found) = admin.get("/v1/admin/players?q=luna").await;
    assert_eq!(found["players"][0]["state"], "in_match", "{found}");
    assert_eq!(found["players"][0]["match_id"], json!(match_id));
    assert_eq!(found["players"][0]["node_id"], plays[0]["node_id"]);

    // The console sees it: private matches too, with their node.
    let (status, live) = admin.get("/v1/admin/matches").await;
    assert_eq!(status, StatusCode::OK, "{live}");
    assert_eq!(live["matches"][0]["match_id"], json!(match_id), "{live}");
    assert_eq!(live["matches"][0]["kind"], "private");
    assert_eq!(live["matches"][0]["players"], json!(["luna", "sol"]));
    assert_eq!(live["matches"][0]["node_id"], plays[0]["node_id"]);
    // Its node says where it stands: the opening hands, no input yet.
    assert_eq!(live["matches"][0]["turn"], 0, "{live}");
    assert_eq!(live["matches"][0]["last_input_ms"], Value::Null, "{live}");
    let (_, public) = luna.get("/v1/lobby/live").await;
    assert_eq!(
        public["matches"],
        json!([]),
        "a private match is not listed to players"
    );
    let (status, now) = admin.get("/v1/admin/overview").await;
    assert_eq!(status, StatusCode::OK, "{now}");
    assert_eq!(now["nodes"][0]["id"], plays[0]["node_id"], "{now}");
    assert_eq!(now["matches"]["live"], 1, "{now}");
    assert_eq!(now["queue"]["players"], 0, "{now}");

    let end = format!("/v1/admin/matches/{match_id}/end");
    let (status, body) = admin
        .post(&end, json!({"reason": "x", "winner_seat": 2}))
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("invalid_body"))
    );
    let (status, ended) = admin
        .post(&end, json!({"reason": "the opponent vanished"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{ended}");
    assert_eq!(ended["node_id"], plays[0]["node_id"]);
    let outcome = game_over(&mut client).await;
    assert_eq!(
        (outcome.winners.len(), outcome.reason.as_str()),
        (0, "no_contest")
    );

    stack.results_recorded(1).await;
    assert_eq!(stack.settle().await, 1);
    for player in [&luna, &sol] {
        let (_, status) = player.get("/v1/lobby/status").await;
        assert_eq!(status["state"], "idle", "{status}");
    }
    luna.enqueue("dusk_starter").await;
    let (_, now) = admin.get("/v1/admin/overview").await;
    assert_eq!(
        (
            &now["matches"]["live"],
            &now["matches"]["finished_last_minute"],
            &now["queue"]["players"]
        ),
        (&json!(0), &json!(1), &json!(1)),
        "{now}"
    );
    let (_, record) = luna.get(&format!("/v1/lobby/matches/{match_id}")).await;
    assert_eq!(record["reason"], "no_contest", "{record}");
    let (status, body) = admin.post(&end, json!({"reason": "again"})).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::GONE, &json!("match_over"))
    );
    let (status, body) = admin
        .post("/v1/admin/matches/nowhere/end", json!({"reason": "x"}))
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::NOT_FOUND, &json!("unknown_match"))
    );

    // Or the win goes to one seat: nobody connected, the node opens the room to end it.
    let (_, vega, plays) = stack.private_match("orion", "vega").await;
    let awarded = plays[1]["room_id"].as_str().expect("a match").to_owned();
    let (status, ended) = admin
        .post(
            &format!("/v1/admin/matches/{awarded}/end"),
            json!({"reason": "orion cheated", "winner_seat": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ended}");
    stack.results_recorded(2).await;
    assert_eq!(stack.settle().await, 1);
    let (_, record) = vega.get(&format!("/v1/lobby/matches/{awarded}")).await;
    let vega_seat = record["players"]
        .as_array()
        .and_then(|players| players.iter().find(|p| p["player_id"] == json!(vega.id)))
        .expect("vega in the record");
    assert_eq!(vega_seat["result"], "win", "{record}");

    let (_, audit) = admin.get("/v1/admin/audit").await;
    assert_eq!(audit["entries"][0]["action"], "end_match");
    assert_eq!(audit["entries"][0]["target"], json!(awarded));
    assert_eq!(audit["entries"][0]["detail"]["winner_seat"], 1);
    assert_eq!(audit["entries"][1]["action"], "end_match");
    assert_eq!(
        audit["entries"][1]["detail"]["reason"],
        "the opponent vanished"
    );
}

async fn a_locked_account_cannot_log_in_or_refresh_until_unlocked(kind: DbKind) {
    let stack = Stack::stack(kind, |_| {}, |_| {}).await;
    let root = stack.player("root").await;
    cli(&stack, AdminAction::Grant, "root")
        .await
        .expect("granted");
    let admin = logged_in_again(&stack, &root).await;
    let first = stack.registered("luna").await;
    let luna = first["user_id"].as_str().expect("an id").to_owned();
    let refresh_token = |tokens: &Value| {
        tokens["refresh_token"]
            .as_str()
            .expect("a token")
            .to_owned()
    };
    let second: Value = stack
        .login("luna", "correct horse battery")
        .await
        .json()
        .await
        .expect("tokens");

    let (status, locked) = admin
        .post(
            &format!("/v1/admin/players/{luna}/lock"),
            json!({"reason": "cheating"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{locked}");
    assert_eq!(
        locked,
        json!({"changed": true, "sessions_revoked": 2, "sockets_closed": 0})
    );
    assert_error(
        stack.login("luna", "correct horse battery").await,
        StatusCode::FORBIDDEN,
        "account_locked",
    )
    .await;
    // Only the right password learns that the account is locked.
    assert_error(
        stack.login("luna", "wrong password!").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    for tokens in [&first, &second] {
        let refused = stack.refresh(&refresh_token(tokens)).await;
        assert_error(refused, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
    }
    let (_, again) = admin
        .post(
            &format!("/v1/admin/players/{luna}/lock"),
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!(
        again,
        json!({"changed": false, "sessions_revoked": 0, "sockets_closed": 0})
    );

    let (status, unlocked) = admin
        .post(
            &format!("/v1/admin/players/{luna}/unlock"),
            json!({"reason": "appeal upheld"}),
        )
        .await;
    assert_eq!(
        (status, unlocked["changed"].clone()),
        (StatusCode::OK, json!(true))
    );
    let back = stack.login("luna", "correct horse battery").await;
    assert_eq!(back.status(), StatusCode::OK);
    let back: Value = back.json().await.expect("tokens");

    let (status, revoked) = admin
        .post(
            &format!("/v1/admin/players/{luna}/revoke-sessions"),
            json!({"reason": "lost phone"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(
        revoked,
        json!({"changed": true, "sessions_revoked": 1, "sockets_closed": 0})
    );
    let refused = stack.refresh(&refresh_token(&back)).await;
    assert_error(refused, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
    let (status, body) = admin
        .post("/v1/admin/players/nobody/lock", json!({"reason": "x"}))
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::NOT_FOUND, &json!("unknown_player"))
    );

    let (_, audit) = admin.get("/v1/admin/audit").await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["revoke_sessions", "unlock", "lock", "grant_role"]);
    assert_eq!(
        audit["entries"][2]["detail"],
        json!({"reason": "cheating", "sessions_revoked": 2, "sockets_closed": 0})
    );
}

/// A node takes a command only from a lobby: signed with the auth keys, of the command
/// type, unexpired, for this node and the room its path names. Anything else changes
/// nothing.
async fn a_node_takes_commands_only_from_a_lobby(kind: DbKind) {
    let stack = Stack::stack(kind, |_| {}, |_| {}).await;
    let (luna, _, plays) = stack.private_match("luna", "sol").await;
    let room = plays[0]["room_id"].as_str().expect("a match").to_owned();
    let node = stack.game().config().node_id.clone();
    let url = |room: &str| format!("http://{}/v1/node/rooms/{room}/end", stack.game_addr());
    let command = |issuer: &TokenIssuer, node: &str, room: &str, end: Ending, now: i64| {
        let extra = CommandExtra {
            node: node.to_owned(),
            room: room.to_owned(),
            order: Order::End(end),
        };
        command::mint(issuer, "an-admin", extra, now).expect("a command")
    };
    let post = |url: String, token: Option<String>| {
        let request = stack.client.post(url);
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        async move { request.send().await.expect("sending") }
    };
    let stranger = TokenIssuer::new(SigningKeys::ephemeral().expect("a key"));
    let now = unix_now();
    let access = stack
        .issuer
        .issue(
            &luna.id,
            TokenType::Access,
            now,
            Duration::from_secs(600),
            AccessExtra::player("luna"),
        )
        .expect("a token");
    let no_contest = Ending::NoContest;
    let refused = [
        (None, StatusCode::UNAUTHORIZED, "invalid_command"),
        (
            Some("garbage".to_owned()),
            StatusCode::UNAUTHORIZED,
            "invalid_command",
        ),
        (
            Some("x".repeat(4000)),
            StatusCode::UNAUTHORIZED,
            "invalid_command",
        ),
        (Some(access), StatusCode::UNAUTHORIZED, "invalid_command"),
        (
            Some(stack.ticket(&room, &luna.id, Some(0))),
            StatusCode::UNAUTHORIZED,
            "invalid_command",
        ),
        (
            Some(command(&stranger, &node, &room, no_contest, now)),
            StatusCode::UNAUTHORIZED,
            "invalid_command",
        ),
        (
            Some(command(&stack.issuer, &node, &room, no_contest, now - 3600)),
            StatusCode::UNAUTHORIZED,
            "invalid_command",
        ),
        (
            Some(command(
                &stack.issuer,
                "another-node",
                &room,
                no_contest,
                now,
            )),
            StatusCode::FORBIDDEN,
            "wrong_node",
        ),
        (
            Some(command(
                &stack.issuer,
                &node,
                "another-room",
                no_contest,
                now,
            )),
            StatusCode::FORBIDDEN,
            "wrong_node",
        ),
        (
            Some(command(
                &stack.issuer,
                &node,
                &room,
                Ending::Win { seat: 9 },
                now,
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_such_seat",
        ),
    ];
    for (token, status, code) in refused {
        assert_error(post(url(&room), token).await, status, code).await;
    }
    // A glance is read only, for this node, with a glance's token only.
    let glance_url = format!("http://{}/v1/node/glance", stack.game_addr());
    let glance = |extra: CommandExtra| {
        let token = command::mint(&stack.issuer, "an-admin", extra, now).expect("a command");
        stack
            .client
            .post(&glance_url)
            .bearer_auth(token)
            .json(&json!({"rooms": [room, "nowhere"]}))
            .send()
    };
    let looking = |node: &str, order: Order| CommandExtra {
        node: node.to_owned(),
        room: command::ANY_ROOM.to_owned(),
        order,
    };
    let seen = glance(looking(&node, Order::Glance)).await.expect("sent");
    assert_eq!(seen.status(), StatusCode::OK);
    let seen: Value = seen.json().await.expect("json");
    assert_eq!(
        seen,
        json!({"rooms": [{"room_id": room, "turn": 0, "last_input_ms": null}]})
    );
    // A body that is not a list of at most 200 room ids: refused, with the right token.
    let glance_token = || {
        command::mint(
            &stack.issuer,
            "an-admin",
            looking(&node, Order::Glance),
            now,
        )
        .expect("a command")
    };
    let too_many: Vec<String> = (0..201).map(|i| format!("room-{i}")).collect();
    for body in [
        json!({"rooms": too_many}),
        json!({"rooms": "all"}),
        json!({"rooms": [1, 2]}),
        json!({"rooms": [], "also": true}),
        json!([]),
    ] {
        let answer = stack
            .client
            .post(&glance_url)
            .bearer_auth(glance_token())
            .json(&body)
            .send()
            .await
            .expect("sent");
        assert_error(answer, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    let garbage = stack
        .client
        .post(&glance_url)
        .bearer_auth(glance_token())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    assert_error(garbage, StatusCode::BAD_REQUEST, "bad_request").await;
    let not_a_glance = glance(looking(&node, Order::End(Ending::NoContest)));
    assert_error(
        not_a_glance.await.expect("sent"),
        StatusCode::UNAUTHORIZED,
        "invalid_command",
    )
    .await;
    let elsewhere = glance(looking("another-node", Order::Glance));
    assert_error(
        elsewhere.await.expect("sent"),
        StatusCode::FORBIDDEN,
        "wrong_node",
    )
    .await;

    // A token for another order, for this node and room, is not an end.
    let disconnect = CommandExtra {
        node: node.clone(),
        room: room.clone(),
        order: Order::Disconnect {
            player: luna.id.clone(),
        },
    };
    let disconnect = command::mint(&stack.issuer, "an-admin", disconnect, now).expect("a command");
    assert_error(
        post(url(&room), Some(disconnect)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_command",
    )
    .await;
    let nowhere = command(&stack.issuer, &node, "nowhere", no_contest, now);
    assert_error(
        post(url("nowhere"), Some(nowhere)).await,
        StatusCode::NOT_FOUND,
        "unknown_room",
    )
    .await;
    let (_, status) = luna.get("/v1/lobby/status").await;
    assert_eq!(status["state"], "in_match", "nothing changed: {status}");

    let valid = command(&stack.issuer, &node, &room, no_contest, now);
    let ended = post(url(&room), Some(valid.clone())).await;
    assert_eq!(ended.status(), StatusCode::OK);
    assert_error(
        post(url(&room), Some(valid)).await,
        StatusCode::CONFLICT,
        "match_over",
    )
    .await;
}

/// The histogram's buckets are 50 points of a rating rounded to whole points, the same on
/// both databases (PostgreSQL's cast rounds, SQLite's truncates); only established ratings
/// count as such.
async fn the_rating_spread_counts_players_per_bucket(kind: DbKind) {
    let stack = Stack::stack(kind, |_| {}, |_| {}).await;
    let root = stack.player("root").await;
    cli(&stack, AdminAction::Grant, "root")
        .await
        .expect("granted");
    let admin = logged_in_again(&stack, &root).await;
    let (status, empty) = admin.get("/v1/admin/ratings").await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(empty, json!({"bucket_width": 50, "buckets": []}));

    // (rating, deviation): 1549.6 rounds into 1550's bucket, 1449.4 stays in 1400's.
    let rated = [
        (1449.4, 60.0),
        (1450.0, 300.0),
        (1500.0, 350.0),
        (1549.6, 80.0),
        (1551.0, 110.0),
    ];
    for (i, (rating, deviation)) in rated.into_iter().enumerate() {
        let player = stack.player(&format!("rated{i}")).await;
        sqlx::query(
            "INSERT INTO ratings (player_id, rating, deviation, volatility, wins, losses, \
             draws, updated_at) VALUES ($1, $2, $3, 0.06, 0, 0, 0, 0)",
        )
        .bind(&player.id)
        .bind(rating)
        .bind(deviation)
        .execute(stack.db.pool())
        .await
        .expect("a rating");
    }
    let (_, spread) = admin.get("/v1/admin/ratings").await;
    assert_eq!(
        spread["buckets"],
        json!([
            {"from": 1400, "players": 1, "established": 1},
            {"from": 1450, "players": 1, "established": 0},
            {"from": 1500, "players": 1, "established": 0},
            {"from": 1550, "players": 2, "established": 2},
        ]),
        "{spread}"
    );
}

/// The console's content page: the checker on the files as they are now, and a reload
/// that takes a valid edit, refuses a broken one with its located messages (the version
/// stays), and is audited each time.
#[tokio::test]
async fn an_admin_checks_the_content_on_disk_and_reloads_it() {
    let content = tempfile::tempdir().expect("a directory");
    moonlight_testkit::copy_dir(&content_dir(), content.path());
    let dir = content.path().to_owned();
    let stack = spawn_app(StoreKind::Embedded(DbKind::Sqlite), Roles::ALL, |config| {
        config.shared.content_dir = dir;
    })
    .await;
    let root = stack.player("root").await;
    cli(&stack, AdminAction::Grant, "root")
        .await
        .expect("granted");
    let admin = logged_in_again(&stack, &root).await;
    let first = stack.game().content().current().version().to_owned();
    let (status, now) = admin.get("/v1/admin/content").await;
    assert_eq!(status, StatusCode::OK, "{now}");
    assert_eq!(now["loaded"], first.as_str());
    assert_eq!(now["on_disk"]["ok"], true, "{now}");
    assert_eq!(now["live"], json!({}), "no rooms yet");

    let reload = |reason: &str| admin.post("/v1/admin/content/reload", json!({"reason": reason}));
    let rules = content.path().join("rules.toml");
    let good = std::fs::read_to_string(&rules).expect("rules.toml");
    std::fs::write(&rules, "[rules]\nhero_health = \"lots\"\n").expect("written");
    let (_, broken) = admin.get("/v1/admin/content").await;
    assert_eq!(broken["on_disk"]["ok"], false, "{broken}");
    assert_eq!(broken["loaded"], first.as_str(), "checking loads nothing");
    let (status, refused) = reload("try the broken edit").await;
    assert_eq!(status, StatusCode::OK, "{refused}");
    assert_eq!(refused["outcome"], "refused", "{refused}");
    assert_eq!(refused["version"], first.as_str());
    let error = &refused["check"]["errors"][0];
    assert_eq!(
        (&error["file"], &error["line"]),
        (&json!("rules.toml"), &json!(2)),
        "{error}"
    );

    std::fs::write(&rules, good.replace("hero_health = 30", "hero_health = 25")).expect("written");
    let (_, reloaded) = reload("a balance change").await;
    assert_eq!(reloaded["outcome"], "reloaded", "{reloaded}");
    let second = stack.game().content().current().version().to_owned();
    assert_ne!(second, first);
    assert_eq!(reloaded["version"], second.as_str());
    let (_, unchanged) = reload("again").await;
    assert_eq!(unchanged["outcome"], "unchanged", "{unchanged}");

    let (_, audit) = admin.get("/v1/admin/audit").await;
    let outcomes: Vec<&Value> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "reload_content")
        .map(|e| &e["detail"]["outcome"])
        .collect();
    assert_eq!(
        outcomes,
        [&json!("unchanged"), &json!("reloaded"), &json!("refused")]
    );
}

/// A lock reaches a player in a match: the node closes their socket with 4004 (a client
/// does not reconnect), and the lobby gives their still-valid access token no new ticket.
async fn locking_a_player_in_a_match_closes_their_socket_and_keeps_them_out(kind: DbKind) {
    let stack = Stack::stack(kind, |_| {}, |_| {}).await;
    let root = stack.player("root").await;
    cli(&stack, AdminAction::Grant, "root")
        .await
        .expect("granted");
    let admin = logged_in_again(&stack, &root).await;
    let (luna, _sol, plays) = stack.private_match("luna", "sol").await;
    let mut client = Client::connect(&play_url(&plays[0])).await;
    client.hello().await;
    client.welcome().await;

    let (status, locked) = admin
        .post(
            &format!("/v1/admin/players/{}/lock", luna.id),
            json!({"reason": "cheating in this match"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{locked}");
    assert_eq!(locked["sockets_closed"], 1, "{locked}");
    assert_eq!(client.close_code().await, Some(4004));

    let (status, refused) = luna.get("/v1/lobby/status").await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (StatusCode::FORBIDDEN, &json!("account_locked")),
        "{refused}"
    );
    let (_, audit) = admin.get("/v1/admin/audit").await;
    assert_eq!(audit["entries"][0]["action"], "lock");
    assert_eq!(audit["entries"][0]["detail"]["sockets_closed"], 1);

    // Unlocked, the same token gets its ticket again.
    admin
        .post(
            &format!("/v1/admin/players/{}/unlock", luna.id),
            json!({"reason": "appeal upheld"}),
        )
        .await;
    let (status, back) = luna.get("/v1/lobby/status").await;
    assert_eq!(
        (status, &back["state"]),
        (StatusCode::OK, &json!("in_match")),
        "{back}"
    );
}
