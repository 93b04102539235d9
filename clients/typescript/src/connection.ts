import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import type { ActionKind } from "./actions.js";
import { applyDelta, DeltaMismatchError } from "./delta.js";
import { ActionRejectedError, ConnectionClosedError, SpectatorError } from "./errors.js";
import { EventHub } from "./events.js";
import {
  ClientFrameSchema,
  ProtocolVersion,
  ServerFrameSchema,
  type ActionRejected,
  type Emoted,
  type Error as ServerError,
  type LegalAction,
  type Outcome,
  type Player,
  type Update,
  type View,
  type Welcome,
} from "./gen/moonlight/v1/game_pb.js";

/**
 * The part of the WebSocket API the SDK uses: the browser's `WebSocket`, Node 22's global
 * one, or the `ws` package all fit.
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Where to connect: a node's socket URL and a room ticket for it. */
export interface Ticket {
  url: string;
  ticket: string;
  /** The node the ticket is for (`match.node_id`): named to the lobby if it cannot be reached. */
  node_id?: string;
}

/** Why the connection asks for a fresh ticket. */
export interface TicketRequest {
  roomId: string | undefined;
  /** The close code of the socket that went away (1006 when it failed or went silent). */
  closeCode: number;
  reason: string;
  /**
   * The node of a ticket whose socket could not open: the lobby's `/status?unreachable=`
   * checks it at once and, if it is gone, answers with a ticket to a live node.
   */
  unreachableNode?: string;
}

/**
 * Gives a fresh ticket to the match (normally the lobby's `/status`, which also moves a
 * match off a dead node; for a spectator the lobby's `watch` again), or `null` when the
 * player is no longer in it (the spectator: when it is over). It may throw (the lobby is
 * unreachable, `503 no_nodes`): the connection then tries again later.
 */
export type TicketProvider = (request: TicketRequest) => Promise<Ticket | null>;

export interface ReconnectOptions {
  /** First retry delay (randomised); default 250 ms. */
  initialDelayMs?: number;
  /** Largest delay between tries (exponential backoff with jitter); default 5 s. */
  maxDelayMs?: number;
  /**
   * Give up when no connection has been back for this long; default 90 s (the server
   * holds a dropped seat for 60 s, then it forfeits).
   */
  giveUpAfterMs?: number;
}

export interface GameConnectionOptions {
  /** The node's game socket URL (`match.url`). */
  url: string;
  /** The room ticket (`match.ticket`). */
  ticket: string;
  /** The node the ticket is for (`match.node_id`). */
  nodeId?: string;
  /**
   * Where fresh tickets come from when the socket fails, the node moves (4002), restarts
   * (1012) or says try again (1013), or the ticket is old. Without one the first ticket is
   * reused. `MoonlightClient.joinMatch` passes the lobby's `/status`;
   * `MoonlightClient.spectate` the lobby's `watch`.
   */
  tickets?: TicketProvider;
  /**
   * Watch only (the ticket is a spectator's, from `MoonlightClient.watch`): no seat, the
   * public view (no hand, no card drawn), and `act`/`concede` fail at once with
   * `SpectatorError`. A `Welcome` without a seat makes any connection a spectator's.
   */
  spectator?: boolean;
  /** The WebSocket implementation; default `globalThis.WebSocket`. On Node < 22, pass `ws`. */
  WebSocket?: WebSocketConstructor;
  /** `Hello.client_name`, for the server's logs. */
  clientName?: string;
  /** A `Ping` every this often while connected; default 5 s. */
  pingIntervalMs?: number;
  /** No frame from the server for this long: the link is dead, reconnect; default 15 s. */
  deadAfterMs?: number;
  /** From opening the socket to `Welcome` (or the end of a resume); default 10 s. */
  handshakeTimeoutMs?: number;
  /** Backoff settings, or `false` to never reconnect. */
  reconnect?: ReconnectOptions | false;
  /** Delay before re-sending an action the server could not take (`room_busy`, `unavailable`); default 250 ms. */
  retryDelayMs?: number;
}

export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

/**
 * An acknowledged action: the server has applied its `client_seq` for this seat (or a
 * higher one, see `update`) and made that durable; it is never applied again.
 */
