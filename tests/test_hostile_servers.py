"""Servers that misbehave on purpose: the step ends in time, reads little, leaks no token, and
never turns red after iftrue answered 2xx."""

from __future__ import annotations

import html
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from support import (
    ENTRYPOINT,
    GITHUB_TOKEN,
    Answer,
    FakeGitHub,
    FakeIftrue,
    Run,
    TrickleServer,
    collect,
    payload,
    run_action,
    runner_env,
)
from test_lookups import happy, run_with_github

# Seconds for the process to start and write its report on a busy machine, beyond `timeout`.
MARGIN = 4.0
TIMEOUT = 3  # the `timeout` input of these runs
# The routes the look-ups use (support.FakeGitHub.route_of).
ROUTES = ("pulls", "pull", "jobs", "releases", "compare", "contents", "branch")
ROUTES += ("deployments_by_sha", "deployments_by_environment")


def timed(env: dict[str, str]) -> tuple[Run, float]:
    start = time.monotonic()
    # The harness's own limit only turns a hang into a failure: the bound is asserted below.
    run = run_action(env, timeout=60)
    return run, time.monotonic() - start


def iftrue_env(tmp_path: Path, url: str, **inputs: str) -> dict[str, str]:
    return runner_env(
        tmp_path, "release", payload("release"), {"api_url": url, "timeout": str(TIMEOUT), **inputs}
    )


# --- time -----------------------------------------------------------------------------------

HEAD_201 = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
HEAD_503 = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: 100000\r\n\r\n"
BODY = b'{"id": "3f0c2a8e-6b1d-4c55-9d0e-0a1b2c3d4e5f", "title": "' + b"a" * 99_900 + b'"}'


@pytest.mark.parametrize("interval", [0.5, 60], ids=["trickles", "stalls"])
def test_a_201_whose_body_trickles_is_cut_at_the_deadline(tmp_path: Path, interval: float) -> None:
    with TrickleServer(HEAD_201, BODY, trickle="body", interval=interval) as server:
        run, seconds = timed(iftrue_env(tmp_path, server.url))
    assert seconds < TIMEOUT + MARGIN
    assert run.code == 0
    assert run.outputs["result"] == "created"  # the service answered 201: the record exists
    assert run.outputs["response"] == BODY[: len(run.outputs["response"])].decode()  # what came in time
    [warning] = [w for w in run.warnings if "not complete within the time left" in w]
    assert "Do not replay" in warning
    assert "### Deployment recorded in iftrue" in run.summary
    assert server.connections == 1


@pytest.mark.parametrize(
    ("head", "body", "trickle"),
    [
        pytest.param(HEAD_201, BODY, "head", id="201 headers trickle"),
        pytest.param(HEAD_503, BODY, "body", id="503 body trickles"),
    ],
)
@pytest.mark.parametrize("fail_on_error", ["false", "true"])
def test_an_answer_that_never_ends_is_an_outage(
    tmp_path: Path, head: bytes, body: bytes, trickle: str, fail_on_error: str
) -> None:
    with TrickleServer(head, body, trickle=trickle) as server:
        run, seconds = timed(iftrue_env(tmp_path, server.url, fail_on_error=fail_on_error))
    assert seconds < TIMEOUT + MARGIN
    assert run.code == (1 if fail_on_error == "true" else 0)
    assert run.outputs["result"] == "failed"
    assert json.loads(run.outputs["payload"])["title"] == "v2.4.0"  # kept for a replay
    assert "Traceback" not in run.stdout + run.stderr
    assert not any("Internal error" in line for line in run.errors + run.warnings)


