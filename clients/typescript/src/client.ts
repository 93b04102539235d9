import { fromBinary } from "@bufbuild/protobuf";
import { AdminApi } from "./admin.js";
import { GameConnection, type GameConnectionOptions, type TicketProvider } from "./connection.js";
import { MoonlightError, type Service } from "./errors.js";
import { type ReplayStep, ReplayStepSchema } from "./gen/moonlight/v1/game_pb.js";
import type {
  Account,
  BotLevel,
  DeckDraft,
  LiveMatch,
  LobbyStatus,
  Leaderboard,
  MatchPage,
  MatchRecord,
  MatchTicket,
  Profile,
  Playtest,
  PublicRoom,
  ReplayView,
  SavedDeck,
  Tokens,
  WatchTicket,
} from "./types.js";

export interface MoonlightClientOptions {
  /** The auth service, e.g. `http://127.0.0.1:8080` (the SDK adds `/v1/auth/...`). */
  authUrl: string;
  /** The lobby, e.g. `http://127.0.0.1:8081` (the SDK adds `/v1/lobby/...`). */
  lobbyUrl: string;
  /** A saved session to start from (see `onTokens`). */
  tokens?: Tokens;
  /**
   * Called whenever the tokens change (sign-in, every refresh, sign-out: `null`). Refresh
   * tokens are single use, so a client that saves its session must save every new pair.
   */
  onTokens?: (tokens: Tokens | null) => void;
  /** The fetch implementation; default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Time limit of one request (a long-poll gets its wait on top); default 30 s. */
  requestTimeoutMs?: number;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

/** Refresh the access token when it has less than this left. */
const REFRESH_MARGIN_MS = 60_000;
/** The longest long-poll the lobby grants. */
const MAX_WAIT_SECS = 30;

/**
 * The HTTP half of the SDK: accounts at the auth service and every lobby call, with the
 * access token refreshed before it expires (and once more on a 401). Every failure is a
 * {@link MoonlightError}. `joinMatch` opens the game socket for a match the lobby gave;
 * `watchMatch` (or `watch` then `spectate`) one to watch a match as a spectator.
 */
export class MoonlightClient {
  readonly authUrl: string;
  readonly lobbyUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly requestTimeoutMs: number;
  private readonly onTokens: ((tokens: Tokens | null) => void) | undefined;
  private current: Tokens | null = null;
  private accessExpiresAt = 0;
  private refreshing: Promise<Tokens> | undefined;
  /** The operator's API (`/v1/admin`): for an account with the admin role. */
  readonly admin: AdminApi;

  constructor(options: MoonlightClientOptions) {
    this.authUrl = options.authUrl.replace(/\/+$/, "");
    this.lobbyUrl = options.lobbyUrl.replace(/\/+$/, "");
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== "function") {
      throw new TypeError("no fetch implementation: pass options.fetch");
    }
    this.fetchImpl = fetchImpl.bind(globalThis);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.onTokens = options.onTokens;
    if (options.tokens) this.adopt(options.tokens, false);
    this.admin = new AdminApi((method, path, options) =>
      this.authorized("lobby", method, `${this.lobbyUrl}/v1/admin${path}`, options),
    );
  }

  /** The current tokens, `null` when signed out. */
  get tokens(): Tokens | null {
    return this.current;
  }

  /** The signed-in player's id, if any. */
  get userId(): string | undefined {
    return this.current?.user_id;
  }

  // ------------------------------------------------------------------ auth

  /** Creates an account and signs in. `409 username_taken`, `422 invalid_input`. */
  async register(username: string, password: string, options?: RequestOptions): Promise<Tokens> {
    const tokens = await this.call<Tokens>("auth", "POST", `${this.authUrl}/v1/auth/register`, {
      body: { username, password },
      signal: options?.signal,
    });
    return this.adopt(tokens);
  }

  /**
   * Signs in. `401 invalid_credentials` (also for unknown users), `403 account_locked` (an
   * admin locked the account; said only to the right password), `429` after repeated failures.
   */
  async login(username: string, password: string, options?: RequestOptions): Promise<Tokens> {
    const tokens = await this.call<Tokens>("auth", "POST", `${this.authUrl}/v1/auth/login`, {
      body: { username, password },
      signal: options?.signal,
    });
    return this.adopt(tokens);
  }