export interface Ack {
  clientSeq: bigint;
  /**
   * The room's `seq` after it; for an action settled without an update of its own (see
   * `update`), the `seq` of the `Welcome` or `Update` that settled it.
   */
  seq: bigint;
  /**
   * The update that acknowledged it; `undefined` when it was settled without one: by a
   * `Welcome`'s `last_client_seq` (after a long drop or a node restart), or because the
   * seat's highest applied `client_seq` went past it (another connection for the same seat
   * played while this one was away; see `GameConnection`).
   */
  update: Update | undefined;
}

/** Everything a `GameConnection` reports, in order. */
export type GameEvent =
  /** The full state: on the first join, and on a resume the server could not replay. */
  | { type: "welcome"; welcome: Welcome; resumed: boolean }
  /**
   * One accepted change (`seq` +1). `replayed`: sent again after a reconnect. Only the last
   * update of a replay carries `view` and `legal_actions`; the connection keeps the latest.
   * The connection asks for view deltas and applies them: an update that came with a
   * `delta` is reported with `view` filled in, the whole view after the change.
   */
  | { type: "update"; update: Update; replayed: boolean }
  /** A resume is complete: `missed` updates were replayed, the view is current. */
  | { type: "resumed"; missed: number }
  | { type: "rejected"; rejection: ActionRejected }
  /** The match is over (`fromView`: learnt from the view after a reconnect, not a `GameOver` frame). */
  | { type: "gameOver"; outcome: Outcome; fromView: boolean }
  | { type: "emoted"; emoted: Emoted }
  /** An `Error` frame: something sent was refused or a limit was hit (`rate_limited`, ...). */
  | { type: "serverError"; error: ServerError }
  /** The node is going away (`Reconnect`); the SDK reconnects through the ticket provider. */
  | { type: "serverReconnect"; reason: string }
  /** The answer to `ping()`. */
  | { type: "pong"; nonce: bigint; rttMs: number }
  /** The socket went away; `willReconnect` unless this ends the connection. */
  | { type: "disconnected"; code: number; reason: string; willReconnect: boolean }
  /** A reconnect is scheduled in `delayMs`. */
  | { type: "reconnecting"; attempt: number; delayMs: number }
  /** The connection is over for good: the last event. */
  | { type: "closed"; code: number; reason: string };

export type GameEventType = GameEvent["type"];

/** An action (or concede) in the queue, with the promise of its caller. */
interface Pending {
  kind: ActionKind | { case: "concede"; value?: undefined };
  clientSeq: bigint | undefined;
  /** The socket generation it was sent on; -1 when it must be sent (again). */
  sentOn: number;
  resolve: (ack: Ack) => void;
  reject: (error: Error) => void;
}

interface PendingPing {
  sentAt: number;
  resolve: (rttMs: number) => void;
  reject: (error: Error) => void;
}

/** A ticket younger than this is reused for a plain reconnect (tickets live 2 minutes). */
const TICKET_REUSE_MS = 90_000;
const OPEN = 1;
const noop = () => {};

/**
 * One seat's game socket: `Hello` (or `Resume` after a drop), actions numbered by
 * `client_seq`, acknowledged only when the server's `Update` carries `acked_client_seq`,
 * automatic reconnects, keep-alive pings, and every server frame as a typed event.
 *
 * Actions go out one at a time, in the order `act()` was called: the next is sent when the
 * previous one is acknowledged or rejected. The server keeps only the highest `client_seq`
 * it applied for the seat (`lastClientSeq` here: the `Welcome`'s `last_client_seq`, raised
 * by every `acked_client_seq` since, replayed ones included). After a reconnect, an action
 * still pending is settled as acknowledged, and never sent again, if its `client_seq` is at
 * or below that number; one above it is sent again with the same `client_seq`, which the
 * server applies at most once. New actions are always numbered above it.
 *
 * A spectator's connection (`spectator`) is the same socket without a seat: it follows the
 * match (the public view, every event a spectator may see), reconnects the same way (the
 * server answers a spectator's `Resume` with a `Welcome`), and never acts.
 */
