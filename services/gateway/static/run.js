"use strict";
// One run in plain words, and its per-job outcomes paged from the statuses; live while running.
const runId = decodeURIComponent(location.pathname.split("/").pop());
const outcome = new URLSearchParams(location.search).get("outcome") || "";
let log = null, counted = 0, nextCursor = null;

function fact(list, term, value, className) {
  if (value === null || value === undefined || value === "") return;
  list.append(el("dt", {text: term}), el("dd", {class: className, text: String(value)}));
}

const render = coalesced(() => {
  document.getElementById("heading").textContent = `Run of ${log.feed_id || log.feed_url || "a feed"}`;
  document.title = `Job Importer — run ${log.run_id}`;
  const facts = el("dl", {class: "facts"});
  fact(facts, "Status", log.not_modified ? `${log.status} (not modified)` : log.status, `status-${log.status}`);
  if (log.error) fact(facts, "Error", log.error, "error-line");
  if (log.status === "running" && log.expected_statuses !== null) {
    const done = Math.min(Math.max(counted, log.new + log.updated + log.unchanged + log.failed), log.expected_statuses);
    fact(facts, "Progress", `${done} of ${log.expected_statuses} jobs`, "progress-text");
  }
  fact(facts, "Feed", log.feed_id);
  fact(facts, "Feed URL", log.feed_url);
  fact(facts, "Started by", log.trigger);
  fact(facts, "Started", when(log.started_at));
  fact(facts, "Finished", when(log.finished_at));
  fact(facts, "Took", duration(log.duration_ms));
  fact(facts, "HTTP status", log.http_status);
  fact(facts, "Not modified since the last fetch", log.not_modified ? "yes" : "no");
  fact(facts, "Bytes fetched", log.bytes);
  fact(facts, "Parsed", log.parse_mode === "recovered" ? "recovered from a broken document" : log.parse_mode);
  fact(facts, "Jobs in the feed", log.total_fetched);
  fact(facts, "Duplicates in the feed", log.duplicates);
  fact(facts, "Jobs expected to be processed", log.expected_statuses);
  fact(facts, "Imported", log.total_imported);
  for (const name of ["new", "updated", "unchanged", "failed"]) {
    fact(facts, name[0].toUpperCase() + name.slice(1), log[name], name === "failed" && log.failed ? "failed-count" : "");
  }
  fact(facts, "Run id", log.run_id);
  fact(facts, "Trigger id", log.trigger_id);
  const summary = document.getElementById("summary");
  summary.replaceChildren(facts);
  if (log.warnings.length) {
    summary.append(el("h2", {text: "Warnings"}), el("ul", {id: "warnings"}, ...log.warnings.map(text => el("li", {text}))));
  }
});

function statusRow(status) {
  // A failed job may never have been stored: its page then says so.
  const job = el("a", {href: `/jobs/${encodeURIComponent(status.job_key)}`, title: status.job_key,
    text: status.title || status.job_key});
  return el("tr", {"data-job-key": status.job_key}, el("td", {}, job),
    el("td", {class: `outcome-${status.outcome}`, text: status.outcome}),
    el("td", {text: status.reason_code || ""}), el("td", {class: "message", text: status.message || ""}));
}

async function statuses(cursor) {
  const query = new URLSearchParams({limit: "100"});
  if (outcome) query.set("outcome", outcome);
  if (cursor) query.set("cursor", cursor);
  try {
    const page = await api(`/api/imports/${encodeURIComponent(runId)}/statuses?${query}`);
    const body = document.getElementById("statuses");
    if (!cursor) body.replaceChildren();
    body.append(...page.items.map(statusRow));
    nextCursor = page.next_cursor;
    document.getElementById("more").hidden = !nextCursor;
    document.getElementById("no-statuses").hidden = body.children.length > 0;
  } catch (error) { showError(document.getElementById("message"), error); }
}

async function load() {
  try {
    log = await api(`/api/imports/${encodeURIComponent(runId)}`);
    render();
  } catch (error) { showError(document.getElementById("message"), error); return; }
  await statuses(null);
}

// Statuses stream in while the run goes on: refresh the list when the run ends, not per job.
function onFrame(event) {
  if (event.type === "import_log" && event.data.run_id === runId) {
    const final = event.data.status !== "running" && (!log || log.status === "running");
    log = event.data; render();
    if (final) statuses(null);
  } else if (event.type === "run_progress" && event.data.run_id === runId) {
    counted = event.data.statuses;
    if (log) render();
  }
}

document.getElementById("outcome").value = outcome;
document.getElementById("more").addEventListener("click", () => statuses(nextCursor));
load();
live({subscribe: {run_id: runId, types: ["import_log", "run_progress"]}, onFrame, onOpen: load});
