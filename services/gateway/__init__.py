"""Gateway: the HTML dashboard, the JSON API and the /ws fan-out, on one port.

Consumes jobs.status and imports.logs (no consumer group: every replica hears every event, from its
start on) and reads the dead-letter topics by assignment, moving no one's offsets; produces
imports.requested. Reads import_logs, job_statuses, jobs and feed_health.

Owns, in the store, the registry, `feeds`, as its only writer: feeds added and edited through the
API (`origin: api`) and the entries of FEEDS_FILE (`origin: file`), synchronised at start; a feed is
disabled, never deleted. Owns, in Redis, the import-request buckets (`infra.redis_keys`,
`gateway:imports`) and reads the fetcher's host pauses.
"""
