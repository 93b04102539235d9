// Ratings: the leaderboard (the public one) and how ratings are spread (a histogram of
// rated players per 50 points, established ones apart).
import type { App } from "../app.ts";
import { h } from "../dom.ts";
import { barChart } from "./chart.ts";
import { loadingPage, table } from "./parts.ts";

export function ratingsPage(app: App) {
  const client = app.session.client;
  return loadingPage({
    title: "Ratings",
    test: "console-ratings",
    load: async (signal) => Promise.all([client.leaderboard({ limit: 20, signal }), client.admin.ratings({ signal })]),
    render: ([leaderboard, spread]) => {
      const labels = spread.buckets.map((b) => String(b.from));
      const rated = spread.buckets.reduce((sum, b) => sum + b.players, 0);
      return [
        h("p", { class: "muted", "data-test": "ratings-rated" }, `${rated.toLocaleString()} rated players.`),
        rated > 0
          ? h(
              "div",
              { class: "charts" },
              barChart(`Rated players per ${spread.bucket_width} points`, labels, spread.buckets.map((b) => b.players), "chart-ratings"),
              barChart("Established ratings (on the leaderboard)", labels, spread.buckets.map((b) => b.established), "chart-established"),
            )
          : null,
        h("h2", {}, "Leaderboard"),
        table(
          ["#", "Player", "Rating", "Won / lost / drawn"],
          leaderboard.top,
          (p) => [String(p.rank), p.name, Math.round(p.rating).toString(), `${p.wins} / ${p.losses} / ${p.draws}`],
          { test: "leader", empty: "Nobody has an established rating yet (it takes about ten rated matches).", key: (p) => p.player_id },
        ),
      ];
    },
  });
}
