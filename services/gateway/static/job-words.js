"use strict";
// A job's fields in plain words, shared by the jobs list and the job page.
const WORKPLACE = {ON_SITE: "on-site", HYBRID: "hybrid", REMOTE: "remote"};
const EMPLOYMENT = {FULL_TIME: "full-time", PART_TIME: "part-time", CONTRACTOR: "contractor",
  TEMPORARY: "temporary", INTERN: "internship", VOLUNTEER: "volunteer", PER_DIEM: "per diem", OTHER: "other"};

// Keys hold "/" and ":" (a source and a URL): one path segment, encoded.
function jobPath(jobKey) {
  return `/jobs/${encodeURIComponent(jobKey)}`;
}

function workplaceWords(job) {
  if (job.workplace_type) return WORKPLACE[job.workplace_type] || job.workplace_type;
  return job.remote ? "remote" : "";
}

function employmentWords(job) {
  return job.employment_types.map(type => EMPLOYMENT[type] || type).join(", ");
}

function placeWords(job) {
  return job.locations.map(place => place.raw).join("; ");
}
