// A workflow: the secrets it uses and their status, a trigger form that shows the
// answer (for the `run` role), and any revision's DAG and source, the current one first.

import { api, get, link, paths } from "./api.js";
import { drawDag } from "./dag.js";
import { $, badge, clear, h, jsonField, labelCells, showError, showSource, timeCell } from "./dom.js";

const name = document.querySelector('meta[name="workflow"]').content;
const message = $("#workflow-message");

function showSecrets(secrets) {
  $("#workflow-secrets-none").hidden = secrets.length > 0;
  clear($("#workflow-secrets")).append(...secrets.map((secret) => h("li", { dataset: { secret: secret.name } },
    h("a", { href: link("/secrets", { workflow: name }), class: "mono" }, secret.name), " ", badge(secret.status))));
}

function showRevision(detail) {
  drawDag($("#dag"), detail.graph, {}, { plain: true });
  showSource($("#source"), detail.source);
}

function showRevisions(workflow) {
  const newest = [...workflow.revisions].reverse();
  const select = $("#revision-select");
  select.append(...newest.map((r) => h("option", { value: r.revision },
    `${r.revision}${r.revision === workflow.revision ? " (current)" : ""}`)));
  select.value = String(workflow.revision);
  select.addEventListener("change", async () => {
    try {
      showRevision(await get(paths.revision(name, select.value)));
    } catch (error) {
      showError(message, error, `Could not read revision ${select.value}: `);
    }
  });
  clear($("#revisions-table tbody")).append(...newest.map((r) => h("tr", {},
    h("td", { class: "num" }, `${r.revision}${r.revision === workflow.revision ? " (current)" : ""}`),
    h("td", { class: "num" }, String(r.version)), h("td", {}, r.format), h("td", {}, timeCell(r.created_at)))));
  labelCells($("#revisions-table"));
}

function answerBody(answer) {
  if (typeof answer.body === "string") return answer.body || "(empty)";
  return JSON.stringify(answer.body, null, 2);
}

function wireTrigger() {
  const form = $("#trigger-form");
  if (!form) return;
  const check = jsonField($("#trigger-body"), $("#trigger-check"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = check();
    if (!body.ok) {
      $("#trigger-body").focus();
      return;
    }
    const prefer = $("#trigger-async").checked ? "respond-async" : "wait=10";
    const button = form.querySelector("button");
    button.disabled = true;
    const box = $("#trigger-answer");
    try {
      const answer = await api("POST", paths.trigger(name), { json: body.value, extraHeaders: { Prefer: prefer } });
      const runId = answer.headers.get("Dispatched-Run-Id");
      $("#answer-status").textContent = String(answer.status);
      $("#answer-status").dataset.status = answer.status < 300 ? "completed" : "running";
      clear($("#answer-run")).append(runId ? h("a", { href: link(`/runs/${encodeURIComponent(runId)}`), class: "mono" }, runId) : "");
      $("#answer-body").textContent = answerBody(answer);
    } catch (error) {
      $("#answer-status").textContent = String(error.status || "–");
      $("#answer-status").dataset.status = "failed";
      clear($("#answer-run")).append(`${error.code}: ${error.message}`);
      $("#answer-body").textContent = "";
    } finally {
      box.hidden = false;
      button.disabled = false;
    }
  });
}

try {
  const workflow = await get(paths.workflow(name));
  showSecrets(workflow.secrets);
  showRevision(workflow);
  showRevisions(workflow);
  wireTrigger();
} catch (error) {
  showError(message, error, `Could not read workflow ${name}: `);
}
