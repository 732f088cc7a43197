// A run: its DAG coloured by each step's live state, the step table, the event log as it
// streams, and (for the `run` role) a signal form and cancel. The event stream drives the
// colours at once; each event also schedules a fresh read of the run's state, which
// fills in the table (attempts, times, errors) and the run's own status.

import { api, followEvents, get, link, may, paths } from "./api.js";
import { drawDag } from "./dag.js";
import { $, ask, badge, clear, h, jsonField, labelCells, showError, showNote, timeCell, when } from "./dom.js";

const runId = document.querySelector('meta[name="run-id"]').content;
const message = $("#run-message");
const STEP_EVENTS = {
  "step.started": "running", "step.waiting": "waiting", "step.completed": "completed",
  "step.skipped": "skipped", "step.failed": "failed", "step.cancelled": "cancelled",
};

let state = null;
let graph = null;
let dag = null;

function showState() {
  const status = $("#run-status");
  status.textContent = state.status.replace("_", " ");
  status.dataset.status = state.status;
  clear($("#run-workflow")).append(h("a", { href: link(`/workflows/${encodeURIComponent(state.workflow)}`) }, state.workflow));
  $("#run-revision").textContent = `${state.revision} (version ${state.version})`;
  clear($("#run-started")).append(timeCell(state.started_at));
  clear($("#run-closed")).append(timeCell(state.closed_at));
  const error = $("#run-error");
  error.hidden = !state.error;
  if (state.error) error.textContent = `${state.error.code}: ${state.error.message}`;
  const controls = $("#run-controls");
  if (controls) controls.hidden = state.status !== "running";
  suggestSignal();
  for (const [id, step] of Object.entries(state.steps)) dag?.set(id, step.status);
  showSteps();
}

function showSteps() {
  const order = graph ? graph.steps : Object.keys(state.steps).map((id) => ({ id, kind: "", when: null }));
  clear($("#steps-table tbody")).append(...order.map((node) => {
    const step = state.steps[node.id] ?? { status: "pending", attempts: 0 };
    return h("tr", { dataset: { step: node.id, status: step.status } },
      h("th", { scope: "row" }, h("span", { class: "mono" }, node.id),
        node.when ? h("span", { class: "when" }, `when ${node.when}`) : null),
      h("td", {}, node.kind),
      h("td", {}, badge(step.status)),
      h("td", { class: "num" }, String(step.attempts ?? 0)),
      h("td", {}, timeCell(step.started_at)),
      h("td", {}, timeCell(step.finished_at)),
      step.error ? h("td", { class: "error-text" }, `${step.error.code}: ${step.error.message}`) : h("td", {}, "–"));
  }));
  labelCells($("#steps-table"));
}

let pending = null;
function refreshSoon() {
  if (pending) return;
  pending = setTimeout(async () => {
    pending = null;
    await refresh();
  }, 200);
}

async function refresh() {
  try {
    state = await get(paths.run(runId));
    showState();
  } catch (error) {
    showError(message, error, "Could not read the run: ");
  }
  return state;
}

function logEvent(event) {
  const data = Object.keys(event.data ?? {}).length ? JSON.stringify(event.data) : "";
  $("#events").append(h("li", { dataset: { type: event.type } },
    h("time", { datetime: event.at }, when(event.at)),
    h("span", { class: "type" }, event.type),
    event.step ? h("span", { class: "mono" }, event.step) : null,
    data ? h("code", {}, data) : null));
  const status = STEP_EVENTS[event.type];
  if (status && event.step) {
    dag?.set(event.step, status);
    const row = document.querySelector(`#steps-table tr[data-step="${CSS.escape(event.step)}"]`);
    if (row) {
      row.dataset.status = status;
      row.cells[2].replaceChildren(badge(status));
    }
  }
  refreshSoon();
}

/** The signal name field suggests what a waiting step waits for. */
function suggestSignal() {
  const field = $("#signal-name");
  if (!field || !graph) return;
  const waiting = graph.steps.find((step) => state.steps[step.id]?.status === "waiting");
  field.placeholder = waiting ? waiting.signals.join(" or ") : "";
}

function wireSignal() {
  const form = $("#signal-form");
  if (!form) return;
  const check = jsonField($("#signal-payload"), $("#signal-check"));
  const names = graph.steps.flatMap((step) => step.signals);
  $("#signal-names").append(...[...new Set(names)].map((name) => h("option", { value: name })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = $("#signal-name").value.trim();
    const payload = check();
    const result = $("#signal-result");
    if (!name) {
      result.textContent = "Name the signal to send.";
      $("#signal-name").focus();
      return;
    }
    if (!payload.ok) {
      result.textContent = "Fix the payload first: it is not valid JSON.";
      $("#signal-payload").focus();
      return;
    }
    try {
      await api("POST", paths.signal(runId, name), { json: payload.value });
      result.textContent = `Sent ${name}.`;
    } catch (error) {
      result.textContent = `Not sent: ${error.message} (${error.code})`;
    }
  });
}

function wireCancel() {
  const open = $("#cancel-open");
  if (!open) return;
  open.addEventListener("click", async () => {
    if ((await ask($("#cancel-dialog"))) !== "cancel") return;
    try {
      await api("POST", paths.cancel(runId));
      $("#cancel-result").textContent = "Cancel requested.";
      refreshSoon();
    } catch (error) {
      $("#cancel-result").textContent = `Not cancelled: ${error.message} (${error.code})`;
    }
  });
}

async function main() {
  if (!(await refresh())) return;
  try {
    graph = (await get(paths.revision(state.workflow, state.revision))).graph;
  } catch (error) {
    showError(message, error, "Could not read the run's workflow revision, so there is no DAG: ");
  }
  if (graph) {
    const statuses = Object.fromEntries(Object.entries(state.steps).map(([id, step]) => [id, step.status]));
    dag = drawDag($("#dag"), graph, statuses);
    if (may("run")) wireSignal();
  }
  showState();
  wireCancel();
  const live = $("#events-live");
  live.textContent = "· live";
  try {
    await followEvents(runId, logEvent, { stillRunning: async () => (await refresh())?.status === "running" });
    live.textContent = "· complete";
  } catch (error) {
    live.textContent = "";
    showNote(message, `The event stream stopped: ${error.message}`, "error");
  }
  await refresh();
}

main();
