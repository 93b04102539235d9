// Matches: every match being played, private ones too, with its node; each can be watched
// (the public view, or every hand, audited with a reason) or ended: no contest, or a win
// awarded to a seat. Refreshed every 5 seconds.
import type { App } from "../app.ts";
import { h } from "../dom.ts";
import { adminHash } from "../router.ts";
import type { AdminMatch } from "../sdk.ts";
import { duration, loadingPage, reasoned, table, type Reload } from "./parts.ts";

const LIMIT = 200;

export function matchesPage(app: App) {
  const admin = app.session.client.admin;
  return loadingPage({
    title: "Live matches",
    test: "console-matches",
    everyMs: 5000,
    intro: h("p", { class: "muted" }, `The newest ${LIMIT}, private rooms' included. Finished matches open in the replay viewer from a player's page.`),
    load: (signal) => admin.matches(LIMIT, { signal }),
    render: (matches, reload) =>
      table(
        ["Players", "Kind", "Node", "Started", "Turn", "Last input", ""],
        matches,
        (m) => [
          h("span", { "data-test": "match-players" }, m.players.join(" vs ")),
          m.kind,
          h("code", {}, m.node_id),
          new Date(m.started_at * 1000).toLocaleTimeString(),
          h("span", { "data-test": "match-turn" }, m.turn === null ? "–" : m.turn === 0 ? "opening" : String(m.turn)),
          m.last_input_ms === null ? h("span", { class: "muted" }, "–") : `${duration((Date.now() - m.last_input_ms) / 1000)} ago`,
          h(
            "div",
            { class: "row" },
            h("a", { class: "button small", href: adminHash("watch", m.match_id), "data-test": "match-watch" }, "Watch"),
            h("a", { class: "button small", href: adminHash("full", m.match_id), "data-test": "match-full-view" }, "Full view…"),
            endMatch(app, m, reload),
          ),
        ],
        { test: "admin-match", empty: "No match is being played.", key: (m) => m.match_id },
      ),
  });
}

/** End `m`: no contest, or a win for the seat picked. */
function endMatch(app: App, m: AdminMatch, reload: Reload): HTMLElement {
  const winner = h(
    "select",
    { "data-test": "end-winner", "aria-label": "Outcome" },
    h("option", { value: "" }, "No contest"),
    m.players.map((name, seat) => h("option", { value: String(seat) }, `${name} wins`)),
  );
  return reasoned({
    label: "End",
    test: "match-end",
    danger: true,
    extra: winner,
    act: async (reason) => {
      const winnerSeat = winner.value === "" ? undefined : Number(winner.value);
      await app.session.client.admin.endMatch(m.match_id, reason, { winnerSeat });
      reload(winnerSeat === undefined ? `Ended ${m.players.join(" vs ")}: no contest.` : `Ended ${m.players.join(" vs ")}: ${m.players[winnerSeat]} wins.`);
    },
  });
}
