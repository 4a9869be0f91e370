"""``python -m preflight_scanner``: the same program as the ``preflight`` console script."""

import sys

from .gcsettings import tune_for_run


def run() -> int:
    """A program run: the collector tuned for a scan's heap (before the imports, which
    allocate too), then the CLI."""
    tune_for_run()
    from .cli import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
