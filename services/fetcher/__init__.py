"""Fetcher: schedules feeds, fetches them safely, parses and normalizes items into Jobs.

Consumes imports.requested; produces imports.runs, jobs.fetched, jobs.status (a failed status for
each item that cannot become a job) and imports.requested (the scheduler's requests).

Owns, in the store, the `feed_health` collection, as its only writer: each feed's validators,
schedule (`next_check_at`), last attempt, success and error, consecutive failures, and where the feed
moved (permanent redirect, discovered feed). Reads the registry, `feeds`, which the gateway writes.
Owns, in Redis, the keys of `infra.redis_keys` under `fetcher:` (feed leases, runs in flight, host
turns, per-host request buckets) and the host pauses.

Storage: no Beanie. The registry's functions take the two collections (`registry.Feeds`) as a
parameter; the wiring (`app.py`) builds them once from the database and hands them to the handlers
in `Dependencies`, so no code looks a collection up globally. Layout: `handlers.py` (what a
request, the scheduler and recovery do) and `run.py` (one run) join the four stages `download`,
`parse`, `normalize` and `registry`, which never import each other.
"""
