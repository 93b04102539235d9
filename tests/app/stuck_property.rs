//! The no-stuck invariant as a property: whatever random sequence of lobby calls, socket
//! connects and drops the players make, each of the lobby's states has an exit (leave the
//! queue, leave the room; a match ends by itself) and every player is free again within
//! the bound: the join window for a match someone never joined, the reconnect window for a
//! seat that dropped, and the results writer and settling after that.
//!
//! The model: a player is `idle`, `queued`, `in_room` or `in_match`. From `idle`: queue,
//! open a room, join one by code, practise. `queued` → cancel, or matched. `in_room` →
//! leave, or a guest joins (match). `in_match` → the match ends (played out, forfeited by
//! a seat that left, or void because nobody came) and is settled → `idle`.

use std::time::{Duration, Instant};

use futures_util::SinkExt;
use moonlight_common::time::unix_now_ms;
use moonlight_proto::v1 as pb;
use moonlight_testkit::DbKind;
use proptest::prelude::*;
use prost::Message as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Player, TestApp, fast_lobby, play_url};

const PLAYERS: usize = 3;
/// How long the test gives every player to be free once everyone has taken the exits.
const BOUND: Duration = Duration::from_secs(20);

#[derive(Debug, Clone)]
enum Op {
    Enqueue(usize),
    Cancel(usize),
    OpenRoom {
        host: usize,
        public: bool,
    },
    JoinRoom {
        guest: usize,
        host: usize,
    },
    LeaveRoom(usize),
    Practice(usize),
    /// Opens the player's game socket (if they have a match), says hello, and drops it.
    ConnectAndDrop(usize),
    Status(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let p = 0..PLAYERS;
    prop_oneof![
        p.clone().prop_map(Op::Enqueue),
        p.clone().prop_map(Op::Cancel),
        (p.clone(), any::<bool>()).prop_map(|(host, public)| Op::OpenRoom { host, public }),
        (p.clone(), p.clone()).prop_map(|(guest, host)| Op::JoinRoom { guest, host }),
        p.clone().prop_map(Op::LeaveRoom),
        p.clone().prop_map(Op::Practice),
        p.clone().prop_map(Op::ConnectAndDrop),
        p.prop_map(Op::Status),
    ]
}

#[test]
fn every_player_is_free_within_the_bound_whatever_they_did() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = ProptestConfig {
        cases: 32,
        // Each case is a whole deployment: shrinking a failure is slow but worth it.
        max_shrink_iters: 64,
        ..ProptestConfig::default()
    };
    proptest!(config, |(ops in proptest::collection::vec(op(), 1..14))| {
        runtime.block_on(run(ops));
    });
}

async fn run(ops: Vec<Op>) {
    let stack = TestApp::stack(
        DbKind::Sqlite,
        |lobby| {
            fast_lobby(lobby);
            lobby.join_window = Duration::from_secs(2);
            lobby.settle_interval = Duration::from_millis(100);
        },
        |game| game.reconnect_window = Duration::from_secs(1),
    )
    .await;
    let mut players = Vec::new();
    for n in 0..PLAYERS {
        players.push(stack.player(&format!("player{n}")).await);
    }
    for op in &ops {
        apply(&players, op).await;
    }
    // The exits a player takes: leave the queue, leave the room.
    for player in &players {
        let status = status(player).await;
        match status["state"].as_str() {
            Some("queued") => answered(player.delete("/v1/lobby/queue").await),
            Some("in_room") => answered(player.delete("/v1/lobby/rooms/current").await),
            _ => {}
        }
    }
    // Matches end by themselves; the lobby's sweep runs as time passes (here: at once at
    // a time past every join deadline, as a lobby process does when that time comes).
    let started = Instant::now();
    loop {
        let past = unix_now_ms() + 3_000;
        stack.lobby().void_unjoined(past).await.expect("voiding");
        let mut busy = None;
        for player in &players {
            let status = status(player).await;
            if status["state"] != "idle" {
                busy = Some((player, status));
                break;
            }
        }
        let Some((player, status)) = busy else { break };
        assert!(
            started.elapsed() < BOUND,
            "{} still {status} after {BOUND:?}; ops: {ops:?}",
            player.name
        );
        // Wait for a change of state, not for a time: the long-poll answers when it comes.
        let _ = player.get("/v1/lobby/status?wait=1").await;
    }
    for player in &players {
        let (code, body) = player
            .post("/v1/lobby/queue", json!({"deck": "dusk_starter"}))
            .await;
        assert_eq!(
            code,
            StatusCode::CREATED,
            "free to play again: {body}; ops: {ops:?}"
        );
    }
}

async fn apply(players: &[Player], op: &Op) {
    match *op {
        Op::Enqueue(p) => answered(
            players[p]
                .post("/v1/lobby/queue", json!({"deck": "dusk_starter"}))
                .await,
        ),
        Op::Cancel(p) => answered(players[p].delete("/v1/lobby/queue").await),
        Op::OpenRoom { host, public } => answered(
            players[host]
                .post(
                    "/v1/lobby/rooms",
                    json!({"deck": "tide_starter", "public": public}),
                )
                .await,
        ),
        Op::JoinRoom { guest, host } => {
            let hosting = status(&players[host]).await;
            let code = hosting["room"]["code"]
                .as_str()
                .unwrap_or("ZZZZZZ")
                .to_owned();
            answered(
                players[guest]
                    .post(
                        "/v1/lobby/rooms/join",
                        json!({"code": code, "deck": "dusk_starter"}),
                    )
                    .await,
            );
        }
        Op::LeaveRoom(p) => answered(players[p].delete("/v1/lobby/rooms/current").await),
        Op::Practice(p) => answered(
            players[p]
                .post("/v1/lobby/practice", json!({"deck": "dusk_starter"}))
                .await,
        ),
        Op::ConnectAndDrop(p) => {
            let status = status(&players[p]).await;
            if status["state"] == "in_match" {
                connect_and_drop(&play_url(&status["match"])).await;
            }
        }
        Op::Status(p) => {
            status(&players[p]).await;
        }
    }
}

/// A refusal is an answer (4xx with the standard body); a server error is a bug.
fn answered((code, body): (StatusCode, Value)) {
    assert!(!code.is_server_error(), "{code}: {body}");
    if !code.is_success() {
        assert!(body["error"]["code"].is_string(), "{code}: {body}");
    }
}

async fn status(player: &Player) -> Value {
    let (code, body) = player.get("/v1/lobby/status").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    body
}

/// Opens the socket, says hello, reads the first answer, and drops the connection without
/// a close handshake. A refusal (the match ended meanwhile) is fine.
async fn connect_and_drop(url: &str) {
    let Ok((mut socket, _)) = tokio_tungstenite::connect_async(url).await else {
        return;
    };
    let hello = pb::ClientFrame {
        body: Some(pb::client_frame::Body::Hello(pb::Hello {
            protocol_version: pb::ProtocolVersion::ProtocolVersion1.into(),
            client_name: "stuck-property".into(),
            view_deltas: false,
        })),
    };
    let _ = socket
        .send(Message::Binary(hello.encode_to_vec().into()))
        .await;
    let _ = futures_util::StreamExt::next(&mut socket).await;
}
