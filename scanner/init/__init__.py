"""`preflight init`: a starter preflight.yml, the read-only role and a GitHub workflow."""

from .run import InitOptions, run_init

__all__ = ["InitOptions", "run_init"]
