"""The quick start: `examples/dry-run.sh` works for every bundled event and says only what it knows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT, parse_outputs

EVENTS = sorted(path.stem for path in (ROOT / "examples" / "events").glob("*.json"))
# What the demos' look-ups-off runs may not say: that a look-up found nothing.
FOUND_NOTHING = ("No pull request is associated", "GitHub knows no", "no pull request found")


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
    check_demo_messages(proc.stdout + proc.stderr)


def check_demo_messages(log: str) -> None:
    """A demo's messages make sense for a run without look-ups, outside GitHub Actions."""
    messages = [line for line in log.splitlines() if line.startswith(("Error", "Warning", "Notice"))]
    assert not [m for m in messages if m.startswith("Error")], messages
    for message in messages:
        assert not any(claim in message for claim in FOUND_NOTHING), message
        assert "${{" not in message and "Input '" not in message, message
        if "look-up" in message:  # a look-up is mentioned: it says none was made, and how to make one
            assert "was made (INPUT_GITHUB_TOKEN (--github-token) is empty)" in message, message
            assert "to turn look-ups on" in message, message


@pytest.mark.parametrize(
    ("event", "number", "branch"),
    [
        ("push", 412, "feature/checkout"),
        ("workflow_run", 412, "fix/rounding"),
        ("pull_request", 412, "fix/rounding"),
    ],
)
def test_demo_names_the_pull_request_it_knows_without_a_look_up(event: str, number: int, branch: str) -> None:
    proc = subprocess.run(
        [str(ROOT / "examples" / "dry-run.sh"), event],
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        check=True,
    )
    outputs = parse_outputs(proc.stdout.split("--- outputs\n")[1].split("--- job summary\n")[0].encode())
    record = json.loads(outputs["payload"])
    assert (record["pull_request_number"], record["branch"]) == (number, branch)
    assert "pull_request_number is 0" not in proc.stdout


def test_unknown_example_is_refused() -> None:
    proc = subprocess.run(
        [str(ROOT / "examples" / "dry-run.sh"), "nope"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "choose one of: deployment deployment_status" in proc.stderr
