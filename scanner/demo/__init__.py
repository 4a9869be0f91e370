"""`preflight demo`: the real scan path against moto, in-process, on a seeded estate."""

from .run import run_demo

__all__ = ["run_demo"]
