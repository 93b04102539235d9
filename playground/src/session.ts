// The signed-in player: the SDK's MoonlightClient, its tokens saved in localStorage at every
// change (refresh tokens are single use, so every new pair is saved), so a reload keeps the
// session. A refused refresh signs out (the SDK reports `null`).

import { MoonlightClient, type Tokens } from "./sdk.ts";
import type { PlaygroundConfig } from "./config.ts";

const KEY = "moonlight.playground.tokens";

export class Session {
  readonly client: MoonlightClient;
  private readonly listeners = new Set<() => void>();

  constructor(config: PlaygroundConfig) {
    this.client = new MoonlightClient({
      authUrl: config.authUrl,
      lobbyUrl: config.lobbyUrl,
      tokens: load(),
      onTokens: (tokens) => {
        save(tokens);
        for (const listener of [...this.listeners]) listener();
      },
    });
  }

  get signedIn(): boolean {
    return this.client.tokens !== null;
  }

  get username(): string {
    return this.client.tokens?.username ?? "";
  }

  /**
   * Whether the access token names the admin role: only to show the console's link (every
   * admin call is checked by the server, which also asks the database).
   */
  get isAdmin(): boolean {
    const token = this.client.tokens?.access_token;
    const payload = token?.split(".")[1];
    if (!payload) return false;
    try {
      const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as { roles?: unknown };
      return Array.isArray(claims.roles) && claims.roles.includes("admin");
    } catch {
      return false;
    }
  }

  /** Called after every sign-in and sign-out (and token refresh). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async signIn(name: string, password: string): Promise<void> {
    await this.client.login(name, password);
  }

  async signUp(name: string, password: string): Promise<void> {
    await this.client.register(name, password);
  }

  /** Ends the login on the server too; signed out locally even if that call fails. */
  async signOut(): Promise<void> {
    try {
      await this.client.logout();
    } finally {
      save(null);
    }
  }
}

function load(): Tokens | undefined {
  try {
    const text = localStorage.getItem(KEY);
    if (!text) return undefined;
    const tokens = JSON.parse(text) as Tokens;
    return typeof tokens.refresh_token === "string" && typeof tokens.access_token === "string" ? tokens : undefined;
  } catch {
    return undefined;
  }
}

function save(tokens: Tokens | null): void {
  try {
    if (tokens) localStorage.setItem(KEY, JSON.stringify(tokens));
    else localStorage.removeItem(KEY);
  } catch {
    // storage disabled: the session lasts until the tab closes
  }
}
