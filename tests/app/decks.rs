//! Players' own decks: saved, listed, shared as codes, played in practice and the queue;
//! refused with the reason naming the card; marked illegal by a content update instead
//! of failing a match start.

use moonlight_lobby::decks::MAX_DECKS;
use moonlight_testkit::{DbKind, copy_dir};
use reqwest::StatusCode;
use serde_json::{Value, json};

use moonlight::Roles;

use crate::support::{
    StoreKind, TestApp as Stack, content_dir, fast_lobby, shipped_content, spawn_app,
};

/// `deck`'s cards as `{card, count}` lines.
fn lines(deck: &str) -> Value {
    let content = shipped_content();
    let def = content.deck(deck).expect("a shipped deck");
    json!(
        def.cards
            .iter()
            .map(|e| json!({"card": e.card, "count": e.count}))
            .collect::<Vec<_>>()
    )
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_player_saves_lists_renames_shares_and_deletes_decks() {
    let stack = Stack::stack(DbKind::Sqlite, fast_lobby, |_| {}).await;
    let ada = stack.player("ada").await;
    let (status, saved) = ada
        .post(
            "/v1/lobby/decks",
            json!({"name": "Tide mine", "cards": lines("tide_starter")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["faction"], "tide");
    assert_eq!(saved["legal"], true);
    assert!(saved.get("problem").is_none(), "{saved}");
    let code = saved["code"].as_str().expect("a code").to_owned();
    let id = saved["id"].as_str().expect("an id").to_owned();

    // Someone else imports it by its code: the same cards.
    let bea = stack.player("bea").await;
    let (status, copied) = bea
        .post("/v1/lobby/decks", json!({"name": "Ada's", "code": code}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{copied}");
    assert_eq!(copied["cards"], saved["cards"]);
    assert_eq!(copied["code"], saved["code"]);

    let (status, renamed) = ada
        .put(
            &format!("/v1/lobby/decks/{id}"),
            json!({"name": "  Tide  ", "code": code}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["name"], "Tide");
    let (_, listed) = ada.get("/v1/lobby/decks").await;
    assert_eq!(
        listed["decks"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    assert_eq!(listed["decks"][0]["name"], "Tide");

    // Nobody else's decks are yours to see, change or delete.
    let (status, refused) = bea.delete(&format!("/v1/lobby/decks/{id}")).await;
    assert_eq!(
        (status, error_code(&refused)),
        (StatusCode::NOT_FOUND, "deck_not_found")
    );
    let (status, refused) = bea
        .put(
            &format!("/v1/lobby/decks/{id}"),
            json!({"name": "mine now", "code": code}),
        )
        .await;
    assert_eq!(
        (status, error_code(&refused)),
        (StatusCode::NOT_FOUND, "deck_not_found")
    );
    let (_, theirs) = bea.get("/v1/lobby/decks").await;
    assert_eq!(
        theirs["decks"][0]["name"], "Ada's",
        "only their own: {theirs}"
    );

    let (status, _) = ada.delete(&format!("/v1/lobby/decks/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, again) = ada.delete(&format!("/v1/lobby/decks/{id}")).await;
    assert_eq!(
        (status, error_code(&again)),
        (StatusCode::NOT_FOUND, "deck_not_found")
    );
    let (_, listed) = ada.get("/v1/lobby/decks").await;
    assert_eq!(listed["decks"], json!([]));
}

#[tokio::test]
async fn an_illegal_deck_is_refused_naming_the_card_and_nothing_is_saved() {
    let stack = Stack::stack(DbKind::Sqlite, fast_lobby, |_| {}).await;
    let ada = stack.player("ada").await;
    let mut short = lines("dusk_starter");
    short[0]["count"] = json!(1);
    let mut three = lines("dusk_starter");
    three[0]["count"] = json!(3);
    three[1]["count"] = json!(1);
    let first = three[0]["card"].as_str().expect("a card").to_owned();
    let mut mixed = lines("dusk_starter");
    mixed[1] = json!({"card": "tide_sprite", "count": 2});
    for (cards, says) in [
        (short, "exactly 30 cards".to_owned()),
        (three, format!("too many copies of `{first}`: at most 2")),
        (
            mixed,
            "`tide_sprite` is a tide card in a dusk deck".to_owned(),
        ),
        (
            json!([{"card": "shade", "count": 30}]),
            "`shade` cannot be put in a deck".to_owned(),
        ),
        (
            json!([{"card": "no_such_card", "count": 30}]),
            "unknown card `no_such_card`".to_owned(),
        ),
    ] {
        let (status, refused) = ada
            .post("/v1/lobby/decks", json!({"name": "x", "cards": cards}))
            .await;
        assert_eq!(
            (status, error_code(&refused)),
            (StatusCode::UNPROCESSABLE_ENTITY, "illegal_deck"),
            "{refused}"
        );
        let message = refused["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(&says), "{message} should say {says}");
    }
    let (status, refused) = ada
        .post(
            "/v1/lobby/decks",
            json!({"name": "x", "code": "not-a-code"}),
        )
        .await;
    assert_eq!(
        (status, error_code(&refused)),
        (StatusCode::UNPROCESSABLE_ENTITY, "illegal_deck"),
        "{refused}"
    );
    for body in [
        json!({"name": "", "cards": lines("dusk_starter")}),
        json!({"name": "x".repeat(41), "cards": lines("dusk_starter")}),
        json!({"name": "both", "cards": lines("dusk_starter"), "code": "AQ"}),
        json!({"name": "neither"}),
        json!({"name": "x", "cards": [{"card": "shade_bat", "count": 0}]}),
    ] {
        let (status, refused) = ada.post("/v1/lobby/decks", body.clone()).await;
        assert_eq!(
            (status, error_code(&refused)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
            "{body}: {refused}"
        );
    }
    // Oversized and hostile: a huge code, a huge or odd deck id, a deck where a queue
    // takes one; each a clear refusal.
    let huge = "A".repeat(5_000);
    let (status, refused) = ada
        .post("/v1/lobby/decks", json!({"name": "x", "code": huge}))
        .await;
    assert_eq!(
        (status, error_code(&refused)),
        (StatusCode::UNPROCESSABLE_ENTITY, "illegal_deck"),
        "{refused}"
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("too long")),
        "{refused}"
    );
    for id in [
        "x".repeat(3_000),
        "..%2F..%2Fetc".to_owned(),
        "%00".to_owned(),
    ] {
        let (status, refused) = ada.delete(&format!("/v1/lobby/decks/{id}")).await;
        assert_eq!(
            (status, error_code(&refused)),
            (StatusCode::NOT_FOUND, "deck_not_found"),
            "{id}: {refused}"
        );
    }
    let (status, refused) = ada.post("/v1/lobby/queue", json!({"deck": huge})).await;
    assert_eq!(
        (status, error_code(&refused)),
        (StatusCode::UNPROCESSABLE_ENTITY, "unknown_deck"),
        "{refused}"
    );
    let (status, refused) = ada
        .post(
            "/v1/lobby/decks",
            json!({"name": "x", "cards": "all of them"}),
        )
        .await;
    assert_eq!(
        (status, error_code(&refused)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        "{refused}"
    );
    let (_, listed) = ada.get("/v1/lobby/decks").await;
    assert_eq!(listed["decks"], json!([]), "nothing saved");
    let (_, status) = ada.get("/v1/lobby/status").await;
    assert_eq!(status["state"], "idle", "nothing queued");
}

#[tokio::test]
async fn a_player_keeps_at_most_the_limit_of_decks() {
    let stack = Stack::stack(DbKind::Sqlite, fast_lobby, |_| {}).await;
    let ada = stack.player("ada").await;
    let cards = lines("moonwell_starter");
    for i in 0..MAX_DECKS {
        let (status, saved) = ada
            .post(
                "/v1/lobby/decks",
                json!({"name": format!("deck {i}"), "cards": cards}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{saved}");
    }
    let (status, refused) = ada
        .post(
            "/v1/lobby/decks",
            json!({"name": "one more", "cards": cards}),
        )
        .await;
    assert_eq!(
        (status, error_code(&refused)),
        (StatusCode::CONFLICT, "too_many_decks"),
        "{refused}"
    );
}

/// A saved deck (by id) and a deck code play in practice: the room deals exactly those
/// cards; the bot may get one of your decks for a playtest.
#[tokio::test]
async fn a_saved_deck_or_a_code_is_what_the_match_deals() {
    for kind in [DbKind::Sqlite, DbKind::Postgres] {
        let stack = Stack::stack(kind, fast_lobby, |_| {}).await;
        let ada = stack.player("ada").await;
        let mut cards = lines("dusk_starter");
        // Not a starter deck: one card swapped for a neutral one.
        cards[0] = json!({"card": "stone_sentinel", "count": cards[0]["count"]});
        let (status, saved) = ada
            .post(
                "/v1/lobby/decks",
                json!({"name": "My dusk", "cards": cards}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{saved}");
        let id = saved["id"].as_str().expect("an id");
        let code = saved["code"].as_str().expect("a code");
        let mut expected: Vec<String> = cards
            .as_array()
            .expect("lines")
            .iter()
            .flat_map(|l| {
                std::iter::repeat_n(
                    l["card"].as_str().unwrap_or_default().to_owned(),
                    l["count"].as_u64().unwrap_or(0) as usize,
                )
            })
            .collect();
        expected.sort();

        // Ada plays her saved deck by its id; Cyd plays its code, and gives it to the bot.
        let cyd = stack.player("cyd").await;
        for (player, body, bot_too) in [
            (&ada, json!({"deck": id}), false),
            (&cyd, json!({"deck": code, "bot_deck": code}), true),
        ] {
            let (status, started) = player.post("/v1/lobby/practice", body).await;
            assert_eq!(status, StatusCode::CREATED, "{started}");
            let room_id = started["match"]["room_id"].as_str().expect("a match");
            let record = stack
                .game()
                .store()
                .load_room(room_id)
                .await
                .expect("loads")
                .expect("stored")
                .record;
            let mut dealt = record.setup.seats[0].deck.clone();
            dealt.sort();
            assert_eq!(dealt, expected);
            let mut bots = record.setup.seats[1].deck.clone();
            bots.sort();
            assert_eq!(bots == expected, bot_too, "the bot's deck");
        }
        // Another player cannot play ada's deck by its id.
        let bea = stack.player("bea").await;
        let (status, refused) = bea.post("/v1/lobby/queue", json!({"deck": id})).await;
        assert_eq!(
            (status, error_code(&refused)),
            (StatusCode::UNPROCESSABLE_ENTITY, "unknown_deck"),
            "{refused}"
        );
    }
}

/// A content update that makes a saved deck illegal (a card it holds is retired): the deck
/// says so, with the reason; choosing it is refused with that reason; and a player queued
/// with it leaves the queue at the next matchmaking round instead of being paired into a
/// match that cannot start.
#[tokio::test]
async fn a_content_update_marks_a_saved_deck_illegal_and_the_queue_lets_its_player_go() {
    const OWL: &str = "\n[[card]]\nid = \"retired_owl\"\nname = \"Retired Owl\"\nfaction = \"neutral\"\nkind = \"unit\"\ncost = 2\nattack = 2\nhealth = 2\ntext = \"\"\n";
    let content = tempfile::tempdir().expect("a directory");
    copy_dir(&content_dir(), content.path());
    let neutral = content.path().join("cards/neutral.toml");
    let shipped = std::fs::read_to_string(&neutral).expect("neutral.toml");
    std::fs::write(&neutral, format!("{shipped}{OWL}")).expect("written");
    let dir = content.path().to_owned();
    let stack = spawn_app(StoreKind::Embedded(DbKind::Sqlite), Roles::ALL, |config| {
        config.shared.content_dir = dir;
        fast_lobby(&mut config.lobby);
        // Matchmaking rounds are run by the test.
        config.lobby.match_interval = std::time::Duration::from_secs(3600);
    })
    .await;
    let ada = stack.player("ada").await;
    let mut cards = lines("dusk_starter");
    cards[0] = json!({"card": "retired_owl", "count": cards[0]["count"]});
    let (status, saved) = ada
        .post("/v1/lobby/decks", json!({"name": "Owls", "cards": cards}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let id = saved["id"].as_str().expect("an id").to_owned();
    ada.enqueue(&id).await;

    std::fs::write(&neutral, shipped).expect("the owl retired");
    stack.game().content().reload().expect("the edit loads");

    let (_, listed) = ada.get("/v1/lobby/decks").await;
    let deck = &listed["decks"][0];
    assert_eq!(deck["legal"], false, "{deck}");
    assert!(
        deck["problem"]
            .as_str()
            .is_some_and(|p| p.contains("`retired_owl`")),
        "{deck}"
    );

    stack.lobby().match_round().await.expect("a round");
    let (_, status) = ada.get("/v1/lobby/status").await;
    assert_eq!(status["state"], "idle", "out of the queue: {status}");
    let (status, refused) = ada.post("/v1/lobby/queue", json!({"deck": id})).await;
    assert_eq!(
        (status, error_code(&refused)),
        (StatusCode::UNPROCESSABLE_ENTITY, "illegal_deck"),
        "{refused}"
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("`retired_owl`")),
        "{refused}"
    );
}
