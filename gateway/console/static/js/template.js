// A template: its description, tags, secrets, DAG and document, and (for the `deploy`
// role) "Use this workflow", which lands on the copy's Secrets page with the secrets it
// still needs picked out.

import { api, get, link, paths } from "./api.js";
import { drawDag } from "./dag.js";
import { $, clear, h, showError, showSource, when } from "./dom.js";

const id = document.querySelector('meta[name="template-id"]').content;
const graph = JSON.parse($("#template-graph").textContent);
const message = $("#template-message");

function chips(list, items) {
  clear(list).append(...(items.length ? items.map((item) => h("li", {}, item)) : [h("li", { class: "none" }, "none")]));
}

try {
  const template = await get(paths.template(id));
  $("#template-title").textContent = template.title;
  $("#template-description").textContent = template.description;
  $("#template-publisher").textContent = template.publisher;
  $("#template-published").textContent = when(template.published_at);
  chips($("#template-tags"), template.tags);
  chips($("#template-secrets"), template.secrets);
  showSource($("#source"), template.document);
  if (graph) drawDag($("#dag"), graph, {}, { plain: true });
  else $("#dag").textContent = "This template's document does not validate any more, so it has no DAG.";
} catch (error) {
  showError(message, error, `Could not read ${id}: `);
  $("#use-form")?.remove();
}

$("#use-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = $("#use-name").value.trim();
  try {
    const used = (await api("POST", paths.useTemplate(id), { json: name ? { name } : {} })).body;
    location.assign(link("/secrets", { workflow: used.workflow }));
  } catch (error) {
    showError(message, error, "Not copied: ");
  }
});