def test_a_large_event_leaves_the_delivery_its_time(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # Reading a 40 MB event and fitting its 40 MB changelog takes longer than `timeout`: time no
    # server made the step wait, so it is not taken from the delivery.
    event = payload("release")
    event["release"]["body"] = "x" * 40_000_000
    env = runner_env(tmp_path, "release", event, {"api_url": iftrue.url, "timeout": "1"})
    run = run_action(env)
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["result"] == "created"
    assert len(iftrue.posts) == 1
    assert iftrue.posts[0].json()["title"] == "v2.4.0"


@pytest.mark.parametrize("where", ["release body", "201 answer", "401 answer"])
def test_a_reference_of_5000_digits_is_text(tmp_path: Path, where: str) -> None:
    # Python refuses to read an integer of over 4,300 digits: no reference is read that long.
    text = "see &#" + "1" * 5000 + ";"
    event = payload("release")
    if where == "release body":
        event["release"]["body"] = text
    status = 401 if where == "401 answer" else 201
    with FakeIftrue(Answer(status, {"id": "a", "message": text})) as iftrue:
        env = runner_env(tmp_path, "release", event, {"api_url": iftrue.url, "timeout": str(TIMEOUT)})
        run = run_action(env)
    assert "Traceback" not in run.stdout + run.stderr
    assert not any("Internal error" in line for line in run.warnings + run.errors)
    assert run.outputs["result"] == ("failed" if status == 401 else "created")
    assert len(iftrue.posts) == 1


def test_github_answering_202_forever_ends_the_lookups(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # PyGithub sleeps 2 s and asks again after a 202, with no limit (Requester.__requestRaw).
    with FakeGitHub(dict.fromkeys(ROUTES, Answer(202, {}))) as github:
        start = time.monotonic()
        run = run_with_github(tmp_path, github, iftrue, "release", payload("release"), timeout=str(TIMEOUT))
        seconds = time.monotonic() - start
    assert seconds < TIMEOUT + MARGIN
    assert run.code == 0
    assert run.outputs["result"] == "created"
    assert len(iftrue.posts) == 1
    [warning] = [w for w in run.warnings if w.startswith("GitHub look-ups failed")]
    assert "202" in warning
    assert all(github.routes.count(route) == 1 for route in github.routes)  # none asked again


def test_a_slow_github_ends_the_lookups_within_their_share(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # Each page in time for its own request timeout; together past the look-ups' share of
    # `timeout` (a third of 3 s), after which no look-up is tried.
    slow = {route: Answer(200, [], delay=0.7) for route in ROUTES}
    with FakeGitHub(slow) as github:
        start = time.monotonic()
        run = run_with_github(tmp_path, github, iftrue, "release", payload("release"), timeout=str(TIMEOUT))
        seconds = time.monotonic() - start
    assert seconds < TIMEOUT + MARGIN
    assert len(github.requests) <= 2
    assert run.outputs["result"] == "created"
    [warning] = [w for w in run.warnings if w.startswith("GitHub look-ups failed")]
    assert "timed out" in warning


def test_a_github_that_trickles_its_headers_ends_the_lookups(tmp_path: Path, iftrue: FakeIftrue) -> None:
    head = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000 + b"\r\n\r\n"
    with TrickleServer(head, b"[]", trickle="head") as github:
        env = iftrue_env(tmp_path, iftrue.url, github_token=GITHUB_TOKEN)
        env["GITHUB_API_URL"] = github.url
        run, seconds = timed(env)
    assert seconds < TIMEOUT + MARGIN
    assert run.outputs["result"] == "created"
    assert len(iftrue.posts) == 1
    assert any(w.startswith("GitHub look-ups failed") for w in run.warnings)


# --- memory ---------------------------------------------------------------------------------

HUGE = 40 * 1024 * 1024


def run_measured(env: dict[str, str]) -> tuple[Run, int]:
    """Run the action; with its peak memory (maximum resident set) in bytes."""
    probe = (
        "import resource, subprocess, sys\n"
        "proc = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "sys.stdout.buffer.write(proc.stdout)\n"
        "sys.stderr.buffer.write(proc.stderr)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(peak, file=open(sys.argv[0] + '.rss', 'w'))\n"
        "sys.exit(proc.returncode)\n"
    )
    script = Path(env["HOME"]) / "measure.py"
    script.write_text(probe)
    proc = subprocess.run(
        [sys.executable, str(script), sys.executable, str(ENTRYPOINT)],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    kib = int(Path(f"{script}.rss").read_text())
    run = collect(proc.returncode, proc.stdout, proc.stderr, env["GITHUB_OUTPUT"], env["GITHUB_STEP_SUMMARY"])
    return run, kib * 1024 if sys.platform != "darwin" else kib


def test_a_40_mb_answer_is_read_to_1_mib(tmp_path: Path) -> None:
    body = b'{"id": "3f0c2a8e-6b1d-4c55-9d0e-0a1b2c3d4e5f", "title": "' + b"a" * HUGE + b'"}'
    with FakeIftrue(Answer(201, body)) as iftrue:
        run, peak = run_measured(iftrue_env(tmp_path, iftrue.url))
    assert run.code == 0
    assert run.outputs["result"] == "created"
    assert peak < 100 * 1024 * 1024  # about 50 MB; reading it whole took over 150 MB
    response = run.outputs["response"]
    assert len(response.encode()) <= 64 * 1024
    assert response.startswith('{"id": "3f0c')
    assert response.endswith("… shortened to fit the `response` output (64 KiB at most).")
    assert any("over 1 MiB" in w for w in run.warnings)


def test_a_40_mb_github_answer_fails_only_its_lookup(tmp_path: Path, iftrue: FakeIftrue) -> None:
    huge = b'[{"number": 1, "title": "' + b"a" * HUGE + b'"}]'
    with FakeGitHub(happy(pulls=Answer(200, huge))) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", payload("release"))
    assert run.outputs["result"] == "created"
    [warning] = [w for w in run.warnings if w.startswith("GitHub look-ups failed")]
    assert "PR of commit" in warning and "answer over 1 MiB" in warning


# --- a 2xx is final -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "headers", "deployment_id"),
    [
        pytest.param(b'{"id": "\\ud800"}', {}, "\ufffd", id="lone surrogate"),
        pytest.param(b'{"id": "\\udfff\\ud800x", "title": "\\ud83d"}', {}, "\ufffd\ufffdx", id="surrogates"),
        pytest.param(b"<html>Created</html>", {}, "", id="not JSON"),
        pytest.param(b'{"id": 5}', {}, "5", id="id a number"),
        pytest.param(b'{"id": ["x"]}', {}, "", id="id a list"),
        # An id is one word: a line break or a space would add lines to the log and the output.
        pytest.param(b'{"id": "7\\n::error::x\\rresult=failed ##[error]x"}', {}, "", id="id of lines"),
        pytest.param(b'{"id": "' + b"7" * 201 + b'"}', {}, "", id="id too long"),
        pytest.param(b"[" * 100_000, {}, "", id="nested too deep"),
        pytest.param(b"\xff\xfe\x00{", {}, "", id="not UTF-8"),
        pytest.param(
            b'{"id": "a"}', {"Content-Type": "application/json; charset=rot13"}, "a", id="odd charset"
        ),
        pytest.param(b'{"id": "a"}', {"Content-Encoding": "gzip"}, "a", id="not gzip"),
    ],
)
def test_an_odd_2xx_answer_is_a_warning(
    tmp_path: Path, body: bytes, headers: dict[str, str], deployment_id: str
) -> None:
    with FakeIftrue(Answer(201, body, headers)) as iftrue:
        run = run_action(iftrue_env(tmp_path, iftrue.url))
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["result"] == "created"
    assert run.outputs["deployment_id"] == deployment_id
    assert "### Deployment recorded in iftrue" in run.summary
    assert "Traceback" not in run.stdout + run.stderr
    assert not any("Internal error" in w for w in run.warnings + run.errors)
    if not deployment_id:
        assert any("its id is unknown" in w or "not one short word" in w for w in run.warnings)
    assert len(iftrue.posts) == 1


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"HTTP/1.1 201 Created\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", id="200 headers"),
        pytest.param(
            b"HTTP/1.1 201 Created\r\nContent-Length: 11\r\nContent-Length: 12\r\n\r\n", id="two lengths"
        ),
        pytest.param(b"HTTP/1.1 201 Created\r\nX-A: " + b"b" * 70_000 + b"\r\n\r\n", id="a 70 kB header"),
        pytest.param(b"HTTP/1.1 201 Created\r\nX-A: " + b"b" * 10_000_000 + b"\r\n\r\n", id="a 10 MB header"),
        pytest.param(
            b"\r\nHTTP/1.1 201 Created\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", id="a blank line first"
        ),
        pytest.param(b"HTTP/1.1 201 " + b"C" * 100_000 + b"\r\n\r\n", id="a status line of 100 kB"),
        pytest.param(b"HTTP/1.1 201Created\r\n\r\n", id="no space after the status"),
        pytest.param(b"http/1.1 201 Created\r\n\r\n", id="lower case"),
        pytest.param(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 " + b"C" * 70_000 + b"\r\n\r\n", id="after 100"
        ),
    ],
)
def test_a_201_whose_headers_cannot_be_read_is_sent_once(tmp_path: Path, head: bytes) -> None:
    # http.client or urllib3 refuses what follows the request: iftrue may have taken the record,
    # so the POST is never retried as a read error (it would be recorded again).
    with TrickleServer(head, b'{"id": "a"}', trickle="none") as server:
        run, seconds = timed(iftrue_env(tmp_path, server.url))
    assert seconds < TIMEOUT + MARGIN
    assert_sent_once_maybe_recorded(run, server)


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"HTTP/1.1 201 Created\r\nX-A \x00 b\r\n\r\n", id="a header without a colon"),
    ],
)
def test_a_201_with_a_garbled_header_is_created_and_sent_once(tmp_path: Path, head: bytes) -> None:
    with TrickleServer(head, b'{"id": "a"}', trickle="none") as server:
        # Nothing here is about time: a deadline far off keeps a loaded machine from cutting the body.
        run = run_action(iftrue_env(tmp_path, server.url, timeout="30"))
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["result"] == "created"
    assert run.outputs["deployment_id"] == "a"
    assert server.connections == 1


