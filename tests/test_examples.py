"""The README's quick start: `examples/dry-run.sh` works for every bundled event."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT, parse_outputs

EVENTS = sorted(path.stem for path in (ROOT / "examples" / "events").glob("*.json"))


@pytest.mark.parametrize("event", EVENTS)
def test_dry_run_example(event: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(ROOT / "examples" / "dry-run.sh"), event],
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    outputs_text, summary = proc.stdout.split("--- outputs\n")[1].split("--- job summary\n")
    outputs = parse_outputs(outputs_text.encode())
    assert outputs["result"] == "dry_run"
    assert json.loads(outputs["payload"])["commit_id"] == "9f2c1e4b7a3d5e6f8091a2b3c4d5e6f708192a3b"
    assert summary.startswith("### Deployment record (dry run, nothing sent)")
    assert list(tmp_path.iterdir()) == []  # its temporary folder is gone


def test_unknown_example_is_refused() -> None:
    proc = subprocess.run(
        [str(ROOT / "examples" / "dry-run.sh"), "nope"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "choose one of: deployment deployment_status" in proc.stderr
