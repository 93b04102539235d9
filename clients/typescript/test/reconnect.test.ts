// Reconnection: cut sockets, refused upgrades, a silent link, a node restart, a second
// socket for the same seat, another device playing the seat meanwhile. Each match must end
// with every update seen once and every action applied once.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import WebSocket from "ws";
import {
  ClientFrameSchema,
  GameConnection,
  ProtocolVersion,
  ServerFrameSchema,
  type GameEvent,
  type MatchTicket,
  type MoonlightClient,
  type Update,
  type Welcome,
} from "@moonlight/client";
import { hostPort, startServer, type Server } from "./server.js";
import { startProxy } from "./proxy.js";
import {
  choose,
  contiguous,
  player,
  playToEnd,
  privateMatch,
  recordingSockets,
  within,
  type PlayLog,
} from "./helpers.js";

let server: Server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

const fast = { reconnect: { initialDelayMs: 50, maxDelayMs: 500 } };

function count(log: PlayLog, type: GameEvent["type"]) {
  return log.events.filter((e) => e.type === type).length;
}

/** Both logs: no failure, every action acknowledged once, every seq once, one seq per action. */
function assertClean(
  games: [GameConnection, GameConnection],
  logs: [PlayLog, PlayLog],
  firstSeqs: [bigint, bigint],
) {
  for (const [i, log] of logs.entries()) {
    assert.deepEqual(log.failures, [], `player ${i}: no action failed`);
    assert.equal(log.acks.length, log.actionsSent, `player ${i}: every action acknowledged`);
    const clientSeqs = log.acks.map((a) => a.clientSeq).sort((x, y) => (x < y ? -1 : 1));
    assert.equal(new Set(clientSeqs).size, clientSeqs.length, `player ${i}: each action acknowledged once`);
    assert.ok(contiguous(log.seqs, firstSeqs[i]!), `player ${i}: every seq once, in order: ${log.seqs.join(",")}`);
    assert.ok(log.outcome, `player ${i}: game over`);
  }
  assert.equal(games[0].lastSeq, games[1].lastSeq);
  assert.equal(games[0].lastSeq, BigInt(logs[0].acks.length + logs[1].acks.length), "one seq per action: none applied twice");
  assert.deepEqual(logs[0].outcome!.winners, logs[1].outcome!.winners);
}

async function twoPlayers(server: Server): Promise<[MoonlightClient, MoonlightClient]> {
  return [await player(server, "a"), await player(server, "b")];
}

