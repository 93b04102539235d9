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

/**
 * Every stable reason the server gives when it refuses an action (`ActionRejected.reason`,
 * as listed in game.proto), in the proto's order.
 */
export const REJECTION_REASONS = [
  "game_over",
  "unknown_seat",
  "mulligan_pending",
  "no_mulligan",
  "seat_out",
  "not_your_turn",
  "action_limit",
  "card_not_in_hand",
  "not_enough_moonlight",
  "board_full",
  "target_required",
  "target_not_allowed",
  "invalid_target",
  "no_valid_target",
  "not_your_unit",
  "cannot_attack",
  "must_attack_guard",
  /** The card (or hero power) says "choose one" and no `choice` was given. */
  "choice_required",
  /** No such option, or the card has no options. */
  "invalid_choice",
  /** The seat's deck brought no hero power (its faction has none). */
  "no_power",
  /** The hero power was already used this turn. */
  "power_used",
  /** The `Action` named no kind. */
  "malformed_action",
] as const;

/** A stable reason of {@link REJECTION_REASONS}. */
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Whether `reason` is one this SDK version knows (a newer server may add more). */
export function isRejectionReason(reason: string): reason is RejectionReason {
  return (REJECTION_REASONS as readonly string[]).includes(reason);
}

/** The server refused an action (`ActionRejected`); nothing changed. */
export class ActionRejectedError extends Error {
  override readonly name = "ActionRejectedError";
  readonly clientSeq: bigint;
  /**
   * Stable reason, one of {@link REJECTION_REASONS} (e.g. `not_your_turn`, `invalid_target`,
   * `power_used`, `game_over`), or one a newer server added.
   */
  readonly reason: RejectionReason | (string & {});
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
