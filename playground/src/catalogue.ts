// The card catalogue: `GET {lobbyUrl}/v1/content` (public). Cards, decks and rules exactly as
// the designers wrote them (engine/src/content/schema.rs, serialised by serde). The game's
// wire messages carry only card ids: names, text and printed stats come from here.

/** `power`: a faction's hero power (never in a deck; see `Rules.hero_powers`). */
export type CardKind = "unit" | "spell" | "power";

export interface CardDef {
  id: string;
  name: string;
  faction: string;
  kind: CardKind;
  cost: number;
  /** Units only. */
  attack?: number;
  /** Units only. */
  health?: number;
  keywords?: string[];
  text?: string;
  /** `false` for tokens (cards only effects create). */
  collectible?: boolean;
  /** `common` (the default), `rare`, `epic` or `legendary`. */
  rarity?: "common" | "rare" | "epic" | "legendary";
  /** A path under the content directory; not served yet. */
  art?: string;
  /** A line of story under the rules text. */
  flavor?: string;
  /** The name and flavour in other languages, by language tag. */
  translations?: Record<string, { name: string; flavor?: string }>;
  /** Spells only: played face down, sprung later (only its owner sees which it is). */
  secret?: boolean;
  abilities?: unknown[];
  /** Units only: continuous effects while on the board (the text says what they do). */
  auras?: unknown[];
}

export interface DeckEntry {
  card: string;
  count: number;
}

export interface DeckDef {
  id: string;
  name: string;
  faction: string;
  cards: DeckEntry[];
}

export interface Rules {
  hero_health: number;
  deck_size: number;
  max_copies: number;
  hand_limit: number;
  board_limit: number;
  moonlight_cap: number;
  first_hand: number;
  later_hand: number;
  mulligan?: boolean;
  later_bonus_card?: string;
  turn_limit: number;
  actions_per_turn: number;
  factions: string[];
  /** Each faction's hero power: faction → a card id of kind `power`. */
  hero_powers?: Record<string, string>;
}

export interface ContentJson {
  version: string;
  rules: Rules;
  cards: CardDef[];
  decks: DeckDef[];
}

export class Catalogue {
  readonly version: string;
  readonly rules: Rules;
  readonly cards: readonly CardDef[];
  readonly decks: readonly DeckDef[];
  private readonly byId: Map<string, CardDef>;

  constructor(content: ContentJson) {
    this.version = content.version;
    this.rules = content.rules;
    this.cards = content.cards;
    this.decks = content.decks;
    this.byId = new Map(content.cards.map((card) => [card.id, card]));
  }

  /** The card, or `undefined` for an id this catalogue does not have (content changed). */
  card(id: string): CardDef | undefined {
    return this.byId.get(id);
  }

  /** The card's display name; the id itself when unknown. */
  name(id: string): string {
    return this.byId.get(id)?.name ?? id;
  }

  /** The hero power of a faction's decks, if it has one. */
  heroPower(faction: string): CardDef | undefined {
    const id = this.rules.hero_powers?.[faction];
    return id === undefined ? undefined : this.byId.get(id);
  }

  deck(id: string): DeckDef | undefined {
    return this.decks.find((deck) => deck.id === id);
  }

  /** Cards in a deck list, in deck order. */
  deckSize(deck: DeckDef): number {
    return deck.cards.reduce((total, entry) => total + entry.count, 0);
  }
}

/**
 * The options of a "choose one" card (or hero power), from its rules text ("Choose one: gain
 * 5 armor; or summon two 1/1 Grove Saplings."), in the order of the `choice` indexes;
 * empty when its text offers no choice.
 */
export function choiceTexts(def: CardDef | undefined): string[] {
  const text = def?.text ?? "";
  const match = /choose one:\s*/i.exec(text);
  if (!match) return [];
  const options = text.slice(match.index + match[0].length).split("; or ");
  // The last option ends the sentence.
  const last = options.length - 1;
  const end = options[last]!.search(/\.(\s|$)/);
  if (end >= 0) options[last] = options[last]!.slice(0, end);
  return options.map((option) => option.trim()).map((option) => option.charAt(0).toUpperCase() + option.slice(1));
}

/** A "choose one" option for people: its words from the card's text, else "Option 2". */
export function choiceText(def: CardDef | undefined, choice: number): string {
  return choiceTexts(def)[choice] || `Option ${choice + 1}`;
}

export async function loadCatalogue(lobbyUrl: string): Promise<Catalogue> {
  const url = `${lobbyUrl.replace(/\/+$/, "")}/v1/content`;
  const response = await fetch(url, { headers: { accept: "application/json" } });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  const body = (await response.json()) as ContentJson;
  if (!Array.isArray(body.cards) || !Array.isArray(body.decks) || !body.rules) {
    throw new Error(`GET ${url}: not a content catalogue`);
  }
  return new Catalogue(body);
}

/** One message of the content checker: `file:line:col: message`. */
export interface ContentDiagnostic {
  file: string;
  line: number;
  col: number;
  message: string;
  hint?: string | null;
}

/** `GET /v1/content/status`: the version in use, and why the last reload was refused. */
export interface ContentStatus {
  version: string;
  refused: { at: number; errors: ContentDiagnostic[]; warnings: ContentDiagnostic[] } | null;
}

export async function loadContentStatus(lobbyUrl: string, signal?: AbortSignal): Promise<ContentStatus> {
  const url = `${lobbyUrl.replace(/\/+$/, "")}/v1/content/status`;
  const response = await fetch(url, { headers: { accept: "application/json" }, signal });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return (await response.json()) as ContentStatus;
}
