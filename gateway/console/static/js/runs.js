// Runs: the project's recent runs, filtered by workflow and status, polled every two
// seconds while the tab is visible. The filters live in the address (?workflow=&status=),
// so a filtered list can be linked and survives a reload.

import { get, link, paths } from "./api.js";
import { $, badge, clear, every, h, labelCells, showError, timeCell, when } from "./dom.js";

const POLL_MS = 2000;
const form = $("#run-filters");
const workflowSelect = $("#filter-workflow");
const statusSelect = $("#filter-status");
const body = $("#runs-table tbody");
const message = $("#runs-message");

const query = new URLSearchParams(location.search);
statusSelect.value = query.get("status") ?? "";

async function loadWorkflows() {
  const wanted = query.get("workflow") ?? "";
  const names = (await get(paths.workflows())).map((w) => w.name);
  if (wanted && !names.includes(wanted)) names.push(wanted); // a deleted workflow's runs
  workflowSelect.append(...names.map((name) => h("option", { value: name }, name)));
  workflowSelect.value = wanted;
}

function filters() {
  const chosen = {};
  if (workflowSelect.value) chosen.workflow = workflowSelect.value;
  if (statusSelect.value) chosen.status = statusSelect.value;
  return chosen;
}

function row(run) {
  return h("tr", { dataset: { run: run.run_id, status: run.status } },
    h("td", {}, h("a", { href: link(`/runs/${encodeURIComponent(run.run_id)}`), class: "mono" }, run.run_id)),
    h("td", {}, h("a", { href: link(`/workflows/${encodeURIComponent(run.workflow)}`) }, run.workflow)),
    h("td", { class: "num" }, String(run.revision)),
    h("td", {}, badge(run.status)),
    h("td", {}, timeCell(run.started_at)),
    h("td", {}, timeCell(run.closed_at)));
}

async function refresh() {
  try {
    const runs = await get(paths.runs(filters()));
    clear(body).append(...runs.map(row));
    labelCells($("#runs-table"));
    $("#runs-empty").hidden = runs.length > 0;
    clear(message);
    $("#runs-updated").textContent = `live · updated ${when(new Date().toISOString()).slice(11)}`;
  } catch (error) {
    showError(message, error, "Could not list the runs: ");
    throw error;
  }
}

let poller = null;
form.addEventListener("change", () => {
  const params = new URLSearchParams(location.search);
  for (const name of ["workflow", "status"]) params.delete(name);
  for (const [name, value] of Object.entries(filters())) params.set(name, value);
  history.replaceState(null, "", `${location.pathname}?${params}`);
  poller?.now();
});
form.addEventListener("submit", (event) => event.preventDefault());

loadWorkflows()
  .catch((error) => showError(message, error, "Could not list the workflows: "))
  .finally(() => { poller = every(POLL_MS, refresh); });
