// Whole matches through the SDK against a real server.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ActionRejectedError,
  actionOf,
  actions,
  ConnectionClosedError,
  eventsOf,
  type GameEvent,
  MoonlightError,
} from "@moonlight/client";
import { serverPerFile } from "./server.js";
import { contiguous, player, playToEnd, privateMatch, sleep, TestSocket, within } from "./helpers.js";

const server = serverPerFile();

test("two players open and join a private room and play it to GameOver, every action acknowledged", { timeout: 120_000 }, async () => {
  const a = await player(server(), "ann");
  const b = await player(server(), "bob");
  const { matchA, matchB } = await privateMatch(a, b);
  assert.equal(matchA.room_id, matchB.room_id);
  assert.notEqual(matchA.seat, matchB.seat);

  const gameA = a.game(matchA, { WebSocket: TestSocket, clientName: "sdk-test/ann" });
  const gameB = b.game(matchB, { WebSocket: TestSocket, clientName: "sdk-test/bob" });
  const eventsA = gameA.events();
  const eventsB = gameB.events();
  const [welcomeA, welcomeB] = await within(15_000, Promise.all([gameA.connect(), gameB.connect()]), "welcome");
  assert.equal(welcomeA.roomId, matchA.room_id);
  assert.equal(welcomeA.seat, matchA.seat);
  assert.equal(welcomeB.seat, matchB.seat);
  assert.equal(welcomeA.lastClientSeq, 0n);
  assert.equal(gameA.state, "open");
  assert.ok(gameA.legalActions.length > 0, "an opening hand to choose");

  const [logA, logB] = await within(90_000, Promise.all([playToEnd(gameA, eventsA), playToEnd(gameB, eventsB)]), "the match");

  for (const [name, game, log, welcome] of [
    ["A", gameA, logA, welcomeA],
    ["B", gameB, logB, welcomeB],
  ] as const) {
    assert.deepEqual(log.failures, [], `${name}: no action failed`);
    assert.ok(log.actionsSent > 0, `${name} played`);
    assert.equal(log.acks.length, log.actionsSent, `${name}: every action acknowledged`);
    assert.deepEqual(
      log.acks.map((ack) => ack.clientSeq),
      log.acks.map((_, i) => BigInt(i + 1)),
      `${name}: client_seq 1, 2, 3...`,
    );
    for (const ack of log.acks) assert.equal(ack.update?.ackedClientSeq, ack.clientSeq);
    assert.ok(contiguous(log.seqs, welcome.seq + 1n), `${name}: every seq once, in order`);
    assert.equal(log.events[0]!.type, "welcome");
    assert.equal(log.events.at(-1)!.type, "gameOver");
    assert.ok(!log.events.some((e) => e.type === "rejected" || e.type === "disconnected"));
    assert.ok(game.isOver);
    assert.ok(game.view?.outcome, "the last view carries the outcome");
  }
  // Each accepted input is one seq: nothing was applied twice, nothing else happened.
  assert.equal(gameA.lastSeq, gameB.lastSeq);
  assert.equal(gameA.lastSeq, BigInt(logA.acks.length + logB.acks.length));
  assert.deepEqual(logA.outcome!.winners, logB.outcome!.winners);
  assert.ok(["hero_defeated", "turn_limit"].includes(logA.outcome!.reason), logA.outcome!.reason);

  gameA.close();
  gameB.close();
  assert.deepEqual(await gameA.closed, { code: 1000, reason: "closed by the client" });

  // The lobby settles the match and frees both players.
  for (let i = 0; (await a.status()).state !== "idle"; i++) {
    assert.ok(i < 50, "settled within 10 s");
    await sleep(200);
  }
  const history = await a.matchHistory();
  const record = history.matches.find((m) => m.match_id === matchA.room_id);
  assert.ok(record, "the match is in the history");
  assert.equal(record.kind, "private");
  assert.equal((await b.matchRecord(matchA.room_id)).players.length, 2);

  // The replay: every step, played again by the server; each seat's hand only in its views.
  const deal = await a.replay(matchA.room_id);
  assert.equal(deal.step, 0);
  assert.equal(BigInt(deal.steps), gameA.lastSeq);
  assert.equal(deal.seat, matchA.seat);
  assert.equal(welcomeA.seq, 0n, "joined at the deal");
  assert.deepEqual(deal.view?.hand, welcomeA.view?.hand, "the deal as seat A saw it");
  const end = await b.replay(matchA.room_id, { step: deal.steps, view: "full" });
  assert.ok(end.view?.outcome, "the last step is the end");
  assert.equal(end.hands.length, 2);
  const publicEnd = await b.replay(matchA.room_id, { step: deal.steps, view: "public" });
  assert.deepEqual(publicEnd.view?.hand, []);
  const pastTheEnd = await b.replay(matchA.room_id, { step: deal.steps + 1 }).catch((e: unknown) => e);
  assert.ok(pastTheEnd instanceof MoonlightError && pastTheEnd.status === 400 && pastTheEnd.code === "bad_request");
});

