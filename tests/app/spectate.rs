//! Spectators: the lobby lists the matches anyone may watch and hands out spectator
//! tickets with the same checks as seats; a spectator sees the public view only.

use moonlight_proto::v1::server_frame::Body;
use moonlight_testkit::{DbKind, db_tests, game_client::Client};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Duel, TestApp as Stack, fast_lobby, play_url, seat_urls};

db_tests!(
    anyone_watches_a_quick_match_and_sees_no_hidden_card,
    a_private_rooms_match_cannot_be_watched,
);

async fn anyone_watches_a_quick_match_and_sees_no_hidden_card(kind: DbKind) {
    let stack = Stack::stack(kind, fast_lobby, |_| {}).await;
    let luna = stack.player("luna").await;
    let sol = stack.player("sol").await;
    let watcher = stack.player("stella").await;
    luna.enqueue("dusk_starter").await;
    sol.enqueue("tide_starter").await;
    let (a, b) = tokio::join!(luna.wait_for_match(), sol.wait_for_match());
    let match_id = a["room_id"].as_str().unwrap().to_owned();
    let urls = seat_urls(&a, &b);
    let mut duel = Duel::join([&urls[0], &urls[1]]).await;

    let (status, live) = watcher.get("/v1/lobby/live").await;
    assert_eq!(status, StatusCode::OK, "{live}");
    let listed = &live["matches"][0];
    assert_eq!(listed["match_id"], match_id.as_str(), "{live}");
    assert_eq!(listed["kind"], "quick");
    let mut names: Vec<&str> = listed["players"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["luna", "sol"]);

    let (status, ticket) = watcher
        .post(&format!("/v1/lobby/matches/{match_id}/watch"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{ticket}");
    assert_eq!(ticket["room_id"], match_id.as_str());
    let mut spectator = Client::connect(&play_url(&ticket)).await;
    spectator.hello().await;
    let welcome = spectator.welcome().await;
    assert_eq!(welcome.seat, None, "a spectator has no seat");
    assert!(welcome.view.unwrap().hand.is_empty(), "and no hand");

    // The match goes on; the spectator sees every update, never a card drawn.
    for _ in 0..8 {
        assert!(duel.step().await);
    }
    let mut seen = 0;
    while seen < 8 {
        match spectator.next().await.expect("the socket stays open") {
            Body::Update(update) => {
                seen += 1;
                for event in &update.events {
                    if let Some(moonlight_proto::v1::event::Kind::CardDrawn(drawn)) = &event.kind {
                        assert!(drawn.card.is_none(), "a drawn card stays hidden");
                    }
                }
                assert!(update.view.is_none_or(|v| v.hand.is_empty()));
            }
            Body::Error(error) => panic!("{error:?}"),
            _ => {}
        }
    }

    duel.finish().await;
    stack.results_recorded(1).await;
    let (status, over) = watcher
        .post(&format!("/v1/lobby/matches/{match_id}/watch"), json!({}))
        .await;
    assert_eq!(status, StatusCode::GONE, "{over}");
    assert_eq!(over["error"]["code"], "match_over");
    let (_, live) = watcher.get("/v1/lobby/live").await;
    assert_eq!(live["matches"], json!([]), "a finished match is not live");
}

async fn a_private_rooms_match_cannot_be_watched(kind: DbKind) {
    let stack = Stack::stack(kind, fast_lobby, |_| {}).await;
    let (_host, _guest, plays) = stack.private_match("luna", "sol").await;
    let match_id = plays[0]["room_id"].as_str().unwrap().to_owned();
    let watcher = stack.player("stella").await;
    let (_, live) = watcher.get("/v1/lobby/live").await;
    assert_eq!(
        live["matches"],
        json!([]),
        "a private room's match is not listed"
    );
    let long = "x".repeat(5000);
    for id in [match_id.as_str(), "no-such-match", long.as_str()] {
        let (status, error) = watcher
            .post(&format!("/v1/lobby/matches/{id}/watch"), json!({}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
        assert_eq!(error["error"]["code"], "unknown_match");
    }
    for query in ["limit=0", "limit=51", "limit=many"] {
        let (status, error) = watcher.get(&format!("/v1/lobby/live?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {error}");
    }
    // Without a token, nothing.
    let anonymous = reqwest::Client::new()
        .post(format!(
            "{}/v1/lobby/matches/{match_id}/watch",
            stack.lobby_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}
