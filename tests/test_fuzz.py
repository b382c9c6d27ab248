"""Property-based tests: mutated real payloads either give a valid record or one clear error.

The default profile runs a quick sample; `make fuzz` (HYPOTHESIS_PROFILE=long) runs thousands.
"""

from __future__ import annotations

import copy
import io
import json
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from support import parse_commands, parse_outputs, payload, runner_env

from track_deployment.main import main
from track_deployment.schema import DeploymentRequest

settings.register_profile(
    "default", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "long", max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

EVENTS = {
    "release": "release",
    "deployment": "deployment",
    "deployment_status": "deployment_status",
    "push": "push",
    "pull_request": "pull_request",
    "pull_request_target": "pull_request",
    "workflow_run": "workflow_run",
    "workflow_dispatch": "workflow_dispatch",
    "schedule": "schedule",
}
ALLOWED_COMMANDS = {"add-mask", "group", "endgroup", "notice", "warning", "error"}

nasty_text = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(
            [
                *("\n", "\r", "\x00", "\x1b", "::", "%", "\u2028", "<", "|", "ghadelimiter_", "=", "<<"),
                # Both of the runner's command syntaxes (ActionCommand.TryParseV2 and TryParse).
                *("::error::", "##[", "##[error]", "##[stop-commands]", "]", "\u2003::warning::", "%0A"),
            ]
        ),
    ),
    max_size=20,
).map("".join)
# An event file may escape half of a UTF-16 pair on its own (`"\\ud800"`); json.loads keeps it.
lone_surrogates = st.lists(
    st.one_of(st.characters(codec="utf-8"), st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff"])),
    min_size=1,
    max_size=6,
).map("".join)
junk = st.one_of(
    st.none(),
    lone_surrogates,
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    nasty_text,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:3]):
            found += paths(value, (*prefix, index))
    return found


def apply(data: Any, path: tuple[Any, ...], op: str, value: Any) -> None:
    parent = data
    for key in path[:-1]:
        try:
            parent = parent[key]
        except (KeyError, IndexError, TypeError):
            return
    last = path[-1]
    try:
        current = parent[last]
    except (KeyError, IndexError, TypeError):
        return
    if op == "remove" and isinstance(parent, dict):
        del parent[last]
    elif op == "null":
        parent[last] = None
    elif op == "garble" and isinstance(current, str):
        parent[last] = current + (value if isinstance(value, str) else "\u0000\n::x")
    else:
        parent[last] = value


@st.composite
def mutated_events(draw: st.DrawFn) -> tuple[str, Any]:
    event_name = draw(st.sampled_from(sorted(EVENTS)))
    data = copy.deepcopy(payload(EVENTS[event_name]))
    candidates = paths(data)
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        path = draw(st.sampled_from(candidates))
        apply(data, path, draw(st.sampled_from(["remove", "null", "retype", "garble"])), draw(junk))
    return event_name, data


def run_in_process(
    tmp: Path, event_name: str, data: Any, extra: dict[str, str] | None = None
) -> tuple[int, str, dict[str, str]]:
    for name in ("output", "summary.md"):
        (tmp / name).unlink(missing_ok=True)
    env = runner_env(tmp, event_name, data, {"dry_run": "true", "token": ""})
    env.update(extra or {})
    stream = io.StringIO()
    code = main(env, stream)
    return code, stream.getvalue(), parse_outputs((tmp / "output").read_bytes())


def check(code: int, stdout: str, outputs: dict[str, str]) -> None:
    assert "Traceback" not in stdout
    assert "Internal error" not in stdout, stdout
    # Every line, read as the runner reads it: only the action's own commands, none silenced.
    commands = parse_commands(stdout)
    assert {c.name for c in commands} <= ALLOWED_COMMANDS
    assert commands[-1].name in ("notice", "warning", "error"), stdout[-400:]
    assert set(outputs) == {"result", "deployment_id", "payload", "response"}
    event(f"result={outputs['result']}")
    if code == 0:
        assert outputs["result"] in ("dry_run", "skipped")
        if outputs["result"] == "dry_run":
            DeploymentRequest.model_validate(json.loads(outputs["payload"]))
    else:
        assert code == 1
        assert outputs["result"] == "failed"
        assert len([c for c in commands if c.name == "error"]) == 1


@given(mutated_events())
def test_mutated_payloads(tmp_path_factory: Any, event: tuple[str, Any]) -> None:
    tmp = tmp_path_factory.mktemp("fuzz", numbered=True)
    check(*run_in_process(tmp, *event))


@given(
    st.sampled_from(sorted(EVENTS)),
    st.dictionaries(
        st.sampled_from(
            [
                "title",
                "changelog",
                "branch",
                "status",
                "commits_count",
                "deployment_duration",
                "is_fix",
                "url",
                "member_id",
                "payload",
                "timeout",
            ]
        ),
        nasty_text,
        max_size=4,
    ),
)
def test_nasty_inputs(tmp_path_factory: Any, event_name: str, inputs: dict[str, str]) -> None:
    tmp = tmp_path_factory.mktemp("fuzz", numbered=True)
    extra = {f"INPUT_{k.upper()}": v.replace("\x00", "") for k, v in inputs.items()}
    check(*run_in_process(tmp, event_name, payload(EVENTS[event_name]), extra))
