// Where the services are: `GET /playground/config.json` on the page's own origin (the server
// that serves the playground writes it), e.g.
//   {"authUrl": "http://127.0.0.1:8080", "lobbyUrl": "http://127.0.0.1:8081"}

export interface PlaygroundConfig {
  authUrl: string;
  lobbyUrl: string;
}

export async function loadConfig(): Promise<PlaygroundConfig> {
  const response = await fetch("/playground/config.json", { headers: { accept: "application/json" } });
  if (!response.ok) throw new Error(`GET /playground/config.json: HTTP ${response.status}`);
  const body = (await response.json()) as { authUrl?: unknown; lobbyUrl?: unknown };
  if (body.authUrl === null) {
    throw new Error("this server does not know where its auth service is (start the lobby with --public-auth-url)");
  }
  if (typeof body.authUrl !== "string" || typeof body.lobbyUrl !== "string") {
    throw new Error("/playground/config.json must name authUrl and lobbyUrl");
  }
  return { authUrl: body.authUrl, lobbyUrl: body.lobbyUrl };
}
