//! The lobby end to end, on SQLite and PostgreSQL: real accounts, real HTTP, real game
//! sockets.

use moonlight_common::time::unix_now;
use moonlight_engine::{EndReason, Outcome, Seat};
use moonlight_rooms::NodeInfo;
use moonlight_testkit::{DbKind, db_tests, paused_db_tests};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

use moonlight_testkit::game_client::Client;

use crate::support::{
    Duel, Frozen, TestApp as Stack, advance, fast_lobby, play_against_bot, play_url, seat_urls,
};

db_tests!(
    quick_match_plays_to_game_over_and_rates_once,
    private_room_by_code,
    cancel_and_enqueue_again,
    one_queue_or_room_at_a_time,
    bad_requests_change_nothing,
    a_long_poll_takes_any_whole_number_of_seconds,
    settling_races_settle_each_match_once,
    play_again_the_moment_the_match_is_recorded,
    a_round_starts_its_matches_together_and_skips_a_broken_pair,
);

paused_db_tests!(
    practice_against_the_bot_to_the_end,
    a_no_show_voids_the_match_and_frees_both,
);

async fn quick_match_plays_to_game_over_and_rates_once(kind: DbKind) {
    let stack = Stack::stack(kind, fast_lobby, |_| {}).await;
    let luna = stack.player("luna").await;
    let sol = stack.player("sol").await;
    luna.enqueue("dusk_starter").await;
    sol.enqueue("tide_starter").await;
    let (a, b) = tokio::join!(luna.wait_for_match(), sol.wait_for_match());
    assert_eq!(a["room_id"], b["room_id"], "tickets to the same room");
    assert_eq!(a["node_id"], b["node_id"], "on the same node");
    assert_eq!(a["url"], b["url"]);
    assert_ne!(a["seat"], b["seat"]);
    let match_id = a["room_id"].as_str().expect("a room id").to_owned();

    let urls = seat_urls(&a, &b);
    let mut duel = Duel::join([&urls[0], &urls[1]]).await;
    duel.finish().await;

    stack.results_recorded(1).await;
    assert_eq!(stack.settle().await, 1);
    // A second lobby (or a retry) finds nothing left to settle.
    assert_eq!(stack.settle().await, 0);
    assert!(
        !stack
            .lobby()
            .records
            .settle(&match_id)
            .await
            .expect("settle")
    );

    let mut total = 0.0;
    for player in [&luna, &sol] {
        let (status, me) = player.get("/v1/lobby/me").await;
        assert_eq!(status, StatusCode::OK);
        let games = me["wins"].as_i64().unwrap()
            + me["losses"].as_i64().unwrap()
            + me["draws"].as_i64().unwrap();
        assert_eq!(games, 1, "{me}");
        assert_eq!(me["provisional"], true);
        total += me["rating"].as_f64().unwrap() - 1500.0;
        let (_, history) = player.get("/v1/lobby/me/matches").await;
        assert_eq!(history["matches"].as_array().unwrap().len(), 1, "{history}");
        assert_eq!(history["matches"][0]["match_id"], match_id.as_str());
        assert_eq!(history["next"], serde_json::Value::Null);
        // Free again: the status is idle and the queue takes them.
        let (_, status) = player.get("/v1/lobby/status").await;
        assert_eq!(status["state"], "idle");
    }
    // Equal starting ratings: what one gains the other loses (or both stay on a draw).
    assert!(total.abs() < 1e-6);

    let (status, record) = luna.get(&format!("/v1/lobby/matches/{match_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(record["kind"], "quick");
    let players = record["players"].as_array().unwrap();
    assert_eq!(players.len(), 2);
    for p in players {
        assert!((p["rating_before"].as_f64().unwrap() - 1500.0).abs() < 1e-9);
        let result = p["result"].as_str().unwrap();
        let after = p["rating_after"].as_f64().unwrap();
        match result {
            "win" => assert!(after > 1500.0),
            "loss" => assert!(after < 1500.0),
            _ => {}
        }
    }
    let (_, board) = luna.get("/v1/lobby/leaderboard?limit=10").await;
    assert_eq!(board["me"]["provisional"], true);
    assert_eq!(board["me"]["rank"], serde_json::Value::Null);
    luna.enqueue("dusk_starter").await;
}

async fn private_room_by_code(kind: DbKind) {
    // No background rounds: the test sweeps expired rooms itself, and counts what it swept.
    let stack = Stack::stack(kind, no_rounds, |_| {}).await;
    let host = stack.player("host").await;
    let friend = stack.player("friend").await;
    let stranger = stack.player("stranger").await;

    let (status, opened) = host
        .post(
            "/v1/lobby/rooms",
            json!({"deck": "moonwell_starter", "public": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    assert_eq!(opened["state"], "in_room");
    let code = opened["room"]["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 6);

    let (_, listed) = stranger.get("/v1/lobby/rooms").await;
    assert_eq!(listed["rooms"][0]["code"], code.as_str());
    assert_eq!(listed["rooms"][0]["host"], "host");

    let (status, own) = host
        .post(
            "/v1/lobby/rooms/join",
            json!({"code": code, "deck": "dusk_starter"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{own}");

    // Typed in lower case with a dash: still the code.
    let typed = format!("{}-{}", &code[..3], &code[3..]).to_lowercase();
    let (status, joined) = friend
        .post(
            "/v1/lobby/rooms/join",
            json!({"code": typed, "deck": "dusk_starter"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    assert_eq!(joined["state"], "in_match");
    let host_match = host.wait_for_match().await;
    assert_eq!(host_match["room_id"], joined["match"]["room_id"]);
    assert_eq!(host_match["seat"], 0);
    assert_eq!(joined["match"]["seat"], 1);

    // The room is gone: nobody else can take the code.
    let (status, _) = stranger
        .post(
            "/v1/lobby/rooms/join",
            json!({"code": code, "deck": "dusk_starter"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, listed) = stranger.get("/v1/lobby/rooms").await;
    assert_eq!(listed["rooms"].as_array().unwrap().len(), 0);

    let mut duel = Duel::join([&play_url(&host_match), &play_url(&joined["match"])]).await;
    duel.finish().await;
    stack.results_recorded(1).await;
    assert_eq!(stack.settle().await, 1);
    let (_, me) = friend.get("/v1/lobby/me").await;
    assert_eq!(
        me["wins"].as_i64().unwrap()
            + me["losses"].as_i64().unwrap()
            + me["draws"].as_i64().unwrap(),
        1
    );
    // Private matches count in the record but do not move ratings.
    assert!((me["rating"].as_f64().unwrap() - 1500.0).abs() < f64::EPSILON);

    // A code stops working when it expires, and the sweep frees its host.
    let expired = open_expired_room(&stack, &stranger).await;
    let (status, _) = friend
        .post(
            "/v1/lobby/rooms/join",
            json!({"code": expired, "deck": "dusk_starter"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let now = moonlight_common::time::unix_now();
    assert_eq!(
        stack.lobby_store().sweep_expired_rooms(now).await.unwrap(),
        1
    );
    let (_, freed) = stranger.get("/v1/lobby/status").await;
    assert_eq!(freed["state"], "idle");

    // A host can also leave an unjoined room, which closes it.
    let (_, reopened) = host
        .post("/v1/lobby/rooms", json!({"deck": "moonwell_starter"}))
        .await;
    let code = reopened["room"]["code"].as_str().unwrap().to_owned();
    let (status, left) = host.delete("/v1/lobby/rooms/current").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(left["state"], "idle");
    let (status, _) = stranger
        .post(
            "/v1/lobby/rooms/join",
            json!({"code": code, "deck": "dusk_starter"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn cancel_and_enqueue_again(kind: DbKind) {
    let stack = Stack::stack(kind, fast_lobby, |_| {}).await;
    let luna = stack.player("luna").await;
    luna.enqueue("dusk_starter").await;
    let (status, cancelled) = luna.delete("/v1/lobby/queue").await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["state"], "idle");
    let (status, again) = luna.delete("/v1/lobby/queue").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{again}");
    assert_eq!(again["error"]["code"], "not_queued");

    let queued = luna.enqueue("tide_starter").await;
    assert_eq!(queued["queue"]["deck"], "tide_starter");
    // Alone in the queue: still waiting after a long-poll, with the gap on show.
    let (_, waiting) = luna.get("/v1/lobby/status?wait=1").await;
    assert_eq!(waiting["state"], "queued");
    assert!(waiting["queue"]["rating_window"].as_f64().unwrap() >= 100.0);
    assert_eq!(waiting["queue"]["practice_offered"], false);

    let sol = stack.player("sol").await;
    sol.enqueue("dusk_starter").await;
    let a = luna.wait_for_match().await;
    let (status, late) = luna.delete("/v1/lobby/queue").await;
    assert_eq!(status, StatusCode::CONFLICT, "{late}");
    assert_eq!(late["error"]["code"], "already_matched");
    assert_eq!(sol.wait_for_match().await["room_id"], a["room_id"]);
}

async fn one_queue_or_room_at_a_time(kind: DbKind) {
    let stack = Stack::stack(kind, fast_lobby, |_| {}).await;
    let luna = stack.player("luna").await;
    // Many enqueues at once: exactly one is accepted.
    let attempts = futures_join(10, || {
        luna.post("/v1/lobby/queue", json!({"deck": "dusk_starter"}))
    })
    .await;
    let accepted = attempts
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(accepted, 1, "{attempts:?}");
    assert!(attempts.iter().all(|(s, b)| *s == StatusCode::CREATED
        || (*s == StatusCode::CONFLICT && b["error"]["code"] == "busy")));
    // Nor a room or a practice match while queued.
    let (status, _) = luna
        .post("/v1/lobby/rooms", json!({"deck": "dusk_starter"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let queued = stack.lobby_store().queued(10).await.unwrap();
    assert_eq!(queued.len(), 1);

    // And a host cannot queue or join another room.
    let host = stack.player("host").await;
    let (_, room) = host
        .post("/v1/lobby/rooms", json!({"deck": "dusk_starter"}))
        .await;
    let (status, _) = host
        .post("/v1/lobby/queue", json!({"deck": "dusk_starter"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = luna
        .post(
            "/v1/lobby/rooms/join",
            json!({"code": room["room"]["code"], "deck": "dusk_starter"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a queued player cannot join a room"
    );
}

async fn bad_requests_change_nothing(kind: DbKind) {
    let stack = Stack::stack(kind, fast_lobby, |_| {}).await;
    let luna = stack.player("luna").await;
    let cases = [
        (
            reqwest::Method::POST,
            "/v1/lobby/queue",
            Some(json!({"deck": "no_such_deck"})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            reqwest::Method::POST,
            "/v1/lobby/queue",
            Some(json!({"deck": 7})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            reqwest::Method::POST,
            "/v1/lobby/queue",
            Some(json!({"deck": "dusk_starter", "x": 1})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            reqwest::Method::POST,
            "/v1/lobby/rooms/join",
            Some(json!({"code": "0OIL1!", "deck": "dusk_starter"})),
            StatusCode::NOT_FOUND,
        ),
        (
            reqwest::Method::GET,
            "/v1/lobby/status?wait=soon",
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            reqwest::Method::GET,
            "/v1/lobby/status?wait=-1",
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            reqwest::Method::GET,
            "/v1/lobby/status?wait=1.5",
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            reqwest::Method::GET,
            "/v1/lobby/me/matches?limit=0",
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            reqwest::Method::GET,
            "/v1/lobby/me/matches?before=garbage",
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            reqwest::Method::GET,
            "/v1/lobby/leaderboard?limit=1000",
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            reqwest::Method::GET,
            "/v1/lobby/matches/nope",
            None,
            StatusCode::NOT_FOUND,
        ),
        // An id that is not UTF-8 once decoded: the standard JSON error, not axum's text.
        (
            reqwest::Method::GET,
            "/v1/lobby/matches/%FF",
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            reqwest::Method::POST,
            "/v1/lobby/matches/%C0%80/watch",
            None,
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (method, path, body, expected) in cases {
        let (status, answer) = luna.call(method, path, body).await;
        assert_eq!(status, expected, "{path}: {answer}");
        assert!(answer["error"]["code"].is_string(), "{path}: {answer}");
    }
    // A wrong token is refused before anything happens.
    let mut stranger = luna.clone();
    stranger.token = "not-a-token".to_owned();
    let (status, _) = stranger
        .post("/v1/lobby/queue", json!({"deck": "dusk_starter"}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, status) = luna.get("/v1/lobby/status").await;
    assert_eq!(status["state"], "idle");
    assert!(stack.lobby_store().queued(10).await.unwrap().is_empty());

    // Every endpoint is in the OpenAPI document.
    let document = crate::support::openapi(&stack.lobby_url()).await;
    for path in [
        "/v1/lobby/queue",
        "/v1/lobby/status",
        "/v1/lobby/rooms",
        "/v1/lobby/rooms/join",
        "/v1/lobby/rooms/current",
        "/v1/lobby/practice",
        "/v1/lobby/me",
        "/v1/lobby/me/matches",
        "/v1/lobby/matches/{id}",
        "/v1/lobby/matches/{id}/replay",
        "/v1/lobby/matches/{id}/watch",
        "/v1/lobby/live",
        "/v1/lobby/leaderboard",
        "/v1/content",
        "/v1/content/status",
    ] {
        assert!(
            document["paths"][path].is_object(),
            "{path} is not documented"
        );
    }
    assert!(document["components"]["schemas"]["Status"].is_object());
    // ... with every refusal, those of a malformed path parameter too.
    for (path, method) in [
        ("/v1/lobby/matches/{id}", "get"),
        ("/v1/lobby/matches/{id}/watch", "post"),
    ] {
        let refusal = &document["paths"][path][method]["responses"]["400"];
        assert!(
            refusal["description"]
                .as_str()
                .is_some_and(|d| d.contains("`bad_request`")),
            "{method} {path}: {refusal}"
        );
    }
}

/// `wait` is any whole number of seconds, as the document says (an integer from 0, no
/// `int64` bound): past `u64` it is as good as the longest wait, not a refusal (the API
/// fuzzing found 2^63 accepted although the document said `int64`).
async fn a_long_poll_takes_any_whole_number_of_seconds(kind: DbKind) {
    let stack = Stack::stack(kind, fast_lobby, |_| {}).await;
    let luna = stack.player("luna").await;
    let (status, _) = luna
        .post("/v1/lobby/practice", json!({"deck": "dusk_starter"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // In a match, a long-poll answers at once, whatever its length.
    for wait in [
        "0",
        "30",
        "9223372036854775808",
        "99999999999999999999999999",
    ] {
        let (status, answer) = luna.get(&format!("/v1/lobby/status?wait={wait}")).await;
        assert_eq!(status, StatusCode::OK, "wait={wait}: {answer}");
        assert_eq!(answer["state"], "in_match", "wait={wait}");
    }
    let document = crate::support::openapi(&stack.lobby_url()).await;
    let parameters = &document["paths"]["/v1/lobby/status"]["get"]["parameters"];
    let wait = parameters
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "wait"))
        .expect("`wait` is documented");
    assert_eq!(
        wait["schema"],
        json!({"type": "integer", "minimum": 0}),
        "{wait}"
    );
}

/// Runs `n` copies of a request at once.
async fn futures_join<F, Fut, T>(n: usize, make: F) -> Vec<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    futures_util::future::join_all((0..n).map(|_| make())).await
}

/// Writes a finished quick match straight into the tables the game server and lobby fill.
async fn finished_match(stack: &Stack, id: &str, winner: &str, loser: &str, finished_at: i64) {
    let pool = stack.db.pool();
    // Played, so its join deadline was seen to (no lobby's sweep touches it).
    sqlx::query("INSERT INTO lobby_matches (id, kind, node_id, created_at, join_checked) VALUES ($1, 'quick', 'node-1', $2, TRUE)")
        .bind(id)
        .bind(finished_at)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO match_results (match_id, content_version, winner_team, reason, turns, started_at, finished_at) VALUES ($1, 'v', 0, 'hero_defeated', 9, $2, $2)")
        .bind(id)
        .bind(finished_at)
        .execute(pool)
        .await
        .unwrap();
    for (seat, (player, result)) in [(winner, "win"), (loser, "loss")].into_iter().enumerate() {
        sqlx::query(
            "INSERT INTO match_players (match_id, seat, player_id, result) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(seat as i64)
        .bind(player)
        .bind(result)
        .execute(pool)
        .await
        .unwrap();
    }
}

async fn settling_races_settle_each_match_once(kind: DbKind) {
    let stack = Stack::stack(kind, fast_lobby, |_| {}).await;
    let luna = stack.player("luna").await;
    let sol = stack.player("sol").await;
    for n in 0..3 {
        finished_match(&stack, &format!("m{n}"), &luna.id, &sol.id, 100 + n).await;
    }
    // Eight "lobby processes" settle the same three matches at once.
    let settlers = (0..8).map(|_| {
        let records = moonlight_lobby::records::Records::new(stack.db.clone());
        async move {
            let mut settled = 0;
            for n in 0..3 {
                // A lost race may also surface as a serialisation error: retry like the
                // background loop does on its next round.
                for _ in 0..100 {
                    match records.settle(&format!("m{n}")).await {
                        Ok(true) => {
                            settled += 1;
                            break;
                        }
                        Ok(false) => break,
                        Err(_) => continue,
                    }
                }
            }
            settled
        }
    });
    let settled: usize = futures_util::future::join_all(settlers)
        .await
        .into_iter()
        .sum();
    assert_eq!(settled, 3);
    let (_, me) = luna.get("/v1/lobby/me").await;
    assert_eq!(me["wins"], 3);
    assert_eq!(me["losses"], 0);
    let (_, them) = sol.get("/v1/lobby/me").await;
    assert_eq!(them["losses"], 3);
    let changes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rating_changes")
        .fetch_one(stack.db.pool())
        .await
        .unwrap();
    assert_eq!(changes, 6);
    // Each later match started from the previous one's rating.
    let (_, history) = luna.get("/v1/lobby/me/matches?limit=2").await;
    let page = history["matches"].as_array().unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0]["match_id"], "m2");
    assert_eq!(page[1]["match_id"], "m1");
    let mine = |m: &serde_json::Value| m["players"][0].clone();
    assert_eq!(
        mine(&page[1])["rating_after"],
        mine(&page[0])["rating_before"]
    );
    let next = history["next"].as_str().expect("a next page");
    let (_, rest) = luna
        .get(&format!("/v1/lobby/me/matches?limit=2&before={next}"))
        .await;
    assert_eq!(rest["matches"].as_array().unwrap().len(), 1);
    assert_eq!(rest["matches"][0]["match_id"], "m0");
    assert_eq!(rest["next"], serde_json::Value::Null);

    // Once established (deviation ≤ 110), players are ranked.
    let (_, board) = luna.get("/v1/lobby/leaderboard").await;
    assert!(board["top"].as_array().unwrap().is_empty(), "{board}");
    sqlx::query("UPDATE ratings SET deviation = 60")
        .execute(stack.db.pool())
        .await
        .unwrap();
    let (_, board) = sol.get("/v1/lobby/leaderboard?limit=1").await;
    let top = board["top"].as_array().unwrap();
    assert_eq!(top.len(), 1);
    assert_eq!(top[0]["name"], "luna");
    assert_eq!(top[0]["rank"], 1);
    assert_eq!(top[0]["wins"], 3);
    assert_eq!(board["me"]["rank"], 2);
    assert_eq!(board["me"]["provisional"], false);
}

async fn practice_against_the_bot_to_the_end(kind: DbKind) {
    let _frozen = Frozen::hold();
    let stack = Stack::stack(
        kind,
        |lobby| {
            fast_lobby(lobby);
            lobby.practice_after = Duration::ZERO;
        },
        |_| {},
    )
    .await;
    let luna = stack.player("luna").await;
    // Alone in the queue past the practice threshold: offered a bot, and taking it leaves
    // the queue.
    luna.enqueue("dusk_starter").await;
    let (_, waiting) = luna.get("/v1/lobby/status").await;
    assert_eq!(waiting["queue"]["practice_offered"], true, "{waiting}");
    let (status, practice) = luna
        .post("/v1/lobby/practice", json!({"deck": "tide_starter"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{practice}");
    assert_eq!(practice["state"], "in_match");
    assert!(stack.lobby_store().queued(10).await.unwrap().is_empty());

    let outcome = play_against_bot(&play_url(&practice["match"]), stack.game().config()).await;
    assert_ne!(outcome.reason, "no_contest");
    stack.results_recorded(1).await;
    assert_eq!(stack.settle().await, 1);
    let match_id = practice["match"]["room_id"].as_str().unwrap();
    let (_, record) = luna.get(&format!("/v1/lobby/matches/{match_id}")).await;
    assert_eq!(record["kind"], "practice");
    assert_eq!(record["players"][1]["name"], "Practice bot");
    // Practice counts nowhere, and the player is free again.
    assert_eq!(luna.games().await, 0);
    let (_, status) = luna.get("/v1/lobby/status").await;
    assert_eq!(status["state"], "idle");
}

async fn a_no_show_voids_the_match_and_frees_both(kind: DbKind) {
    let _frozen = Frozen::hold();
    // The heartbeat is not under test: long enough not to drop the player who waits.
    let stack = Stack::stack(kind, fast_lobby, |game| {
        game.heartbeat = Duration::from_secs(3600)
    })
    .await;
    let luna = stack.player("luna").await;
    let ghost = stack.player("ghost").await;
    // A private room starts its match at once (no matchmaking round to wait for).
    let (_, opened) = luna
        .post("/v1/lobby/rooms", json!({"deck": "dusk_starter"}))
        .await;
    let code = opened["room"]["code"].as_str().unwrap();
    let (status, joined) = ghost
        .post(
            "/v1/lobby/rooms/join",
            json!({"code": code, "deck": "tide_starter"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    let (_, play) = luna.get("/v1/lobby/status").await;
    // Only luna ever connects; the room voids the match when ghost's join window ends.
    let mut client = Client::connect(&play_url(&play["match"])).await;
    client.hello().await;
    let welcome = client.welcome().await;
    assert!(!welcome.players[1].connected, "ghost never connects");
    advance(stack.lobby().config.join_window).await;
    let outcome = loop {
        match client
            .next()
            .await
            .expect("the socket stays open until the game over")
        {
            moonlight_proto::v1::server_frame::Body::GameOver(over) => break over.outcome.unwrap(),
            _ => continue,
        }
    };
    assert_eq!(outcome.reason, "no_contest");
    assert!(outcome.winners.is_empty());
    stack.results_recorded(1).await;
    assert_eq!(stack.settle().await, 1);
    // No rating moved, nobody's record changed, and both can queue again.
    for player in [&luna, &ghost] {
        assert_eq!(player.games().await, 0);
        let (_, me) = player.get("/v1/lobby/me").await;
        assert!((me["rating"].as_f64().unwrap() - 1500.0).abs() < f64::EPSILON);
        player.enqueue("dusk_starter").await;
    }
}

/// Opens a private room for `host` and makes its code expire; returns the code.
async fn open_expired_room(stack: &Stack, host: &crate::support::Player) -> String {
    let (status, opened) = host
        .post("/v1/lobby/rooms", json!({"deck": "dusk_starter"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    sqlx::query("UPDATE lobby_rooms SET expires_at = 0 WHERE host_id = $1")
        .bind(&host.id)
        .execute(stack.db.pool())
        .await
        .unwrap();
    opened["room"]["code"].as_str().unwrap().to_owned()
}

/// "Play again" right after the game: the background settle has not run (here it never
/// does), yet once the node has recorded the result the queue takes both players, and
/// their first match is settled exactly once on the way.
async fn play_again_the_moment_the_match_is_recorded(kind: DbKind) {
    let stack = Stack::stack(kind, fast_lobby, |_| {}).await;
    let luna = stack.player("luna").await;
    let sol = stack.player("sol").await;
    luna.enqueue("dusk_starter").await;
    sol.enqueue("tide_starter").await;
    let (a, b) = tokio::join!(luna.wait_for_match(), sol.wait_for_match());
    let urls = seat_urls(&a, &b);
    Duel::join([&urls[0], &urls[1]]).await.finish().await;
    stack.results_recorded(1).await;

    let (again_a, again_b) =
        tokio::join!(luna.enqueue("dusk_starter"), sol.enqueue("tide_starter"));
    for again in [again_a, again_b] {
        assert!(
            again["state"] == "queued" || again["state"] == "in_match",
            "{again}"
        );
    }
    assert_eq!(stack.settle().await, 0, "settled already, once");
    for player in [&luna, &sol] {
        assert_eq!(player.games().await, 1);
    }
    // Their ratings are apart now (one won), so they wait for the window to widen; the
    // point is that both are in the queue, not where the old match was.
    for player in [&luna, &sol] {
        let (_, status) = player.get("/v1/lobby/status").await;
        assert_ne!(status["match"]["room_id"], a["room_id"], "{status}");
    }
}

/// "Play again" the moment the game ends, before the node's results writer has recorded
/// it: the node told the players once the result was in the room store's outbox, so the
/// lobby records it from there (once: the writer, coming second, records nothing) and
/// takes the player. No node runs here: the test writes the result where a node would,
/// and no results writer can get there first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn play_again_before_the_node_has_recorded_the_match() {
    let stack = Stack::lobby_only(no_rounds).await;
    let node = NodeInfo {
        id: "node".to_owned(),
        url: "ws://127.0.0.1:9/v1/play".to_owned(),
        capacity: 100,
        ..NodeInfo::default()
    };
    let lobby = stack.lobby();
    lobby
        .directory()
        .heartbeat(&node, Duration::from_secs(600))
        .await
        .expect("a heartbeat");
    let (luna, sol, plays) = stack.private_match("luna", "sol").await;
    let match_id = plays[0]["room_id"].as_str().expect("a match");

    // The node ends the match: Sol concedes, the result enters the outbox, both are told.
    let rooms = lobby.rooms();
    let room = rooms.load_room(match_id).await.unwrap().expect("the room");
    let mut result = room.record.void_result(3, unix_now());
    result.outcome = Outcome {
        winners: vec![Seat(0)],
        reason: EndReason::Concession,
    };
    rooms.push_result(&result).await.unwrap();

    let again = luna.enqueue("dusk_starter").await;
    assert_eq!(again["state"], "queued", "{again}");
    let (status, hosting) = sol
        .post("/v1/lobby/rooms", json!({"deck": "tide_starter"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hosting}");
    assert!(
        rooms.pending_results().await.unwrap().is_empty(),
        "out of the outbox"
    );
    for (player, wins) in [(&luna, 1), (&sol, 0)] {
        assert_eq!(player.games().await, 1);
        let (_, me) = player.get("/v1/lobby/me").await;
        assert_eq!(me["wins"], wins, "{me}");
    }
    // The node's writer, coming second, finds it recorded and records nothing.
    moonlight_rooms::record_from_outbox(rooms, &stack.db, &[result])
        .await
        .unwrap();
    assert_eq!(stack.settle().await, 0, "settled once");
    let recorded: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM match_players WHERE match_id = $1")
            .bind(match_id)
            .fetch_one(stack.db.pool())
            .await
            .unwrap();
    assert_eq!(recorded, 2);
    assert_eq!(luna.games().await, 1);
}

/// A matchmaking round starts all its matches in one transaction; a pair one of whose
/// players left the queue meanwhile does not start, and leaves the other player queued
/// with the ticket they had, while the other pairs start.
async fn a_round_starts_its_matches_together_and_skips_a_broken_pair(kind: DbKind) {
    use moonlight_lobby::store::{MatchKind, NewMatch, Seating, State};
    let stack = Stack::stack(kind, no_rounds, |_| {}).await;
    let mut players = Vec::new();
    for n in 0..6 {
        let player = stack.player(&format!("player{n}")).await;
        player.enqueue("dusk_starter").await;
        players.push(player);
    }
    let store = &stack.lobby().store;
    let mut tickets = std::collections::HashMap::new();
    for presence in store.queued(10).await.unwrap() {
        tickets.insert(presence.player_id, presence.ref_id);
    }
    let matches: Vec<NewMatch> = players
        .chunks(2)
        .enumerate()
        .map(|(n, pair)| NewMatch {
            id: format!("match-{n}"),
            kind: MatchKind::Quick,
            node_id: "node-1".to_owned(),
            seats: pair
                .iter()
                .zip(0u8..)
                .map(|(p, seat)| Seating {
                    player_id: p.id.clone(),
                    name: p.name.clone(),
                    deck: "dusk_starter".to_owned(),
                    seat,
                    from: Some((State::Queued, tickets[&p.id].clone())),
                })
                .collect(),
            closes_room: None,
            join_by_ms: i64::MAX,
            watchable: true,
            names: pair.iter().map(|p| p.name.clone()).collect(),
        })
        .collect();
    let (status, _) = players[3].delete("/v1/lobby/queue").await;
    assert_eq!(status, StatusCode::OK);

    let started = store.start_queued_matches(&matches, 1_000).await.unwrap();
    assert_eq!(started, [true, false, true]);
    for (n, player) in players.iter().enumerate() {
        let presence = store.presence(&player.id).await.unwrap();
        match n {
            2 => {
                let presence = presence.expect("still queued");
                assert_eq!(presence.state, State::Queued);
                assert_eq!(presence.ref_id, tickets[&player.id], "with the same ticket");
            }
            3 => assert!(presence.is_none(), "left"),
            _ => {
                let presence = presence.expect("in a match");
                assert_eq!(presence.state, State::InMatch);
                assert_eq!(presence.ref_id, format!("match-{}", n / 2));
                assert_eq!(presence.seat, Some(u8::try_from(n % 2).unwrap()));
            }
        }
    }
    let placed: Vec<String> = sqlx::query_scalar("SELECT id FROM lobby_matches ORDER BY id")
        .fetch_all(stack.db.pool())
        .await
        .unwrap();
    assert_eq!(placed, ["match-0", "match-2"]);
}

/// Test timings with no background matchmaking rounds (nor their sweep of expired rooms).
fn no_rounds(config: &mut moonlight_lobby::LobbyConfig) {
    fast_lobby(config);
    config.match_interval = Duration::from_secs(3600);
}
