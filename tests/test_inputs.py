"""Reading and validating inputs, directly (the process-level matrix is in test_bad_inputs)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from support import EXPIRED_TOKEN, TOKEN

from track_deployment.errors import InputError
from track_deployment.inputs import for_command, read_inputs
from track_deployment.values import check_jwt, unquoted

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def read(**inputs: str):  # type: ignore[no-untyped-def]
    return read_inputs({f"INPUT_{k.upper()}": v for k, v in {"token": TOKEN, **inputs}.items()}, now=NOW)


def test_defaults() -> None:
    got = read()
    assert got.api_url == "https://api.iftrue.co"
    assert got.fields == {}
    assert got.hotfix_labels == {"hotfix"} and got.fix_labels == {"bug", "fix", "bugfix"}
    assert (got.fail_on_error, got.dry_run, got.payload, got.timeout) == (False, False, None, 120.0)


def test_fields_are_typed() -> None:
    got = read(
        is_fix="TRUE",
        is_hotfix="false",
        commits_count="12",
        pull_request_number=" 7 ",
        deployment_duration="2.345",
        status="Success",
        commit_id="ABCDEF1",
        url="https://example.com/x",
        title="  Deploy  ",
    )
    assert got.fields == {
        "is_fix": True,
        "is_hotfix": False,
        "commits_count": 12,
        "pull_request_number": 7,
        "deployment_duration": 2.35,
        "status": "succes",
        "commit_id": "abcdef1",
        "url": "https://example.com/x",
        "title": "Deploy",
    }


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("succes", "succes"),
        ("failure", "fail"),
        ("timed_out", "fail"),
        ("in_progress", "in_progress"),
        ("queued", "in_progress"),
        ("error", "fail"),
    ],
)
def test_status_words(word: str, status: str) -> None:
    assert read(status=word).fields["status"] == status


@pytest.mark.parametrize("word", ["cancelled", "Cancelled", "skipped", "neutral", "startup_failure"])
def test_status_that_shipped_nothing_sets_no_field(word: str) -> None:
    # `${{ job.status }}` of a cancelled job: nothing shipped, so no status is sent (gate skips).
    got = read(status=word)
    assert "status" not in got.fields
    assert got.status == word.lower()


# Each CI's job states, as its variables give them, read by what shipped.
@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("failed", "fail"),  # GitLab, CircleCI, Buildkite
        ("FAILURE", "fail"),  # Jenkins
        ("UNSTABLE", "succes"),  # Jenkins: the deploy ran to its end
        ("passed", "succes"),  # Buildkite
        ("Succeeded", "succes"),  # Azure Pipelines
        ("SucceededWithIssues", "succes"),
        ("Failed", "fail"),
        ("SUCCESSFUL", "succes"),  # Bitbucket
        ("FAILED", "fail"),
        ("timedout", "fail"),  # CircleCI
        ("infrastructure_fail", "fail"),
        ("running", "in_progress"),
    ],
)
def test_other_ci_status_words(word: str, status: str) -> None:
    assert read(status=word).fields["status"] == status


@pytest.mark.parametrize(
    ("word", "spelled"),
    [
        ("canceled", "canceled"),  # GitLab, CircleCI, Buildkite
        ("Canceled", "canceled"),  # Azure Pipelines
        ("ABORTED", "aborted"),  # Jenkins
        ("NOT_BUILT", "not_built"),
        ("not built", "not_built"),
        ("not_run", "not_run"),  # CircleCI
        ("STOPPED", "stopped"),  # Bitbucket
        ("manual", "manual"),  # GitLab: a manual job never played
        ("blocked", "blocked"),  # Buildkite
        ("Skipped", "skipped"),
    ],
)
def test_other_ci_states_that_shipped_nothing_set_no_field(word: str, spelled: str) -> None:
    got = read(status=word)
    assert "status" not in got.fields
    assert got.status == spelled  # what the gate reads to skip


@pytest.mark.parametrize(
    "member",
    [
        "583231",
        "557058:ba8948b2-49da-43a9-9e8b-e7249b8e324a",
        "{7c1e9a4f-0b2d-4c3e-9f8a-1b2c3d4e5f60}",
        "m" * 255,
    ],
)
def test_member_id_is_any_one_line_id(member: str) -> None:
    assert read(member_id=member).fields["member_id"] == member


@pytest.mark.parametrize("member", ["5" * 256, "557058\nocto", "a\tb"])
def test_member_id_of_several_lines_or_too_long_is_refused(member: str) -> None:
    with pytest.raises(
        InputError, match="Input 'member_id' must be the git provider's id of a member, one line"
    ):
        read(member_id=member)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("deployed", True),
        ("yes", True),
        ("2026-11-20 10:00", True),
        (TOKEN, False),
        ("ghs_16C7e42F292c6912E7710c838347Ae178B4a", False),
        ("x " + TOKEN[:30], False),
    ],
)
def test_on_a_command_line_only_what_could_be_a_secret_is_hidden(value: str, shown: bool) -> None:
    with unquoted(), pytest.raises(InputError) as raised:
        read(is_fix=value)
    assert (repr(value) in str(raised.value)) is shown
    assert ("could be a secret" in str(raised.value)) is not shown


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080", "http://localhost/", "http://[::1]:9", "https://iftrue.example.com/base/"],
)
def test_api_url_accepted(url: str) -> None:
    assert read(api_url=url).api_url == url.rstrip("/")


def test_bearer_prefix_is_removed_with_a_warning() -> None:
    got = read(token=f"Bearer {TOKEN}")
    assert got.token == TOKEN
    assert "starts with 'Bearer '" in got.warnings[0]


def test_branch_given_as_a_ref_is_shortened() -> None:
    assert read(branch="refs/heads/release/1.x").fields["branch"] == "release/1.x"


def test_labels_are_case_insensitive_lists() -> None:
    assert read(hotfix_labels=" P0, Urgent ,,").hotfix_labels == {"p0", "urgent"}


def test_payload_is_validated() -> None:
    record = {
        "title": "t",
        "branch": "b",
        "commit_id": "abc1234",
        "repository_url": "https://x/y",
        "member_id": "1",
        "pull_request_number": 3,
    }
    assert read(payload=json.dumps(record)).payload.body() == record  # type: ignore[union-attr]
    with pytest.raises(InputError, match="pull_request_number: input should be a valid integer"):
        read(payload=json.dumps({**record, "pull_request_number": "3"}))


def test_expired_token_only_warns_in_dry_run() -> None:
    with pytest.raises(InputError, match="expired"):
        read(token=EXPIRED_TOKEN)
    assert "expired" in read(token=EXPIRED_TOKEN, dry_run="true").warnings[0]


@pytest.mark.parametrize("token", ["abc", "a.b.c", "a.@@.c", "x." + "e30" + ".y"])
def test_non_jwt_tokens_warn(token: str) -> None:
    warnings = check_jwt(token, NOW, expired_is_error=True)
    assert warnings == [] if token.endswith("e30.y") else "does not look like a JWT" in warnings[0]


def test_token_falls_back_to_the_ci_variable() -> None:
    assert read_inputs({"IFTRUE_TOKEN": TOKEN}, now=NOW).token == TOKEN
    assert read_inputs({"INPUT_TOKEN": "", "IFTRUE_TOKEN": TOKEN}, now=NOW).token == TOKEN
    assert (
        read_inputs(
            {"INPUT_TOKEN": EXPIRED_TOKEN, "IFTRUE_TOKEN": TOKEN, "INPUT_DRY_RUN": "true"}, now=NOW
        ).token
        == EXPIRED_TOKEN
    )


def test_environment_and_started_at() -> None:
    got = read(environment=" Production, staging ,,", started_at="2026-11-25T23:00:00+01:00")
    # Patterns as given: gate.in_environments matches them case-insensitively.
    assert got.environments == {"Production", "staging"}
    assert got.started_at == datetime(2026, 11, 25, 22, tzinfo=UTC)
    assert read(started_at="1764110000.5").started_at == datetime.fromtimestamp(1764110000.5, UTC)
    assert (read().environments, read().started_at) == (frozenset(), None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-25t23:00:00z", datetime(2026, 11, 25, 23, tzinfo=UTC)),  # RFC 3339 allows lower case
        (" 1764110000\n", datetime.fromtimestamp(1764110000, UTC)),
        # Up to a minute ahead: another machine's clock, read as now.
        ("2026-11-26T00:01:00Z", NOW),
        (str(int(NOW.timestamp()) + 30), NOW),
    ],
)
def test_started_at_forms(value: str, expected: datetime) -> None:
    assert read(started_at=value).started_at == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-11-26T00:01:01Z", "is in the future"),
        ("\u0661\u0667\u0666\u0664\u0661\u0661\u0660\u0660\u0660\u0660", "must be an ISO 8601 time"),
        ("\u0662\u0660\u0662\u0666-11-25T23:00:00Z", "must be an ISO 8601 time"),
        ("1764110000.\u0665", "must be an ISO 8601 time"),
    ],
    ids=["61 s ahead", "arabic-indic unix", "arabic-indic iso", "arabic-indic fraction"],
)
def test_started_at_rejected(value: str, message: str) -> None:
    with pytest.raises(InputError, match=f"Input 'started_at' {message}"):
        read(started_at=value)


@pytest.mark.parametrize(
    ("message", "flags", "variables"),
    [
        (
            "Input 'is_fix' must be true or false.",
            "--is-fix must be true or false.",
            "INPUT_IS_FIX (--is-fix) must be true or false.",
        ),
        (
            "Set the `environment` input to the environment this step reports (in a matrix, e.g. "
            "`environment: ${{ matrix.environment }}`), or set `deployment_node_id`.",
            "Set --environment to the environment this step reports, or set --deployment-node-id.",
            "Set INPUT_ENVIRONMENT (--environment) to the environment this step reports, or set "
            "INPUT_DEPLOYMENT_NODE_ID (--deployment-node-id).",
        ),
        (
            "Input 'token' is required: pass the iftrue JWT from a secret "
            "(`token: ${{ secrets.IFTRUE_TOKEN }}`).",
            "--token or IFTRUE_TOKEN is required: pass the iftrue JWT from a secret.",
            "IFTRUE_TOKEN (--token) is required: pass the iftrue JWT from a secret.",
        ),
        (
            "Give the github_token input a token, set the 'branch' input; pull_request_number is 0.",
            "Give --github-token a token, set --branch; pull_request_number is 0.",
            "Give INPUT_GITHUB_TOKEN (--github-token) a token, set INPUT_BRANCH (--branch); "
            "pull_request_number is 0.",
        ),
    ],
)
def test_a_message_for_the_command_names_flags_and_variables(
    message: str, flags: str, variables: str
) -> None:
    # One wording per message; the command's reader gets flags and variables, no workflow syntax.
    assert for_command(message, flags=True) == flags
    assert for_command(message, flags=False) == variables
