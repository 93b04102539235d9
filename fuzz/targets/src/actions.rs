//! The actions target: `later_frames`' inputs straight into the rules, without a node.

use std::sync::Arc;

use moonlight_engine::{Action, Game, Input, Seat};
use moonlight_game_server::wire;
use moonlight_proto::v1::{self as pb, client_frame::Body};
use prost::Message as _;

use crate::{
    frames::parse_later,
    node::{Outgoing, room_record},
    shipped,
    snapshot::look,
};

/// The input of [`crate::later_frames`] (same format, same corpus seeds), each frame
/// decoded as the connection does, its action translated by `wire::action` as the
/// connection does, and submitted for its seat as the room does (a spectator's, a text
/// frame's and a retried `client_seq`'s skipped, as they are there): on the room's game,
/// built from the shipped content with the room's setup. Thousands of times faster than a
/// node, so the rules get explored far deeper; and checked harder: an action the engine
/// lists as legal is accepted, a refused one changes nothing, an accepted one keeps the
/// engine's invariants, and the game's snapshot restores it.
pub fn actions(data: &[u8]) {
    let Some(exchange) = parse_later(data) else {
        return;
    };
    let content = shipped::content();
    let record = room_record("fuzz-room", content, exchange.decks, exchange.seed);
    let mut game = Game::new(Arc::clone(content), &record.setup).expect("the room's setup");
    let mut last_client_seq = [0_u64; 2];
    for (to, message) in &exchange.script {
        let Outgoing::Binary(bytes) = message else {
            continue;
        };
        let Ok(frame) = pb::ClientFrame::decode(bytes.as_slice()) else {
            continue;
        };
        let (client_seq, action) = match frame.body {
            Some(Body::Action(action)) => match wire::action(action.kind.as_ref()) {
                Some(kind) => (action.client_seq, kind),
                None => continue,
            },
            Some(Body::Concede(concede)) => (concede.client_seq, Action::Concede),
            _ => continue,
        };
        let seat = match to {
            0 => Seat(0),
            1 => Seat(1),
            _ => continue,
        };
        let last = &mut last_client_seq[seat.index()];
        if client_seq <= *last {
            continue;
        }
        let legal = game.legal_actions(seat).contains(&action);
        let mut next = game.clone();
        match next.submit(&Input::Act {
            seat,
            action: action.clone(),
        }) {
            Ok(events) => {
                if let Err(broken) = next.check_invariants() {
                    panic!("{action:?} by {seat:?} broke an invariant: {broken}");
                }
                look(&next, &events);
                game = next;
                *last = client_seq;
            }
            Err(rejection) => {
                assert!(!legal, "{action:?} is legal for {seat:?}, yet: {rejection}");
                assert!(next == game, "a refused action changes nothing");
                let _ = wire::rejection_reason(&rejection);
            }
        }
    }
    let again = Game::from_bytes(Arc::clone(content), &game.to_bytes())
        .expect("a game's own snapshot restores");
    assert!(again == game, "the snapshot restores the same game");
}