  /**
   * Trades the refresh token for a new pair. Concurrent callers share one request: a
   * refresh token is single use, and presenting a spent one revokes the whole login.
   * A refused refresh (`401 invalid_refresh_token`) signs the client out.
   */
  refresh(): Promise<Tokens> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<Tokens> {
    const refreshToken = this.current?.refresh_token;
    if (!refreshToken) throw notSignedIn();
    try {
      const tokens = await this.call<Tokens>("auth", "POST", `${this.authUrl}/v1/auth/refresh`, {
        body: { refresh_token: refreshToken },
      });
      return this.adopt(tokens);
    } catch (error) {
      if (error instanceof MoonlightError && error.status === 401 && this.current?.refresh_token === refreshToken) {
        this.signOutLocally();
      }
      throw error;
    }
  }

  /** Ends the login on the server (every refresh token of it) and forgets the tokens. */
  async logout(options?: RequestOptions): Promise<void> {
    const refreshToken = this.current?.refresh_token;
    this.signOutLocally();
    if (!refreshToken) return;
    await this.call<void>("auth", "POST", `${this.authUrl}/v1/auth/logout`, {
      body: { refresh_token: refreshToken },
      signal: options?.signal,
    });
  }

  /** `GET /v1/auth/me`. */
  account(options?: RequestOptions): Promise<Account> {
    return this.authorized<Account>("auth", "GET", `${this.authUrl}/v1/auth/me`, options);
  }

  /** A valid access token, refreshed first if it is about to expire. */
  async accessToken(): Promise<string> {
    if (!this.current) throw notSignedIn();
    if (Date.now() > this.accessExpiresAt - REFRESH_MARGIN_MS) await this.refresh();
    return this.current!.access_token;
  }

  private adopt(tokens: Tokens, notify = true): Tokens {
    this.current = tokens;
    this.accessExpiresAt = jwtExpiry(tokens.access_token) ?? Date.now() + tokens.expires_in * 1000;
    if (notify) this.onTokens?.(tokens);
    return tokens;
  }

  private signOutLocally(): void {
    if (this.current === null) return;
    this.current = null;
    this.accessExpiresAt = 0;
    this.onTokens?.(null);
  }

  // ------------------------------------------------------------------ lobby

  /**
   * Joins the quick-match queue (`201`) with a starter deck's id, a saved deck's id or a deck
   * code; `409 busy`, `422 unknown_deck`, `422 illegal_deck`. Then `waitForMatch`:
   * ask at least every 50 s (it does): a queued player silent for 60 s since the last
   * question the lobby noted (it notes one at most every 10 s) has gone and leaves the queue.
   */
  enqueue(deck: string, options?: RequestOptions): Promise<LobbyStatus> {
    return this.lobby("POST", "/queue", { ...options, body: { deck } });
  }

  /** Leaves the queue; `404 not_queued`, `409 already_matched`. */
  cancelQueue(options?: RequestOptions): Promise<LobbyStatus> {
    return this.lobby("DELETE", "/queue", options);
  }

  /**
   * Where the player stands. In a match, `match` carries a fresh ticket to the node that
   * runs it now. With `wait` (seconds, at most 30), a long-poll that answers as soon as the
   * state changes. `503 no_nodes` while no game server can run the match; `403
   * account_locked` in a match once an admin locked the account. `unreachable`: the node
   * of your match you could not reach; the lobby checks it at once and, if it is gone,
   * answers with a ticket to a live node (the connection's reconnects pass it).
   */
  status(options?: RequestOptions & { wait?: number; unreachable?: string }): Promise<LobbyStatus> {
    const wait = options?.wait ? Math.min(Math.max(0, Math.floor(options.wait)), MAX_WAIT_SECS) : 0;
    const query = new URLSearchParams();
    if (wait) query.set("wait", String(wait));
    if (options?.unreachable) query.set("unreachable", options.unreachable);
    const text = query.toString();
    const suffix = text ? `?${text}` : "";
    return this.lobby("GET", `/status${suffix}`, { ...options, extraTimeoutMs: wait * 1000 });
  }

  /** Opens a room (`in_room`, with `room.code` to share); the match starts when someone joins. */
  openRoom(deck: string, options?: RequestOptions & { public?: boolean }): Promise<LobbyStatus> {
    return this.lobby("POST", "/rooms", { ...options, body: { deck, public: options?.public ?? false } });
  }

  /** Joins a room by code: the match starts at once (`in_match`). `404 unknown_room`, `409 own_room`. */
  joinRoom(code: string, deck: string, options?: RequestOptions): Promise<LobbyStatus> {
    return this.lobby("POST", "/rooms/join", { ...options, body: { code, deck } });
  }

