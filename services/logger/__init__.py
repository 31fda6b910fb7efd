"""Logger: keeps one ImportLog per run with exact counts and decides when a run is over.

Consumes imports.runs and jobs.status; produces imports.logs; owns the import_logs and
job_statuses collections.
"""
