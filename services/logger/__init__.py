"""Logger: keeps one ImportLog per run with exact counts and decides when a run is over.

Consumes imports.runs and jobs.status; produces imports.logs, imports.runs.dlq and jobs.status.dlq
(poison messages); owns, as their only writer, the import_logs, job_statuses and open_runs
collections.

The store: `app.py` builds a `RunStore` on those three collections and hands it to the handlers
(`handlers.count_batch`, `handlers.keep_sweeping`); no handler looks a collection up. Beanie only
creates the indexes: the documents in `store.py` declare each collection and its indexes.
"""
