"use strict";
// The feeds registry with each feed's health and actions; the last run's progress moves live.
const feedsBody = document.getElementById("feeds");
const message = document.getElementById("message");
const progress = new Map();  // run_id -> statuses counted so far
let feeds = [];

function health(feed) {
  const cell = el("td", {class: "col-health"});
  if (!feed.enabled) cell.append(el("div", {class: "paused", text: "paused: not scheduled (Import now still works)"}));
  if (feed.paused_seconds > 0) {
    cell.append(el("div", {class: "status-partial", text: `host paused (429/503) for ${Math.ceil(feed.paused_seconds)} s`}));
  }
  cell.append(el("div", {text: feed.last_success_at ? `last success ${when(feed.last_success_at)}` : "never imported"}));
  if (feed.last_error) cell.append(el("div", {class: "error-line", text: `last error: ${feed.last_error}`}));
  if (feed.consecutive_failures) {
    cell.append(el("div", {class: "failed-count", text: `${feed.consecutive_failures} failures in a row`}));
  }
  return cell;
}

function lastRun(feed) {
  const run = feed.last_run, cell = el("td", {class: "col-last-run"});
  if (!run) return cell;
  cell.append(el("a", {href: `/runs/${encodeURIComponent(run.run_id)}`, class: `status-${run.status}`, text: run.status}));
  if (run.status === "running" && run.expected_statuses !== null) {
    const done = Math.min(Math.max(progress.get(run.run_id) || 0, run.new + run.updated + run.unchanged + run.failed), run.expected_statuses);
    cell.append(el("span", {class: "progress"},
      el("progress", {max: String(run.expected_statuses), value: String(done), "aria-label": "jobs done"}),
      el("span", {class: "progress-text", text: `${done} of ${run.expected_statuses}`})));
  }
  cell.append(el("div", {class: "hint", text:
    `${run.total_fetched} jobs: ${run.new} new, ${run.updated} updated, ${run.unchanged} unchanged, ${run.failed} failed`
    + (run.duration_ms !== null ? ` in ${duration(run.duration_ms)}` : "")}));
  return cell;
}

function button(text, label, action) {
  const node = el("button", {type: "button", "aria-label": label, text});
  node.addEventListener("click", action);
  return node;
}

// A feed's actions, kept across re-renders while its state is the same, so that an interval being
// typed survives the progress updates that redraw the table several times a second.
const actionCells = new Map();  // feed id -> {state, cell}

function actions(feed) {
  const state = `${feed.enabled}|${feed.interval_minutes}`, kept = actionCells.get(feed.id);
  if (kept && kept.state === state) return kept.cell;
  const interval = el("input", {type: "number", min: "1", value: String(feed.interval_minutes),
    "aria-label": `interval of ${feed.id} in minutes`, class: "interval"});
  const save = () => act(feed, "interval saved", change(feed, {interval_minutes: Number(interval.value)}));
  interval.addEventListener("keydown", (event) => { if (event.key === "Enter") save(); });
  const cell = el("td", {class: "col-actions"},
    button("Import now", `import ${feed.id} now`, () => act(feed, "import requested",
      api("/api/imports", {method: "POST", json: {feeds: [feed.id], trigger: "manual"}}))),
    feed.enabled
      ? button("Pause", `pause ${feed.id}`, () => act(feed, "paused: the scheduler skips it", change(feed, {enabled: false})))
      : button("Resume", `resume ${feed.id}`, () => act(feed, "resumed", change(feed, {enabled: true}))),
    el("span", {class: "interval-edit"}, interval, button("Save", `save the interval of ${feed.id}`, save)));
  actionCells.set(feed.id, {state, cell});
  return cell;
}

function change(feed, fields) {
  return api(`/api/feeds/${encodeURIComponent(feed.id)}`, {method: "PATCH", json: fields});
}

async function act(feed, done, request) {
  try { await request; message.textContent = `${feed.id}: ${done}`; await load(); }
  catch (error) { showError(message, error); }
}

function cells(feed) {
  return [
    el("td", {class: "col-feed"}, el("div", {class: "feed-id", text: feed.id}),
      el("a", {href: feed.url, class: "hint url", text: feed.url}),
      el("div", {}, el("a", {href: `/?feed=${encodeURIComponent(feed.id)}`, text: "history"}))),
    health(feed), lastRun(feed),
    el("td", {class: "col-next", text: !feed.enabled ? "—" : feed.next_check_at ? when(feed.next_check_at) : "due now"}),
    el("td", {class: "col-interval number", text: `${feed.interval_minutes} min`}), actions(feed)];
}

// Rows and the kept action cells stay where they are: a control being used keeps its focus.
const render = coalesced(() => {
  const rows = feeds.map(feed => {
    const tr = feedsBody.querySelector(`tr[data-feed-id="${CSS.escape(feed.id)}"]`) || el("tr", {"data-feed-id": feed.id});
    cells(feed).forEach((cell, i) => {
      if (tr.children[i] === cell) return;
      if (tr.children[i]) tr.children[i].replaceWith(cell); else tr.append(cell);
    });
    return tr;
  });
  rows.forEach((tr, i) => { if (feedsBody.children[i] !== tr) feedsBody.insertBefore(tr, feedsBody.children[i] || null); });
  while (feedsBody.children.length > rows.length) feedsBody.lastElementChild.remove();
  document.getElementById("empty").hidden = feeds.length > 0;
});

async function load() {
  try { feeds = (await api("/api/feeds")).items; render(); }
  catch (error) { showError(message, error); }
}

// The API's problem names each wrong field with a JSON pointer: show it by its input.
async function addFeed(event) {
  event.preventDefault();
  const form = event.target, status = document.getElementById("add-message");
  for (const node of form.querySelectorAll(".field-error")) node.textContent = "";
  const value = (name) => form.elements.namedItem(name).value.trim();
  const entry = {id: value("id"), url: value("url"), interval_minutes: Number(value("interval_minutes"))};
  try {
    await api("/api/feeds", {method: "POST", json: entry});
    status.textContent = `${entry.id} added`;
    form.reset();
    await load();
  } catch (error) {
    status.textContent = error.message;
    for (const field of error.problem?.errors || []) {
      const target = document.getElementById(`error-${(field.pointer || "").split("/")[1]}`);
      if (target) target.textContent = field.detail;
    }
  }
}

const reload = coalesced(load, 500);
function onFrame(event) {
  if (event.type === "import_log") {
    const feed = feeds.find(known => known.id === event.data.feed_id);
    if (feed) { feed.last_run = event.data; render(); }
    if (!feed || event.data.status !== "running") reload();  // health changes when a run ends
  } else if (event.type === "run_progress") {
    progress.set(event.data.run_id, event.data.statuses);
    render();
  }
}

document.getElementById("add-feed").addEventListener("submit", addFeed);
load();
// Health moves without events too (the fetcher records a success after the run's last log, host
// pauses run out, next checks come round): look again every 15 s.
setInterval(load, 15000);
live({subscribe: {types: ["import_log", "run_progress"]}, onFrame, onOpen: load});
