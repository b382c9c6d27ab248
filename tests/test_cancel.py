"""A cancelled step, as the runner cancels it: SIGINT, then SIGTERM 7.5 s later, then a kill.

The fake iftrue keeps answering 503 with a long Retry-After, so the signal arrives while the
action waits between retries (urllib3's Retry sleeping) or waits for an answer.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import ENTRYPOINT, RELEASE_BODY, Answer, FakeIftrue, Run, collect, payload, runner_env

from track_deployment.cancel import CancelOnSignal
from track_deployment.main import main

# Long enough that only the cancel can end the wait, short enough for the `timeout` input.
RETRY_AFTER = "60"


def wait_for_posts(server: FakeIftrue, count: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while len(server.posts) < count:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the action never reached iftrue"
        time.sleep(0.02)


def cancel(
    command: list[str], env: dict[str, str], server: FakeIftrue, signum: int, output: str, summary: str
) -> tuple[Run, float]:
    """Start the action, signal it once it waits on iftrue; the run and seconds to exit."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for_posts(server, 1, proc)
    time.sleep(0.3)  # into the wait between attempts
    sent = time.monotonic()
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=30)
    return collect(proc.returncode, stdout, stderr, output, summary), time.monotonic() - sent


def cancel_action(env: dict[str, str], server: FakeIftrue, signum: int) -> tuple[Run, float]:
    """cancel() on the action's entry point, with the files the runner gives it."""
    command = [sys.executable, str(ENTRYPOINT)]
    return cancel(command, env, server, signum, env["GITHUB_OUTPUT"], env["GITHUB_STEP_SUMMARY"])


def check_cancelled(run: Run, signum: int, *, in_flight: bool = False) -> None:
    """A cancelled run's report; `in_flight`: the record was sent and no answer had come."""
    name = signal.Signals(signum).name
    assert run.code == 128 + signum, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert run.outputs["result"] == "failed"
    assert json.loads(run.outputs["payload"]) == RELEASE_BODY
    [warning] = [w for w in run.warnings if "cancelled" in w]
    if in_flight:  # iftrue may hold it: no replay without looking first
        assert warning.startswith(f"The step was cancelled ({name}) while the record was being delivered")
        assert "iftrue may have recorded the deployment" in warning
        assert "if iftrue does not list this deployment" in warning
    else:
        assert warning.startswith(f"The step was cancelled ({name}) before iftrue confirmed the deployment.")
    assert "The record is kept in the `payload` output and the job summary" in warning
    assert f"**Cancelled**: The step was cancelled ({name})" in html.unescape(run.summary)
    assert "<details><summary>Payload (JSON)</summary>" in run.summary
    assert run.commands[-1].name == "warning"  # not silenced: the runner shows it


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_cancel_while_waiting_to_retry(tmp_path: Path, signum: int) -> None:
    with FakeIftrue(*[Answer(503, {"message": "down"}, {"Retry-After": RETRY_AFTER})] * 5) as server:
        env = runner_env(tmp_path, "release", payload("release"), {"api_url": server.url, "timeout": "300"})
        run, seconds = cancel_action(env, server, signum)
    assert seconds < 1, seconds
    assert len(server.posts) == 1
    check_cancelled(run, signum)


def test_cancel_while_waiting_for_an_answer(tmp_path: Path) -> None:
    with FakeIftrue(Answer(201, {"id": "late"}, delay=20)) as server:
        env = runner_env(tmp_path, "release", payload("release"), {"api_url": server.url})
        run, seconds = cancel_action(env, server, signal.SIGINT)
    assert seconds < 1, seconds
    check_cancelled(run, signal.SIGINT, in_flight=True)


