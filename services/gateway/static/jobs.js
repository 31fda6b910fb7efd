"use strict";
// Stored jobs, newest first. The search is the page's query string (a GET form: links and the back
// button keep it); "older" appends the next page from the API's cursor.
const search = new URLSearchParams(location.search);
const FILTERS = ["q", "source", "company", "location", "employment_type", "workplace_type", "since", "until"];
const form = document.getElementById("filters");
const jobsBody = document.getElementById("jobs");
const message = document.getElementById("message");
let nextCursor = null;

// The form holds dates, the API wants date-times: the viewer's local midnight; "until" takes in its day.
function moment(date, daysLater) {
  const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!parts) return date;  // sent as typed: the API's answer says what is wrong with it
  return new Date(Number(parts[1]), Number(parts[2]) - 1, Number(parts[3]) + daysLater).toISOString();
}

function apiQuery(cursor) {
  const query = new URLSearchParams();
  for (const name of FILTERS) {
    const value = (search.get(name) || "").trim();
    if (value) query.set(name, name === "since" ? moment(value, 0) : name === "until" ? moment(value, 1) : value);
  }
  if (search.get("limit")) query.set("limit", search.get("limit"));
  if (cursor) query.set("cursor", cursor);
  return query;
}

function row(job) {
  return el("tr", {"data-job-key": job.job_key},
    el("td", {class: "col-title"}, el("a", {href: jobPath(job.job_key), text: job.title})),
    el("td", {class: "col-company", text: job.company?.name || ""}),
    el("td", {class: "col-locations", text: placeWords(job)}),
    el("td", {class: "col-workplace", text: workplaceWords(job)}),
    el("td", {class: "col-employment", text: employmentWords(job)}),
    el("td", {class: "col-source", text: job.source}),
    el("td", {class: "col-first-seen", text: when(job.first_seen_at)}));
}

function showEmpty() {
  const empty = document.getElementById("empty"), none = jobsBody.children.length === 0;
  document.getElementById("jobs-table").hidden = none;
  empty.hidden = !none;
  if (!none) return;
  const searched = FILTERS.some(name => search.get(name));
  empty.replaceChildren(...(searched
    ? ["No jobs match this search — try another word or fewer filters, or ", el("a", {href: "/jobs", text: "see every job"}), "."]
    : ["No jobs yet — import a feed from the ", el("a", {href: "/", text: "import history"}), " or the ",
      el("a", {href: "/feeds", text: "feeds page"}), "."]));
}

// The API's problem names each wrong parameter: say which, and mark its control.
function showProblem(error) {
  const fields = error.problem?.errors || [];
  message.textContent = [`error: ${error.message}`,
    ...fields.map(field => `${field.parameter || field.pointer || ""}: ${field.detail}`)].join(" — ");
  for (const field of fields) form.elements.namedItem(field.parameter || "")?.setAttribute("aria-invalid", "true");
}

async function load(cursor) {
  const older = document.getElementById("older");
  older.disabled = true;  // one request per page: a second click must not append it twice
  try {
    const page = await api(`/api/jobs?${apiQuery(cursor)}`);
    jobsBody.append(...page.items.map(row));
    nextCursor = page.next_cursor;
    message.textContent = "";
    showEmpty();
  } catch (error) {
    showProblem(error);
    document.getElementById("jobs-table").hidden = jobsBody.children.length === 0;
  }
  older.disabled = false;
  older.hidden = !nextCursor;
}

function fillForm() {
  for (const name of FILTERS) {
    const control = form.elements.namedItem(name), value = search.get(name) || "";
    if (control.tagName === "SELECT" && value && ![...control.options].some(option => option.value === value)) {
      control.append(el("option", {value, text: value}));  // shown as asked, for the API to judge
    }
    control.value = value;
  }
  const limit = form.elements.namedItem("limit");
  limit.disabled = !search.get("limit");
  limit.value = search.get("limit") || "";
}

// Empty fields stay out of the address, which is the search.
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const query = new URLSearchParams([...new FormData(form)].filter(([, value]) => String(value).trim()));
  location.assign(String(query) ? `/jobs?${query}` : "/jobs");
});
document.getElementById("older").addEventListener("click", () => load(nextCursor));
// Back to a page kept in the back/forward cache: the form shows what was typed before leaving,
// the list is this address's; make the form say the address again.
addEventListener("pageshow", (event) => { if (event.persisted) fillForm(); });
fillForm();
load(null);
live({subscribe: {types: []}, onFrame: () => {}, onOpen: () => {}});
