// The JSON API as the console calls it: the session cookie (sent by the browser), the
// session's CSRF value on every request that may change something, and the project
// shown in Dispatched-Project. Errors come back as ApiError with the API's code and
// message; a 401 (session ended, token revoked) goes back to the sign-in page.

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content ?? "";

export const session = {
  csrf: meta("csrf-token"),
  project: meta("dispatched-project"),
  role: meta("dispatched-role"),
  operator: meta("dispatched-operator") === "yes",
};

const ROLES = ["read", "run", "deploy", "admin"];

/** True when the signed-in token's role includes `role` (the server checks again). */
export function may(role) {
  return ROLES.indexOf(session.role) >= ROLES.indexOf(role);
}

/** A console path in the project shown (the operator's choice travels in the query). */
export function link(path, query = {}) {
  const params = new URLSearchParams(session.operator ? { project: session.project, ...query } : query);
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function signInAgain() {
  const here = location.pathname + location.search;
  location.assign(`/sign-in?ended=1&next=${encodeURIComponent(here)}`);
}

function headers(method, extra = {}) {
  const all = { Accept: "application/json", "Dispatched-Project": session.project, ...extra };
  if (method !== "GET") all["X-CSRF-Token"] = session.csrf;
  return all;
}

async function errorOf(response) {
  let error = { code: `http_${response.status}`, message: `the gateway answered ${response.status}` };
  try {
    error = (await response.json()).error ?? error;
  } catch {
    // not JSON (a proxy's page): keep the status
  }
  return new ApiError(response.status, error.code, error.message);
}

/**
 * Call the API. `json` is sent as a JSON body, `text` as a text body. Resolves to
 * {status, headers, body} for any 2xx answer; rejects with ApiError otherwise.
 */
export async function api(method, path, { json, text, extraHeaders } = {}) {
  const sent = headers(method, extraHeaders);
  let body;
  if (json !== undefined) {
    body = JSON.stringify(json);
    sent["Content-Type"] = "application/json";
  } else if (text !== undefined) {
    body = text;
    sent["Content-Type"] = "text/plain; charset=utf-8";
  }
  let response;
  try {
    response = await fetch(path, { method, headers: sent, body, credentials: "same-origin" });
  } catch (error) {
    throw new ApiError(0, "unreachable", `the gateway did not answer (${error.message})`);
  }
  if (response.status === 401) {
    signInAgain();
    throw new ApiError(401, "unauthorized", "the session has ended");
  }
  if (!response.ok) throw await errorOf(response);
  const type = response.headers.get("content-type") ?? "";
  const raw = await response.text();
  let parsed = raw;
  if (type.includes("json") && raw) {
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = raw;
    }
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** GET a JSON resource: its body. */
export async function get(path) {
  return (await api("GET", path)).body;
}

const enc = encodeURIComponent;
export const paths = {
  runs: (query = {}) => `/api/runs?${new URLSearchParams(query)}`,
  run: (id) => `/api/runs/${enc(id)}`,
  events: (id, after) => `/api/runs/${enc(id)}/events?follow=true&after=${after}`,
  signal: (id, name) => `/api/runs/${enc(id)}/signal/${enc(name)}`,
  cancel: (id) => `/api/runs/${enc(id)}/cancel`,
  workflows: () => "/api/workflows",
  workflow: (name) => `/api/workflows/${enc(name)}`,
  revision: (name, revision) => `/api/workflows/${enc(name)}/revisions/${revision}`,
  trigger: (name) => `/workflows/${enc(name)}`,
  secrets: () => "/api/secrets",
  secret: (name) => `/api/secrets/${enc(name)}`,
  marketplace: (q) => `/api/marketplace?${new URLSearchParams(q ? { q } : {})}`,
  template: (id) => `/api/marketplace/${id.split("/").map(enc).join("/")}`,
  useTemplate: (id) => `/api/marketplace/${id.split("/").map(enc).join("/")}/use`,
  tokens: () => "/api/tokens",
  token: (id) => `/api/tokens/${enc(id)}`,
};

/**
 * Follow a run's event stream (server-sent events) until the run has closed and every
 * event arrived. Read with fetch rather than EventSource, which cannot send the
 * Dispatched-Project header; a dropped connection resumes after the last event seen.
 * `onEvent(event)` gets each event once, oldest first; resolves when the stream ends.
 */
export async function followEvents(runId, onEvent, { stillRunning } = {}) {
  let last = 0;
  for (let retry = 0; ; retry++) {
    let response;
    try {
      response = await fetch(paths.events(runId, last), { headers: headers("GET", { Accept: "text/event-stream" }) });
    } catch (error) {
      if (retry > 20) throw new ApiError(0, "unreachable", `the event stream broke (${error.message})`);
      await sleep(1000);
      continue;
    }
    if (response.status === 401) return signInAgain();
    if (!response.ok) throw await errorOf(response);
    try {
      last = await readFrames(response.body, last, onEvent);
    } catch {
      await sleep(500); // the connection dropped mid-stream: resume after `last`
      continue;
    }
    // The server ends the stream once the run closed; a gateway going away ends it too.
    if (!stillRunning || !(await stillRunning())) return;
    await sleep(500);
  }
}

async function readFrames(stream, last, onEvent) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return last;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trimStart());
      if (!data.length) continue; // a keepalive comment
      const event = JSON.parse(data.join("\n"));
      if (event.seq > last) {
        last = event.seq;
        onEvent(event);
      }
    }
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
