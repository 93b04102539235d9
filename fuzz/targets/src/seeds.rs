//! Seed inputs for every target: real frames of a real match, the shipped content and the
//! checker's fixtures, snapshots and logs of a match, tickets and tokens signed with the
//! fixed key. `tests/seeds.rs` writes them into `fuzz/corpus/<target>/` (then `cargo fuzz
//! cmin` keeps what adds coverage).

use std::{path::Path, sync::Arc, time::Duration};

use moonlight_auth::{AccessExtra, TokenType};
use moonlight_client::policy::as_action;
use moonlight_engine::{Action, Game, Input, Level, Seat, choose_action};
use moonlight_game_server::{RoomSnapshot, wire};
use moonlight_proto::v1::{self as pb, client_frame};
use moonlight_rooms::{LogEntry, PlayerRecord, RoomRecord, ticket::TicketExtra};
use prost::Message as _;

use crate::{
    content::FILE_HEADER, frames::MAX_FRAMES, keys, node::NODE_ID, shipped,
    snapshot::starter_record,
};

/// One seed: its target, a name, its bytes.
pub struct Seed {
    pub target: &'static str,
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Every seed of every target.
pub fn all() -> Vec<Seed> {
    let mut seeds = Vec::new();
    first_frame(&mut seeds);
    later_frames(&mut seeds);
    // The same inputs, straight into the rules.
    let actions: Vec<Seed> = seeds
        .iter()
        .filter(|s| s.target == "later_frames")
        .map(|s| Seed {
            target: "actions",
            name: s.name.clone(),
            bytes: s.bytes.clone(),
        })
        .collect();
    seeds.extend(actions);
    content(&mut seeds);
    snapshot(&mut seeds);
    ticket(&mut seeds);
    seeds
}

fn push(seeds: &mut Vec<Seed>, target: &'static str, name: &str, bytes: Vec<u8>) {
    seeds.push(Seed {
        target,
        name: name.to_owned(),
        bytes,
    });
}

fn frame(body: client_frame::Body) -> Vec<u8> {
    pb::ClientFrame { body: Some(body) }.encode_to_vec()
}

fn hello(version: i32, name: &str) -> Vec<u8> {
    frame(client_frame::Body::Hello(pb::Hello {
        protocol_version: version,
        client_name: name.to_owned(),
        view_deltas: false,
    }))
}

fn resume(version: i32, last_seq: u64) -> Vec<u8> {
    frame(client_frame::Body::Resume(pb::Resume {
        protocol_version: version,
        last_seq,
        view_deltas: true,
    }))
}

/// The frame a client sends for `action`: the wire form the node lists it in
/// (`wire::legal_action`), sent as a client does (`policy::as_action`).
fn action_frame(action: &Action, client_seq: u64) -> Vec<u8> {
    match as_action(&wire::legal_action(action)) {
        Some(kind) => frame(client_frame::Body::Action(pb::Action {
            client_seq,
            kind: Some(kind),
        })),
        None => frame(client_frame::Body::Concede(pb::Concede { client_seq })),
    }
}

fn first_frame(seeds: &mut Vec<Seed>) {
    let v1 = i32::from(pb::ProtocolVersion::ProtocolVersion1);
    let t = "first_frame";
    push(seeds, t, "hello", hello(v1, "moonlight-web/1.4.2"));
    push(seeds, t, "hello-unnamed", hello(v1, ""));
    push(seeds, t, "resume-0", resume(v1, 0));
    push(seeds, t, "resume-9", resume(v1, 9));
    push(seeds, t, "hello-v0", hello(0, "old"));
    push(seeds, t, "hello-v2", hello(2, "new"));
    push(seeds, t, "resume-v7", resume(7, 1));
    push(
        seeds,
        t,
        "ping",
        frame(client_frame::Body::Ping(pb::Ping { nonce: 1 })),
    );
    push(seeds, t, "action", action_frame(&Action::EndTurn, 1));
    push(seeds, t, "empty", Vec::new());
    push(seeds, t, "garbage", vec![0xff, 0xff, 0xff]);
    // The largest frame the node takes, and one byte more.
    let limit = moonlight_game_server::GameConfig::default().max_frame_bytes;
    let mut pad = limit - 16;
    while hello(v1, &"x".repeat(pad)).len() < limit {
        pad += 1;
    }
    let mut largest = hello(v1, &"x".repeat(pad));
    push(seeds, t, "hello-largest", largest.clone());
    largest.push(0);
    push(seeds, t, "hello-too-large", largest);
}

/// A `later_frames` input: the room (decks, seed), then `(to, bytes)` frames.
fn later(decks: [u8; 2], seed: u16, frames: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut input = vec![decks[0], decks[1]];
    input.extend(seed.to_le_bytes());
    for (to, bytes) in frames {
        let Ok(len) = u8::try_from(bytes.len()) else {
            continue;
        };
        input.push(*to);
        input.push(len);
        input.extend(bytes);
    }
    input
}

/// The frames of a match the practice bot plays for both seats in the room
/// `later_frames` sets up for `decks` and `seed`, at most `most` frames.
fn bot_match(decks: [u8; 2], seed: u16, most: usize) -> Vec<(u8, Vec<u8>)> {
    let content = shipped::content();
    let ids = shipped::decks();
    let seats = [("player-a", decks[0]), ("player-b", decks[1])]
        .into_iter()
        .map(|(player, deck)| {
            let deck = ids[usize::from(deck) % ids.len()].as_str();
            (PlayerRecord::human(player, player), deck)
        })
        .collect();
    let record = RoomRecord::new("seed", content, seats, u64::from(seed), 0, 0).expect("decks");
    let mut game = Game::new(Arc::clone(content), &record.setup).expect("setup");
    let mut frames = Vec::new();
    let mut sent = [0_usize; 2];
    while let Some(&seat) = game.seats_to_act().first() {
        let s = seat.index();
        if frames.len() == most {
            break;
        }
        let Some(action) = choose_action(&game, seat) else {
            break;
        };
        sent[s] += 1;
        frames.push((seat.0, action_frame(&action, sent[s] as u64)));
        game.apply(seat, action).expect("the bot plays legal moves");
    }
    frames
}

fn later_frames(seeds: &mut Vec<Seed>) {
    let t = "later_frames";
    for (decks, seed) in [([0, 1], 7), ([1, 2], 8), ([2, 0], 9), ([1, 1], 10)] {
        let name = format!("bot-match-{}-{}-{seed}", decks[0], decks[1]);
        push(
            seeds,
            t,
            &name,
            later(decks, seed, &bot_match(decks, seed, MAX_FRAMES)),
        );
    }
    let mut short = bot_match([0, 1], 7, 6);
    short.push((0, action_frame(&Action::Concede, 7)));
    push(seeds, t, "bot-match-conceded", later([0, 1], 7, &short));
    let emote = |e: &str| {
        frame(client_frame::Body::Emote(pb::Emote {
            emote: e.to_owned(),
        }))
    };
    let v1 = i32::from(pb::ProtocolVersion::ProtocolVersion1);
    let odd = vec![
        (0, emote("well_played")),
        (1, emote("Not An Emote!")),
        (2, emote("greetings")),
        (0, frame(client_frame::Body::Ping(pb::Ping { nonce: 5 }))),
        (1, hello(v1, "again")),
        (0, resume(v1, 0)),
        (2, action_frame(&Action::EndTurn, 1)),
        (2, action_frame(&Action::Concede, 1)),
        (0, Vec::new()),
        (1, vec![0x22, 0x00]),
        (0, vec![0xff, 0xff]),
        (0x80, b"{\"action\":\"end_turn\"}".to_vec()),
        (
            0,
            frame(client_frame::Body::Action(pb::Action {
                client_seq: 1,
                kind: None,
            })),
        ),
        (
            1,
            action_frame(
                &Action::Mulligan {
                    replace: vec![moonlight_engine::EntityId(999)],
                },
                1,
            ),
        ),
        (
            0,
            action_frame(
                &Action::PlayCard {
                    card: moonlight_engine::EntityId(3),
                    target: Some(moonlight_engine::EntityId(1)),
                    choice: None,
                },
                2,
            ),
        ),
        (0, action_frame(&Action::EndTurn, 2)),
        (0, action_frame(&Action::EndTurn, u64::MAX)),
    ];
    push(seeds, t, "odd-frames", later([0, 1], 7, &odd));
    let flood: Vec<(u8, Vec<u8>)> = (0..45)
        .map(|_| (1, frame(client_frame::Body::Ping(pb::Ping { nonce: 2 }))))
        .collect();
    push(seeds, t, "pings", later([0, 1], 7, &flood));
}

/// The `.toml` files under `dir`, by path relative to it, sorted.
fn toml_files(dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)
            .expect("a content directory")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "toml") {
                let rel = path
                    .strip_prefix(dir)
                    .expect("under dir")
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = std::fs::read_to_string(&path).expect("a content file");
                files.push((rel, text));
            }
        }
    }
    files.sort();
    files
}

