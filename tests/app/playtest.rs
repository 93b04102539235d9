//! A designer's playtest: a practice match with the bot's deck and the seed chosen, so the
//! same seed and decks deal the same match again.

use moonlight_engine::Level;
use moonlight_testkit::DbKind;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp as Stack, fast_lobby, shipped_content};

#[tokio::test]
async fn a_playtest_plays_the_chosen_decks_with_the_chosen_seed() {
    let stack = Stack::stack(DbKind::Sqlite, fast_lobby, |_| {}).await;
    let content = shipped_content();
    let decks: Vec<&str> = content.decks().map(|d| d.id.as_str()).collect();
    let (mine, bots) = (decks[0], decks[decks.len() - 1]);
    let mut rooms = Vec::new();
    for (name, level) in [("ada", None), ("bea", Some("hard"))] {
        let designer = stack.player(name).await;
        let mut choice = json!({"deck": mine, "bot_deck": bots, "seed": 424_242});
        if let Some(level) = level {
            choice["level"] = json!(level);
        }
        let (status, started) = designer.post("/v1/lobby/practice", choice).await;
        assert_eq!(status, StatusCode::CREATED, "{started}");
        let room_id = started["match"]["room_id"].as_str().unwrap().to_owned();
        let room = stack.game().store().load_room(&room_id).await.unwrap();
        rooms.push(room.expect("the room is stored").record);
    }
    for record in &rooms {
        assert_eq!(record.setup.seed, 424_242);
        assert_eq!(record.setup.seats[0].deck, content.deck_list(mine).unwrap());
        assert_eq!(record.setup.seats[1].deck, content.deck_list(bots).unwrap());
        assert!(record.players[1].bot);
    }
    // Same seed, same decks: the same match, dealt the same. The bot plays at the level
    // chosen (easy when none is).
    assert_eq!(rooms[0].setup, rooms[1].setup);
    assert_eq!(rooms[0].players[1].bot(), Some(Level::Easy));
    assert_eq!(rooms[1].players[1].bot(), Some(Level::Hard));
}

#[tokio::test]
async fn a_playtest_with_a_deck_or_seed_that_cannot_be_is_refused_and_changes_nothing() {
    let stack = Stack::stack(DbKind::Sqlite, fast_lobby, |_| {}).await;
    let ada = stack.player("ada").await;
    for (body, status, code) in [
        (
            json!({"deck": "dusk_starter", "bot_deck": "no_such_deck"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_deck",
        ),
        (
            json!({"deck": "dusk_starter", "seed": 9_007_199_254_740_992_u64}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            json!({"deck": "dusk_starter", "seed": -1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            json!({"deck": "dusk_starter", "seed": "7"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            json!({"deck": "dusk_starter", "level": "expert"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        // A number where a level name goes: serde_json reports it as a syntax error, so it
        // is the standard 400 malformed_json of every JSON body.
        (
            json!({"deck": "dusk_starter", "level": 3}),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
    ] {
        let (answer, error) = ada.post("/v1/lobby/practice", body.clone()).await;
        assert_eq!(answer, status, "{body}: {error}");
        assert_eq!(error["error"]["code"], code, "{body}: {error}");
    }
    let (_, status) = ada.get("/v1/lobby/status").await;
    assert_eq!(status["state"], "idle", "nothing changed: {status}");
}
