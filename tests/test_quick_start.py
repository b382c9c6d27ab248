"""The README's Quick start on a fresh clone: a light demo, then `make clean` leaves the tree as cloned.

It installs the runtime requirements from a package index, as a newcomer's first command does;
where pip cannot reach one, it is skipped (and says so), never failed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import ROOT
from test_examples import check_demo_messages, outputs_of

# One worker runs them all, so the clone and its demo environment are made once.
pytestmark = [pytest.mark.network, pytest.mark.xdist_group("quick_start")]

# The Quick start's promise for `make dry-run` on a fresh clone; its time is measured in
# BENCHMARKS.md, not here, where the machine's load decides it.
DEMO_MEGABYTES = 90
# pip's words when no index answers: the only reason to skip.
OFFLINE = (
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
)


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


def make(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(clone)),
        "PYTHON": sys.executable,
        # The demo keeps its files under $TMPDIR: the clone's own, so no other demo shares them.
        "TMPDIR": str(clone.parent),
        **{k: v for k, v in os.environ.items() if k.startswith("PIP_")},  # a configured mirror
    }
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if shutil.which("make") is None or shutil.which("git") is None:
        pytest.skip("the Quick start needs make and git")
    where = tmp_path_factory.mktemp("fresh") / "track-deployment"
    # The committed tree, as a newcomer gets it.
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(where)], check=True)
    yield where
    shutil.rmtree(where, ignore_errors=True)


@pytest.fixture(scope="module")
def first_demo(clone: Path) -> subprocess.CompletedProcess[str]:
    run = make(clone, "dry-run")
    if run.returncode != 0 and any(sign in run.stdout + run.stderr for sign in OFFLINE):
        pytest.skip(f"pip cannot reach a package index: {run.stderr.strip().splitlines()[-1]}")
    return run


def test_the_demo_is_light(clone: Path, first_demo: subprocess.CompletedProcess[str]) -> None:
    run = first_demo
    assert run.returncode == 0, run.stdout + run.stderr
    venv = clone / ".venv-demo"
    assert size_mb(venv) <= DEMO_MEGABYTES, f".venv-demo is {size_mb(venv):.0f} MB"
    assert not (clone / ".venv").exists()  # the development tools wait for `make test`
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    names = {package["name"].lower() for package in json.loads(installed.stdout)}
    assert {"pygithub", "pydantic", "requests"} <= names
    assert not names & {"mypy", "ruff", "pytest", "hypothesis", "zizmor"}
    assert "runtime requirements only" in run.stdout


def test_every_demo_runs_and_makes_sense(clone: Path, first_demo: subprocess.CompletedProcess[str]) -> None:
    assert first_demo.returncode == 0
    for event in sorted(p.stem for p in (clone / "examples" / "events").glob("*.json")):
        run = make(clone, "dry-run", f"EVENT={event}")
        assert run.returncode == 0, run.stdout + run.stderr
        assert "demo: creating" not in run.stdout  # set up once
        assert outputs_of(run.stdout)["result"] == "dry_run", event
        check_demo_messages(run.stdout + run.stderr)


def test_clean_leaves_the_tree_as_cloned(clone: Path, first_demo: subprocess.CompletedProcess[str]) -> None:
    # What a build, `pip install .` and the tests leave: build/, *.egg-info, dist/, __pycache__.
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            "dist",
            ".",
        ],
        cwd=clone,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    subprocess.run([sys.executable, "-c", "import track_deployment.main"], cwd=clone / "src", check=True)
    (clone / ".pytest_cache").mkdir()
    left = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"], cwd=clone, capture_output=True, text=True, check=True
    ).stdout
    assert {"!! build/", "!! dist/", "!! .venv-demo/", "!! src/track_deployment/__pycache__/"} <= set(
        left.splitlines()
    ), left
    run = make(clone, "clean")
    assert run.returncode == 0, run.stderr
    left = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"], cwd=clone, capture_output=True, text=True, check=True
    ).stdout
    assert left == ""
