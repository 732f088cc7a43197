// The DAG drawn as SVG, with the console's own layered layout (Sugiyama, kept small):
//
//  1. layers: the API gives each step its layer (the longest path from a root), so every
//     edge points down;
//  2. an edge that skips layers gets a point in each layer it crosses, so it bends
//     around the boxes instead of through them;
//  3. order within a layer: a few sweeps that move each box to the mean position of its
//     neighbours in the layer above (then below), which undoes most crossings;
//  4. positions: each layer a centred row of boxes; edges are curves between them.
//
// A box shows the step id, its kind and state (in words, not colour alone) and its
// `when`, abridged; the box's <title> (the hover text) has them in full. The drawing
// keeps its size and scrolls inside its box, so 50 steps stay legible on a phone.

import { s } from "./dom.js";

const BOX_W = 196;
const BOX_H = 44;
const WHEN_H = 16; // the extra line of a guarded step
const GAP_X = 22;
const GAP_Y = 36;
const POINT_W = 14; // the width an edge's bend point takes in its layer
const PAD = 12;
const CHARS = 25; // what fits on a line of a box

const clip = (text, n = CHARS) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

function layered(steps) {
  const byId = new Map(steps.map((step) => [step.id, { ...step, point: false, ups: [], downs: [] }]));
  const layers = [];
  const put = (node) => (layers[node.layer] ??= []).push(node);
  steps.forEach((step) => put(byId.get(step.id)));
  const edges = [];
  for (const step of steps) {
    for (const parent of step.after) {
      const chain = [byId.get(parent)];
      for (let layer = byId.get(parent).layer + 1; layer < step.layer; layer++) {
        const point = { id: `${parent}>${step.id}@${layer}`, layer, point: true, ups: [], downs: [] };
        put(point);
        chain.push(point);
      }
      chain.push(byId.get(step.id));
      for (let i = 1; i < chain.length; i++) {
        chain[i].ups.push(chain[i - 1]);
        chain[i - 1].downs.push(chain[i]);
      }
      edges.push({ chain, guarded: Boolean(step.when) });
    }
  }
  return { layers: layers.map((layer) => layer ?? []), edges };
}

function reduceCrossings(layers) {
  const index = new Map();
  const number = (layer) => layer.forEach((node, i) => index.set(node, i));
  layers.forEach(number);
  const mean = (nodes, fallback) =>
    nodes.length ? nodes.reduce((sum, node) => sum + index.get(node), 0) / nodes.length : fallback;
  for (let sweep = 0; sweep < 8; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const layer of order) {
      const keyed = layer.map((node, i) => [mean(down ? node.ups : node.downs, i), i, node]);
      keyed.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      layer.splice(0, layer.length, ...keyed.map((entry) => entry[2]));
      number(layer);
    }
  }
}

function place(layers) {
  const widthOf = (node) => (node.point ? POINT_W : BOX_W);
  const rowWidth = (layer) => layer.reduce((sum, node) => sum + widthOf(node), 0) + GAP_X * Math.max(0, layer.length - 1);
  const width = Math.max(BOX_W, ...layers.map(rowWidth)) + 2 * PAD;
  const guardedRow = layers.map((layer) => layer.some((node) => node.when));
  let y = PAD;
  layers.forEach((layer, i) => {
    let x = (width - rowWidth(layer)) / 2;
    const height = BOX_H + (guardedRow[i] ? WHEN_H : 0);
    for (const node of layer) {
      Object.assign(node, { x, y, w: widthOf(node), h: node.point ? height : BOX_H + (node.when ? WHEN_H : 0), rowH: height });
      x += widthOf(node) + GAP_X;
    }
    y += height + GAP_Y;
  });
  return { width, height: y - GAP_Y + PAD };
}

function curve(chain) {
  const centre = (node) => node.x + node.w / 2;
  const parts = [`M${centre(chain[0])},${chain[0].y + chain[0].h}`];
  let fromX = centre(chain[0]);
  let fromY = chain[0].y + chain[0].h;
  for (let i = 1; i < chain.length; i++) {
    const node = chain[i];
    const toX = centre(node);
    const toY = node.y;
    const mid = (fromY + toY) / 2;
    parts.push(`C${fromX},${mid} ${toX},${mid} ${toX},${toY}`);
    if (node.point) parts.push(`L${toX},${node.y + node.rowH}`);
    fromX = toX;
    fromY = node.point ? node.y + node.rowH : node.y + node.h;
  }
  return parts.join(" ");
}

function box(node, status) {
  const kindLine = s("text", { x: 10, y: 36, class: "node-meta" }, `${node.kind} · ${status}`);
  const hover = [`${node.id} (${node.kind})`, node.after.length ? `after: ${node.after.join(", ")}` : "",
    node.when ? `when: ${node.when}` : "", node.signals.length ? `signals: ${node.signals.join(", ")}` : ""];
  const group = s("g", { class: `node kind-${node.kind}`, "data-step": node.id, "data-status": status,
    transform: `translate(${node.x},${node.y})` },
  s("title", {}, hover.filter(Boolean).join("\n")),
  s("rect", { width: node.w, height: node.h, rx: 7 }),
  s("text", { x: 10, y: 18, class: "node-id" }, clip(node.id)),
  kindLine,
  node.when ? s("text", { x: 10, y: 53, class: "node-when" }, clip(`when ${node.when}`, CHARS + 2)) : null);
  return { group, kindLine };
}

/**
 * Draw `graph` (the API's {steps}) into `container`; `statuses` colours the steps
 * (default "pending", or none for a workflow that is not running). Returns
 * {set(stepId, status)} to recolour a step as its run moves on.
 */
export function drawDag(container, graph, statuses = {}, { plain = false } = {}) {
  const { layers, edges } = layered(graph.steps);
  reduceCrossings(layers);
  const { width, height } = place(layers);
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: plain ? "dag plain" : "dag",
    "aria-label": `DAG of ${graph.steps.length} steps` },
  s("defs", {}, s("marker", { id: "dag-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7,
    orient: "auto-start-reverse" }, s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow" }))));
  for (const edge of edges) {
    svg.append(s("path", { d: curve(edge.chain), class: edge.guarded ? "edge guarded" : "edge", "marker-end": "url(#dag-arrow)" }));
  }
  const drawn = new Map();
  for (const layer of layers) {
    for (const node of layer) {
      if (node.point) continue;
      const status = plain ? node.kind : statuses[node.id] ?? "pending";
      const { group, kindLine } = box(node, status);
      if (plain) kindLine.textContent = node.signals.length ? `wait · ${clip(node.signals.join(" | "), 18)}` : node.kind;
      svg.append(group);
      drawn.set(node.id, { group, kindLine, kind: node.kind });
    }
  }
  container.replaceChildren(svg);
  // Wider than its box: start at the middle, where a centred layout's roots are.
  container.scrollLeft = Math.max(0, (container.scrollWidth - container.clientWidth) / 2);
  return {
    set(stepId, status) {
      const found = drawn.get(stepId);
      if (!found || found.group.dataset.status === status) return;
      found.group.dataset.status = status;
      found.kindLine.textContent = `${found.kind} · ${status}`;
    },
  };
}