  /** Closes the room you opened; `404 not_in_room`. */
  leaveRoom(options?: RequestOptions): Promise<LobbyStatus> {
    return this.lobby("DELETE", "/rooms/current", options);
  }

  /** Public rooms waiting for a player, newest first. */
  async publicRooms(options?: RequestOptions): Promise<PublicRoom[]> {
    const answer = await this.lobby<{ rooms: PublicRoom[] }>("GET", "/rooms", options);
    return answer.rooms;
  }

  /**
   * A match against the practice bot, now (`in_match`), at `level` (default `easy`). A
   * designer's playtest picks the bot's deck and the seed too (`playtest`); the same seed
   * and decks deal the same match. `422 unknown_deck` names the decks there are; a level
   * the server does not know is `422 invalid_body`.
   */
  practice(
    deck: string,
    options?: RequestOptions & { playtest?: Playtest; level?: BotLevel },
  ): Promise<LobbyStatus> {
    const body = {
      deck,
      bot_deck: options?.playtest?.botDeck,
      seed: options?.playtest?.seed,
      level: options?.level,
    };
    return this.lobby("POST", "/practice", { ...options, body });
  }

  /**
   * Your saved decks, most recently changed first, each checked against the content the
   * lobby runs now: a content update can make one illegal (`legal: false`, `problem` names
   * the card). A deck's `id` or `code` is a `deck` for `enqueue`, `openRoom`, `joinRoom`
   * and `practice`.
   */
  async decks(options?: RequestOptions): Promise<SavedDeck[]> {
    const answer = await this.lobby<{ decks: SavedDeck[] }>("GET", "/decks", options);
    return answer.decks;
  }

  /**
   * Saves a new deck from its `cards` or a shared `code` (`201`). `422 illegal_deck`: the
   * deck rules (size, copies, one faction plus neutral), naming the card, or a code that is
   * not one; `422 invalid_body`: a name of 0 or over 40 characters, both or neither of
   * `cards` and `code`; `409 too_many_decks` (50 at most).
   */
  saveDeck(draft: DeckDraft, options?: RequestOptions): Promise<SavedDeck> {
    return this.lobby("POST", "/decks", { ...options, body: draft });
  }

  /** Replaces a saved deck's name and cards; `404 deck_not_found`, and as `saveDeck`. */
  updateDeck(id: string, draft: DeckDraft, options?: RequestOptions): Promise<SavedDeck> {
    return this.lobby("PUT", `/decks/${encodeURIComponent(id)}`, { ...options, body: draft });
  }

  /** Deletes a saved deck; `404 deck_not_found`. */
  async deleteDeck(id: string, options?: RequestOptions): Promise<void> {
    await this.lobby("DELETE", `/decks/${encodeURIComponent(id)}`, options);
  }

  /** Your rating and record. */
  profile(options?: RequestOptions): Promise<Profile> {
    return this.lobby("GET", "/me", options);
  }

  /** Your finished matches, newest first; pass `next` as `before` for the next page. */
  matchHistory(options?: RequestOptions & { limit?: number; before?: string }): Promise<MatchPage> {
    const query = new URLSearchParams();
    if (options?.limit !== undefined) query.set("limit", String(options.limit));
    if (options?.before) query.set("before", options.before);
    const suffix = query.toString() ? `?${query}` : "";
    return this.lobby("GET", `/me/matches${suffix}`, options);
  }

  /** One finished match; `404 unknown_match`. */
  matchRecord(matchId: string, options?: RequestOptions): Promise<MatchRecord> {
    return this.lobby("GET", `/matches/${encodeURIComponent(matchId)}`, options);
  }

  /**
   * One step of a finished match's replay, played again by the server: the state after
   * `step` inputs (0, the deal, by default; up to `steps`) as `view` sees it: `"public"`
   * (no hand), `"full"` (every hand) or a seat number (that seat's view, its hand as it was
   * then); by default your own seat. Its players may watch it, and anyone a match anyone
   * could watch live. `404 unknown_match` (no such match, or a private room's that is not
   * yours), `404 no_replay` (void before anyone played), `400 bad_request` (a step past the
   * end, a seat not in the match).
   */
  async replay(matchId: string, options?: RequestOptions & { step?: number; view?: ReplayView }): Promise<ReplayStep> {
    const query = new URLSearchParams();
    if (options?.step !== undefined) query.set("step", String(options.step));
    if (options?.view !== undefined) query.set("view", String(options.view));
    const path = `/matches/${encodeURIComponent(matchId)}/replay?${query.toString()}`;
    const bytes = await this.lobby<Uint8Array>("GET", path, { ...options, binary: true });
    return fromBinary(ReplayStepSchema, bytes);
  }

