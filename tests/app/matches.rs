//! Whole matches over real WebSockets, on each room store.

use std::time::Duration;

use moonlight_client::policy::choose;
use moonlight_engine::{Action, EndReason, Game, Input, Level, Outcome, Seat, choose_action};
use moonlight_proto::v1::{self as pb, server_frame::Body};
use moonlight_rooms::{LogEntry, MatchResult, PlayerRecord};
use moonlight_testkit::DbKind;

use crate::support::{Frozen, JOIN_WINDOW, PATIENCE, StoreKind, TestApp, advance};

/// Plays a whole match between two clients; every frame is checked to hide the other
/// seat's cards.
async fn play_to_the_end(node: &TestApp, room: &str) {
    node.duel(room).await.finish().await;
}

async fn full_match_records_the_result_once(kind: StoreKind) {
    let node = TestApp::node(kind, |_| {}).await;
    node.create_room("room-1", 42).await;
    play_to_the_end(&node, "room-1").await;
    let mut recorded = node.game().results_progress();
    tokio::time::timeout(PATIENCE, recorded.wait_for(|p| p.recorded >= 1))
        .await
        .expect("recorded in time")
        .unwrap();

    let pool = node.db.pool();
    let results: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM match_results WHERE match_id = 'room-1'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(results, 1);
    let mut outcomes: Vec<String> =
        sqlx::query_scalar("SELECT result FROM match_players WHERE match_id = 'room-1'")
            .fetch_all(pool)
            .await
            .unwrap();
    outcomes.sort();
    assert!(
        outcomes == ["loss", "win"] || outcomes == ["draw", "draw"],
        "{outcomes:?}"
    );
    assert!(
        node.game()
            .store()
            .pending_results()
            .await
            .unwrap()
            .is_empty()
    );

    // The same match reaching the outbox again (a retry, or another node replaying it to
    // the end after a failover) is recorded no second time.
    let duplicate = MatchResult {
        match_id: "room-1".to_owned(),
        content_version: node.game().content().current().version().to_owned(),
        outcome: Outcome {
            winners: vec![Seat(0)],
            reason: EndReason::Concession,
        },
        teams: vec![0, 1],
        players: vec![
            PlayerRecord::human("player-a", "Luna"),
            PlayerRecord::human("player-b", "Sol"),
        ],
        turns: 1,
        started_at: 0,
        finished_at: 0,
    };
    node.game().store().push_result(&duplicate).await.unwrap();
    node.game().wake_results_writer();
    tokio::time::timeout(PATIENCE, recorded.wait_for(|p| p.recorded >= 2))
        .await
        .expect("processed in time")
        .unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM match_players")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(rows, 2);
    let mut again: Vec<String> =
        sqlx::query_scalar("SELECT result FROM match_players WHERE match_id = 'room-1'")
            .fetch_all(pool)
            .await
            .unwrap();
    again.sort();
    assert_eq!(again, outcomes, "the first recording stands");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_match_on_the_embedded_store_sqlite() {
    full_match_records_the_result_once(StoreKind::Embedded(DbKind::Sqlite)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_match_on_the_embedded_store_postgres() {
    full_match_records_the_result_once(StoreKind::Embedded(DbKind::Postgres)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_match_on_redis() {
    full_match_records_the_result_once(StoreKind::Redis).await;
}

/// The results outbox outlives a database outage: a match that ends while PostgreSQL
/// refuses connections is recorded, once, when it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_reached_while_the_database_is_down_is_recorded_once_it_is_back() {
    let node = TestApp::node(StoreKind::Redis, |_| {}).await;
    node.create_room("room-1", 42).await;
    let postgres = moonlight_testkit::postgres();
    let mut progress = node.game().results_progress();
    postgres.begin_outage(node.database_url()).await;

    play_to_the_end(&node, "room-1").await;
    tokio::time::timeout(PATIENCE, progress.wait_for(|p| p.failed_attempts >= 1))
        .await
        .expect("the writer tried while the database was down")
        .unwrap();
    assert_eq!(progress.borrow().recorded, 0);
    assert_eq!(
        node.game().store().pending_results().await.unwrap().len(),
        1
    );

    postgres.end_outage(node.database_url()).await;
    node.game().wake_results_writer(); // rather than wait out the retry backoff
    tokio::time::timeout(PATIENCE, progress.wait_for(|p| p.recorded >= 1))
        .await
        .expect("recorded once the database is back")
        .unwrap();
    let results: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM match_results WHERE match_id = 'room-1'")
            .fetch_one(node.db.pool())
            .await
            .unwrap();
    assert_eq!(results, 1);
    assert!(
        node.game()
            .store()
            .pending_results()
            .await
            .unwrap()
            .is_empty()
    );
}

/// Whether an event is a seat's own move (not a server input), and the seat if it says.
fn a_move(event: &pb::Event) -> Option<Option<u32>> {
    use pb::event::Kind;
    match event.kind.as_ref()? {
        Kind::CardPlayed(e) => Some(Some(e.seat)),
        Kind::SecretSet(e) => Some(Some(e.seat)),
        Kind::PowerUsed(e) => Some(Some(e.seat)),
        Kind::TurnEnded(e) => Some(Some(e.seat)),
        Kind::Mulligan(e) => Some(Some(e.seat)),
        Kind::Attacked(_) => Some(None),
        _ => None,
    }
}

/// A player (seat 0, the test's simple policy) against a practice bot (seat 1): the bot's
/// moves arrive while the player does nothing, the match ends, and its result is recorded
/// once, with the bot's seat. On a frozen clock: the bot thinks only when the clock moves.
#[tokio::test(start_paused = true)]
async fn a_player_plays_a_practice_bot_to_the_end() {
    plays_a_practice_bot_to_the_end(Level::Easy).await;
}

/// The same against the searching bot, whose search runs on the blocking pool.
#[tokio::test(start_paused = true)]
async fn a_player_plays_a_searching_practice_bot_to_the_end() {
    plays_a_practice_bot_to_the_end(Level::Normal).await;
}

async fn plays_a_practice_bot_to_the_end(level: Level) {
    let _frozen = Frozen::hold();
    let node = TestApp::node(StoreKind::Embedded(DbKind::Sqlite), |_| {}).await;
    let think = node.game().config().bot_think.1;
    node.create_practice_room("practice", 7, level).await;
    let (mut player, welcome) = node.join("practice", 0).await;
    assert!(welcome.players[1].connected, "a bot is always there");
    let mut view = welcome.view.expect("a welcome carries the view");
    let mut legal = welcome.legal_actions;
    let mut in_flight = None;
    let mut bot_turns = 0;
    let outcome = loop {
        if in_flight.is_none() {
            match choose(&view, &legal, 0) {
                Some(action) => in_flight = Some(player.act(action).await),
                // The bot's move: it comes once its think time is over.
                None => advance(think).await,
            }
        }
        match player.next_seen_by(0).await {
            Body::Update(update) => {
                if update.acked_client_seq.is_some() {
                    assert_eq!(update.acked_client_seq, in_flight);
                    in_flight = None;
                } else {
                    // Not ours: the bot moved. In play (past the opening hands, which both
                    // seats choose at once) it only moves while the player waits.
                    let moves: Vec<Option<u32>> = update.events.iter().filter_map(a_move).collect();
                    assert!(
                        !moves.is_empty() && moves.iter().flatten().all(|&seat| seat == 1),
                        "not a bot's move: {update:?}"
                    );
                    assert!(view.turn == 0 || in_flight.is_none());
                }
                for event in &update.events {
                    match &event.kind {
                        Some(pb::event::Kind::TurnEnded(e)) if e.seat == 1 => bot_turns += 1,
                        Some(pb::event::Kind::TimedOut(_)) => panic!("a turn timed out"),
                        _ => {}
                    }
                }
                view = update.view.expect("live updates carry the view");
                legal = update.legal_actions;
            }
            Body::GameOver(over) => break over.outcome.expect("an outcome"),
            Body::ActionRejected(rejected) => panic!("a legal action was refused: {rejected:?}"),
            _ => {}
        }
    };
    assert!(bot_turns >= 1, "the bot played its turns");
    assert_ne!(outcome.reason, "no_contest");

    let mut recorded = node.game().results_progress();
    tokio::time::timeout(PATIENCE, recorded.wait_for(|p| p.recorded >= 1))
        .await
        .expect("recorded in time")
        .unwrap();
    let pool = node.db.pool();
    let results: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM match_results WHERE match_id = 'practice'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(results, 1);
    let players: Vec<(String, String)> = sqlx::query_as(
        "SELECT player_id, result FROM match_players WHERE match_id = 'practice' ORDER BY seat",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let ids: Vec<&str> = players.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["player-a", "bot:Moonbot"]);
    let expected = match outcome.winners.as_slice() {
        [0] => ["win", "loss"],
        [1] => ["loss", "win"],
        _ => ["draw", "draw"],
    };
    let results: Vec<&str> = players.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(results, expected);
}

/// A room opened from a log that stops on the bot's turn (a restore: after a crash, or on
/// another node) lets the bot play on by itself.
#[tokio::test(start_paused = true)]
async fn a_restored_room_lets_its_bot_play_on() {
    let _frozen = Frozen::hold();
    let node = TestApp::node(StoreKind::Embedded(DbKind::Sqlite), |_| {}).await;
    let think = node.game().config().bot_think.1;
    let record = node.create_practice_room("practice", 3, Level::Easy).await;
    // The room's history so far, as another node logged it: both opening hands kept, and
    // the player's turn ended if it went first.
    let content = node.game().content().current();
    let mut game = Game::new(content, &record.setup).expect("setup");
    let mut log = vec![Input::Act {
        seat: Seat(0),
        action: Action::Mulligan {
            replace: Vec::new(),
        },
    }];
    log.push(Input::Act {
        seat: Seat(1),
        action: Action::Mulligan {
            replace: Vec::new(),
        },
    });
    for input in &log {
        game.submit(input).expect("legal");
    }
    if game.active_seat() == Seat(0) {
        let end = Input::Act {
            seat: Seat(0),
            action: Action::EndTurn,
        };
        game.submit(&end).expect("legal");
        log.push(end);
    }
    assert_eq!(game.seats_to_act(), [Seat(1)]);
    assert!(choose_action(&game, Seat(1)).is_some());
    let logged = log.len() as u64;
    for (input, seq) in log.into_iter().zip(1..) {
        let entry = LogEntry {
            seq,
            input,
            client_seq: None,
        };
        node.game()
            .store()
            .append("practice", &entry, None)
            .await
            .unwrap();
    }

    // The room opens (restored from the log) when the player's socket arrives. The player
    // sends nothing: the bot plays its turn through and hands it back.
    let (mut player, welcome) = node.join("practice", 0).await;
    let (mut seq, mut view, mut legal) = (
        welcome.seq,
        welcome.view.expect("a welcome carries the view"),
        welcome.legal_actions,
    );
    while view.active_seat != 0 {
        advance(think).await;
        if let Body::Update(update) = player.next_seen_by(0).await {
            assert_eq!(update.acked_client_seq, None);
            seq = update.seq;
            view = update.view.expect("live updates carry the view");
            legal = update.legal_actions;
        }
    }
    assert!(seq > logged, "the bot moved after the restore");
    assert!(
        legal
            .iter()
            .any(|a| matches!(a.kind, Some(pb::legal_action::Kind::EndTurn(_)))),
        "the player's turn"
    );
}

/// A matched player who never shows up: once the join window is over the match is void
/// (`no_contest`, no winner), the player who came is told, and the result is recorded once.
#[tokio::test(start_paused = true)]
async fn a_match_whose_opponent_never_shows_up_is_void() {
    let _frozen = Frozen::hold();
    // The heartbeat is not under test: long enough not to drop the player who waits.
    let node = TestApp::node(StoreKind::Embedded(DbKind::Sqlite), |c| {
        c.heartbeat = Duration::from_secs(3600);
    })
    .await;
    node.create_room("no-show", 5).await;
    let (mut player, welcome) = node.join("no-show", 0).await;
    assert!(!welcome.players[1].connected);
    // The player who came keeps its opening hand; the other seat never chooses.
    let view = welcome.view.expect("a welcome carries the view");
    let keep = choose(&view, &welcome.legal_actions, 0).expect("an opening hand to choose");
    let client_seq = player.act(keep).await;
    match player.next_seen_by(0).await {
        Body::Update(update) => assert_eq!(update.acked_client_seq, Some(client_seq)),
        other => panic!("expected the acknowledgement, got {other:?}"),
    }
    advance(JOIN_WINDOW).await;
    let outcome = loop {
        match player.next_seen_by(0).await {
            Body::Update(update) => {
                let forfeit = update
                    .events
                    .iter()
                    .any(|e| matches!(e.kind, Some(pb::event::Kind::Forfeited(_))));
                assert!(!forfeit, "a no-show is not a forfeit");
                assert_eq!(update.acked_client_seq, None);
                assert!(update.view.expect("view").outcome.is_some());
            }
            Body::GameOver(over) => break over.outcome.expect("an outcome"),
            _ => {}
        }
    };
    assert_eq!(outcome.reason, "no_contest");
    assert!(outcome.winners.is_empty());

    let mut recorded = node.game().results_progress();
    tokio::time::timeout(PATIENCE, recorded.wait_for(|p| p.recorded >= 1))
        .await
        .expect("recorded in time")
        .unwrap();
    let pool = node.db.pool();
    let rows: Vec<(Option<i64>, String)> =
        sqlx::query_as("SELECT winner_team, reason FROM match_results WHERE match_id = 'no-show'")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(rows, [(None, "no_contest".to_owned())]);
    let results: Vec<String> = sqlx::query_scalar(
        "SELECT result FROM match_players WHERE match_id = 'no-show' ORDER BY seat",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(results, ["no_contest", "no_contest"]);
}

/// A node that dies between logging a match's last move and queueing its result: the
/// room, restored when a player comes back, records the result (once) itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_restored_after_its_last_move_records_the_result() {
    let node = TestApp::node(StoreKind::Embedded(DbKind::Sqlite), |_| {}).await;
    let record = node.create_room("room-1", 7).await;
    let content = node.game().content().current();
    let mut game = Game::new(content, &record.setup).expect("setup");
    let keep = Action::Mulligan {
        replace: Vec::new(),
    };
    let log = [
        Input::Act {
            seat: Seat(0),
            action: keep.clone(),
        },
        Input::Act {
            seat: Seat(1),
            action: keep,
        },
        Input::Forfeit { seat: Seat(1) },
    ];
    for (input, seq) in log.into_iter().zip(1..) {
        game.submit(&input).expect("legal");
        let entry = LogEntry {
            seq,
            input,
            client_seq: None,
        };
        node.game()
            .store()
            .append("room-1", &entry, None)
            .await
            .unwrap();
    }
    assert!(game.is_over());
    assert!(
        node.game()
            .store()
            .pending_results()
            .await
            .unwrap()
            .is_empty()
    );

    let mut recorded = node.game().results_progress();
    let (_player, welcome) = node.join("room-1", 0).await;
    assert!(welcome.view.expect("a view").outcome.is_some());
    tokio::time::timeout(PATIENCE, recorded.wait_for(|p| p.recorded >= 1))
        .await
        .expect("recorded in time")
        .unwrap();
    let winners: Vec<String> = sqlx::query_scalar(
        "SELECT result FROM match_players WHERE match_id = 'room-1' ORDER BY seat",
    )
    .fetch_all(node.db.pool())
    .await
    .unwrap();
    assert_eq!(winners, ["win", "loss"]);
}
