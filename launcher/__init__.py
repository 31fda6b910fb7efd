"""Runs the whole system on one machine: the four services as processes, a demo feed server.

Used by `make run` and by the end-to-end tests; not a service.
"""
