//! What each connection sees of its room ([`Sight`]), and the views last sent to each
//! sight ([`SentViews`]), so that a live update can carry only what changed
//! (`Update.delta`) to clients that asked for deltas.
//!
//! Views are kept and compared as the engine gives them ([`Look`]) and turned into the
//! protocol's only when sent: a live update's delta is made straight from two looks, so
//! the protocol's view of a state most clients are sent only as a delta is never built.

use moonlight_engine::{Game, HandCardView, Seat, SeatView, Viewer};
use moonlight_proto::v1 as pb;

use super::Peer;
use crate::wire;

/// What a connection sees of its room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sight {
    /// A player: its seat's view and legal actions.
    Seat(Seat),
    /// A spectator: the public view (no hand), no legal actions.
    Public,
    /// An admin: the public view and every hand (events stay the public ones).
    Full,
}

impl Sight {
    pub(super) fn of(peer: &Peer) -> Self {
        match peer.seat {
            Some(seat) => Self::Seat(seat),
            None if peer.full_view => Self::Full,
            None => Self::Public,
        }
    }

    /// Whose filter its events pass through.
    pub(super) fn viewer(self) -> Viewer {
        match self {
            Self::Seat(seat) => Viewer::Seat(seat),
            Self::Public | Self::Full => Viewer::Spectator,
        }
    }

    /// What this sight sees of `game`, and its legal actions.
    pub(super) fn view(self, game: &Game, seat_count: usize) -> Seen {
        match self {
            Self::Seat(seat) => Seen {
                look: Look {
                    view: game.view_for(seat),
                    hands: Vec::new(),
                },
                legal_actions: game
                    .legal_actions(seat)
                    .iter()
                    .map(wire::legal_action)
                    .collect(),
            },
            Self::Public => Seen {
                look: Look {
                    view: game.spectator_view(),
                    hands: Vec::new(),
                },
                legal_actions: Vec::new(),
            },
            Self::Full => Seen {
                look: Look {
                    view: game.spectator_view(),
                    hands: wire::every_hand(game, seat_count),
                },
                legal_actions: Vec::new(),
            },
        }
    }
}

/// A view as the engine gives it: cheap to keep and compare.
#[derive(Debug, Clone)]
pub(super) struct Look {
    view: SeatView,
    /// Every seat's hand, for a full sight; else empty.
    hands: Vec<(Seat, Vec<HandCardView>)>,
}

impl Look {
    /// The protocol's view.
    pub(super) fn to_wire(&self) -> pb::View {
        pb::View {
            hands: self.hands.iter().map(wire::hand).collect(),
            ..wire::view(&self.view)
        }
    }

    /// What turns this view into `next` (as `View::delta_to` would on the protocol's).
    fn delta_to(&self, next: &Look) -> pb::ViewDelta {
        pb::ViewDelta {
            hands: next
                .hands
                .iter()
                .filter(|hand| !self.hands.contains(hand))
                .map(wire::hand)
                .collect(),
            ..wire::view_delta(&self.view, &next.view)
        }
    }
}

/// A view and the legal actions that go with it.
#[derive(Debug, Clone)]
pub(super) struct Seen {
    pub look: Look,
    pub legal_actions: Vec<pb::LegalAction>,
}

impl Seen {
    /// The protocol's view, and the legal actions.
    pub(super) fn into_wire(self) -> (pb::View, Vec<pb::LegalAction>) {
        (self.look.to_wire(), self.legal_actions)
    }
}

/// What an update shows of the view after its change.
pub(super) enum Shown {
    /// Nothing: the missed updates of a resume, but the last.
    Nothing,
    /// The whole view.
    Whole(Seen),
    /// What changed since the update before, and the legal actions.
    Delta(pb::ViewDelta, Vec<pb::LegalAction>),
}

/// Each sight's view of `game` (and its legal actions), worked out once however many of
/// `peers` share it.
pub(super) fn seen_by_each<'p>(
    game: &Game,
    seat_count: usize,
    peers: impl Iterator<Item = &'p Peer>,
) -> Vec<(Sight, Seen)> {
    let mut seen: Vec<(Sight, Seen)> = Vec::new();
    for sight in peers.map(Sight::of) {
        if !seen.iter().any(|(s, _)| *s == sight) {
            seen.push((sight, sight.view(game, seat_count)));
        }
    }
    seen
}