export class GameConnection {
  private readonly WS: WebSocketConstructor;
  private readonly tickets: TicketProvider | undefined;
  private readonly clientName: string;
  private readonly pingIntervalMs: number;
  private readonly deadAfterMs: number;
  private readonly handshakeTimeoutMs: number;
  private readonly retryDelayMs: number;
  private readonly backoff: Required<ReconnectOptions> | undefined;
  private readonly watching: boolean;
  private readonly hub = new EventHub<GameEvent>();

  private ticket: Ticket & { at: number };
  /** The node of the last ticket whose socket could not open, for the next ticket request. */
  private unreachableNode: string | undefined;
  private currentState: ConnectionState = "idle";
  private ws: WebSocketLike | undefined;
  /** Socket generation: events of older sockets are ignored. */
  private gen = 0;
  private opened = false;
  /** What the current socket opened with, until the server answered it. */
  private handshake: "hello" | "resume" | undefined;
  private replayed = 0;
  /** The server refused this socket's Hello/Resume (an `Error` frame): do not retry it. */
  private refusedHandshake = false;
  private joined = false;
  private serverAskedReconnect = false;
  private lastFrameAt = 0;
  private lastPingAt = 0;
  private keepalive: ReturnType<typeof setInterval> | undefined;
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  private failingSince: number | undefined;

  private queue: Pending[] = [];
  private nextClientSeq = 1n;
  private appliedClientSeq = 0n;
  private nextNonce = 1n;
  private pings = new Map<bigint, PendingPing>();

  private readonly ready: Promise<Welcome>;
  private resolveReady!: (welcome: Welcome) => void;
  private rejectReady!: (error: Error) => void;
  /** Resolves with the final close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  private resolveClosed!: (result: { code: number; reason: string }) => void;

  /** The room, seat (none for a spectator), players and content version from the `Welcome`. */
  roomId: string | undefined;
  seat: number | undefined;
  players: Player[] = [];
  contentVersion: string | undefined;
  /** The last room `seq` this client has seen (sent in `Resume`). */
  lastSeq: bigint | undefined;
  /** The seat's current view and legal actions. */
  view: View | undefined;
  legalActions: LegalAction[] = [];
  /**
   * The turn timer: when the current turn (or the opening-hand choice) ends by itself, in
   * this machine's `Date.now()` milliseconds (the server sends the time left, so clocks
   * need not agree). `undefined` once the match is over.
   */
  turnEndsAt: number | undefined;
  /** Set once the match is over. */
  outcome: Outcome | undefined;
  /** Round-trip time of the last keep-alive ping, in ms. */
  rttMs: number | undefined;

  constructor(options: GameConnectionOptions) {
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WS) {
      throw new TypeError("no WebSocket implementation: pass options.WebSocket (e.g. the ws package on Node < 22)");
    }
    this.WS = WS;
    this.tickets = options.tickets;
    this.watching = options.spectator ?? false;
    this.ticket = { url: options.url, ticket: options.ticket, node_id: options.nodeId, at: Date.now() };
    this.clientName = options.clientName ?? "moonlight-ts";
    this.pingIntervalMs = options.pingIntervalMs ?? 5_000;
    this.deadAfterMs = options.deadAfterMs ?? 15_000;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.backoff =
      options.reconnect === false
        ? undefined
        : {
            initialDelayMs: options.reconnect?.initialDelayMs ?? 250,
            maxDelayMs: options.reconnect?.maxDelayMs ?? 5_000,
            giveUpAfterMs: options.reconnect?.giveUpAfterMs ?? 90_000,
          };
    this.ready = new Promise<Welcome>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(noop); // a caller that never awaits connect() gets no unhandled rejection
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /**
   * Whether this is a spectator's connection (opened with `spectator`, or welcomed without a
   * seat): it has no seat, no hand and no legal actions, and cannot act.
   */
  get spectator(): boolean {
    return this.watching || (this.joined && this.seat === undefined);
  }

  /** Whether the match is over (a `GameOver`, or an outcome in the view). */
  get isOver(): boolean {
    return this.outcome !== undefined;
  }

