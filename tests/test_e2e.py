"""The action as a process, with a runner-like environment, against a loopback iftrue."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import (
    ENTRYPOINT,
    EXPIRED_TOKEN,
    RELEASE_BODY,
    ROOT,
    SHA,
    TOKEN,
    Answer,
    FakeIftrue,
    payload,
    run_action,
    runner_env,
)


def release_env(tmp_path: Path, server: FakeIftrue, **inputs: str) -> dict[str, str]:
    return runner_env(tmp_path, "release", payload("release"), {"api_url": server.url, **inputs})


def test_created(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = run_action(release_env(tmp_path, iftrue))
    assert run.code == 0, run.stdout
    [post] = iftrue.posts
    assert post.path == "/v1/organization/deployment"
    assert post.json() == RELEASE_BODY
    assert post.headers["authorization"] == f"Bearer {TOKEN}"
    assert post.headers["content-type"] == "application/json"
    assert post.headers["accept"] == "application/json"
    assert post.headers["user-agent"].startswith("track-deployment/1.0.0")
    assert run.outputs["result"] == "created"
    assert run.outputs["deployment_id"] == "3f0c2a8e-6b1d-4c55-9d0e-0a1b2c3d4e5f"
    assert json.loads(run.outputs["payload"]) == RELEASE_BODY
    assert json.loads(run.outputs["response"])["id"] == "3f0c2a8e-6b1d-4c55-9d0e-0a1b2c3d4e5f"
    assert run.notices == ["Deployment recorded in iftrue (id 3f0c2a8e-6b1d-4c55-9d0e-0a1b2c3d4e5f)."]
    assert "### Deployment recorded in iftrue" in run.summary
    assert f'<a href="https://github.com/octo-org/shop/commit/{SHA}">' in run.summary
    assert '<a href="https://github.com/octo-org/shop/actions/runs/12345678901">logs</a>' in run.summary
    assert run.stderr == ""
    assert run.stdout.splitlines()[0] == f"::add-mask::{TOKEN}"


def test_dry_run_sends_nothing_and_needs_no_token(tmp_path: Path, iftrue: FakeIftrue) -> None:
    env = release_env(tmp_path, iftrue, dry_run="TRUE", token="")
    run = run_action(env)
    assert run.code == 0
    assert iftrue.requests == []
    assert run.outputs == {
        "result": "dry_run",
        "deployment_id": "",
        "payload": json.dumps(RELEASE_BODY, ensure_ascii=False),
        "response": "",
    }
    assert "Dry run" in run.notices[0]
    assert "### Deployment record (dry run, nothing sent)" in run.summary
    assert "| `title` | v2.4.0 |" in run.summary


def test_skipped_event(tmp_path: Path, iftrue: FakeIftrue) -> None:
    data = payload("pull_request")
    data["pull_request"]["merged"] = False
    run = run_action(runner_env(tmp_path, "pull_request", data, {"api_url": iftrue.url}))
    assert run.code == 0
    assert iftrue.requests == []
    assert run.outputs["result"] == "skipped"
    assert run.outputs["payload"] == ""
    assert run.notices == [
        "Not a deployment: the pull request was closed without merging; only a merged pull request is a "
        "deployment. Nothing was sent to iftrue."
    ]
    assert "### No deployment recorded: event skipped" in run.summary
    assert "| event | pull&#95;request |" in run.summary
    assert '<a href="https://github.com/octo-org/shop/actions/runs/12345678901">logs</a>' in run.summary


def test_replay_sends_payload_as_is(tmp_path: Path, iftrue: FakeIftrue) -> None:
    record = {**RELEASE_BODY, "deployment_duration": 3.25, "is_hotfix": True}
    # The event is not even read: a replay works from any workflow.
    env = runner_env(
        tmp_path, "workflow_dispatch", b"not json", {"api_url": iftrue.url, "payload": json.dumps(record)}
    )
    run = run_action(env)
    assert run.code == 0, run.stdout
    assert iftrue.posts[0].json() == record
    assert run.outputs["result"] == "created"


def test_retries_503_twice_then_created(tmp_path: Path) -> None:
    with FakeIftrue(Answer(503, {"message": "busy"}), Answer(503, {"message": "busy"})) as server:
        run = run_action(release_env(tmp_path, server))
    assert run.code == 0, run.stdout
    assert len(server.posts) == 3
    assert all(p.json() == RELEASE_BODY for p in server.posts)
    assert run.outputs["result"] == "created"
    assert "after 3 attempts" in run.notices[0]


def test_429_honours_retry_after(tmp_path: Path) -> None:
    with FakeIftrue(Answer(429, {"message": "slow down"}, {"Retry-After": "2"})) as server:
        started = time.monotonic()
        run = run_action(release_env(tmp_path, server))
        elapsed = time.monotonic() - started
    assert run.code == 0
    assert len(server.posts) == 2
    assert elapsed >= 2


def test_401_fails_even_without_fail_on_error(tmp_path: Path) -> None:
    with FakeIftrue(Answer(401, {"message": "invalid token"})) as server:
        run = run_action(release_env(tmp_path, server))
    assert run.code == 1
    assert len(server.posts) == 1  # never retried
    assert run.outputs["result"] == "failed"
    assert json.loads(run.outputs["payload"]) == RELEASE_BODY
    [error] = run.errors
    assert "iftrue answered 401: the token was refused (invalid token)" in error
    assert [c.properties.get("title") for c in run.commands if c.name == "error"] == [
        "iftrue rejected the deployment"
    ]


def test_422_shows_message_and_never_the_echoed_token(tmp_path: Path) -> None:
    echo = {"message": f"commit_id unknown; your token {TOKEN} is fine", "token": TOKEN}
    with FakeIftrue(Answer(422, echo)) as server:
        run = run_action(release_env(tmp_path, server))
    assert run.code == 1
    assert "rejecting the record: commit_id unknown; your token *** is fine" in run.errors[0]
    lines = run.everything().replace(f"::add-mask::{TOKEN}", "")
    assert TOKEN not in lines
    assert "<details><summary>Payload (JSON)</summary>" in run.summary
    assert "payload: ${{ inputs.payload }}" in run.summary


def test_outage_without_fail_on_error_succeeds_with_warning(tmp_path: Path) -> None:
    with FakeIftrue(*[Answer(502, "<html>bad gateway</html>")] * 5) as server:
        run = run_action(release_env(tmp_path, server, timeout="30"))
    assert run.code == 0
    assert len(server.posts) == 5
    assert run.outputs["result"] == "failed"
    assert json.loads(run.outputs["payload"]) == RELEASE_BODY
    assert run.errors == []
    warning = run.warnings[-1]
    assert "iftrue answered 502 after 5 attempts" in warning
    assert "`payload` input" in warning and "fail_on_error" in warning
    assert "### Deployment not recorded" in run.summary


def test_outage_with_fail_on_error_fails(tmp_path: Path) -> None:
    env = release_env(tmp_path, FakeIftrue(), api_url="http://127.0.0.1:9", fail_on_error="true", timeout="5")
    run = run_action(env)
    assert run.code == 1
    assert run.outputs["result"] == "failed"
    assert (
        "iftrue at http://127.0.0.1:9/v1/organization/deployment: 127.0.0.1 refused the connection"
        in run.errors[0]
    )
    assert re.search(r"\([2-5] attempts; another would pass the `timeout` input \(5 s\)\)", run.errors[0])
    assert json.loads(run.outputs["payload"]) == RELEASE_BODY


def test_timeout_bounds_the_whole_delivery(tmp_path: Path) -> None:
    with FakeIftrue(*[Answer(201, {"id": "late"}, delay=10)] * 5) as server:
        started = time.monotonic()
        run = run_action(release_env(tmp_path, server, timeout="2"))
        elapsed = time.monotonic() - started
    assert run.code == 0
    assert run.outputs["result"] == "failed"
    assert "`timeout` input (2 s)" in run.warnings[-1]
    assert elapsed < 8


def test_non_json_success_is_created_with_warning(tmp_path: Path) -> None:
    with FakeIftrue(Answer(201, "ok", {"Content-Type": "text/plain"})) as server:
        run = run_action(release_env(tmp_path, server))
    assert run.code == 0
    assert run.outputs["result"] == "created"
    assert run.outputs["deployment_id"] == ""
    assert "not a JSON object" in run.warnings[-1]


def test_redirect_is_not_followed(tmp_path: Path) -> None:
    with FakeIftrue(
        Answer(301, "", {"Location": "https://elsewhere.example/v1/organization/deployment"})
    ) as server:
        run = run_action(release_env(tmp_path, server))
    assert run.code == 1
    assert len(server.posts) == 1
    assert "set the `api_url` input to the service's final address" in run.errors[0]


def test_expired_token_is_refused_before_anything_is_sent(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = run_action(release_env(tmp_path, iftrue, token=EXPIRED_TOKEN))
    assert run.code == 1
    assert iftrue.requests == []
    assert "Input 'token' expired at 2020-09-13 12:26:40 UTC" in run.errors[0]
    assert run.outputs["result"] == "failed"
    assert "### Deployment not recorded" in run.summary
    assert "Input &#x27;token&#x27; expired" in run.summary
    assert "| result | `failed` |" in run.summary


def test_token_that_is_not_a_jwt_is_sent_with_a_warning(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = run_action(release_env(tmp_path, iftrue, token="opaque-token-value"))
    assert run.code == 0
    assert any("does not look like a JWT" in warning for warning in run.warnings)
    assert iftrue.posts[0].headers["authorization"] == "Bearer opaque-token-value"


def test_input_overrides_and_job_status(tmp_path: Path, iftrue: FakeIftrue) -> None:
    env = release_env(
        tmp_path,
        iftrue,
        title="Manual deploy",
        status="failure",
        deployment_duration="4.25",
        is_hotfix="True",
        pull_request_number="77",
        member_id="42",
    )
    run = run_action(env)
    assert run.code == 0
    sent = iftrue.posts[0].json()
    assert sent == {
        **RELEASE_BODY,
        "title": "Manual deploy",
        "status": "fail",
        "deployment_duration": 4.25,
        "is_hotfix": True,
        "pull_request_number": 77,
        "member_id": "42",
    }


def test_missing_event_file_is_a_clear_error(tmp_path: Path, iftrue: FakeIftrue) -> None:
    env = runner_env(tmp_path, "release", None, {"api_url": iftrue.url})
    run = run_action(env)
    assert run.code == 1
    assert "Cannot read the event file named by GITHUB_EVENT_PATH" in run.errors[0]
    assert "Traceback" not in run.stdout + run.stderr
    assert iftrue.requests == []


def test_help_lists_inputs() -> None:
    out = subprocess.run(
        [sys.executable, str(ENTRYPOINT), "--help"], capture_output=True, text=True, check=True
    ).stdout
    for name in ("INPUT_TOKEN", "INPUT_API_URL", "INPUT_PAYLOAD", "INPUT_HOTFIX_LABELS", "INPUT_DRY_RUN"):
        assert name in out


def test_https_with_a_private_ca(tmp_path: Path) -> None:
    """Self-hosted runners behind a TLS proxy or a private iftrue: REQUESTS_CA_BUNDLE is honoured.

    Also exercises the HTTPS stand-in that the workflow self-test runs (.github/mock-iftrue.py).
    """
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a certificate")
    cert, key, record = tmp_path / "ca.pem", tmp_path / "key.pem", tmp_path / "requests.jsonl"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mock = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / ".github/mock-iftrue.py"),
            "--port",
            str(port),
            "--cert",
            str(cert),
            "--key",
            str(key),
            "--record",
            str(record),
        ]
    )
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                time.sleep(0.1)
        env = runner_env(tmp_path, "release", payload("release"), {"api_url": f"https://localhost:{port}"})
        untrusted = run_action(
            {**env, "GITHUB_OUTPUT": str(tmp_path / "out1"), "GITHUB_STEP_SUMMARY": str(tmp_path / "s1")}
        )
        trusted = run_action({**env, "REQUESTS_CA_BUNDLE": str(cert)})
    finally:
        mock.terminate()
        mock.wait()
    assert untrusted.outputs["result"] == "failed"  # the certificate is not trusted by default
    assert trusted.code == 0, trusted.stdout
    assert trusted.outputs["result"] == "created"
    [request] = [json.loads(line) for line in record.read_text().splitlines()]
    assert request["body"] == RELEASE_BODY
    assert request["authorization"] == f"Bearer {TOKEN}"


def test_label_inputs_decide_fix_and_hotfix(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = payload("pull_request")
    event["pull_request"].update(title="Stop double charging", labels=[{"name": "P0"}, {"name": "Bug"}])
    event["pull_request"]["head"]["ref"] = "urgent"
    inputs = {"api_url": iftrue.url, "hotfix_labels": "p0, sev1", "fix_labels": "defect"}
    run = run_action(runner_env(tmp_path, "pull_request", event, inputs))
    assert run.code == 0
    sent = iftrue.posts[0].json()
    assert sent["is_hotfix"] is True
    assert "is_fix" not in sent  # "Bug" is not in the custom fix_labels