/// Files as one `content` input.
fn content_input(files: &[(String, String)]) -> Vec<u8> {
    let mut text = String::new();
    for (rel, body) in files {
        text.push_str(&format!("{FILE_HEADER}{rel}\n"));
        text.push_str(body);
        if !body.ends_with('\n') {
            text.push('\n');
        }
    }
    text.into_bytes()
}

fn content(seeds: &mut Vec<Seed>) {
    let t = "content";
    let shipped_files = toml_files(&shipped::content_dir());
    push(seeds, t, "shipped", content_input(&shipped_files));
    for (rel, body) in &shipped_files {
        let name = format!("shipped-{}", rel.replace(['/', '.'], "-"));
        push(seeds, t, &name, body.clone().into_bytes());
    }
    let bad_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../engine/tests/fixtures/bad");
    for (rel, body) in toml_files(&bad_dir) {
        let name = format!("bad-{}", rel.replace(['/', '.'], "-"));
        // Alone, and added to the shipped content.
        push(seeds, t, &name, body.clone().into_bytes());
        let mut files = shipped_files.clone();
        files.push((format!("cards/{rel}"), body));
        push(
            seeds,
            t,
            &format!("shipped-and-{name}"),
            content_input(&files),
        );
    }
}

fn snapshot(seeds: &mut Vec<Seed>) {
    let t = "snapshot";
    let content = shipped::content();
    let record = starter_record(content, 11);
    let mut game = Game::new(Arc::clone(content), &record.setup).expect("setup");
    let mut log = Vec::new();
    let mut snapshots = vec![(0_u64, game.to_bytes())];
    let mut client_seq = [0_u64; 2];
    while let Some(&seat) = game.seats_to_act().first() {
        let Some(action) = choose_action(&game, seat) else {
            break;
        };
        client_seq[seat.index()] += 1;
        let input = Input::Act { seat, action };
        game.submit(&input).expect("the bot plays legal moves");
        log.push(LogEntry {
            seq: log.len() as u64 + 1,
            input,
            client_seq: Some(client_seq[seat.index()]),
        });
        if log.len() % 20 == 0 || game.is_over() {
            snapshots.push((log.len() as u64, game.to_bytes()));
        }
    }
    let with_mode = |mode: u8, payload: &[u8]| {
        let mut bytes = vec![mode];
        bytes.extend(payload);
        bytes
    };
    let json_lines = |entries: &[LogEntry]| {
        entries
            .iter()
            .map(|e| serde_json::to_string(e).expect("json") + "\n")
            .collect::<String>()
            .into_bytes()
    };
    for (seq, bytes) in snapshots.iter().step_by(2) {
        push(seeds, t, &format!("engine-{seq}"), with_mode(0, bytes));
    }
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../engine/tests/fixtures/snapshot-v1.bin");
    if let Ok(bytes) = std::fs::read(fixture) {
        push(seeds, t, "engine-fixture-v1", with_mode(0, &bytes));
    }
    // A room snapshot at input 20 and the inputs after it, as a restore finds them.
    if let Some((seq, engine)) = snapshots.get(1) {
        let replayed = Game::from_bytes(Arc::clone(content), engine).expect("own snapshot");
        let room = RoomSnapshot::of(&replayed, &[*seq / 2, *seq / 2]).encode();
        let after: Vec<LogEntry> = log.iter().skip(*seq as usize).take(8).cloned().collect();
        let mut payload = vec![u8::try_from(*seq).unwrap_or(0)];
        payload.extend(u16::try_from(room.len()).unwrap_or(0).to_le_bytes());
        payload.extend(&room);
        payload.extend(json_lines(&after));
        push(seeds, t, "room-snapshot-and-log", with_mode(1, &payload));
    }
    push(
        seeds,
        t,
        "log-from-start",
        with_mode(2, &json_lines(&log[..log.len().min(12)])),
    );
    let server_inputs = [
        Input::TurnTimeout { seat: Seat(0) },
        Input::Forfeit { seat: Seat(1) },
        Input::Abandon { seat: Seat(0) },
    ];
    let entries: Vec<LogEntry> = server_inputs
        .into_iter()
        .zip(1..)
        .map(|(input, seq)| LogEntry {
            seq,
            input,
            client_seq: None,
        })
        .collect();
    push(
        seeds,
        t,
        "log-server-inputs",
        with_mode(2, &json_lines(&entries)),
    );
    let record_json = serde_json::to_vec(&record).expect("json");
    push(seeds, t, "record", with_mode(3, &record_json));
    let mut practice = record.clone();
    practice.players[1] = PlayerRecord::practice_bot("Moonbot", Level::Easy);
    let practice = serde_json::to_vec(&practice).expect("json");
    push(seeds, t, "record-practice", with_mode(3, &practice));
}

