// What the tests share: players, a WebSocket the tests can cut, a simple policy and a
// loop that plays a connection to the end.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  actionOf,
  actions,
  ClientFrameSchema,
  MoonlightClient,
  MoonlightError,
  type Ack,
  type ActionKind,
  type ClientFrame,
  type GameConnection,
  type GameEvent,
  type Outcome,
} from "@moonlight/client";
import { fromBinary } from "@bufbuild/protobuf";
import WebSocket from "ws";
import type { Server } from "./server.js";

export const PASSWORD = "correct horse battery";

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString("hex")}`;
}

export async function player(server: Server, prefix = "p"): Promise<MoonlightClient> {
  const client = new MoonlightClient({ authUrl: server.authUrl, lobbyUrl: server.lobbyUrl });
  await client.register(uniqueName(prefix), PASSWORD);
  return client;
}

/** A frame the SDK sent on socket `socket` (`dropped`: swallowed by a mute socket). */
export interface SentFrame {
  socket: number;
  frame: ClientFrame;
  dropped: boolean;
}

/**
 * `ws`, recording every socket and every frame sent, with two ways to lose frames before
 * cutting a socket: `deaf` (frames from the server are dropped, as if lost on the way) and
 * `mute` (frames to the server are dropped). `recordingSockets()` gives each player a class
 * of its own, so each has its own lists.
 */
export function recordingSockets() {
  return class RecordingSocket extends WebSocket {
    static all: RecordingSocket[] = [];
    static sent: SentFrame[] = [];
    deaf = false;
    mute = false;
    readonly index: number;

    constructor(url: string) {
      super(url);
      this.index = RecordingSocket.all.length;
      RecordingSocket.all.push(this);
    }

    // A deaf socket swallows what arrives before anyone (the SDK) hears it.
    override emit(event: string | symbol, ...args: any[]): boolean {
      if (event === "message" && this.deaf) return false;
      return super.emit(event, ...args);
    }

    override send(data: any, ...rest: any[]): void {
      RecordingSocket.sent.push({ socket: this.index, frame: fromBinary(ClientFrameSchema, data as Uint8Array), dropped: this.mute });
      if (this.mute) return;
      (super.send as (...args: any[]) => void)(data, ...rest);
    }

    /** Cuts the connection with no close handshake (a phone losing its network). */
    cut() {
      this.terminate();
    }

    static latest() {
      return RecordingSocket.all[RecordingSocket.all.length - 1]!;
    }

    /** The client_seq of every action or concede sent, in order. */
    static clientSeqs() {
      return RecordingSocket.sent.flatMap(({ frame, dropped, socket }) =>
        frame.body.case === "action" || frame.body.case === "concede"
          ? [{ clientSeq: frame.body.value.clientSeq, dropped, socket }]
          : [],
      );
    }
  };
}

/** Plain `ws` with recording, for tests that do not need their own lists. */
export const TestSocket = recordingSockets();

/** A recording `ws` whose next `refuse` sockets fail to open (the network is down). */
export function flakySockets() {
  const Recording = recordingSockets();
  return class FlakySocket extends Recording {
    static refuse = 0;
    constructor(url: string) {
      if (FlakySocket.refuse > 0) {
        FlakySocket.refuse--;
        throw new Error("the network is down");
      }
      super(url);
    }
  };
}

/** The `MoonlightError` `promise` fails with: `status` and `code` (and `service`, if named). */
export async function refused(promise: Promise<unknown>, status: number, code: string, service?: string) {
  const error = await promise.then(
    () => assert.fail(`expected ${status} ${code}, got success`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof MoonlightError, `a MoonlightError, not ${String(error)}`);
  assert.equal(error.code, code, error.message);
  assert.equal(error.status, status);
  if (service !== undefined) assert.equal(error.service, service);
  return error;
}

/**
 * Keep the opening hand, then attack the enemy hero if possible, else play a card, else
 * attack anything, else end the turn; `undefined` when there is nothing to do.
 */
export function choose(game: GameConnection): ActionKind | undefined {
  const options = game.legalActions.map(actionOf).filter((a): a is ActionKind => a !== undefined);
  if (options.length === 0) return undefined;
  if (options.some((a) => a.case === "mulligan")) return actions.mulligan([]);
  const enemyHero = game.view?.seats.find((s) => s.seat !== game.seat)?.hero;
  return (
    options.find((a) => a.case === "attack" && a.value.target === enemyHero) ??
    options.find((a) => a.case === "playCard") ??
    options.find((a) => a.case === "attack") ??
    actions.endTurn()
  );
}

/** What `playToEnd` saw. */
export interface PlayLog {
  events: GameEvent[];
  acks: Ack[];
  failures: Error[];
  seqs: bigint[];
  actionsSent: number;
  outcome?: Outcome;
}

/**
 * Plays `game` with `choose` until it is over, one action at a time. `events` must have
 * been created before the connection's first event. `hook` runs before each decision and
 * may return true to skip it (tests use it to cut sockets at chosen moments).
 */
export async function playToEnd(
  game: GameConnection,
  events: AsyncIterableIterator<GameEvent>,
  hook?: (game: GameConnection, log: PlayLog) => boolean | void,
): Promise<PlayLog> {
  const log: PlayLog = { events: [], acks: [], failures: [], seqs: [], actionsSent: 0 };
  const decide = () => {
    if (game.isOver || game.pendingActions > 0 || game.state !== "open") return;
    if (hook?.(game, log)) return;
    const action = choose(game);
    if (!action) return;
    log.actionsSent++;
    game.act(action).then(
      (ack) => log.acks.push(ack),
      (error: Error) => log.failures.push(error),
    );
  };
  for await (const event of events) {
    log.events.push(event);
    if (event.type === "update") log.seqs.push(event.update.seq);
    if (event.type === "gameOver") {
      log.outcome = event.outcome;
      break;
    }
    if (event.type === "closed") break;
    if (["welcome", "update", "resumed", "rejected"].includes(event.type)) decide();
  }
  return log;
}

/** Two players in a private room, both in the match; returns their tickets. */
export async function privateMatch(a: MoonlightClient, b: MoonlightClient, deckA = "dusk_starter", deckB = "tide_starter") {
  const room = await a.openRoom(deckA);
  const joined = await b.joinRoom(room.room!.code, deckB);
  const matchA = await a.waitForMatch();
  return { matchA, matchB: joined.match! };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** `promise`, or a failure after `ms` (no test waits unbounded). */
export async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, fail) => {
        timer = setTimeout(() => fail(new Error(`${what}: not done within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `seqs` go up by one each time from `first`. */
export function contiguous(seqs: bigint[], first: bigint): boolean {
  return seqs.every((seq, i) => seq === first + BigInt(i));
}