test("sockets cut mid-match resume by themselves: no update lost, no action applied twice", { timeout: 120_000 }, async () => {
  const [a, b] = await twoPlayers(server);
  const { matchA, matchB } = await privateMatch(a, b);
  const SocketA = recordingSockets();
  const SocketB = recordingSockets();
  const gameA = a.game(matchA, { WebSocket: SocketA, ...fast });
  const gameB = b.game(matchB, { WebSocket: SocketB, ...fast });
  const eventsA = gameA.events();
  const eventsB = gameB.events();
  const [welcomeA, welcomeB] = await within(15_000, Promise.all([gameA.connect(), gameB.connect()]), "welcome");

  // A loses its network three times at chosen moments.
  let deafSeq: bigint | undefined; // sent, applied, acknowledgement lost
  let muteSeq: bigint | undefined; // sent, lost on the way: must be resent with the same client_seq
  let phase = 0;
  const hook = (game: GameConnection, log: PlayLog): boolean => {
    const action = choose(game);
    if (!action) return false;
    const act = () => {
      log.actionsSent++;
      game.act(action).then(
        (ack) => log.acks.push(ack),
        (error: Error) => log.failures.push(error),
      );
    };
    if (phase === 0 && log.acks.length >= 2) {
      phase = 1;
      const socket = SocketA.latest();
      socket.deaf = true; // from now on nothing reaches the SDK
      act();
      deafSeq = SocketA.clientSeqs().at(-1)!.clientSeq;
      setTimeout(() => socket.cut(), 300); // by then the server has applied it
      return true;
    }
    if (phase === 1 && log.acks.length >= 6) {
      phase = 2;
      const socket = SocketA.latest();
      socket.mute = true; // the next frame never leaves
      act();
      muteSeq = SocketA.clientSeqs().at(-1)!.clientSeq;
      setTimeout(() => socket.cut(), 100);
      return true;
    }
    if (phase === 2 && log.acks.length >= 10) {
      phase = 3;
      SocketA.latest().cut(); // between actions
      return true;
    }
    return false;
  };
  const [logA, logB] = await within(
    90_000,
    Promise.all([playToEnd(gameA, eventsA, hook), playToEnd(gameB, eventsB)]),
    "the match",
  );
  assert.equal(phase, 3, "all three cuts happened");
  assertClean([gameA, gameB], [logA, logB], [welcomeA.seq + 1n, welcomeB.seq + 1n]);

  // Three drops, three resumes, and never a fresh Welcome (the server replayed each time).
  assert.equal(count(logA, "disconnected"), 3);
  assert.equal(count(logA, "resumed"), 3);
  assert.equal(count(logA, "welcome"), 1);
  assert.equal(SocketA.all.length, 4);
  const resumes = SocketA.sent.filter((s) => s.frame.body.case === "resume");
  assert.equal(resumes.length, 3, "each new socket opened with Resume");
  // The deaf cut: the action's acknowledgement and the updates after it came in the replay.
  const firstResume = logA.events.findIndex((e) => e.type === "resumed");
  const replayed = logA.events.slice(0, firstResume).filter((e) => e.type === "update" && e.replayed);
  assert.ok(replayed.some((e) => e.type === "update" && e.update.ackedClientSeq === deafSeq), "the lost ack was replayed");
  // The mute cut: the same client_seq went out again on the next socket, and nothing else was resent.
  const sends = SocketA.clientSeqs();
  assert.deepEqual(
    sends.filter((s) => s.clientSeq === muteSeq).map((s) => s.dropped),
    [true, false],
    "the lost action was resent once, with the same client_seq",
  );
  assert.equal(sends.filter((s) => !s.dropped).length, logA.acks.length, "no other action sent twice");
  gameA.close();
  gameB.close();
});

test("a refused upgrade (bad ticket) gets a fresh ticket from the provider", { timeout: 60_000 }, async () => {
  const p = await player(server, "solo");
  const match = (await p.practice("dusk_starter")).match!;
  const Socket = recordingSockets();
  const asked: number[] = [];
  const provider = p.ticketProvider(match.room_id);
  const game = new GameConnection({
    url: match.url,
    ticket: "not-a-ticket",
    tickets: async (request) => {
      asked.push(request.closeCode);
      return provider(request);
    },
    WebSocket: Socket,
    ...fast,
  });
  const seen: GameEvent[] = [];
  game.on("*", (e) => seen.push(e));
  const welcome = await within(15_000, game.connect(), "welcome");
  assert.equal(welcome.roomId, match.room_id);
  assert.equal(seen[0]!.type, "disconnected");
  assert.deepEqual(asked, [1006]);
  assert.equal(Socket.all.length, 2);
  await within(10_000, game.concede(), "concede");
  game.close();
});

test("without a usable ticket the connection gives up and says why", { timeout: 30_000 }, async () => {
  const p = await player(server, "lost");
  const match = (await p.practice("dusk_starter")).match!;
  // No provider: the bad ticket is all there is.
  const stuck = new GameConnection({
    url: match.url,
    ticket: "not-a-ticket",
    WebSocket: recordingSockets(),
    reconnect: { initialDelayMs: 20, maxDelayMs: 100, giveUpAfterMs: 1_000 },
  });
  await assert.rejects(within(10_000, stuck.connect(), "give up"), /gave up reconnecting/);
  assert.equal(stuck.state, "closed");
  // A provider that says the match is over ends it at once.
  const over = new GameConnection({
    url: match.url,
    ticket: "not-a-ticket",
    tickets: async () => null,
    WebSocket: recordingSockets(),
    ...fast,
  });
  await assert.rejects(within(10_000, over.connect(), "no match"), /no longer lists this match/);
});

