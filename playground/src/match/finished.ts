// Matches this tab has seen end. The lobby keeps saying `in_match` for a moment after the
// end (until it settles the result): home must not send the player back into such a match.
const KEY = "moonlight.playground.finished";

function read(): string[] {
  try {
    const list = JSON.parse(sessionStorage.getItem(KEY) ?? "[]") as unknown;
    return Array.isArray(list) ? list.filter((id): id is string => typeof id === "string") : [];
  } catch {
    return [];
  }
}

export function markFinished(roomId: string): void {
  const list = read().filter((id) => id !== roomId);
  list.push(roomId);
  try {
    sessionStorage.setItem(KEY, JSON.stringify(list.slice(-20)));
  } catch {
    // storage disabled: nothing to remember
  }
}

export function isFinished(roomId: string): boolean {
  return read().includes(roomId);
}
