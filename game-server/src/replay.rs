//! A finished match played again, one step at a time, as one perspective may see it: the
//! engine is deterministic, so the room's setup and inputs give every state, and the same
//! views and event filters as a live match decide what each perspective sees.

use std::sync::Arc;

use moonlight_engine::{Content, Game, Seat, Viewer};
use moonlight_proto::v1 as pb;
use moonlight_rooms::Replay;

use crate::wire;

/// Who is watching the replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Perspective {
    /// What a spectator saw: no hand.
    Public,
    /// What this seat saw: its own hand, as it was then.
    Seat(Seat),
    /// Everything but the decks: the public view and every hand (the match is over).
    Full,
}

impl Perspective {
    /// `public`, `full`, or a seat number.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "public" => Some(Self::Public),
            "full" => Some(Self::Full),
            seat => seat.parse().ok().map(|s| Self::Seat(Seat(s))),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReplayError {
    #[error("step {step} is past the end: this match has steps 0 to {steps}")]
    NoSuchStep { step: usize, steps: usize },
    #[error("seat {seat} is not in this match: it has seats 0 to {}", seats - 1)]
    NoSuchSeat { seat: u8, seats: usize },
    /// The stored match does not play again (its content changed under the same version,
    /// or the record is damaged): nothing a caller can fix.
    #[error("the match does not replay: {0}")]
    Broken(String),
}

/// The state of `replay` after `step` of its inputs, as `perspective` sees it.
pub fn replay_step(
    content: Arc<Content>,
    replay: &Replay,
    step: usize,
    perspective: Perspective,
) -> Result<pb::ReplayStep, ReplayError> {
    let steps = replay.inputs.len();
    if step > steps {
        return Err(ReplayError::NoSuchStep { step, steps });
    }
    let seats = replay.record.setup.seats.len();
    if let Perspective::Seat(seat) = perspective
        && seat.index() >= seats
    {
        return Err(ReplayError::NoSuchSeat {
            seat: seat.0,
            seats,
        });
    }
    let broken = |e: &dyn std::fmt::Display| ReplayError::Broken(e.to_string());
    let mut game = Game::new(content, &replay.record.setup).map_err(|e| broken(&e))?;
    let mut events = Vec::new();
    for (done, input) in replay.inputs[..step].iter().enumerate() {
        let applied = game
            .submit(input)
            .map_err(|e| broken(&format!("input {}: {e:?}", done + 1)))?;
        if done + 1 == step {
            events = applied;
        }
    }
    let viewer = match perspective {
        Perspective::Seat(seat) => Viewer::Seat(seat),
        Perspective::Public | Perspective::Full => Viewer::Spectator,
    };
    let view = match perspective {
        Perspective::Seat(seat) => game.view_for(seat),
        Perspective::Public | Perspective::Full => game.spectator_view(),
    };
    let hands = match perspective {
        Perspective::Full => wire::hands(&game, seats),
        _ => Vec::new(),
    };
    Ok(pb::ReplayStep {
        match_id: replay.record.room_id.clone(),
        step: u32::try_from(step).unwrap_or(u32::MAX),
        steps: u32::try_from(steps).unwrap_or(u32::MAX),
        players: (0..=u8::MAX)
            .map(Seat)
            .zip(&replay.record.players)
            .map(|(seat, player)| pb::Player {
                seat: wire::seat(seat),
                name: player.name.clone(),
                connected: false,
            })
            .collect(),
        content_version: replay.record.content_version.clone(),
        perspective: match perspective {
            Perspective::Public => "public",
            Perspective::Seat(_) => "seat",
            Perspective::Full => "full",
        }
        .to_owned(),
        seat: match perspective {
            Perspective::Seat(seat) => Some(wire::seat(seat)),
            _ => None,
        },
        view: Some(wire::view(&view)),
        hands,
        events: wire::events(&game.events_for(viewer, &events)),
    })
}
