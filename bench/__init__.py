"""Benchmarks: scripts that print numbers. Never timed assertions."""
