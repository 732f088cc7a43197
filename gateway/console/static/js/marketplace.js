// Marketplace: search the templates (slug, title, description, tags); each result links
// to its page. The query lives in the address (?q=), and the list follows as you type.

import { get, link, paths } from "./api.js";
import { $, clear, h, showError } from "./dom.js";

const form = $("#market-search");
const input = $("#market-q");
const results = $("#market-results");
const fromAddress = new URLSearchParams(location.search).get("q");
if (fromAddress !== null && !input.value) input.value = fromAddress; // keep what was typed before this ran

function card(template) {
  return h("li", { class: "card", dataset: { template: template.id } },
    h("h2", {}, h("a", { href: link(`/marketplace/${template.id}`) }, template.title)),
    h("p", { class: "mono" }, template.id),
    h("p", {}, template.description),
    h("p", { class: "meta" }, `secrets: ${template.secrets.join(", ") || "none"}`),
    h("ul", { class: "chips", "aria-label": "tags" }, template.tags.map((tag) => h("li", {}, tag))));
}

let asked = 0;
async function search() {
  const q = input.value.trim();
  const mine = ++asked;
  const params = new URLSearchParams(location.search);
  if (q) params.set("q", q);
  else params.delete("q");
  history.replaceState(null, "", `${location.pathname}${params.size ? `?${params}` : ""}`);
  try {
    const found = await get(paths.marketplace(q));
    if (mine !== asked) return; // a later search has answered or will
    clear($("#market-message"));
    $("#market-count").textContent = `${found.length} template${found.length === 1 ? "" : "s"}${q ? ` matching “${q}”` : ""}`;
    clear(results).append(...found.map(card));
  } catch (error) {
    showError($("#market-message"), error, "Could not search: ");
  }
}

let typing = null;
input.addEventListener("input", () => {
  clearTimeout(typing);
  typing = setTimeout(search, 250);
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(typing);
  search();
});
search();
