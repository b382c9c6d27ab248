"""How long a deployment took and which GitHub deployment it was, end to end against a fake GitHub API.

The jobs lists are shaped like GitHub's "list jobs for a workflow run" answer; the
action runs as a process and the body it sends to the fake iftrue is what is checked.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from support import (
    GITHUB_TOKEN,
    SHA,
    Answer,
    FakeGitHub,
    FakeIftrue,
    assert_minutes,
    github_deployment,
    github_job,
    github_pull,
    github_pull_detail,
    github_run_attempt,
    iso,
    jobs_pages,
    payload,
    run_action,
    runner_env,
)
from test_lookups import happy, run_with_github, sent

NOW = datetime.now(UTC)
DAYS_AGO = NOW - timedelta(days=3)


def minutes_ago(minutes: float) -> str:
    return iso(NOW - timedelta(minutes=minutes))


def deployments(*items: dict[str, Any]) -> Answer:
    return Answer(200, list(items))


def approval_wait_jobs() -> list[dict[str, Any]]:
    """A build job three days ago, then the deploy job, held for approval until 2 minutes ago."""
    build_end = iso(DAYS_AGO + timedelta(minutes=4))
    return [
        github_job(1, "build", iso(DAYS_AGO), iso(DAYS_AGO), build_end),
        github_job(2, "deploy", build_end, minutes_ago(2), None, status="in_progress"),
    ]


def test_approval_wait_does_not_count(tmp_path: Path, iftrue: FakeIftrue) -> None:
    answers = happy(
        jobs=jobs_pages(approval_wait_jobs()),
        deployments_by_sha=deployments(
            # The deploy job's deployment, made when it began to wait for approval.
            github_deployment(1500000200, SHA, iso(DAYS_AGO + timedelta(minutes=4))),
            # An earlier run's deployment of the same commit.
            github_deployment(1500000100, SHA, iso(DAYS_AGO - timedelta(days=1))),
        ),
    )
    with FakeGitHub(answers) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", payload("release"))
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(["pulls", "jobs", "releases", "compare", "deployments_by_sha"])
    body = sent(iftrue)
    assert_minutes(body["deployment_duration"], 6, NOW)  # 4 minutes of build, 2 of deploy so far
    assert body["deployment_node_id"] == "DE_1500000200"
    assert run.warnings == []


def test_approval_wait_inside_the_jobs_own_times(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """A job's started_at may be when it was queued: only its steps tell when a runner took it."""
    build_end = iso(DAYS_AGO + timedelta(minutes=4))
    jobs = [
        github_job(1, "build", iso(DAYS_AGO), iso(DAYS_AGO), build_end),
        # Waited three days for its reviewers with started_at already set; its steps began 2 minutes ago.
        github_job(2, "deploy", build_end, build_end, None, status="in_progress", picked_up=minutes_ago(2)),
        # Rejected by its reviewers: it waited until a minute ago and never had a runner.
        github_job(3, "deploy (eu)", build_end, build_end, minutes_ago(1), conclusion="failure", ran=False),
    ]
    with FakeGitHub(happy(jobs=jobs_pages(jobs))) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", payload("release"))
    assert run.code == 0, run.stdout
    assert_minutes(sent(iftrue)["deployment_duration"], 6, NOW)  # 4 minutes of build, 2 of deploy so far
    assert run.warnings == []


def test_parallel_jobs_count_once(tmp_path: Path, iftrue: FakeIftrue) -> None:
    jobs = [
        github_job(1, "test (3.11)", minutes_ago(20), minutes_ago(19), minutes_ago(12)),
        github_job(2, "test (3.13)", minutes_ago(20), minutes_ago(18), minutes_ago(10)),
        github_job(3, "lint", minutes_ago(20), minutes_ago(19), minutes_ago(17)),
        # Skipped jobs start and end at once.
        github_job(4, "docs", minutes_ago(20), minutes_ago(10), minutes_ago(10), conclusion="skipped"),
        github_job(5, "deploy", minutes_ago(10), minutes_ago(5), None, status="in_progress"),
    ]
    with FakeGitHub(happy(jobs=jobs_pages(jobs))) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"))
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(["pulls", "jobs", "deployments_by_sha"])
    assert_minutes(sent(iftrue)["deployment_duration"], 14, NOW)  # 19→10 and 5→now