  /** The top established ratings and your own place. */
  leaderboard(options?: RequestOptions & { limit?: number }): Promise<Leaderboard> {
    const suffix = options?.limit !== undefined ? `?limit=${options.limit}` : "";
    return this.lobby("GET", `/leaderboard${suffix}`, options);
  }

  /**
   * Matches being played that anyone may watch (quick and practice matches, public rooms'),
   * newest first: at most `limit` (1 to 50, default 20; `400 bad_request` otherwise).
   */
  async liveMatches(limit?: number, options?: RequestOptions): Promise<LiveMatch[]> {
    const suffix = limit !== undefined ? `?limit=${limit}` : "";
    const answer = await this.lobby<{ matches: LiveMatch[] }>("GET", `/live${suffix}`, options);
    return answer.matches;
  }

  /**
   * A spectator's ticket to a match being played (open it with `spectate`): the public view
   * only. `404 unknown_match` (no such match, or a private room's), `410 match_over`,
   * `503 no_nodes`. Tickets live two minutes: ask again for a fresh one.
   */
  watch(matchId: string, options?: RequestOptions): Promise<WatchTicket> {
    return this.lobby("POST", `/matches/${encodeURIComponent(matchId)}/watch`, options);
  }

  /**
   * Long-polls `/status` until the player is in a match and returns its ticket. Fails with
   * `MoonlightError` code `not_waiting` if the player is neither queued, in a room nor in a
   * match (e.g. the room was closed); abort with `signal`.
   */
  async waitForMatch(options?: RequestOptions & { wait?: number }): Promise<MatchTicket> {
    for (;;) {
      const status = await this.status({ wait: options?.wait ?? 25, signal: options?.signal });
      if (status.state === "in_match" && status.match) return status.match;
      if (status.state === "idle") {
        throw new MoonlightError("lobby", 0, "not_waiting", "not queued, in a room or in a match");
      }
    }
  }

  /**
   * Where to reconnect to the match `roomId`: the lobby's `/status`, which moves the match
   * off a dead node and mints a fresh ticket. `null` once the player is no longer in that
   * match (it ended).
   */
  ticketProvider(roomId: string): TicketProvider {
    return async (request) => {
      const status = await this.status({ unreachable: request.unreachableNode });
      return status.state === "in_match" && status.match?.room_id === roomId ? status.match : null;
    };
  }

  /**
   * Where a spectator of `matchId` reconnects: the lobby's `watch` again, which mints a
   * fresh ticket to the node that runs the match now. `null` once the match is over (`410
   * match_over`) or cannot be watched (`404 unknown_match`).
   */
  spectatorTicketProvider(matchId: string): TicketProvider {
    return async () => {
      try {
        return await this.watch(matchId);
      } catch (error) {
        if (error instanceof MoonlightError && (error.code === "match_over" || error.code === "unknown_match")) return null;
        throw error;
      }
    };
  }

  /**
   * The game connection for `match` (from `waitForMatch`, `joinRoom`, `practice` or
   * `status`), not yet connected: subscribe to its events, then `connect()`. Reconnects ask
   * the lobby for fresh tickets. Pass `WebSocket` on Node < 22 (e.g. the `ws` package).
   */
  game(match: MatchTicket, options?: Omit<GameConnectionOptions, "url" | "ticket">): GameConnection {
    return new GameConnection({
      tickets: this.ticketProvider(match.room_id),
      ...options,
      url: match.url,
      nodeId: match.node_id,
      ticket: match.ticket,
    });
  }

  /** `game(match, options)`, connected: resolves once the server's `Welcome` arrived. */
  async joinMatch(
    match: MatchTicket,
    options?: Omit<GameConnectionOptions, "url" | "ticket">,
  ): Promise<GameConnection> {
    const connection = this.game(match, options);
    await connection.connect();
    return connection;
  }

