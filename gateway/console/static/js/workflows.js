// Workflows: the project's live workflows, each a link to its page.

import { get, link, paths } from "./api.js";
import { $, h, labelCells, showError, timeCell } from "./dom.js";

try {
  const workflows = await get(paths.workflows());
  $("#workflows-table tbody").append(...workflows.map((w) => h("tr", { dataset: { workflow: w.name } },
    h("th", { scope: "row" }, h("a", { href: link(`/workflows/${encodeURIComponent(w.name)}`) }, w.name)),
    h("td", { class: "num" }, String(w.revision)),
    h("td", { class: "num" }, String(w.version)),
    h("td", {}, timeCell(w.updated_at)))));
  labelCells($("#workflows-table"));
  $("#workflows-empty").hidden = workflows.length > 0;
} catch (error) {
  showError($("#workflows-message"), error, "Could not list the workflows: ");
}
