// The audit log: every admin action, from this console or the command line, newest first.
import type { App } from "../app.ts";
import { h } from "../dom.ts";
import { adminHash } from "../router.ts";
import type { AuditEntry } from "../sdk.ts";
import { at, loadingPage, table } from "./parts.ts";

export function auditPage(app: App) {
  return loadingPage({
    title: "Audit log",
    test: "console-audit",
    everyMs: 10_000,
    load: (signal) => app.session.client.admin.audit(200, { signal }),
    render: (entries) =>
      table(
        ["When", "Who", "What", "On", "Details"],
        entries,
        (e) => [at(e.at_ms), e.actor_name, h("span", { "data-test": "audit-action" }, e.action), target(e), h("code", {}, JSON.stringify(e.detail))],
        { test: "audit", empty: "Nothing yet.", key: (e) => e.id },
      ),
  });
}

/** Players link to their page; anything else (a match, a content version) is shown as is. */
function target(e: AuditEntry): HTMLElement {
  const onPlayer = ["free_player", "lock", "unlock", "revoke_sessions", "grant_role", "revoke_role"].includes(e.action);
  return onPlayer ? h("a", { href: adminHash("players", e.target), "data-test": "audit-target" }, e.target) : h("code", { "data-test": "audit-target" }, e.target);
}
