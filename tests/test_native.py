"""The composite action in native/: the same inputs and outputs as the Docker action, and the same run.

The run test executes native/action.yml the way the runner executes a composite action on
Linux: each step's `run` in `bash --noprofile --norc -eo pipefail`, with its `env:` evaluated,
a GITHUB_OUTPUT and GITHUB_STEP_SUMMARY file per step, and the action's outputs mapped from
the step outputs. The first run installs the hash-locked requirements into a virtual
environment, so these tests share one runner temporary folder and one worker.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import time
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
import yaml
from support import (
    RELEASE_BODY,
    ROOT,
    TOKEN,
    Answer,
    FakeIftrue,
    Run,
    collect,
    parse_outputs,
    payload,
    run_action,
    runner_env,
)
from test_cancel import RETRY_AFTER, check_cancelled, wait_for_posts

from track_deployment.inputs import INPUT_DEFAULTS
from track_deployment.sealed import opened

pytestmark = pytest.mark.xdist_group("native")

DOCKER_ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
NATIVE_ACTION = yaml.safe_load((ROOT / "native" / "action.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}")


def test_inputs_match_the_docker_action() -> None:
    # Names, descriptions, defaults and `required`, in the same order.
    assert list(NATIVE_ACTION["inputs"].items()) == list(DOCKER_ACTION["inputs"].items())


def test_outputs_match_the_docker_action() -> None:
    native = NATIVE_ACTION["outputs"]
    assert list(native) == list(DOCKER_ACTION["outputs"])
    for name, output in native.items():
        assert output == {
            "description": DOCKER_ACTION["outputs"][name]["description"],
            "value": f"${{{{ steps.track.outputs.{name} }}}}",
        }


def test_every_input_reaches_the_package_under_its_docker_name() -> None:
    assert set(DOCKER_ACTION["inputs"]) == set(INPUT_DEFAULTS)
    [track] = [step for step in NATIVE_ACTION["runs"]["steps"] if step.get("id") == "track"]
    mapped = {name: value for name, value in track["env"].items() if name.startswith("INPUT_")}
    assert mapped == {
        f"INPUT_{name.upper()}": f"${{{{ inputs.{name} }}}}" for name in DOCKER_ACTION["inputs"]
    }


def test_no_expression_inside_run() -> None:
    # Expressions in a script are pasted in before the shell parses it: a value could inject
    # commands. Every value goes through `env:`.
    for step in NATIVE_ACTION["runs"]["steps"]:
        if "uses" in step:  # the outbox's upload: an action, given its values through `with:`
            assert step["uses"].startswith("actions/upload-artifact@"), step["name"]
            continue
        assert "${{" not in step["run"], step["name"]
        assert step["shell"] == "bash"  # the one shell on all three hosted runner systems


def evaluate(text: str, contexts: Mapping[str, str]) -> str:
    """Substitute the `${{ x.y }}` expressions the action uses; any other expression fails."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("steps."):
            return contexts.get(name, "")  # an output the step never wrote is empty, as in the runner
        assert name in contexts, f"the test runner does not know {match.group(0)}"
        return contexts[name]

    return EXPRESSION.sub(value, text)


# The GITHUB_ENV variables of each job, by its RUNNER_TEMP.
JOBS: dict[Path, dict[str, str]] = {}