test("a link that goes silent is detected, dropped and resumed", { timeout: 60_000 }, async () => {
  const p = await player(server, "quiet");
  const match = (await p.practice("tide_starter")).match!;
  const game = new URL(match.url);
  const proxy = await startProxy(game.hostname, Number(game.port));
  try {
    const viaProxy = { ...match, url: match.url.replace(`:${game.port}/`, `:${proxy.port}/`) };
    const Socket = recordingSockets();
    const conn = await p.joinMatch(viaProxy, { WebSocket: Socket, pingIntervalMs: 200, deadAfterMs: 1_000, ...fast });
    const seen: GameEvent[] = [];
    conn.on("*", (e) => seen.push(e));
    const resumed = new Promise((done) => conn.on("resumed", done));
    proxy.freeze();
    await within(10_000, resumed, "resumed after the silence");
    const drop = seen.find((e) => e.type === "disconnected");
    assert.ok(drop && drop.type === "disconnected" && /no frame/.test(drop.reason), JSON.stringify(drop));
    assert.equal(Socket.all.length, 2);
    assert.ok((await within(5_000, conn.ping(), "ping")) >= 0);
    await within(10_000, conn.concede(), "concede");
    conn.close();
  } finally {
    await proxy.close();
  }
});

test("a second socket for the seat replaces the first; numbering goes on after the server's", { timeout: 60_000 }, async () => {
  const p = await player(server, "twice");
  const match = (await p.practice("moonwell_starter")).match!;
  const first = await p.joinMatch(match, { WebSocket: recordingSockets() });
  const mulligan = choose(first)!;
  assert.equal(mulligan.case, "mulligan");
  assert.equal((await first.act(mulligan)).clientSeq, 1n);

  // The same player on another device (or after a reload): a fresh Hello.
  const Second = recordingSockets();
  const second = await p.joinMatch((await p.status()).match!, { WebSocket: Second });
  assert.deepEqual(await within(10_000, first.closed, "first closed"), {
    code: 4001,
    reason: "replaced by a newer connection",
  });
  assert.equal(second.lastSeq! >= first.lastSeq!, true);
  const ack = await within(10_000, second.concede(), "concede");
  assert.equal(ack.clientSeq, 2n, "the Welcome's last_client_seq is never reused");
  second.close();
});

/**
 * Another client for the seat (a second device), in plain frames: `Hello`, then a mulligan
 * numbered `clientSeq` (the server applies any number above the seat's highest), until its
 * acknowledgement; then it closes.
 */
async function mulliganElsewhere(match: MatchTicket, clientSeq: bigint): Promise<{ welcome: Welcome; update: Update }> {
  const ws = new WebSocket(`${match.url}?ticket=${encodeURIComponent(match.ticket)}`);
  const send = (frame: MessageInitShape<typeof ClientFrameSchema>) =>
    ws.send(toBinary(ClientFrameSchema, create(ClientFrameSchema, frame)));
  try {
    return await new Promise((done, fail) => {
      let welcome: Welcome | undefined;
      ws.on("open", () =>
        send({ body: { case: "hello", value: { protocolVersion: ProtocolVersion.PROTOCOL_VERSION_1, clientName: "sdk-test/elsewhere" } } }),
      );
      ws.on("message", (data: Buffer) => {
        const body = fromBinary(ServerFrameSchema, new Uint8Array(data)).body;
        if (body.case === "welcome") {
          welcome = body.value;
          send({ body: { case: "action", value: { clientSeq, kind: { case: "mulligan", value: { replace: [] } } } } });
        } else if (body.case === "update" && body.value.ackedClientSeq === clientSeq) {
          done({ welcome: welcome!, update: body.value });
        } else if (body.case === "actionRejected") {
          fail(new Error(`mulligan refused: ${body.value.reason}`));
        } else if (body.case === "error") {
          fail(new Error(`server error: ${body.value.code}`));
        }
      });
      ws.on("error", fail);
      ws.on("close", (code) => fail(new Error(`closed (${code}) before the acknowledgement`)));
    });
  } finally {
    ws.close();
  }
}

