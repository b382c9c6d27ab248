"""Every class of bad input, run as a process: exit 1, one clear error, no traceback, nothing sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import EXPIRED_TOKEN, FakeIftrue, payload, run_action, runner_env

RECORD = {
    "title": "t",
    "branch": "main",
    "commit_id": "abc1234",
    "repository_url": "https://github.com/o/r",
    "member_id": "1",
    "pull_request_number": 1,
}
NOT_A_RELEASE = payload("push")

# (case id, inputs, runner variables, event name, event, what the error must say)
CASES: list[tuple[str, dict[str, str], dict[str, str], str, Any, str]] = [
    ("token missing", {"token": ""}, {}, "release", None, "Input 'token' is required"),
    ("token blank", {"token": "  \n "}, {}, "release", None, "Input 'token' is required"),
    ("token expired", {"token": EXPIRED_TOKEN}, {}, "release", None, "Input 'token' expired at"),
    (
        "token not utf-8",
        {},
        {"INPUT_TOKEN": "abc\udcff.def"},
        "release",
        None,
        "Input 'token' is not valid UTF-8",
    ),
    (
        "api_url plain http",
        {"api_url": "http://api.iftrue.co"},
        {},
        "release",
        None,
        "Input 'api_url' must be an https:// URL",
    ),
    (
        "api_url ftp",
        {"api_url": "ftp://127.0.0.1"},
        {},
        "release",
        None,
        "Input 'api_url' must be an http:// or https:// URL",
    ),
    (
        "api_url no host",
        {"api_url": "https://"},
        {},
        "release",
        None,
        "Input 'api_url' must be an http:// or https:// URL",
    ),
    (
        "api_url word",
        {"api_url": "iftrue"},
        {},
        "release",
        None,
        "Input 'api_url' must be an http:// or https:// URL",
    ),
    ("api_url query", {"api_url": "https://api.iftrue.co/?x=1"}, {}, "release", None, "without query"),
    ("api_url private ip http", {"api_url": "http://10.0.0.1"}, {}, "release", None, "only for 127.0.0.1"),
    ("is_fix yes", {"is_fix": "yes"}, {}, "release", None, "Input 'is_fix' must be true or false, got 'yes'"),
    ("is_hotfix 1", {"is_hotfix": "1"}, {}, "release", None, "Input 'is_hotfix' must be true or false"),
    ("is_forced on", {"is_forced": "on"}, {}, "release", None, "Input 'is_forced' must be true or false"),
    ("dry_run Y", {"dry_run": "Y"}, {}, "release", None, "Input 'dry_run' must be true or false"),
    (
        "fail_on_error maybe",
        {"fail_on_error": "maybe"},
        {},
        "release",
        None,
        "Input 'fail_on_error' must be true or false",
    ),
    (
        "commits_count negative",
        {"commits_count": "-1"},
        {},
        "release",
        None,
        "Input 'commits_count' must be a whole number",
    ),
    (
        "commits_count fraction",
        {"commits_count": "1.5"},
        {},
        "release",
        None,
        "Input 'commits_count' must be a whole number",
    ),
    (
        "commits_count huge",
        {"commits_count": "9" * 40},
        {},
        "release",
        None,
        "Input 'commits_count' must be a whole number",
    ),
    (
        "commits_count unicode digit",
        {"commits_count": "٣"},
        {},
        "release",
        None,
        "Input 'commits_count' must be a whole number",
    ),
    (
        "pull_request_number word",
        {"pull_request_number": "#12"},
        {},
        "release",
        None,
        "Input 'pull_request_number' must be a whole number",
    ),
    (
        "duration negative",
        {"deployment_duration": "-0.5"},
        {},
        "release",
        None,
        "Input 'deployment_duration' must be a number of minutes",
    ),
    (
        "duration nan",
        {"deployment_duration": "nan"},
        {},
        "release",
        None,
        "Input 'deployment_duration' must be a number of minutes",
    ),
    (
        "duration inf",
        {"deployment_duration": "inf"},
        {},
        "release",
        None,
        "Input 'deployment_duration' must be a number of minutes",
    ),
    (
        "duration unit",
        {"deployment_duration": "5m"},
        {},
        "release",
        None,
        "Input 'deployment_duration' must be a number of minutes",
    ),
    (
        "duration huge",
        {"deployment_duration": "1e300"},
        {},
        "release",
        None,
        "Input 'deployment_duration' must be a number of minutes",
    ),
    (
        "url not http",
        {"url": "javascript:alert(1)"},
        {},
        "release",
        None,
        "Input 'url' must be an http:// or https:// URL",
    ),
    (
        "url with space",
        {"url": "https://x.y/a b"},
        {},
        "release",
        None,
        "Input 'url' must be an http:// or https:// URL",
    ),
    (
        "repository_url relative",
        {"repository_url": "/o/r"},
        {},
        "release",
        None,
        "Input 'repository_url' must be an http:// or https:// URL",
    ),
    (
        "status unknown",
        {"status": "done"},
        {},
        "release",
        None,
        "Input 'status' must be one of succes, success",
    ),
    ("status skipped", {"status": "skipped"}, {}, "release", None, "Input 'status' must be one of"),
    (
        "member_id login",
        {"member_id": "octocat"},
        {},
        "release",
        None,
        "Input 'member_id' must be the numeric id",
    ),
    (
        "commit_id not hex",
        {"commit_id": "main"},
        {},
        "release",
        None,
        "Input 'commit_id' must be a commit SHA",
    ),
    (
        "title huge",
        {"title": "x" * 5000},
        {},
        "release",
        None,
        "Input 'title' must be a single line of at most 2048",
    ),
    (
        "changelog huge",
        {"changelog": "x\n" * 60000},
        {},
        "release",
        None,
        "Input 'changelog' is 120000 characters long",
    ),
    (
        "timeout zero",
        {"timeout": "0"},
        {},
        "release",
        None,
        "Input 'timeout' must be a number of seconds above 0",
    ),
    ("timeout word", {"timeout": "soon"}, {}, "release", None, "Input 'timeout' must be a number of seconds"),
    (
        "payload not json",
        {"payload": "{title: x}"},
        {},
        "release",
        None,
        "Input 'payload' must be a JSON object: Expecting property name",
    ),
    (
        "payload array",
        {"payload": "[1]"},
        {},
        "release",
        None,
        "Input 'payload' must be a JSON object, got a JSON list",
    ),
    (
        "payload unknown key",
        {"payload": json.dumps({**RECORD, "token": "x"})},
        {},
        "release",
        None,
        "unknown field(s) 'token'",
    ),
    (
        "payload wrong type",
        {"payload": json.dumps({**RECORD, "is_fix": "yes"})},
        {},
        "release",
        None,
        "is_fix: input should be a valid boolean",
    ),
    (
        "payload missing field",
        {"payload": json.dumps({k: v for k, v in RECORD.items() if k != "commit_id"})},
        {},
        "release",
        None,
        "commit_id: field required",
    ),
    (
        "payload bad status",
        {"payload": json.dumps({**RECORD, "status": "success"})},
        {},
        "release",
        None,
        "status: input should be 'succes'",
    ),
    (
        "payload negative count",
        {"payload": json.dumps({**RECORD, "commits_count": -2})},
        {},
        "release",
        None,
        "commits_count: input should be greater than or equal to 0",
    ),
    (
        "payload deeply nested",
        {"payload": "[" * 30000 + "]" * 30000},
        {},
        "release",
        None,
        "Input 'payload' is nested too deeply",
    ),
    (
        "event file missing",
        {},
        {"GITHUB_EVENT_PATH": "/nonexistent/event.json"},
        "release",
        None,
        "Cannot read the event file",
    ),
    (
        "event file is a directory",
        {},
        {"GITHUB_EVENT_PATH": "/"},
        "release",
        None,
        "Cannot read the event file",
    ),
    ("event not json", {}, {}, "release", b"{not json", "is not valid JSON"),
    ("event not utf-8", {}, {}, "release", b'{"action": "\xff"}', "is not UTF-8 text"),
    ("event is a list", {}, {}, "release", [1, 2], "must hold a JSON object, not a JSON list"),
    ("event of wrong shape", {}, {}, "release", NOT_A_RELEASE, "The release event has no 'release' object"),
    (
        "event field retyped",
        {},
        {},
        "release",
        {**payload("release"), "sender": "octocat"},
        "sender: input should be a valid dictionary",
    ),
    (
        "event deeply nested",
        {},
        {},
        "release",
        ("[" * 100000 + "]" * 100000).encode(),
        "is nested too deeply to be a GitHub event",
    ),
    (
        "no commit anywhere",
        {},
        {"GITHUB_SHA": ""},
        "workflow_dispatch",
        payload("workflow_dispatch"),
        "commit_id is unknown",
    ),
    (
        "no repository anywhere",
        {},
        {"GITHUB_REPOSITORY": "", "GITHUB_SERVER_URL": ""},
        "schedule",
        {},
        "repository_url is unknown",
    ),
    ("no actor anywhere", {}, {"GITHUB_ACTOR_ID": ""}, "schedule", {}, "member_id is unknown"),
    (
        "started_at word",
        {"started_at": "yesterday"},
        {},
        "release",
        None,
        "Input 'started_at' must be an ISO 8601",
    ),
    (
        "started_at without zone",
        {"started_at": "2026-11-20T10:00:00"},
        {},
        "release",
        None,
        "Input 'started_at' must be an ISO 8601 time with a zone",
    ),
    (
        "started_at in the future",
        {"started_at": "2999-01-01T00:00:00Z"},
        {},
        "release",
        None,
        "Input 'started_at' is in the future",
    ),
    (
        "started_at unix in the future",
        {"started_at": "99999999999"},
        {},
        "release",
        None,
        "Input 'started_at' is in the future",
    ),
    ("started_at negative", {"started_at": "-5"}, {}, "release", None, "Input 'started_at' must be"),
    ("started_at huge", {"started_at": "9" * 400}, {}, "release", None, "Input 'started_at' must be"),
]


@pytest.mark.parametrize(
    ("inputs", "env", "event_name", "event", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input(
    tmp_path: Path,
    iftrue: FakeIftrue,
    inputs: dict[str, str],
    env: dict[str, str],
    event_name: str,
    event: Any,
    expected: str,
) -> None:
    variables = runner_env(
        tmp_path,
        event_name,
        payload("release") if event is None else event,
        {"api_url": iftrue.url, **inputs},
    )
    variables.update(env)
    run = run_action(variables)
    assert run.code == 1, run.stdout
    assert len(run.errors) == 1, run.stdout
    assert expected in run.errors[0]
    assert "Traceback" not in run.stdout + run.stderr
    assert "Internal error" not in run.errors[0]
    assert iftrue.requests == []
    assert run.outputs["result"] == "failed"


def test_matrix_is_broad() -> None:
    assert len(CASES) >= 40
