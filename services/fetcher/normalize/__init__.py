"""Normalize raw items into unique Jobs, and a failed status for each item that cannot become one."""
