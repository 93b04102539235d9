// The operator's API (`/v1/admin` on the lobby): for an account with the admin role only
// (`moonlight admin grant NAME`). Every call answers `401 unauthenticated` without a valid
// token, `403 forbidden` without the role (checked in the token and in the database), and
// `429 rate_limited` past 120 requests a minute per admin. Actions take a reason, written in
// the audit log with who did what to what.
import type { RequestOptions } from "./client.js";
import type { TicketProvider } from "./connection.js";
import { MoonlightError } from "./errors.js";
import { fromBinary } from "@bufbuild/protobuf";
import { type ReplayStep, ReplayStepSchema } from "./gen/moonlight/v1/game_pb.js";
import type { LiveMatch, MatchRecord, Profile, ReplayView, WatchTicket } from "./types.js";

/** `GET /v1/admin/overview`. */
export interface Overview {
  nodes: NodeNow[];
  queue: { players: number; longest_wait_secs: number };
  /** `finished_last_minute`: results recorded in the last 60 seconds. */
  matches: { live: number; finished_last_minute: number };
}

/** A live game-server node, as it last reported itself (every ~2 seconds). */
export interface NodeNow {
  id: string;
  url: string;
  rooms: number;
  capacity: number;
  /** Open game sockets: players and spectators. */
  connections: number;
  /** Unix milliseconds. */
  heartbeat_ms: number;
  content_version: string;
  /** Its running rooms by the content version each plays. */
  room_versions: Record<string, number>;
  vitals: NodeVitals;
}

/** A node's actions between its last two heartbeats, as it measured them. */
export interface NodeVitals {
  window_ms: number;
  actions: number;
  /** Refused by the rules (players' illegal moves). */
  rejected: number;
  /** Not made durable: the node's errors. */
  failed: number;
  /** Arrival in the room → acknowledgement, microseconds. */
  p50_us: number;
  p99_us: number;
}

/** `GET /v1/admin/matches`: a live match (private ones too), its node, and where it stands. */
export interface AdminMatch extends LiveMatch {
  node_id: string;
  /** Its turn (0 while the opening hands are chosen), as its node says; `null` when the node did not say. */
  turn: number | null;
  /** When it last applied an input (Unix ms); `null` when unknown, or none since it opened on its node. */
  last_input_ms: number | null;
}

/** A player found by `findPlayers`: where they are now. */
export interface PlayerSummary {
  id: string;
  name: string;
  /** Unix seconds. */
  created_at: number;
  /** `null` before their first rated match. */
  rating: number | null;
  state: "idle" | "queued" | "in_room" | "in_match";
  match_id: string | null;
  node_id: string | null;
}

/** `GET /v1/admin/players/{id}`. */
export interface PlayerDetail extends PlayerSummary {
  /** Unix seconds; `null` when the account is not locked. */
  locked_at: number | null;
  roles: string[];
  profile: Profile;
  /** The latest 20 finished matches, newest first. */
  recent: MatchRecord[];
}

/** `lock`, `unlock`, `revokeSessions`: `changed` is false (and nothing is audited) when it was so already. */
export interface Changed {
  changed: boolean;
  sessions_revoked: number;
  /** A lock closes the account's sockets in its live match (close 4004). */
  sockets_closed: number;
}

/** One line of the audit log. */
export interface AuditEntry {
  id: string;
  /** Unix milliseconds. */
  at_ms: number;
  /** An account id, or `cli` for `moonlight admin` on the command line. */
  actor_id: string;
  actor_name: string;
  /** e.g. `grant_role`, `revoke_role`, `free_player`, `lock`, `unlock`, `revoke_sessions`, `end_match`, `watch`, `watch_full_view`, `reload_content`. */
  action: string;
  target: string;
  detail: Record<string, unknown>;
}

/** One message of the content checker. */
export interface ContentDiagnostic {
  file: string;
  line: number;
  col: number;
  message: string;
  hint: string | null;
}

export interface ContentCheck {
  ok: boolean;
  errors: ContentDiagnostic[];
  warnings: ContentDiagnostic[];
}

/** `GET /v1/admin/content`. */
export interface ContentNow {
  /** The version new matches use. */
  loaded: string;
  dir: string;
  /** Rooms on the live nodes by the content version each plays. */
  live: Record<string, number>;
  /** The checker's verdict on the files on disk now. */
  on_disk: ContentCheck;
}

/** `POST /v1/admin/content/reload`. */
export interface Reloaded {
  outcome: "reloaded" | "unchanged" | "refused";
  /** The version new matches use after it. */
  version: string;
  check: ContentCheck;
}

/** `GET /v1/admin/ratings`: rated players per rating bucket. */
export interface RatingSpread {
  bucket_width: number;
  buckets: { from: number; players: number; established: number }[];
}

type Call = <T>(method: string, path: string, options?: RequestOptions & { body?: unknown; binary?: boolean }) => Promise<T>;

/** `MoonlightClient.admin`. */
export class AdminApi {
  constructor(private readonly call: Call) {}

  /** Live nodes with their vitals, the queue, matches live and finished in the last minute. */
  overview(options?: RequestOptions): Promise<Overview> {
    return this.call("GET", "/overview", options);
  }

  /** Every live match, newest first: at most `limit` (1 to 200, default 50; `400 bad_request` otherwise). */
  async matches(limit?: number, options?: RequestOptions): Promise<AdminMatch[]> {
    const suffix = limit !== undefined ? `?limit=${limit}` : "";
    return (await this.call<{ matches: AdminMatch[] }>("GET", `/matches${suffix}`, options)).matches;
  }

