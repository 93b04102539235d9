//! The ticket target: strings where a room ticket or an access token is expected.

use axum::{
    extract::FromRequestParts,
    http::{HeaderValue, Request, header},
};
use futures_util::FutureExt as _;
use moonlight_auth::{Authenticated, TokenType};
use moonlight_rooms::ticket;

use crate::{
    keys,
    node::{NODE_ID, node},
};

/// `data` (UTF-8; invalid sequences replaced) as a room ticket and as an access token,
/// verified with the fixed key's verifier:
///
/// - `ticket::verify` (what the node checks before an upgrade) and `verify_access`;
/// - the `Authenticated` extractor (the REST APIs) with `Authorization: Bearer <data>`,
///   which must agree with `verify_access`;
/// - the node's `GET /v1/play?ticket=<data, percent-encoded>`, which must refuse exactly
///   what `ticket::verify` refuses (`invalid_ticket`), a ticket for another node
///   (`wrong_node`), and otherwise get as far as wanting a WebSocket upgrade; and with
///   `data` as the whole query string, one of the documented refusals.
///
/// Nothing but a token the fixed key signed may pass.
pub fn ticket(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let verifier = keys::verifier();
    let room_ticket = ticket::verify(verifier, &text);
    let access = verifier.verify_access(&text);
    if let Ok(claims) = &room_ticket {
        assert_eq!(claims.typ, TokenType::RoomTicket);
        assert!(access.is_err(), "a token is for one purpose");
    }
    if let Ok(claims) = &access {
        assert_eq!(claims.typ, TokenType::Access);
    }

    if let Ok(value) = HeaderValue::from_str(&format!("Bearer {text}")) {
        let mut parts = Request::get("/")
            .body(())
            .expect("a request")
            .into_parts()
            .0;
        parts.headers.insert(header::AUTHORIZATION, value);
        let extracted = Authenticated::from_request_parts(&mut parts, verifier)
            .now_or_never()
            .expect("the extractor does not wait");
        assert_eq!(
            extracted.is_ok(),
            verifier.verify_access(text.trim()).is_ok(),
            "the extractor verifies what the header carries"
        );
    }

    let mut node = node();
    let expected = match &room_ticket {
        Ok(claims) if claims.extra.node == NODE_ID => (400, "not_a_websocket_upgrade"),
        Ok(_) => (403, "wrong_node"),
        Err(_) => (401, "invalid_ticket"),
    };
    let uri = format!("/v1/play?ticket={}", percent_encode(text.as_bytes()));
    let (status, code) = node.get(&uri).expect("an encoded query is a URI");
    assert_eq!(
        (status, code.as_str()),
        expected,
        "the node's answer to a ticket"
    );

    if let Some((status, code)) = node.get(&format!("/v1/play?{text}")) {
        let documented = [
            (400, "bad_request"),
            (400, "not_a_websocket_upgrade"),
            (401, "missing_ticket"),
            (401, "invalid_ticket"),
            (403, "wrong_node"),
        ];
        assert!(
            documented.contains(&(status, code.as_str())),
            "undocumented answer {status} {code} to the query {text:?}"
        );
    }
}

/// Every byte but the unreserved ones as `%XX`.
fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