def run_composite(
    tmp: Path,
    temp_dir: Path,
    env: Mapping[str, str],
    inputs: Mapping[str, str],
    during_track: Callable[[subprocess.Popen[bytes]], None] | None = None,
    timeout: float = 300,
    job: dict[str, str] | None = None,
) -> Run:
    """Run native/action.yml as the runner runs a composite action; one Run for the whole action.

    `during_track` gets the track step's process (bash, as the runner starts it) while it runs.
    `job` holds the variables earlier steps of the job set through GITHUB_ENV, and gets the
    ones this run sets, as the runner carries them to the job's later steps; by default, the
    runs with the same `temp_dir` (RUNNER_TEMP, one per job) are steps of one job.
    """
    job = JOBS.setdefault(temp_dir, {}) if job is None else job
    given = {
        name: inputs.get(name, spec.get("default", "")) for name, spec in NATIVE_ACTION["inputs"].items()
    }
    contexts = {
        "github.action_path": str(ROOT / "native"),
        "github.token": "",
        # A runner without the job's check run id (before v2.324) gives an empty value.
        "job.check_run_id": "",
        "runner.temp": str(temp_dir),
    }
    contexts |= {f"inputs.{name}": evaluate(str(value), contexts) for name, value in given.items()}
    base = {name: value for name, value in env.items() if not name.startswith("INPUT_")}
    base |= {"RUNNER_OS": "Linux", "RUNNER_TEMP": str(temp_dir)}
    files = tmp / "file_commands"
    files.mkdir(exist_ok=True)
    stdout, stderr, summary, summary_size, code = b"", b"", "", 0, 0
    uploads: list[dict[str, str]] = []
    for index, step in enumerate(NATIVE_ACTION["runs"]["steps"]):
        if code != 0 and not str(step.get("if", "")).startswith("always()"):
            break  # a failed step skips the ones after it, but for `always()`
        if "uses" in step:
            # The one action the composite uses: the outbox's upload, run when its `if` holds.
            condition = re.fullmatch(r"always\(\) && (steps\.[\w.]+) != ''", step["if"])
            assert condition and step["uses"].startswith("actions/upload-artifact@"), step
            if contexts.get(condition.group(1)):
                uploads.append({name: evaluate(str(value), contexts) for name, value in step["with"].items()})
            continue
        output, step_summary = files / f"set_output_{index}", files / f"step_summary_{index}"
        step_variables = files / f"set_env_{index}"
        script = tmp / f"step_{index}.sh"
        script.write_text(step["run"])
        step_env = {name: evaluate(str(value), contexts) for name, value in step.get("env", {}).items()}
        proc = subprocess.Popen(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env={
                **base,
                **job,
                **step_env,
                "GITHUB_OUTPUT": str(output),
                "GITHUB_STEP_SUMMARY": str(step_summary),
                "GITHUB_ENV": str(step_variables),
            },
            cwd=tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # so a test that fails can end whatever the step started
        )
        try:
            if during_track and step["id"] == "track":
                during_track(proc)
            out, err = proc.communicate(timeout=timeout)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        stdout, stderr, code = stdout + out, stderr + err, proc.returncode
        read = collect(code, b"", b"", str(output), str(step_summary))  # as the runner reads them
        if step_variables.exists():
            job |= parse_outputs(step_variables.read_bytes())  # GITHUB_ENV has GITHUB_OUTPUT's form
        summary, summary_size = summary + read.summary, summary_size + read.summary_size
        contexts |= {f"steps.{step['id']}.outputs.{k}": v for k, v in read.outputs.items()}
    run = collect(code, stdout, stderr, None, None)
    run.uploads = uploads  # type: ignore[attr-defined]
    run.outputs = {name: evaluate(spec["value"], contexts) for name, spec in NATIVE_ACTION["outputs"].items()}
    run.summary, run.summary_size = summary, summary_size
    return run


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One per module: the environment built by the first run is reused by the next ones.
    return tmp_path_factory.mktemp("runner_temp")


def release_env(tmp: Path) -> dict[str, str]:
    return runner_env(
        tmp, "release", payload("release"), GITHUB_REF="refs/tags/v2.4.0", GITHUB_REF_NAME="v2.4.0"
    )


def test_release_recorded_like_the_docker_action(
    tmp_path: Path, runner_temp: Path, iftrue: FakeIftrue
) -> None:
    native_dir, docker_dir = tmp_path / "native", tmp_path / "docker"
    native_dir.mkdir()
    docker_dir.mkdir()
    inputs = {"token": TOKEN, "api_url": iftrue.url}

    native = run_composite(native_dir, runner_temp, release_env(native_dir), inputs)
    assert native.code == 0, native.stdout + native.stderr
    [post] = iftrue.posts
    assert post.json() == RELEASE_BODY
    assert post.headers["authorization"] == f"Bearer {TOKEN}"
    assert native.outputs["result"] == "created"
    assert native.outputs["deployment_id"] == "3f0c2a8e-6b1d-4c55-9d0e-0a1b2c3d4e5f"
    assert "### Deployment recorded in iftrue" in native.summary

    env = release_env(docker_dir)
    docker = run_action({**env, **{f"INPUT_{k.upper()}": v for k, v in inputs.items()}})
    assert docker.code == 0
    assert iftrue.posts[1].body == post.body
    assert native.outputs == docker.outputs
    assert native.summary == docker.summary
    # The same log, annotations included; the native action's setup step prints its lines first.
    assert native.stdout.endswith(docker.stdout)