  /**
   * The highest `client_seq` the server has applied for this seat, as far as this connection
   * has heard (the `Welcome`'s `last_client_seq`, raised by each `acked_client_seq`); 0 before
   * the `Welcome`. Every new action is numbered above it.
   */
  get lastClientSeq(): bigint {
    return this.appliedClientSeq;
  }

  /** Actions waiting for their acknowledgement (the first one may be on the wire). */
  get pendingActions(): number {
    return this.queue.length;
  }

  /**
   * Opens the socket and sends `Hello`; resolves with the `Welcome`. Rejects only if the
   * connection closes for good first (failures before that are retried like any drop).
   */
  connect(): Promise<Welcome> {
    if (this.currentState === "idle") {
      this.currentState = "connecting";
      this.openSocket();
    }
    return this.ready;
  }

  /**
   * Sends an action (with the next `client_seq`) and resolves once the server acknowledged
   * it: an `Update` with `acked_client_seq` equal to it, sent only when the action is
   * durable. Rejects with `ActionRejectedError` if refused, `ConnectionClosedError` if the
   * connection ends first, `SpectatorError` at once on a spectator's connection. Actions
   * queue and go out one at a time.
   */
  act(kind: ActionKind): Promise<Ack> {
    return this.enqueue(kind);
  }

  /** Gives up the match (`Concede`, numbered like an action and acknowledged the same way). */
  concede(): Promise<Ack> {
    return this.enqueue({ case: "concede" });
  }

  /**
   * Shows a canned emote (e.g. `greetings`, `well_played`) to everyone; `false` if not
   * connected now, or a spectator (who has no seat to emote from).
   */
  emote(emote: string): boolean {
    return !this.spectator && this.isLive() && this.sendNow({ body: { case: "emote", value: { emote } } });
  }

  /** Measures the round trip to the node (`Ping` → `Pong`), in ms. */
  ping(): Promise<number> {
    if (!this.isLive()) return Promise.reject(new Error("not connected"));
    const nonce = this.nextNonce++;
    return new Promise<number>((resolve, reject) => {
      this.pings.set(nonce, { sentAt: Date.now(), resolve, reject });
      this.sendNow({ body: { case: "ping", value: { nonce } } });
    });
  }

  /** Listens to one event type (or `"*"` for all); returns the function that stops listening. */
  on<T extends GameEventType | "*">(
    type: T,
    listener: (event: T extends "*" ? GameEvent : Extract<GameEvent, { type: T }>) => void,
  ): () => void {
    return this.hub.on(type, listener);
  }

  /**
   * Every event from now on, as an async iterator that finishes after `closed`. Create it
   * before `connect()` to see the `welcome`. Events buffer until read.
   */
  events(): AsyncIterableIterator<GameEvent> {
    return this.hub.iterate();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<GameEvent> {
    return this.hub.iterate();
  }

  /** Closes for good (code 1000); pending actions fail with `ConnectionClosedError`. */
  close(): void {
    if (this.currentState === "closed") return;
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      silence(ws);
      try {
        if (ws.readyState === OPEN) ws.close(1000, "client closed");
        else discard(ws);
      } catch {
        discard(ws);
      }
    }
    this.finish(1000, "closed by the client");
  }

  // ------------------------------------------------------------------ sockets

