"""Processor: classifies and upserts jobs.

Consumes jobs.fetched; produces jobs.status (one per job) and jobs.fetched.dlq (poison messages);
owns the jobs collection.
"""
