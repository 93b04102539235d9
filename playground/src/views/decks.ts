// Decks: the player's saved decks (legal or not under the content now, and why), each with
// its code to share; a builder (a faction, then its cards and the neutral ones, up to the
// copy limit, to the deck size) that saves or updates one; and importing a deck by code.
// The server checks every deck; its refusals (naming the card) show as they come.
import type { App } from "../app.ts";
import type { CardDef } from "../catalogue.ts";
import { errorText, h, humanize, replace } from "../dom.ts";
import type { View } from "../router.ts";
import type { DeckLine, SavedDeck } from "../sdk.ts";

export function decksView(app: App): View {
  const { catalogue } = app;
  const client = app.session.client;
  const stop = new AbortController();
  const { deck_size: deckSize, max_copies: maxCopies } = catalogue.rules;
  const factions = catalogue.rules.factions.filter((f) => f !== "neutral");

  const error = h("div", { class: "banner error", role: "alert", "data-test": "decks-error", hidden: true });
  const notice = h("p", { class: "muted", role: "status", "data-test": "decks-notice" });
  const list = h("ul", { class: "deck-list", "data-test": "saved-decks" });

  // ----- the builder -----
  let editing: string | undefined;
  const counts = new Map<string, number>();
  const nameInput = h("input", { id: "deck-name", maxlength: "40", placeholder: "My deck", "data-test": "deck-name" });
  const factionSelect = h(
    "select",
    { id: "deck-faction", "data-test": "deck-faction" },
    factions.map((f) => h("option", { value: f }, humanize(f))),
  );
  const startSelect = h(
    "select",
    { id: "deck-start", "data-test": "deck-start" },
    h("option", { value: "" }, "Empty"),
    catalogue.decks.map((d) => h("option", { value: d.id }, `${d.name} (${humanize(d.faction)})`)),
  );
  const total = h("p", { class: "deck-total", "data-test": "deck-total" });
  const pool = h("ul", { class: "deck-pool", "data-test": "deck-pool" });
  const save = h("button", { type: "button", class: "primary", "data-test": "deck-save", onclick: () => void saveDeck() }, "Save deck");
  const cancelEdit = h("button", { type: "button", "data-test": "deck-new", onclick: () => startOver("") }, "New deck");

  const cardsOf = (faction: string): CardDef[] =>
    catalogue.cards
      .filter((c) => c.collectible !== false && c.kind !== "power" && (c.faction === faction || c.faction === "neutral"))
      .sort((a, b) => a.cost - b.cost || a.name.localeCompare(b.name));

  function startOver(from: string): void {
    editing = undefined;
    counts.clear();
    const deck = catalogue.deck(from);
    if (deck) {
      factionSelect.value = deck.faction;
      for (const entry of deck.cards) counts.set(entry.card, entry.count);
      nameInput.value = `My ${deck.name}`;
    } else {
      nameInput.value = "";
    }
    save.textContent = "Save deck";
    renderBuilder();
  }

  function edit(deck: SavedDeck): void {
    editing = deck.id;
    counts.clear();
    for (const line of deck.cards) counts.set(line.card, line.count);
    if (deck.faction !== "neutral") factionSelect.value = deck.faction;
    nameInput.value = deck.name;
    save.textContent = "Save changes";
    renderBuilder();
    nameInput.focus();
  }

  function renderBuilder(): void {
    const faction = factionSelect.value;
    // Cards of another faction go when the faction changes.
    for (const id of [...counts.keys()]) {
      const card = catalogue.card(id);
      if (!card || (card.faction !== faction && card.faction !== "neutral")) counts.delete(id);
    }
    const size = [...counts.values()].reduce((n, c) => n + c, 0);
    total.textContent = `${size} / ${deckSize} cards`;
    total.classList.toggle("complete", size === deckSize);
    replace(
      pool,
      cardsOf(faction).map((card) => {
        const n = counts.get(card.id) ?? 0;
        const change = (by: number) => {
          const next = Math.max(0, Math.min(maxCopies, n + by));
          if (next === 0) counts.delete(card.id);
          else counts.set(card.id, next);
          renderBuilder();
        };
        return h(
          "li",
          { "data-test": "pool-card", "data-card": card.id, class: n > 0 ? "chosen" : "" },
          h("span", { class: "cost" }, String(card.cost)),
          h("span", { class: "pool-name", title: card.text ?? "" }, card.name),
          h("span", { class: "muted" }, card.kind === "unit" ? `${card.attack}/${card.health}` : card.secret ? "secret" : "spell"),
          h("button", { type: "button", class: "small", "aria-label": `Remove a ${card.name}`, "data-test": "pool-remove", disabled: n === 0, onclick: () => change(-1) }, "−"),
          h("span", { class: "pool-count", "data-test": "pool-count" }, String(n)),
          h("button", { type: "button", class: "small", "aria-label": `Add a ${card.name}`, "data-test": "pool-add", disabled: n >= maxCopies || size >= deckSize, onclick: () => change(1) }, "+"),
        );
      }),
    );
  }

  async function saveDeck(): Promise<void> {
    const cards: DeckLine[] = [...counts].map(([card, count]) => ({ card, count }));
    const draft = { name: nameInput.value, cards };
    await act(async () => {
      const saved = editing ? await client.updateDeck(editing, draft) : await client.saveDeck(draft);
      editing = saved.id;
      save.textContent = "Save changes";
      notice.textContent = `Saved “${saved.name}”.`;
    });
  }

  // ----- import by code -----
  const codeInput = h("input", { id: "deck-code", placeholder: "Paste a deck code", "data-test": "deck-code-input" });
  const importName = h("input", { id: "deck-import-name", maxlength: "40", placeholder: "Its name", "data-test": "deck-import-name" });
  const importButton = h(
    "button",
    { type: "button", "data-test": "deck-import", onclick: () => void importDeck() },
    "Import",
  );
  async function importDeck(): Promise<void> {
    const code = codeInput.value.trim();
    if (!code) {
      showError("Paste the deck code someone shared.");
      return;
    }
    await act(async () => {
      const saved = await client.saveDeck({ name: importName.value || "Imported deck", code });
      codeInput.value = "";
      importName.value = "";
      notice.textContent = `Imported “${saved.name}”.`;
    });
  }

  // ----- the list -----
  async function act(call: () => Promise<void>): Promise<void> {
    showError(undefined);
    try {
      await call();
      await refresh();
    } catch (failure) {
      showError(errorText(failure));
    }
  }

  async function refresh(): Promise<void> {
    const decks = await client.decks({ signal: stop.signal });
    replace(
      list,
      decks.length === 0 ? h("li", { class: "muted" }, "No decks yet: build one below, or import a code.") : null,
      decks.map((deck) => savedDeck(deck)),
    );
  }

  function savedDeck(deck: SavedDeck): HTMLElement {
    const size = deck.cards.reduce((n, line) => n + line.count, 0);
    return h(
      "li",
      { "data-test": "saved-deck", "data-deck": deck.id, "data-legal": String(deck.legal) },
      h("strong", { "data-test": "saved-deck-name" }, deck.name),
      ` · ${humanize(deck.faction)} · ${size} cards `,
      deck.legal ? null : h("p", { class: "problem", "data-test": "deck-problem" }, `Cannot be played now: ${deck.problem ?? ""}`),
      h(
        "div",
        { class: "row" },
        h("button", { type: "button", class: "small", "data-test": "deck-edit", onclick: () => edit(deck) }, "Edit"),
        h(
          "button",
          {
            type: "button",
            class: "small",
            "data-test": "deck-copy-code",
            "data-code": deck.code,
            onclick: () => {
              void navigator.clipboard?.writeText(deck.code).catch(() => undefined);
              notice.textContent = `The code of “${deck.name}” is copied: ${deck.code}`;
            },
          },
          "Copy code",
        ),
        h(
          "button",
          { type: "button", class: "small", "data-test": "deck-delete", onclick: () => void act(() => client.deleteDeck(deck.id)) },
          "Delete",
        ),
      ),
    );
  }

  function showError(message: string | undefined): void {
    error.textContent = message ?? "";
    error.hidden = !message;
  }

  factionSelect.addEventListener("change", renderBuilder);
  startSelect.addEventListener("change", () => startOver(startSelect.value));
  startOver("");
  refresh().catch((failure) => {
    if (!stop.signal.aborted) showError(errorText(failure));
  });

  const el = h(
    "section",
    { class: "screen screen-decks", "data-test": "screen-decks" },
    h("h1", {}, "Your decks"),
    error,
    notice,
    h("div", { class: "panel" }, list),
    h(
      "div",
      { class: "panel deck-import" },
      h("h2", {}, "Import a deck"),
      h("label", { for: "deck-code" }, "Deck code"),
      codeInput,
      h("label", { for: "deck-import-name" }, "Name"),
      importName,
      importButton,
    ),
    h(
      "div",
      { class: "panel deck-builder", "data-test": "deck-builder" },
      h("h2", {}, "Build a deck"),
      h(
        "div",
        { class: "row" },
        h("label", { for: "deck-name" }, "Name"),
        nameInput,
        h("label", { for: "deck-faction" }, "Faction"),
        factionSelect,
        h("label", { for: "deck-start" }, "Start from"),
        startSelect,
      ),
      h("p", { class: "muted" }, `${deckSize} cards: one faction's and neutral ones, at most ${maxCopies} of each.`),
      total,
      h("div", { class: "row" }, save, cancelEdit),
      pool,
    ),
  );
  return { el, dispose: () => stop.abort() };
}
