// The playground's entry point: read the configuration and the card catalogue, restore the
// session, then route between the screens.
import type { App } from "./app.ts";
import { loadCatalogue } from "./catalogue.ts";
import { loadConfig } from "./config.ts";
import { errorText, h, replace } from "./dom.ts";
import { leaveMatch } from "./match/controller.ts";
import { currentRoute, navigate, replayedMatchId, Router, watchedMatchId, type Route, type View } from "./router.ts";
import { Session } from "./session.ts";
import { consoleView } from "./console/shell.ts";
import { decksView } from "./views/decks.ts";
import { galleryView } from "./views/gallery.ts";
import { homeView } from "./views/home.ts";
import { matchView, replayView, spectateView } from "./views/match.ts";
import { signInView } from "./views/signin.ts";
import { watchListView } from "./views/watch.ts";

async function main(): Promise<void> {
  const root = document.getElementById("app")!;
  let app: App;
  try {
    const config = await loadConfig();
    const catalogue = await loadCatalogue(config.lobbyUrl);
    app = { config, catalogue, session: new Session(config) };
  } catch (error) {
    replace(
      root,
      h(
        "section",
        { class: "screen panel", "data-test": "fatal" },
        h("h1", {}, "Moonlight is unreachable"),
        h("p", {}, errorText(error)),
        h("button", { type: "button", class: "primary", onclick: () => location.reload() }, "Try again"),
      ),
    );
    return;
  }

  const nav = h("nav", { class: "nav", "aria-label": "Main" });
  const outlet = h("main", { id: "main", tabindex: "-1" });
  replace(
    root,
    h("a", { class: "skip", href: "#main", onclick: (e: Event) => { e.preventDefault(); outlet.focus(); } }, "Skip to content"),
    h("header", { class: "top" }, h("a", { class: "brand", href: "#/", "data-test": "nav-brand" }, "☾ Moonlight"), nav),
    outlet,
  );

  const renderNav = () => {
    const route = currentRoute();
    const link = (to: Route, label: string) =>
      h("a", { href: to === "home" ? "#/" : `#/${to}`, "data-test": `nav-${to}`, "aria-current": route === to ? "page" : undefined }, label);
    replace(
      nav,
      app.session.signedIn ? link("home", "Play") : link("signin", "Sign in"),
      app.session.signedIn ? link("decks", "Decks") : null,
      link("watch", "Watch"),
      link("gallery", "Gallery"),
      app.session.isAdmin ? link("admin", "Console") : null,
      app.session.signedIn
        ? [
            h("span", { class: "who", "data-test": "username" }, app.session.username),
            h(
              "button",
              {
                type: "button",
                class: "small",
                "data-test": "signout",
                onclick: async () => {
                  leaveMatch();
                  await app.session.signOut().catch(() => undefined);
                  navigate("signin");
                },
              },
              "Sign out",
            ),
          ]
        : null,
    );
  };

  const build = (route: Route): View => {
    renderNav();
    const signedIn = app.session.signedIn;
    if (route === "gallery") return galleryView(app);
    if (!signedIn) return signInView(app);
    if (route === "signin") {
      queueMicrotask(() => navigate("home"));
      return { el: h("div") };
    }
    if (route === "play") return matchView(app);
    if (route === "decks") return decksView(app);
    if (route === "admin") return consoleView(app);
    if (route === "watch") {
      const matchId = watchedMatchId();
      return matchId ? spectateView(app, matchId) : watchListView(app);
    }
    if (route === "replay") {
      const matchId = replayedMatchId();
      if (matchId) return replayView(app, matchId);
    }
    return homeView(app);
  };
  const router = new Router(outlet, build);
  let wasSignedIn = app.session.signedIn;
  app.session.onChange(() => {
    renderNav();
    // Signed out (a refused refresh included): back to the sign-in screen.
    if (wasSignedIn && !app.session.signedIn) {
      leaveMatch();
      if (currentRoute() !== "gallery") navigate("signin");
    }
    wasSignedIn = app.session.signedIn;
  });
  router.render();
}

void main();
