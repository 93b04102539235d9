// Players: find one by the start of their name or by id; their page says where they are now
// and offers what frees them (out of the queue or a room, their match ended), locks or
// unlocks the account, or ends its logins; with their rating and latest matches.
import type { App } from "../app.ts";
import { h, replace } from "../dom.ts";
import { adminHash, type View } from "../router.ts";
import type { PlayerDetail, PlayerSummary } from "../sdk.ts";
import { failureText, loadingPage, reasoned, table, type Reload } from "./parts.ts";

const STATES: Record<string, string> = {
  idle: "Idle",
  queued: "In the queue",
  in_room: "In a private room",
  in_match: "In a match",
};

export function playersPage(app: App): View {
  const admin = app.session.client.admin;
  const stop = new AbortController();
  const query = h("input", { type: "search", "data-test": "player-search", placeholder: "A name, or its start; or an account id", "aria-label": "Find a player", maxlength: 64, required: true });
  const results = h("div", { "data-test": "player-results" });
  const search = async () => {
    const q = query.value.trim();
    if (!q) return;
    try {
      const players = await admin.findPlayers(q, { signal: stop.signal });
      replace(results, playersTable(players));
    } catch (failure) {
      if (!stop.signal.aborted) replace(results, h("p", { class: "form-error", role: "alert", "data-test": "console-error" }, failureText(failure)));
    }
  };
  const el = h(
    "section",
    { class: "console-page", "data-test": "console-players" },
    h("h1", {}, "Players"),
    h(
      "form",
      { class: "row", role: "search", onsubmit: (e: Event) => { e.preventDefault(); void search(); } },
      query,
      h("button", { type: "submit", class: "primary", "data-test": "player-search-submit" }, "Find"),
    ),
    results,
  );
  return { el, dispose: () => stop.abort() };
}

function playersTable(players: PlayerSummary[]): HTMLElement {
  return table(
    ["Name", "Rating", "Now", "Since"],
    players,
    (p) => [
      h("a", { href: adminHash("players", p.id), "data-test": "player-link" }, p.name),
      p.rating === null ? h("span", { class: "muted" }, "unrated") : Math.round(p.rating).toString(),
      h("span", { "data-test": "player-state", "data-state": p.state }, STATES[p.state] ?? p.state),
      new Date(p.created_at * 1000).toLocaleDateString(),
    ],
    { test: "player", empty: "Nobody by that name or id.", key: (p) => p.id },
  );
}

export function playerPage(app: App, playerId: string): View {
  const admin = app.session.client.admin;
  return loadingPage({
    title: "Player",
    test: "console-player",
    load: (signal) => admin.player(playerId, { signal }),
    render: (player, reload) => playerDetail(app, player, reload),
  });
}

function playerDetail(app: App, p: PlayerDetail, done: Reload): HTMLElement[] {
  const admin = app.session.client.admin;
  const record = `${p.profile.wins} won, ${p.profile.losses} lost, ${p.profile.draws} drawn`;
  const where: HTMLElement[] = [h("p", {}, "Now: ", h("strong", { "data-test": "player-state", "data-state": p.state }, STATES[p.state] ?? p.state))];
  if (p.state === "in_match" && p.match_id) {
    const matchId = p.match_id;
    where.push(
      h("p", {}, "Match ", h("code", { "data-test": "player-match" }, matchId), p.node_id ? [" on node ", h("code", {}, p.node_id)] : null),
      h(
        "div",
        { class: "row" },
        h("a", { class: "button small", href: adminHash("watch", matchId), "data-test": "player-watch" }, "Watch"),
        h("a", { class: "button small", href: adminHash("full", matchId), "data-test": "player-full-view" }, "Full view…"),
      ),
      reasoned({
        label: "End the match (no contest)",
        test: "end-match",
        danger: true,
        act: async (reason) => {
          const ended = await admin.endMatch(matchId, reason);
          return done(`Ended on ${ended.node_id} (input ${ended.seq}): nobody wins, nothing is rated.`);
        },
      }),
    );
  }
  if (p.state === "queued" || p.state === "in_room") {
    where.push(
      reasoned({
        label: p.state === "queued" ? "Take out of the queue" : "Take out of the room",
        test: "free-player",
        act: async (reason) => done(`Freed (was ${(await admin.free(p.id, reason)).was.replace("_", " ")}).`),
      }),
    );
  }
  const locked = p.locked_at !== null;
  return [
    h(
      "div",
      { class: "panel" },
      h("h2", { "data-test": "player-name" }, p.name, p.roles.includes("admin") ? h("span", { class: "badge warn" }, "admin") : null, locked ? h("span", { class: "badge live", "data-test": "player-locked" }, "locked") : null),
      h("p", { class: "muted" }, `Account ${p.id} · since ${new Date(p.created_at * 1000).toLocaleString()}`),
      h("p", {}, `Rating ${Math.round(p.profile.rating)}${p.profile.provisional ? " (provisional)" : ""} · ${record}`),
      where,
    ),
    h(
      "div",
      { class: "panel" },
      h("h2", {}, "Account"),
      locked ? h("p", {}, `Locked since ${new Date(p.locked_at! * 1000).toLocaleString()}: no login, no refresh.`) : null,
      h(
        "div",
        { class: "row" },
        locked
          ? reasoned({ label: "Unlock", test: "unlock", act: async (reason) => done((await admin.unlock(p.id, reason)).changed ? "Unlocked." : "It was not locked.") })
          : reasoned({
              label: "Lock",
              test: "lock",
              danger: true,
              act: async (reason) => {
                const locked = await admin.lock(p.id, reason);
                done(`Locked; ${locked.sessions_revoked} logins ended, ${locked.sockets_closed} game sockets closed.`);
              },
            }),
        reasoned({ label: "End every login", test: "revoke-sessions", act: async (reason) => done(`${(await admin.revokeSessions(p.id, reason)).sessions_revoked} logins ended.`) }),
      ),
    ),
    h(
      "div",
      {},
      h("h2", {}, "Latest matches"),
      table(
        ["Finished", "Kind", "Players", "How", "Replay"],
        p.recent,
        (m) => [
          new Date(m.finished_at * 1000).toLocaleString(),
          m.kind,
          m.players.map((x) => `${x.name} (${x.result})`).join(" vs "),
          `${m.reason.replace(/_/g, " ")}, ${m.turns} turns`,
          h("a", { href: adminHash("replay", m.match_id), "data-test": "player-replay" }, "Replay"),
        ],
        { test: "player-match", empty: "No finished match yet.", key: (m) => m.match_id },
      ),
    ),
  ];
}
