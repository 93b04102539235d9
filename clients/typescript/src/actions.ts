import type { LegalAction } from "./gen/moonlight/v1/game_pb.js";

/**
 * What an `Action` frame asks for: its `kind` oneof. Either built with {@link actions} or
 * taken from the server's legal actions with {@link actionOf}; the SDK adds `client_seq`.
 */
export type ActionKind =
  | { case: "playCard"; value: { card: number; target?: number | undefined; choice?: number | undefined } }
  | { case: "usePower"; value: PowerOptions }
  | { case: "attack"; value: { attacker: number; target: number } }
  | { case: "endTurn"; value?: object }
  | { case: "mulligan"; value: { replace: number[] } };

/**
 * The hero power's target (a unit or hero id) if it asks for one, and its option (0-based)
 * if it says "choose one", as for a card.
 */
export interface PowerOptions {
  target?: number | undefined;
  choice?: number | undefined;
}

/** Builders for each action kind. */
export const actions = {
  /**
   * Play the card with hand handle `card`, on `target` if the card asks for one, with option
   * `choice` (0-based) if it says "choose one" (the legal actions list one entry per option
   * and target).
   */
  playCard(card: number, target?: number, choice?: number): ActionKind {
    const value: { card: number; target?: number; choice?: number } = { card };
    if (target !== undefined) value.target = target;
    if (choice !== undefined) value.choice = choice;
    return { case: "playCard", value };
  },
  /**
   * Use the seat's hero power (`SeatState.heroPower`): once a turn, for its cost, on
   * `target` if it asks for one, with option `choice` if it says "choose one".
   */
  usePower(options: PowerOptions = {}): ActionKind {
    const value: PowerOptions = {};
    if (options.target !== undefined) value.target = options.target;
    if (options.choice !== undefined) value.choice = options.choice;
    return { case: "usePower", value };
  },
  /** Attack `target` (a unit or hero id) with your unit `attacker`. */
  attack(attacker: number, target: number): ActionKind {
    return { case: "attack", value: { attacker, target } };
  },
  endTurn(): ActionKind {
    return { case: "endTurn", value: {} };
  },
  /** Before turn 1: give back the opening cards with these handles; `[]` keeps the hand. */
  mulligan(replace: number[] = []): ActionKind {
    return { case: "mulligan", value: { replace } };
  },
};

/**
 * The action that performs a legal action the server listed, or `undefined` for a concede
 * (use `GameConnection.concede()`) or a kind this SDK version does not know.
 */
export function actionOf(legal: LegalAction): ActionKind | undefined {
  const kind = legal.kind;
  switch (kind.case) {
    case "playCard":
      return actions.playCard(kind.value.card, kind.value.target, kind.value.choice);
    case "usePower":
      return actions.usePower({ target: kind.value.target, choice: kind.value.choice });
    case "attack":
      return actions.attack(kind.value.attacker, kind.value.target);
    case "endTurn":
      return actions.endTurn();
    case "mulligan":
      return actions.mulligan([...kind.value.replace]);
    default:
      return undefined;
  }
}
