// Watch: the matches being played that anyone may watch (quick and practice matches, public
// rooms'), newest first, refreshed every 5 seconds and on demand; each opens the spectator's
// screen (`#/watch/<match id>`).
import type { App } from "../app.ts";
import { errorText, h, replace } from "../dom.ts";
import { watchHash, type View } from "../router.ts";
import type { LiveMatch } from "../sdk.ts";

const REFRESH_MS = 5000;
const LIMIT = 50;

const KINDS: Record<string, string> = {
  quick: "Quick match",
  practice: "Practice vs bot",
  private: "Public room",
};

export function watchListView(app: App): View {
  const client = app.session.client;
  const stop = new AbortController();
  const error = h("div", { class: "banner error", role: "alert", "data-test": "watch-error", hidden: true });
  const updated = h("span", { class: "muted", "data-test": "live-updated", "aria-live": "polite" });
  const list = h("ul", { class: "live-list", "data-test": "live-list", "aria-busy": "true" });
  const refresh = h("button", { type: "button", "data-test": "watch-refresh", onclick: () => void load() }, "Refresh");

  const el = h(
    "section",
    { class: "screen screen-watch", "data-test": "screen-watch" },
    h("h1", {}, "Watch a match"),
    h("p", { class: "muted" }, "Matches being played now: quick matches, practice games and public rooms. Spectators see the boards and every play, never the cards in a player's hand."),
    error,
    h("div", { class: "row live-head" }, refresh, updated),
    list,
  );

  let loading = false;
  async function load(): Promise<void> {
    if (loading || stop.signal.aborted) return;
    loading = true;
    refresh.disabled = true;
    list.setAttribute("aria-busy", "true");
    try {
      const matches = await client.liveMatches(LIMIT, { signal: stop.signal });
      if (stop.signal.aborted) return;
      error.hidden = true;
      render(matches);
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (failure) {
      if (stop.signal.aborted) return;
      error.textContent = `The live matches could not be loaded: ${errorText(failure)}`;
      error.hidden = false;
    } finally {
      loading = false;
      refresh.disabled = false;
      list.setAttribute("aria-busy", "false");
    }
  }

  function render(matches: LiveMatch[]): void {
    list.dataset.count = String(matches.length);
    if (matches.length === 0) {
      replace(list, h("li", { class: "panel muted", "data-test": "live-empty" }, "No match is being played right now. Start one from Play, or come back in a moment."));
      return;
    }
    const now = Date.now() / 1000;
    replace(
      list,
      matches.map((match) =>
        h(
          "li",
          { class: "panel live-match", "data-test": "live-match", "data-match": match.match_id },
          h(
            "div",
            { class: "live-info" },
            h("p", { class: "live-players", "data-test": "live-players" }, match.players.join(" vs ")),
            h("p", { class: "muted" }, `${KINDS[match.kind] ?? match.kind} · started ${ago(now - match.started_at)}`),
          ),
          h(
            "a",
            { class: "button primary", href: watchHash(match.match_id), "data-test": "watch-match", "aria-label": `Watch ${match.players.join(" vs ")}` },
            "Watch",
          ),
        ),
      ),
    );
  }

  const timer = setInterval(() => void load(), REFRESH_MS);
  void load();

  return {
    el,
    dispose: () => {
      stop.abort();
      clearInterval(timer);
    },
  };
}

function ago(secs: number): string {
  if (secs < 60) return "just now";
  const minutes = Math.floor(secs / 60);
  return minutes === 1 ? "a minute ago" : `${minutes} minutes ago`;
}

