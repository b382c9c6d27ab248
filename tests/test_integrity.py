"""Hostile text in the event or in the service's answers cannot add or change an output, nor run a command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import Answer, FakeIftrue, payload, run_action, runner_env

HOSTILE = "\n".join(
    [
        "v9 ::error title=pwned::injected",
        "result=created",
        "deployment_id<<EOF",
        "evil",
        "EOF",
        "ghadelimiter_00000000000000000000000000000000",
        "::set-output name=result::created",
        "::add-mask::nothing",
        "%0A::warning::encoded",
        "::stop-commands::abc",
        "::abc::",
    ]
)
EXPECTED_OUTPUTS = {"result", "deployment_id", "payload", "response"}


def hostile_release() -> dict[str, object]:
    data = payload("release")
    data["release"].update(name=HOSTILE, body=HOSTILE, tag_name="v9")
    return data


def check(run, allowed: set[str]) -> None:  # type: ignore[no-untyped-def]
    assert set(run.outputs) == EXPECTED_OUTPUTS
    assert {c.name for c in run.commands} <= allowed, [c for c in run.commands]
    # The hostile lines may be quoted inside one annotation, but never become commands of their own.
    assert not [
        c for c in run.commands if c.properties.get("title") == "pwned" or c.message.startswith("injected")
    ]
    assert [c.name for c in run.commands].count("add-mask") == 1


def test_hostile_event_text(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = run_action(runner_env(tmp_path, "release", hostile_release(), {"api_url": iftrue.url}))
    assert run.code == 0
    check(run, {"add-mask", "group", "endgroup", "notice", "warning"})
    assert [c.message for c in run.commands if c.name == "add-mask"] == [run_env_token()]
    sent = iftrue.posts[0].json()
    assert sent["title"] == HOSTILE and sent["changelog"] == HOSTILE
    assert json.loads(run.outputs["payload"]) == sent
    assert run.outputs["result"] == "created"
    assert run.outputs["deployment_id"] == "3f0c2a8e-6b1d-4c55-9d0e-0a1b2c3d4e5f"
    assert json.loads(run.outputs["response"])["title"] == HOSTILE


def run_env_token() -> str:
    from support import TOKEN

    return TOKEN


@pytest.mark.parametrize("status", [201, 422, 503])
def test_hostile_service_answers(tmp_path: Path, status: int) -> None:
    body = {"id": HOSTILE, "message": HOSTILE}
    with FakeIftrue(*[Answer(status, body)] * 5) as iftrue:
        run = run_action(
            runner_env(tmp_path, "release", hostile_release(), {"api_url": iftrue.url, "timeout": "3"})
        )
    check(run, {"add-mask", "group", "endgroup", "notice", "warning", "error"})
    assert run.outputs["result"] == ("created" if status == 201 else "failed")
    if status == 201:
        assert run.outputs["deployment_id"] == HOSTILE
    elif status == 422:
        assert "::error title=pwned::injected" in run.errors[0]  # shown as text, inside one annotation


def test_hostile_text_in_summary_is_inert(tmp_path: Path, iftrue: FakeIftrue) -> None:
    data = hostile_release()
    data["release"]["name"] = "<img src=x onerror=alert(1)> | </details>"
    run = run_action(runner_env(tmp_path, "release", data, {"api_url": iftrue.url}))
    assert "<img" not in run.summary
    assert "&lt;img src=x onerror=alert(1)&gt; &#124; &lt;/details&gt;" in run.summary
