"""Preflight's built-in policy pack: one YAML file per policy, runbooks/ beside them.

This package holds data only; it is a package so the files ship with a plain pip install.
"""
