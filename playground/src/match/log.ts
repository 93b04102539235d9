// One line of the event log per event the seat may see: plays, attacks, damage, deaths,
// draws, the turns. Routine bookkeeping (moonlight refills, turn ends) is left out.
import { humanize } from "../dom.ts";
import type { Event, Outcome } from "../sdk.ts";
import type { Names } from "./names.ts";

export interface LogLine {
  kind: string;
  text: string;
  /** Whose doing, for colour: "me", "them" or "" (neutral). */
  side: "me" | "them" | "";
}

export function describe(event: Event, names: Names): LogLine | undefined {
  const kind = event.kind;
  const side = (seat: number): LogLine["side"] => names.side(seat);
  const line = (text: string, who: LogLine["side"] = ""): LogLine => ({ kind: kind.case ?? "unknown", text, side: who });
  switch (kind.case) {
    case "turnStarted": {
      const { seat, turn } = kind.value;
      return line(`Turn ${turn}: ${names.isMe(seat) ? "your turn" : `${names.seat(seat)}'s turn`}.`, side(seat));
    }
    case "cardPlayed": {
      const { seat, card, target, choice } = kind.value;
      const chose = choice !== undefined ? ` (${names.choice(card, choice)})` : "";
      const on = target !== undefined ? ` on ${names.entity(target)}` : "";
      return line(`${names.seat(seat)} played ${names.card(card)}${chose}${on}.`, side(seat));
    }
    case "powerUsed": {
      const { seat, card, target, choice } = kind.value;
      const chose = choice !== undefined ? ` (${names.choice(card, choice)})` : "";
      const on = target !== undefined ? ` on ${names.entity(target)}` : "";
      return line(`${names.seat(seat)} used the hero power ${names.card(card)}${chose}${on}.`, side(seat));
    }
    case "secretSet": {
      const { seat, card } = kind.value;
      if (names.isMe(seat)) return line(`You set a secret${card ? `: ${names.card(card)}` : ""}.`, "me");
      return line(`${names.seat(seat)} sets a secret.`, side(seat));
    }
    case "secretRevealed": {
      const { seat, card } = kind.value;
      return line(`${names.whose(seat)} secret is revealed: ${card ? names.card(card) : "a secret"}!`, side(seat));
    }
    case "armorChanged": {
      const { seat, armor } = kind.value;
      return line(armor > 0 ? `${names.whose(seat)} hero has ${armor} armor.` : `${names.whose(seat)} hero has no armor left.`);
    }
    case "frozen":
      return line(`${names.Entity(kind.value.unit)} is frozen.`);
    case "thawed":
      return line(`${names.Entity(kind.value.unit)} thaws.`);
    case "controlChanged": {
      const { unit, seat } = kind.value;
      const what = names.entity(unit);
      names.moveUnit(unit, seat);
      return line(`${names.seat(seat)} ${names.isMe(seat) ? "take" : "takes"} control of ${what}.`, side(seat));
    }
    case "unitSummoned": {
      const { seat, unit, card, attack, health } = kind.value;
      names.unit(unit, card, seat);
      return line(`${names.card(card)} (${attack}/${health}) enters ${names.whose(seat).toLowerCase()} board.`, side(seat));
    }
    case "attacked":
      return line(`${names.Entity(kind.value.attacker)} attacks ${names.entity(kind.value.target)}.`);
    case "damaged":
      return line(`${names.Entity(kind.value.target)} takes ${kind.value.amount} damage (${kind.value.health} left).`);
    case "healed":
      return line(`${names.Entity(kind.value.target)} is healed for ${kind.value.amount} (${kind.value.health}).`);
    case "shieldBroken":
      return line(`${names.Entity(kind.value.unit)}'s shield breaks.`);
    case "statsChanged":
      return line(`${names.Entity(kind.value.unit)} is now ${kind.value.attack}/${kind.value.health}.`);
    case "keywordsChanged":
      return line(
        `${names.Entity(kind.value.unit)} now has ${kind.value.keywords.map(humanize).join(", ") || "no keywords"}.`,
      );
    case "silenced":
      return line(`${names.Entity(kind.value.unit)} is silenced.`);
    case "transformed": {
      const before = names.Entity(kind.value.unit);
      names.unit(kind.value.into, kind.value.card, undefined);
      return line(`${before} turns into ${names.card(kind.value.card)}.`);
    }
    case "returnedToHand":
      return line(`${names.Entity(kind.value.unit)} returns to ${names.whose(kind.value.seat).toLowerCase()} hand.`);
    case "died":
      return line(`${names.card(kind.value.card)} dies.`);
    case "cardDrawn": {
      const { seat, card } = kind.value;
      if (names.isMe(seat)) return line(`You draw ${card ? names.card(card) : "a card"}.`, "me");
      return line(`${names.seat(seat)} draws a card.`, side(seat));
    }
    case "cardGenerated": {
      const { seat, card } = kind.value;
      return line(`${names.seat(seat)} ${names.isMe(seat) ? "get" : "gets"} ${card ? names.card(card) : "a card"}.`, side(seat));
    }
    case "discarded": {
      const { seat, card } = kind.value;
      return line(`${names.seat(seat)} ${names.isMe(seat) ? "discard" : "discards"} ${card ? names.card(card) : "a card"}.`);
    }
    case "cardBurned":
      return line(`${names.whose(kind.value.seat)} hand is full: ${names.card(kind.value.card)} burns.`);
    case "fatigue":
      return line(`${names.whose(kind.value.seat)} deck is empty: ${kind.value.damage} fatigue damage.`);
    case "mulligan": {
      const { seat, replaced } = kind.value;
      const who = names.seat(seat);
      if (replaced.length === 0) return line(`${who} kept ${names.isMe(seat) ? "your" : "their"} opening hand.`, side(seat));
      return line(`${who} replaced ${replaced.length} card${replaced.length === 1 ? "" : "s"}.`, side(seat));
    }
    case "heroDefeated":
      return line(`${names.whose(kind.value.seat)} hero is defeated!`);
    case "conceded":
      return line(`${names.seat(kind.value.seat)} conceded.`);
    case "timedOut":
      return line(`${names.whose(kind.value.seat)} turn timed out.`);
    case "forfeited":
      return line(`${names.seat(kind.value.seat)} forfeited.`);
    case "gameOver":
      return line(outcomeText(kind.value, names));
    case "triggerLimit":
      return line(`${names.Entity(kind.value.unit)}'s chain of triggers is cut short.`);
    case "turnEnded":
    case "moonlight":
    default:
      return undefined;
  }
}

const REASONS: Record<string, string> = {
  hero_defeated: "a hero was defeated",
  concession: "a player conceded",
  turn_limit: "the turn limit was reached",
  no_contest: "it was called off (a player never showed up, or an operator ended it)",
};

export function reasonText(reason: string): string {
  return REASONS[reason] ?? humanize(reason);
}

/** "Luna wins", "Draw", "No contest". */
export function outcomeText(outcome: Outcome, names: Names): string {
  if (outcome.reason === "no_contest") return "No contest: the match is void.";
  if (outcome.winners.length === 0) return `Draw: ${reasonText(outcome.reason)}.`;
  const winners = outcome.winners.map((seat) => names.seat(seat)).join(" and ");
  return `${winners} ${outcome.winners.length === 1 && !names.isMe(outcome.winners[0]!) ? "wins" : "win"}: ${reasonText(outcome.reason)}.`;
}