  /** Players whose name starts with `q` (any case) or whose id is `q`; at most 50. `400 bad_request` for an empty `q`. */
  async findPlayers(q: string, options?: RequestOptions): Promise<PlayerSummary[]> {
    const query = new URLSearchParams({ q });
    return (await this.call<{ players: PlayerSummary[] }>("GET", `/players?${query}`, options)).players;
  }

  /** One player; `404 unknown_player`. */
  player(playerId: string, options?: RequestOptions): Promise<PlayerDetail> {
    return this.call("GET", `/players/${encodeURIComponent(playerId)}`, options);
  }

  /**
   * Takes a player out of the queue or their private room (it closes). `404 not_queued`
   * (neither), `409 already_matched` (in a match: end it instead), `404 unknown_player`.
   */
  free(playerId: string, reason: string, options?: RequestOptions): Promise<{ was: "queued" | "in_room" }> {
    return this.action(`/players/${encodeURIComponent(playerId)}/free`, reason, options);
  }

  /**
   * No login nor refresh until unlocked; every login ends; its sockets in its live match
   * close (4004) and the lobby gives it no new ticket. `404 unknown_player`.
   */
  lock(playerId: string, reason: string, options?: RequestOptions): Promise<Changed> {
    return this.action(`/players/${encodeURIComponent(playerId)}/lock`, reason, options);
  }

  unlock(playerId: string, reason: string, options?: RequestOptions): Promise<Changed> {
    return this.action(`/players/${encodeURIComponent(playerId)}/unlock`, reason, options);
  }

  /** Ends every login of the account (its refresh tokens); it may log in again. */
  revokeSessions(playerId: string, reason: string, options?: RequestOptions): Promise<Changed> {
    return this.action(`/players/${encodeURIComponent(playerId)}/revoke-sessions`, reason, options);
  }

  /**
   * Ends a live match: `no_contest`, or a win for `winnerSeat` (the others forfeit). Its
   * players see the game end and may play again. `404 unknown_match`, `410 match_over`,
   * `422 invalid_body` (a seat the match does not have), `503 no_nodes` (its node did not
   * take the command: try again).
   */
  endMatch(
    matchId: string,
    reason: string,
    options?: RequestOptions & { winnerSeat?: number },
  ): Promise<{ node_id: string; seq: number }> {
    const body = { reason, winner_seat: options?.winnerSeat ?? null };
    return this.call("POST", `/matches/${encodeURIComponent(matchId)}/end`, { ...options, body });
  }

  /**
   * A spectator's ticket to any live match (open it with `MoonlightClient.spectate`); with
   * `fullView` (which needs a reason) its views carry every hand (`View.hands`). Audited
   * as `watch` or `watch_full_view`. `404 unknown_match`, `410 match_over`.
   */
  watch(matchId: string, options?: RequestOptions & { fullView?: boolean; reason?: string }): Promise<WatchTicket> {
    const body = { full_view: options?.fullView ?? false, reason: options?.reason ?? null };
    return this.call("POST", `/matches/${encodeURIComponent(matchId)}/watch`, { ...options, body });
  }

  /**
   * Where an admin's spectator connection reconnects (pass it as `tickets` to
   * `MoonlightClient.spectate`): `watch` again with the same view, each ticket audited.
   * `null` once the match is over.
   */
  ticketProvider(matchId: string, options?: { fullView?: boolean; reason?: string }): TicketProvider {
    return async () => {
      try {
        return await this.watch(matchId, options);
      } catch (error) {
        if (error instanceof MoonlightError && (error.code === "match_over" || error.code === "unknown_match")) return null;
        throw error;
      }
    };
  }

  /**
   * One step of any finished match's replay, private rooms' included: as `client.replay`
   * (`view` `"public"`, `"full"` or a seat number; `"public"` by default).
   */
  async replay(matchId: string, options?: RequestOptions & { step?: number; view?: ReplayView }): Promise<ReplayStep> {
    const query = new URLSearchParams();
    if (options?.step !== undefined) query.set("step", String(options.step));
    if (options?.view !== undefined) query.set("view", String(options.view));
    const path = `/matches/${encodeURIComponent(matchId)}/replay?${query.toString()}`;
    return fromBinary(ReplayStepSchema, await this.call<Uint8Array>("GET", path, { ...options, binary: true }));
  }

  /** The loaded content version, the versions live matches play, and the checker on the files now. */
  content(options?: RequestOptions): Promise<ContentNow> {
    return this.call("GET", "/content", options);
  }

  /** Reloads the content for new matches (as `SIGHUP`); a broken directory is `refused`, with the checker's messages. */
  reloadContent(reason: string, options?: RequestOptions): Promise<Reloaded> {
    return this.action("/content/reload", reason, options);
  }

  ratings(options?: RequestOptions): Promise<RatingSpread> {
    return this.call("GET", "/ratings", options);
  }

  /** The audit log, newest first: at most `limit` (1 to 500, default 100). */
  async audit(limit?: number, options?: RequestOptions): Promise<AuditEntry[]> {
    const suffix = limit !== undefined ? `?limit=${limit}` : "";
    return (await this.call<{ entries: AuditEntry[] }>("GET", `/audit${suffix}`, options)).entries;
  }

  private action<T>(path: string, reason: string, options?: RequestOptions): Promise<T> {
    return this.call("POST", path, { ...options, body: { reason } });
  }
}
