//! The `moonlight` binary as an operator runs it: real processes, real sockets, signals.

use std::path::Path;

use moonlight_testkit::{DbKind, TestDatabase, copy_dir};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::process::Command;

use crate::support::{Role, start};

#[tokio::test]
async fn runs_on_embedded_defaults_and_keeps_its_keys_and_data() {
    let data = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let first = start(data.path(), Role::All, &[], &[]).await;
    let auth_url = first.url("auth").to_owned();
    assert!(auth_url.starts_with("http://127.0.0.1:"), "{auth_url}");
    let game_health = client
        .get(format!("{}/healthz", first.url("game-server")))
        .send()
        .await
        .unwrap();
    assert_eq!(game_health.status(), StatusCode::OK);
    let health = client
        .get(format!("{}/healthz", auth_url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let tokens: Value = client
        .post(format!("{}/v1/auth/register", auth_url))
        .json(&json!({"username": "luna", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    first.stop().await;
    assert!(data.path().join("moonlight.db").is_file());
    assert!(
        data.path().join("rooms.db").is_file(),
        "the embedded room store"
    );
    assert_eq!(
        std::fs::read_dir(data.path().join("keys")).unwrap().count(),
        1
    );

    // The operator makes the first admin on the same data directory.
    let admin = |name: &str| {
        Command::new(env!("CARGO_BIN_EXE_moonlight"))
            .args(["admin", "grant", name, "--data-dir"])
            .arg(data.path())
            .output()
    };
    let granted = admin("luna").await.unwrap();
    assert!(granted.status.success(), "{granted:?}");
    let said = String::from_utf8_lossy(&granted.stdout);
    assert!(said.contains("luna is now an admin"), "{said}");
    let unknown = admin("nobody").await.unwrap();
    assert_eq!(unknown.status.code(), Some(1));
    let said = String::from_utf8_lossy(&unknown.stderr);
    assert!(said.contains("no account named `nobody`"), "{said}");

    // A restart on the same data directory knows the account and the signing key.
    let second = start(data.path(), Role::Auth, &[], &[]).await;
    let me = client
        .get(format!("{}/v1/auth/me", second.url("auth")))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    second.stop().await;
}

#[tokio::test]
async fn the_auth_role_runs_against_postgresql() {
    let database = TestDatabase::new(DbKind::Postgres).await;
    let data = tempfile::tempdir().unwrap();
    let process = start(
        data.path(),
        Role::Auth,
        &["--log-format", "json"],
        &[("DATABASE_URL", &database.url)],
    )
    .await;
    let client = reqwest::Client::new();
    let ready = client
        .get(format!("{}/readyz", process.url("auth")))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let registered = client
        .post(format!("{}/v1/auth/register", process.url("auth")))
        .json(&json!({"username": "selene", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    process.stop().await;
    let db = moonlight_common::Database::connect(&database.url)
        .await
        .unwrap();
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(users, 1);
}

#[tokio::test]
async fn a_bad_database_url_is_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_moonlight"))
        .args(["auth", "--database-url", "mysql://nope", "--data-dir"])
        .arg(data.path())
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unsupported database URL"), "{stderr}");
}

#[tokio::test]
async fn a_game_server_refuses_to_start_without_usable_token_keys() {
    let data = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = data.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let missing = data
        .path()
        .join("missing.json")
        .to_str()
        .unwrap()
        .to_owned();
    let cases = [
        (missing, "reading the JWKS file"),
        (
            file("garbage.json", "{\"keys\": [1, 2"),
            "not a JWKS document",
        ),
        (file("empty.json", "{\"keys\": []}"), "no EdDSA key"),
        (
            file(
                "bad-key.json",
                r#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"!!!"}]}"#,
            ),
            "not a valid Ed25519 public key",
        ),
        (
            "http://127.0.0.1:1/jwks.json".to_owned(),
            "fetching the JWKS",
        ),
    ];
    for (source, expected) in cases {
        let output = Command::new(env!("CARGO_BIN_EXE_moonlight"))
            .args([
                "game-server",
                "--game-addr",
                "127.0.0.1:0",
                "--auth-jwks",
                &source,
            ])
            .arg("--content-dir")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("content"))
            .arg("--data-dir")
            .arg(data.path())
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{source}: started anyway");
        assert!(!stdout.contains("listening"), "{source}: {stdout}");
        assert!(stderr.contains(expected), "{source}: {stderr}");
    }
}

#[tokio::test]
async fn content_check_passes_on_the_shipped_content() {
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let output = Command::new(env!("CARGO_BIN_EXE_moonlight"))
        .args(["content", "check"])
        .arg(&content)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(!stdout.contains("error:"), "{stdout}");
}

#[tokio::test]
async fn content_check_reports_every_problem_with_its_place_and_exits_1() {
    let broken = tempfile::tempdir().unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    copy_dir(&shipped, broken.path());
    // Two mistakes in two files: a misspelt keyword and a deck naming a missing card.
    let cards = broken.path().join("cards/neutral.toml");
    let text = std::fs::read_to_string(&cards).unwrap();
    let keyword_line = text
        .lines()
        .position(|l| l.contains("\"guard\""))
        .expect("a guard card")
        + 1;
    std::fs::write(&cards, text.replacen("\"guard\"", "\"gaurd\"", 1)).unwrap();
    let deck = broken.path().join("decks/tide_starter.toml");
    let deck_text = std::fs::read_to_string(&deck).unwrap();
    std::fs::write(
        &deck,
        deck_text.replacen("\"tide_sprite\"", "\"no_such_card\"", 1),
    )
    .unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_moonlight"))
        .args(["content", "check"])
        .arg(broken.path())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("neutral.toml:{keyword_line}:")) && stdout.contains("gaurd"),
        "{stdout}"
    );
    assert!(
        stdout.contains("did you mean") || stdout.contains("guard"),
        "{stdout}"
    );
    assert!(
        stdout.contains("tide_starter.toml:") && stdout.contains("no_such_card"),
        "{stdout}"
    );
}

/// The first deck's win rate in the one pairing of a `content simulate` run on `dir`, and
/// the picture it drew.
async fn simulate(dir: &Path, out: &Path) -> (f64, String) {
    let json = out.join("report.json");
    let svg = out.join("report.svg");
    let output = Command::new(env!("CARGO_BIN_EXE_moonlight"))
        .args(["content", "simulate"])
        .arg(dir)
        .args([
            "--deck",
            "dusk_starter",
            "--deck",
            "tide_starter",
            "--games",
            "100",
        ])
        .arg("--json")
        .arg(&json)
        .arg("--plot")
        .arg(&svg)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("dusk_starter vs tide_starter"), "{stdout}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["games"], 100);
    let rate = report["pairings"][0]["first_win_rate"]["rate"]
        .as_f64()
        .unwrap();
    (rate, std::fs::read_to_string(&svg).unwrap())
}

/// A designer's edit shows in the next simulation, before anything is shipped: making one
/// Dusk unit absurdly strong makes Dusk win far more often.
#[tokio::test]
async fn content_simulate_plays_the_content_as_edited() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let out = tempfile::tempdir().unwrap();
    let (before, svg) = simulate(&shipped, out.path()).await;
    assert!(svg.starts_with("<svg"), "{svg}");

    let edited = tempfile::tempdir().unwrap();
    copy_dir(&shipped, edited.path());
    let cards = edited.path().join("cards/dusk.toml");
    let text = std::fs::read_to_string(&cards).unwrap();
    let bat = "name = \"Shade Bat\"\nfaction = \"dusk\"\nkind = \"unit\"\ncost = 1\nattack = 2\nhealth = 1";
    assert!(text.contains(bat), "the Shade Bat as shipped");
    let strong = bat.replace("attack = 2\nhealth = 1", "attack = 9\nhealth = 9");
    std::fs::write(&cards, text.replacen(bat, &strong, 1)).unwrap();
    let (after, _) = simulate(edited.path(), out.path()).await;
    assert!(
        after > before + 0.15,
        "Dusk won {before} before the edit and {after} after"
    );
}

#[tokio::test]
async fn content_simulate_refuses_broken_content_unknown_decks_and_levels() {
    let broken = tempfile::tempdir().unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    copy_dir(&shipped, broken.path());
    let cards = broken.path().join("cards/neutral.toml");
    let text = std::fs::read_to_string(&cards).unwrap();
    std::fs::write(&cards, text.replacen("\"guard\"", "\"gaurd\"", 1)).unwrap();
    let run = |dir: &Path, extra: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_moonlight"));
        command.args(["content", "simulate"]).arg(dir).args(extra);
        command.output()
    };
    let output = run(broken.path(), &[]).await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("neutral.toml:") && stdout.contains("gaurd"),
        "{stdout}"
    );

    let output = run(&shipped, &["--deck", "tide_starter", "--deck", "nope"])
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no deck `nope`") && stderr.contains("dusk_starter"),
        "{stderr}"
    );

    let output = run(&shipped, &["--bots", "expert"]).await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no bot level `expert`") && stderr.contains("easy, normal, hard"),
        "{stderr}"
    );
    for nonsense in [
        &["--games", "0"][..],
        &["--threads", "0"],
        &["--bots", "easy,easy,hard"],
    ] {
        let output = run(&shipped, nonsense).await.unwrap();
        assert_eq!(output.status.code(), Some(2), "{nonsense:?}: a usage error");
    }
}

#[tokio::test]
async fn the_server_refuses_to_start_on_broken_content() {
    let broken = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("content"),
        broken.path(),
    );
    let cards = broken.path().join("cards/neutral.toml");
    let text = std::fs::read_to_string(&cards).unwrap();
    std::fs::write(&cards, text.replacen("\"guard\"", "\"gaurd\"", 1)).unwrap();
    let data = tempfile::tempdir().unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_moonlight"))
        .args(["--auth-addr", "127.0.0.1:0", "--game-addr", "127.0.0.1:0"])
        .arg("--content-dir")
        .arg(broken.path())
        .arg("--data-dir")
        .arg(data.path())
        .env_remove("DATABASE_URL")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(!stdout.contains("listening"), "{stdout}");
    assert!(
        stderr.contains("neutral.toml:") && stderr.contains("gaurd"),
        "the checker's own message: {stderr}"
    );
}
