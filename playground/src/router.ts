// Hash routing: `#/` home, `#/signin`, `#/play` (the match), `#/gallery`. Each route builds a
// view; the previous view is disposed first (it stops its long-polls and timers).

export interface View {
  el: HTMLElement;
  dispose?(): void;
}

export type Route = "home" | "signin" | "play" | "gallery";

const PATHS: Record<string, Route> = {
  "": "home",
  "/": "home",
  "/signin": "signin",
  "/play": "play",
  "/gallery": "gallery",
};

export function currentRoute(): Route {
  const path = location.hash.replace(/^#/, "").replace(/\/+$/, "") || "/";
  return PATHS[path] ?? "home";
}

export function navigate(route: Route): void {
  const hash = route === "home" ? "#/" : `#/${route}`;
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
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
