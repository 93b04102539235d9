// The server's legal actions, indexed for the board: which hand cards can be played (with
// which "choose one" option, on what), whether the hero power can be used (and how), which
// units can attack (and what), whether the turn can end, which mulligans are offered. The
// UI offers exactly these and sends the listed action itself: nothing else is ever
// clickable.
import { actionOf, type ActionKind, type LegalAction } from "../sdk.ts";

/** Target id (`undefined`: none) → the action. */
export type ByTarget = Map<number | undefined, ActionKind>;

/** "Choose one" option (`undefined` for a card without options) → its targets. */
export type ByChoice = Map<number | undefined, ByTarget>;

export interface LegalIndex {
  /** Hand handle → its play actions, by option then target. */
  plays: Map<number, ByChoice>;
  /** The hero power's uses, by option then target (empty: it cannot be used now). */
  power: ByChoice;
  /** Attacker unit id → target id → action. */
  attacks: Map<number, Map<number, ActionKind>>;
  endTurn: ActionKind | undefined;
  /** Each offered mulligan, keyed by its sorted handles ("" keeps the hand). */
  mulligans: Map<string, ActionKind>;
  /** Handles that may be given back in the mulligan. */
  mulliganable: Set<number>;
  canConcede: boolean;
}

export function indexLegal(legal: readonly LegalAction[]): LegalIndex {
  const index: LegalIndex = {
    plays: new Map(),
    power: new Map(),
    attacks: new Map(),
    endTurn: undefined,
    mulligans: new Map(),
    mulliganable: new Set(),
    canConcede: false,
  };
  for (const entry of legal) {
    const kind = entry.kind;
    if (kind.case === "concede") {
      index.canConcede = true;
      continue;
    }
    const action = actionOf(entry);
    if (!action) continue;
    switch (action.case) {
      case "playCard": {
        const { card, target, choice } = action.value;
        getOrInsert(getOrInsert(index.plays, card), choice).set(target, action);
        break;
      }
      case "usePower": {
        const { target, choice } = action.value;
        getOrInsert(index.power, choice).set(target, action);
        break;
      }
      case "attack": {
        const { attacker, target } = action.value;
        getOrInsert(index.attacks, attacker).set(target, action);
        break;
      }
      case "endTurn":
        index.endTurn = action;
        break;
      case "mulligan":
        index.mulligans.set(mulliganKey(action.value.replace), action);
        for (const handle of action.value.replace) index.mulliganable.add(handle);
        break;
    }
  }
  return index;
}

export function mulliganKey(handles: Iterable<number>): string {
  return [...handles].sort((a, b) => a - b).join(",");
}

/**
 * What the player picked and now aims: a hand card (by handle), the hero power or an
 * attacking unit. A card or power that says "choose one" first waits for its option
 * (`choice` undefined), then for a target if that option's actions have targets.
 */
export type Selection =
  | { kind: "hand"; id: number; choice?: number | undefined }
  | { kind: "power"; choice?: number | undefined }
  | { kind: "attacker"; id: number };

/** The options (0-based) a card's or the power's legal actions offer; empty: it has none. */
export function choicesOf(byChoice: ByChoice | undefined): number[] {
  return [...(byChoice?.keys() ?? [])].filter((c): c is number => c !== undefined).sort((a, b) => a - b);
}

/** A selected card or power that says "choose one" and has no option picked yet. */
export function awaitingChoice(index: LegalIndex, selection: Selection | undefined): boolean {
  if (!selection || selection.kind === "attacker" || selection.choice !== undefined) return false;
  return choicesOf(selection.kind === "hand" ? index.plays.get(selection.id) : index.power).length > 0;
}

/** The actions the selection may still become, by target (undefined: nothing chosen yet). */
export function optionsOf(index: LegalIndex, selection: Selection | undefined): Map<number | undefined, ActionKind> | undefined {
  if (!selection) return undefined;
  switch (selection.kind) {
    case "hand":
      return index.plays.get(selection.id)?.get(selection.choice);
    case "power":
      return index.power.get(selection.choice);
    case "attacker":
      return index.attacks.get(selection.id);
  }
}

/** Whether the selection still matches a legal action (the turn may have ended meanwhile). */
export function stillLegal(index: LegalIndex, selection: Selection): boolean {
  switch (selection.kind) {
    case "hand": {
      const plays = index.plays.get(selection.id);
      return plays !== undefined && (selection.choice === undefined || plays.has(selection.choice));
    }
    case "power":
      return index.power.size > 0 && (selection.choice === undefined || index.power.has(selection.choice));
    case "attacker":
      return index.attacks.has(selection.id);
  }
}

/** Targets a selected hand card, power or attacker may be used on (none: it needs no target). */
export function targetsOf(index: LegalIndex, selection: Selection | undefined): Set<number> {
  const targets = new Set<number>();
  for (const target of optionsOf(index, selection)?.keys() ?? []) if (target !== undefined) targets.add(target);
  return targets;
}

/** Whether any of these actions has a target (then the player picks one). */
export function hasTargets(byTarget: ByTarget | undefined): boolean {
  return [...(byTarget?.keys() ?? [])].some((target) => target !== undefined);
}

function getOrInsert<K, K2, V>(map: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let inner = map.get(key);
  if (!inner) map.set(key, (inner = new Map()));
  return inner;
}