test("a pending action numbered at or below the seat's highest applied client_seq is settled, never re-sent", { timeout: 60_000 }, async () => {
  const p = await player(server, "elsewhere");
  const match = (await p.practice("dusk_starter")).match!;
  // While `away`, a new socket fails at once (no network) and the lobby's ticket waits for
  // `back`: the connection stays away until the other device is done.
  const Recording = recordingSockets();
  let away = false;
  class Socket extends Recording {
    constructor(url: string) {
      if (away) throw new Error("offline");
      super(url);
    }
  }
  let comeBack!: () => void;
  const back = new Promise<void>((done) => (comeBack = done));
  const provider = p.ticketProvider(match.room_id);
  const game = p.game(match, {
    WebSocket: Socket,
    tickets: async (request) => {
      await back;
      return provider(request);
    },
    ...fast,
  });
  const seen: GameEvent[] = [];
  game.on("*", (e) => seen.push(e));
  const welcome = await within(15_000, game.connect(), "welcome");
  assert.equal(welcome.lastClientSeq, 0n);
  const mulligan = choose(game)!;
  assert.equal(mulligan.case, "mulligan");

  // The mulligan (client_seq 1) never leaves: the socket is mute, then the network is gone.
  Recording.latest().mute = true;
  away = true;
  const pending = game.act(mulligan);
  Recording.latest().cut();

  // Meanwhile the player's other device takes the seat and chooses the opening hand, with a
  // client_seq of its own numbering: 5. The server applies it; its highest is now 5.
  const other = await within(10_000, mulliganElsewhere((await p.status()).match!, 5n), "the other device's mulligan");
  assert.equal(other.welcome.lastClientSeq, 0n);

  // Back: a Resume, whose replay holds the other device's update (acked_client_seq 5).
  const resumed = new Promise<GameEvent>((done) => game.on("resumed", done));
  away = false;
  comeBack();
  const ack = await within(15_000, pending, "the pending mulligan settled");
  await within(15_000, resumed, "resumed");
  assert.ok(!seen.some((e) => e.type === "welcome" && e.resumed), "a replay, not a Welcome");
  // Settled as acknowledged (1 <= 5) by the replay, without an update of its own...
  assert.deepEqual([ack.clientSeq, ack.update], [1n, undefined]);
  assert.equal(game.lastClientSeq, 5n);
  // ...and never sent again: the only send of client_seq 1 is the one the mute socket lost.
  assert.deepEqual(
    Recording.clientSeqs().map((s) => [s.clientSeq, s.dropped]),
    [[1n, true]],
  );

  // The next action is numbered above 5, so it is applied (a number at or below would only
  // be acknowledged): the concession ends the match.
  const over = new Promise<GameEvent>((done) => game.on("gameOver", done));
  const conceded = await within(10_000, game.concede(), "concede");
  assert.equal(conceded.clientSeq, 6n);
  assert.equal(conceded.update?.ackedClientSeq, 6n);
  const gameOver = await within(10_000, over, "game over");
  assert.ok(gameOver.type === "gameOver" && gameOver.outcome.reason === "concession", JSON.stringify(gameOver.type));
  assert.deepEqual(
    Recording.clientSeqs().map((s) => [s.clientSeq, s.dropped]),
    [
      [1n, true],
      [6n, false],
    ],
  );
  game.close();
});

