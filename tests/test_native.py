"""The composite action in native/: the same inputs and outputs as the Docker action, and the same run.

The run test executes native/action.yml the way the runner executes a composite action on
Linux: each step's `run` in `bash --noprofile --norc -eo pipefail`, with its `env:` evaluated,
a GITHUB_OUTPUT and GITHUB_STEP_SUMMARY file per step, and the action's outputs mapped from
the step outputs. The first run installs the hash-locked requirements into a virtual
environment, so these tests share one runner temporary folder and one worker.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml
from support import (
    RELEASE_BODY,
    ROOT,
    TOKEN,
    FakeIftrue,
    Run,
    collect,
    payload,
    run_action,
    runner_env,
)

from track_deployment.inputs import INPUT_DEFAULTS

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


def run_composite(tmp: Path, temp_dir: Path, env: Mapping[str, str], inputs: Mapping[str, str]) -> Run:
    """Run native/action.yml as the runner runs a composite action; one Run for the whole action."""
    given = {
        name: inputs.get(name, spec.get("default", "")) for name, spec in NATIVE_ACTION["inputs"].items()
    }
    contexts = {
        "github.action_path": str(ROOT / "native"),
        "github.token": "",
        "runner.temp": str(temp_dir),
    }
    contexts |= {f"inputs.{name}": evaluate(str(value), contexts) for name, value in given.items()}
    base = {name: value for name, value in env.items() if not name.startswith("INPUT_")}
    base |= {"RUNNER_OS": "Linux", "RUNNER_TEMP": str(temp_dir)}
    files = tmp / "file_commands"
    files.mkdir(exist_ok=True)
    stdout, stderr, summary, summary_size, code = b"", b"", "", 0, 0
    for index, step in enumerate(NATIVE_ACTION["runs"]["steps"]):
        output, step_summary = files / f"set_output_{index}", files / f"step_summary_{index}"
        script = tmp / f"step_{index}.sh"
        script.write_text(step["run"])
        step_env = {name: evaluate(str(value), contexts) for name, value in step.get("env", {}).items()}
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env={**base, **step_env, "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(step_summary)},
            cwd=tmp,
            capture_output=True,
            timeout=300,
            check=False,
        )
        stdout, stderr, code = stdout + proc.stdout, stderr + proc.stderr, proc.returncode
        read = collect(proc.returncode, b"", b"", str(output), str(step_summary))  # as the runner reads them
        summary, summary_size = summary + read.summary, summary_size + read.summary_size
        contexts |= {f"steps.{step['id']}.outputs.{k}": v for k, v in read.outputs.items()}
        if code != 0:
            break
    run = collect(code, stdout, stderr, None, None)
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


def test_bad_input_fails_the_action(tmp_path: Path, runner_temp: Path, iftrue: FakeIftrue) -> None:
    run = run_composite(
        tmp_path, runner_temp, release_env(tmp_path), {"token": TOKEN, "api_url": iftrue.url, "is_fix": "yes"}
    )
    assert run.code == 1
    assert run.errors == ["Input 'is_fix' must be true or false, got 'yes'."]
    assert run.outputs["result"] == "failed"
    assert "Traceback" not in run.stdout + run.stderr
    assert iftrue.requests == []


def test_no_python_says_what_to_do(tmp_path: Path, runner_temp: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "rm", "touch"):
        (bin_dir / tool).symlink_to(
            subprocess.run(
                ["bash", "-c", f"command -v {tool}"], capture_output=True, text=True, check=True
            ).stdout.strip()
        )
    run = run_composite(
        tmp_path, runner_temp, {**release_env(tmp_path), "PATH": str(bin_dir)}, {"dry_run": "true"}
    )
    assert run.code == 1
    assert run.errors == [
        "No Python 3.11 or newer found on PATH (python3, python). Add actions/setup-python before this step."
    ]
    assert run.outputs["result"] == ""
