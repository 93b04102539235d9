// What the console's pages share: a page that loads (and optionally refreshes) itself, the
// server's refusals said for people, tables, and an action that asks why before it acts
// (every admin action carries a reason into the audit log).
import { errorText, h, replace, type Child } from "../dom.ts";
import type { View } from "../router.ts";
import { MoonlightError } from "../sdk.ts";

/** A refusal or failure of an admin call, for people. */
export function failureText(error: unknown): string {
  if (error instanceof MoonlightError && error.code === "forbidden") {
    return "This needs the admin role: the server answered 403 forbidden. An operator grants it with `moonlight admin grant NAME`; then sign in again.";
  }
  if (error instanceof MoonlightError && error.code === "rate_limited") {
    return `Too many requests: try again in ${error.retryAfter ?? 60} s.`;
  }
  return errorText(error);
}

/** Loads the page again; `said` (what an action did) stays shown above it until the next. */
export type Reload = (said?: string) => void;

/**
 * A page titled `title` whose body `render` builds from `load`'s answer; loads now and,
 * with `everyMs`, again every so often (a slow answer is not asked again until it came).
 * `reload(said)` loads again at once (after an action) and says what the action did.
 */
export function loadingPage<T>(options: {
  title: string;
  test: string;
  intro?: Child;
  load: (signal: AbortSignal) => Promise<T>;
  render: (data: T, reload: Reload) => Child;
  everyMs?: number;
}): View {
  const stop = new AbortController();
  const error = h("div", { class: "banner error", role: "alert", "data-test": "console-error", hidden: true });
  const body = h("div", { "data-test": `${options.test}-body`, "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…"));
  const updated = h("span", { class: "muted small-print", "data-test": "console-updated", "aria-live": "polite" });
  const notice = h("p", { class: "banner notice", role: "status", "data-test": "console-notice", hidden: true });
  const el = h("section", { class: "console-page", "data-test": options.test }, h("div", { class: "row console-head" }, h("h1", {}, options.title), updated), options.intro, notice, error, body);
  let loading = false;
  const reload = async (said?: string) => {
    if (said !== undefined) {
      notice.textContent = said;
      notice.hidden = false;
    }
    if (loading || stop.signal.aborted) return;
    loading = true;
    try {
      const data = await options.load(stop.signal);
      if (stop.signal.aborted) return;
      error.hidden = true;
      replace(body, options.render(data, (said) => void reload(said)));
      body.setAttribute("aria-busy", "false");
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (failure) {
      if (stop.signal.aborted) return;
      error.textContent = failureText(failure);
      error.hidden = false;
      body.setAttribute("aria-busy", "false");
    } finally {
      loading = false;
    }
  };
  // A refresh would wipe a reason being typed: it waits until the form is closed.
  const typing = () => body.querySelector(".reason-form:not([hidden])") !== null;
  const timer = options.everyMs ? setInterval(() => typing() || void reload(), options.everyMs) : undefined;
  void reload();
  return {
    el,
    dispose: () => {
      stop.abort();
      clearInterval(timer);
    },
  };
}

/** A table: a header row, then one row per item (`test` names each row for the tests). */
export function table<T>(headers: string[], items: T[], row: (item: T) => Child[], options: { test: string; empty: string; key?: (item: T) => string }): HTMLElement {
  if (items.length === 0) return h("p", { class: "muted", "data-test": `${options.test}-empty` }, options.empty);
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: "console-table", "data-test": options.test },
      h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col" }, text)))),
      h("tbody", {}, items.map((item) => h("tr", { "data-test": `${options.test}-row`, "data-key": options.key?.(item) }, row(item).map((cell) => h("td", {}, cell))))),
    ),
  );
}

/**
 * A button that asks why before it acts: it opens a small form (the reason, then Confirm or
 * Cancel); `act(reason)` does it (and says so, usually through its page's `Reload`); a
 * refusal is shown in the form. `extra` adds inputs to the form (e.g. the seat awarded the
 * win), read by `act` when it runs.
 */
export function reasoned(options: {
  label: string;
  test: string;
  danger?: boolean;
  placeholder?: string;
  extra?: Child;
  act: (reason: string) => Promise<void>;
}): HTMLElement {
  const reason = h("input", { "data-test": `${options.test}-reason`, placeholder: options.placeholder ?? "Why? (kept in the audit log)", maxlength: 500, required: true, "aria-label": `Why: ${options.label}` });
  const refused = h("p", { class: "form-error", role: "alert", "data-test": `${options.test}-error`, hidden: true });
  const confirm = h("button", { type: "submit", class: options.danger ? "danger small" : "primary small", "data-test": `${options.test}-confirm` }, `Confirm: ${options.label.toLowerCase()}`);
  const cancel = h("button", { type: "button", class: "small", onclick: () => close() }, "Cancel");
  const form = h(
    "form",
    {
      class: "reason-form row",
      hidden: true,
      onsubmit: async (event: Event) => {
        event.preventDefault();
        if (!form.reportValidity() || !reason.value.trim()) return;
        confirm.disabled = true;
        refused.hidden = true;
        try {
          await options.act(reason.value.trim());
          close();
        } catch (failure) {
          refused.textContent = failureText(failure);
          refused.hidden = false;
        } finally {
          confirm.disabled = false;
        }
      },
    },
    options.extra,
    reason,
    confirm,
    cancel,
  );
  const open = h(
    "button",
    {
      type: "button",
      class: options.danger ? "danger small" : "small",
      "data-test": options.test,
      onclick: () => {
        form.hidden = false;
        open.hidden = true;
        reason.focus();
      },
    },
    options.label,
  );
  const close = () => {
    form.hidden = true;
    open.hidden = false;
    reason.value = "";
  };
  return h("div", { class: "reasoned" }, open, form, refused);
}

/** Unix milliseconds as a local date and time. */
export function at(ms: number): string {
  return new Date(ms).toLocaleString();
}

/** A duration in seconds for people: "42 s", "3 min 5 s". */
export function duration(secs: number): string {
  const whole = Math.round(secs);
  if (whole < 60) return `${whole} s`;
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}
