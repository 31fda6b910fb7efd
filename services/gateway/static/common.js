"use strict";
// Shared by every view: the API with its problem bodies, safe DOM building, times, and the
// connection state (websocket + /readyz) shown in the header banner.

class ApiError extends Error {
  constructor(problem) {
    super(problem.detail || problem.title || "request failed");
    this.problem = problem;
  }
}

// Reads may need a session: a 401 sends the browser to sign in.
async function api(path, options = {}) {
  const init = {...options, headers: {...(options.headers || {})}};
  if (options.json !== undefined) {
    init.body = JSON.stringify(options.json);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, init);
  if (response.status === 401) { location.assign("/login"); throw new ApiError({title: "sign in"}); }
  const body = response.status === 204 ? null : await response.json();
  if (!response.ok) throw new ApiError(body || {title: response.statusText});
  return body;
}

// Elements from data: text always goes in as textContent, never as HTML.
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "href") node.setAttribute("href", safeHref(value));
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);  // strings become text nodes
  }
  return node;
}

// Only our own paths and http(s) addresses become links.
function safeHref(value) {
  const url = new URL(String(value), location.origin);
  return ["http:", "https:"].includes(url.protocol) ? url.href : "#";
}

const relative = new Intl.RelativeTimeFormat(undefined, {numeric: "auto"});

function when(iso) {
  if (!iso) return "";
  const at = new Date(iso);
  const seconds = Math.round((at - Date.now()) / 1000);
  const [amount, unit] = Math.abs(seconds) < 60 ? [seconds, "second"]
    : Math.abs(seconds) < 3600 ? [Math.round(seconds / 60), "minute"]
    : Math.abs(seconds) < 86400 ? [Math.round(seconds / 3600), "hour"] : [Math.round(seconds / 86400), "day"];
  return `${at.toLocaleString()} (${relative.format(amount, unit)})`;
}

function duration(ms) {
  if (ms === null || ms === undefined) return "";
  return ms < 1000 ? `${ms} ms` : ms < 60000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60000)} min`;
}

// Live updates come in bursts: render at most every 250 ms, whatever the number of frames.
function coalesced(render, interval = 250) {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    setTimeout(() => { pending = false; render(); }, interval);
  };
}

// "live" only while the socket is open and the API's store answers. `onOpen` resyncs after a gap.
function live({subscribe, onFrame, onOpen}) {
  const banner = document.getElementById("connection");
  let socketOpen = false, storeProblem = null, delay = 500;
  const show = () => {
    const [text, state] = storeProblem ? [storeProblem, "degraded"]
      : socketOpen ? ["live", "live"] : ["reconnecting…", "reconnecting"];
    banner.textContent = text; banner.className = state;
  };
  const connect = () => {
    const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
    socket.onopen = () => {
      socket.send(JSON.stringify({subscribe}));
      socketOpen = true; delay = 500; show();
      onOpen();
    };
    socket.onmessage = (message) => onFrame(JSON.parse(message.data));
    socket.onclose = () => {
      socketOpen = false; show();
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);  // backoff
    };
  };
  const check = async () => {
    try {
      const response = await fetch("/readyz", {signal: AbortSignal.timeout(4000)});
      const {checks} = await response.json();
      const down = Object.keys(checks).filter(name => !checks[name]);
      const wasDown = storeProblem !== null;
      storeProblem = checks.mongodb === false ? "degraded: store unavailable"
        : down.length ? `degraded: ${down.join(", ")} unavailable` : null;
      if (wasDown && storeProblem === null) onOpen();  // back: resync what we missed
    } catch {
      storeProblem = "degraded: the gateway does not answer";
    }
    show();
  };
  connect(); check();
  setInterval(check, 2000);
}

function showError(target, error) {
  target.textContent = error instanceof ApiError ? `error: ${error.message}` : `error: ${error}`;
}
