// Small DOM helpers. Every value from the API goes in as text (textContent, attributes),
// never as markup, so nothing a workflow or a template says can run in the page.

/** An element: h("a", {href: "/x", class: "link"}, "text", child, ...). */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  setProps(element, props);
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

const SVG = "http://www.w3.org/2000/svg";

/** An SVG element, with attributes. */
export function s(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  element.append(...children.filter((child) => child !== null && child !== undefined));
  return element;
}

function setProps(element, props) {
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
}

export const $ = (selector, root = document) => root.querySelector(selector);

export function clear(element) {
  element.replaceChildren();
  return element;
}

/** A time as the page shows it: local, to the second; "–" when there is none. */
export function when(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

export function timeCell(iso) {
  return iso ? h("time", { datetime: iso }, when(iso)) : "–";
}

/**
 * Give each cell of `table`'s body the name of its column (data-label), so on a phone,
 * where rows become cards, every value says what it is. The first column is the card's title.
 */
export function labelCells(table) {
  const names = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  for (const row of table.tBodies[0].rows) {
    [...row.cells].forEach((cell, i) => {
      if (i > 0 && names[i]) cell.dataset.label = names[i];
    });
  }
}

/** A status badge; its colour comes from data-status in the stylesheet. */
export function badge(status) {
  return h("span", { class: "badge status", dataset: { status } }, status.replace("_", " "));
}

/** Show `error` (an ApiError or any Error) in `box` as a message, never a stack trace. */
export function showError(box, error, prefix = "") {
  const code = error.code ? ` (${error.code})` : "";
  clear(box).append(h("p", { class: "message error" }, `${prefix}${error.message}${code}`));
}

export function showNote(box, text, kind = "ok") {
  clear(box).append(h("p", { class: `message ${kind}` }, text));
}

/** Source text with line numbers (the numbers are drawn by CSS, so copying takes the text only). */
export function showSource(pre, text) {
  const lines = text.replace(/\n$/, "").split("\n");
  clear(pre).append(...lines.map((line) => h("span", { class: "line" }, line === "" ? "\u200b" : line)));
}

/**
 * Check a textarea's JSON as the person types; returns a function that gives the
 * parsed value, or throws with the parser's message (which the help line shows).
 */
export function jsonField(textarea, help) {
  const check = () => {
    const text = textarea.value.trim();
    try {
      const value = text === "" ? null : JSON.parse(text);
      textarea.removeAttribute("aria-invalid");
      help.textContent = "Valid JSON.";
      help.classList.remove("invalid");
      return { ok: true, value };
    } catch (error) {
      textarea.setAttribute("aria-invalid", "true");
      help.textContent = `Not valid JSON: ${error.message}`;
      help.classList.add("invalid");
      return { ok: false, error };
    }
  };
  textarea.addEventListener("input", check);
  return check;
}

const questions = new WeakMap(); // a <dialog> → how to end the question it is showing

/**
 * Ask in a <dialog>; resolves to the value of the button pressed ("" for Escape).
 *
 * The answer comes from the form's `submit` (synchronous with the key or click), not
 * only from `close`: a dialog's `close` event is queued, so after Escape and a quick
 * reopen the first closing's event can arrive while the second question is showing.
 * That stale event is ignored (the dialog is open again), and a question still waiting
 * for its `close` is ended unanswered when the next one starts.
 */
export function ask(dialog) {
  questions.get(dialog)?.("");
  return new Promise((resolve) => {
    const listening = new AbortController();
    const finish = (value) => {
      listening.abort();
      if (questions.get(dialog) === finish) questions.delete(dialog);
      resolve(value);
    };
    questions.set(dialog, finish);
    const { signal } = listening;
    dialog.querySelector("form").addEventListener("submit", (event) => finish(event.submitter?.value ?? ""), { signal });
    dialog.addEventListener("close", () => { if (!dialog.open) finish(dialog.returnValue); }, { signal });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

/** Run `fn` now and every `ms` while the tab is visible; stop() ends it. */
export function every(ms, fn) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    if (document.visibilityState === "visible") {
      try {
        await fn();
      } catch {
        // fn shows its own errors; the next tick tries again
      }
    }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  tick();
  return { stop: () => { stopped = true; clearTimeout(timer); }, now: () => fn() };
}
