"""`pip install .` gives an importable package with a `track-deployment` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support import ROOT


def test_pip_install_gives_the_command(tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    [dist] = list(target.glob("track_deployment-*.dist-info"))
    assert "track-deployment = track_deployment.main:run_cli" in (dist / "entry_points.txt").read_text()
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from track_deployment.main import run_cli; raise SystemExit(run_cli(['--version']))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert out.stdout == "track-deployment 1.0.0\n"
    assert (
        str(target)
        in subprocess.run(
            [sys.executable, "-c", "import track_deployment; print(track_deployment.__file__)"],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
        ).stdout
    )
