// The full view of a live match (every hand): it asks why first, since the audit log keeps
// the reason with the admin's name; then it is the spectator's screen with the hands shown.
import type { App } from "../app.ts";
import { h, replace } from "../dom.ts";
import { adminHash, type View } from "../router.ts";
import { adminWatchView } from "../views/match.ts";

export function fullViewPage(app: App, matchId: string): View {
  let watching: View | undefined;
  const reason = h("input", { "data-test": "full-view-reason", required: true, maxlength: 500, placeholder: "e.g. a report of cheating, ticket #123", "aria-label": "Why every hand" });
  const el = h(
    "section",
    { class: "console-page", "data-test": "console-full-view" },
    h(
      "form",
      {
        class: "panel",
        onsubmit: (event: Event) => {
          event.preventDefault();
          if (!reason.value.trim()) return;
          watching = adminWatchView(app, matchId, { fullView: true, reason: reason.value.trim() });
          replace(el, watching.el);
        },
      },
      h("h1", {}, "Every hand of a live match"),
      h("p", {}, "The full view shows both players' hands as they are. The audit log records that you opened it, and why."),
      h("label", {}, "Why", reason),
      h(
        "div",
        { class: "row" },
        h("button", { type: "submit", class: "primary", "data-test": "full-view-open" }, "Open the full view"),
        h("a", { class: "button", href: adminHash("watch", matchId) }, "The public view instead"),
      ),
    ),
  );
  return { el, dispose: () => watching?.dispose?.() };
}
