"""Hostile text in the event, the inputs, or GitHub's and iftrue's answers cannot add or change
an output, nor form a workflow command in either of the runner's syntaxes.

Every line printed is read by the port of the runner's command recognition in support.py.
"""

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
        # The legacy syntax counts anywhere in a line (actions/runner, ActionCommand.TryParse).
        "##[error]Deploy failed",
        "release notes: ##[warning title=pwned]injected",
        "x ##[stop-commands]silenced",
        "##[set-output name=result;]created",
        "  ##[add-mask]nothing",
        # Leading whitespace of any kind before `::` (ActionCommand.TryParseV2 trims it).
        "\u2003\t::error title=pwned::injected",
        "\u3000::notice::injected",
    ]
)
# What the hostile commands would say: no command may start with one of these.
MARKERS = ("injected", "Deploy failed", "silenced", "nothing", "created", "encoded")
EXPECTED_OUTPUTS = {"result", "deployment_id", "payload", "response"}


def hostile_release() -> dict[str, object]:
    data = payload("release")
    data["release"].update(name=HOSTILE, body=HOSTILE, tag_name="v9")
    return data


def token_masks() -> list[str]:
    """What the action masks for the iftrue token: the token, then its JWT payload and signature
    (the header is the same in every JWT of its kind)."""
    from support import TOKEN

    return [TOKEN, *TOKEN.split(".")[1:]]


def check(run, allowed: set[str], masks: int = len(token_masks())) -> None:  # type: ignore[no-untyped-def]
    assert set(run.outputs) == EXPECTED_OUTPUTS
    assert {c.name for c in run.commands} <= allowed, [c for c in run.commands]
    # The hostile lines may be quoted inside one annotation, but never become commands of their own.
    assert not [
        c for c in run.commands if c.properties.get("title") == "pwned" or c.message.startswith(MARKERS)
    ]
    assert [c.name for c in run.commands].count("add-mask") == masks
    # Nothing silenced the action's own commands: its last line is one the runner acts on.
    assert run.commands[-1].name in ("notice", "warning", "error"), run.stdout[-500:]


def test_hostile_event_text(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = run_action(runner_env(tmp_path, "release", hostile_release(), {"api_url": iftrue.url}))
    assert run.code == 0
    check(run, {"add-mask", "group", "endgroup", "notice", "warning"})
    assert [c.message for c in run.commands if c.name == "add-mask"] == token_masks()
    sent = iftrue.posts[0].json()
    assert sent["title"] == HOSTILE and sent["changelog"] == HOSTILE
    assert json.loads(run.outputs["payload"]) == sent
    assert run.outputs["result"] == "created"
    assert run.outputs["deployment_id"] == "3f0c2a8e-6b1d-4c55-9d0e-0a1b2c3d4e5f"
    assert json.loads(run.outputs["response"])["title"] == HOSTILE


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
        # An id of many lines is no id: recorded, with a warning. The answer itself still reaches
        # the `response` output whole: the output file's delimiters hold against it.
        assert run.outputs["deployment_id"] == ""
        assert any("not one short word" in w for w in run.warnings)
        assert json.loads(run.outputs["response"])["message"] == HOSTILE
    elif status == 422:
        assert "::error title=pwned::injected" in run.errors[0]  # shown as text, inside one annotation


def test_hostile_text_in_summary_is_inert(tmp_path: Path, iftrue: FakeIftrue) -> None:
    data = hostile_release()
    data["release"]["name"] = "<img src=x onerror=alert(1)> | </details>"
    run = run_action(runner_env(tmp_path, "release", data, {"api_url": iftrue.url}))
    assert "<img" not in run.summary
    assert "&lt;img src=x onerror=alert&#40;1&#41;&gt; &#124; &lt;/details&gt;" in run.summary


def test_hostile_inputs(tmp_path: Path, iftrue: FakeIftrue) -> None:
    one_line = "Deploy ##[error]Deploy failed ::warning::injected"
    inputs = {"api_url": iftrue.url, "title": one_line, "changelog": HOSTILE, "branch": "##[stop-commands]x"}
    run = run_action(runner_env(tmp_path, "release", payload("release"), inputs))
    assert run.code == 0, run.stdout
    check(run, {"add-mask", "group", "endgroup", "notice", "warning"})
    assert iftrue.posts[0].json()["changelog"] == HOSTILE
    assert json.loads(run.outputs["payload"])["title"] == one_line


def test_hostile_github_answers(tmp_path: Path, iftrue: FakeIftrue) -> None:
    from support import GITHUB_TOKEN, SHA, FakeGitHub, github_pull

    pull = github_pull(7, SHA, "##[error]injected", title="Fix ##[warning]injected ::error::injected")
    pull["labels"] = [{"name": "##[error]injected"}]
    with FakeGitHub({"pulls": Answer(200, [pull])}) as github:
        env = runner_env(tmp_path, "workflow_dispatch", payload("workflow_dispatch"), {"api_url": iftrue.url})
        env.update(GITHUB_API_URL=github.api_url, INPUT_GITHUB_TOKEN=GITHUB_TOKEN)
        run = run_action(env)
    assert run.code == 0, run.stdout
    assert "pulls" in github.routes
    check(
        run, {"add-mask", "group", "endgroup", "notice", "warning"}, masks=len(token_masks()) + 2
    )  # the GitHub token, and it without `ghs_`
    sent = iftrue.posts[0].json()
    assert (sent["title"], sent["branch"]) == (pull["title"], "##[error]injected")


@pytest.mark.parametrize("debug", ["0", "1"])
def test_hostile_text_with_a_traceback(tmp_path: Path, debug: str) -> None:
    with FakeIftrue(Answer(422, {"message": HOSTILE})) as iftrue:
        env = runner_env(tmp_path, "release", hostile_release(), {"api_url": iftrue.url})
        env["RUNNER_DEBUG"] = debug
        run = run_action(env)
    assert run.code == 1
    check(run, {"add-mask", "group", "endgroup", "warning", "error"})
    assert ("Traceback (most recent call last)" in run.stdout) is (debug == "1")


def test_record_in_the_log_is_inert_json(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = run_action(runner_env(tmp_path, "release", hostile_release(), {"api_url": iftrue.url}))
    # The record is printed as JSON in which `##[` is written `#\u0023[`: copied from the log, it
    # is the same record, and no runner reads a command in it.
    start = run.stdout.index("{\n")
    record = json.loads(run.stdout[start : run.stdout.index("\n}\n", start) + 2])
    assert record == iftrue.posts[0].json()
    assert "##[" not in run.stdout[start:]
    assert "##[" not in run.outputs["payload"]


def test_a_lone_surrogate_in_the_event_is_replaced(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # JSON may escape half of a UTF-16 pair on its own; no UTF-8 output could hold it as is.
    raw = json.dumps(payload("release")).replace('"body": "', '"body": "\\ud800 \\udfff ', 1)
    run = run_action(runner_env(tmp_path, "release", raw.encode(), {"api_url": iftrue.url}))
    assert run.code == 0, run.stdout
    assert "Internal error" not in run.stdout
    sent = iftrue.posts[0].json()
    assert sent["changelog"].startswith("\ufffd \ufffd ## What's changed")
    assert json.loads(run.outputs["payload"]) == sent
    assert run.outputs["result"] == "created"
