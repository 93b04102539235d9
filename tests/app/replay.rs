//! Replays: a finished match played again by the server, step by step, exactly as each seat
//! saw it live; the public view hides every hand; the full view shows them all; and only
//! those who may watch the match get it.

use moonlight_proto::v1 as pb;
use moonlight_testkit::DbKind;
use prost::Message as _;
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{Duel, Player, TestApp as Stack, fast_lobby, seat_urls};

/// `GET /v1/lobby/matches/{id}/replay?{query}` as `player`: the step, or the error's status
/// and body.
async fn replay(
    player: &Player,
    id: &str,
    query: &str,
) -> Result<pb::ReplayStep, (StatusCode, Value)> {
    let answer = reqwest::Client::new()
        .get(format!(
            "{}/v1/lobby/matches/{id}/replay?{query}",
            player.lobby
        ))
        .bearer_auth(&player.token)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    if status != StatusCode::OK {
        return Err((status, answer.json().await.unwrap_or(Value::Null)));
    }
    assert_eq!(answer.headers()["content-type"], "application/x-protobuf");
    Ok(pb::ReplayStep::decode(answer.bytes().await.unwrap()).expect("a ReplayStep"))
}

async fn step(player: &Player, id: &str, query: &str) -> pb::ReplayStep {
    replay(player, id, query)
        .await
        .unwrap_or_else(|(status, error)| panic!("{query}: {status} {error}"))
}

async fn refused(player: &Player, id: &str, query: &str, status: StatusCode, code: &str) {
    let (got, error) = replay(player, id, query).await.expect_err(query);
    assert_eq!(got, status, "{query}: {error}");
    assert_eq!(error["error"]["code"], code, "{query}: {error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_shows_every_step_as_each_seat_saw_it_live() {
    let stack = Stack::stack(DbKind::Sqlite, fast_lobby, |_| {}).await;
    let (luna, sol, plays) = stack.private_match("luna", "sol").await;
    let id = plays[0]["room_id"].as_str().unwrap().to_owned();
    let [a, b] = seat_urls(&plays[0], &plays[1]);
    let mut duel = Duel::join([&a, &b]).await;
    assert_eq!(duel.seq, 0);
    // What each seat saw after each input, from the deal to the end.
    let mut seen = vec![duel.views.clone()];
    while duel.step().await {
        seen.push(duel.views.clone());
    }
    seen.push(duel.views.clone());
    stack.results_recorded(1).await;

    let last = seen.len() - 1;
    for (n, [view_a, view_b]) in seen.iter().enumerate() {
        let at = |view: &str| format!("step={n}&view={view}");
        let mine = step(&luna, &id, &at("0")).await;
        assert_eq!(mine.view.as_ref(), Some(view_a), "seat 0 at step {n}");
        assert_eq!((mine.step, mine.steps), (n as u32, last as u32));
        assert_eq!((mine.perspective.as_str(), mine.seat), ("seat", Some(0)));
        // The match is over: a player may watch it from the other seat too.
        let theirs = step(&luna, &id, &at("1")).await;
        assert_eq!(theirs.view.as_ref(), Some(view_b), "seat 1 at step {n}");

        let public = step(&sol, &id, &at("public")).await;
        let view = public.view.unwrap();
        assert!(view.hand.is_empty(), "no hand in the public view");
        assert_eq!(view.seats.len(), 2);
        assert_eq!(view.turn, view_a.turn);
        assert!(public.hands.is_empty());

        let full = step(&sol, &id, &at("full")).await;
        let hands: Vec<&[pb::HandCard]> = full.hands.iter().map(|h| h.cards.as_slice()).collect();
        assert_eq!(hands, [view_a.hand.as_slice(), view_b.hand.as_slice()]);
        // Step 0 is the deal: nothing has happened yet.
        assert_eq!(n == 0, mine.events.is_empty() && full.events.is_empty());
    }
    // By default, a player's own seat; the seats' names; the end's outcome.
    let default = step(&sol, &id, "").await;
    assert_eq!((default.step, default.seat), (0, Some(1)));
    let names: Vec<&str> = default.players.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["luna", "sol"]);
    let end = step(&sol, &id, &format!("step={last}")).await;
    assert!(end.view.unwrap().outcome.is_some());

    // Bad input: a clear error, and nothing else.
    for (query, status, code) in [
        (
            format!("step={}", last + 1),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        ("step=-1".to_owned(), StatusCode::BAD_REQUEST, "bad_request"),
        (
            "step=two".to_owned(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        ("view=2".to_owned(), StatusCode::BAD_REQUEST, "bad_request"),
        (
            "view=everything".to_owned(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            format!("view={}", "9".repeat(5000)),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
    ] {
        refused(&luna, &id, &query, status, code).await;
    }
    let long = "x".repeat(5000);
    for unknown in ["no-such-match", long.as_str()] {
        refused(&luna, unknown, "", StatusCode::NOT_FOUND, "unknown_match").await;
    }
    // A private room's match is its players' only: to anyone else it does not exist.
    let stella = stack.player("stella").await;
    for view in ["", "view=public", "view=full"] {
        refused(&stella, &id, view, StatusCode::NOT_FOUND, "unknown_match").await;
    }
    let anonymous = reqwest::get(format!(
        "{}/v1/lobby/matches/{id}/replay",
        stack.lobby_url()
    ))
    .await
    .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_may_replay_a_match_anyone_could_watch_and_a_void_one_has_none() {
    let stack = Stack::stack(DbKind::Sqlite, fast_lobby, |_| {}).await;
    // A practice match (listed live for anyone), conceded at once.
    let luna = stack.player("luna").await;
    let (_, practice) = luna
        .post(
            "/v1/lobby/practice",
            serde_json::json!({"deck": "dusk_starter"}),
        )
        .await;
    let id = practice["match"]["room_id"].as_str().unwrap().to_owned();
    let mut client =
        crate::support::Client::connect(&crate::support::play_url(&practice["match"])).await;
    client.hello().await;
    client.welcome().await;
    client
        .send(pb::client_frame::Body::Concede(pb::Concede {
            client_seq: 1,
        }))
        .await;
    stack.results_recorded(1).await;
    let stella = stack.player("stella").await;
    let public = step(&stella, &id, "").await;
    assert_eq!((public.perspective.as_str(), public.seat), ("public", None));
    assert_eq!(public.steps, 1, "one input: the concession");
    let conceded = step(&stella, &id, "step=1&view=full").await;
    assert_eq!(conceded.hands.len(), 2);

    // A match void before anyone played (nobody came): recorded, with nothing to replay.
    let (host, _guest, plays) = stack.private_match("host", "guest").await;
    let void = plays[0]["room_id"].as_str().unwrap().to_owned();
    let past = moonlight_common::time::unix_now_ms()
        + i64::try_from(stack.lobby().config.join_window.as_millis()).unwrap()
        + 1;
    assert_eq!(stack.lobby().void_unjoined(past).await.unwrap(), 1);
    refused(&host, &void, "", StatusCode::NOT_FOUND, "no_replay").await;
}
