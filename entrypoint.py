#!/usr/bin/env python3
"""Container entry point: hand over to the package with the runner's environment."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "src"))

from track_deployment.main import run_cli

if __name__ == "__main__":
    sys.exit(run_cli())
