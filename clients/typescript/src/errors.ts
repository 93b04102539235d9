import type { ActionRejected } from "./gen/moonlight/v1/game_pb.js";

/** Which part of the backend answered. */
export type Service = "auth" | "lobby";

/**
 * An HTTP call that did not succeed. `code` is the server's stable error code
 * (`{"error":{"code","message"}}`), e.g. `invalid_credentials`, `unknown_deck`, `busy`.
 * When no answer came at all, `status` is 0 and `code` is `unreachable` (or `timeout`);
 * an answer the SDK cannot read has `code` `unexpected_response`.
 */
export class MoonlightError extends Error {
  override readonly name = "MoonlightError";
  /** The HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  /** The stable error code from the body. */
  readonly code: string;
  /** Seconds to wait before trying again (`Retry-After`, with 429 and 503). */
  readonly retryAfter: number | undefined;
  readonly service: Service;
  /** The underlying failure (a network error), if any. */
  override readonly cause: unknown;

  constructor(
    service: Service,
    status: number,
    code: string,
    message: string,
    retryAfter?: number,
    options?: { cause?: unknown },
  ) {
    super(message);
    this.cause = options?.cause;
    this.service = service;
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** The server refused an action (`ActionRejected`); nothing changed. */
export class ActionRejectedError extends Error {
  override readonly name = "ActionRejectedError";
  readonly clientSeq: bigint;
  /** Stable reason, e.g. `not_your_turn`, `invalid_target`, `game_over`. */
  readonly reason: string;
  readonly rejection: ActionRejected;

  constructor(rejection: ActionRejected) {
    super(`action ${rejection.clientSeq} rejected: ${rejection.reason}${rejection.message ? ` (${rejection.message})` : ""}`);
    this.clientSeq = rejection.clientSeq;
    this.reason = rejection.reason;
    this.rejection = rejection;
  }
}

/**
 * The game connection closed for good before an action (or ping) was answered. For an
 * action that was already sent (`clientSeq` set) the server may or may not have applied
 * it: the SDK cannot know, and says so.
 */
export class ConnectionClosedError extends Error {
  override readonly name = "ConnectionClosedError";
  /** The WebSocket close code that ended the connection (1000, 4001, ...). */
  readonly code: number;
  readonly reason: string;
  /** The action's `client_seq` if it had been sent; its fate is then unknown. */
  readonly clientSeq: bigint | undefined;

  constructor(code: number, reason: string, clientSeq?: bigint) {
    super(
      `the game connection closed (${code}${reason ? ` ${reason}` : ""})` +
        (clientSeq !== undefined ? `; action ${clientSeq} was sent but not acknowledged` : ""),
    );
    this.code = code;
    this.reason = reason;
    this.clientSeq = clientSeq;
  }
}

/**
 * A spectator's connection (a watch ticket: no seat) cannot act: `act` and `concede` fail
 * with this at once, sending nothing (the server would answer `Error{code: "spectator"}`).
 */
export class SpectatorError extends Error {
  override readonly name = "SpectatorError";

  constructor() {
    super("a spectator cannot act: this connection has no seat");
  }
}
