//! The auth service over real HTTP, against SQLite and PostgreSQL.

use std::time::Duration;

use crate::support::{TestApp, assert_error};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use moonlight_auth::{AccessExtra, TokenType};
use moonlight_common::time::unix_now;
use moonlight_testkit::{DbKind, db_tests};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

db_tests!(
    register_login_refresh_logout_and_me,
    duplicate_username_is_a_conflict,
    wrong_password_and_unknown_user_look_the_same,
    reused_refresh_token_revokes_the_family,
    bad_access_tokens_are_refused,
    stored_hash_is_argon2id_with_owasp_parameters,
    old_hashes_are_upgraded_at_login,
    bad_bodies_get_clear_4xx,
    rate_limit_answers_429_with_retry_after,
    repeated_failed_logins_back_off,
    full_hashing_queue_answers_503,
);

async fn register_login_refresh_logout_and_me(kind: DbKind) {
    let app = TestApp::auth(kind, |_| {}).await;
    let registered = app.registered("Luna").await;
    assert_eq!(registered["token_type"], "Bearer");
    assert_eq!(registered["expires_in"], 900);
    assert_eq!(registered["refresh_expires_in"], 30 * 24 * 3600);

    let me: Value = app
        .me(registered["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "Luna");
    assert_eq!(me["id"], registered["user_id"]);

    // Login is case-insensitive on the username and keeps the registered spelling.
    let response = app.login("luna", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let login: Value = response.json().await.unwrap();
    assert_eq!(login["username"], "Luna");

    let response = app.refresh(login["refresh_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let refreshed: Value = response.json().await.unwrap();
    assert_ne!(refreshed["refresh_token"], login["refresh_token"]);
    assert_eq!(
        app.me(refreshed["access_token"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );

    let new_refresh = refreshed["refresh_token"].as_str().unwrap();
    let response = app
        .post("/v1/auth/logout", json!({"refresh_token": new_refresh}))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_error(
        app.refresh(new_refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;

    // The first login (registration) is a separate family and still works.
    let first = registered["refresh_token"].as_str().unwrap();
    assert_eq!(app.refresh(first).await.status(), StatusCode::OK);
}

async fn duplicate_username_is_a_conflict(kind: DbKind) {
    let app = TestApp::auth(kind, |_| {}).await;
    app.registered("Selene").await;
    assert_error(
        app.register("selene", "another password").await,
        StatusCode::CONFLICT,
        "username_taken",
    )
    .await;
}

async fn wrong_password_and_unknown_user_look_the_same(kind: DbKind) {
    let app = TestApp::auth(kind, |_| {}).await;
    app.registered("Selene").await;
    let wrong = app.login("Selene", "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong: Value = wrong.json().await.unwrap();
    let unknown = app.login("Nobody", "not the password").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["error"]["code"], "invalid_credentials");
}

async fn reused_refresh_token_revokes_the_family(kind: DbKind) {
    let app = TestApp::auth(kind, |_| {}).await;
    let first = app.registered("Selene").await;
    let first = first["refresh_token"].as_str().unwrap();
    let second: Value = app.refresh(first).await.json().await.unwrap();
    let second = second["refresh_token"].as_str().unwrap();

    // The spent token comes back (stolen, or replayed): refused...
    assert_error(
        app.refresh(first).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    // ...and the legitimate newest token dies with its family.
    assert_error(
        app.refresh(second).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;

    let reason: Option<String> = sqlx::query_scalar("SELECT revoke_reason FROM refresh_families")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(reason.as_deref(), Some("reuse"));
}

/// Signs arbitrary claims with the service's own private key, to forge tokens that differ
/// from real ones in exactly one respect.
fn sign_with_service_key(app: &TestApp, claims: &Value) -> String {
    let path = std::fs::read_dir(&app.keys_dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let key = EncodingKey::from_ed_pem(&std::fs::read(path).unwrap()).unwrap();
    let jwks: Value = serde_json::to_value(app.issuer.jwks()).unwrap();
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(jwks["keys"][0]["kid"].as_str().unwrap().to_owned());
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

async fn bad_access_tokens_are_refused(kind: DbKind) {
    let app = TestApp::auth(kind, |_| {}).await;
    let tokens = app.registered("Selene").await;
    let access = tokens["access_token"].as_str().unwrap();
    let user_id = tokens["user_id"].as_str().unwrap();
    assert_eq!(app.me(access).await.status(), StatusCode::OK);

    let now = unix_now();
    let claims = |aud: &str, iss: &str, exp: i64, typ: &str| {
        json!({"sub": user_id, "iss": iss, "aud": aud, "exp": exp, "iat": now,
               "jti": "j", "typ": typ, "name": "Selene"})
    };
    // Control: the forging helper makes tokens the service accepts when nothing is wrong.
    let genuine = sign_with_service_key(
        &app,
        &claims("moonlight", "moonlight-auth", now + 60, "access"),
    );
    assert_eq!(app.me(&genuine).await.status(), StatusCode::OK);

    let mut forged = vec![
        (
            "expired",
            app.issuer
                .issue(
                    user_id,
                    TokenType::Access,
                    now - 3600,
                    Duration::from_secs(900),
                    AccessExtra::player("Selene"),
                )
                .unwrap(),
        ),
        (
            "wrong aud",
            sign_with_service_key(
                &app,
                &claims("another-game", "moonlight-auth", now + 60, "access"),
            ),
        ),
        (
            "wrong iss",
            sign_with_service_key(&app, &claims("moonlight", "evil-auth", now + 60, "access")),
        ),
        (
            "room ticket",
            sign_with_service_key(
                &app,
                &claims("moonlight", "moonlight-auth", now + 60, "room_ticket"),
            ),
        ),
        (
            "refresh token",
            tokens["refresh_token"].as_str().unwrap().to_owned(),
        ),
        ("garbage", "not.a.token".to_owned()),
    ];
    let payload = access.split('.').nth(1).unwrap();
    let signature = access.split('.').nth(2).unwrap();
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    forged.push(("alg none", format!("{none_header}.{payload}.")));
    let mut tampered: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    tampered["name"] = "Admin".into();
    let tampered = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&tampered).unwrap());
    forged.push((
        "tampered",
        format!(
            "{}.{tampered}.{signature}",
            access.split('.').next().unwrap()
        ),
    ));
    // HS256 "signed" with the public key, the classic algorithm-confusion attack.
    let jwks = serde_json::to_value(app.issuer.jwks()).unwrap();
    let public = URL_SAFE_NO_PAD
        .decode(jwks["keys"][0]["x"].as_str().unwrap())
        .unwrap();
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = jwks["keys"][0]["kid"].as_str().map(str::to_owned);
    let hs256 = jsonwebtoken::encode(
        &hs_header,
        &claims("moonlight", "moonlight-auth", now + 60, "access"),
        &EncodingKey::from_secret(&public),
    )
    .unwrap();
    forged.push(("hs256 with public key", hs256));

    for (what, token) in forged {
        let response = app.me(&token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Bearer",
            "{what}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthenticated", "{what}");
    }
    let no_header = app.client.get(app.url("/v1/auth/me")).send().await.unwrap();
    assert_error(no_header, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

async fn stored_hash_is_argon2id_with_owasp_parameters(kind: DbKind) {
    let app = TestApp::auth(kind, |_| {}).await;
    app.registered("Selene").await;
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(PASSWORD));
}

async fn old_hashes_are_upgraded_at_login(kind: DbKind) {
    use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version, password_hash::SaltString};
    let app = TestApp::auth(kind, |_| {}).await;
    app.registered("Selene").await;
    let weak = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(1024, 1, 1, None).unwrap(),
    )
    .hash_password(
        PASSWORD.as_bytes(),
        &SaltString::encode_b64(b"0123456789abcdef").unwrap(),
    )
    .unwrap()
    .to_string();
    sqlx::query("UPDATE users SET password_hash = $1")
        .bind(&weak)
        .execute(app.db.pool())
        .await
        .unwrap();

    assert_eq!(app.login("Selene", PASSWORD).await.status(), StatusCode::OK);
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    // And the upgraded hash still verifies.
    assert_eq!(app.login("Selene", PASSWORD).await.status(), StatusCode::OK);
}

async fn bad_bodies_get_clear_4xx(kind: DbKind) {
    let app = TestApp::auth(kind, |_| {}).await;
    let url = app.url("/v1/auth/register");
    let send = |body: Vec<u8>, content_type: &'static str| {
        app.client
            .post(&url)
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
    };
    assert_error(
        send(b"{\"username\": ".to_vec(), "application/json")
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "malformed_json",
    )
    .await;
    assert_error(
        send(
            b"username=luna".to_vec(),
            "application/x-www-form-urlencoded",
        )
        .await
        .unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let huge =
        serde_json::to_vec(&json!({"username": "luna", "password": "x".repeat(20_000)})).unwrap();
    assert_error(
        send(huge, "application/json").await.unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
    )
    .await;
    assert_error(
        app.post("/v1/auth/register", json!({"username": "luna"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    assert_error(
        app.post(
            "/v1/auth/register",
            json!({"username": "luna", "password": PASSWORD, "admin": true}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    let body = assert_error(
        app.register("x", PASSWORD).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("3 to 20"),
        "{body}"
    );
    assert_error(
        app.register("luna", "short").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_error(
        app.register("luna", &"x".repeat(129)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    )
    .await;
    assert_error(
        app.client
            .get(app.url("/v1/auth/nope"))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_error(
        app.client
            .get(app.url("/v1/auth/login"))
            .send()
            .await
            .unwrap(),
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;

    // None of that created anything.
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(users, 0);
}

async fn rate_limit_answers_429_with_retry_after(kind: DbKind) {
    let app = TestApp::auth(kind, |config| {
        config.rate_limit.burst = 3.try_into().unwrap();
        config.rate_limit.per_minute = 1.try_into().unwrap();
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.login("Nobody", PASSWORD).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let limited = app.login("Nobody", PASSWORD).await;
    let retry_after: u64 = limited.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_error(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // The limit covers registration and refresh too, but not reading one's profile.
    assert_eq!(
        app.register("Selene", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        app.refresh("whatever").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

async fn repeated_failed_logins_back_off(kind: DbKind) {
    // A generous per-IP limit, so only the per-account backoff is in play.
    let app = TestApp::auth(kind, |config| {
        config.rate_limit.burst = 100.try_into().unwrap()
    })
    .await;
    app.registered("Selene").await;
    for _ in 0..5 {
        assert_eq!(
            app.login("Selene", "wrong password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Locked now, even with the right password, and the answer says for how long.
    let locked = app.login("selene", PASSWORD).await;
    let retry_after: u64 = locked.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    assert_error(locked, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Unknown names back off the same way, so the lock reveals nothing.
    for _ in 0..5 {
        assert_eq!(
            app.login("Nobody", "wrong password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.login("Nobody", "wrong password").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn full_hashing_queue_answers_503(kind: DbKind) {
    let app = TestApp::auth(kind, |config| {
        config.hash_workers = 1;
        config.hash_queue = 0;
        config.rate_limit.burst = 100.try_into().unwrap();
    })
    .await;
    let mut attempts = tokio::task::JoinSet::new();
    for i in 0..12 {
        let (client, url) = (app.client.clone(), app.url("/v1/auth/register"));
        attempts.spawn(async move {
            let body = json!({"username": format!("player{i}"), "password": PASSWORD});
            client.post(url).json(&body).send().await.unwrap().status()
        });
    }
    let statuses = attempts.join_all().await;
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::SERVICE_UNAVAILABLE),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&StatusCode::SERVICE_UNAVAILABLE),
        "{statuses:?}"
    );
    assert!(statuses.contains(&StatusCode::CREATED), "{statuses:?}");
}
