"""The iftrue token and the GitHub token appear nowhere but in the ::add-mask:: lines, on every path."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from support import (
    GITHUB_TOKEN,
    TOKEN,
    Answer,
    FakeGitHub,
    FakeIftrue,
    Recorded,
    payload,
    run_action,
    runner_env,
)

from track_deployment.inputs import MAX_PAYLOAD_BYTES


class EchoIftrue(FakeIftrue):
    """A service that echoes the request's headers back, as some error pages do."""

    def __init__(self, status: int) -> None:
        self.status = status
        super().__init__()

    def _route(self, request: Recorded) -> Answer:
        return Answer(
            self.status, {"message": f"headers: {json.dumps(request.headers)}", "echo": request.headers}
        )


def assert_no_token(run_text: str, token: str = TOKEN) -> None:
    text = "\n".join(line for line in run_text.splitlines() if not line.startswith("::add-mask::"))
    assert token not in text
    assert GITHUB_TOKEN not in text
    # Nor its start, as a value shortened in a message would show it (`got 'eyJhbGciOi…'`).
    assert token[:16] not in text
    assert GITHUB_TOKEN[:16] not in text
    assert f"Bearer {token}" not in text


PATHS = [
    ("created", "release", {}, Answer(201, {"id": "x", "echo": TOKEN})),
    ("skipped", "release-draft", {}, None),
    ("dry_run", "release", {"dry_run": "true"}, None),
    ("400 echo", "release", {}, Answer(400, {"message": f"bad token {TOKEN}"})),
    ("401 echo", "release", {}, Answer(401, f"Unauthorized: Bearer {TOKEN}")),
    ("403", "release", {}, Answer(403, {"error": TOKEN})),
    ("422 echo", "release", {}, Answer(422, {"detail": [TOKEN]})),
    ("404", "release", {}, Answer(404, TOKEN)),
    ("503 outage", "release", {"timeout": "3"}, Answer(503, {"message": TOKEN})),
    ("non-json 2xx", "release", {}, Answer(200, f"<p>{TOKEN}</p>")),
    ("invalid input", "release", {"is_fix": TOKEN}, None),
    ("token not a JWT", "release", {"token": "opaque-secret-123"}, None),
    (
        "token with Bearer prefix",
        "release",
        {"token": "Bearer opaque-secret-456"},
        Answer(401, "bad opaque-secret-456"),
    ),
]


MASKABLE = {"add-mask", "group", "endgroup", "notice", "warning", "error"}


@pytest.mark.parametrize(("actions", "debug"), [("true", "0"), ("true", "1"), ("", "0")])
@pytest.mark.parametrize(("event", "inputs", "answer"), [p[1:] for p in PATHS], ids=[p[0] for p in PATHS])
def test_tokens_never_leak(
    tmp_path: Path, event: str, inputs: dict[str, str], answer: Answer | None, actions: str, debug: str
) -> None:
    data = payload("release")
    if event == "release-draft":
        data["release"]["draft"] = True
    token = inputs.get("token", TOKEN).removeprefix("Bearer ")
    leaky = Answer(403, {"message": f"token {GITHUB_TOKEN} lacks scope; sent {token}"})
    with FakeIftrue(*([answer] * 5 if answer else [])) as iftrue, FakeGitHub({"pulls": leaky}) as github:
        env = runner_env(
            tmp_path, "release", data, {"api_url": iftrue.url, "github_token": GITHUB_TOKEN, **inputs}
        )
        env["GITHUB_API_URL"] = github.api_url
        env["RUNNER_DEBUG"] = debug
        env["GITHUB_ACTIONS"] = actions
        run = run_action(env)
    assert_no_token(run.everything(), token)
    # Read as the runner reads the log: the secrets are masked first, and only they are.
    assert {c.name for c in run.commands} <= MASKABLE
    masked = [c.message for c in run.commands if c.name == "add-mask"]
    if actions:
        # A JWT's payload and signature, and a GitHub token without `ghs_`, are masked too.
        parts = {*token.split(".")[1:], GITHUB_TOKEN.removeprefix("ghs_")}
        assert token in masked and set(masked) <= {token, f"Bearer {token}", GITHUB_TOKEN, *parts}
        assert run.commands[: len(masked)] == [c for c in run.commands if c.name == "add-mask"]
    else:
        assert masked == []
        assert token not in run.everything()  # no runner would hide it: it is never printed
        assert GITHUB_TOKEN not in run.everything()
    if debug == "1" and run.code == 1 and "Input" not in run.errors[0]:
        assert "Traceback (most recent call last)" in run.stdout


def test_header_echoing_service(tmp_path: Path) -> None:
    for status in (201, 422, 500):
        workdir = tmp_path / str(status)
        workdir.mkdir()
        with EchoIftrue(status) as iftrue:
            run = run_action(
                runner_env(workdir, "release", payload("release"), {"api_url": iftrue.url, "timeout": "3"})
            )
        assert iftrue.requests, "the request was made"
        assert_no_token(run.everything())


def test_token_from_the_ci_variable_is_masked(tmp_path: Path) -> None:
    # Other CI systems hand the token over as IFTRUE_TOKEN instead of the input.
    with EchoIftrue(422) as iftrue:
        env = runner_env(tmp_path, "release", payload("release"), {"api_url": iftrue.url})
        del env["INPUT_TOKEN"]
        env["IFTRUE_TOKEN"] = TOKEN
        run = run_action(env)
    assert iftrue.posts[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert run.code == 1
    assert_no_token(run.everything())


# Where text is shortened: iftrue's message in an annotation (500 characters) and a summary
# cell (300, after "iftrue answered 400, rejecting the record: ").
CUTS = [500, 300 - len("iftrue answered 400, rejecting the record: ")]


@pytest.mark.parametrize("cut", CUTS)
@pytest.mark.parametrize("overlap", [1, 4, len(TOKEN) // 2])
def test_a_token_cut_by_shortening_is_still_redacted(tmp_path: Path, cut: int, overlap: int) -> None:
    # iftrue echoes the token so that the cut falls inside it, `overlap` characters before its end.
    message = "x" * (cut - len(TOKEN) + overlap) + TOKEN
    with FakeIftrue(*[Answer(400, {"message": message})] * 5) as iftrue:
        run = run_action(runner_env(tmp_path, "release", payload("release"), {"api_url": iftrue.url}))
    assert run.code == 1
    assert_no_token(run.everything())
    text = "\n".join(line for line in run.everything().splitlines() if not line.startswith("::add-mask::"))
    assert TOKEN[:32] not in text
    assert run.errors[0].startswith("iftrue answered 400, rejecting the record: xxx")
    assert "***" in run.errors[0]
    if cut == CUTS[1]:
        assert "***" in html.unescape(run.summary)


def test_a_token_in_a_changelog_cut_to_fit_is_redacted(tmp_path: Path) -> None:
    # The record is shortened to fit the payload input, wherever the cut falls: with the token
    # repeated, it falls inside one, which must be redacted before it is cut.
    changelog = " ".join([TOKEN] * (MAX_PAYLOAD_BYTES // len(TOKEN) + 50))
    inputs = {"api_url": "http://127.0.0.1:9", "timeout": "1", "changelog": changelog}
    run = run_action(runner_env(tmp_path, "release", payload("release"), inputs))
    assert run.outputs["result"] == "failed"
    assert json.loads(run.outputs["payload"])["changelog"].endswith(" more characters")
    text = "\n".join(line for line in run.everything().splitlines() if not line.startswith("::add-mask::"))
    assert TOKEN[:8] not in text
