//! The socket protocol's edges: resuming, retries, bad frames, slow readers, refusals at
//! the upgrade, takeovers, timers and spectators. Real sockets, embedded SQLite store.

use std::time::Duration;

use futures_util::SinkExt;
use moonlight_engine::Level;
use moonlight_game_server::close;
use moonlight_proto::v1::{self as pb, client_frame, server_frame::Body};
use moonlight_rooms::ticket::{self, TicketExtra};
use moonlight_testkit::DbKind;
use prost::Message as _;

use crate::support::{Client, Frozen, PATIENCE, Started, StoreKind, TestApp, advance, start_match};

const PLAYERS: [&str; 2] = ["player-a", "player-b"];
use tokio_tungstenite::tungstenite::{self, Message};

async fn node() -> TestApp {
    TestApp::node(StoreKind::Embedded(DbKind::Sqlite), |_| {}).await
}

/// Reads frames until an update with `seq`, returning it.
async fn update(client: &mut Client, seq: u64) -> pb::Update {
    loop {
        match client.next().await.expect("socket open") {
            Body::Update(update) if update.seq == seq => return update,
            Body::Update(update) => assert!(update.seq < seq, "skipped past {seq}: {}", update.seq),
            _ => {}
        }
    }
}

fn end_turn() -> pb::action::Kind {
    pb::action::Kind::EndTurn(pb::EndTurn {})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_after_a_drop_gets_exactly_the_missed_updates() {
    let node = node().await;
    node.create_room("r", 1).await;
    let Started {
        mut clients,
        active,
        seq,
        ..
    } = start_match(&node, "r").await;
    let idle = 1 - active;
    // The idle seat drops; the other ends its turn meanwhile (the turn passes to the
    // dropped seat).
    clients[idle].ws().close(None).await.unwrap();
    clients[active].act(end_turn()).await;
    update(&mut clients[active], seq + 1).await;
    let mut back =
        Client::connect(&node.play_url(&node.ticket("r", PLAYERS[idle], Some(idle as u8)))).await;
    back.send(client_frame::Body::Resume(pb::Resume {
        protocol_version: 1,
        last_seq: seq,
        view_deltas: false,
    }))
    .await;
    let missed = update(&mut back, seq + 1).await;
    assert!(
        missed.view.is_some(),
        "the last missed update carries the current view"
    );
    assert!(
        !missed.legal_actions.is_empty(),
        "it is the resumed seat's turn"
    );
    // Nothing further was missed, so the next frame is the next live change.
    back.next_client_seq = 2; // its mulligan was client action 1
    let client_seq = back.act(end_turn()).await;
    assert_eq!(
        update(&mut back, seq + 2).await.acked_client_seq,
        Some(client_seq)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_too_far_behind_gets_a_full_view() {
    let node = TestApp::node(StoreKind::Embedded(DbKind::Sqlite), |c| {
        c.recent_updates = 1
    })
    .await;
    node.create_room("r", 1).await;
    let Started {
        mut clients,
        active,
        seq,
        ..
    } = start_match(&node, "r").await;
    for i in 0..3u64 {
        let turn = (active + i as usize) % 2;
        clients[turn].act(end_turn()).await;
        update(&mut clients[turn], seq + i + 1).await;
        update(&mut clients[1 - turn], seq + i + 1).await;
    }
    let mut back = Client::connect(&node.play_url(&node.ticket("r", "player-a", Some(0)))).await;
    back.send(client_frame::Body::Resume(pb::Resume {
        protocol_version: 1,
        last_seq: 0,
        view_deltas: false,
    }))
    .await;
    let welcome = back.welcome().await;
    assert_eq!(welcome.seq, seq + 3);
}

/// A resume at every depth from 0 to past the updates a room keeps: it gets every update it
/// missed (the last with the current view) or a welcome, never a part. The room keeps more
/// updates than a client's queue holds, as the defaults once did, so the depths in between
/// (kept, but too many to queue at once) are tested too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_is_complete_or_a_welcome_at_every_depth() {
    let node = TestApp::node(StoreKind::Embedded(DbKind::Sqlite), |c| {
        c.outbound_queue = 16;
        c.recent_updates = 32;
    })
    .await;
    let queue = node.game().config().outbound_queue as u64;
    let kept = node.game().config().recent_updates as u64;
    node.create_room("r", 1).await;
    let Started {
        mut clients,
        active,
        seq: start,
        ..
    } = start_match(&node, "r").await;
    // Turns end back and forth (nobody plays a card): past the updates the room keeps.
    let last = start + kept + 6;
    for seq in start + 1..=last {
        let turn = (active + (seq - start - 1) as usize) % 2;
        clients[turn].act(end_turn()).await;
        update(&mut clients[turn], seq).await;
        update(&mut clients[1 - turn], seq).await;
    }
    let seat = 1 - active;
    for depth in 0..=kept + 6 {
        let mut back =
            Client::connect(&node.play_url(&node.ticket("r", PLAYERS[seat], Some(seat as u8))))
                .await;
        back.resume(last - depth).await;
        // An emote goes through the room after the resume: whatever the resume sends
        // comes before its echo.
        back.send(client_frame::Body::Emote(pb::Emote {
            emote: "depth".into(),
        }))
        .await;
        let mut got = Vec::new();
        loop {
            match back.next().await.expect("socket open") {
                Body::Emoted(_) => break,
                frame => got.push(frame),
            }
        }
        match got.as_slice() {
            [Body::Welcome(welcome)] => {
                assert!(
                    depth * 2 > queue,
                    "depth {depth}: a welcome, yet it would fit"
                );
                assert_eq!(welcome.seq, last);
            }
            updates => {
                assert!(
                    depth * 2 <= queue,
                    "depth {depth}: updates, yet they fill the queue"
                );
                let seqs: Vec<u64> = updates
                    .iter()
                    .map(|frame| match frame {
                        Body::Update(update) => update.seq,
                        other => panic!("depth {depth}: {other:?}"),
                    })
                    .collect();
                let expected: Vec<u64> = if depth == 0 {
                    vec![last]
                } else {
                    (last - depth + 1..=last).collect()
                };
                assert_eq!(
                    seqs, expected,
                    "depth {depth}: every missed update, in order"
                );
                let Some(Body::Update(final_update)) = updates.last() else {
                    unreachable!()
                };
                assert!(
                    final_update.view.is_some(),
                    "depth {depth}: the current view"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_retried_after_a_reconnect_is_applied_once() {
    let node = node().await;
    node.create_room("r", 1).await;
    let Started {
        mut clients,
        active,
        seq,
        ..
    } = start_match(&node, "r").await;
    let first = active as u8;
    let player = PLAYERS[active];
    let active = &mut clients[active];
    let client_seq = active.act(end_turn()).await;
    let applied = update(active, seq + 1).await;
    assert_eq!(applied.acked_client_seq, Some(client_seq));
    // The client never saw the ack (say), reconnects and sends the same action again.
    let mut again = Client::connect(&node.play_url(&node.ticket("r", player, Some(first)))).await;
    again.hello().await;
    let welcome = again.welcome().await;
    assert_eq!(welcome.last_client_seq, client_seq);
    again
        .send(client_frame::Body::Action(pb::Action {
            client_seq,
            kind: Some(end_turn()),
        }))
        .await;
    let ack = loop {
        if let Body::Update(update) = again.next().await.unwrap() {
            break update;
        }
    };
    assert_eq!(ack.acked_client_seq, Some(client_seq));
    assert_eq!(
        ack.seq,
        seq + 1,
        "acknowledged again, applied no second time"
    );
    assert!(ack.events.is_empty());
    let stored = node.game().store().load_room("r").await.unwrap().unwrap();
    let snapshot_seq = stored.snapshot.map_or(0, |(seq, _)| seq);
    assert_eq!(
        snapshot_seq + stored.log.len() as u64,
        seq + 1,
        "one input after the mulligans"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_are_refused_and_the_match_goes_on() {
    let node = node().await;
    node.create_room("r", 1).await;
    let Started {
        mut clients,
        active,
        seq,
        ..
    } = start_match(&node, "r").await;
    let [a, b] = &mut clients;
    let (active, waiting) = if active == 0 { (a, b) } else { (b, a) };

    // Out of turn: a typed rejection, nothing applied.
    let client_seq = waiting.act(end_turn()).await;
    match waiting.next().await.unwrap() {
        Body::ActionRejected(rejected) => {
            assert_eq!(rejected.client_seq, client_seq);
            assert_eq!(rejected.reason, "not_your_turn");
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    // Garbage bytes, a text frame, an empty envelope: error frames.
    for (frame, code) in [
        (
            Message::Binary(vec![0xff, 0xff, 0xff].into()),
            "malformed_frame",
        ),
        (Message::Text("hello".into()), "binary_only"),
        (
            Message::Binary(pb::ClientFrame { body: None }.encode_to_vec().into()),
            "malformed_frame",
        ),
        (
            Message::Binary(
                pb::ClientFrame {
                    body: Some(client_frame::Body::Action(pb::Action {
                        client_seq: 9,
                        kind: None,
                    })),
                }
                .encode_to_vec()
                .into(),
            ),
            "malformed_action",
        ),
    ] {
        waiting.ws().send(frame).await.unwrap();
        match waiting.next().await.unwrap() {
            Body::Error(error) => assert_eq!(error.code, code),
            Body::ActionRejected(rejected) => assert_eq!(rejected.reason, code),
            other => panic!("expected an error, got {other:?}"),
        }
    }
    // The room is unaffected: the active seat still plays.
    active.act(end_turn()).await;
    assert!(!update(active, seq + 1).await.events.is_empty());
    update(waiting, seq + 1).await;

    // An oversized frame closes that socket with 1009; the room plays on without it.
    let limit = node.game().config().max_frame_bytes;
    let _ = waiting
        .ws()
        .send(Message::Binary(vec![0u8; limit + 1].into()))
        .await;
    assert_eq!(waiting.close_code().await, Some(close::TOO_BIG));
    active
        .send(client_frame::Body::Concede(pb::Concede {
            client_seq: active.next_client_seq,
        }))
        .await;
    assert!(
        update(active, seq + 2)
            .await
            .events
            .iter()
            .any(|e| matches!(e.kind, Some(pb::event::Kind::Conceded(_))))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_dropped_without_delaying_the_other() {
    let node = TestApp::node(StoreKind::Embedded(DbKind::Sqlite), |c| {
        c.outbound_queue = 8;
        c.socket_send_buffer = Some(4096);
    })
    .await;
    node.create_room("r", 1).await;
    let (mut a, _) = node.join("r", 0).await;
    let mut stuck =
        Client::connect_with_small_buffer(&node.play_url(&node.ticket("r", "player-b", Some(1))))
            .await;
    stuck.hello().await;
    stuck.welcome().await;
    // From here on `stuck` reads nothing. Seat 0's emotes go to both seats; seat 0 reads
    // each echo at once, so every one of its waits is bounded and none may stall.
    for _ in 0..5_000 {
        a.send(client_frame::Body::Emote(pb::Emote {
            emote: "greetings".into(),
        }))
        .await;
        loop {
            if let Body::Emoted(_) = a.next().await.expect("seat 0 keeps its socket") {
                break;
            }
        }
    }
    let dropped = tokio::time::timeout(PATIENCE, async {
        loop {
            match tokio_stream_next(&mut stuck).await {
                Some(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Some(_) => {}
                None => return None,
            }
        }
    })
    .await
    .expect("the stuck client's socket ends");
    assert_eq!(dropped, Some(close::POLICY));
}

async fn tokio_stream_next(client: &mut Client) -> Option<Message> {
    use futures_util::StreamExt;
    client.ws().next().await.and_then(Result::ok)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tickets_and_origins_are_refused_at_the_upgrade() {
    let node = TestApp::node(StoreKind::Embedded(DbKind::Sqlite), |c| {
        c.allowed_origins = vec!["https://play.moonlight.example".to_owned()];
    })
    .await;
    node.create_room("r", 1).await;
    let status_of = |url: String, origin: Option<&'static str>| async move {
        let mut request = tungstenite::client::IntoClientRequest::into_client_request(url).unwrap();
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", origin.parse().unwrap());
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok(_) => 101,
            Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
            Err(other) => panic!("unexpected error {other}"),
        }
    };
    let good = node.ticket("r", "player-a", Some(0));
    let expired = moonlight_auth::TokenIssuer::issue(
        &node.issuer,
        "player-a",
        moonlight_auth::TokenType::RoomTicket,
        moonlight_common::time::unix_now() - 3_600,
        Duration::from_secs(60),
        TicketExtra {
            room: "r".into(),
            seat: Some(0),
            node: "node-1".into(),
            name: "x".into(),
            full_view: false,
        },
    )
    .unwrap();
    let other_node = ticket::mint(
        &node.issuer,
        "player-a",
        TicketExtra {
            room: "r".into(),
            seat: Some(0),
            node: "node-9".into(),
            name: "x".into(),
            full_view: false,
        },
        moonlight_common::time::unix_now(),
    )
    .unwrap();
    let access_token = node
        .issuer
        .issue(
            "player-a",
            moonlight_auth::TokenType::Access,
            moonlight_common::time::unix_now(),
            Duration::from_secs(60),
            moonlight_auth::AccessExtra::player("x"),
        )
        .unwrap();
    let base = format!("ws://{}/v1/play", node.game_addr());
    assert_eq!(status_of(base.clone(), None).await, 401, "no ticket");
    assert_eq!(
        status_of(format!("{base}?ticket=garbage"), None).await,
        401,
        "bad ticket"
    );
    assert_eq!(
        status_of(format!("{base}?ticket={expired}"), None).await,
        401,
        "expired"
    );
    assert_eq!(
        status_of(format!("{base}?ticket={access_token}"), None).await,
        401,
        "an access token is no ticket"
    );
    assert_eq!(
        status_of(format!("{base}?ticket={other_node}"), None).await,
        403,
        "another node's ticket"
    );
    let unknown_room = node.ticket("nope", "player-a", Some(0));
    assert_eq!(
        status_of(format!("{base}?ticket={unknown_room}"), None).await,
        404,
        "unknown room"
    );
    assert_eq!(
        status_of(
            format!("{base}?ticket={good}"),
            Some("https://evil.example")
        )
        .await,
        403,
        "bad origin"
    );
    assert_eq!(
        status_of(
            format!("{base}?ticket={good}"),
            Some("https://play.moonlight.example")
        )
        .await,
        101
    );
    assert_eq!(
        status_of(format!("{base}?ticket={good}"), None).await,
        101,
        "non-browser clients send no origin"
    );
    // None of the refused attempts opened a room beyond the one that exists.
    assert_eq!(node.game().room_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_for_someone_elses_seat_is_closed() {
    let node = node().await;
    node.create_room("r", 1).await;
    let mut impostor =
        Client::connect(&node.play_url(&node.ticket("r", "player-b", Some(0)))).await;
    impostor.hello().await;
    assert!(matches!(impostor.next().await, Some(Body::Error(e)) if e.code == "wrong_seat"));
    assert_eq!(impostor.close_code().await, Some(close::WRONG_SEAT));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_ticket_takes_a_practice_bots_seat() {
    let node = node().await;
    node.create_practice_room("r", 1, Level::Easy).await;
    let mut impostor =
        Client::connect(&node.play_url(&node.ticket("r", "bot:Moonbot", Some(1)))).await;
    impostor.hello().await;
    assert!(matches!(impostor.next().await, Some(Body::Error(e)) if e.code == "wrong_seat"));
    assert_eq!(impostor.close_code().await, Some(close::WRONG_SEAT));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_socket_for_a_seat_takes_over() {
    let node = node().await;
    node.create_room("r", 1).await;
    let (mut first, _) = node.join("r", 0).await;
    let (_second, welcome) = node.join("r", 0).await;
    assert_eq!(welcome.seat, Some(0));
    assert_eq!(first.close_code().await, Some(close::REPLACED));
}

/// Reads updates until one carries an event `matching` says yes to; returns that event.
async fn event(
    client: &mut Client,
    matching: impl Fn(&pb::event::Kind) -> bool,
) -> pb::event::Kind {
    loop {
        match client.next().await.expect("socket open") {
            Body::Update(update) => {
                if let Some(kind) = update
                    .events
                    .into_iter()
                    .filter_map(|e| e.kind)
                    .find(&matching)
                {
                    return kind;
                }
            }
            Body::GameOver(over) => panic!("game over first: {over:?}"),
            _ => {}
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_turn_timer_ends_turns_then_forfeits() {
    use pb::event::Kind;
    let _frozen = Frozen::hold();
    let node = TestApp::node(StoreKind::Embedded(DbKind::Sqlite), |c| {
        c.max_timeouts = 2;
        // The heartbeat is not under test: long enough not to drop the idle clients.
        c.heartbeat = Duration::from_secs(3600);
    })
    .await;
    let turn = node.game().config().turn_time;
    node.create_room("r", 1).await;
    let (mut a, _) = node.join("r", 0).await;
    let (_b, _) = node.join("r", 1).await;
    // Nobody acts. Each turn of the clock ends one turn. First the opening-hand choice
    // times out for both seats (they keep their hands; that is no missed turn) and play
    // starts.
    advance(turn).await;
    event(&mut a, |k| matches!(k, Kind::TurnStarted(_))).await;
    // The first player misses a turn, then the second.
    advance(turn).await;
    let Kind::TimedOut(first) = event(&mut a, |k| {
        matches!(k, Kind::TimedOut(_) | Kind::Forfeited(_))
    })
    .await
    else {
        panic!("a forfeit on the first missed turn");
    };
    advance(turn).await;
    let Kind::TimedOut(second) = event(&mut a, |k| {
        matches!(k, Kind::TimedOut(_) | Kind::Forfeited(_))
    })
    .await
    else {
        panic!("a forfeit on the other player's first missed turn");
    };
    assert_ne!(first.seat, second.seat);
    // The first player's second miss in a row forfeits the match.
    advance(turn).await;
    let forfeit = event(&mut a, |k| {
        matches!(k, Kind::TimedOut(_) | Kind::Forfeited(_))
    })
    .await;
    assert!(
        matches!(forfeit, Kind::Forfeited(f) if f.seat == first.seat),
        "{forfeit:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn every_view_tells_when_the_turn_ends() {
    let _frozen = Frozen::hold();
    let node = TestApp::node(StoreKind::Embedded(DbKind::Sqlite), |c| {
        c.heartbeat = Duration::from_secs(3600);
    })
    .await;
    let turn = node.game().config().turn_time;
    let ms = |d: Duration| Some(u32::try_from(d.as_millis()).unwrap());
    node.create_room("r", 1).await;
    let (mut a, welcome) = node.join("r", 0).await;
    let (mut b, _) = node.join("r", 1).await;
    // The opening-hand choice is timed like a turn, from the room's opening.
    assert_eq!(welcome.turn_ends_in_ms, ms(turn));
    let keep = || {
        pb::action::Kind::Mulligan(pb::Mulligan {
            replace: Vec::new(),
        })
    };
    advance(Duration::from_secs(10)).await;
    a.act(keep()).await;
    let kept = update(&mut a, welcome.seq + 1).await;
    assert_eq!(kept.turn_ends_in_ms, ms(turn - Duration::from_secs(10)));
    // The first turn starts with all its time.
    advance(Duration::from_secs(5)).await;
    b.act(keep()).await;
    let started = update(&mut a, welcome.seq + 2).await;
    assert_eq!(started.turn_ends_in_ms, ms(turn));
    // A resume (or a late welcome) counts from now.
    advance(Duration::from_secs(3)).await;
    let (_, again) = node.join("r", 1).await;
    assert_eq!(again.turn_ends_in_ms, ms(turn - Duration::from_secs(3)));
    // Over: no timer.
    a.send(client_frame::Body::Concede(pb::Concede { client_seq: 2 }))
        .await;
    let over = update(&mut a, welcome.seq + 3).await;
    assert_eq!(over.turn_ends_in_ms, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spectators_watch_the_public_view_and_cannot_act() {
    let node = node().await;
    node.create_room("r", 1).await;
    let Started {
        mut clients,
        active,
        seq,
        ..
    } = start_match(&node, "r").await;
    let mut spectator = Client::connect(&node.play_url(&node.ticket("r", "watcher", None))).await;
    spectator.hello().await;
    let seen = spectator.welcome().await;
    assert_eq!(seen.seat, None);
    let view = seen.view.unwrap();
    assert!(view.hand.is_empty(), "spectators see no hand");
    assert!(seen.legal_actions.is_empty());
    spectator.act(end_turn()).await;
    assert!(matches!(spectator.next().await, Some(Body::Error(e)) if e.code == "spectator"));
    clients[active].act(end_turn()).await;
    let public = update(&mut spectator, seq + 1).await;
    for event in public.events {
        if let Some(pb::event::Kind::CardDrawn(drawn)) = event.kind {
            assert!(drawn.card.is_none(), "spectators never see drawn cards");
        }
    }
}

/// A client that asks for view deltas gets them in live updates, one that does not gets
/// whole views, and the deltas, applied, rebuild the whole views exactly, in fewer bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn view_deltas_go_only_to_clients_that_ask_and_rebuild_the_view() {
    let node = node().await;
    node.create_room("r", 3).await;
    let mut duel = node.duel("r").await;
    let url = node.play_url(&node.ticket("r", "watcher", None));
    let mut whole = Client::connect(&url).await;
    let mut deltas = Client::connect_with_deltas(&url).await;
    whole.hello().await;
    deltas.hello().await;
    let mut view = deltas.welcome().await.view.expect("a welcome is whole");
    assert_eq!(Some(&view), whole.welcome().await.view.as_ref());
    let (mut whole_bytes, mut delta_bytes) = (0, 0);
    for _ in 0..16 {
        assert!(duel.step().await, "the match goes on");
        let full = update(&mut whole, duel.seq).await;
        let changed = update(&mut deltas, duel.seq).await;
        assert!(full.delta.is_none(), "whole views unless asked");
        assert!(changed.view.is_none(), "a delta instead of the view");
        view.apply(&changed.delta.clone().expect("a delta"))
            .expect("it fits the view before");
        assert_eq!(Some(&view), full.view.as_ref(), "at {}", duel.seq);
        assert_eq!(changed.events, full.events);
        whole_bytes += full.encoded_len();
        delta_bytes += changed.encoded_len();
    }
    // Fewer bytes even this early, with empty graveyards (over whole matches they are well
    // under half: `room::views`'s test).
    assert!(
        delta_bytes < whole_bytes,
        "{delta_bytes} B of deltas against {whole_bytes} B of whole views"
    );
    // The seats took deltas too: a resume brings their whole views, which must be the ones
    // they built.
    let urls = ["player-a", "player-b"]
        .into_iter()
        .zip(0u8..)
        .map(|(player, seat)| node.play_url(&node.ticket("r", player, Some(seat))))
        .collect::<Vec<_>>();
    duel.resume([&urls[0], &urls[1]]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_frames_is_cut_off() {
    let node = TestApp::node(StoreKind::Embedded(DbKind::Sqlite), |c| {
        c.frames_per_second = 5.try_into().unwrap();
        c.frame_burst = 5.try_into().unwrap();
    })
    .await;
    node.create_room("r", 1).await;
    let (mut a, _) = node.join("r", 0).await;
    for nonce in 0..50 {
        if a.ws()
            .send(Message::Binary(
                pb::ClientFrame {
                    body: Some(client_frame::Body::Ping(pb::Ping { nonce })),
                }
                .encode_to_vec()
                .into(),
            ))
            .await
            .is_err()
        {
            break;
        }
    }
    let mut saw_rate_error = false;
    let code = loop {
        match tokio_stream_next(&mut a).await {
            Some(Message::Binary(bytes)) => {
                if let Some(Body::Error(e)) = pb::ServerFrame::decode(bytes.as_ref()).unwrap().body
                {
                    saw_rate_error |= e.code == "rate_limited";
                }
            }
            Some(Message::Close(frame)) => break frame.map(|f| u16::from(f.code)),
            Some(_) => {}
            None => break None,
        }
    };
    assert!(saw_rate_error);
    assert_eq!(code, Some(close::POLICY));
}

#[tokio::test(start_paused = true)]
async fn a_seat_that_does_not_come_back_in_time_forfeits() {
    let _frozen = Frozen::hold();
    let node = TestApp::node(StoreKind::Embedded(DbKind::Sqlite), |c| {
        // Neither the heartbeat nor the turn timer is under test.
        c.heartbeat = Duration::from_secs(3600);
        c.turn_time = Duration::from_secs(3600);
    })
    .await;
    let window = node.game().config().reconnect_window;
    node.create_room("r", 1).await;
    let Started { mut clients, .. } = start_match(&node, "r").await;
    let [stayed, left] = &mut clients;
    left.ws().close(None).await.unwrap();
    // The server's close comes after the room has been told the seat left.
    left.close_code().await;
    // Within the window the seat is held: an emote's round trip through the room shows
    // it still running, nobody forfeited.
    advance(window - Duration::from_secs(1)).await;
    stayed
        .send(client_frame::Body::Emote(pb::Emote {
            emote: "wait".into(),
        }))
        .await;
    match stayed.next().await.expect("socket open") {
        Body::Emoted(emoted) => assert_eq!(emoted.emote, "wait"),
        other => panic!("expected the emote back, got {other:?}"),
    }
    advance(Duration::from_secs(1)).await;
    loop {
        match stayed.next().await.expect("socket open") {
            Body::Update(update) => {
                let forfeited = update.events.iter().find_map(|e| match &e.kind {
                    Some(pb::event::Kind::Forfeited(f)) => Some(f.seat),
                    _ => None,
                });
                if let Some(seat) = forfeited {
                    assert_eq!(seat, 1, "the seat that left forfeits");
                }
            }
            Body::GameOver(over) => {
                let outcome = over.outcome.expect("an outcome");
                assert_eq!(outcome.winners, [0], "the seat that stayed wins");
                return;
            }
            _ => {}
        }
    }
}

/// Refused at the upgrade, over HTTP, with the JSON error body (no socket opened).
async fn refused(url: &str) -> (u16, String) {
    match tokio_tungstenite::connect_async(url).await {
        Ok(_) => panic!("a socket opened past the node's limit"),
        Err(tungstenite::Error::Http(response)) => {
            let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default());
            (response.status().as_u16(), body.into_owned())
        }
        Err(other) => panic!("unexpected error {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_limits_on_rooms_and_connections_are_answered_503() {
    let node = TestApp::node(StoreKind::Embedded(DbKind::Sqlite), |c| {
        c.max_rooms = 1;
        c.max_connections = 2;
    })
    .await;
    node.create_room("first", 1).await;
    node.create_room("second", 2).await;
    let (_a, _) = node.join("first", 0).await;
    let (status, body) = refused(&node.play_url(&node.ticket("second", "player-a", Some(0)))).await;
    assert_eq!(status, 503);
    assert!(body.contains("node_full"), "{body}");

    let (_b, _) = node.join("first", 1).await;
    let (status, body) = refused(&node.play_url(&node.ticket("first", "spectator", None))).await;
    assert_eq!(status, 503);
    assert!(body.contains("node_full"), "{body}");
}

/// A client that reads but never answers the server's pings: a hand-rolled WebSocket (a
/// library client would answer them), which sends its hello and then only listens.
#[tokio::test(start_paused = true)]
async fn a_client_that_never_answers_pings_is_dropped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let _frozen = Frozen::hold();
    let node = TestApp::node(StoreKind::Embedded(DbKind::Sqlite), |_| {}).await;
    let heartbeat = node.game().config().heartbeat;
    node.create_room("r", 1).await;
    let ticket = node.ticket("r", "player-a", Some(0));
    let mut socket = tokio::net::TcpStream::connect(node.game_addr())
        .await
        .unwrap();
    let request = format!(
        "GET /v1/play?ticket={ticket} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
        node.game_addr()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    while !response.ends_with(b"\r\n\r\n") {
        response.push(socket.read_u8().await.unwrap());
    }
    assert!(
        response.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&response)
    );
    // One masked binary frame (mask key 0, so the payload goes as is): the hello.
    let hello = pb::ClientFrame {
        body: Some(client_frame::Body::Hello(pb::Hello {
            protocol_version: 1,
            client_name: "silent".into(),
            view_deltas: false,
        })),
    }
    .encode_to_vec();
    let mut frame = vec![0x82, 0x80 | u8::try_from(hello.len()).unwrap(), 0, 0, 0, 0];
    frame.extend_from_slice(&hello);
    socket.write_all(&frame).await.unwrap();

    // Read frames (server frames are unmasked); count the pings. After the welcome (the
    // server has the connection), two heartbeats of silence pass, and a little more.
    let mut pings = 0;
    let mut silent = false;
    let close_code = loop {
        let head = [
            socket.read_u8().await.unwrap(),
            socket.read_u8().await.unwrap(),
        ];
        let len = match head[1] & 0x7f {
            126 => u64::from(socket.read_u16().await.unwrap()),
            127 => socket.read_u64().await.unwrap(),
            n => u64::from(n),
        };
        let mut payload = vec![0; usize::try_from(len).unwrap()];
        socket.read_exact(&mut payload).await.unwrap();
        match head[0] & 0x0f {
            0x2 if !silent => {
                silent = true;
                // Heartbeat by heartbeat (one long jump would look like a server pause,
                // which is not the client's silence).
                for _ in 0..3 {
                    advance(heartbeat).await;
                }
            }
            0x9 => pings += 1,
            0x8 => break u16::from_be_bytes([payload[0], payload[1]]),
            _ => {}
        }
    };
    assert_eq!(close_code, close::POLICY);
    assert!(pings >= 1, "pinged before being dropped");
}

/// A client the server keeps hearing from is alive: it is not pinged (each ping costs both
/// ends a frame), heartbeat after heartbeat.
#[tokio::test(start_paused = true)]
async fn a_client_that_talks_is_not_pinged() {
    use futures_util::StreamExt;

    let _frozen = Frozen::hold();
    let node = TestApp::node(StoreKind::Embedded(DbKind::Sqlite), |_| {}).await;
    let heartbeat = node.game().config().heartbeat;
    node.create_room("r", 1).await;
    let (mut a, _) = node.join("r", 0).await;
    let mut pings = 0;
    // A heartbeat and a half (the room's join deadline is two), an emote every quarter.
    for _ in 0..6 {
        advance(heartbeat / 4).await;
        a.send(client_frame::Body::Emote(pb::Emote {
            emote: "still_here".into(),
        }))
        .await;
        loop {
            match a.ws().next().await.expect("the client keeps its socket") {
                Ok(Message::Ping(_)) => pings += 1,
                Ok(Message::Binary(bytes)) => {
                    let frame = pb::ServerFrame::decode(bytes.as_ref()).unwrap();
                    if matches!(frame.body, Some(Body::Emoted(_))) {
                        break;
                    }
                }
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(pings, 0);
}

/// The node's OpenAPI document, like every service's: the play socket, with each refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_documents_its_socket() {
    let node = node().await;
    let document = crate::support::openapi(&format!("http://{}", node.game_addr())).await;
    let play = &document["paths"]["/v1/play"]["get"];
    let mut statuses: Vec<&str> = play["responses"]
        .as_object()
        .expect("responses")
        .keys()
        .map(String::as_str)
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, ["101", "400", "401", "403", "404", "410", "503"]);
    assert_eq!(play["parameters"][0]["name"], "ticket");
    assert!(document["components"]["schemas"]["ErrorBody"].is_object());
}

/// A server that was not running for a while (SIGSTOP, a starved machine) does not blame
/// its clients for the silence: their answers are still unread.
#[tokio::test(start_paused = true)]
async fn a_server_pause_is_not_the_clients_silence() {
    let _frozen = Frozen::hold();
    let node = TestApp::node(StoreKind::Embedded(DbKind::Sqlite), |_| {}).await;
    let heartbeat = node.game().config().heartbeat;
    node.create_room("r", 1).await;
    let (mut a, _) = node.join("r", 0).await;
    // Four heartbeats in one jump: no tick ran meanwhile, as in a stopped process.
    advance(heartbeat * 4).await;
    a.send(client_frame::Body::Emote(pb::Emote {
        emote: "still_here".into(),
    }))
    .await;
    loop {
        match a.next().await.expect("the client keeps its socket") {
            Body::Emoted(emoted) => {
                assert_eq!(emoted.emote, "still_here");
                break;
            }
            Body::Error(error) => panic!("{error:?}"),
            _ => {}
        }
    }
}