  private openSocket(): void {
    const gen = ++this.gen;
    this.opened = false;
    this.handshake = undefined;
    this.refusedHandshake = false;
    this.lastFrameAt = Date.now();
    const url = withTicket(this.ticket.url, this.ticket.ticket);
    let ws: WebSocketLike;
    try {
      ws = new this.WS(url);
      ws.binaryType = "arraybuffer";
    } catch (error) {
      this.socketGone(gen, 1006, `cannot open ${this.ticket.url}: ${describe(error)}`);
      return;
    }
    this.ws = ws;
    this.handshakeTimer = setTimeout(
      () => this.drop(gen, `no answer to ${this.joined ? "Resume" : "Hello"} within ${this.handshakeTimeoutMs} ms`),
      this.handshakeTimeoutMs,
    );
    ws.onopen = () => {
      if (gen !== this.gen) return;
      this.opened = true;
      this.lastFrameAt = Date.now();
      this.lastPingAt = Date.now();
      if (this.joined) {
        this.handshake = "resume";
        this.replayed = 0;
        this.sendNow({
          body: {
            case: "resume",
            value: { protocolVersion: ProtocolVersion.PROTOCOL_VERSION_1, lastSeq: this.lastSeq ?? 0n, viewDeltas: true },
          },
        });
      } else {
        this.handshake = "hello";
        this.sendNow({
          body: {
            case: "hello",
            value: { protocolVersion: ProtocolVersion.PROTOCOL_VERSION_1, clientName: this.clientName, viewDeltas: true },
          },
        });
      }
      const tick = Math.max(10, Math.min(1_000, this.pingIntervalMs, this.deadAfterMs / 3));
      this.keepalive = setInterval(() => this.keepAlive(gen), tick);
    };
    ws.onmessage = (event: { data: unknown }) => {
      if (gen === this.gen) this.receive(event.data);
    };
    ws.onerror = () => {
      // A socket that fails to open (refused upgrade, unreachable node): browsers and `ws`
      // follow with a close event, Node's built-in WebSocket may not. Once open, an error
      // is followed by close.
      if (gen === this.gen && !this.opened) this.drop(gen, "the socket could not open (upgrade refused or node unreachable)");
    };
    ws.onclose = (event: { code?: number; reason?: string }) => {
      this.socketGone(gen, event.code ?? 1006, event.reason ?? "");
    };
  }

  private keepAlive(gen: number): void {
    if (gen !== this.gen) return;
    const now = Date.now();
    if (now - this.lastFrameAt > this.deadAfterMs) {
      this.drop(gen, `no frame from the server for ${now - this.lastFrameAt} ms`);
      return;
    }
    if (this.isLive() && now - this.lastPingAt >= this.pingIntervalMs) {
      this.lastPingAt = now;
      this.sendNow({ body: { case: "ping", value: { nonce: this.nextNonce++ } } });
    }
  }

  /** Abandons the current socket (dead, or out of step) and reconnects. */
  private drop(gen: number, reason: string): void {
    if (gen !== this.gen || !this.ws) return;
    const ws = this.ws;
    silence(ws);
    discard(ws);
    this.socketGone(gen, 1006, reason);
  }

  private socketGone(gen: number, code: number, reason: string): void {
    if (gen !== this.gen || this.currentState === "closed") return;
    const wasOpen = this.opened;
    const handshaking = this.handshake !== undefined;
    this.gen++;
    this.ws = undefined;
    this.opened = false;
    this.handshake = undefined;
    this.clearSocketTimers();
    this.failPings(new Error(`disconnected (${code})`));

    let final: string | undefined;
    if (this.outcome) final = "the match is over";
    else if (code === 1000) final = "the room is closed";
    else if (code === 4001) final = "another connection took over this seat";
    else if (code === 4003) final = "the ticket does not match the room's seat";
    else if (code === 4004) final = "the account is locked";
    else if (code === 1009) final = "a frame was too large";
    else if (code === 1008 && handshaking && this.refusedHandshake) final = "the server refused the handshake";
    else if (!this.backoff) final = "disconnected";
    this.hub.emit({ type: "disconnected", code, reason, willReconnect: final === undefined });
    if (final !== undefined) {
      // The room closed right after the last update, before its GameOver frame arrived.
      if (this.view?.outcome) this.gameOver(this.view.outcome, true);
      this.finish(code, reason || final);
      return;
    }
    const fresh =
      !wasOpen ||
      code === 4002 ||
      code === 1012 ||
      code === 1013 ||
      this.serverAskedReconnect ||
      this.attempt > 0 ||
      Date.now() - this.ticket.at > TICKET_REUSE_MS;
    // A socket that never opened: its node may be gone, which the lobby can check.
    this.unreachableNode = wasOpen ? undefined : this.ticket.node_id;
    this.scheduleReconnect(code, reason, fresh);
  }

