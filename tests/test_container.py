"""The action's image, run the way GitHub's runner runs a Docker action.

Needs a Docker engine; `make test` uses the one that runs or starts one where it can, and
builds the image once before the tests (scripts/test.sh, scripts/docker-engine.sh). Run alone,
the fixture builds it. Where no engine can run, these tests skip and say why, unless
TRACK_DEPLOYMENT_REQUIRE_DOCKER=1 (as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import CONTAINER_SKIP, ROOT, SHA, TOKEN, Answer, FakeIftrue, Run, collect, payload
from test_cancel import RETRY_AFTER, cancel, check_cancelled
from test_integrity import check, hostile_release
from test_limits import big_push

from track_deployment.inputs import MAX_PAYLOAD_BYTES
from track_deployment.summary import SUMMARY_MAX_BYTES

# One worker runs them all, so the image is built once.
pytestmark = [pytest.mark.docker, pytest.mark.xdist_group("docker")]

# Another tag lets two checkouts run their container tests on one engine at once.
IMAGE = os.environ.get("TRACK_DEPLOYMENT_IMAGE", "track-deployment:test")


def _unavailable(reason: str) -> None:
    if os.environ.get("TRACK_DEPLOYMENT_REQUIRE_DOCKER") == "1":
        pytest.fail(f"container tests are required here, but {reason}")
    pytest.skip(CONTAINER_SKIP + reason)  # conftest.py folds these into one summary line


@pytest.fixture(scope="session")
def image() -> str:
    if os.environ.get("TRACK_DEPLOYMENT_IMAGE_BUILT") == IMAGE:
        return IMAGE  # scripts/test.sh built it before the tests started
    if shutil.which("docker") is None:
        _unavailable("no docker client is installed")
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
        _unavailable("no Docker engine answers (`make test` starts one where it can)")
    script = str(ROOT / "scripts/docker-engine.sh")
    base = subprocess.run([script, "base"], capture_output=True, text=True, check=False)
    if base.returncode != 0:
        _unavailable(f"the base image could not be made: {base.stderr[-500:]}")
    build = subprocess.run([script, "image", IMAGE], capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stderr[-3000:]
    return IMAGE


def docker_command(
    image: str, tmp: Path, event_name: str, event: Any, inputs: dict[str, str], *, actions: bool = True
) -> tuple[list[str], dict[str, str], str | None, str | None]:
    """`docker run` as the runner does it: its mounts, its paths, the host network.

    With `actions=False`, as the README's `docker run` from another CI: no GITHUB_ACTIONS and no
    output or summary file. Returns the command, its environment and the two files on the host.
    """
    dirs = {name: tmp / name for name in ("home", "workflow", "file_commands", "workspace")}
    for path in dirs.values():
        path.mkdir()
    (dirs["workflow"] / "event.json").write_text(json.dumps(event))
    env = {
        "HOME": "/github/home",
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_OUTPUT": "/github/file_commands/set_output_1",
        "GITHUB_STEP_SUMMARY": "/github/file_commands/step_summary_1",
        "GITHUB_REPOSITORY": "octo-org/shop",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": "http://127.0.0.1:9",
        "GITHUB_SHA": SHA,
        "GITHUB_REF": "refs/tags/v2.4.0",
        "GITHUB_REF_NAME": "v2.4.0",
        "GITHUB_RUN_ID": "12345678901",
        "GITHUB_RUN_NUMBER": "42",
        "GITHUB_WORKFLOW": "Release",
        "GITHUB_ACTOR_ID": "583231",
        "INPUT_GITHUB_TOKEN": "",
        **{f"INPUT_{k.upper()}": v for k, v in inputs.items()},
    }
    if not actions:
        for name in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
            del env[name]
    command = ["docker", "run", "--rm", "--network", "host", "--workdir", "/github/workspace"]
    for name in env:
        command += ["-e", name]
    for name, path in dirs.items():
        command += ["-v", f"{path}:/github/{name}"]
    files = str(dirs["file_commands"] / "set_output_1"), str(dirs["file_commands"] / "step_summary_1")
    return [*command, image], {**os.environ, **env}, *files


def docker_run(
    image: str, tmp: Path, event_name: str, event: Any, inputs: dict[str, str], *, actions: bool = True
) -> Run:
    command, env, output, summary = docker_command(image, tmp, event_name, event, inputs, actions=actions)
    proc = subprocess.run(command, env=env, capture_output=True, timeout=120, check=False)
    return collect(proc.returncode, proc.stdout, proc.stderr, output, summary)


def run_release(image: str, tmp: Path, api_url: str, event: Any = None, **inputs: str) -> Run:
    event = payload("release") if event is None else event
    return docker_run(image, tmp, "release", event, {"token": TOKEN, "api_url": api_url, **inputs})


def test_release_created(image: str, tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = run_release(image, tmp_path, iftrue.url)
    assert run.code == 0, run.stdout + run.stderr
    [post] = iftrue.posts
    assert post.json()["commit_id"] == SHA
    assert post.json()["title"] == "v2.4.0"
    assert post.headers["authorization"] == f"Bearer {TOKEN}"
    assert run.outputs["result"] == "created"
    assert run.outputs["deployment_id"] == "3f0c2a8e-6b1d-4c55-9d0e-0a1b2c3d4e5f"
    assert "### Deployment recorded in iftrue" in run.summary


def test_skipped_event(image: str, tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = payload("release")
    event["release"]["draft"] = True
    run = run_release(image, tmp_path, iftrue.url, event)
    assert run.code == 0
    assert run.outputs["result"] == "skipped"
    assert iftrue.requests == []


def test_invalid_input(image: str, tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = run_release(image, tmp_path, iftrue.url, is_fix="yes")
    assert run.code == 1
    assert run.errors == ["Input 'is_fix' must be true or false, got 'yes'."]
    assert "Traceback" not in run.stdout + run.stderr
    assert iftrue.requests == []


def test_outage_keeps_the_payload(image: str, tmp_path: Path) -> None:
    with FakeIftrue(*[Answer(503, {"message": "maintenance"})] * 5) as server:
        run = run_release(image, tmp_path, server.url, timeout="30")
    assert run.code == 0
    assert len(server.posts) == 5
    assert run.outputs["result"] == "failed"
    assert json.loads(run.outputs["payload"])["commit_id"] == SHA
    assert "iftrue answered 503 after 5 attempts: maintenance" in run.warnings[-1]
    assert "<details><summary>Payload (JSON)</summary>" in run.summary


def test_hostile_text_forms_no_command(image: str, tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = run_release(image, tmp_path, iftrue.url, hostile_release())
    assert run.code == 0, run.stdout + run.stderr
    check(run, {"add-mask", "group", "endgroup", "notice", "warning"})
    assert run.outputs["payload"] and json.loads(run.outputs["payload"]) == iftrue.posts[0].json()


def test_big_push_outage_keeps_a_record_that_replays(image: str, tmp_path: Path) -> None:
    (tmp_path / "failed").mkdir()
    with FakeIftrue(*[Answer(503, {"message": "maintenance"})] * 5) as down:
        run = docker_run(
            image,
            tmp_path / "failed",
            "push",
            big_push(),
            {"token": TOKEN, "api_url": down.url, "timeout": "1"},
        )
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["result"] == "failed"
    kept = run.outputs["payload"]
    assert len(kept.encode()) <= MAX_PAYLOAD_BYTES
    assert run.summary_size <= SUMMARY_MAX_BYTES
    assert json.loads(kept)["changelog"].endswith(" more commits")
    assert any("shortened" in n for n in run.notices)
    # Replayed through `docker run -e INPUT_PAYLOAD`, as the runner passes an input.
    (tmp_path / "replay").mkdir()
    with FakeIftrue() as up:
        replay = docker_run(
            image,
            tmp_path / "replay",
            "workflow_dispatch",
            payload("workflow_dispatch"),
            {"token": TOKEN, "api_url": up.url, "payload": kept},
        )
    assert replay.code == 0, replay.stdout + replay.stderr
    assert up.posts[0].json() == json.loads(kept)
    assert replay.outputs["result"] == "created"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_cancel_through_docker_run(image: str, tmp_path: Path, signum: int) -> None:
    """The runner signals `docker run`, which passes the signal to the action, PID 1 in the container."""
    with FakeIftrue(*[Answer(503, {"message": "down"}, {"Retry-After": RETRY_AFTER})] * 5) as server:
        inputs = {"token": TOKEN, "api_url": server.url, "timeout": "300"}
        command, env, output, summary = docker_command(image, tmp_path, "release", payload("release"), inputs)
        run, seconds = cancel(command, env, server, signum, str(output), str(summary))
    assert len(server.posts) == 1
    check_cancelled(run, signum)
    assert seconds < 1, seconds  # `docker run --rm` included: it waits for the container to go


def test_outside_actions_prints_plain_text(image: str, tmp_path: Path, iftrue: FakeIftrue) -> None:
    inputs = {"token": TOKEN, "api_url": iftrue.url}
    run = docker_run(image, tmp_path, "release", payload("release"), inputs, actions=False)
    assert run.code == 0, run.stdout + run.stderr
    assert run.commands == []
    assert TOKEN not in run.stdout + run.stderr
    assert run.stdout.splitlines()[-1] == "result=created deployment_id=3f0c2a8e-6b1d-4c55-9d0e-0a1b2c3d4e5f"
    assert list((tmp_path / "file_commands").iterdir()) == []


def test_flags_work_with_docker_run(image: str) -> None:
    # The README's `docker run` example: the image's entry point is the command.
    fields = ["--commit-id", SHA, "--branch", "main", "--repository-url", "https://github.com/octo-org/shop"]
    command = ["docker", "run", "--rm", "--network", "host", image, *fields, "--member-id", "583231"]
    dry = subprocess.run(
        [*command, "--title", "Try it", "--dry-run"], capture_output=True, text=True, check=False
    )
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert '"title": "Try it"' in dry.stdout
    unknown = subprocess.run([*command, "--nope"], capture_output=True, text=True, check=False)
    assert unknown.returncode == 1
    assert "unknown flag '--nope'." in unknown.stderr
