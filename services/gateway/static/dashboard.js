"use strict";
// Rows are keyed by run_id; run ids sort by start time, so newest first is descending run_id.
const rows = new Map();
const history = document.getElementById("history");
const numbers = ["total_fetched", "new", "updated", "unchanged", "failed"];

function cell(tr, text, className) {
  const td = document.createElement("td");
  td.textContent = text;  // never innerHTML: feed data is untrusted
  if (className) td.className = className;
  tr.appendChild(td);
  return td;
}

function render(log) {
  const tr = document.createElement("tr");
  tr.dataset.runId = log.run_id;
  cell(tr, log.feed_url || log.feed_id || "", "url").title = log.error || log.feed_url || "";
  cell(tr, log.started_at ? new Date(log.started_at).toLocaleString() : "");
  cell(tr, log.not_modified ? `${log.status} (not modified)` : log.status, "status-" + log.status);
  for (const name of numbers) cell(tr, String(log[name] ?? 0), "number");
  return tr;
}

function show(log) {
  const known = rows.get(log.run_id);
  if (known && known.updated_at && log.updated_at && known.updated_at > log.updated_at) return;
  rows.set(log.run_id, log);
  const tr = render(log);
  const old = history.querySelector(`tr[data-run-id="${CSS.escape(log.run_id)}"]`);
  if (old) { old.replaceWith(tr); } else {
    const after = [...history.children].find(other => other.dataset.runId < log.run_id);
    history.insertBefore(tr, after || null);
  }
  tr.classList.add("flash");
}

// Reads may need a session (GATEWAY_PUBLIC_READS=false): then the dashboard sends you to sign in.
async function load() {
  const response = await fetch("/api/imports?limit=100");
  if (response.status === 401) { location.assign("/login"); return; }
  const page = await response.json();
  page.items.forEach(show);
}

function connect() {
  const status = document.getElementById("connection");
  const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  socket.onopen = () => {
    socket.send(JSON.stringify({subscribe: {types: ["import_log"]}}));
    status.textContent = "live"; status.className = "live";
    load();  // whatever happened while we were not listening
  };
  socket.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "import_log") show(event.data);
  };
  socket.onclose = () => {
    status.textContent = "reconnecting…"; status.className = "";
    setTimeout(connect, 2000);
  };
}

document.getElementById("import-now").onclick = async () => {
  const message = document.getElementById("message");
  const response = await fetch("/api/imports", {
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({feeds: [], trigger: "manual"}),
  });
  const body = await response.json();
  message.textContent = response.ok ? `import requested (${body.trigger_id})` : `error: ${body.detail || body.title}`;
  document.getElementById("signin").hidden = response.status !== 401;
};

load();
connect();
