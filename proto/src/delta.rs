//! View deltas (`Update.delta`): what changed in a view from one update to the next,
//! defined by [`View::delta_to`] and applied by clients ([`View::apply`]). The server makes
//! the same delta straight from the engine's views (`moonlight-game-server`'s
//! `wire::view_delta`, tested equal to this one), without building these views first.
//!
//! A delta leaves out what did not change: the seats whose state is the same, the hand,
//! the secrets, and every card already in a graveyard (graveyards are most of a view late
//! in a match, and only grow).

use std::fmt;

use crate::v1::{GraveyardChange, Hand, SeatState, Secrets, View, ViewDelta};

/// A delta that does not fit the view it was applied to: the client's view is not the one
/// the server based it on, so the client should resume (and get a whole view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaMismatch(String);

impl fmt::Display for DeltaMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the view delta does not fit this view: {}", self.0)
    }
}

impl std::error::Error for DeltaMismatch {}

impl View {
    /// What turns `self` into `next`.
    pub fn delta_to(&self, next: &View) -> ViewDelta {
        let mut delta = ViewDelta {
            turn: next.turn,
            active_seat: next.active_seat,
            outcome: next
                .outcome
                .clone()
                .filter(|_| next.outcome != self.outcome),
            ..ViewDelta::default()
        };
        for seat in &next.seats {
            let before = self.seats.iter().find(|s| s.seat == seat.seat);
            if before.is_none_or(|b| !same_but_graveyard(b, seat)) {
                delta.seats.push(SeatState {
                    graveyard: Vec::new(),
                    ..seat.clone()
                });
            }
            let old = before.map_or(&[][..], |b| &b.graveyard[..]);
            if old != seat.graveyard {
                let keep = old
                    .iter()
                    .zip(&seat.graveyard)
                    .take_while(|(a, b)| a == b)
                    .count();
                delta.graveyards.push(GraveyardChange {
                    seat: seat.seat,
                    keep: u32::try_from(keep).expect("a graveyard holds fewer than 2^32 cards"),
                    cards: seat.graveyard[keep..].to_vec(),
                });
            }
        }
        if self.hand != next.hand {
            delta.hand = Some(Hand {
                seat: 0,
                cards: next.hand.clone(),
            });
        }
        delta.hands = next
            .hands
            .iter()
            .filter(|hand| !self.hands.contains(hand))
            .cloned()
            .collect();
        if self.own_secrets != next.own_secrets {
            delta.own_secrets = Some(Secrets {
                cards: next.own_secrets.clone(),
            });
        }
        delta
    }

    /// Applies `delta` (made from the view this one is). On a mismatch the view is left
    /// as it was.
    pub fn apply(&mut self, delta: &ViewDelta) -> Result<(), DeltaMismatch> {
        let mut next = self.clone();
        next.turn = delta.turn;
        next.active_seat = delta.active_seat;
        for seat in &delta.seats {
            let slot = seat_mut(&mut next.seats, seat.seat)?;
            let graveyard = std::mem::take(&mut slot.graveyard);
            *slot = SeatState {
                graveyard,
                ..seat.clone()
            };
        }
        for change in &delta.graveyards {
            let graveyard = &mut seat_mut(&mut next.seats, change.seat)?.graveyard;
            let keep = usize::try_from(change.keep).unwrap_or(usize::MAX);
            if keep > graveyard.len() {
                return Err(DeltaMismatch(format!(
                    "seat {}'s graveyard has {} cards, not {keep}",
                    change.seat,
                    graveyard.len()
                )));
            }
            graveyard.truncate(keep);
            graveyard.extend(change.cards.iter().cloned());
        }
        if let Some(hand) = &delta.hand {
            next.hand.clone_from(&hand.cards);
        }
        if let Some(outcome) = &delta.outcome {
            next.outcome = Some(outcome.clone());
        }
        for hand in &delta.hands {
            match next.hands.iter_mut().find(|h| h.seat == hand.seat) {
                Some(slot) => slot.clone_from(hand),
                None => next.hands.push(hand.clone()),
            }
        }
        if let Some(secrets) = &delta.own_secrets {
            next.own_secrets.clone_from(&secrets.cards);
        }
        *self = next;
        Ok(())
    }
}

/// Whether two states of one seat differ in nothing but their graveyards (compared whole,
/// so a field added to `SeatState` is never left out of a delta).
fn same_but_graveyard(a: &SeatState, b: &SeatState) -> bool {
    if a.graveyard == b.graveyard {
        return a == b;
    }
    let without = |s: &SeatState| SeatState {
        graveyard: Vec::new(),
        ..s.clone()
    };
    without(a) == without(b)
}

