//! The playground's page, assets and configuration, as the lobby's listener serves them
//! (its browser tests are `tests/playground.rs`).

use reqwest::{StatusCode, header};
use serde_json::Value;

use crate::support::{TestApp as Stack, fast_lobby};

#[tokio::test]
async fn the_playground_is_served_and_told_where_auth_is() {
    let stack = Stack::stack(moonlight_testkit::DbKind::Sqlite, fast_lobby, |_| {}).await;
    let lobby = stack.lobby_url();
    let page = reqwest::get(format!("{lobby}/")).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    for asset in ["/assets/app.js", "/assets/app.css"] {
        assert!(html.contains(asset), "the page loads {asset}");
        let answer = reqwest::get(format!("{lobby}{asset}")).await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{asset}");
        assert!(!answer.bytes().await.unwrap().is_empty(), "{asset}");
    }
    let config: Value = reqwest::get(format!("{lobby}/playground/config.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["lobbyUrl"], lobby.as_str());
    assert_eq!(config["authUrl"], stack.url("").trim_end_matches('/'));
    // What is not there is a JSON 404, as everywhere.
    let missing = reqwest::get(format!("{lobby}/assets/other.js"))
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}
