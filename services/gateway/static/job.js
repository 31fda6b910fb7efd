"use strict";
// One stored job in plain words, its description as sanitized HTML, and the runs that saw it.
const jobKey = keyInPath(location.pathname.slice("/jobs/".length));
const message = document.getElementById("message");

function keyInPath(segment) {
  try { return decodeURIComponent(segment); } catch { return segment; }  // a broken %-escape: no such job
}

function fact(list, name, term, ...values) {
  const shown = values.filter(value => value !== null && value !== undefined && value !== "");
  if (shown.length) list.append(el("dt", {text: term}), el("dd", {class: `fact-${name}`}, ...shown));
}

function link(href, text, id) {
  return href ? el("a", {href, id, rel: "nofollow noopener", class: "url", text: text || href}) : null;
}

function runLink(runId, id) {
  return runId ? el("a", {href: `/runs/${encodeURIComponent(runId)}`, id, text: `run ${runId}`}) : null;
}

function salaryWords(salary) {
  if (!salary) return "";
  const amount = (value) => value === null || value === undefined ? "" : value.toLocaleString();
  const low = amount(salary.min), high = amount(salary.max);
  if (!low && !high) return salary.raw || "";
  const range = low && high ? (low === high ? low : `${low}–${high}`) : low ? `from ${low}` : `up to ${high}`;
  return [range, salary.currency, salary.interval && `per ${salary.interval.toLowerCase()}`].filter(Boolean).join(" ");
}

function seen(at, runId, id) {
  return at || runId ? el("span", {}, when(at), runId ? " in " : "", runLink(runId, id)) : null;
}

function render(job) {
  document.getElementById("heading").textContent = job.title;
  document.title = `Job Importer — ${job.title}`;
  const facts = el("dl", {class: "facts"}), company = job.company;
  fact(facts, "company", "Company", company && (company.url ? link(company.url, company.name) : company.name));
  fact(facts, "locations", "Locations", placeWords(job));
  fact(facts, "workplace", "Workplace", workplaceWords(job));
  fact(facts, "employment", "Employment", employmentWords(job));
  fact(facts, "employment-raw", "Employment as the feed says", job.employment_type_raw);
  fact(facts, "salary", "Salary", salaryWords(job.salary));
  if (job.salary?.raw && job.salary.raw !== salaryWords(job.salary)) {
    fact(facts, "salary-raw", "Salary as the feed says", job.salary.raw);
  }
  fact(facts, "posted", "Posted", when(job.date_posted));
  fact(facts, "valid-through", "Valid through", when(job.valid_through));
  fact(facts, "categories", "Categories", job.categories.join(", "));
  fact(facts, "first-seen", "First seen", seen(job.first_seen_at, job.created_run_id, "first-seen-run"));
  fact(facts, "changed", "Last changed", seen(job.changed_at, job.changed_run_id, "changed-run"));
  fact(facts, "source", "Source", job.source);
  fact(facts, "external-id", "External id", job.external_id);
  fact(facts, "job-key", "Job key", job.job_key);
  fact(facts, "posting", "Posting", link(job.url));
  fact(facts, "apply", "Apply", link(job.apply_url));
  document.getElementById("summary").replaceChildren(facts);

  const description = document.getElementById("description");
  if (job.description_html) description.replaceChildren(descriptionFragment(job.description_html));
  else if (job.description_text) description.replaceChildren(el("p", {class: "plain-text", text: job.description_text}));
  document.getElementById("description-section").hidden = !(job.description_html || job.description_text);
}

async function load() {
  try {
    render(await api(`/api/jobs/${encodeURIComponent(jobKey)}`));
  } catch (error) {
    if (error.problem?.status !== 404) { showError(message, error); return; }
    document.getElementById("heading").textContent = "No such job";
    message.replaceChildren(`No such job: ${jobKey}. A job whose import failed was never stored. `,
      el("a", {href: "/jobs", text: "Back to all jobs"}));
  }
}

load();
live({subscribe: {types: []}, onFrame: () => {}, onOpen: () => {}});
