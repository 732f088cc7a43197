// Tokens (admin): create one (its value shown once, here), list them without values,
// revoke one after a confirmation.

import { api, get, paths } from "./api.js";
import { $, ask, badge, clear, h, labelCells, showError, showNote, timeCell } from "./dom.js";

const message = $("#tokens-message");

function row(token) {
  const revoke = token.revoked_at ? "–" : h("button", { type: "button", class: "danger small",
    "aria-label": `Revoke ${token.id}`, onclick: () => revokeToken(token) }, "Revoke");
  return h("tr", { dataset: { token: token.id } },
    h("th", { scope: "row", class: "mono" }, token.id),
    h("td", {}, token.role),
    h("td", {}, token.label || "–"),
    h("td", {}, timeCell(token.created_at)),
    h("td", {}, timeCell(token.last_used_at)),
    h("td", {}, token.revoked_at ? badge("revoked") : "–", token.revoked_at ? " " : "", token.revoked_at ? timeCell(token.revoked_at) : ""),
    h("td", {}, revoke));
}

async function load() {
  try {
    const tokens = await get(paths.tokens());
    clear($("#tokens-table tbody")).append(...tokens.map(row));
    labelCells($("#tokens-table"));
    $("#tokens-empty").hidden = tokens.length > 0;
  } catch (error) {
    showError(message, error, "Could not list the tokens: ");
  }
}

async function revokeToken(token) {
  $("#revoke-which").textContent = token.id;
  if ((await ask($("#revoke-dialog"))) !== "revoke") return;
  try {
    await api("DELETE", paths.token(token.id));
    showNote(message, `${token.id} is revoked.`);
    await load();
  } catch (error) {
    showError(message, error, "Not revoked: ");
  }
}

$("#token-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    const made = (await api("POST", paths.tokens(), { json: { role: $("#token-role").value, label: $("#token-label").value } })).body;
    $("#token-made").hidden = false;
    $("#token-made-id").textContent = `${made.id} (${made.role})`;
    const value = $("#token-value");
    value.value = made.token;
    value.focus();
    value.select();
    form.reset();
    await load();
  } catch (error) {
    showError(message, error, "Not created: ");
  }
});

load();
