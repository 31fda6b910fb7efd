"""Gateway: the HTML dashboard, the JSON API and the /ws fan-out, on one port.

Consumes jobs.status and imports.logs (no consumer group: every replica hears every event, from its
start on) and reads the dead-letter topics by assignment, moving no one's offsets; produces
imports.requested. Reads import_logs, job_statuses, jobs and feeds.

Writes, in the store, the registry fields of feeds added or edited through the API (`id`, `url`,
`interval_minutes`, `enabled`, `source`, `max_bytes`, `field_map`, marked `origin: api`; never
deleted). Of the health fields, which the fetcher owns, it sets only a new feed's first
`next_check_at` (due at once) and `consecutive_failures`, and clears `etag`, `last_modified` and
`previous_url` when an edit changes the url. Owns, in Redis, the import-request
buckets (`infra.redis_keys`, `gateway:imports`) and reads the fetcher's host pauses.
"""
