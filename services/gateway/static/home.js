"use strict";
// Import history: newest runs first, filtered by the query string, new rows and progress live.
const filters = new URLSearchParams(location.search);
const runs = new Map();      // run_id -> newest ImportLog seen
const progress = new Map();  // run_id -> statuses counted so far (run_progress frames)
const dirty = new Set();
const history = document.getElementById("history");
const numbers = ["total_fetched", "new", "updated", "unchanged", "failed"];
const filtered = ["feed", "status", "trigger"].some(name => filters.get(name));
let nextCursor = null, loaded = false;

function matches(log) {
  const feed = filters.get("feed"), status = filters.get("status"), trigger = filters.get("trigger");
  return (!feed || log.feed_id === feed || log.feed_url === feed)
    && (!status || log.status === status) && (!trigger || log.trigger === trigger);
}

function progressBar(log) {
  const total = log.expected_statuses;
  if (total === null || total === undefined) return el("span", {class: "hint", text: "fetching…"});
  const counted = log.new + log.updated + log.unchanged + log.failed;
  const done = Math.min(Math.max(counted, progress.get(log.run_id) || 0), total);
  return el("span", {class: "progress"},
    el("progress", {max: String(total), value: String(done), "aria-label": "jobs done"}),
    el("span", {class: "progress-text", text: `${done} of ${total}`}));
}

function row(log) {
  const feed = el("td", {class: "col-feed"},
    el("a", {href: `/runs/${encodeURIComponent(log.run_id)}`, text: log.feed_url || log.feed_id || log.run_id}));
  if (log.error) feed.append(el("div", {class: "error-line", text: log.error}));
  const status = el("td", {class: `col-status status-${log.status}`},
    el("span", {class: "status-text", text: log.not_modified ? `${log.status} (not modified)` : log.status}));
  if (log.status === "running") status.append(progressBar(log));
  const tr = el("tr", {"data-run-id": log.run_id}, feed,
    el("td", {class: "col-started", text: when(log.started_at)}),
    el("td", {class: "col-trigger", text: log.trigger || ""}), status,
    el("td", {class: "col-duration number", text: duration(log.duration_ms)}),
    el("td", {class: "col-parse", text: log.parse_mode || ""}));
  for (const name of numbers) {
    const highlight = name === "failed" && log.failed > 0 ? " failed-count" : "";
    tr.append(el("td", {class: `col-${name} number${highlight}`, text: String(log[name] ?? 0)}));
  }
  return tr;
}

function remember(log) {
  const known = runs.get(log.run_id);
  if (known && known.updated_at && log.updated_at && known.updated_at > log.updated_at) return;
  runs.set(log.run_id, log);
  dirty.add(log.run_id);
}

// One DOM pass for everything that changed since the last one.
const flush = coalesced(() => {
  for (const runId of dirty) {
    const log = runs.get(runId), tr = row(log);
    const old = history.querySelector(`tr[data-run-id="${CSS.escape(runId)}"]`);
    if (old) { old.replaceWith(tr); continue; }
    const after = [...history.children].find(other => other.dataset.runId < runId);
    history.insertBefore(tr, after || null);
  }
  dirty.clear();
  const empty = document.getElementById("empty");
  empty.hidden = runs.size > 0;
  if (filtered) empty.textContent = "No runs match these filters.";
  document.getElementById("older").hidden = !nextCursor;
});

async function load(cursor) {
  const query = new URLSearchParams([...filters].filter(([, value]) => value));
  query.set("limit", filters.get("limit") || "50");
  if (cursor) query.set("cursor", cursor);
  try {
    const page = await api(`/api/imports?${query}`);
    page.items.forEach(remember);
    if (cursor || !loaded) nextCursor = page.next_cursor;
    loaded = true;
    flush();
  } catch (error) { showError(document.getElementById("message"), error); }
}

async function feedChoices() {
  const select = document.getElementById("filter-feed");
  try {
    for (const feed of (await api("/api/feeds")).items) select.append(el("option", {value: feed.id, text: feed.id}));
  } catch { /* the filter still takes the query string's feed */ }
  for (const name of ["feed", "status", "trigger"]) {
    const control = document.querySelector(`#filters [name=${name}]`);
    if (filters.get(name) && ![...control.options].some(o => o.value === filters.get(name))) {
      control.append(el("option", {value: filters.get(name), text: filters.get(name)}));
    }
    control.value = filters.get(name) || "";
  }
}

// Dead letters, per topic with any waiting: each links to its list.
async function deadLetters() {
  const line = document.getElementById("dead-letters");
  try {
    const waiting = (await api("/api/dead-letters")).items.filter(row => row.count > row.redriven);
    line.replaceChildren("Dead letters: ", ...waiting.flatMap((row, i) => [i ? ", " : "",
      el("a", {href: `/dead-letters?topic=${encodeURIComponent(row.source_topic)}`, class: "failed-count",
        text: `${row.count - row.redriven} on ${row.source_topic}`})]));
    line.hidden = waiting.length === 0;
  } catch { line.hidden = true; }  // the history matters more; the banner tells what is down
}
const recheckDeadLetters = coalesced(deadLetters, 2000);

function onFrame(event) {
  if (event.type === "import_log" && event.data.status !== "running") recheckDeadLetters();
  if (event.type === "import_log" && (runs.has(event.data.run_id) || matches(event.data))) {
    remember(event.data); flush();
  } else if (event.type === "run_progress" && runs.has(event.data.run_id)) {
    progress.set(event.data.run_id, event.data.statuses);
    dirty.add(event.data.run_id); flush();
  }
}

document.getElementById("older").addEventListener("click", () => load(nextCursor));
document.getElementById("import-now").addEventListener("click", async () => {
  const message = document.getElementById("message");
  try {
    const body = await api("/api/imports", {method: "POST", json: {feeds: [], trigger: "manual"}});
    message.textContent = `import requested (${body.trigger_id})`;
  } catch (error) { showError(message, error); }
});

feedChoices();
load(null);
live({subscribe: {types: ["import_log", "run_progress"]}, onFrame, onOpen: () => { load(null); deadLetters(); }});