fn seat_mut(seats: &mut [SeatState], seat: u32) -> Result<&mut SeatState, DeltaMismatch> {
    seats
        .iter_mut()
        .find(|s| s.seat == seat)
        .ok_or_else(|| DeltaMismatch(format!("the view has no seat {seat}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::{HandCard, Outcome, Unit};

    fn seat(seat: u32, graveyard: &[&str]) -> SeatState {
        SeatState {
            seat,
            health: 30,
            hand: vec![10 + seat, 20 + seat],
            board: vec![Unit {
                id: 100 + seat,
                card: "wisp".to_owned(),
                attack: 1,
                health: 1,
                ..Unit::default()
            }],
            graveyard: graveyard.iter().map(|&c| c.to_owned()).collect(),
            hero_power: Some("spark".to_owned()),
            ..SeatState::default()
        }
    }

    fn view() -> View {
        View {
            turn: 3,
            active_seat: 0,
            seats: vec![seat(0, &["a", "b"]), seat(1, &["c"])],
            hand: vec![HandCard {
                handle: 7,
                card: "bolt".to_owned(),
                cost: 1,
            }],
            ..View::default()
        }
    }

    fn round_trip(before: &View, after: &View) -> ViewDelta {
        let delta = before.delta_to(after);
        let mut applied = before.clone();
        applied.apply(&delta).unwrap();
        assert_eq!(&applied, after);
        delta
    }

    #[test]
    fn an_unchanged_view_is_an_empty_delta_but_for_the_turn() {
        let delta = round_trip(&view(), &view());
        assert_eq!(
            delta,
            ViewDelta {
                turn: 3,
                ..ViewDelta::default()
            }
        );
    }

    #[test]
    fn a_graveyard_sends_only_its_new_cards() {
        let mut after = view();
        after.seats[0].graveyard.push("d".to_owned());
        let delta = round_trip(&view(), &after);
        assert!(delta.seats.is_empty(), "only the graveyard changed");
        assert_eq!(
            delta.graveyards,
            vec![GraveyardChange {
                seat: 0,
                keep: 2,
                cards: vec!["d".to_owned()],
            }]
        );
    }

    #[test]
    fn a_changed_seat_is_sent_whole_without_its_graveyard() {
        let mut after = view();
        after.seats[1].health = 25;
        after.seats[1].board.clear();
        let delta = round_trip(&view(), &after);
        assert_eq!(delta.seats.len(), 1);
        assert_eq!(delta.seats[0].seat, 1);
        assert!(delta.seats[0].graveyard.is_empty());
        assert!(delta.graveyards.is_empty() && delta.hand.is_none());
    }

    #[test]
    fn hand_secrets_outcome_and_hands_round_trip() {
        let mut after = view();
        after.hand.clear();
        after.own_secrets = vec!["trap".to_owned()];
        after.outcome = Some(Outcome {
            winners: vec![1],
            reason: "concession".to_owned(),
        });
        after.hands = vec![Hand {
            seat: 1,
            cards: Vec::new(),
        }];
        let delta = round_trip(&view(), &after);
        assert_eq!(delta.hand.as_ref().map(|h| h.cards.len()), Some(0));
        // Back again: the secrets go, the outcome stays (it is never taken back).
        let mut back = view();
        back.outcome = after.outcome.clone();
        back.hands = after.hands.clone();
        let delta = round_trip(&after, &back);
        assert!(delta.outcome.is_none(), "an outcome is sent once");
    }

    #[test]
    fn a_shrunk_graveyard_is_kept_up_to_where_it_differs() {
        let mut after = view();
        after.seats[0].graveyard = vec!["a".to_owned(), "x".to_owned()];
        let delta = round_trip(&view(), &after);
        assert_eq!(delta.graveyards[0].keep, 1);
    }

    #[test]
    fn a_delta_for_another_view_is_refused_and_changes_nothing() {
        let mut after = view();
        after.seats[0].graveyard.push("d".to_owned());
        after.hand.clear();
        let delta = view().delta_to(&after);
        let mut other = view();
        other.seats[0].graveyard.clear();
        let before = other.clone();
        let error = other.apply(&delta).unwrap_err();
        assert!(error.to_string().contains("graveyard"), "{error}");
        assert_eq!(other, before);

        let mut seatless = View::default();
        let mut delta = view().delta_to(&after);
        delta.seats.push(seat(5, &[]));
        assert!(seatless.apply(&delta).is_err());
        assert_eq!(seatless, View::default());
    }
}
