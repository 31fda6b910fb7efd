"""Processor: classifies and upserts jobs.

Consumes jobs.fetched; produces jobs.status (one per job) and jobs.fetched.dlq (poison messages);
owns the jobs collection, its only writer.

The store: `app.py` builds a `MongoJobStore` on the jobs collection and hands it to the handlers
(`handlers.import_batch`), which see it only as a `JobStore`; no handler looks a collection up.
Beanie only creates the indexes: `store.JobDocument` declares the collection and its indexes.
"""
