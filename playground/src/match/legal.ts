// The server's legal actions, indexed for the board: which hand cards can be played (and on
// what), which units can attack (and what), whether the turn can end, which mulligans are
// offered. The UI offers exactly these and sends the listed action itself: nothing else is
// ever clickable.
import { actionOf, type ActionKind, type LegalAction } from "../sdk.ts";

export interface LegalIndex {
  /** Hand handle → its play actions (a target, or `undefined` for none). */
  plays: Map<number, Map<number | undefined, ActionKind>>;
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
        const { card, target } = action.value;
        getOrInsert(index.plays, card).set(target, action);
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

/** Targets a selected hand card or attacker may be used on (none: it needs no target). */
export function targetsOf(index: LegalIndex, selection: Selection | undefined): Set<number> {
  if (!selection) return new Set();
  const options = selection.kind === "hand" ? index.plays.get(selection.id) : index.attacks.get(selection.id);
  const targets = new Set<number>();
  for (const target of options?.keys() ?? []) if (target !== undefined) targets.add(target);
  return targets;
}

/** What the player picked and now aims: a hand card (by handle) or an attacking unit. */
export type Selection = { kind: "hand"; id: number } | { kind: "attacker"; id: number };

function getOrInsert<K, V>(map: Map<K, Map<V, ActionKind>>, key: K): Map<V, ActionKind> {
  let inner = map.get(key);
  if (!inner) map.set(key, (inner = new Map()));
  return inner;
}
