"use strict";
// Dead letters per pipeline topic (counts from /api/dead-letters), one topic's letters newest first.
const chosen = new URLSearchParams(location.search).get("topic");
const message = document.getElementById("message");
const body = document.getElementById("letters");
let topic = chosen, nextCursor = null;

function topicLink(row) {
  const text = `${row.source_topic}: ${row.count}` + (row.redriven ? ` (${row.redriven} redriven)` : "");
  return el("li", {}, el("a", {href: `/dead-letters?topic=${encodeURIComponent(row.source_topic)}`,
    class: row.count - row.redriven > 0 ? "failed-count" : "", "aria-current": row.source_topic === topic ? "page" : null, text}));
}

function letterRow(letter) {
  return el("tr", {"data-offset": `${letter.partition}:${letter.offset}`},
    el("td", {class: "col-when", text: when(letter.at)}),
    el("td", {class: "col-key", text: letter.key ?? "(no key)"}),
    el("td", {class: "col-from hint", text: letter.source_offset === null ? `${topic}`
      : `${topic} partition ${letter.source_partition}, offset ${letter.source_offset}`}),
    el("td", {class: "col-attempt number", text: String(letter.attempt)}),
    el("td", {class: "col-state", text: letter.redriven ? "redriven" : "waiting"}),
    el("td", {class: "col-reason error-line", text: letter.reason}),
    el("td", {class: "col-body"}, el("pre", {class: "body", text: letter.body + (letter.body_truncated ? " …" : "")})));
}

async function letters(cursor) {
  const query = new URLSearchParams({limit: "50"});
  if (cursor) query.set("cursor", cursor);
  try {
    const page = await api(`/api/dead-letters/${encodeURIComponent(topic)}?${query}`);
    if (!cursor) body.replaceChildren();
    body.append(...page.items.map(letterRow));
    nextCursor = page.next_cursor;
    document.getElementById("older").hidden = !nextCursor;
    document.getElementById("empty").hidden = body.children.length > 0;
  } catch (error) { showError(message, error); }
}

async function load() {
  try {
    const summary = (await api("/api/dead-letters")).items;
    // Without a choice: the first topic with letters waiting, else the jobs' own.
    topic = chosen || (summary.find(row => row.count > row.redriven) || summary.find(row => row.source_topic === "jobs.fetched")).source_topic;
    document.getElementById("topics").replaceChildren(...summary.map(topicLink));
    document.getElementById("heading").textContent = `Dead letters of ${topic}`;
  } catch (error) { showError(message, error); return; }
  await letters(null);
}

document.getElementById("older").addEventListener("click", () => letters(nextCursor));
load();
// Letters come from the services, not as events: look again whenever a run ends.
const reload = coalesced(load, 2000);
live({subscribe: {types: ["import_log"]}, onFrame: (event) => { if (event.data.status !== "running") reload(); }, onOpen: load});
