"""`python -m track_deployment`: the same command as `track-deployment`."""

import sys

from .cli import run_cli

sys.exit(run_cli())