def test_the_second_signal_does_not_cut_the_report_short(tmp_path: Path) -> None:
    """SIGTERM right after SIGINT (a runner in a hurry) still leaves a whole report."""
    with FakeIftrue(*[Answer(503, {"message": "down"}, {"Retry-After": RETRY_AFTER})] * 5) as server:
        env = runner_env(tmp_path, "release", payload("release"), {"api_url": server.url, "timeout": "300"})
        proc = subprocess.Popen(
            [sys.executable, str(ENTRYPOINT)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        wait_for_posts(server, 1, proc)
        time.sleep(0.3)  # into the wait between attempts, as cancel() does
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=30)
    # A SIGTERM that a loaded machine delivers only once the report is written and Python is
    # exiting (its handlers back at their defaults) ends the process as SIGTERM does: exit -15,
    # a failure all the same, with the report whole, which is what this test is about.
    code = 128 + signal.SIGINT if proc.returncode == -signal.SIGTERM else proc.returncode
    run = collect(code, stdout, stderr, env["GITHUB_OUTPUT"], env["GITHUB_STEP_SUMMARY"])
    check_cancelled(run, signal.SIGINT)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the signal mask from /proc")
def test_cancel_while_starting(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """A SIGTERM as soon as the handlers are in place, before anything is read, is kept for later."""
    env = runner_env(tmp_path, "release", payload("release"), {"api_url": iftrue.url})
    proc = subprocess.Popen(
        [sys.executable, str(ENTRYPOINT)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    status = Path(f"/proc/{proc.pid}/status")
    deadline = time.monotonic() + 10
    # SigCgt: the signals the process catches; SIGTERM's bit appears when the action installs it.
    while not int(re.search(r"SigCgt:\s*([0-9a-f]+)", status.read_text()).group(1), 16) & 1 << (
        signal.SIGTERM - 1
    ):
        assert time.monotonic() < deadline and proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=30)
    run = collect(proc.returncode, stdout, stderr, env["GITHUB_OUTPUT"], env["GITHUB_STEP_SUMMARY"])
    assert run.code == 128 + signal.SIGTERM, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert iftrue.requests == []
    assert run.outputs["result"] == "failed"
    assert run.warnings == [
        "The step was cancelled (SIGTERM) before the deployment record was built. Nothing was sent to iftrue."
    ]


def test_a_cancel_after_iftrue_answered_2xx_keeps_created(tmp_path: Path) -> None:
    """The record exists once iftrue answered: a cancel while its body arrives must not say failed."""
    answer = Answer(201, {"id": "3f0c2a8e-6b1d-4c55-9d0e-0a1b2c3d4e5f"}, body_delay=2)
    with FakeIftrue(answer) as server:
        env = runner_env(tmp_path, "release", payload("release"), {"api_url": server.url})
        run, _ = cancel_action(env, server, signal.SIGINT)
    assert len(server.posts) == 1
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["result"] == "created"
    assert run.outputs["deployment_id"] == "3f0c2a8e-6b1d-4c55-9d0e-0a1b2c3d4e5f"
    assert not [w for w in run.warnings if "cancelled" in w or "payload" in w]
    assert "### Deployment recorded in iftrue" in run.summary


class CancelAtStopCommands(io.StringIO):
    """A log whose reader is cancelled the moment `::stop-commands::` is written."""

    def write(self, text: str) -> int:
        written = super().write(text)
        if text.startswith("::stop-commands::"):
            os.kill(os.getpid(), signal.SIGINT)
        return written


def test_a_cancel_never_leaves_commands_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The record's JSON never holds a line the runner reads (its values cannot start a line, and
    # `##[` is escaped), so the guarded text here is a debug run's traceback of an odd error.
    from track_deployment.client import IftrueClient

    def send(*args: object, **kwargs: object) -> None:
        raise RuntimeError("odd\n::warning::x")

    monkeypatch.setattr(IftrueClient, "send", send)
    env = runner_env(tmp_path, "release", payload("release"), {"api_url": "http://127.0.0.1:9"})
    env["RUNNER_DEBUG"] = "1"
    handlers = {signum: signal.getsignal(signum) for signum in CancelOnSignal.SIGNALS}
    watcher = CancelOnSignal()
    watcher.install()
    log = CancelAtStopCommands()
    try:
        code = main(env, log, cancel=watcher)
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    assert code == 128 + signal.SIGINT
    run = collect(code, log.getvalue().encode(), b"", env["GITHUB_OUTPUT"], env["GITHUB_STEP_SUMMARY"])
    # The traceback was printed whole, between the pair, and the cancel warning after it is read.
    assert "\n::warning::x\n" in run.stdout
    assert "x" not in run.warnings
    assert run.commands[-1].name == "warning"
    assert run.commands[-1].message.startswith("The step was cancelled (SIGINT) before iftrue confirmed")
    assert run.outputs["result"] == "failed"


def test_a_cancel_outside_actions_names_the_command_not_a_step(tmp_path: Path) -> None:
    """Another CI's job is no GitHub step: the cancel says track-deployment was cancelled, in
    plain text, and the record is still printed for a replay."""
    with FakeIftrue(*[Answer(503, {"message": "down"}, {"Retry-After": RETRY_AFTER})] * 5) as server:
        env = runner_env(tmp_path, "release", payload("release"), {"api_url": server.url, "timeout": "300"})
        del env["GITHUB_ACTIONS"]
        run, seconds = cancel_action(env, server, signal.SIGTERM)
    assert seconds < 1, seconds
    assert run.code == 128 + signal.SIGTERM, run.stdout + run.stderr
    assert run.commands == []  # no workflow command outside Actions
    text = run.stdout + run.stderr
    assert "track-deployment was cancelled (SIGTERM) before iftrue confirmed the deployment." in text
    assert "The step was cancelled" not in text
    assert "Traceback" not in text
