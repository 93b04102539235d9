// View deltas: `applyDelta` on its own, and a whole match played on deltas ending with the
// view the server holds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { clone, create, equals } from "@bufbuild/protobuf";
import {
  applyDelta,
  DeltaMismatchError,
  SeatStateSchema,
  ViewDeltaSchema,
  ViewSchema,
  type View,
} from "@moonlight/client";
import { serverPerFile } from "./server.js";
import { player, playToEnd, privateMatch, TestSocket, within } from "./helpers.js";

const server = serverPerFile();

function view(): View {
  return create(ViewSchema, {
    turn: 4,
    seats: [0, 1].map((seat) => create(SeatStateSchema, { seat, health: 30, hand: [seat + 10], graveyard: ["a", "b"] })),
    hand: [{ handle: 10, card: "bolt", cost: 1 }],
  });
}

test("a delta replaces what changed, appends to graveyards and leaves the rest", () => {
  const before = view();
  const kept = clone(ViewSchema, before);
  const delta = create(ViewDeltaSchema, {
    turn: 5,
    activeSeat: 1,
    seats: [create(SeatStateSchema, { seat: 1, health: 25, hand: [] })],
    graveyards: [{ seat: 0, keep: 2, cards: ["c"] }],
    hand: { cards: [] },
    ownSecrets: { cards: ["trap"] },
  });
  const after = applyDelta(before, delta);
  assert.ok(equals(ViewSchema, before, kept), "the view applied to is left as it was");
  assert.equal(after.turn, 5);
  assert.equal(after.activeSeat, 1);
  assert.equal(after.seats[1]!.health, 25);
  assert.deepEqual(after.seats[1]!.graveyard, ["a", "b"], "a seat's graveyard is kept when the seat is replaced");
  assert.deepEqual(after.seats[0]!.graveyard, ["a", "b", "c"]);
  assert.equal(after.seats[0]!.health, 30, "an unchanged seat stays");
  assert.deepEqual(after.hand, []);
  assert.deepEqual(after.ownSecrets, ["trap"]);
  assert.equal(after.outcome, undefined);
});

test("a delta for another view is refused", () => {
  const before = view();
  const kept = clone(ViewSchema, before);
  const tooLong = create(ViewDeltaSchema, { graveyards: [{ seat: 0, keep: 3, cards: [] }] });
  assert.throws(() => applyDelta(before, tooLong), DeltaMismatchError);
  const noSeat = create(ViewDeltaSchema, { seats: [create(SeatStateSchema, { seat: 7 })] });
  assert.throws(() => applyDelta(before, noSeat), DeltaMismatchError);
  assert.ok(equals(ViewSchema, before, kept));
});

test("a match played on deltas ends with the view the server holds", { timeout: 120_000 }, async () => {
  const a = await player(server(), "ann");
  const b = await player(server(), "bob");
  const { matchA, matchB } = await privateMatch(a, b);
  const gameA = a.game(matchA, { WebSocket: TestSocket });
  const gameB = b.game(matchB, { WebSocket: TestSocket });
  const [eventsA, eventsB] = [gameA.events(), gameB.events()];
  await within(15_000, Promise.all([gameA.connect(), gameB.connect()]), "welcome");
  const [logA] = await within(100_000, Promise.all([playToEnd(gameA, eventsA), playToEnd(gameB, eventsB)]), "game over");
  const deltas = logA.events.filter((e) => e.type === "update" && e.update.delta !== undefined).length;
  assert.ok(deltas > 10, `the server sent deltas (${deltas})`);
  const built = gameA.view!;
  gameA.close();
  // A fresh Hello gets the whole view: the one the deltas built.
  const again = a.game(matchA, { WebSocket: TestSocket });
  const welcome = await within(15_000, again.connect(), "welcome again");
  assert.ok(equals(ViewSchema, welcome.view!, built), "the view built from deltas is the server's");
  again.close();
  gameB.close();
});
