// How a card looks: cost, name, kind and faction, attack/health, keywords and text. The same
// face serves the gallery, the hand and the board (where live stats replace printed ones).
import type { CardDef } from "../catalogue.ts";
import { h, humanize } from "../dom.ts";

export interface FaceOptions {
  /** Live stats of a unit on the board. */
  attack?: number;
  health?: number;
  maxHealth?: number;
  keywords?: readonly string[];
  /** Cost in hand (effects may change it). */
  cost?: number;
  /** Leave the rules text out (the board shows it on hover/focus only). */
  compact?: boolean;
}

export function cardFace(def: CardDef | undefined, id: string, options: FaceOptions = {}): HTMLElement[] {
  const name = def?.name ?? id;
  const cost = options.cost ?? def?.cost;
  const attack = options.attack ?? def?.attack;
  const health = options.health ?? def?.health;
  const keywords = options.keywords ?? def?.keywords ?? [];
  const kind = def?.kind ?? "unit";
  const parts: HTMLElement[] = [
    h(
      "div",
      { class: "card-top" },
      cost !== undefined ? h("span", { class: costClass(def, options.cost), title: costTitle(def, options.cost), "data-test": "card-cost" }, String(cost)) : null,
      h("span", { class: "card-name", "data-test": "card-name" }, name),
    ),
  ];
  if (!options.compact) {
    // A hero power is never in a deck either, but it is no token.
    const token = def && def.collectible === false && def.kind !== "power" ? " · token" : "";
    const rarity = def?.rarity && def.rarity !== "common" ? ` · ${humanize(def.rarity)}` : "";
    const secret = def?.secret ? " · secret" : "";
    parts.push(h("div", { class: "card-kind", "data-test": "card-kind" }, `${kindName(kind)}${secret} · ${humanize(def?.faction ?? "unknown")}${token}${rarity}`));
  }
  if (keywords.length > 0) {
    parts.push(
      h(
        "ul",
        { class: "keywords", "aria-label": "Keywords" },
        keywords.map((keyword) => h("li", { class: `keyword kw-${keyword}`, "data-test": "keyword" }, humanize(keyword))),
      ),
    );
  }
  if (!options.compact && def?.text) parts.push(h("p", { class: "card-text", "data-test": "card-text" }, def.text));
  if (!options.compact && def?.flavor) parts.push(h("p", { class: "card-flavor", "data-test": "card-flavor" }, def.flavor));
  if (kind === "unit" && attack !== undefined && health !== undefined) {
    const hurt = options.maxHealth !== undefined && health < options.maxHealth;
    parts.push(
      h(
        "div",
        { class: "stats" },
        h("span", { class: "attack", title: "Attack", "data-test": "attack" }, String(attack)),
        h("span", { class: hurt ? "health hurt" : "health", title: "Health", "data-test": "health" }, String(health)),
      ),
    );
  }
  return parts;
}

/** "Unit", "Spell", "Hero power". */
export function kindName(kind: CardDef["kind"]): string {
  return kind === "power" ? "Hero power" : humanize(kind);
}

/** A cost in hand that effects or auras changed shows it: cheaper or dearer than printed. */
function costClass(def: CardDef | undefined, cost: number | undefined): string {
  if (cost === undefined || def === undefined || cost === def.cost) return "cost";
  return cost < def.cost ? "cost cheaper" : "cost dearer";
}

function costTitle(def: CardDef | undefined, cost: number | undefined): string {
  if (cost === undefined || def === undefined || cost === def.cost) return "Moonlight cost";
  return `Moonlight cost now (printed: ${def.cost})`;
}

/** A short description for screen readers and tooltips: "Shade Bat, 1 moonlight, 1/1, Swift. Text". */
export function cardLabel(def: CardDef | undefined, id: string, options: FaceOptions = {}): string {
  const bits = [def?.name ?? id];
  if (def?.kind === "power") bits.push("hero power");
  if (def?.secret) bits.push("secret");
  const cost = options.cost ?? def?.cost;
  if (cost !== undefined) bits.push(`${cost} moonlight`);
  const attack = options.attack ?? def?.attack;
  const health = options.health ?? def?.health;
  if (attack !== undefined && health !== undefined) bits.push(`${attack} attack, ${health} health`);
  const keywords = options.keywords ?? def?.keywords ?? [];
  if (keywords.length) bits.push(keywords.map(humanize).join(", "));
  return bits.join(", ") + (def?.text ? `. ${def.text}` : "");
}
