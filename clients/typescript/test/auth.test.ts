// Accounts: register, login, refresh (single use, rotation, reuse revokes), sign-out, and
// the typed errors of each.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MoonlightClient, type Tokens } from "@moonlight/client";
import { serverPerFile } from "./server.js";
import { PASSWORD, refused, uniqueName } from "./helpers.js";

const server = serverPerFile();

function client(extra: Partial<ConstructorParameters<typeof MoonlightClient>[0]> = {}) {
  return new MoonlightClient({ authUrl: server().authUrl, lobbyUrl: server().lobbyUrl, ...extra });
}


test("register signs in; the name is then taken; bad input is 422", { timeout: 30_000 }, async () => {
  const name = uniqueName("luna");
  const seen: (Tokens | null)[] = [];
  const alice = client({ onTokens: (t) => seen.push(t) });
  const tokens = await alice.register(name, PASSWORD);
  assert.equal(tokens.username, name);
  assert.equal(tokens.token_type, "Bearer");
  assert.ok(tokens.access_token && tokens.refresh_token && tokens.user_id);
  assert.ok(tokens.expires_in > 0);
  assert.deepEqual(seen, [tokens]);
  assert.equal(alice.userId, tokens.user_id);
  const account = await alice.account();
  assert.equal(account.username, name);
  assert.equal(account.id, tokens.user_id);

  const taken = await refused(client().register(name, PASSWORD), 409, "username_taken");
  assert.equal(taken.service, "auth");
  await refused(client().register("x", PASSWORD), 422, "invalid_input");
  await refused(client().register(uniqueName("short"), "short"), 422, "invalid_input");
});

test("login: right password signs in, wrong or unknown is 401 invalid_credentials", { timeout: 30_000 }, async () => {
  const name = uniqueName("sol");
  await client().register(name, PASSWORD);
  const tokens = await client().login(name, PASSWORD);
  assert.equal(tokens.username, name);
  await refused(client().login(name, "wrong password!"), 401, "invalid_credentials");
  await refused(client().login(uniqueName("nobody"), PASSWORD), 401, "invalid_credentials");
});

test("refresh rotates the pair; a spent refresh token is refused and revokes the login", { timeout: 30_000 }, async () => {
  const alice = client();
  const first = await alice.register(uniqueName("rot"), PASSWORD);
  // Concurrent refreshes share one request (a refresh token is single use).
  const [second, again] = await Promise.all([alice.refresh(), alice.refresh()]);
  assert.equal(second, again);
  assert.notEqual(second.refresh_token, first.refresh_token);
  assert.notEqual(second.access_token, first.access_token);
  assert.equal((await alice.account()).id, first.user_id);

  // Someone replays the old refresh token: refused, and the whole login is revoked.
  const thief = client({ tokens: first });
  await refused(thief.refresh(), 401, "invalid_refresh_token");
  assert.equal(thief.tokens, null, "a refused refresh signs out");
  await refused(alice.refresh(), 401, "invalid_refresh_token");
  assert.equal(alice.tokens, null);
  await refused(alice.account(), 0, "not_signed_in");
});

test("an access token the server refuses is refreshed once and the call repeated", { timeout: 30_000 }, async () => {
  const tokens = await client().register(uniqueName("stale"), PASSWORD);
  const seen: (Tokens | null)[] = [];
  const restored = client({ tokens: { ...tokens, access_token: "not-a-jwt" }, onTokens: (t) => seen.push(t) });
  const profile = await restored.profile();
  assert.equal(profile.player_id, tokens.user_id);
  assert.equal(seen.length, 1, "the new pair is reported");
  assert.notEqual(restored.tokens!.refresh_token, tokens.refresh_token);
});

test("logout ends the login", { timeout: 30_000 }, async () => {
  const alice = client();
  const tokens = await alice.register(uniqueName("bye"), PASSWORD);
  await alice.logout();
  assert.equal(alice.tokens, null);
  await refused(client({ tokens }).refresh(), 401, "invalid_refresh_token");
});

test("an unreachable server is status 0, code unreachable", { timeout: 30_000 }, async () => {
  const nowhere = new MoonlightClient({ authUrl: "http://127.0.0.1:9", lobbyUrl: "http://127.0.0.1:9" });
  await refused(nowhere.login("someone", PASSWORD), 0, "unreachable");
});
