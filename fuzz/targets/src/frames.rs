//! The frame targets: what a game socket receives, through a real node (see [`crate::node`]).

use std::num::NonZeroU32;

use moonlight_proto::v1::{self as pb, client_frame, server_frame::Body};
use prost::Message as _;

use crate::node::{Exchange, Outgoing, Seen, Who, config, node};

/// The most frames one `later_frames` input sends.
pub const MAX_FRAMES: usize = 96;

/// The node's frame burst for `later_frames`: more than its sockets can send (a hello,
/// the frames, a sync ping after each), so a match is never cut short by the rate limit
/// it would not reach in real time (`first_frame` runs on the default limits).
const FRAME_BURST: u32 = 2 * MAX_FRAMES as u32 + 8;

/// The first WebSocket message of a seat's game socket is `data` (a binary message):
/// the node must join the player for a `Hello` or `Resume` in protocol version 1, and
/// refuse anything else with the error code and close code the protocol documents.
pub fn first_frame(data: &[u8]) {
    let exchange = Exchange {
        decks: [0, 1],
        seed: 7,
        clients: vec![Who::Seat(0)],
        hello_first: false,
        script: vec![(0, Outgoing::Binary(data.to_vec()))],
        frame_burst: None,
    };
    let seen = node().exchange(&exchange);
    let [seen] = <[Seen; 1]>::try_from(seen).expect("one client");
    match expected_opening(data) {
        Opening::Joined => {
            assert!(seen.barrier, "a valid opening joins: {seen:?}");
            assert!(
                matches!(
                    first_from_room(&seen),
                    Some(Body::Welcome(_) | Body::Update(_))
                ),
                "a join is answered with a welcome (or, resuming, an update): {seen:?}"
            );
        }
        Opening::Refused { code, close } => {
            let first = seen.frames.first().and_then(|f| f.body.as_ref());
            assert!(
                matches!(first, Some(Body::Error(e)) if e.code == code),
                "expected the error {code}, got {first:?}"
            );
            assert_eq!(seen.close, Some(close), "the close code for {code}");
            assert!(!seen.barrier, "a refused socket is closed");
        }
    }
}

/// The first frame a client got that is not a pong: the connection answers pings itself,
/// possibly before the room welcomes the client.
fn first_from_room(seen: &Seen) -> Option<&Body> {
    seen.frames
        .iter()
        .filter_map(|f| f.body.as_ref())
        .find(|body| !matches!(body, Body::Pong(_)))
}

/// What the protocol says of an opening frame.
enum Opening {
    Joined,
    Refused { code: &'static str, close: u16 },
}

fn expected_opening(data: &[u8]) -> Opening {
    let refused = |code, close| Opening::Refused { code, close };
    if data.len() > config().max_frame_bytes {
        return refused("frame_too_large", 1009);
    }
    let Ok(frame) = pb::ClientFrame::decode(data) else {
        return refused("malformed_frame", 1008);
    };
    let version = match frame.body {
        Some(client_frame::Body::Hello(hello)) => hello.protocol_version,
        Some(client_frame::Body::Resume(resume)) => resume.protocol_version,
        _ => return refused("expected_hello", 1008),
    };
    if version == i32::from(pb::ProtocolVersion::ProtocolVersion1) {
        Opening::Joined
    } else {
        refused("unsupported_version", 1008)
    }
}

/// Frames into a live room: both seats and a spectator join (`Hello`), then each frame
/// of `data` goes to the socket it names, and the room must take them all without
/// breaking: illegal actions rejected, every frame it sends decodable, every socket
/// answered.
///
/// `data`: seat 0's deck, seat 1's deck (indices into the shipped decks), the seed (two
/// bytes, little-endian), then frames, each `[to, len, len bytes]`: `to % 3` is the
/// socket (seat 0, seat 1, the spectator), `to & 0x80` sends the bytes as a text message
/// rather than binary.
pub fn later_frames(data: &[u8]) {
    let Some(exchange) = parse_later(data) else {
        return;
    };
    let seen = node().exchange(&exchange);
    for (who, seen) in exchange.clients.iter().zip(&seen) {
        // The room welcomes a client before it sends it anything else (the connection's
        // own answers, pongs and errors, may come before).
        let from_room = seen
            .frames
            .iter()
            .filter_map(|f| f.body.as_ref())
            .find(|b| {
                matches!(
                    b,
                    Body::Welcome(_) | Body::Update(_) | Body::Emoted(_) | Body::GameOver(_)
                )
            });
        assert!(
            matches!(from_room, Some(Body::Welcome(_))),
            "{who:?} said hello and is welcomed first, not {from_room:?}"
        );
        assert!(
            seen.barrier || seen.close.is_some(),
            "{who:?}'s socket is answered or closed"
        );
    }
}

/// The exchange `data` describes; `None` if too short to name the room.
pub(crate) fn parse_later(data: &[u8]) -> Option<Exchange> {
    let [deck_0, deck_1, seed_lo, seed_hi, rest @ ..] = data else {
        return None;
    };
    let mut script = Vec::new();
    let mut rest = rest;
    while let [to, len, tail @ ..] = rest {
        if script.len() == MAX_FRAMES {
            break;
        }
        let (bytes, tail) = tail.split_at(usize::from(*len).min(tail.len()));
        let message = if to & 0x80 != 0 {
            Outgoing::Text(String::from_utf8_lossy(bytes).into_owned())
        } else {
            Outgoing::Binary(bytes.to_vec())
        };
        script.push((usize::from(to & 0x7f) % 3, message));
        rest = tail;
    }
    Some(Exchange {
        decks: [usize::from(*deck_0), usize::from(*deck_1)],
        seed: u64::from(u16::from_le_bytes([*seed_lo, *seed_hi])),
        clients: vec![Who::Seat(0), Who::Seat(1), Who::Spectator],
        hello_first: true,
        script,
        frame_burst: NonZeroU32::new(FRAME_BURST),
    })
}