def test_rerun_reads_the_latest_execution_of_each_job(tmp_path: Path, iftrue: FakeIftrue) -> None:
    jobs = [
        github_job(7, "deploy", minutes_ago(3), minutes_ago(3), None, status="in_progress", attempt=2),
    ]
    answers = happy(
        jobs=jobs_pages(jobs),
        deployments_by_sha=deployments(
            github_deployment(1500000302, SHA, minutes_ago(3)),
            github_deployment(1500000301, SHA, minutes_ago(60)),  # an earlier run's
        ),
        # Attempt 1 failed: the re-run is no redeploy.
        attempt=Answer(200, github_run_attempt(12345678901, SHA, 1, "failure")),
    )
    with FakeGitHub(answers) as github:
        env = runner_env(
            tmp_path, "push", payload("push"), {"api_url": iftrue.url, "github_token": GITHUB_TOKEN}
        )
        env.update(GITHUB_API_URL=github.api_url, GITHUB_RUN_ATTEMPT="2")
        run = run_action(env)
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(["attempt", "pulls", "jobs", "deployments_by_sha"])
    # The run's jobs list (its default `filter=latest`), not the attempt's.
    assert github.only("jobs").path == "/repos/octo-org/shop/actions/runs/12345678901/jobs"
    assert github.only("jobs").query == {"per_page": ["100"]}
    body = sent(iftrue)
    assert_minutes(body["deployment_duration"], 3, NOW)
    assert body["deployment_node_id"] == "DE_1500000302"


