"""The `track-deployment` command: flags for inputs, for CI systems other than GitHub Actions."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from support import RELEASE_BODY, ROOT, SHA, TOKEN, FakeIftrue, payload, runner_env

from track_deployment.inputs import INPUT_DEFAULTS
from track_deployment.mapping import MISSING_HINTS

# What a job on another CI has: no GITHUB_* variables, no event file.
FIELDS = [
    "--commit-id",
    SHA,
    "--branch",
    "main",
    "--repository-url",
    "https://gitlab.example.com/octo-org/shop",
    "--member-id",
    "42",
    "--title",
    "Release 2.4",
]


def cli(args: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "track_deployment", *args],
        # This checkout's package, not the one installed in the environment.
        env={**env, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def bare_env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}


def test_flags_alone_record_a_deployment(bare_env: dict[str, str], iftrue: FakeIftrue) -> None:
    run = cli(
        [*FIELDS, "--api-url", iftrue.url, "--pull-request-number", "7"], {**bare_env, "IFTRUE_TOKEN": TOKEN}
    )
    assert run.returncode == 0, run.stdout + run.stderr
    [post] = iftrue.posts
    assert post.json() == {
        "title": "Release 2.4",
        "branch": "main",
        "commit_id": SHA,
        "repository_url": "https://gitlab.example.com/octo-org/shop",
        "member_id": "42",
        "pull_request_number": 7,
        "status": "succes",
    }
    assert post.headers["authorization"] == f"Bearer {TOKEN}"


def test_token_flag_wins_over_the_variable(bare_env: dict[str, str], iftrue: FakeIftrue) -> None:
    run = cli(
        [*FIELDS, "--api-url", iftrue.url, "--token", TOKEN], {**bare_env, "IFTRUE_TOKEN": "other.to.ken"}
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert iftrue.posts[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_missing_token_names_the_variable(bare_env: dict[str, str], iftrue: FakeIftrue) -> None:
    run = cli([*FIELDS, "--api-url", iftrue.url], bare_env)
    assert run.returncode == 1
    assert "Input 'token' (--token) is required" in run.stdout + run.stderr
    assert "IFTRUE_TOKEN" in run.stdout + run.stderr
    assert iftrue.requests == []


def test_flags_win_over_inputs_which_win_over_the_event(tmp_path: Path, iftrue: FakeIftrue) -> None:
    env = runner_env(
        tmp_path,
        "release",
        payload("release"),
        {"api_url": iftrue.url, "branch": "from-input", "title": "From input"},
        GITHUB_REF="refs/tags/v2.4.0",
        GITHUB_REF_NAME="v2.4.0",
    )
    run = cli(["--branch", "from-flag", "--is-hotfix"], env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert iftrue.posts[0].json() == {
        **RELEASE_BODY,
        "branch": "from-flag",
        "title": "From input",
        "is_hotfix": True,
    }


@pytest.mark.parametrize(
    ("args", "sent"), [(["--dry-run"], 0), (["--dry-run", "true"], 0), (["--dry-run=false"], 1)]
)
def test_dry_run_is_a_switch_or_takes_a_value(
    args: list[str], sent: int, bare_env: dict[str, str], iftrue: FakeIftrue
) -> None:
    run = cli([*FIELDS, "--api-url", iftrue.url, *args], {**bare_env, "IFTRUE_TOKEN": TOKEN})
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(iftrue.posts) == sent
    assert '"title": "Release 2.4"' in run.stdout


def test_unknown_flag_is_an_error_with_a_suggestion(bare_env: dict[str, str], iftrue: FakeIftrue) -> None:
    run = cli([*FIELDS, "--api-url", iftrue.url, "--comit-id", SHA], {**bare_env, "IFTRUE_TOKEN": TOKEN})
    assert run.returncode == 1
    assert run.stderr == (
        "track-deployment: unknown flag '--comit-id'; did you mean --commit-id?\n"
        "Run `track-deployment --help` for the list of flags.\n"
    )
    assert run.stdout == ""
    assert iftrue.requests == []
    assert cli(["--nope"], bare_env).stderr.startswith("track-deployment: unknown flag '--nope'.\n")


def test_a_bad_value_names_the_input(bare_env: dict[str, str], iftrue: FakeIftrue) -> None:
    run = cli(
        [*FIELDS, "--api-url", iftrue.url, "--commits-count", "many"], {**bare_env, "IFTRUE_TOKEN": TOKEN}
    )
    assert run.returncode == 1
    assert "Input 'commits_count' (--commits-count) must be a whole number" in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert iftrue.requests == []


def test_help_lists_a_flag_for_every_input(bare_env: dict[str, str]) -> None:
    run = cli(["--help"], bare_env)
    assert run.returncode == 0
    for name in INPUT_DEFAULTS:
        assert f"--{name.replace('_', '-')} " in run.stdout
        assert f"INPUT_{name.upper()}" in run.stdout
    assert "IFTRUE_TOKEN" in run.stdout


def test_started_at_times_a_deployment_on_another_ci(bare_env: dict[str, str], iftrue: FakeIftrue) -> None:
    import time

    started = int(time.time()) - 300  # what `date +%s` gave when the deploy job began
    run = cli(
        [*FIELDS, "--api-url", iftrue.url, "--started-at", str(started)], {**bare_env, "IFTRUE_TOKEN": TOKEN}
    )
    assert run.returncode == 0, run.stdout + run.stderr
    [post] = iftrue.posts
    assert 5 <= post.json()["deployment_duration"] <= 5 + (time.time() - started - 300) / 60 + 0.02


def test_messages_name_the_flag(bare_env: dict[str, str], iftrue: FakeIftrue) -> None:
    without_branch = [arg for arg in FIELDS if arg not in ("--branch", "main")]
    run = cli([*without_branch, "--api-url", iftrue.url], {**bare_env, "IFTRUE_TOKEN": TOKEN})
    assert run.returncode == 1
    assert run.stderr == (
        "Error (Missing deployment field): Cannot build the deployment record: branch is unknown "
        f"({MISSING_HINTS['branch']}): set the 'branch' input (--branch).\n"
    )
    run = cli([*FIELDS, "--api-url", iftrue.url, "--is-fix", "yes"], {**bare_env, "IFTRUE_TOKEN": TOKEN})
    assert (
        run.stderr == "Error (Invalid input): Input 'is_fix' (--is-fix) must be true or false, got 'yes'.\n"
    )
    run = cli([*FIELDS, "--api-url", iftrue.url], {**bare_env, "IFTRUE_TOKEN": TOKEN})
    assert run.returncode == 0
    assert (
        "Warning (track-deployment): No pull request is associated with this deployment, so "
        "pull_request_number is 0. Set the pull_request_number input (--pull-request-number), or give the "
        "github_token input (--github-token) a token with `pull-requests: read` so it can find the PR of "
        "the commit.\n"
    ) in run.stdout
    assert iftrue.requests[0].json()["branch"] == "main"


def test_without_title_the_record_is_titled_deployment(bare_env: dict[str, str], iftrue: FakeIftrue) -> None:
    # As docs/other-ci.md and --help say: --title is not required; without it the title is "Deployment".
    without_title = FIELDS[: FIELDS.index("--title")]
    run = cli([*without_title, "--api-url", iftrue.url], {**bare_env, "IFTRUE_TOKEN": TOKEN})
    assert run.returncode == 0, run.stdout + run.stderr
    assert iftrue.posts[0].json()["title"] == "Deployment"
    help_text = " ".join(cli(["--help"], bare_env).stdout.split())
    assert '--member-id; --title too, or the record is titled "Deployment"' in help_text
    assert (
        "GitHub look-ups token (PR, the run's jobs, commit count, ...); without it or '', none" in help_text
    )
    readme = " ".join((ROOT / "docs" / "other-ci.md").read_text().split())
    assert "Give `--title` too: without it the record is titled `Deployment`." in readme


def jenkins_repository_url(git_url: str) -> str:
    """What the documented Jenkins snippet passes as --repository-url for this GIT_URL."""
    readme = (ROOT / "docs" / "other-ci.md").read_text()
    snippet = readme[readme.index("**Jenkins**") :]
    snippet = snippet[snippet.index("        repository=${GIT_URL") : snippet.index("        esac\n") + 13]
    run = subprocess.run(
        ["sh", "-c", snippet + 'printf %s "$repository"'],
        env={"PATH": os.environ["PATH"], "GIT_URL": git_url},
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout


@pytest.mark.parametrize(
    "git_url",
    [
        "https://github.com/octo-org/shop.git",
        "https://github.com/octo-org/shop",
        "git@github.com:octo-org/shop.git",
        "ssh://git@github.com/octo-org/shop.git",
    ],
)
def test_jenkins_snippet_gives_an_https_repository_url(
    git_url: str, bare_env: dict[str, str], iftrue: FakeIftrue
) -> None:
    repository = jenkins_repository_url(git_url)
    assert repository == "https://github.com/octo-org/shop"
    args = [*FIELDS, "--repository-url", repository, "--api-url", iftrue.url]
    run = cli(args, {**bare_env, "IFTRUE_TOKEN": TOKEN})  # the later flag wins
    assert run.returncode == 0, run.stderr
    assert iftrue.posts[0].json()["repository_url"] == "https://github.com/octo-org/shop"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--title", "x", TOKEN],
            "unexpected argument (its value is not shown): every value follows its flag",
        ),
        (["--tokn=" + TOKEN], "unknown flag '--tokn'; did you mean --token?"),
        (["--token" + TOKEN], "unknown flag (not shown)."),  # a missing space
        (
            ["--version=" + TOKEN],
            "argument --version: ignored explicit argument (the value given is not shown).",
        ),
        # argparse quotes with double quotes a value holding a single quote.
        (["--version=" + TOKEN + "'"], "argument --version: ignored explicit argument (the value given"),
        (["-h" + TOKEN + "'\""], "argument -h/--help: ignored explicit argument (the value given"),
    ],
)
def test_a_stray_value_is_never_repeated(
    bare_env: dict[str, str], iftrue: FakeIftrue, args: list[str], message: str
) -> None:
    # `IFTRUE_TOKEN=$T track-deployment --title x "$T"`: the token where a flag was meant.
    run = cli([*args, "--api-url", iftrue.url], {**bare_env, "IFTRUE_TOKEN": TOKEN})
    assert run.returncode == 1
    assert run.stderr.startswith(f"track-deployment: {message}")
    assert TOKEN[:20] not in run.stdout + run.stderr
    assert iftrue.requests == []


@pytest.mark.parametrize(
    "args",
    [
        ["--y##[error]from a title"],
        ["--version=##[warning]v"],
        ["--version=##[set-output name=result;]created'"],  # repr()'d in double quotes
        ["--version=##[set-output name=result;]created'\""],  # both quotes: single, escaped
        ["--help=::error::x"],
    ],
)
def test_a_flag_error_forms_no_command(bare_env: dict[str, str], args: list[str]) -> None:
    # An unquoted `--title $TITLE` in a workflow's `run:` makes event text a flag.
    run = cli(args, {**bare_env, "GITHUB_ACTIONS": "true"})
    assert run.returncode == 1
    assert "##[" not in run.stdout + run.stderr
    assert "::" not in run.stdout + run.stderr
