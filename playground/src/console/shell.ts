// The operator's console (`#/admin/...`), for an account with the admin role: its tabs and
// the page of each. Signed out, the router shows the sign-in page instead; a player without
// the role sees what the server answers them (403 forbidden), and nothing else.
import type { App } from "../app.ts";
import { h } from "../dom.ts";
import { adminHash, adminPlace, type View } from "../router.ts";
import { adminWatchView, replayView } from "../views/match.ts";
import { auditPage } from "./audit.ts";
import { contentPage } from "./content.ts";
import { fullViewPage } from "./full-view.ts";
import { matchesPage } from "./matches.ts";
import { nowPage } from "./now.ts";
import { playerPage, playersPage } from "./players.ts";
import { ratingsPage } from "./ratings.ts";

const TABS: [string, string][] = [
  ["now", "Now"],
  ["players", "Players"],
  ["matches", "Matches"],
  ["content", "Content"],
  ["ratings", "Ratings"],
  ["audit", "Audit log"],
];

export function consoleView(app: App): View {
  const { section, id } = adminPlace();
  const page = pageFor(app, section, id);
  const tab = ["watch", "full", "replay"].includes(section) ? "matches" : section;
  const tabs = h(
    "nav",
    { class: "console-tabs", "aria-label": "Console" },
    TABS.map(([name, label]) =>
      h("a", { href: adminHash(name), "data-test": `console-${name}`, "aria-current": tab === name ? "page" : undefined }, label),
    ),
  );
  return {
    el: h("section", { class: "screen screen-console", "data-test": "screen-console", "data-section": section }, tabs, page.el),
    dispose: () => page.dispose?.(),
  };
}

function pageFor(app: App, section: string, id: string | undefined): View {
  switch (section) {
    case "players":
      return id ? playerPage(app, id) : playersPage(app);
    case "matches":
      return matchesPage(app);
    case "watch":
      if (id) return adminWatchView(app, id, { fullView: false });
      break;
    case "full":
      if (id) return fullViewPage(app, id);
      break;
    case "replay":
      if (id) return replayView(app, id, { fullView: false });
      break;
    case "content":
      return contentPage(app);
    case "ratings":
      return ratingsPage(app);
    case "audit":
      return auditPage(app);
  }
  return nowPage(app);
}
