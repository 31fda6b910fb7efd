"""Contracts shared by every service: the Job model, the events and the topic names.

Imports only pydantic and the standard library.
"""
