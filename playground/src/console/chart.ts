// Small charts as inline SVG: a line over the last samples (the Now page's live charts) and
// bars (the rating histogram). A few dozen points each: no chart library needed.

const NS = "http://www.w3.org/2000/svg";

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  return el;
}

export interface Series {
  label: string;
  values: number[];
  /** A CSS colour. */
  colour: string;
}

/**
 * Lines of `series` (oldest sample first) from 0 to their highest value, with the latest
 * value of each written beside its label. `unit` follows each figure.
 */
export function lineChart(title: string, series: Series[], unit: string, test: string): HTMLElement {
  const width = 240;
  const height = 60;
  const longest = Math.max(2, ...series.map((s) => s.values.length));
  const top = Math.max(1, ...series.flatMap((s) => s.values));
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": title, preserveAspectRatio: "none" });
  chart.append(svg("line", { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: "chart-axis" }));
  for (const s of series) {
    const offset = longest - s.values.length;
    const points = s.values.map((v, i) => `${(((offset + i) / (longest - 1)) * width).toFixed(1)},${(height - 2 - (v / top) * (height - 4)).toFixed(1)}`);
    chart.append(svg("polyline", { points: points.join(" "), fill: "none", stroke: s.colour, "stroke-width": 1.5, "vector-effect": "non-scaling-stroke" }));
  }
  const figure = document.createElement("figure");
  figure.className = "panel chart-panel";
  figure.dataset.test = test;
  const caption = document.createElement("figcaption");
  caption.append(title);
  for (const s of series) {
    const latest = s.values.at(-1);
    const key = document.createElement("span");
    key.className = "chart-key";
    key.style.setProperty("--key", s.colour);
    key.dataset.test = `${test}-latest`;
    key.textContent = `${s.label} ${latest === undefined ? "–" : `${format(latest)}${unit}`}`;
    caption.append(key);
  }
  figure.append(caption, chart);
  return figure;
}

/** Vertical bars of `counts` under their `labels`, the highest reaching the top. */
export function barChart(title: string, labels: string[], counts: number[], test: string): HTMLElement {
  const width = Math.max(240, labels.length * 28);
  const height = 120;
  const top = Math.max(1, ...counts);
  const bar = width / Math.max(1, counts.length);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height + 16}`, class: "chart bars", role: "img", "aria-label": title });
  counts.forEach((count, i) => {
    const tall = (count / top) * height;
    const rect = svg("rect", { x: i * bar + 2, y: height - tall, width: Math.max(1, bar - 4), height: tall, class: "chart-bar", "data-test": `${test}-bar` });
    const tip = svg("title", {});
    tip.textContent = `${labels[i]}: ${count}`;
    rect.append(tip);
    chart.append(rect);
    if (i % Math.ceil(counts.length / 8) === 0) {
      const label = svg("text", { x: i * bar + bar / 2, y: height + 12, "text-anchor": "middle", class: "chart-label" });
      label.textContent = labels[i] ?? "";
      chart.append(label);
    }
  });
  const figure = document.createElement("figure");
  figure.className = "panel chart-panel";
  figure.dataset.test = test;
  const caption = document.createElement("figcaption");
  caption.textContent = title;
  figure.append(caption, chart);
  return figure;
}

function format(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString() : value.toFixed(value >= 10 ? 1 : 2).replace(/\.?0+$/, "") || "0";
}