def test_rerun_of_failed_jobs_counts_the_carried_over_deploy(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """ "Re-run failed jobs" re-ran only the failed `track` job: the build and deploy jobs of attempt
    1 are carried over, and the run's latest jobs list holds them; their deployment is the run's."""
    a_day_ago = NOW - timedelta(days=1)

    def at(minutes: float) -> str:
        return iso(a_day_ago + timedelta(minutes=minutes))

    jobs = [
        github_job(1, "build", at(0), at(0), at(4)),
        github_job(2, "deploy", at(4), at(4), at(9)),
        # Attempt 1's track job failed; its re-run is this step's job, running for 10 seconds.
        github_job(
            3,
            "track",
            iso(NOW - timedelta(seconds=10)),
            iso(NOW - timedelta(seconds=10)),
            None,
            status="in_progress",
            attempt=2,
            steps=("Set up job", "Run iftrue/track-deployment@v1"),
        ),
    ]
    answers = happy(
        jobs=jobs_pages(jobs),
        deployments_by_sha=deployments(
            github_deployment(1500000304, SHA, at(4)),  # made by attempt 1's deploy job
            github_deployment(1500000303, SHA, iso(NOW - timedelta(days=2))),  # an earlier run's
        ),
        attempt=Answer(200, github_run_attempt(12345678901, SHA, 1, "failure")),  # the track job failed
    )
    with FakeGitHub(answers) as github:
        run = run_with_github(
            tmp_path,
            github,
            iftrue,
            "push",
            payload("push"),
            runner_vars={"GITHUB_RUN_ATTEMPT": "2"},
            check_run_id="3",
        )
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(["attempt", "pulls", "jobs", "deployments_by_sha"])
    body = sent(iftrue)
    assert_minutes(body["deployment_duration"], 9 + 10 / 60, NOW)  # build, deploy and track so far
    assert body["deployment_node_id"] == "DE_1500000304"
    assert run.warnings == []


def many_jobs(count: int) -> list[dict[str, Any]]:
    """A big matrix: `count` one-minute jobs in a row, the last one this step's, still running."""
    jobs = [
        github_job(
            i, f"shard {i}", minutes_ago(count + 1), minutes_ago(count + 1 - i), minutes_ago(count - i)
        )
        for i in range(1, count)
    ]
    return [*jobs, github_job(count, "deploy", minutes_ago(1), minutes_ago(1), None, status="in_progress")]


def test_jobs_are_paged(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(happy(jobs=jobs_pages(many_jobs(150)))) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"))
    assert run.code == 0, run.stdout
    # Within the push's budget of 4 requests.
    assert sorted(github.routes) == sorted(["pulls", "jobs", "jobs", "deployments_by_sha"])
    assert {"per_page": ["100"], "page": ["2"]} in [request.query for request in github.requests]
    assert_minutes(sent(iftrue)["deployment_duration"], 150, NOW)
    assert sent(iftrue)["deployment_node_id"] == "DE_1500000099"


def test_more_jobs_than_the_budget_reads(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = payload("push")
    event["commits"] = event["commits"][:1] * 2048  # a capped list: the compare takes the spare request
    with FakeGitHub(happy(jobs=jobs_pages(many_jobs(150)))) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", event)
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(["pulls", "jobs", "compare", "deployments_by_sha"])
    body = sent(iftrue)
    assert "deployment_duration" not in body
    assert body["deployment_node_id"] == "DE_1500000099"
    assert run.warnings == [
        "Run 12345678901 has 50 more jobs than the action reads within its budget of GitHub requests, "
        "so no deployment_duration is sent. Set the `started_at` input (e.g. from `date +%s` in the "
        "first step of the deploy job) to measure the deployment."
    ]


def too_many_jobs_warning(more: int) -> str:
    return (
        f"Run 12345678901 has {more} more jobs than the action reads within its budget of GitHub "
        "requests, so no deployment_duration is sent. Set the `started_at` input (e.g. from `date +%s` "
        "in the first step of the deploy job) to measure the deployment."
    )


@pytest.mark.parametrize(
    ("event_name", "count", "routes", "more"),
    [
        ("push", 350, ["pulls", "jobs", "deployments_by_sha"], 150),  # 2 pages of 100 in budget
        ("pull_request", 250, ["jobs", "deployments_by_sha"], 50),
    ],
)
def test_no_page_is_read_when_the_list_cannot_be_read_within_budget(
    tmp_path: Path, iftrue: FakeIftrue, event_name: str, count: int, routes: list[str], more: int
) -> None:
    with FakeGitHub(happy(jobs=jobs_pages(many_jobs(count)))) as github:
        run = run_with_github(tmp_path, github, iftrue, event_name, payload(event_name))
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(routes)  # the first page's total_count tells
    body = sent(iftrue)
    assert "deployment_duration" not in body
    assert body["deployment_node_id"] == "DE_1500000099"
    assert run.warnings == [too_many_jobs_warning(more)]
    assert (
        f"| `deployment_duration` | — | left out: unknown: the run has {more} more jobs than the action "
        "reads within its budget |"
    ) in html.unescape(run.summary)


@pytest.mark.parametrize(
    "inputs",
    [{"deployment_duration": "5"}, {"started_at": str(int(NOW.timestamp()) - 60)}],
    ids=["deployment_duration", "started_at"],
)
def test_jobs_read_only_for_the_window_are_not_paged(
    tmp_path: Path, iftrue: FakeIftrue, inputs: dict[str, str]
) -> None:
    with FakeGitHub(happy(jobs=jobs_pages(many_jobs(150)))) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"), **inputs)
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(["pulls", "jobs", "deployments_by_sha"])
    assert sent(iftrue)["deployment_node_id"] == "DE_1500000099"
    assert run.warnings == []


def test_this_job_is_paged_for(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """The first page holds only the 100 jobs a re-run kept: the next one holds this job, and the
    deployment created with it is its own (the other one is the kept jobs')."""
    a_day_ago = NOW - timedelta(days=1)
    kept = [
        github_job(i, f"shard {i}", iso(a_day_ago), iso(a_day_ago), iso(a_day_ago)) for i in range(1, 101)
    ]
    # The re-run's jobs, this one (150, the deploy job) created after the others it needs.
    rerun = [
        github_job(
            i,
            f"deploy {i}",
            minutes_ago(5 if i == 150 else 8),
            minutes_ago(4),
            None,
            status="in_progress",
            attempt=2,
        )
        for i in range(101, 151)
    ]
    answers = happy(
        jobs=jobs_pages(kept + rerun),
        deployments_by_sha=deployments(
            github_deployment(1500000306, SHA, minutes_ago(4.5), environment="production"),
            github_deployment(1500000305, SHA, iso(a_day_ago), environment="staging"),  # the kept jobs'
        ),
    )
    with FakeGitHub(answers) as github:
        rerun = {"GITHUB_RUN_ATTEMPT": "2"}
        run = run_with_github(
            tmp_path,
            github,
            iftrue,
            "push",
            payload("push"),
            rerun,
            deployment_duration="5",
            check_run_id="150",
            # Not reading attempt 1 (a redeploy check) leaves the push's budget a second jobs page.
            redeploys="true",
        )
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(["pulls", "jobs", "jobs", "deployments_by_sha"])
    assert sent(iftrue)["deployment_node_id"] == "DE_1500000306"
    assert run.warnings == []


@pytest.mark.parametrize(
    ("before", "node_id"),
    [(timedelta(seconds=30), "DE_1500000600"), (timedelta(minutes=2), None)],
    ids=["30 s before", "2 min before"],
)
def test_deployment_made_before_the_first_job(
    tmp_path: Path, iftrue: FakeIftrue, before: timedelta, node_id: str | None
) -> None:
    """The deployments API's clock may run some seconds behind the Actions service's."""
    first_job = NOW - timedelta(minutes=5)
    jobs = [github_job(1, "deploy", iso(first_job), iso(first_job), None, status="in_progress")]
    answers = happy(
        jobs=jobs_pages(jobs),
        deployments_by_sha=deployments(github_deployment(1500000600, SHA, iso(first_job - before))),
    )
    with FakeGitHub(answers) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"))
    assert run.code == 0, run.stdout
    assert sent(iftrue).get("deployment_node_id") == node_id


def upstream_run() -> dict[str, Any]:
    """A workflow_run event for a deploy run that began 30 minutes ago and ended 10 minutes ago."""
    event = payload("workflow_run")
    event["workflow_run"].update(run_started_at=minutes_ago(30), updated_at=minutes_ago(10), run_attempt=1)
    return event


# The pull request the workflow_run example names, as GET /pulls/412 answers.
NAMED_PULL = Answer(
    200, github_pull_detail(github_pull(412, SHA, "fix/rounding", title="Round totals once"), None)
)


# What production ran before the upstream run: an earlier commit (the same one would be a redeploy).
EARLIER_COMMIT = Answer(200, [github_deployment(1499999000, "7" * 40, "2026-11-19T10:00:00Z")])


def test_workflow_run_measures_the_upstream_run(tmp_path: Path, iftrue: FakeIftrue) -> None:
    jobs = [
        github_job(1, "build", minutes_ago(30), minutes_ago(29), minutes_ago(25), run_id=12345678000),
        # Held for approval for 10 minutes.
        github_job(2, "deploy", minutes_ago(25), minutes_ago(15), minutes_ago(10), run_id=12345678000),
    ]
    answers = happy(
        pull=NAMED_PULL,
        jobs=jobs_pages(jobs),
        deployments_by_environment=EARLIER_COMMIT,
        deployments_by_sha=deployments(
            github_deployment(1500000402, SHA, minutes_ago(1)),  # a later run's
            github_deployment(1500000401, SHA, minutes_ago(25)),  # the upstream run's
            github_deployment(1500000400, SHA, minutes_ago(45)),  # made before it
        ),
    )
    with FakeGitHub(answers) as github:
        run = run_with_github(tmp_path, github, iftrue, "workflow_run", upstream_run())
    assert run.code == 0, run.stdout
    # The payload's pull request (#2) is read for its labels; no other PR is looked up. What the
    # environment ran before the run tells a redeploy: its deployments and their statuses.
    assert {"pull", "jobs", "deployments_by_sha"} <= set(github.routes)
    assert set(github.routes) <= {
        "pull",
        "jobs",
        "deployments_by_sha",
        "deployments_by_environment",
        "statuses",
        "compare",
    }
    [jobs] = [r for r in github.requests if github.route_of(r) == "jobs"]
    assert jobs.path == "/repos/octo-org/shop/actions/runs/12345678000/jobs"  # the reported run's
    body = sent(iftrue)
    assert body["deployment_duration"] == 9  # 4 minutes of build, 5 of deploy
    assert body["deployment_node_id"] == "DE_1500000401"
    assert run.warnings == []


def test_workflow_run_without_an_upstream_deployment(tmp_path: Path, iftrue: FakeIftrue) -> None:
    answers = happy(
        pull=NAMED_PULL, deployments_by_sha=deployments(github_deployment(1500000400, SHA, minutes_ago(45)))
    )
    with FakeGitHub(answers) as github:
        run = run_with_github(
            tmp_path, github, iftrue, "workflow_run", upstream_run(), deployment_duration="5"
        )
    assert run.code == 0, run.stdout
    # The window is the payload's: no jobs needed; the workflow's last successful run tells a redeploy.
    assert set(github.routes) == {"pull", "deployments_by_sha", "workflow_runs"}
    assert "deployment_node_id" not in sent(iftrue)


MATRIX = deployments(
    github_deployment(1500000502, SHA, minutes_ago(1), environment="staging"),
    github_deployment(1500000501, SHA, minutes_ago(1), environment="production"),
)


@pytest.mark.parametrize(
    ("environment", "node_id"),
    [("production", "DE_1500000501"), ("Staging", "DE_1500000502"), ("production,qa", "DE_1500000501")],
)
def test_matrix_of_environments_with_environment(
    tmp_path: Path, iftrue: FakeIftrue, environment: str, node_id: str
) -> None:
    with FakeGitHub(happy(deployments_by_sha=MATRIX)) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"), environment=environment)
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(["pulls", "jobs", "deployments_by_sha"])
    assert sent(iftrue)["deployment_node_id"] == node_id
    assert run.warnings == []


def test_matrix_of_environments_without_environment(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(happy(deployments_by_sha=MATRIX)) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"))
    assert run.code == 0, run.stdout
    assert "deployment_node_id" not in sent(iftrue)
    assert run.warnings == [
        "GitHub deployments of commit 9f2c1e4 were made during the run to several environments "
        "(production, staging), so no deployment_node_id is sent. Set the `environment` input to the "
        "environment this step reports (in a matrix, e.g. `environment: ${{ matrix.environment }}`), "
        "or set `deployment_node_id`."
    ]
    # The summary says the same: several, not none.
    why = "left out: unknown: deployments of 9f2c1e4 were made to production, staging"
    assert why in html.unescape(run.summary)


@pytest.mark.parametrize(
    "started_at",
    [
        (NOW - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        (NOW - timedelta(minutes=10)).astimezone(timezone(timedelta(hours=2))).isoformat(),
        str(int((NOW - timedelta(minutes=10)).timestamp())),
    ],
    ids=["iso-utc", "iso-offset", "unix"],
)
def test_started_at(tmp_path: Path, iftrue: FakeIftrue, started_at: str) -> None:
    with FakeGitHub(happy()) as github:
        run = run_with_github(
            tmp_path,
            github,
            iftrue,
            "push",
            payload("push"),
            started_at=started_at,
            deployment_node_id="DE_1",
        )
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(["pulls"])  # no jobs look-up for the duration
    assert_minutes(sent(iftrue)["deployment_duration"], 10, NOW)


def test_started_at_a_moment_ahead_is_now(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """The deploy job's runner, whose clock gave started_at, may run a few seconds ahead."""
    ahead = str(int(datetime.now(UTC).timestamp()) + 5)
    with FakeGitHub(happy()) as github:
        run = run_with_github(
            tmp_path, github, iftrue, "push", payload("push"), started_at=ahead, deployment_node_id="DE_1"
        )
    assert run.code == 0, run.stdout
    assert sent(iftrue)["deployment_duration"] == 0


def deployment_run(
    tmp_path: Path, iftrue: FakeIftrue, event_name: str, event: Any, **inputs: str
) -> tuple[Any, FakeGitHub]:
    """The action on a deployment event, look-ups answered by the happy fake GitHub API."""
    with FakeGitHub(happy()) as github:
        run = run_with_github(tmp_path, github, iftrue, event_name, event, **inputs)
    assert run.code == 0, run.stdout
    return run, github


def assert_skipped(run: Any, github: FakeGitHub, iftrue: FakeIftrue, notice: str) -> None:
    assert iftrue.requests == [] and github.requests == []
    assert run.outputs["result"] == "skipped"
    assert run.notices == [f"Not a deployment: {notice}. Nothing was sent to iftrue."]


def test_started_at_wins_over_the_event(tmp_path: Path, iftrue: FakeIftrue) -> None:
    deployment_run(
        tmp_path, iftrue, "deployment_status", payload("deployment_status"), started_at=minutes_ago(20)
    )
    assert_minutes(sent(iftrue)["deployment_duration"], 20, NOW)


@pytest.mark.parametrize("state", ["inactive", "destroyed"])
def test_deployment_status_not_a_deployment_state(tmp_path: Path, iftrue: FakeIftrue, state: str) -> None:
    event = payload("deployment_status")
    event["deployment_status"]["state"] = state
    run, github = deployment_run(tmp_path, iftrue, "deployment_status", event)
    assert_skipped(
        run,
        github,
        iftrue,
        f"the deployment status is '{state}', not a state of a deployment being made "
        "(success, failure, error, pending, queued, waiting, in_progress)",
    )


@pytest.mark.parametrize("event_name", ["deployment", "deployment_status"])
def test_environment_filter_skips_other_environments(
    tmp_path: Path, iftrue: FakeIftrue, event_name: str
) -> None:
    event = payload(event_name)
    event["deployment"]["environment"] = "preview/pr-412"
    run, github = deployment_run(tmp_path, iftrue, event_name, event, environment="Production, staging")
    assert_skipped(
        run,
        github,
        iftrue,
        "the deployment is to environment 'preview/pr-412', not to one named in the "
        "`environment` input (Production, staging); add it there to record its deployments",
    )


def test_environment_filter_keeps_its_environments(tmp_path: Path, iftrue: FakeIftrue) -> None:
    _, github = deployment_run(
        tmp_path, iftrue, "deployment_status", payload("deployment_status"), environment="PRODUCTION"
    )
    assert sorted(github.routes) == sorted(["pulls", "deployments_by_environment", "statuses", "compare"])
    assert github.only("deployments_by_environment").query["environment"] == ["production"]
    assert sent(iftrue)["deployment_node_id"] == "DE_kwDOKb3Q4M5ZZ3Jh"


def test_jobs_not_readable(tmp_path: Path, iftrue: FakeIftrue) -> None:
    forbidden = Answer(403, {"message": "Resource not accessible by integration"})
    with FakeGitHub(happy(jobs=forbidden)) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"))
    assert run.code == 0, run.stdout
    # Without the attempt's start there is no window for the deployment look-up: it is not made.
    assert sorted(github.routes) == sorted(["pulls", "jobs"])
    body = sent(iftrue)
    assert "deployment_duration" not in body and "deployment_node_id" not in body
    [warning] = run.warnings
    assert "jobs of run 12345678901 (403" in warning and "actions: read" in warning


def test_jobs_with_unreadable_times(tmp_path: Path, iftrue: FakeIftrue) -> None:
    jobs = [github_job(1, "deploy", "yesterday", "soon", None, status="in_progress")]
    with FakeGitHub(happy(jobs=jobs_pages(jobs))) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"))
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(["pulls", "jobs"])
    assert "deployment_duration" not in sent(iftrue)
    [warning] = run.warnings
    assert "jobs of run 12345678901 (unexpected answer (ValueError))" in warning


def test_job_times_without_a_zone_are_utc(tmp_path: Path, iftrue: FakeIftrue) -> None:
    def unzoned(minutes: float) -> str:
        return (NOW - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S")

    jobs = [
        github_job(1, "build", unzoned(10), unzoned(10), unzoned(5)),
        github_job(2, "deploy", unzoned(4), unzoned(3), None, status="in_progress"),
    ]
    answers = happy(
        jobs=jobs_pages(jobs),
        deployments_by_sha=deployments(github_deployment(1500000700, SHA, minutes_ago(3))),
    )
    with FakeGitHub(answers) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"))
    assert run.code == 0, run.stdout
    assert run.outputs["result"] == "created"
    body = sent(iftrue)
    assert_minutes(body["deployment_duration"], 8, NOW)
    assert body["deployment_node_id"] == "DE_1500000700"
    assert run.warnings == []


def test_workflow_run_jobs_not_readable(tmp_path: Path, iftrue: FakeIftrue) -> None:
    forbidden = Answer(403, {"message": "Resource not accessible by integration"})
    answers = happy(
        pull=NAMED_PULL,
        jobs=forbidden,
        deployments_by_environment=EARLIER_COMMIT,
        deployments_by_sha=deployments(github_deployment(1500000401, SHA, minutes_ago(25))),
    )
    with FakeGitHub(answers) as github:
        run = run_with_github(tmp_path, github, iftrue, "workflow_run", upstream_run())
    assert run.code == 0, run.stdout
    assert {"pull", "jobs", "deployments_by_sha"} <= set(github.routes)
    body = sent(iftrue)
    assert "deployment_duration" not in body
    assert body["deployment_node_id"] == "DE_1500000401"  # the payload's window needs no jobs
    assert run.warnings == [
        "GitHub look-ups failed, so some fields use their fallback: jobs of run 12345678000 "
        "(403 Resource not accessible by integration): deployment_duration fell back. Grant the job "
        "`permissions:` actions: read (or set the `github_token` input to '' to turn look-ups off)."
    ]
