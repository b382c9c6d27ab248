"""Outside GitHub Actions (GITHUB_ACTIONS not "true"): plain text for another CI's log or a script."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import (
    RELEASE_BODY,
    TOKEN,
    Answer,
    FakeIftrue,
    Run,
    parse_commands,
    payload,
    run_action,
    runner_env,
)


def plain_env(tmp_path: Path, server: FakeIftrue, files: bool, **inputs: str) -> dict[str, str]:
    env = runner_env(tmp_path, "release", payload("release"), {"api_url": server.url, **inputs})
    del env["GITHUB_ACTIONS"]
    if not files:
        del env["GITHUB_OUTPUT"], env["GITHUB_STEP_SUMMARY"]
    return env


def check_plain(run: Run) -> None:
    assert run.commands == []
    lines = (run.stdout + run.stderr).splitlines()
    assert not [line for line in lines if line.lstrip().startswith("::")]
    assert TOKEN not in run.stdout + run.stderr  # never printed, not even to be masked


def test_created(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = run_action(plain_env(tmp_path, iftrue, files=True))
    assert run.code == 0, run.stderr
    check_plain(run)
    assert iftrue.posts[0].json() == RELEASE_BODY
    assert "Notice (track-deployment): Deployment recorded in iftrue (id 3f0c2a8e" in run.stdout
    assert run.stdout.splitlines()[-1] == "result=created deployment_id=3f0c2a8e-6b1d-4c55-9d0e-0a1b2c3d4e5f"
    assert run.outputs["result"] == "created"
    assert "### Deployment recorded in iftrue" in run.summary
    assert run.stderr == ""


@pytest.mark.parametrize("files", [True, False])
def test_outage_names_only_what_exists(tmp_path: Path, files: bool) -> None:
    with FakeIftrue(*[Answer(503, {"message": "down"})] * 5) as server:
        run = run_action(plain_env(tmp_path, server, files, timeout="1", fail_on_error="true"))
    assert run.code == 1
    check_plain(run)
    assert run.stdout.splitlines()[-1] == "result=failed"
    [error] = [line for line in run.stderr.splitlines() if line.startswith("Error")]
    assert error.startswith("Error (iftrue unavailable): iftrue at ")
    if files:
        assert "kept in the `payload` output and the job summary" in error
        assert run.outputs["result"] == "failed"
        assert json.loads(run.outputs["payload"]) == RELEASE_BODY
    else:
        assert sorted(p.name for p in tmp_path.iterdir()) == ["event.json"]  # no file written
        assert "`payload` output" not in run.stdout + run.stderr
        assert "job summary" not in run.stdout + run.stderr
        assert "The deployment record printed above can be sent again as INPUT_PAYLOAD (--payload)" in error
        start = run.stdout.index("{\n")
        assert json.loads(run.stdout[start : run.stdout.index("\n}\n", start) + 2]) == RELEASE_BODY


def test_warning_and_invalid_input(tmp_path: Path, iftrue: FakeIftrue) -> None:
    env = plain_env(tmp_path, iftrue, files=False, is_fix="yes")
    env["GITHUB_ACTIONS"] = "false"
    run = run_action(env)
    assert run.code == 1
    check_plain(run)
    # Given as a variable, not a flag: the message names the variable, then the flag.
    assert run.stderr == "Error (Invalid input): INPUT_IS_FIX (--is-fix) must be true or false, got 'yes'.\n"
    assert run.stdout == "result=failed\n"
    assert iftrue.requests == []


def test_dry_run_without_a_token(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = run_action(plain_env(tmp_path, iftrue, files=False, dry_run="true", token=""))
    assert run.code == 0
    check_plain(run)
    assert "Deployment record:" in run.stdout
    assert (
        "Warning (track-deployment): The deployment's pull request is unknown: no look-up of its pull "
        "request was made (INPUT_GITHUB_TOKEN (--github-token) is empty)"
    ) in run.stdout
    assert run.stdout.splitlines()[-1] == "result=dry_run"


def test_unusual_line_breaks_start_no_command(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # U+2028, U+2029 and U+0085 end a line for Python's splitlines() and some log viewers.
    data = payload("release")
    data["release"]["body"] = (
        "notes\u2028::error title=pwned::injected\u0085  ::add-mask::x\u2029::warning::y"
    )
    env = runner_env(tmp_path, "release", data, {"api_url": iftrue.url})
    del env["GITHUB_ACTIONS"]
    run = run_action(env)
    assert run.code == 0, run.stderr
    check_plain(run)
    for line in (run.stdout + run.stderr).splitlines():  # every line break any reader knows
        assert not line.lstrip().startswith("::"), line
    assert iftrue.posts[0].json()["changelog"] == data["release"]["body"]
    assert json.loads(run.outputs["payload"])["changelog"] == data["release"]["body"]


@pytest.mark.parametrize("actions", ["true", ""])
def test_an_unwritable_output_file_keeps_the_summary(tmp_path: Path, actions: str) -> None:
    with FakeIftrue(*[Answer(503, {"message": "down"})] * 5) as server:
        env = runner_env(tmp_path, "release", payload("release"), {"api_url": server.url, "timeout": "1"})
        env["GITHUB_OUTPUT"] = str(tmp_path / "missing" / "output")
        env["GITHUB_ACTIONS"] = actions
        run = run_action(env)
    assert run.code == 0
    assert "Could not write the step's outputs (" in run.stdout
    [outage] = [line for line in run.stdout.splitlines() if "answered 503" in line]
    assert "The record is kept in the job summary: run the action again" in outage
    assert "`payload` output" not in outage
    assert "### Deployment not recorded" in run.summary
    assert "the whole record is" not in run.summary  # the block is whole; no marker needed
    assert "<details><summary>Payload (JSON)</summary>" in run.summary


def test_hostile_text_forms_no_command_outside_actions(tmp_path: Path) -> None:
    # The image run from a workflow's `run:` step gets no GITHUB_ACTIONS, yet the runner reads
    # its log: neither `::cmd::` after spaces nor `##[cmd]` anywhere may come from the text.
    data = payload("release")
    data["release"]["name"] = "v2 ##[error]from the name"
    message = "bad title ##[warning]from iftrue"
    with FakeIftrue(Answer(422, {"message": message})) as server:
        env = runner_env(tmp_path, "release", data, {"api_url": server.url})
        del env["GITHUB_ACTIONS"]
        run = run_action(env)
    assert run.code == 1
    check_plain(run)
    assert parse_commands(run.stdout, run.stderr) == []
    assert "from iftrue" in run.stderr
    assert json.loads(run.outputs["payload"])["title"] == "v2 ##[error]from the name"


def test_an_address_in_a_message_stays_copyable(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # Only what the runner reads is defused: `::1` in the middle of a line is copied as printed.
    env = plain_env(tmp_path, iftrue, files=False)
    env["INPUT_API_URL"] = "http://192.0.2.1:9"
    run = run_action(env)
    assert run.code == 1
    check_plain(run)
    assert "accepted only for 127.0.0.1, ::1 and localhost" in run.stderr
    assert "\u2060" not in run.stdout + run.stderr
    assert iftrue.requests == []
