"""Fetcher: schedules feeds, fetches them safely, parses and normalizes items into Jobs.

Consumes imports.requested; produces imports.runs, jobs.fetched, jobs.status (for invalid
items); owns the feeds collection.
"""