// Last: it stops the file's server for good.
test("a node restart (Reconnect, 1012) resumes through the lobby; a restored room answers with a Welcome", { timeout: 120_000 }, async () => {
  const [a, b] = await twoPlayers(server);
  const { matchA, matchB } = await privateMatch(a, b);
  const SocketA = recordingSockets();
  const gameA = a.game(matchA, { WebSocket: SocketA, ...fast });
  const gameB = b.game(matchB, { WebSocket: recordingSockets(), ...fast });
  const eventsA = gameA.events();
  const eventsB = gameB.events();
  const [welcomeA, welcomeB] = await within(15_000, Promise.all([gameA.connect(), gameB.connect()]), "welcome");
  assert.equal(welcomeA.seq, 0n);

  // A stops hearing the server, then chooses its opening hand: applied, acknowledgement lost.
  SocketA.latest().deaf = true;
  const ackA = gameA.act(choose(gameA)!);
  const ackB = await within(10_000, gameB.act(choose(gameB)!), "B's mulligan");
  for (let i = 0; gameB.lastSeq! < 2n; i++) {
    assert.ok(i < 100, "A's mulligan applied");
    await new Promise((done) => setTimeout(done, 50));
  }

  // Graceful stop (rooms snapshot, Reconnect, close 1012), then the same node comes back on
  // the same ports and data. The SDKs ask the lobby until it answers again.
  const old = server;
  const dataDir = old.dataDir;
  try {
    await old.stop({ keepData: true });
    server = await startServer({
      dataDir,
      authAddr: hostPort(old.authUrl),
      lobbyAddr: hostPort(old.lobbyUrl),
      gameAddr: hostPort(old.gameUrl),
    });

    // A is 2 updates behind a restored room, which cannot replay: a Welcome, whose
    // last_client_seq acknowledges A's mulligan.
    const ack = await within(30_000, ackA, "A's mulligan acknowledged");
    assert.deepEqual([ack.clientSeq, ack.seq, ack.update], [1n, 2n, undefined]);
    assert.equal(SocketA.clientSeqs().filter((s) => s.clientSeq === 1n).length, 1, "settled by the Welcome, never sent again");
    const [logA, logB] = await within(
      90_000,
      Promise.all([playToEnd(gameA, eventsA), playToEnd(gameB, eventsB)]),
      "the match",
    );
    const resumedWelcome = logA.events.find((e) => e.type === "welcome" && e.resumed);
    assert.ok(resumedWelcome?.type === "welcome" && resumedWelcome.welcome.lastClientSeq === 1n);
    assert.ok(contiguous(logA.seqs, 3n), `A: every seq after the Welcome once: ${logA.seqs.join(",")}`);
    const dropA = logA.events.find((e) => e.type === "disconnected");
    assert.ok(dropA?.type === "disconnected" && dropA.code === 1012, JSON.stringify(dropA));

    // B, up to date, resumed: its Resume got the updates A made meanwhile (if any).
    // It normally hears the Reconnect and the 1012 first; the server sometimes exits before
    // its sockets flush them (a server race), and B sees a plain 1006: same recovery.
    const dropB = logB.events.find((e) => e.type === "disconnected");
    assert.ok(dropB?.type === "disconnected" && dropB.willReconnect, JSON.stringify(dropB));
    if (dropB.code === 1012) assert.equal(count(logB, "serverReconnect"), 1);
    else assert.equal(dropB.code, 1006);
    assert.ok(logB.events.some((e) => e.type === "resumed"));
    assert.ok(!logB.events.some((e) => e.type === "welcome" && e.resumed));
    assert.ok(contiguous(logB.seqs, welcomeB.seq + 1n), `B: every seq once: ${logB.seqs.join(",")}`);

    for (const [i, log] of [logA, logB].entries()) {
      assert.deepEqual(log.failures, [], `player ${i}: no action failed`);
      assert.equal(log.acks.length, log.actionsSent, `player ${i}: every action acknowledged`);
      assert.ok(log.outcome);
    }
    assert.equal(ackB.clientSeq, 1n);
    assert.equal(gameA.lastSeq, gameB.lastSeq);
    assert.equal(gameA.lastSeq, BigInt(2 + logA.acks.length + logB.acks.length), "one seq per action: none applied twice");
    gameA.close();
    gameB.close();
  } finally {
    // The restarted server does not own the data directory: remove it after its stop.
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
