// Sign in or create an account (name + password).
import type { App } from "../app.ts";
import { errorText, h } from "../dom.ts";
import { currentRoute, navigate, rerender, type View } from "../router.ts";

export function signInView(app: App): View {
  const name = h("input", {
    id: "signin-name",
    name: "username",
    autocomplete: "username",
    required: true,
    "data-test": "signin-name",
  });
  const password = h("input", {
    id: "signin-password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
    "data-test": "signin-password",
  });
  const error = h("p", { class: "form-error", role: "alert", "data-test": "form-error", hidden: true });
  const signIn = h("button", { type: "submit", class: "primary", "data-test": "signin-submit" }, "Sign in");
  const signUp = h("button", { type: "button", "data-test": "signup-submit" }, "Create account");

  let busy = false;
  const submit = async (register: boolean) => {
    if (busy) return;
    if (!form.reportValidity()) return;
    busy = true;
    signIn.disabled = signUp.disabled = true;
    error.hidden = true;
    try {
      if (register) await app.session.signUp(name.value.trim(), password.value);
      else await app.session.signIn(name.value.trim(), password.value);
      // A shared link to watch a match (`#/watch/<id>`), or the console, opened signed out:
      // now show it.
      if (currentRoute() === "watch" || currentRoute() === "admin") rerender();
      else navigate("home");
    } catch (failure) {
      error.textContent = errorText(failure);
      error.hidden = false;
    } finally {
      busy = false;
      signIn.disabled = signUp.disabled = false;
    }
  };

  const form = h(
    "form",
    {
      class: "panel signin",
      novalidate: false,
      onsubmit: (event: Event) => {
        event.preventDefault();
        void submit(false);
      },
    },
    h("h1", {}, "Moonlight Online"),
    h("p", { class: "muted" }, "Sign in to play, or create an account: a name and a password are all it takes."),
    h("label", { for: "signin-name" }, "Name"),
    name,
    h("label", { for: "signin-password" }, "Password"),
    password,
    error,
    h("div", { class: "row" }, signIn, signUp),
  );
  signUp.addEventListener("click", () => {
    password.autocomplete = "new-password";
    void submit(true);
  });
  return { el: h("section", { class: "screen screen-signin", "data-test": "screen-signin" }, form) };
}