  /**
   * A spectator's game connection for `ticket` (from `watch`), not yet connected: no seat,
   * the public view, `act` and `concede` fail with `SpectatorError`. Reconnects ask the
   * lobby's `watch` for fresh tickets (a spectator has no `/status` match).
   */
  spectate(ticket: WatchTicket, options?: Omit<GameConnectionOptions, "url" | "ticket" | "spectator">): GameConnection {
    return new GameConnection({
      tickets: this.spectatorTicketProvider(ticket.room_id),
      ...options,
      url: ticket.url,
      nodeId: ticket.node_id,
      ticket: ticket.ticket,
      spectator: true,
    });
  }

  /** `watch(matchId)`, then `spectate`, connected: resolves once the server's `Welcome` arrived. */
  async watchMatch(
    matchId: string,
    options?: RequestOptions & Omit<GameConnectionOptions, "url" | "ticket" | "spectator">,
  ): Promise<GameConnection> {
    const { signal, ...connection } = options ?? {};
    const game = this.spectate(await this.watch(matchId, { signal }), connection);
    await game.connect();
    return game;
  }

  // ------------------------------------------------------------------ plumbing

  private lobby<T>(
    method: string,
    path: string,
    options?: RequestOptions & { body?: unknown; extraTimeoutMs?: number; binary?: boolean },
  ): Promise<T> {
    return this.authorized<T>("lobby", method, `${this.lobbyUrl}/v1/lobby${path}`, options);
  }

  /** A call with the access token; on a 401 the token is refreshed once and the call repeated. */
  private async authorized<T>(
    service: Service,
    method: string,
    url: string,
    options?: RequestOptions & { body?: unknown; extraTimeoutMs?: number; binary?: boolean },
  ): Promise<T> {
    const token = await this.accessToken();
    try {
      return await this.call<T>(service, method, url, { ...options, token });
    } catch (error) {
      if (!(error instanceof MoonlightError) || error.status !== 401 || !this.current) throw error;
      // Someone else may have refreshed meanwhile; otherwise refresh now.
      if (this.current.access_token === token) await this.refresh();
      return this.call<T>(service, method, url, { ...options, token: this.current!.access_token });
    }
  }

  private async call<T>(
    service: Service,
    method: string,
    url: string,
    options: { body?: unknown; token?: string; signal?: AbortSignal; extraTimeoutMs?: number; binary?: boolean },
  ): Promise<T> {
    // `binary`: a protobuf answer (its errors are JSON, as always).
    const headers: Record<string, string> = {
      accept: options.binary ? "application/x-protobuf, application/json" : "application/json",
    };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";

    const controller = new AbortController();
    const limit = this.requestTimeoutMs + (options.extraTimeoutMs ?? 0);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, limit);
    const userSignal = options.signal;
    const onAbort = () => controller.abort(userSignal?.reason);
    if (userSignal?.aborted) onAbort();
    userSignal?.addEventListener("abort", onAbort, { once: true });

    let response: Response;
    let bytes: Uint8Array;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: controller.signal,
      });
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      if (userSignal?.aborted) throw userSignal.reason ?? error;
      if (timedOut) {
        throw new MoonlightError(service, 0, "timeout", `${method} ${url}: no answer within ${limit} ms`, undefined, {
          cause: error,
        });
      }
      throw new MoonlightError(service, 0, "unreachable", `${method} ${url}: ${describe(error)}`, undefined, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
      userSignal?.removeEventListener("abort", onAbort);
    }

    if (response.ok && options.binary) return bytes as T;
    const text = new TextDecoder().decode(bytes);
    let body: unknown = undefined;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    if (response.ok) {
      if (body === undefined && text.length > 0) {
        throw new MoonlightError(service, response.status, "unexpected_response", `${method} ${url}: not JSON`);
      }
      return body as T;
    }
    const detail = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const code = typeof detail?.code === "string" ? detail.code : `http_${response.status}`;
    const message = typeof detail?.message === "string" ? detail.message : `${method} ${url}: ${response.status}`;
    throw new MoonlightError(service, response.status, code, message, retryAfter(response.headers.get("retry-after")));
  }
}

function notSignedIn(): MoonlightError {
  return new MoonlightError("auth", 0, "not_signed_in", "sign in (register or login) first");
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}

/** `Retry-After` in seconds (delta-seconds or an HTTP date). */
function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** The `exp` claim of a JWT, in ms; undefined if it cannot be read. */
function jwtExpiry(token: string): number | undefined {
  try {
    const payload = token.split(".")[1];
    if (!payload) return undefined;
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const json = JSON.parse(atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4))) as { exp?: unknown };
    return typeof json.exp === "number" ? json.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