def assert_sent_once_maybe_recorded(run: Run, server: TrickleServer) -> None:
    """One POST, and a run that says iftrue may hold the record: no resend, no blind replay."""
    assert run.code == 0, run.stdout + run.stderr
    assert server.connections == 1
    assert run.outputs["result"] == "failed"
    [warning] = [w for w in run.warnings if "may have recorded the deployment" in w]
    assert "after the record was sent" in warning and "before replaying" in warning
    assert "if iftrue does not list this deployment, run the action again" in warning
    # The summary's replay says the same: look in iftrue first.
    assert "iftrue may have recorded this deployment" in html.unescape(run.summary)
    assert "To record this deployment later" not in run.summary
    assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.parametrize(
    ("head", "interval"),
    [
        pytest.param(
            b"HTTP/1.1 201 " + b"C" * 200 + b"\r\n\r\n", 0.05, id="a reason trickling past the deadline"
        ),
        pytest.param(b"http/1.1 201 Created\r\n\r\n", 0.02, id="lower case, a byte at a time"),
        pytest.param(b"HTTP/1.1 201Created\r\n\r\n", 0.02, id="no space, a byte at a time"),
        pytest.param(b"\r\n\nHTTP/1.1 201Created\r\n\r\n", 0.02, id="after blank lines"),
        pytest.param(
            b"\r\n" * 70 + b"HTTP/1.1 201 Created\r\n" + b"X: y\r\n" * 150, 0.001, id="after 70 blank lines"
        ),
    ],
)
def test_a_201_status_line_that_comes_in_pieces_is_sent_once(
    tmp_path: Path, head: bytes, interval: float
) -> None:
    with TrickleServer(head, b'{"id": "a"}', trickle="head", interval=interval) as server:
        run, seconds = timed(iftrue_env(tmp_path, server.url))
    assert seconds < TIMEOUT + MARGIN
    assert_sent_once_maybe_recorded(run, server)


