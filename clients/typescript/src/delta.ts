import { clone } from "@bufbuild/protobuf";
import { ViewDeltaSchema, ViewSchema, type SeatState, type View, type ViewDelta } from "./gen/moonlight/v1/game_pb.js";

/**
 * A view delta that does not fit the view it was applied to: the view is not the one the
 * server based it on. `GameConnection` then resumes, which brings the whole view.
 */
export class DeltaMismatchError extends Error {
  constructor(message: string) {
    super(`the view delta does not fit this view: ${message}`);
    this.name = "DeltaMismatchError";
  }
}

/**
 * `view` with `delta` (`Update.delta`, made from `view`) applied, as a new `View`; `view`
 * itself is left as it was. Throws `DeltaMismatchError` when the delta does not fit.
 */
export function applyDelta(view: View, delta: ViewDelta): View {
  const next = clone(ViewSchema, view);
  // The new view owns its parts: nothing in it is shared with `view` or `delta`.
  delta = clone(ViewDeltaSchema, delta);
  next.turn = delta.turn;
  next.activeSeat = delta.activeSeat;
  const seatOf = (seat: number): SeatState => {
    const found = next.seats.find((s) => s.seat === seat);
    if (!found) throw new DeltaMismatchError(`the view has no seat ${seat}`);
    return found;
  };
  for (const seat of delta.seats) {
    seat.graveyard = seatOf(seat.seat).graveyard;
    next.seats = next.seats.map((s) => (s.seat === seat.seat ? seat : s));
  }
  for (const change of delta.graveyards) {
    const graveyard = seatOf(change.seat).graveyard;
    if (change.keep > graveyard.length) {
      throw new DeltaMismatchError(`seat ${change.seat}'s graveyard has ${graveyard.length} cards, not ${change.keep}`);
    }
    graveyard.splice(change.keep, graveyard.length - change.keep, ...change.cards);
  }
  if (delta.hand) next.hand = delta.hand.cards;
  if (delta.outcome) next.outcome = delta.outcome;
  for (const hand of delta.hands) {
    const index = next.hands.findIndex((h) => h.seat === hand.seat);
    if (index < 0) next.hands.push(hand);
    else next.hands[index] = hand;
  }
  if (delta.ownSecrets) next.ownSecrets = delta.ownSecrets.cards;
  return next;
}
