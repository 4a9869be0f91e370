"""Sending a saved report elsewhere: Security Hub (a write, apart from the read-only scan) and
chat notifications. Nothing here runs during `preflight scan`."""
