// The JSON the auth and lobby services send, field for field (snake_case as on the wire);
// see the services' /openapi.json and lobby/README.md.

/** `POST /v1/auth/register`, `/login` and `/refresh`. */
export interface Tokens {
  access_token: string;
  token_type: string;
  /** Seconds the access token is valid for (900). */
  expires_in: number;
  /** Opaque and single use: every refresh returns a new one. */
  refresh_token: string;
  refresh_expires_in: number;
  user_id: string;
  username: string;
}

/** `GET /v1/auth/me`. */
export interface Account {
  id: string;
  username: string;
  /** Unix seconds. */
  created_at: number;
}

/** `GET /v1/lobby/status` and the answer of every call that changes it. */
export interface LobbyStatus {
  state: "idle" | "queued" | "in_room" | "in_match";
  queue: QueueStatus | null;
  room: RoomStatus | null;
  match: MatchTicket | null;
}

export interface QueueStatus {
  deck: string;
  rating: number;
  waited_secs: number;
  rating_window: number;
  practice_offered: boolean;
}

export interface RoomStatus {
  room_id: string;
  /** Give this to a friend: they join with it. */
  code: string;
  public: boolean;
  host: string;
  /** Unix seconds. */
  expires_at: number;
}

/** How to reach a match: open `{url}?ticket={ticket}` as the game WebSocket. */
export interface MatchTicket {
  room_id: string;
  seat: number;
  node_id: string;
  url: string;
  /** A room ticket; it lives two minutes. */
  ticket: string;
}

export interface PublicRoom {
  code: string;
  host: string;
  created_at: number;
}

/** `GET /v1/lobby/me`. */
export interface Profile {
  player_id: string;
  name: string;
  rating: number;
  deviation: number;
  provisional: boolean;
  wins: number;
  losses: number;
  draws: number;
}

export interface MatchPlayer {
  seat: number;
  player_id: string;
  name: string;
  /** `win`, `loss`, `draw` or `no_contest`. */
  result: string;
  rating_before?: number | null;
  rating_after?: number | null;
}

/** `GET /v1/lobby/matches/{id}`, and each entry of `/me/matches`. */
export interface MatchRecord {
  match_id: string;
  /** `quick`, `private`, `practice` or `other`. */
  kind: string;
  /** `hero_defeated`, `concession`, `turn_limit` or `no_contest`. */
  reason: string;
  turns: number;
  started_at: number;
  finished_at: number;
  winner_team?: number | null;
  players: MatchPlayer[];
}

export interface MatchPage {
  matches: MatchRecord[];
  /** Pass as `before` for the next page; `null` on the last one. */
  next?: string | null;
}

export interface RankedPlayer {
  rank: number;
  player_id: string;
  name: string;
  rating: number;
  wins: number;
  losses: number;
  draws: number;
}

export interface Leaderboard {
  top: RankedPlayer[];
  me: { rank: number | null; rating: number; provisional: boolean };
}

/** `GET /v1/lobby/live`: one match being played that anyone may watch. */
export interface LiveMatch {
  match_id: string;
  /** `quick`, `practice`, or `private` (a public room's match). */
  kind: string;
  /** The players' names in seat order (the practice bot's included). */
  players: string[];
  /** Unix seconds. */
  started_at: number;
}

/**
 * `POST /v1/lobby/matches/{id}/watch`: a spectator's way into a match. Open
 * `{url}?ticket={ticket}` as the game WebSocket (`MoonlightClient.spectate` does): no seat,
 * the public view only.
 */
export interface WatchTicket {
  room_id: string;
  node_id: string;
  url: string;
  /** A seatless room ticket; it lives two minutes. */
  ticket: string;
}

/** The starter decks the content ships with (any deck id the server knows is accepted). */
export type StarterDeck =
  | "dusk_starter"
  | "dusk_reaper"
  | "ember_starter"
  | "grove_starter"
  | "moonwell_starter"
  | "tide_frost"
  | "tide_starter";

/** One line of a deck list: a collectible card id and its copies. */
export interface DeckLine {
  card: string;
  count: number;
}

/** A deck to save: a name (1 to 40 characters) and either its `cards` or a shared `code`. */
export interface DeckDraft {
  name: string;
  cards?: DeckLine[];
  code?: string;
}

/** A saved deck, as the content the lobby runs now sees it. */
export interface SavedDeck {
  id: string;
  name: string;
  /** By card id. */
  cards: DeckLine[];
  /** Share it, or play it: `deck` takes it, as it takes `id`. */
  code: string;
  /** The faction of its non-neutral cards (`neutral` if none). */
  faction: string;
  /** Whether it may be played under the content now. */
  legal: boolean;
  /** Why not, naming the card; absent when legal. */
  problem?: string;
  /** Unix seconds. */
  updated_at: number;
}

/**
 * How well the practice bot plays: `easy` looks one move ahead; `normal` and `hard` search
 * (milliseconds a move) and beat `easy` about two games in three and seven in ten.
 */
export type BotLevel = "easy" | "normal" | "hard";

/** A designer's playtest: the bot's deck and the seed of a practice match (each optional). */
export interface Playtest {
  /** Any deck id of the content (`GET /v1/content`); absent: a random deck. */
  botDeck?: string;
  /** Fixes every shuffle and draw (0 to 2^53 - 1); absent: a random seed. */
  seed?: number;
}

/** Who watches a replay: no hand (`"public"`), every hand (`"full"`), or a seat's own view. */
export type ReplayView = "public" | "full" | number;
