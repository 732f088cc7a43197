// Secrets: set and pending, which workflows use each, and (for the `deploy` role) a
// field to set or replace each value. Values only ever travel from this page to the
// gateway; the API never answers with one, so there is nothing to show, not even a length.
// ?workflow=NAME (where "Use this workflow" lands) picks out that workflow's pending ones.

import { api, get, link, may, paths } from "./api.js";
import { $, badge, clear, h, labelCells, showError, showNote, timeCell } from "./dom.js";

const message = $("#secrets-message");
const picked = new URLSearchParams(location.search).get("workflow");

function valueForm(secret) {
  const id = `value-${secret.name}`;
  const verb = secret.status === "set" ? "Replace" : "Set";
  return h("form", { class: "inline-form", dataset: { secret: secret.name }, onsubmit: (event) => save(event, secret.name) },
    h("label", { for: id, class: "visually-hidden" }, `New value of ${secret.name}`),
    h("input", { id, name: "value", type: "password", autocomplete: "off", required: true, placeholder: "new value" }),
    h("button", { type: "submit" }, verb));
}

function row(secret) {
  const isPicked = picked && secret.status === "pending" && secret.used_by.includes(picked);
  return h("tr", { dataset: { secret: secret.name, status: secret.status }, class: isPicked ? "picked" : null },
    h("th", { scope: "row", class: "mono" }, secret.name),
    h("td", {}, badge(secret.status)),
    h("td", {}, secret.used_by.length
      ? h("ul", { class: "plain" }, secret.used_by.map((w) =>
        h("li", {}, h("a", { href: link(`/workflows/${encodeURIComponent(w)}`) }, w))))
      : "–"),
    h("td", {}, timeCell(secret.updated_at)),
    may("deploy") ? h("td", {}, valueForm(secret)) : null);
}

function showPicked(secrets) {
  const box = $("#secrets-picked");
  if (!picked) return;
  const pending = secrets.filter((s) => s.status === "pending" && s.used_by.includes(picked)).map((s) => s.name);
  box.hidden = false;
  box.textContent = pending.length
    ? `${picked} cannot run until ${pending.length === 1 ? "this secret is" : "these secrets are"} set: ${pending.join(", ")}.`
    : `Every secret ${picked} uses is set: it can run.`;
}

async function load() {
  try {
    const secrets = await get(paths.secrets());
    clear($("#secrets-table tbody")).append(...secrets.map(row));
    labelCells($("#secrets-table"));
    $("#secrets-empty").hidden = secrets.length > 0;
    showPicked(secrets);
    return secrets;
  } catch (error) {
    showError(message, error, "Could not list the secrets: ");
    return [];
  }
}

async function put(name, value) {
  await api("PUT", paths.secret(name), { json: { value } });
  showNote(message, `${name} is set.`);
  await load();
}

async function save(event, name) {
  event.preventDefault();
  const input = event.target.querySelector("input");
  try {
    await put(name, input.value);
    input.value = "";
  } catch (error) {
    showError(message, error, `${name} was not set: `);
  }
}

$("#new-secret")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    await put($("#new-secret-name").value.trim(), $("#new-secret-value").value);
    form.reset();
  } catch (error) {
    showError(message, error, "Not set: ");
  }
});

const secrets = await load();
if (picked) {
  const first = secrets.find((s) => s.status === "pending" && s.used_by.includes(picked));
  if (first) document.getElementById(`value-${first.name}`)?.focus();
}
