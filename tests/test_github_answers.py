"""GitHub as self-hosted runners and GitHub Enterprise Server answer it: refusals whose body is
not a JSON object, and an API addressed by an IPv6 literal. Each runs the action as a process
against a fake GitHub on loopback; what is checked is the warning, the requests made and the
body sent to iftrue."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from support import Answer, FakeGitHub, FakeIftrue, payload
from test_lookups import happy, run_with_github, sent


@pytest.mark.parametrize(
    "body", [["Bad credentials"], b'"Bad credentials"', None], ids=["array", "string", "empty"]
)
def test_a_refused_token_of_any_shape_stops_the_look_ups(
    tmp_path: Path, iftrue: FakeIftrue, body: object
) -> None:
    refused = Answer(401, body) if body is not None else Answer(401, {})
    with FakeGitHub({name: refused for name in happy()}) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"))
    assert (run.code, run.outputs["result"]) == (0, "created"), run.stdout
    assert len(github.requests) == 1  # the token was refused: no other request is worth making
    [warning] = [w for w in run.warnings if "GitHub look-ups failed" in w]
    assert "(401 " in warning
    assert "Give the `github_token` input a valid token" in warning


def test_a_missing_permission_with_a_string_body_names_the_permission(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    with FakeGitHub(happy(pulls=Answer(403, b'"Resource not accessible by integration"'))) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"))
    assert run.code == 0, run.stdout
    [warning] = [w for w in run.warnings if "GitHub look-ups failed" in w]
    assert "PR of commit 9f2c1e4 (403 forbidden)" in warning
    assert "Grant the job `permissions:` pull-requests: read" in warning
    assert len(github.requests) > 1  # one missing permission: the other look-ups still run


def test_an_ipv6_literal_api_url_reaches_github_enterprise_server(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(happy(), prefix="/api/v3", host="::1") as github:
        assert github.api_url.startswith("http://[::1]:")
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"))
    assert run.code == 0, run.stdout
    assert "pulls" in github.routes
    assert sent(iftrue)["title"] == "Round totals once"  # the pull request's title, looked up
    assert not [w for w in run.warnings if "GitHub look-ups failed" in w]


def test_an_api_url_that_is_no_apis_turns_the_look_ups_off_with_a_warning(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    """A hand-set GITHUB_API_URL (the command on GHES, say) that is no API's never fails the run."""
    with FakeGitHub(happy()) as github:
        run = run_with_github(
            tmp_path, github, iftrue, "push", payload("push"), {"GITHUB_API_URL": "ftp://ghe.example"}
        )
        assert github.requests == []
    assert (run.code, run.outputs["result"]) == (0, "created"), run.stdout
    [warning] = [w for w in run.warnings if w.startswith("GITHUB_API_URL")]
    assert "so no GitHub look-up was made" in warning and "https://HOST/api/v3" in warning
    assert "no look-up of the run's jobs was made (GITHUB_API_URL" in html.unescape(run.summary)