test("against the practice bot: emote, ping, a rejected action, then concede", { timeout: 60_000 }, async () => {
  const p = await player(server(), "solo");
  const status = await p.practice("moonwell_starter");
  const game = await p.joinMatch(status.match!, { WebSocket: TestSocket });
  const seen: GameEvent[] = [];
  game.on("*", (event) => seen.push(event));
  const emoted = new Promise<GameEvent>((done) => game.on("emoted", done));

  // The turn timer: the opening-hand choice ends by itself within the server's turn time
  // (75 s by default).
  assert.ok(game.turnEndsAt !== undefined && game.turnEndsAt > Date.now(), `turnEndsAt ${game.turnEndsAt}`);
  assert.ok(game.turnEndsAt <= Date.now() + 75_000, `turnEndsAt ${game.turnEndsAt}`);
  assert.equal(game.emote("greetings"), true);
  assert.deepEqual(
    await within(5_000, emoted, "emoted").then((e) => e.type === "emoted" && [e.emoted.seat, e.emoted.emote]),
    [game.seat, "greetings"],
  );
  const rtt = await within(5_000, game.ping(), "pong");
  assert.ok(rtt >= 0);

  // An attack by a unit that does not exist is refused; nothing changes, numbering goes on.
  const before = game.lastSeq;
  const rejection = await game.act(actions.attack(999_999, 999_999)).then(
    () => assert.fail("accepted"),
    (e: unknown) => e,
  );
  assert.ok(rejection instanceof ActionRejectedError);
  assert.equal(rejection.clientSeq, 1n);
  assert.ok(rejection.reason.length > 0);
  assert.ok(seen.some((e) => e.type === "rejected" && e.rejection.clientSeq === 1n));
  assert.equal(game.lastSeq, before);

  const gameOver = new Promise<GameEvent>((done) => game.on("gameOver", done));
  const ack = await within(10_000, game.concede(), "concede");
  assert.equal(ack.clientSeq, 2n);
  const over = await within(10_000, gameOver, "game over");
  assert.ok(over.type === "gameOver" && over.outcome.reason === "concession");
  assert.ok(over.type === "gameOver" && !over.outcome.winners.includes(game.seat!));
  assert.equal(game.isOver, true);
  assert.equal(game.turnEndsAt, undefined, "no timer once the match is over");

  // After the end, the socket closing is final and later calls fail at once.
  game.close();
  await game.closed;
  await assert.rejects(game.act(actions.endTurn()), ConnectionClosedError);
});

