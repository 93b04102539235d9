// Home: choose a deck (a starter deck or one of your own), then quick match (queue, wait, cancel), a private room (open
// one and share its code, or join by code) or practice against the bot. Follows the lobby's
// status with long-polls and goes to the match as soon as the player is in one.
import type { App } from "../app.ts";
import { errorText, h, humanize, replace } from "../dom.ts";
import { isFinished } from "../match/finished.ts";
import { navigate, replayHash, type View } from "../router.ts";
import type { BotLevel, LobbyStatus, MatchRecord, SavedDeck } from "../sdk.ts";

const DECK_KEY = "moonlight.playground.deck";

export function homeView(app: App): View {
  const client = app.session.client;
  const stop = new AbortController();
  let status: LobbyStatus | undefined;
  let busy = false;

  const decks = app.catalogue.decks;
  const saved = localStorage.getItem(DECK_KEY);
  const deckSelect = h(
    "select",
    { id: "deck", "data-test": "deck-select" },
    decks.map((deck) =>
      h("option", { value: deck.id, selected: deck.id === saved }, `${deck.name} (${humanize(deck.faction)})`),
    ),
  );
  const deckInfo = h("p", { class: "muted deck-info", "data-test": "deck-info" });
  // The player's own decks join the starter decks once loaded (a deck the content no
  // longer allows is listed, disabled, with the reason).
  const mine = new Map<string, SavedDeck>();
  const showDeck = () => {
    const lines = app.catalogue.deck(deckSelect.value)?.cards ?? mine.get(deckSelect.value)?.cards;
    if (!lines) return;
    localStorage.setItem(DECK_KEY, deckSelect.value);
    const size = lines.reduce((n, e) => n + e.count, 0);
    const units = lines.filter((entry) => app.catalogue.card(entry.card)?.kind === "unit").reduce((n, e) => n + e.count, 0);
    deckInfo.textContent = `${size} cards: ${units} units, ${size - units} spells.`;
  };
  deckSelect.addEventListener("change", showDeck);
  showDeck();
  client.decks({ signal: stop.signal }).then(
    (decks) => {
      if (decks.length === 0) return;
      for (const deck of decks) mine.set(deck.id, deck);
      deckSelect.append(
        h(
          "optgroup",
          { label: "Your decks", "data-test": "my-decks" },
          decks.map((deck) =>
            h(
              "option",
              { value: deck.id, selected: deck.id === saved, disabled: !deck.legal, title: deck.problem },
              deck.legal ? `${deck.name} (${humanize(deck.faction)})` : `${deck.name}: cannot be played now`,
            ),
          ),
        ),
      );
      showDeck();
    },
    () => undefined,
  );

  const error = h("div", { class: "banner error", role: "alert", "data-test": "lobby-error", hidden: true });
  const profile = h("p", { class: "profile muted", "data-test": "profile" }, "\u00a0");
  const statusBox = h("div", { class: "status", "aria-live": "polite", "data-test": "lobby-status" });

  const quick = button("Quick match", "quick-match", () => lobbyCall(() => client.enqueue(deckSelect.value)), "primary");
  // A designer's playtest: the bot's deck and the seed (the same seed deals the same match).
  const botDeckSelect = h(
    "select",
    { id: "bot-deck", "data-test": "bot-deck-select" },
    h("option", { value: "" }, "Random"),
    decks.map((deck) => h("option", { value: deck.id }, `${deck.name} (${humanize(deck.faction)})`)),
  );
  const seedInput = h("input", {
    id: "seed",
    type: "number",
    min: "0",
    max: String(Number.MAX_SAFE_INTEGER),
    step: "1",
    inputmode: "numeric",
    placeholder: "Random",
    "data-test": "seed-input",
  });
  seedInput.addEventListener("input", () => showError(undefined));
  const levelSelect = h(
    "select",
    { id: "bot-level", "data-test": "bot-level-select" },
    h("option", { value: "easy" }, "Easy: looks one move ahead"),
    h("option", { value: "normal" }, "Normal: thinks a few moves ahead"),
    h("option", { value: "hard" }, "Hard: thinks longer"),
  );
  const practice = button("Practice vs bot", "practice", () => {
    const seed = seedInput.value.trim();
    if (seed !== "" && !Number.isSafeInteger(Number(seed))) {
      showError("The seed is a whole number from 0 to 9007199254740991.");
      seedInput.focus();
      return;
    }
    const playtest = { botDeck: botDeckSelect.value || undefined, seed: seed === "" ? undefined : Number(seed) };
    const level = levelSelect.value as BotLevel;
    return lobbyCall(() => client.practice(deckSelect.value, { playtest, level }));
  });
  const playtestOptions = h(
    "details",
    { class: "playtest", "data-test": "playtest" },
    h("summary", {}, "Playtest options"),
    h("label", { for: "bot-deck" }, "Bot's deck"),
    botDeckSelect,
    h("label", { for: "seed" }, "Seed"),
    seedInput,
    h("p", { class: "muted" }, "The same seed and decks deal the same match."),
  );
  const openRoom = button("Create private room", "room-create", () => lobbyCall(() => client.openRoom(deckSelect.value)));
  const codeInput = h("input", {
    id: "room-code-input",
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    placeholder: "ABC123",
    "data-test": "room-code-input",
  });
  const join = button("Join", "room-join", () => {
    const code = codeInput.value.trim();
    if (!code) {
      showError("Type the code your friend shared.");
      codeInput.focus();
      return;
    }
    void lobbyCall(() => client.joinRoom(code, deckSelect.value));
  });
  codeInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter") join.click();
  });

  // The player's last matches, each with its replay.
  const recentList = h("ul", { class: "recent-list", "data-test": "recent-matches" });
  const recent = h("div", { class: "panel recent", hidden: true }, h("h2", {}, "Your recent matches"), recentList);

  const el = h(
    "section",
    { class: "screen screen-home", "data-test": "screen-home" },
    h("h1", {}, `Welcome, ${app.session.username}`),
    profile,
    error,
    statusBox,
    h(
      "div",
      { class: "panel" },
      h("label", { for: "deck" }, "Deck"),
      deckSelect,
      deckInfo,
      h("a", { href: "#/decks", "data-test": "build-decks" }, "Build your own decks"),
    ),
    h(
      "div",
      { class: "grid-actions" },
      h("div", { class: "panel" }, h("h2", {}, "Quick match"), h("p", { class: "muted" }, "Meet a player of your rating. Rated."), quick),
      h("div", { class: "panel" }, h("h2", {}, "Practice"), h("p", { class: "muted" }, "Play the bot, right now. Unrated."), h("label", { for: "bot-level" }, "Bot"), levelSelect, practice, playtestOptions),
      h(
        "div",
        { class: "panel" },
        h("h2", {}, "Private room"),
        h("p", { class: "muted" }, "Play a friend: open a room and share its code, or join theirs."),
        openRoom,
        h("div", { class: "row join" }, h("label", { for: "room-code-input", class: "sr-only" }, "Room code"), codeInput, join),
      ),
    ),
    recent,
  );

  function button(label: string, test: string, onClick: () => unknown, cls = ""): HTMLButtonElement {
    return h("button", { type: "button", class: cls, "data-test": test, onclick: () => void onClick() }, label);
  }

  function showError(message: string | undefined): void {
    error.textContent = message ?? "";
    error.hidden = !message;
  }

  async function lobbyCall(call: () => Promise<LobbyStatus>): Promise<void> {
    if (busy) return;
    busy = true;
    showError(undefined);
    render();
    try {
      adopt(await call());
    } catch (failure) {
      showError(errorText(failure));
    } finally {
      busy = false;
      render();
    }
  }

  /** A new status from the lobby: show it, and follow it (match → play; waiting → long-poll). */
  function adopt(next: LobbyStatus): void {
    status = next;
    render();
    if (next.state === "in_match" && next.match && !isFinished(next.match.room_id)) {
      navigate("play");
      return;
    }
    void follow();
  }

  let following = false;
  /** Long-polls while queued or in a room, until matched or the state changes. */
  async function follow(): Promise<void> {
    if (following) return;
    following = true;
    try {
      while (!stop.signal.aborted && status && status.state !== "idle") {
        // A match this tab saw end is settled within a second or so: ask again shortly.
        const settling = status.state === "in_match";
        if (settling) await sleep(1000, stop.signal);
        const next = await client.status({ wait: settling ? 0 : 25, signal: stop.signal });
        if (stop.signal.aborted) return;
        status = next;
        render();
        if (next.state === "in_match" && next.match && !isFinished(next.match.room_id)) {
          navigate("play");
          return;
        }
      }
    } catch (failure) {
      if (stop.signal.aborted) return;
      showError(errorText(failure));
      await sleep(2000, stop.signal);
      following = false;
      if (!stop.signal.aborted) void follow();
      return;
    }
    following = false;
  }

  function render(): void {
    const state = status?.state ?? "idle";
    const idle = state === "idle";
    quick.disabled = busy || !idle;
    practice.disabled = busy || !(idle || state === "queued");
    openRoom.disabled = busy || !idle;
    join.disabled = busy || !idle;
    codeInput.disabled = !idle;
    deckSelect.disabled = !idle;
    if (state === "queued" && status?.queue) {
      const q = status.queue;
      replace(
        statusBox,
        h(
          "div",
          { class: "panel waiting", "data-test": "queue-status" },
          h("span", { class: "spinner", "aria-hidden": "true" }),
          h("p", {}, `Looking for an opponent… ${q.waited_secs} s (rating ${Math.round(q.rating)} ± ${Math.round(q.rating_window)})`),
          q.practice_offered ? h("p", { class: "muted" }, "Nobody around? Practice against the bot meanwhile.") : null,
          button("Cancel", "queue-cancel", () => lobbyCall(() => client.cancelQueue())),
        ),
      );
    } else if (state === "in_room" && status?.room) {
      const room = status.room;
      replace(
        statusBox,
        h(
          "div",
          { class: "panel waiting", "data-test": "room-status" },
          h("p", {}, "Your room is open. Share this code:"),
          h("p", { class: "room-code", "data-test": "room-code" }, room.code),
          h("p", { class: "muted" }, h("span", { class: "spinner", "aria-hidden": "true" }), " Waiting for your friend to join…"),
          h(
            "div",
            { class: "row" },
            button("Copy code", "room-copy", () => navigator.clipboard?.writeText(room.code).catch(() => undefined)),
            button("Close room", "room-leave", () => lobbyCall(() => client.leaveRoom())),
          ),
        ),
      );
    } else if (state === "in_match") {
      replace(statusBox, h("p", { class: "muted", "data-test": "settling" }, "Your last match is being recorded…"));
    } else {
      replace(statusBox);
    }
  }

  render();
  client
    .status({ signal: stop.signal })
    .then(adopt, (failure) => {
      if (!stop.signal.aborted) showError(errorText(failure));
    });
  client.profile({ signal: stop.signal }).then(
    (p) => {
      profile.textContent = `Rating ${Math.round(p.rating)}${p.provisional ? " (provisional)" : ""} · ${p.wins} won, ${p.losses} lost, ${p.draws} drawn`;
    },
    () => undefined,
  );

  client.matchHistory({ limit: 5, signal: stop.signal }).then(
    (page) => {
      recent.hidden = page.matches.length === 0;
      replace(recentList, page.matches.map((m) => recentMatch(m, client.userId)));
    },
    () => undefined,
  );

  return { el, dispose: () => stop.abort() };
}

const RESULT_TEXT: Record<string, string> = { win: "Won", loss: "Lost", draw: "Draw", no_contest: "No contest" };

/** One finished match: who against whom, how it went for the player, and its replay. */
function recentMatch(record: MatchRecord, me: string | undefined): HTMLElement {
  const mine = record.players.find((p) => p.player_id === me);
  const others = record.players.filter((p) => p !== mine).map((p) => p.name);
  const when = new Date(record.finished_at * 1000).toLocaleString();
  return h(
    "li",
    { "data-test": "recent-match", "data-match": record.match_id },
    h("span", { class: "result" }, RESULT_TEXT[mine?.result ?? ""] ?? "Played"),
    ` vs ${others.join(", ") || "nobody"} · ${humanize(record.kind)} · ${when} `,
    h("a", { href: replayHash(record.match_id), "data-test": "replay-link" }, "Replay"),
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
