// Now: the live nodes (each one's own vitals from its heartbeats), the queue and the
// matches, refreshed every 2 seconds (a node's heartbeat interval), with the last few
// minutes in small charts. The samples are kept while the tab is open, across pages.
import type { App } from "../app.ts";
import { h } from "../dom.ts";
import type { NodeNow, Overview } from "../sdk.ts";
import { lineChart, type Series } from "./chart.ts";
import { duration, loadingPage, table } from "./parts.ts";

const EVERY_MS = 2000;
/** Three minutes of samples. */
const KEEP = 90;
const COLOURS = ["#8fb2ff", "#ffcf70", "#7ee0a6", "#ff8a8a", "#dcb8ff", "#a8dcff"];

interface Sample {
  overview: Overview;
  /** Node id → its vitals as rates. */
  nodes: Map<string, { actionsPerSec: number; p50Ms: number; p99Ms: number; failed: number }>;
}

const samples: Sample[] = [];

function sampleOf(overview: Overview): Sample {
  const nodes = new Map(
    overview.nodes.map((node) => {
      const v = node.vitals;
      const secs = Math.max(v.window_ms, 1) / 1000;
      return [node.id, { actionsPerSec: v.actions / secs, p50Ms: v.p50_us / 1000, p99Ms: v.p99_us / 1000, failed: v.failed }] as const;
    }),
  );
  return { overview, nodes };
}

export function nowPage(app: App) {
  const admin = app.session.client.admin;
  return loadingPage({
    title: "Now",
    test: "console-now",
    everyMs: EVERY_MS,
    load: async (signal) => {
      const overview = await admin.overview({ signal });
      samples.push(sampleOf(overview));
      if (samples.length > KEEP) samples.shift();
      return overview;
    },
    render: (overview) => [summary(overview), charts(), nodesTable(overview.nodes)],
  });
}

function summary(overview: Overview): HTMLElement {
  const players = overview.nodes.reduce((sum, node) => sum + node.connections, 0);
  const tile = (label: string, value: string, test: string) =>
    h("div", { class: "panel tile", "data-test": test }, h("span", { class: "muted" }, label), h("strong", { "data-test": `${test}-value` }, value));
  return h(
    "div",
    { class: "tiles" },
    tile("Nodes", String(overview.nodes.length), "now-nodes"),
    tile("Connected", players.toLocaleString(), "now-connected"),
    tile("Queued", `${overview.queue.players.toLocaleString()} (longest ${duration(overview.queue.longest_wait_secs)})`, "now-queue"),
    tile("Matches live", overview.matches.live.toLocaleString(), "now-live"),
    tile("Finished in the last minute", overview.matches.finished_last_minute.toLocaleString(), "now-per-minute"),
  );
}

function charts(): HTMLElement {
  const ids = [...new Set(samples.flatMap((s) => [...s.nodes.keys()]))].sort();
  const perNode = (pick: (v: { actionsPerSec: number; p50Ms: number; p99Ms: number; failed: number }) => number, label: (id: string) => string): Series[] =>
    ids.map((id, i) => ({
      label: label(id),
      colour: COLOURS[i % COLOURS.length]!,
      values: samples.map((s) => s.nodes.get(id)).filter((v) => v !== undefined).map(pick),
    }));
  return h(
    "div",
    { class: "charts" },
    lineChart("Actions per second", perNode((v) => v.actionsPerSec, (id) => id), "/s", "chart-actions"),
    lineChart("Action latency p99 (node's own)", perNode((v) => v.p99Ms, (id) => id), " ms", "chart-p99"),
    lineChart("Action latency p50 (node's own)", perNode((v) => v.p50Ms, (id) => id), " ms", "chart-p50"),
    lineChart("Actions failed (node errors)", perNode((v) => v.failed, (id) => id), "", "chart-failed"),
    lineChart("Queue", [{ label: "players", colour: COLOURS[1]!, values: samples.map((s) => s.overview.queue.players) }], "", "chart-queue"),
    lineChart("Matches", [
      { label: "live", colour: COLOURS[0]!, values: samples.map((s) => s.overview.matches.live) },
      { label: "finished/min", colour: COLOURS[2]!, values: samples.map((s) => s.overview.matches.finished_last_minute) },
    ], "", "chart-matches"),
  );
}

function nodesTable(nodes: NodeNow[]): HTMLElement {
  const now = Date.now();
  return h(
    "div",
    {},
    h("h2", {}, "Nodes"),
    table(
      ["Node", "Address", "Rooms", "Connected", "Heartbeat", "Content", "Actions/s", "p50 / p99", "Refused", "Failed"],
      nodes,
      (node) => {
        const v = node.vitals;
        const secs = Math.max(v.window_ms, 1) / 1000;
        return [
          h("strong", {}, node.id),
          h("code", {}, node.url),
          h("span", { "data-test": "node-rooms" }, `${node.rooms.toLocaleString()} / ${node.capacity.toLocaleString()}`),
          node.connections.toLocaleString(),
          `${duration((now - node.heartbeat_ms) / 1000)} ago`,
          h("code", { title: node.content_version }, node.content_version.slice(0, 10)),
          (v.actions / secs).toFixed(1),
          `${(v.p50_us / 1000).toFixed(2)} / ${(v.p99_us / 1000).toFixed(2)} ms`,
          String(v.rejected),
          h("span", { class: v.failed > 0 ? "warn-text" : "" }, String(v.failed)),
        ];
      },
      { test: "node", empty: "No game-server node has a fresh heartbeat: no match can start.", key: (node) => node.id },
    ),
  );
}
