// The card gallery: every card of the catalogue (tokens and hero powers included),
// filterable by faction, kind, cost and keyword, and every deck list (with its hero power). Needs no sign-in. For designers editing the content: it asks the
// lobby every few seconds which version is in use, shows the new one after a reload
// (`SIGHUP`), and when the checker refused a reload, its messages (`file:line:col`).
import type { App } from "../app.ts";
import { type CardDef, type ContentStatus, loadCatalogue, loadContentStatus } from "../catalogue.ts";
import { h, humanize, replace } from "../dom.ts";
import { rerender, type View } from "../router.ts";
import { cardFace } from "./card.ts";

const STATUS_POLL_MS = 2_000;

export function galleryView(app: App): View {
  const { catalogue } = app;
  const faction = h(
    "select",
    { id: "filter-faction", "data-test": "filter-faction" },
    h("option", { value: "" }, "All factions"),
    catalogue.rules.factions.map((f) => h("option", { value: f }, humanize(f))),
  );
  const kind = h(
    "select",
    { id: "filter-kind", "data-test": "filter-kind" },
    h("option", { value: "" }, "All kinds"),
    h("option", { value: "unit" }, "Units"),
    h("option", { value: "spell" }, "Spells"),
    catalogue.cards.some((card) => card.kind === "power") ? h("option", { value: "power" }, "Hero powers") : null,
  );
  const costs = [...new Set(catalogue.cards.map((card) => card.cost))].sort((a, b) => a - b);
  const cost = h(
    "select",
    { id: "filter-cost", "data-test": "filter-cost" },
    h("option", { value: "" }, "Any cost"),
    costs.map((c) => h("option", { value: String(c) }, String(c))),
  );
  const keywords = [...new Set(catalogue.cards.flatMap((card) => card.keywords ?? []))].sort();
  const keyword = h(
    "select",
    { id: "filter-keyword", "data-test": "filter-keyword" },
    h("option", { value: "" }, "Any keyword"),
    keywords.map((k) => h("option", { value: k }, humanize(k))),
  );
  const count = h("p", { class: "muted", role: "status", "data-test": "gallery-count" });
  const grid = h("ul", { class: "card-grid", "data-test": "gallery-cards" });

  const sorted = [...catalogue.cards].sort(byFactionCostName(catalogue.rules.factions));
  const render = () => {
    const shown = sorted.filter(
      (card) =>
        (!faction.value || card.faction === faction.value) &&
        (!kind.value || card.kind === kind.value) &&
        (!cost.value || card.cost === Number(cost.value)) &&
        (!keyword.value || (card.keywords ?? []).includes(keyword.value)),
    );
    count.textContent = `${shown.length} of ${catalogue.cards.length} cards`;
    count.dataset.count = String(shown.length);
    replace(
      grid,
      shown.map((card) =>
        h(
          "li",
          {
            class: `card gallery-card faction-${card.faction} rarity-${card.rarity ?? "common"} kind-${card.kind}${card.secret ? " secret" : ""}`,
            "data-test": "gallery-card",
            "data-card": card.id,
            "data-kind": card.kind,
            "data-rarity": card.rarity ?? "common",
          },
          cardFace(card, card.id),
        ),
      ),
    );
  };
  for (const filter of [faction, kind, cost, keyword]) filter.addEventListener("change", render);
  render();

  const decks = catalogue.decks.map((deck) => {
    const entries = [...deck.cards].sort((a, b) => {
      const x = catalogue.card(a.card);
      const y = catalogue.card(b.card);
      return (x?.cost ?? 0) - (y?.cost ?? 0) || catalogue.name(a.card).localeCompare(catalogue.name(b.card));
    });
    const power = catalogue.heroPower(deck.faction);
    return h(
      "section",
      { class: `panel deck faction-${deck.faction}`, "data-test": "deck", "data-deck": deck.id },
      h("h3", {}, deck.name),
      h("p", { class: "muted" }, `${humanize(deck.faction)} · ${catalogue.deckSize(deck)} cards · id ${deck.id}`),
      power
        ? h(
            "p",
            { class: "deck-power", "data-test": "deck-power", "data-card": power.id, title: power.text || undefined },
            h("span", { class: "cost" }, String(power.cost)),
            ` Hero power: ${power.name}`,
          )
        : null,
      h(
        "ul",
        { class: "deck-list" },
        entries.map((entry) => {
          const card = catalogue.card(entry.card);
          return h(
            "li",
            { "data-test": "deck-entry" },
            h("span", { class: "cost" }, String(card?.cost ?? "?")),
            h("span", { class: "deck-card" }, card?.name ?? entry.card),
            h("span", { class: "muted" }, `×${entry.count}`),
          );
        }),
      ),
    );
  });

  const refusedBox = h("div", { class: "banner error reload-refused", role: "alert", "data-test": "reload-refused", hidden: true });
  const showRefused = (refused: ContentStatus["refused"]) => {
    refusedBox.hidden = !refused;
    if (!refused) return;
    const at = new Date(refused.at * 1000).toLocaleTimeString();
    replace(
      refusedBox,
      h("p", {}, `The content reload at ${at} was refused; the gallery and new matches still use version ${catalogue.version.slice(0, 12)}.`),
      h(
        "ul",
        { class: "diagnostics" },
        [...refused.errors, ...refused.warnings].map((d) =>
          h(
            "li",
            { "data-test": "reload-diagnostic" },
            h("code", {}, `${d.file}:${d.line}:${d.col}`),
            ` ${d.message}`,
            d.hint ? h("span", { class: "hint" }, ` (${d.hint})`) : null,
          ),
        ),
      ),
    );
  };

  const stop = new AbortController();
  const poll = async () => {
    try {
      const status = await loadContentStatus(app.config.lobbyUrl, stop.signal);
      if (status.version !== app.catalogue.version) {
        const fresh = await loadCatalogue(app.config.lobbyUrl);
        if (stop.signal.aborted) return;
        app.catalogue = fresh;
        rerender();
        return;
      }
      showRefused(status.refused);
    } catch {
      // The lobby is restarting, or this view is gone: the next poll asks again.
    }
  };
  void poll();
  const timer = window.setInterval(() => void poll(), STATUS_POLL_MS);

  const el = h(
    "section",
    { class: "screen screen-gallery", "data-test": "screen-gallery" },
    h("h1", {}, "Card gallery"),
    refusedBox,
    h(
      "p",
      { class: "muted", "data-test": "content-version", "data-version": catalogue.version },
      `Content ${catalogue.version.slice(0, 12)}: ${catalogue.rules.hero_health} hero health, decks of ${catalogue.rules.deck_size}, moonlight up to ${catalogue.rules.moonlight_cap}, ${catalogue.rules.board_limit} units per side.`,
    ),
    h(
      "div",
      { class: "filters row" },
      h("div", { class: "filter" }, h("label", { for: "filter-faction" }, "Faction"), faction),
      h("div", { class: "filter" }, h("label", { for: "filter-kind" }, "Kind"), kind),
      h("div", { class: "filter" }, h("label", { for: "filter-cost" }, "Cost"), cost),
      h("div", { class: "filter" }, h("label", { for: "filter-keyword" }, "Keyword"), keyword),
      count,
    ),
    grid,
    h("h2", {}, "Starter decks"),
    h("div", { class: "decks" }, decks),
  );
  return {
    el,
    dispose: () => {
      stop.abort();
      window.clearInterval(timer);
    },
  };
}

function byFactionCostName(factions: readonly string[]) {
  const rank = (card: CardDef) => {
    const i = factions.indexOf(card.faction);
    return i < 0 ? factions.length : i;
  };
  return (a: CardDef, b: CardDef) => rank(a) - rank(b) || a.cost - b.cost || a.name.localeCompare(b.name);
}
