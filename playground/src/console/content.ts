// Content: the version new matches use, the versions live matches still play, the checker's
// verdict on the files on disk now, and a reload (what SIGHUP does) that shows the checker's
// messages when it refuses.
import type { App } from "../app.ts";
import { h } from "../dom.ts";
import type { ContentCheck, ContentNow } from "../sdk.ts";
import { loadingPage, reasoned, table, type Reload } from "./parts.ts";

export function contentPage(app: App) {
  const admin = app.session.client.admin;
  const refusal = h("div", { "data-test": "reload-check" });
  let reload: Reload = () => undefined;
  const reloader = h(
    "div",
    { class: "panel" },
    h("h2", {}, "Reload"),
    h("p", { class: "muted" }, "What SIGHUP does: new matches use the files as they are now; running matches keep theirs. Broken files are refused, and the version in use stays."),
    reasoned({
      label: "Reload for new matches",
      test: "content-reload",
      act: async (reason) => {
        const reloaded = await admin.reloadContent(reason);
        refusal.replaceChildren(...(reloaded.outcome === "refused" ? [checkReport(reloaded.check, "reload")] : []));
        reload(
          reloaded.outcome === "refused"
            ? `Refused: ${reloaded.version} stays in use.`
            : reloaded.outcome === "reloaded"
              ? `Reloaded: new matches use ${reloaded.version}.`
              : "Unchanged: the files are those in use.",
        );
      },
    }),
    refusal,
  );
  return loadingPage({
    title: "Content",
    test: "console-content",
    intro: reloader,
    load: (signal) => admin.content({ signal }),
    render: (content: ContentNow, again) => {
      reload = again;
      return [
        h(
          "div",
          { class: "panel" },
          h("p", {}, "New matches use ", h("code", { "data-test": "content-loaded" }, content.loaded), " from ", h("code", {}, content.dir), "."),
          h("h2", {}, "Live matches by content version"),
          table(
            ["Version", "Rooms"],
            Object.entries(content.live),
            ([version, rooms]) => [h("code", {}, version), rooms.toLocaleString()],
            { test: "content-live", empty: "No room is running.", key: ([version]) => version },
          ),
        ),
        h("div", { class: "panel" }, h("h2", {}, "The files on disk now"), checkReport(content.on_disk, "on-disk")),
      ];
    },
  });
}

function checkReport(check: ContentCheck, test: string): HTMLElement {
  const line = (d: ContentCheck["errors"][number]) =>
    h("li", {}, h("code", {}, `${d.file}:${d.line}:${d.col}`), ` ${d.message}`, d.hint ? h("span", { class: "hint" }, ` (${d.hint})`) : null);
  return h(
    "div",
    { class: check.ok ? "" : "reload-refused banner error", "data-test": test, "data-ok": String(check.ok) },
    h("p", {}, check.ok ? "The checker finds no error: a reload would be taken." : `The checker finds ${check.errors.length} error(s): a reload would be refused.`),
    check.errors.length > 0 ? h("ul", { class: "diagnostics", "data-test": `${test}-errors` }, check.errors.map(line)) : null,
    check.warnings.length > 0 ? [h("p", { class: "muted" }, "Warnings:"), h("ul", { class: "diagnostics" }, check.warnings.map(line))] : null,
  );
}
