"""The quick start: `examples/dry-run.sh` works for every bundled event and says only what it knows."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT

EVENTS = sorted(path.stem for path in (ROOT / "examples" / "events").glob("*.json"))
# What the demos' look-ups-off runs may not say: that a look-up found nothing.
FOUND_NOTHING = ("No pull request is associated", "GitHub knows no", "no pull request found")


def outputs_of(demo: str) -> dict[str, str]:
    """The outputs a demo shows, one `name: value` line each."""
    shown = demo.split("\n--- outputs\n")[1].split("\n--- job summary")[0]
    return dict(line.split(": ", 1) for line in shown.splitlines() if ": " in line)


def demo(event: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`examples/dry-run.sh EVENT`, its files kept under `tmp_path`."""
    proc = subprocess.run(
        [str(ROOT / "examples" / "dry-run.sh"), event],
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.mark.parametrize("event", EVENTS)
def test_dry_run_example(event: str, tmp_path: Path) -> None:
    proc = demo(event, tmp_path)
    outputs = outputs_of(proc.stdout)
    assert outputs["result"] == "dry_run"
    assert json.loads(outputs["payload"])["commit_id"] == "9f2c1e4b7a3d5e6f8091a2b3c4d5e6f708192a3b"
    # The summary as a person reads it: no delimiters, no HTML entities, no Markdown table syntax.
    kept = tmp_path / "track-deployment-demo" / event / "summary.md"
    head, summary = proc.stdout.split(f"\n--- job summary (the Markdown file: {kept})\n")
    assert summary.lstrip().startswith("Deployment record (dry run, nothing sent)\n═")
    assert "ghadelimiter_" not in proc.stdout
    assert not re.search(r"&#?\w+;|<a href|\| ---", summary), summary
    assert re.search(r"^commit_id +9f2c1e4b7a3d5e6f8091a2b3c4d5e6f708192a3b +event: ", summary, re.MULTILINE)
    assert kept.read_text().startswith("### Deployment record")  # the file stays, where it says
    check_demo_messages(head, summary)


def check_demo_messages(log: str, summary: str = "") -> None:
    """A demo's messages make sense for a run without look-ups, and agree with its summary."""
    messages = [line for line in log.splitlines() if line.startswith(("Error", "Warning", "Notice"))]
    assert not [m for m in messages if m.startswith("Error")], messages
    for message in messages:
        assert not any(claim in message for claim in FOUND_NOTHING), message
        assert "${{" not in message and "::" not in message, message
        if "look-up" in message:  # a look-up is mentioned: it says none was made, and how to make one
            assert "was made (the github_token input is empty)" in message, message
            assert "to turn look-ups on" in message, message
            # The summary gives the same reason, in the same words.
            assert not summary or "was made (the github_token input is empty)" in summary, summary


@pytest.mark.parametrize("event", ["schedule", "workflow_dispatch"])
def test_demo_titles_name_the_workflow_of_the_event(event: str, tmp_path: Path) -> None:
    proc = demo(event, tmp_path)
    title = json.loads(outputs_of(proc.stdout)["payload"])["title"]
    assert title == {"schedule": "Nightly deploy #42", "workflow_dispatch": "Manual deploy #42"}[event]


@pytest.mark.parametrize(
    ("event", "number", "branch"),
    [
        ("push", 412, "feature/checkout"),
        ("workflow_run", 412, "fix/rounding"),
        ("pull_request", 412, "fix/rounding"),
    ],
)
def test_demo_names_the_pull_request_it_knows_without_a_look_up(
    event: str, number: int, branch: str, tmp_path: Path
) -> None:
    proc = subprocess.run(
        [str(ROOT / "examples" / "dry-run.sh"), event],
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    record = json.loads(outputs_of(proc.stdout)["payload"])
    assert (record["pull_request_number"], record["branch"]) == (number, branch)
    assert "pull_request_number is 0" not in proc.stdout


def test_unknown_example_is_refused() -> None:
    proc = subprocess.run(
        [str(ROOT / "examples" / "dry-run.sh"), "nope"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "choose one of: deployment deployment_status" in proc.stderr


def test_the_release_demo_shows_what_the_look_ups_add(tmp_path: Path) -> None:
    """The default demo reads the bundled fake GitHub: the PR, the count, the jobs and their chart."""
    proc = demo("release", tmp_path)
    record = json.loads(outputs_of(proc.stdout)["payload"])
    assert (record["pull_request_number"], record["branch"], record["commits_count"]) == (
        412,
        "fix/rounding",
        3,
    )
    summary = proc.stdout.split("\n--- job summary")[1]
    assert "look-up: PR #412 head branch" in summary
    assert "(mermaid:)" in summary and "gantt" in summary and "waited :done" in summary
    assert "not counted: the 30-minute wait on deploy" in summary


def test_the_demo_printer_never_prints_a_workflow_command(tmp_path: Path) -> None:
    """What the action escaped (an event's `%0A::error::`, a `##[` in a commit), show.py unescapes
    to show it: it must not come back as a command a runner would act on."""
    log = tmp_path / "log"
    log.write_text("::notice title=x::environment 'staging%0A::error title=pwned::injected'\n")
    output = tmp_path / "output"
    output.write_text("result<<EOF\ndry_run\nEOF\n")
    summary = tmp_path / "summary.md"
    summary.write_text(
        "### Record\n\n| field | value |\n| --- | --- |\n| `title` | &#35;&#35;&#91;warning&#93; x |\n"
    )
    shown = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "show.py"), str(log), str(output), str(summary)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "injected" in shown and "warning" in shown  # shown, as text
    assert not re.search(r"^\s*::", shown, re.MULTILINE) and "##[" not in shown, shown
