"""The `track-deployment` command: flags for inputs, for CI systems other than GitHub Actions."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from support import RELEASE_BODY, ROOT, SHA, TOKEN, Answer, FakeIftrue, payload, runner_env

from track_deployment.inputs import INPUT_DEFAULTS

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

# The record those flags give, with --pull-request-number 7.
RECORD = {
    "title": "Release 2.4",
    "branch": "main",
    "commit_id": SHA,
    "repository_url": "https://gitlab.example.com/octo-org/shop",
    "member_id": "42",
    "pull_request_number": 7,
}


def cli(args: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    # This checkout's package, whichever one the interpreter has installed.
    return subprocess.run(
        [sys.executable, "-m", "track_deployment", *args],
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
    assert post.json() == {**RECORD, "status": "succes"}
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
    assert "--token or IFTRUE_TOKEN is required" in run.stdout + run.stderr
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
    assert run.stderr == (  # one line
        "track-deployment: unknown flag '--comit-id'; did you mean --commit-id? "
        "Run `track-deployment --help` for the flags.\n"
    )
    assert run.stdout == ""
    assert iftrue.requests == []
    assert cli(["--nope"], bare_env).stderr == (
        "track-deployment: unknown flag '--nope'. Run `track-deployment --help` for the flags.\n"
    )
    assert cli(["--title"], bare_env).stderr == (
        "track-deployment: argument --title: expected one argument. "
        "Run `track-deployment --help` for the flags.\n"
    )


def test_a_bad_value_names_the_input(bare_env: dict[str, str], iftrue: FakeIftrue) -> None:
    run = cli(
        [*FIELDS, "--api-url", iftrue.url, "--commits-count", "many"], {**bare_env, "IFTRUE_TOKEN": TOKEN}
    )
    assert run.returncode == 1
    assert "--commits-count must be a whole number" in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert iftrue.requests == []


def test_help_lists_the_status_values_and_says_minutes(bare_env: dict[str, str]) -> None:
    help_text = " ".join(cli(["--help"], bare_env).stdout.split())
    for says in (
        "failed",
        "FAILURE".lower(),
        "passed",
        "succeededwithissues",
        "aborted",
        "not_built",
        "stopped",
    ):
        assert says in help_text
    assert "how long the deployment took, in minutes" in help_text


@pytest.mark.parametrize("name", ["--commit-id", "--branch", "--member-id", "--repository-url"])
def test_an_empty_required_flag_says_it_is_empty(
    bare_env: dict[str, str], iftrue: FakeIftrue, name: str
) -> None:
    # `--commit-id "$CI_COMMIT_SHA"` with the variable unset: "set --commit-id" would puzzle.
    args = list(FIELDS)
    args[args.index(name) + 1] = ""
    run = cli([*args, "--api-url", iftrue.url], {**bare_env, "IFTRUE_TOKEN": TOKEN})
    assert run.returncode == 1
    assert run.stderr.startswith(f"track-deployment: {name} is empty: give the value, or leave the flag out")
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


WITHOUT_BRANCH = [arg for arg in FIELDS if arg not in ("--branch", "main")]

# (case, flags, variables, iftrue's answers, exit code, what the messages must say)
MESSAGES: list[tuple[str, list[str], dict[str, str], list[Answer], int, list[str]]] = [
    ("no token", FIELDS, {"IFTRUE_TOKEN": ""}, [], 1, ["--token or IFTRUE_TOKEN is required"]),
    (
        "bad switch",
        [*FIELDS, "--is-fix", "yes"],
        {},
        [],
        1,
        ["--is-fix must be true or false, got 'yes'."],
    ),
    # A plain word is quoted back, so a CI variable's value can be seen; it cannot be a token.
    (
        "bad status",
        [*FIELDS, "--status", "deployed"],
        {},
        [],
        1,
        ["--status must be succes, ", "got 'deployed'."],
    ),
    (
        "bad member",
        [*FIELDS, "--member-id", "5" * 256],
        {},
        [],
        1,
        ["--member-id must be the git provider's id of a member, one line of at most 255 characters"],
    ),
    ("no branch", WITHOUT_BRANCH, {}, [], 1, ["): set --branch."]),
    (
        "no pull request",
        FIELDS,
        {},
        [Answer()],
        0,
        [
            "The deployment's pull request is unknown: no look-up of its pull request was made "
            "(GITHUB_REPOSITORY is empty: not a GitHub repository's run), so pull_request_number is 0. "
            "Set --pull-request-number.\n"
        ],
    ),
    (
        "outage",
        [*FIELDS, "--pull-request-number", "7", "--timeout", "1"],
        {},
        [Answer(503)] * 5,
        0,
        [
            "can be sent again as --payload to record this deployment.",
            "The exit code is 0 because --fail-on-error is not true.",
        ],
    ),
    ("not found", [*FIELDS, "--pull-request-number", "7"], {}, [Answer(404)], 1, ["check --api-url ("]),
    (
        "payload and a field",
        ["--payload", json.dumps(RECORD), "--title", "Other"],
        {},
        [],
        1,
        ["--payload is sent as is, so --title would change nothing: put the value in the payload's JSON"],
    ),
    (
        "replay",
        ["--payload", json.dumps(RECORD)],
        {},
        [Answer()],
        0,
        ["Replaying the record given in --payload"],
    ),
    (
        "several lines",
        [*FIELDS, "--title", "Release\n\nnotes", "--pull-request-number", "7"],
        {},
        [Answer()],
        0,
        ["--title has several lines; its first line is sent."],
    ),
    (
        "bearer",
        [*FIELDS, "--pull-request-number", "7"],
        {"IFTRUE_TOKEN": f"Bearer {TOKEN}"},
        [Answer()],
        0,
        ["--token or IFTRUE_TOKEN starts with 'Bearer '"],
    ),
    (
        "as variables",
        [],
        {"INPUT_COMMIT_ID": SHA, "INPUT_BRANCH": "main", "INPUT_MEMBER_ID": "4", "INPUT_IS_FIX": "yes"},
        [],
        1,
        ["INPUT_IS_FIX (--is-fix) must be true or false"],
    ),
    (
        "check run id",
        [*FIELDS, "--check-run-id", "abc"],
        {},
        [],
        1,
        ["--check-run-id must be the job's numeric id, e.g. 33012345678, or empty"],
    ),
    (
        "token as a variable",
        [],
        {"IFTRUE_TOKEN": "", **{f"INPUT_{k.upper()}": str(v) for k, v in RECORD.items()}},
        [],
        1,
        ["IFTRUE_TOKEN (--token) is required"],
    ),
]


@pytest.mark.parametrize(
    ("flags", "variables", "answers", "code", "expected"),
    [m[1:] for m in MESSAGES],
    ids=[m[0] for m in MESSAGES],
)
def test_messages_outside_actions_name_flags_and_variables(
    bare_env: dict[str, str],
    flags: list[str],
    variables: dict[str, str],
    answers: list[Answer],
    code: int,
    expected: list[str],
) -> None:
    with FakeIftrue(*answers) as server:
        env = {**bare_env, "IFTRUE_TOKEN": TOKEN, "INPUT_API_URL": server.url, **variables}
        run = cli(flags, env)
    assert run.returncode == code, run.stdout + run.stderr
    messages = [
        line
        for line in (run.stdout + run.stderr).splitlines()
        if line.startswith(("Error", "Warning", "Notice"))
        or (line.startswith("  ") and not line.startswith('  "'))
    ]
    assert messages, run.stdout + run.stderr
    text = "\n".join(messages) + "\n"
    for part in expected:
        assert part in text
    # A command's reader writes no workflow and sets no inputs: flags and variables only.
    assert "${{" not in text
    assert not re.search(r"\binputs?\b", text.replace("(Invalid input)", ""), re.IGNORECASE), text
    assert TOKEN not in run.stdout + run.stderr
    assert bool(server.posts) == bool(answers)  # an error sends nothing


def test_messages_in_actions_keep_the_workflow_words(tmp_path: Path, iftrue: FakeIftrue) -> None:
    env = runner_env(
        tmp_path, "release", payload("release"), {"api_url": iftrue.url, "token": "", "status": "x"}
    )
    run = cli([], env)
    assert "::error title=Invalid input::Input 'status' must be succes," in run.stdout
    assert "(`${{ steps.deploy.outcome }}` works)" in run.stdout


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
    snippet = readme[readme.index("## Jenkins") :]
    snippet = snippet[
        snippet.index("            repository=${GIT_URL") : snippet.index("            esac\n") + 17
    ]
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
    ("args", "message"),
    [
        (["--dry-run", "{token}"], "--dry-run must be true or false, got a value not shown"),
        (["--commits-count", "{token}"], "--commits-count must be a whole number"),
        (["--timeout", "{token}"], "--timeout must be a number of seconds"),
        (["--api-url", "https://{token}@iftrue.example"], "--api-url"),
    ],
)
def test_a_value_given_to_the_wrong_flag_is_never_repeated(
    bare_env: dict[str, str], iftrue: FakeIftrue, args: list[str], message: str
) -> None:
    # `track-deployment --dry-run "$IFTRUE_TOKEN"`: the switch takes the token for its value.
    typed = [arg.format(token=TOKEN) for arg in args]
    run = cli([*FIELDS, "--api-url", iftrue.url, *typed], dict(bare_env))
    assert run.returncode == 1
    assert message in run.stdout + run.stderr
    assert TOKEN[:12] not in run.stdout + run.stderr
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


def test_a_fix_title_marks_a_fix_outside_github(bare_env: dict[str, str], iftrue: FakeIftrue) -> None:
    """The fix rules read what the flags give: a Conventional Commit `fix:` title."""
    fields = [*FIELDS, "--title", "fix: rounding of totals"]
    run = cli(
        [*fields, "--api-url", iftrue.url, "--pull-request-number", "7"], {**bare_env, "IFTRUE_TOKEN": TOKEN}
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert iftrue.posts[0].json()["is_fix"] is True
    assert "is_fix: --title `fix: rounding of totals`" in run.stdout