@pytest.mark.parametrize("fail_on_error", ["false", "true"])
def test_a_201_whose_headers_trickle_ends_at_the_deadline_sent_once(
    tmp_path: Path, fail_on_error: str
) -> None:
    head, headers = b"HTTP/1.1 201 Created\r\n", b"Content-Type: application/json\r\n" * 50 + b"\r\n"
    with TrickleServer(head, headers, trickle="body") as server:
        run, seconds = timed(iftrue_env(tmp_path, server.url, fail_on_error=fail_on_error))
    assert seconds < TIMEOUT + MARGIN
    if fail_on_error == "true":
        assert run.code == 1 and server.connections == 1
        assert any("may have recorded the deployment" in e for e in run.errors)
    else:
        assert_sent_once_maybe_recorded(run, server)


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"HTTP/1.1 201 Created\r\nContent-Length: -5\r\n\r\n", id="negative length"),
        pytest.param(b"HTTP/1.1 2O1 Created\r\n\r\n", id="garbled status"),
        pytest.param(b"HTTP/1.1 503 Busy\r\nRetry-After: " + b"9" * 5000 + b"\r\n\r\n", id="5,000 digits"),
        pytest.param(b"HTTP/1.1 503 Busy\r\nRetry-After: Fri, 99 Foo 20x6\r\n\r\n", id="garbled date"),
        pytest.param(b"HTTP/1.1 503 Busy\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", id="503 and 200 headers"),
    ],
)
def test_absurd_answers_end_in_a_message(tmp_path: Path, head: bytes) -> None:
    with TrickleServer(head, b'{"id": "a"}', trickle="none") as server:
        run, seconds = timed(iftrue_env(tmp_path, server.url))
    assert seconds < TIMEOUT + MARGIN
    assert run.code == 0
    assert run.outputs["result"] in ("created", "failed")
    assert "Traceback" not in run.stdout + run.stderr
    assert not any("Internal error" in w for w in run.warnings + run.errors)


