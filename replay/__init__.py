"""Replay: a command-line tool that re-drives history from Kafka (not a long-running service).

Reads any topic by manual partition assignment, never committing for, or moving, the live
services' consumer groups. Writes jobs.fetched and imports.runs (`replay jobs`), import_logs
(`replay logs`, as the logger writes them) and source topics (`replay dlq --redrive`). Its own
consumer group records only how far the dead letters have been redriven.
"""
