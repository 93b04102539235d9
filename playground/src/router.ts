// Hash routing: `#/` home, `#/signin`, `#/play` (the match), `#/decks` (the player's decks), `#/gallery`, `#/watch` (the live
// matches), `#/watch/<match id>` (watching one), `#/replay/<match id>` (a finished one) and
// the operator's console under `#/admin` (`#/admin/<section>[/<id>]`). Each route builds a
// view; the previous view is disposed first (it stops its long-polls, timers and sockets).

export interface View {
  el: HTMLElement;
  dispose?(): void;
}

export type Route = "home" | "signin" | "play" | "decks" | "gallery" | "watch" | "replay" | "admin";

const PATHS: Record<string, Route> = {
  "": "home",
  "/": "home",
  "/signin": "signin",
  "/play": "play",
  "/decks": "decks",
  "/gallery": "gallery",
  "/watch": "watch",
};

const WATCH_PREFIX = "/watch/";
const REPLAY_PREFIX = "/replay/";
const ADMIN = "/admin";

function currentPath(): string {
  return location.hash.replace(/^#/, "").replace(/\/+$/, "") || "/";
}

export function currentRoute(): Route {
  const path = currentPath();
  if (path.startsWith(WATCH_PREFIX)) return "watch";
  if (path.startsWith(REPLAY_PREFIX)) return "replay";
  if (path === ADMIN || path.startsWith(`${ADMIN}/`)) return "admin";
  return PATHS[path] ?? "home";
}

/** Where in the console `#/admin/<section>/<id>` is: `now` for `#/admin`. */
export function adminPlace(): { section: string; id: string | undefined } {
  const [section, ...rest] = currentPath().slice(ADMIN.length + 1).split("/");
  let id: string | undefined;
  try {
    id = rest.length > 0 ? decodeURIComponent(rest.join("/")) || undefined : undefined;
  } catch {
    id = undefined;
  }
  return { section: section || "now", id };
}

/** The hash of a console page: `adminHash("players", id)` is `#/admin/players/<id>`. */
export function adminHash(section: string, id?: string): string {
  return `#${ADMIN}/${section}${id === undefined ? "" : `/${encodeURIComponent(id)}`}`;
}

/** The match of `#/watch/<match id>`; `undefined` on any other route (the list included). */
export function watchedMatchId(): string | undefined {
  return matchIdAfter(WATCH_PREFIX);
}

/** The match of `#/replay/<match id>`; `undefined` on any other route. */
export function replayedMatchId(): string | undefined {
  return matchIdAfter(REPLAY_PREFIX);
}

function matchIdAfter(prefix: string): string | undefined {
  const path = currentPath();
  if (!path.startsWith(prefix)) return undefined;
  try {
    return decodeURIComponent(path.slice(prefix.length)) || undefined;
  } catch {
    return undefined;
  }
}

/** The hash of the screen that replays `matchId`. */
export function replayHash(matchId: string): string {
  return `#${REPLAY_PREFIX}${encodeURIComponent(matchId)}`;
}

/** The hash of the screen that watches `matchId`. */
export function watchHash(matchId: string): string {
  return `#${WATCH_PREFIX}${encodeURIComponent(matchId)}`;
}

/** A link to watch `matchId` that works from anywhere (this page's address, that hash). */
export function watchLink(matchId: string): string {
  return `${location.origin}${location.pathname}${watchHash(matchId)}`;
}

/** Goes to a hash (`#/watch/...`); renders again if the page is there already. */
export function navigateHash(hash: string): void {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

export function navigate(route: Route): void {
  navigateHash(route === "home" ? "#/" : `#/${route}`);
}

/** Builds the current screen again (after a sign-in that keeps the address, e.g. a shared link). */
export function rerender(): void {
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}

export class Router {
  private view: View | undefined;

  constructor(
    private readonly outlet: HTMLElement,
    private readonly build: (route: Route) => View,
  ) {
    window.addEventListener("hashchange", () => this.render());
  }

  render(): void {
    this.view?.dispose?.();
    this.view = this.build(currentRoute());
    this.outlet.replaceChildren(this.view.el);
    // Focus the new screen's heading, so keyboard and screen-reader users start there.
    const heading = this.view.el.querySelector<HTMLElement>("h1, h2");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }
}
