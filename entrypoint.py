#!/usr/bin/env python3
"""Container entry point: hand over to the package with the runner's environment."""

import gc
import os
import sys

# A run is one short process that allocates little: collecting cycles only slows its start
# (about 5% here, mostly while pydantic builds its schemas), and the memory returns at exit.
gc.disable()
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "src"))

from track_deployment.cancel import CancelOnSignal  # noqa: E402 - after the path is set

if __name__ == "__main__":
    # First, before the imports that take a quarter of a second: a cancel then is kept too.
    cancel = CancelOnSignal()
    cancel.install()
    from track_deployment.cli import run_cli

    sys.exit(run_cli(cancel=cancel))
