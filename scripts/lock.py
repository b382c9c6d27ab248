#!/usr/bin/env python3
"""Compile the hash-locked requirements from their .in files, or check that they are current.

  scripts/lock.py             recompile each lock; pins already in it are kept while the .in allows them
  scripts/lock.py --upgrade   recompile each lock to the newest versions the .in allows
  scripts/lock.py --check     recompile into a temporary copy; fail with the diff when a lock is stale

Each NAME.in (direct requirements) is compiled to NAME.txt with hashes and `# via` lines by
pip-tools. `make lock` and the check compile alike, with the options below, from the same
start: the lock's pins without its hashes. Every hash is computed from the index again, so
whatever the check finds stale (a file added upstream for a pinned version, a hash edited by
hand), `make lock` puts right.
"""

from __future__ import annotations

import argparse
import difflib
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# In this order: requirements-dev.in takes requirements.txt as a constraint.
LOCKS = ("requirements", "requirements-build", "requirements-dev")
# The header then names this very command, which is how Dependabot recompiles the lock alike.
OPTIONS = (
    "--quiet",
    "--generate-hashes",
    "--allow-unsafe",
    "--strip-extras",
    "--no-emit-index-url",
    "--no-emit-find-links",
    "--no-emit-trusted-host",
    "--no-reuse-hashes",
)


def compile_lock(root: Path, name: str, output: Path, extra: Sequence[str]) -> None:
    command = [sys.executable, "-m", "piptools", "compile", *OPTIONS, *extra]
    command += ["--output-file", str(output), f"{name}.in"]
    proc = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"pip-compile failed for {name}.in:\n{proc.stderr.strip()}")


def body(text: str) -> list[str]:
    """The lock without its header comment, which names the Python that compiled it."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    return lines[start:]


def pins(text: str) -> str:
    """A lock's requirement lines without their hashes: what pip-compile keeps, and nothing it checks."""
    lines = (line.removesuffix("\\").rstrip() for line in text.splitlines())
    return "".join(f"{line}\n" for line in lines if "==" in line and line[:1] not in ("", " ", "#"))


def recompile(root: Path, name: str, extra: Sequence[str]) -> str:
    """What NAME.in compiles to now, keeping the pins of NAME.txt that the .in still allows.

    The old lock is handed over without its hashes: pip would hold each download to them, so a
    wrong or missing hash could never be put right.
    """
    lock = root / f"{name}.txt"
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / lock.name
        fresh.write_text(pins(lock.read_text()) if lock.exists() else "")
        compile_lock(root, name, fresh, extra)
        # The header names the command that recompiles the lock in place.
        return fresh.read_text().replace(f"--output-file={fresh}", f"--output-file={lock.name}")


def stale(root: Path, name: str, fresh: str) -> list[str]:
    """The diff between NAME.txt and what it compiles to now; empty when the lock is current."""
    lock = root / f"{name}.txt"
    current = body(lock.read_text()) if lock.exists() else []
    return list(difflib.unified_diff(current, body(fresh), lock.name, "recompiled"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lock.py", description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", default=LOCKS, help=f"locks to handle (default: {' '.join(LOCKS)})"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="fail when a lock is stale, change nothing")
    mode.add_argument("--upgrade", action="store_true", help="move every pin to the newest allowed version")
    parser.add_argument("--root", type=Path, default=ROOT, help="folder of the .in and .txt files")
    parser.add_argument(
        "--pip-args", default="", help="more pip-compile options, e.g. '--no-index --find-links w'"
    )
    args = parser.parse_args(argv)
    extra = args.pip_args.split() + (["--upgrade"] if args.upgrade else [])
    failed = False
    for name in args.names:
        fresh = recompile(args.root, name, extra)
        if not args.check:
            (args.root / f"{name}.txt").write_text(fresh)
            continue
        diff = stale(args.root, name, fresh)
        if diff:
            failed = True
            sys.stdout.writelines(diff)
            print(
                f"\n{name}.txt is stale: it is not what {name}.in compiles to. Run `make lock` and commit it."
            )
        else:
            print(f"{name}.txt is current with {name}.in")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