// The WebSocket a browser has (Node 22's global one, or Node 20's with
// --experimental-websocket, which scripts/run-tests.mjs passes): no `ws` extras. Node 18 has
// no WebSocket global at all: there the same match runs with the `ws` package, passed as an
// option (what the SDK asks of Node < 22), so the scenario is still covered.
const platformWebSocket = (globalThis as { WebSocket?: unknown }).WebSocket;
const socketOption = platformWebSocket ? {} : { WebSocket: TestSocket };
test(
  platformWebSocket
    ? "with the platform's WebSocket (as in a browser): a refused ticket, then a whole match"
    : "with the ws package (no platform WebSocket in this Node): a refused ticket, then a whole match",
  { timeout: 120_000 },
  async () => {
    const a = await player(server(), "web_a");
    const b = await player(server(), "web_b");
    const { matchA, matchB } = await privateMatch(a, b);
    // No WebSocket option where the platform has one: the connection takes
    // globalThis.WebSocket. A's first ticket is refused at the upgrade, which this API only
    // reports as a failed socket.
    const gameA = a.game({ ...matchA, ticket: "expired" }, { reconnect: { initialDelayMs: 50 }, ...socketOption });
    const gameB = b.game(matchB, socketOption);
    const eventsA = gameA.events();
    const eventsB = gameB.events();
    // Quickly: the failed socket is noticed at once, not by the handshake timeout (10 s).
    await within(5_000, Promise.all([gameA.connect(), gameB.connect()]), "welcome");
    const [logA, logB] = await within(90_000, Promise.all([playToEnd(gameA, eventsA), playToEnd(gameB, eventsB)]), "the match");
    assert.equal(logA.events[0]!.type, "disconnected");
    assert.ok(logA.events.some((e) => e.type === "welcome"));
    for (const log of [logA, logB]) {
      assert.deepEqual(log.failures, []);
      assert.equal(log.acks.length, log.actionsSent);
      assert.ok(log.outcome);
    }
    assert.equal(gameA.lastSeq, BigInt(logA.acks.length + logB.acks.length));
    gameA.close();
    gameB.close();
    assert.equal((await gameB.closed).code, 1000);
  },
);

test("the hero power: used once a turn through its legal action; a second use is refused", { timeout: 120_000 }, async () => {
  const p = await player(server(), "power");
  // A fixed seed: the same deal every run.
  const status = await p.practice("dusk_starter", { playtest: { seed: 2026, botDeck: "moonwell_starter" } });
  const game = await p.joinMatch(status.match!, { WebSocket: TestSocket });
  const until = async (what: string, done: () => boolean) => {
    for (const started = Date.now(); !done(); await sleep(20)) {
      assert.ok(Date.now() - started < 30_000, `${what}: not within 30 s`);
    }
  };
  const me = () => game.view!.seats.find((s) => s.seat === game.seat)!;
  const myTurn = () => game.pendingActions === 0 && game.legalActions.some((a) => a.kind.case === "endTurn");

  await until("the opening hand", () => game.legalActions.some((a) => a.kind.case === "mulligan"));
  await game.act(actions.mulligan([]));
  let used = false;
  for (let turn = 0; turn < 12 && !used; turn++) {
    await until("my turn", myTurn);
    const power = me().heroPower;
    if (power === undefined) {
      // Content whose factions have no hero power: the server says so.
      const refusal = await game.act(actions.usePower()).then(() => assert.fail("accepted"), (e: unknown) => e);
      assert.ok(refusal instanceof ActionRejectedError && refusal.reason === "no_power", String(refusal));
      break;
    }
    assert.equal(me().heroPowerUsed, false, "a fresh turn: the power is ready");
    const legal = game.legalActions.find((a) => a.kind.case === "usePower");
    if (!legal) {
      await game.act(actions.endTurn()); // not enough moonlight yet (or nothing to aim at)
      continue;
    }
    const action = actionOf(legal)!;
    const ack = await within(10_000, game.act(action), "use_power");
    const [event] = eventsOf(ack.update?.events ?? [], "powerUsed");
    assert.ok(event, "the update says the power was used");
    assert.equal(event.seat, game.seat);
    assert.equal(event.card, power);
    assert.equal(me().heroPowerUsed, true);
    assert.ok(!game.legalActions.some((a) => a.kind.case === "usePower"), "no second use offered");
    const again = await game.act(action).then(() => assert.fail("accepted twice"), (e: unknown) => e);
    assert.ok(again instanceof ActionRejectedError, String(again));
    assert.equal(again.reason, "power_used");
    // The next turn it is ready again.
    await game.act(actions.endTurn());
    await until("my next turn", myTurn);
    assert.equal(me().heroPowerUsed, false);
    used = true;
  }
  assert.ok(used || me().heroPower === undefined, "the hero power was offered within 12 turns");
  const over = new Promise<GameEvent>((done) => game.on("gameOver", done));
  await within(10_000, game.concede(), "concede");
  await within(10_000, over, "game over");
  game.close();
});