def test_dry_run_reuses_the_environment(tmp_path: Path, runner_temp: Path, iftrue: FakeIftrue) -> None:
    first = run_composite(tmp_path, runner_temp, release_env(tmp_path), {"dry_run": "true", "token": ""})
    second_dir = tmp_path / "again"
    second_dir.mkdir()
    second = run_composite(second_dir, runner_temp, release_env(second_dir), {"dry_run": "true", "token": ""})
    for run in (first, second):
        assert run.code == 0, run.stdout + run.stderr
        assert run.outputs["result"] == "dry_run"
        assert run.payload == RELEASE_BODY
        assert run.notices == ["Dry run: the deployment record above was not sent."]
    assert "Reusing the Python environment" in second.stdout
    assert len(list(runner_temp.glob("track-deployment-*"))) == 1
    assert iftrue.requests == []


def plant(temp_dir: Path, name: str) -> Path:
    """An environment the action did not build, whose Python leaves a mark when it runs."""
    mark = temp_dir / "planted-python-ran"
    python = temp_dir / name / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f"#!/bin/bash\ntouch {mark}\nexit 3\n")
    python.chmod(0o755)
    (temp_dir / name / "ready").touch()
    (temp_dir / name / "built-for").touch()
    return mark


def test_an_environment_found_is_never_trusted(tmp_path: Path, runner_temp: Path) -> None:
    # Another job's leftovers, at the paths earlier versions used, and one this job's
    # variables name but that records another lock or interpreter: each is rebuilt.
    temp_dir = tmp_path / "temp"
    temp_dir.mkdir()
    marks = [plant(temp_dir, f"track-deployment-{index:016x}") for index in range(2)]
    if not JOBS.get(runner_temp):  # run alone, or before the tests that build one: build it here
        earlier = tmp_path / "earlier step"
        earlier.mkdir()
        first = run_composite(earlier, runner_temp, release_env(earlier), {"dry_run": "true", "token": ""})
        assert first.code == 0, first.stdout + first.stderr
    job = {
        name: str(temp_dir / "track-deployment-0000000000000001")
        for name in JOBS.get(runner_temp, {})  # the names the environment built for this lock gets
    }
    assert job, "the environment built for this lock is named for the job's later steps"
    run = run_composite(tmp_path, temp_dir, release_env(tmp_path), {"dry_run": "true", "token": ""}, job=job)
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["result"] == "dry_run"
    assert "Installing the pinned requirements" in run.stdout
    assert "Reusing" not in run.stdout
    assert not any(mark.exists() for mark in marks)
    [built] = [path for path in temp_dir.glob("track-deployment-*") if not (path / "ready").exists()]
    assert list(job.values()) == [str(built)]


def test_bad_input_fails_the_action(tmp_path: Path, runner_temp: Path, iftrue: FakeIftrue) -> None:
    run = run_composite(
        tmp_path, runner_temp, release_env(tmp_path), {"token": TOKEN, "api_url": iftrue.url, "is_fix": "yes"}
    )
    assert run.code == 1
    assert run.errors == ["Input 'is_fix' must be true or false, got 'yes'."]
    assert run.outputs["result"] == "failed"
    assert "Traceback" not in run.stdout + run.stderr
    assert iftrue.requests == []


