"""Record a deployment in iftrue from a GitHub Actions run."""

__version__ = "1.0.0"