  private scheduleReconnect(code: number, reason: string, freshTicket: boolean): void {
    const backoff = this.backoff!;
    const now = Date.now();
    this.failingSince ??= now;
    if (now - this.failingSince > backoff.giveUpAfterMs) {
      this.finish(code, `gave up reconnecting after ${now - this.failingSince} ms (${reason || code})`);
      return;
    }
    const base = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** this.attempt);
    const delayMs = Math.round(this.attempt === 0 ? base * Math.random() : base * (0.5 + Math.random() / 2));
    this.attempt++;
    if (this.joined) this.currentState = "reconnecting";
    this.hub.emit({ type: "reconnecting", attempt: this.attempt, delayMs });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.reconnect(code, reason, freshTicket);
    }, delayMs);
  }

  private async reconnect(code: number, reason: string, freshTicket: boolean): Promise<void> {
    if (this.isClosed()) return;
    if (freshTicket && this.tickets) {
      let ticket: Ticket | null;
      try {
        ticket = await this.tickets({ roomId: this.roomId, closeCode: code, reason, unreachableNode: this.unreachableNode });
      } catch (error) {
        if (!this.isClosed()) this.scheduleReconnect(code, `no ticket: ${describe(error)}`, true);
        return;
      }
      if (this.isClosed()) return;
      if (ticket === null) {
        this.finish(code, "the lobby no longer lists this match (it is over)");
        return;
      }
      this.ticket = { url: ticket.url, ticket: ticket.ticket, node_id: ticket.node_id, at: Date.now() };
    }
    this.openSocket();
  }

  // ------------------------------------------------------------------ frames

  private receive(data: unknown): void {
    let bytes: Uint8Array;
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else return; // a text frame is not part of the protocol
    this.lastFrameAt = Date.now();
    let frame;
    try {
      frame = fromBinary(ServerFrameSchema, bytes);
    } catch {
      return; // unreadable: ignored, like the server ignores unknown fields
    }
    const body = frame.body;
    switch (body.case) {
      case "welcome":
        return this.onWelcome(body.value);
      case "update":
        return this.onUpdate(body.value);
      case "actionRejected":
        return this.onRejected(body.value);
      case "gameOver":
        if (body.value.outcome) this.gameOver(body.value.outcome, false);
        return;
      case "emoted":
        this.hub.emit({ type: "emoted", emoted: body.value });
        return;
      case "pong": {
        const ping = this.pings.get(body.value.nonce);
        if (!ping) {
          this.rttMs = Date.now() - this.lastPingAt;
          return;
        }
        this.pings.delete(body.value.nonce);
        const rttMs = Date.now() - ping.sentAt;
        this.rttMs = rttMs;
        this.hub.emit({ type: "pong", nonce: body.value.nonce, rttMs });
        ping.resolve(rttMs);
        return;
      }
      case "reconnect":
        this.serverAskedReconnect = true;
        this.hub.emit({ type: "serverReconnect", reason: body.value.reason });
        return;
      case "error":
        return this.onServerError(body.value);
      default:
        return; // a frame kind newer than this SDK
    }
  }

  private onWelcome(welcome: Welcome): void {
    const resumed = this.joined;
    this.joined = true;
    this.roomId = welcome.roomId;
    this.seat = welcome.seat;
    this.players = welcome.players;
    this.contentVersion = welcome.contentVersion;
    this.lastSeq = welcome.seq;
    this.view = welcome.view;
    this.legalActions = welcome.legalActions;
    this.turnEndsAt = deadline(welcome.turnEndsInMs);
    // Settles what the server applied while this connection was away (or before a reload).
    this.applied(welcome.lastClientSeq, welcome.seq, undefined);
    this.handshakeDone();
    this.hub.emit({ type: "welcome", welcome, resumed });
    if (welcome.view?.outcome) this.gameOver(welcome.view.outcome, true);
    this.resolveReady(welcome);
    this.pump();
  }

  private onUpdate(update: Update): void {
    const last = this.lastSeq;
    if (last === undefined) return; // no update comes before a welcome
    if (update.seq > last + 1n) {
      // Updates are missing (frames lost on the server side): resume from what we have.
      this.drop(this.gen, `missed updates ${last + 1n}..${update.seq - 1n}`);
      return;
    }
    const fresh = update.seq === last + 1n;
    if (update.delta) {
      // A delta applies to the view of the update before: anything else is out of step.
      let view: View | undefined;
      try {
        if (fresh && this.view) view = applyDelta(this.view, update.delta);
      } catch (error) {
        if (!(error instanceof DeltaMismatchError)) throw error;
      }
      if (!view) {
        this.drop(this.gen, `a view delta for update ${update.seq} does not fit the view of ${last}`);
        return;
      }
      update.view = view;
    }
    if (fresh) this.lastSeq = update.seq;
    if (update.view) {
      this.view = update.view;
      this.legalActions = update.legalActions;
      this.turnEndsAt = deadline(update.turnEndsInMs);
    }
    // Also during a Resume's replay, before anything is sent again: a pending action the
    // replay acknowledges (or numbers past) is settled here, not re-sent.
    if (update.ackedClientSeq !== undefined) this.applied(update.ackedClientSeq, update.seq, update);
    const resuming = this.handshake === "resume";
    if (fresh) {
      if (resuming) this.replayed++;
      this.hub.emit({ type: "update", update, replayed: resuming });
    }
    if (resuming && update.view) {
      this.handshakeDone();
      this.hub.emit({ type: "resumed", missed: this.replayed });
      if (update.view.outcome) this.gameOver(update.view.outcome, true);
    }
    this.pump();
  }

  private onRejected(rejection: ActionRejected): void {
    const head = this.queue[0];
    const mine = head?.clientSeq === rejection.clientSeq;
    if (mine) this.queue.shift();
    this.hub.emit({ type: "rejected", rejection });
    if (mine) head!.reject(new ActionRejectedError(rejection));
    this.pump();
  }

  private onServerError(error: ServerError): void {
    this.hub.emit({ type: "serverError", error });
    if (this.handshake && (error.code === "unsupported_version" || error.code === "expected_hello")) {
      this.refusedHandshake = true;
    }
    // The room could not take or save the action in flight: send it again, same client_seq.
    const head = this.queue[0];
    if ((error.code === "room_busy" || error.code === "unavailable") && head && head.sentOn === this.gen) {
      head.sentOn = -1;
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.pump(), this.retryDelayMs);
    }
  }

  /**
   * The server says it has applied `clientSeq` for this seat (a `Welcome`'s
   * `last_client_seq`, or an update's `acked_client_seq`): raises `lastClientSeq`, keeps new
   * numbers above it, and settles every pending action numbered at or below it.
   *
   * Why settle them as acknowledged, and never send them again: the server records, per
   * seat, only the highest `client_seq` it applied (a refused action never raises it) and
   * answers any number at or below it with an acknowledgement, applying nothing, even a
   * number that was refused the first time. Re-sending such an action can only get that
   * answer, so the SDK gives it at once (without an update of its own unless this very
   * update acknowledged it):
   *  - at `lastClientSeq`: that number was applied. This connection numbers its actions in
   *    order and sends one at a time, so it was this action, whose acknowledgement was lost
   *    in a drop: the usual case, told by the `Welcome` or by the replay after a `Resume`.
   *  - below it: another connection for the same seat (a reload, a second device) played
   *    while this one was away and numbered past it. Whether this action was applied or
   *    refused the server no longer knows (nor could a re-send tell); it counts as decided.
   *    (The same goes for the equal case if that other connection reused this number.)
   * A pending action above it was not applied (the `Welcome`, or the complete replay, would
   * say so): it is sent again, same `client_seq`, once the handshake is done.
   */
  private applied(clientSeq: bigint, seq: bigint, update: Update | undefined): void {
    if (clientSeq > this.appliedClientSeq) this.appliedClientSeq = clientSeq;
    // Never reuse a client_seq the server has applied: it would be acknowledged, not applied.
    if (this.appliedClientSeq >= this.nextClientSeq) this.nextClientSeq = this.appliedClientSeq + 1n;
    const decided = this.queue.filter((p) => p.clientSeq !== undefined && p.clientSeq <= this.appliedClientSeq);
    if (decided.length === 0) return;
    this.queue = this.queue.filter((p) => !decided.includes(p));
    for (const action of decided) {
      const clientSeq = action.clientSeq!;
      action.resolve({ clientSeq, seq, update: update?.ackedClientSeq === clientSeq ? update : undefined });
    }
  }

  private gameOver(outcome: Outcome, fromView: boolean): void {
    if (this.outcome) return;
    this.outcome = outcome;
    this.hub.emit({ type: "gameOver", outcome, fromView });
  }

  private handshakeDone(): void {
    this.handshake = undefined;
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.currentState = "open";
    this.attempt = 0;
    this.failingSince = undefined;
    this.serverAskedReconnect = false;
  }

  // ------------------------------------------------------------------ actions

  private enqueue(kind: Pending["kind"]): Promise<Ack> {
    if (this.currentState === "closed") {
      return Promise.reject(new ConnectionClosedError(1000, "the connection is closed"));
    }
    if (this.spectator) return Promise.reject(new SpectatorError());
    return new Promise<Ack>((resolve, reject) => {
      this.queue.push({ kind, clientSeq: undefined, sentOn: -1, resolve, reject });
      this.pump();
    });
  }

  /** Sends the head of the queue unless it is already on the current socket. */
  private pump(): void {
    if (!this.isLive()) return;
    const head = this.queue[0];
    if (!head || head.sentOn === this.gen) return;
    // A client_seq is given when the action first goes out, and kept for every retry.
    if (head.clientSeq === undefined) head.clientSeq = this.nextClientSeq++;
    head.sentOn = this.gen;
    const clientSeq = head.clientSeq;
    const frame: MessageInitShape<typeof ClientFrameSchema> =
      head.kind.case === "concede"
        ? { body: { case: "concede", value: { clientSeq } } }
        : { body: { case: "action", value: { clientSeq, kind: { ...head.kind, value: head.kind.value ?? {} } as never } } };
    this.sendNow(frame);
  }

  private isClosed(): boolean {
    return this.currentState === "closed";
  }

  /** Connected, and the server has answered this socket's Hello/Resume. */
  private isLive(): boolean {
    return this.ws !== undefined && this.opened && this.handshake === undefined && this.ws.readyState === OPEN;
  }

  private sendNow(frame: MessageInitShape<typeof ClientFrameSchema>): boolean {
    const ws = this.ws;
    if (!ws || !this.opened || ws.readyState !== OPEN) return false;
    try {
      ws.send(toBinary(ClientFrameSchema, create(ClientFrameSchema, frame)));
      return true;
    } catch (error) {
      this.drop(this.gen, `send failed: ${describe(error)}`);
      return false;
    }
  }

  // ------------------------------------------------------------------ the end

  private finish(code: number, reason: string): void {
    if (this.currentState === "closed") return;
    this.currentState = "closed";
    this.gen++;
    this.clearSocketTimers();
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.retryTimer);
    if (this.ws) {
      silence(this.ws);
      discard(this.ws);
      this.ws = undefined;
    }
    const pending = this.queue;
    this.queue = [];
    for (const action of pending) action.reject(new ConnectionClosedError(code, reason, action.clientSeq));
    this.failPings(new ConnectionClosedError(code, reason));
    this.rejectReady(new ConnectionClosedError(code, reason));
    this.hub.emit({ type: "closed", code, reason });
    this.hub.end();
    this.resolveClosed({ code, reason });
  }

  private clearSocketTimers(): void {
    clearInterval(this.keepalive);
    this.keepalive = undefined;
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }

  private failPings(error: Error): void {
    const pings = [...this.pings.values()];
    this.pings.clear();
    for (const ping of pings) ping.reject(error);
  }
}

function withTicket(url: string, ticket: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}ticket=${encodeURIComponent(ticket)}`;
}

/** No more events from `ws` reach the connection. */
function silence(ws: WebSocketLike): void {
  ws.onopen = noop;
  ws.onmessage = noop;
  ws.onclose = noop;
  ws.onerror = noop;
}

/** Drops a socket at once, without waiting for a close handshake a dead link cannot do. */
function discard(ws: WebSocketLike): void {
  try {
    const terminate = (ws as { terminate?: () => void }).terminate;
    if (typeof terminate === "function") terminate.call(ws);
    else ws.close();
  } catch {
    // already closed
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The local time a timer sent as "`ms` from now" ends at. */
function deadline(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Date.now() + ms;
}
