"""``python -m preflight_scanner``: the same program as the ``preflight`` console script."""

import sys

from .gcsettings import skip_final_collection, tune_for_run


def run() -> int:
    """A program run: the collector tuned for a scan's heap (before the imports, which
    allocate too), then the CLI, then an exit that does not collect what is left."""
    tune_for_run()
    from .cli import main

    code = main()
    skip_final_collection()
    return code


if __name__ == "__main__":
    sys.exit(run())