/// The views sent with one update (`seq`), one per sight that had a connection then: what
/// the next update's deltas are made from.
#[derive(Default)]
pub(super) struct SentViews {
    seq: u64,
    views: Vec<(Sight, Look)>,
}

impl SentViews {
    /// The views of `seen`, sent with the update `seq`.
    pub(super) fn of(seq: u64, seen: Vec<(Sight, Seen)>) -> Self {
        let views = seen.into_iter().map(|(s, seen)| (s, seen.look)).collect();
        Self { seq, views }
    }

    /// Notes that a connection of `sight` was just sent `look` whole, at `seq` (the room's
    /// latest), so the update after can be a delta for it too.
    pub(super) fn note(&mut self, seq: u64, sight: Sight, look: &Look) {
        if self.seq != seq {
            // The views held are of an earlier state (no update since had connections).
            self.seq = seq;
            self.views.clear();
        }
        if !self.views.iter().any(|(s, _)| *s == sight) {
            self.views.push((sight, look.clone()));
        }
    }

    /// What the update `seq` shows `peer`, whose sight sees `seen` after it: a delta from
    /// the view sent with these if it asked for deltas and these are the update before,
    /// else the whole view.
    pub(super) fn shown(&self, seq: u64, peer: &Peer, seen: &Seen) -> Shown {
        let sight = Sight::of(peer);
        let before = self
            .views
            .iter()
            .find(|(s, _)| *s == sight)
            .filter(|_| peer.view_deltas && self.seq + 1 == seq);
        match before {
            Some((_, look)) => Shown::Delta(look.delta_to(&seen.look), seen.legal_actions.clone()),
            None => Shown::Whole(seen.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use moonlight_engine::Content;
    use prost::Message;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    use super::*;

    /// Random matches of the shipped decks: every sight's delta, after every action, is the
    /// one the protocol defines (`View::delta_to` on the views before and after), and the
    /// view before with it applied is the view after; and the deltas are well under half
    /// the bytes of the views they replace.
    #[test]
    fn each_sight_follows_a_random_match_through_deltas() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
        let content = Arc::new(Content::load(&dir).expect("the shipped content"));
        let decks = ["tide_starter", "dusk_starter", "moonwell_starter"];
        let sights = [
            Sight::Seat(Seat(0)),
            Sight::Seat(Seat(1)),
            Sight::Public,
            Sight::Full,
        ];
        let (mut whole_bytes, mut delta_bytes, mut updates) = (0, 0, 0);
        for seed in 0..12_u64 {
            let pair = [decks[seed as usize % 3], decks[(seed as usize + 1) % 3]];
            let mut game = Game::from_decks(Arc::clone(&content), &pair, seed).expect("setup");
            let mut rng = StdRng::seed_from_u64(seed);
            let mut before: Vec<(Look, pb::View)> = sights
                .iter()
                .map(|s| {
                    let look = s.view(&game, 2).look;
                    let view = look.to_wire();
                    (look, view)
                })
                .collect();
            while !game.is_over() {
                let seat = game.seats_to_act()[0];
                let legal = game.legal_actions(seat);
                // Conceding (the last legal action) would end most matches at once.
                let action =
                    legal[rng.random_range(0..legal.len().saturating_sub(1).max(1))].clone();
                game.apply(seat, action).expect("a legal action");
                for (sight, (look, view)) in sights.iter().zip(&mut before) {
                    let at = format!("{sight:?} at turn {}", game.turn());
                    let next_look = sight.view(&game, 2).look;
                    let next = next_look.to_wire();
                    let delta = look.delta_to(&next_look);
                    assert_eq!(delta, view.delta_to(&next), "{at}");
                    view.apply(&delta)
                        .expect("the delta fits the view it came from");
                    assert_eq!(*view, next, "{at}");
                    *look = next_look;
                    whole_bytes += next.encoded_len();
                    delta_bytes += delta.encoded_len();
                    updates += 1;
                }
            }
        }
        assert!(
            delta_bytes * 2 < whole_bytes,
            "deltas {} B against whole views {} B per update",
            delta_bytes / updates,
            whole_bytes / updates
        );
    }
}