/// 2026-12-06T00:00:00Z, when the seeds' tokens are issued; they stay valid a century.
const ISSUED: i64 = 1_796_515_200;
const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

fn ticket(seeds: &mut Vec<Seed>) {
    let t = "ticket";
    let issuer = keys::issuer();
    let room_ticket = |node: &str, seat: Option<u8>, now: i64, ttl: Duration| {
        let extra = TicketExtra {
            room: "fuzz-room-1".to_owned(),
            seat,
            node: node.to_owned(),
            name: "player-a".to_owned(),
            full_view: false,
        };
        issuer
            .issue("player-a", TokenType::RoomTicket, now, ttl, extra)
            .expect("ticket")
    };
    let valid = room_ticket(NODE_ID, Some(0), ISSUED, CENTURY);
    push(seeds, t, "ticket", valid.clone().into_bytes());
    push(
        seeds,
        t,
        "ticket-spectator",
        room_ticket(NODE_ID, None, ISSUED, CENTURY).into_bytes(),
    );
    push(
        seeds,
        t,
        "ticket-other-node",
        room_ticket("node-2", Some(1), ISSUED, CENTURY).into_bytes(),
    );
    push(
        seeds,
        t,
        "ticket-expired",
        room_ticket(NODE_ID, Some(0), 1_000_000, Duration::from_secs(120)).into_bytes(),
    );
    let access = issuer
        .issue(
            "player-a",
            TokenType::Access,
            ISSUED,
            CENTURY,
            AccessExtra::player("Luna"),
        )
        .expect("access token");
    push(seeds, t, "access", access.clone().into_bytes());
    push(seeds, t, "query", format!("ticket={valid}").into_bytes());
    push(
        seeds,
        t,
        "query-twice",
        format!("ticket={valid}&ticket=x").into_bytes(),
    );
    // The same claims unsigned (`alg: none`), and the signature of another token.
    let mut parts = valid.split('.');
    let (_, claims, signature) = (parts.next(), parts.next(), parts.next());
    let none_header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
    if let (Some(claims), Some(signature)) = (claims, signature) {
        push(
            seeds,
            t,
            "alg-none",
            format!("{none_header}.{claims}.").into_bytes(),
        );
        let access_header = access.split('.').next().unwrap_or_default();
        push(
            seeds,
            t,
            "swapped",
            format!("{access_header}.{claims}.{signature}").into_bytes(),
        );
    }
    push(seeds, t, "garbage", b"not.a.token".to_vec());
    push(seeds, t, "empty", Vec::new());
}