def bin_with(tmp: Path, *tools: str) -> Path:
    """A folder for PATH with only these tools, none of them a Python."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    for tool in tools:
        (bin_dir / tool).symlink_to(
            subprocess.run(
                ["bash", "-c", f"command -v {tool}"], capture_output=True, text=True, check=True
            ).stdout.strip()
        )
    return bin_dir


def test_no_python_says_what_to_do(tmp_path: Path, runner_temp: Path) -> None:
    bin_dir = bin_with(tmp_path, "bash", "dirname", "rm", "touch", "ls", "sort", "mktemp")
    run = run_composite(
        tmp_path, runner_temp, {**release_env(tmp_path), "PATH": str(bin_dir)}, {"dry_run": "true"}
    )
    assert run.code == 1
    assert run.errors == [
        "No Python 3.11 or newer found (python3, python, py -3.1x, the runner's tool cache). "
        "Add actions/setup-python with python-version 3.13 before this step."
    ]
    assert run.outputs["result"] == ""


def test_python_from_the_runner_tool_cache(tmp_path: Path, runner_temp: Path) -> None:
    """Off PATH, the newest 3.11+ of the tool cache (as on ubuntu-22.04, whose python3 is 3.10)."""
    bin_dir = bin_with(tmp_path, "bash", "dirname", "rm", "touch", "ls", "sort", "mktemp")
    # The interpreter the other tests' python3 runs, so the environment they built is reused.
    real = subprocess.run(
        ["python3", "-c", "import sys; print(sys.executable)"], capture_output=True, text=True, check=True
    )
    cache = tmp_path / "hostedtoolcache"
    for version, python in [
        ("3.10.12", "exit 1"),  # too old: `import sys; sys.exit(sys.version_info < (3, 11))` fails
        ("3.9.25", "exit 1"),
        ("3.12.12", f'exec {real.stdout.strip()} "$@"'),
        ("3.11.14", f'exec {real.stdout.strip()} "$@"'),
    ]:
        folder = cache / "Python" / version / "x64" / "bin"
        folder.mkdir(parents=True)
        (folder / "python3").write_text(f"#!/bin/bash\n{python}\n")
        (folder / "python3").chmod(0o755)
    run = run_composite(
        tmp_path,
        runner_temp,
        {**release_env(tmp_path), "PATH": str(bin_dir), "RUNNER_TOOL_CACHE": str(cache)},
        {"dry_run": "true", "token": ""},
    )
    assert run.code == 0, run.stdout + run.stderr
    assert f"Using {cache}/Python/3.12.12/x64/bin/python3 (Python " in run.stdout
    assert run.outputs["result"] == "dry_run"
    assert run.payload == RELEASE_BODY


def test_failed_install_says_what_to_do(tmp_path: Path, iftrue: FakeIftrue) -> None:
    unreachable = {"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_NO_CACHE_DIR": "1", "PIP_RETRIES": "0"}
    temp_dir = tmp_path / "temp"  # no environment installed yet
    temp_dir.mkdir()
    run = run_composite(tmp_path, temp_dir, {**release_env(tmp_path), **unreachable}, {"api_url": iftrue.url})
    assert run.code == 1
    assert run.errors == [
        "pip could not install the pinned requirements (its error is above): the runner needs access to "
        "the Python package index, or pip configured for a mirror (PIP_INDEX_URL)."
    ]
    assert run.outputs["result"] == ""
    assert JOBS[temp_dir] == {}  # no environment is named for reuse: the next use installs again
    assert iftrue.requests == []


def test_cancel_while_waiting_to_retry_keeps_the_record(tmp_path: Path, runner_temp: Path) -> None:
    """The runner signals the step's process, bash: Python must be that process to report."""

    sent: list[float] = []

    def cancel_the_step(proc: subprocess.Popen[bytes]) -> None:
        wait_for_posts(server, 1, proc)
        time.sleep(0.3)  # into the wait between attempts
        proc.send_signal(signal.SIGINT)  # to bash, or to what bash became
        sent.append(time.monotonic())

    with FakeIftrue(*[Answer(503, {"message": "down"}, {"Retry-After": RETRY_AFTER})] * 5) as server:
        run = run_composite(
            tmp_path,
            runner_temp,
            release_env(tmp_path),
            {"token": TOKEN, "api_url": server.url, "timeout": "300"},
            during_track=cancel_the_step,
            timeout=30,  # a signal that never reaches Python leaves it waiting for the next attempt
        )
    assert time.monotonic() - sent[0] < 5
    assert len(server.posts) == 1
    check_cancelled(run, signal.SIGINT)
    assert json.loads(run.outputs["payload"]) == RELEASE_BODY


def test_an_outage_is_kept_by_the_outbox_upload_step(tmp_path: Path, runner_temp: Path) -> None:
    """A composite action's steps get no artifact service: the record is written under
    runner.temp and the pinned upload-artifact step keeps it as the outbox artifact."""
    down = "http://127.0.0.1:9"  # nothing listens: an outage
    inputs = {"token": TOKEN, "api_url": down, "timeout": "3", "check_run_id": "555"}
    run = run_composite(tmp_path, runner_temp, release_env(tmp_path), inputs)
    assert run.code == 0 and run.outputs["result"] == "failed", run.stdout
    [upload] = run.uploads  # type: ignore[attr-defined]
    assert upload["name"].startswith("track-deployment-outbox-555-")
    assert upload["if-no-files-found"] == "error"
    folder = Path(upload["path"])
    assert folder.parent == runner_temp
    # What upload-artifact uploads: the folder's files, zipped at the root.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in folder.iterdir():
            archive.write(file, file.name)
    [entry] = opened(buffer.getvalue(), token=TOKEN, api_url=down)
    assert entry["record"] == json.loads(run.outputs["payload"])
    assert "queued as the artifact" in run.summary


def test_a_delivered_record_uploads_nothing(tmp_path: Path, runner_temp: Path, iftrue: FakeIftrue) -> None:
    run = run_composite(tmp_path, runner_temp, release_env(tmp_path), {"token": TOKEN, "api_url": iftrue.url})
    assert run.outputs["result"] == "created"
    assert run.uploads == []  # type: ignore[attr-defined]
