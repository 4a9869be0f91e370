"""Preflight: checks that the preconditions your AWS runbooks rely on are in place."""

__version__ = "0.1.0"
