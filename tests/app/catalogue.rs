//! What a browser client reads before it plays: the card catalogue (`GET /v1/content`,
//! cached by its version), CORS, and errors that name what exists.

use moonlight_testkit::DbKind;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use moonlight::Roles;

use crate::support::{
    StoreKind, TestApp as Stack, content_dir, fast_lobby, shipped_content, spawn_app,
};

async fn stack() -> Stack {
    Stack::stack(DbKind::Sqlite, fast_lobby, |_| {}).await
}

#[tokio::test]
async fn the_catalogue_has_every_card_and_deck_and_is_cached_by_version() {
    let stack = stack().await;
    let content = shipped_content();
    let http = reqwest::Client::new();
    let url = format!("{}/v1/content", stack.lobby_url());
    let answer = http.get(&url).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let etag = answer.headers()[header::ETAG].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", content.version()));
    let catalogue: Value = answer.json().await.unwrap();
    assert_eq!(catalogue["version"], content.version());
    assert_eq!(catalogue["rules"]["deck_size"], content.rules().deck_size);
    let cards = catalogue["cards"].as_array().unwrap();
    assert_eq!(cards.len(), content.cards().len());
    for (card, def) in cards.iter().zip(content.cards()) {
        assert_eq!(card["id"], def.id.as_str());
        assert_eq!(card["name"], def.name.as_str());
        assert_eq!(card["cost"], def.cost);
        assert_eq!(card["text"], def.text.as_str());
        assert_eq!(
            card["abilities"].as_array().map_or(0, Vec::len),
            def.abilities.len()
        );
    }
    let decks: Vec<&str> = catalogue["decks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    let shipped: Vec<&str> = content.decks().map(|d| d.id.as_str()).collect();
    assert_eq!(decks, shipped);

    // The same version again: 304 and no body; another version (or none): the catalogue.
    let again = http
        .get(&url)
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()[header::ETAG], etag.as_str());
    assert!(again.bytes().await.unwrap().is_empty());
    let stale = http
        .get(&url)
        .header(header::IF_NONE_MATCH, "\"an-old-version\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::OK);
    // A query string means nothing here, however long.
    let long = http
        .get(format!("{url}?{}", "x".repeat(6000)))
        .send()
        .await
        .unwrap();
    assert_eq!(long.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_lobby_document_describes_the_catalogue_with_the_content_types() {
    let stack = stack().await;
    let document = crate::support::openapi(&stack.lobby_url()).await;
    let body = &document["paths"]["/v1/content"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    assert_eq!(body["$ref"], "#/components/schemas/Catalogue", "{body}");
    let schemas = &document["components"]["schemas"];
    for name in [
        "Catalogue",
        "CardDef",
        "DeckDef",
        "RulesDef",
        "Ability",
        "Effect",
    ] {
        assert!(schemas[name].is_object(), "no schema {name}");
    }
    // Every reference in the document resolves.
    let text = document.to_string();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let path = &reference[..reference.find('"').unwrap()];
        let pointer = path.trim_start_matches('#');
        assert!(
            document.pointer(pointer).is_some(),
            "{path} does not resolve"
        );
    }
}

#[tokio::test]
async fn hostile_requests_to_the_catalogue_get_the_catalogue_or_a_clear_error() {
    let stack = stack().await;
    let http = reqwest::Client::new();
    let base = stack.lobby_url();
    let version = shipped_content().version().to_owned();
    let long = "x".repeat(6000);
    // Whatever the validator says, only the current version gets 304; a query is ignored.
    for tag in [
        "",
        "\"\"",
        "W/",
        ",,,",
        "\"not-a-version\", W/\"also-not\"",
        long.as_str(),
        &version[..version.len() - 1],
    ] {
        for path in ["/v1/content", "/v1/content?version=1&x=%00%ff"] {
            let answer = http
                .get(format!("{base}{path}"))
                .header(header::IF_NONE_MATCH, tag)
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), StatusCode::OK, "{tag:?} {path}");
            let catalogue: Value = answer.json().await.unwrap();
            assert_eq!(catalogue["version"], version.as_str());
        }
    }
    // A header that is not text at all.
    let answer = http
        .get(format!("{base}/v1/content"))
        .header(
            header::IF_NONE_MATCH,
            header::HeaderValue::from_bytes(b"\"\xff\xfe\"").unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    // Paths under the catalogue that do not exist are JSON 404s; other methods are refused.
    for path in [
        "/v1/content/cards",
        "/v1/content/status/extra",
        &format!("/v1/content/{long}"),
    ] {
        let answer = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{path}");
        let error: Value = answer.json().await.expect("a JSON error body");
        assert_eq!(error["error"]["code"], "not_found", "{path}");
    }
    for path in ["/v1/content", "/v1/content/status"] {
        let answer = http
            .post(format!("{base}{path}"))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
}

#[tokio::test]
async fn an_unknown_deck_is_refused_naming_the_decks_there_are() {
    let stack = stack().await;
    let luna = stack.player("luna").await;
    for (path, body) in [
        ("/v1/lobby/queue", json!({"deck": "no_such_deck"})),
        ("/v1/lobby/rooms", json!({"deck": "no_such_deck"})),
        ("/v1/lobby/practice", json!({"deck": "no_such_deck"})),
    ] {
        let (status, error) = luna.post(path, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {error}");
        assert_eq!(error["error"]["code"], "unknown_deck");
        let message = error["error"]["message"].as_str().unwrap();
        for deck in shipped_content().decks() {
            assert!(message.contains(&deck.id), "{path}: {message}");
        }
        assert!(message.contains("no_such_deck"), "{message}");
        assert!(message.contains("/v1/content"), "{message}");
    }
    let (_, status) = luna.get("/v1/lobby/status").await;
    assert_eq!(status["state"], "idle", "nothing changed: {status}");
}

#[tokio::test]
async fn a_page_on_another_origin_may_call_every_service() {
    let stack = stack().await;
    let http = reqwest::Client::new();
    for url in [
        stack.url("/v1/auth/login"),
        format!("{}/v1/lobby/queue", stack.lobby_url()),
    ] {
        let preflight = http
            .request(reqwest::Method::OPTIONS, &url)
            .header(header::ORIGIN, "http://playground.example")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "authorization, content-type",
            )
            .send()
            .await
            .unwrap();
        assert!(
            preflight.status().is_success(),
            "{url}: {}",
            preflight.status()
        );
        let allowed = preflight.headers();
        assert_eq!(allowed[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*", "{url}");
        let headers = allowed[header::ACCESS_CONTROL_ALLOW_HEADERS]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(headers.contains("authorization"), "{url}: {headers}");
    }
    let catalogue = http
        .get(format!("{}/v1/content", stack.lobby_url()))
        .header(header::ORIGIN, "http://playground.example")
        .send()
        .await
        .unwrap();
    let exposed = catalogue.headers()[header::ACCESS_CONTROL_EXPOSE_HEADERS]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("etag"), "{exposed}");
}

#[tokio::test]
async fn a_designer_sees_the_version_in_use_and_why_a_reload_was_refused() {
    let content = tempfile::tempdir().unwrap();
    moonlight_testkit::copy_dir(&content_dir(), content.path());
    let dir = content.path().to_owned();
    let stack = spawn_app(StoreKind::Embedded(DbKind::Sqlite), Roles::ALL, |config| {
        fast_lobby(&mut config.lobby);
        config.shared.content_dir = dir;
    })
    .await;
    let http = reqwest::Client::new();
    let status_url = format!("{}/v1/content/status", stack.lobby_url());
    let status = |http: reqwest::Client| {
        let url = status_url.clone();
        async move {
            let answer = http.get(&url).send().await.unwrap();
            assert_eq!(answer.status(), StatusCode::OK);
            assert_eq!(answer.headers()[header::CACHE_CONTROL], "no-store");
            answer.json::<Value>().await.unwrap()
        }
    };
    let store = stack.game().content();
    let first = store.current().version().to_owned();
    let before = status(http.clone()).await;
    assert_eq!(before["version"], first.as_str());
    assert!(before["refused"].is_null(), "{before}");

    // An edit that checks: the new version is in use, and nothing is refused.
    let rules = content.path().join("rules.toml");
    let good = std::fs::read_to_string(&rules).unwrap();
    std::fs::write(&rules, good.replace("hero_health = 30", "hero_health = 25")).unwrap();
    let second = store
        .reload()
        .expect("a valid edit")
        .expect("a new version");
    let after = status(http.clone()).await;
    assert_eq!(after["version"], second.as_str());
    assert!(after["refused"].is_null(), "{after}");

    // An edit that does not: the checker's messages, located; the version stays.
    std::fs::write(&rules, "[rules]\nhero_health = \"lots\"\n").unwrap();
    assert!(store.reload().is_err());
    let refused = status(http.clone()).await;
    assert_eq!(refused["version"], second.as_str());
    let errors = refused["refused"]["errors"].as_array().expect("errors");
    assert!(!errors.is_empty(), "{refused}");
    let first_error = &errors[0];
    assert!(
        first_error["file"]
            .as_str()
            .unwrap()
            .ends_with("rules.toml"),
        "{first_error}"
    );
    assert_eq!(first_error["line"], 2, "{first_error}");
    assert!(first_error["col"].as_u64().unwrap() >= 1, "{first_error}");
    assert!(!first_error["message"].as_str().unwrap().is_empty());
    assert!(refused["refused"]["at"].as_i64().unwrap() > 0);

    // Mended: the refusal is gone.
    std::fs::write(&rules, good).unwrap();
    store.reload().expect("mended");
    let mended = status(http).await;
    assert!(mended["refused"].is_null(), "{mended}");
    assert_eq!(mended["version"], first.as_str());
}
