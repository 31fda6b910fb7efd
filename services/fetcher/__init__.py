"""Fetcher: schedules feeds, fetches them safely, parses and normalizes items into Jobs.

Consumes imports.requested; produces imports.runs, jobs.fetched, jobs.status (a failed status for
each item that cannot become a job) and imports.requested (the scheduler's requests).

Owns, in the store, the health fields of the `feeds` collection: `etag`, `last_modified`,
`last_attempt_at`, `last_success_at`, `consecutive_failures`, `last_error`, `next_check_at`, and
`url`/`previous_url`/`source` when a feed moved (permanent redirect, discovered feed). It also writes
the registry fields of `origin: file` entries from FEEDS_FILE; the gateway writes those of
`origin: api` entries. Owns, in Redis, the keys of `infra.redis_keys` under `fetcher:` (feed leases,
runs in flight, host turns, per-host request buckets) and the host pauses.

Storage: no Beanie. The registry's functions take the `feeds` collection as a parameter; the wiring
(`app.py`) builds it once from the database and hands it to the handlers in `Dependencies`, so no
code looks a collection up globally. Layout: `handlers.py` (what a request, the scheduler and
recovery do) and `run.py` (one run) join the four stages `download`, `parse`, `normalize` and
`registry`, which never import each other.
"""
