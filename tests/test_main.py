"""main() in-process: the exit-code policy for failures no test can provoke from outside."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from support import TOKEN, parse_commands, parse_outputs, payload, runner_env

import track_deployment.main as action
from track_deployment.cancel import CancelOnSignal


def boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError(f"bug with {TOKEN} in it")


@pytest.mark.parametrize(
    ("fail_on_error", "debug", "code"), [("false", "0", 0), ("true", "0", 1), ("false", "1", 0)]
)
def test_internal_error_follows_fail_on_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_on_error: str, debug: str, code: int
) -> None:
    monkeypatch.setattr(action, "execute", boom)
    env = runner_env(tmp_path, "release", payload("release"), {"fail_on_error": fail_on_error})
    env["RUNNER_DEBUG"] = debug
    stream = io.StringIO()
    assert action.main(env, stream) == code
    out = stream.getvalue()
    [annotation] = [c for c in parse_commands(out) if c.name in ("error", "warning")]
    assert annotation.name == ("error" if code else "warning")
    assert annotation.message.startswith("Internal error (RuntimeError)")
    assert ("Traceback (most recent call last)" in out) is (debug == "1")
    assert TOKEN not in out.replace(f"::add-mask::{TOKEN}", "")
    assert parse_outputs((tmp_path / "output").read_bytes())["result"] == "failed"


def test_unwritable_output_file_is_a_warning(tmp_path: Path) -> None:
    env = runner_env(tmp_path, "release", payload("release"), {"dry_run": "true"})
    env["GITHUB_OUTPUT"] = str(tmp_path)  # a directory
    stream = io.StringIO()
    assert action.main(env, stream) == 0
    assert any(
        c.name == "warning" and "Could not write the step's outputs" in c.message
        for c in parse_commands(stream.getvalue())
    )


def test_secret_with_percent_is_masked_whole() -> None:
    from track_deployment.workflow import Console

    stream = io.StringIO()
    Console(stream).add_secret("ab%0Acd")
    [command] = parse_commands(stream.getvalue())
    assert (command.name, command.message) == ("add-mask", "ab%0Acd")


def test_a_signal_before_the_run_starts_cancels_it(tmp_path: Path) -> None:
    import signal

    env = runner_env(tmp_path, "release", payload("release"))
    cancel = CancelOnSignal()
    cancel._handle(signal.SIGTERM, None)  # came while the action was starting: only noted
    stream = io.StringIO()
    assert action.main(env, stream, cancel=cancel) == 128 + signal.SIGTERM
    [warning] = [c.message for c in parse_commands(stream.getvalue()) if c.name == "warning"]
    assert warning == (
        "The step was cancelled (SIGTERM) before the deployment record was built. Nothing was sent to iftrue."
    )
    assert parse_outputs((tmp_path / "output").read_bytes())["result"] == "failed"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("timeout", "lookups_took", "delivery_gets"),
    [(120, 5, 115), (120, 45, 90), (3, 0.5, 2.5), (3, 50, 2)],
)
def test_the_delivery_gets_what_the_lookups_left_and_never_less_than_two_thirds(
    monkeypatch: pytest.MonkeyPatch, timeout: float, lookups_took: float, delivery_gets: float
) -> None:
    clock = Clock()
    monkeypatch.setattr(action.time, "monotonic", clock)
    budget = action.Budget(timeout)
    with budget.lookups() as deadline:
        assert deadline - clock.now == min(timeout / 3, 30)
        clock.now += lookups_took  # however long they overran their deadline
    clock.now += 7  # building the record: not counted
    assert budget.delivery() - clock.now == pytest.approx(delivery_gets)
