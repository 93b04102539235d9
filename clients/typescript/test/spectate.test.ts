// Spectating: the live list, watch tickets, and a spectator's connection that follows a quick
// match to the end (reconnecting through `watch`, never `status`) without ever seeing a
// card the players hold or draw.
import { test } from "node:test";
import assert from "node:assert/strict";
import { actions, MoonlightError, SpectatorError, type GameEvent, type MoonlightClient } from "@moonlight/client";
import { serverPerFile } from "./server.js";
import { choose, flakySockets, player, playToEnd, privateMatch, refused, sleep, TestSocket, within } from "./helpers.js";

const server = serverPerFile();

const fast = { reconnect: { initialDelayMs: 50, maxDelayMs: 500 } };


/** Counts the lobby calls a client makes, by name. */
function countCalls(client: MoonlightClient, ...names: ("watch" | "status")[]) {
  const calls = { watch: 0, status: 0 };
  for (const name of names) {
    const original = client[name].bind(client) as (...args: unknown[]) => Promise<never>;
    (client as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      calls[name]++;
      return original(...args);
    };
  }
  return calls;
}


test("a third player lists the live quick match, watches it to the end and never sees a hidden card", { timeout: 120_000 }, async () => {
  const a = await player(server(), "ann");
  const b = await player(server(), "bob");
  const watcher = await player(server(), "stella");
  await a.enqueue("dusk_starter");
  await b.enqueue("tide_starter");
  const [matchA, matchB] = await within(15_000, Promise.all([a.waitForMatch(), b.waitForMatch()]), "matched");
  const matchId = matchA.room_id;

  // The live list: this match, newest first, with its players' names.
  const live = await watcher.liveMatches();
  const listed = live.find((m) => m.match_id === matchId);
  assert.ok(listed, `the match is listed: ${JSON.stringify(live)}`);
  assert.equal(listed.kind, "quick");
  assert.deepEqual([...listed.players].sort(), [a.tokens!.username, b.tokens!.username].sort());
  assert.ok(Math.abs(listed.started_at - Date.now() / 1000) < 60, "started now");
  assert.ok((await watcher.liveMatches(1)).length <= 1);

  const calls = countCalls(watcher, "watch", "status");
  const ticket = await watcher.watch(matchId);
  assert.equal(ticket.room_id, matchId);
  assert.ok(ticket.url.startsWith("ws://") && ticket.ticket && ticket.node_id);

  // The first ticket is refused at the upgrade: the connection asks `watch` for another.
  const Socket = flakySockets();
  const spectator = watcher.spectate({ ...ticket, ticket: "expired" }, { WebSocket: Socket, ...fast });
  assert.equal(spectator.spectator, true);
  const events = spectator.events();
  const welcome = await within(10_000, spectator.connect(), "the spectator's welcome");
  assert.equal(calls.watch, 2, "one ticket from the test, one from the reconnect");
  assert.equal(welcome.roomId, matchId);
  assert.equal(welcome.seat, undefined, "a spectator has no seat");
  assert.equal(spectator.seat, undefined);
  assert.deepEqual(welcome.view?.hand, [], "and no hand");
  assert.deepEqual(welcome.legalActions, []);
  assert.equal(welcome.view?.seats.length, 2, "both seats, in their public state");
  assert.deepEqual(welcome.players.map((p) => p.name).sort(), [...listed.players].sort());

  // A spectator cannot act: refused at once, nothing sent.
  await assert.rejects(spectator.act(actions.endTurn()), SpectatorError);
  await assert.rejects(spectator.concede(), SpectatorError);
  assert.equal(spectator.emote("greetings"), false);
  assert.deepEqual(Socket.clientSeqs(), []);
  assert.ok(!Socket.sent.some((s) => s.frame.body.case === "emote"));

  // Everything the spectator sees, until the end.
  const seen: GameEvent[] = [];
  const watched = (async () => {
    for await (const event of events) {
      seen.push(event);
      if (event.type === "gameOver" || event.type === "closed") break;
    }
  })();

  const gameA = a.game(matchA, { WebSocket: TestSocket });
  const gameB = b.game(matchB, { WebSocket: TestSocket });
  const eventsA = gameA.events();
  const eventsB = gameB.events();
  await within(15_000, Promise.all([gameA.connect(), gameB.connect()]), "the players' welcomes");
  // Both keep their opening hands; the spectator sees both choices.
  await within(10_000, Promise.all([gameA.act(choose(gameA)!), gameB.act(choose(gameB)!)]), "mulligans");
  const caughtUp = async () => {
    for (let i = 0; spectator.lastSeq !== gameA.lastSeq; i++) {
      assert.ok(i < 100, `the spectator follows: at ${spectator.lastSeq}, the room at ${gameA.lastSeq}`);
      await sleep(50);
    }
  };
  await caughtUp();

  // The spectator loses its network, and the first try to come back fails too: it comes
  // back with a fresh ticket from `watch`, to a Welcome (a spectator's Resume gets one).
  const rewelcomed = new Promise<void>((done) => spectator.on("welcome", (e) => e.resumed && done()));
  Socket.refuse = 1;
  Socket.latest().cut();
  await within(10_000, rewelcomed, "the spectator back");
  assert.equal(calls.watch, 3, "a fresh ticket from watch");
  assert.equal(calls.status, 0, "never the lobby's /status: a spectator has no match there");
  await caughtUp();

  const [logA, logB] = await within(90_000, Promise.all([playToEnd(gameA, eventsA), playToEnd(gameB, eventsB)]), "the match");
  await within(10_000, watched, "the spectator sees the end");

  // The spectator saw every update, in order, and the same end.
  const over = seen.at(-1)!;
  assert.equal(over.type, "gameOver", `the last event: ${over.type}`);
  assert.deepEqual(over.type === "gameOver" && over.outcome.winners, logA.outcome!.winners);
  assert.deepEqual(logA.outcome!.winners, logB.outcome!.winners);
  assert.equal(spectator.lastSeq, gameA.lastSeq);
  let last = welcome.seq;
  let updates = 0;
  let drawn = 0;
  for (const event of seen) {
    if (event.type === "welcome") {
      last = event.welcome.seq;
      assert.deepEqual(event.welcome.view?.hand, []);
      assert.equal(event.welcome.seat, undefined);
    }
    if (event.type !== "update") continue;
    updates++;
    assert.equal(event.update.seq, last + 1n, "every seq once, in order");
    last = event.update.seq;
    assert.deepEqual(event.update.legalActions, []);
    assert.deepEqual(event.update.view?.hand ?? [], [], "never a hand");
    assert.equal(event.update.ackedClientSeq, undefined);
    for (const e of event.update.events) {
      if (e.kind.case !== "cardDrawn") continue;
      drawn++;
      assert.equal(e.kind.value.card, undefined, `a drawn card stays hidden: ${JSON.stringify(e.kind.value)}`);
    }
  }
  assert.ok(updates > 10, `the spectator saw the match (${updates} updates)`);
  assert.ok(drawn > 0, "cards were drawn while the spectator watched");
  // The players themselves saw what they drew.
  const ownDraws = logA.events.flatMap((e) =>
    e.type === "update" ? e.update.events.filter((x) => x.kind.case === "cardDrawn" && x.kind.value.seat === gameA.seat) : [],
  );
  assert.ok(ownDraws.some((e) => e.kind.case === "cardDrawn" && e.kind.value.card), "a player sees its own draws");
  assert.deepEqual(Socket.clientSeqs(), [], "the spectator never acted");

  spectator.close();
  gameA.close();
  gameB.close();

  // Once recorded, the match is over for the lobby: no more tickets, off the live list.
  for (let i = 0; ; i++) {
    const error = await watcher.watch(matchId).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (error instanceof MoonlightError && error.code === "match_over") {
      assert.equal(error.status, 410);
      break;
    }
    assert.ok(i < 50, `410 match_over within 10 s, not ${String(error)}`);
    await sleep(200);
  }
  assert.ok(!(await watcher.liveMatches()).some((m) => m.match_id === matchId));
  assert.equal(await watcher.spectatorTicketProvider(matchId)({ roomId: matchId, closeCode: 1006, reason: "" }), null);
});

test("a private room's match is neither listed nor watchable; bad limits are refused", { timeout: 30_000 }, async () => {
  const a = await player(server(), "host");
  const b = await player(server(), "guest");
  const watcher = await player(server(), "peeker");
  const { matchA } = await privateMatch(a, b);
  assert.ok(!(await watcher.liveMatches(50)).some((m) => m.match_id === matchA.room_id));
  await refused(watcher.watch(matchA.room_id), 404, "unknown_match");
  await refused(watcher.watch("no-such-match"), 404, "unknown_match");
  await refused(watcher.watchMatch(matchA.room_id, { WebSocket: TestSocket }), 404, "unknown_match");
  await refused(a.watch(matchA.room_id), 404, "unknown_match"); // not even for its own players
  assert.equal(await watcher.spectatorTicketProvider(matchA.room_id)({ roomId: matchA.room_id, closeCode: 1006, reason: "" }), null);
  await refused(watcher.liveMatches(0), 400, "bad_request");
  await refused(watcher.liveMatches(51), 400, "bad_request");
});
