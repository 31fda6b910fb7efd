"""Gateway: the HTML dashboard, the JSON API and the /ws fan-out, on one port.

Consumes jobs.status and imports.logs; produces imports.requested; reads import_logs, jobs and
feeds; owns no collection.
"""