@pytest.mark.parametrize("garbage", ["9" * 5000, "soon", "Fri, 99 Foo 20x6", " " * 70 + "1"])
def test_retry_after_garbage_counts_as_absent(tmp_path: Path, garbage: str) -> None:
    with FakeIftrue(Answer(503, {}, {"Retry-After": garbage})) as iftrue:
        run, seconds = timed(iftrue_env(tmp_path, iftrue.url))
    assert seconds < TIMEOUT + MARGIN
    assert run.outputs["result"] == "created"  # the usual back-off, then the second attempt
    assert len(iftrue.posts) == 2


def test_retry_after_past_the_deadline_stops_at_once(tmp_path: Path) -> None:
    with FakeIftrue(Answer(503, {"message": "down"}, {"Retry-After": "3600"})) as iftrue:
        run, seconds = timed(iftrue_env(tmp_path, iftrue.url))
    assert seconds < MARGIN
    assert run.outputs["result"] == "failed"
    assert len(iftrue.posts) == 1
    [warning] = [w for w in run.warnings if "iftrue at" in w]
    assert "answered 503 on 1 attempt(s), and another would pass the `timeout` input (3 s)" in warning


def test_a_deeply_nested_event_with_a_lone_surrogate(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event: Any = payload("release")
    nested: Any = "\ud800"
    for _ in range(800):
        nested = [nested]
    event["extra"] = nested
    event["release"]["name"] = "v2.4.0 \ud800"
    run = run_action(runner_env(tmp_path, "release", event, {"api_url": iftrue.url}))
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["result"] == "created"
    assert iftrue.posts[0].json()["title"] == "v2.4.0 \ufffd"


# --- one URL parser -------------------------------------------------------------------------


def test_a_url_read_two_ways_is_refused(tmp_path: Path) -> None:
    with FakeIftrue() as iftrue:
        port = iftrue.url.rsplit(":", 1)[1]
        # urllib.parse reads host 127.0.0.1; urllib3, which connects, reads 192.0.2.2.
        env = iftrue_env(tmp_path, f"http://192.0.2.2\\@127.0.0.1:{port}")
        run = run_action(env)
        assert iftrue.requests == []
    assert run.code == 1
    assert run.errors[0].startswith(
        "Input 'api_url' must be an http:// or https:// URL (it holds a backslash)"
    )
    assert run.outputs["result"] == "failed"
