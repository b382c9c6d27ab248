"""This job, this deployment: the job that deployed times a deployment_status, each job of a
matrix names its own deployment, a run that only records sends no duration, and a monorepo's
release counts from its own package's previous release.

The action runs as a process against a fake GitHub API whose answers are shaped like GitHub's
documented examples ("Get a job for a workflow run", "List jobs for a workflow run", "List
deployment statuses"); what is checked is the request list and the body sent to iftrue.
"""

from __future__ import annotations

import copy
import html
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support import (
    SHA,
    Answer,
    FakeGitHub,
    FakeIftrue,
    Recorded,
    github_deployment,
    github_deployment_status,
    github_job,
    github_release,
    github_user,
    iso,
    jobs_pages,
    payload,
    webhook,
)
from test_lookups import happy, run_with_github, sent

from track_deployment.github import GitHub
from track_deployment.lookups import look_up
from track_deployment.model import Job, Release
from track_deployment.plan import Plan
from track_deployment.previous import choose_previous_release, package_of

NOW = datetime.now(UTC)
REPO_API = "/repos/octo-org/shop"
# The job and run GitHub's deployment_status example names (`check_run.id`, `workflow_run.id`).
EXAMPLE_JOB = 128620228
EXAMPLE_RUN = 289782451


def ago(**delta: float) -> str:
    return iso(NOW - timedelta(**delta))


def shipped(**changes: Any) -> dict[str, Any]:
    """happy(), with the environment's earlier deployments of other commits: this status ships a
    change (the same commit again would be a redeploy, skipped)."""
    earlier = Answer(
        200,
        [
            github_deployment(1499999000, "7" * 40, "2026-11-19T10:00:00Z"),
            github_deployment(1499998000, "6" * 40, "2026-11-18T10:00:00Z"),
        ],
    )
    return happy(**{"deployments_by_environment": earlier, **changes})


def deployment_status(state: str = "success") -> dict[str, Any]:
    """GitHub's example of an Actions job's deployment_status, its deployment created three days
    ago when the job began to wait for its reviewers, and this status just now."""
    event = copy.deepcopy(webhook("deployment_status.in-progress"))
    event["deployment_status"].update(state=state, created_at=ago(seconds=5), updated_at=ago(seconds=5))
    event["deployment"].update(sha=SHA, environment="production", created_at=ago(days=3))
    return event


def approved_job(**changes: Any) -> dict[str, Any]:
    """`GET /repos/{owner}/{repo}/actions/jobs/{job_id}`: created three days ago, approved and
    picked up by a runner five minutes ago, done just now."""
    job = github_job(
        EXAMPLE_JOB,
        "deploy",
        ago(days=3),
        ago(days=3),  # a job's own started_at may be when it was queued
        ago(seconds=10),
        picked_up=ago(minutes=5, seconds=10),
        run_id=EXAMPLE_RUN,
    )
    return job | changes


def test_deployment_status_is_timed_by_its_job_not_the_approval_wait(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    with FakeGitHub(shipped(job=Answer(200, approved_job()))) as github:
        run = run_with_github(tmp_path, github, iftrue, "deployment_status", deployment_status())
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(
        ["job", "pulls", "deployments_by_environment", "statuses", "compare"]
    )
    assert github.requests[0].path == f"{REPO_API}/actions/jobs/{EXAMPLE_JOB}"
    body = sent(iftrue)
    # Five minutes of the job, not the 4,320 of the wait for approval.
    assert body["deployment_duration"] == 5
    # The person who started the run, not the github-pages app that created the deployment.
    assert body["member_id"] == "15669918"
    assert body["deployment_node_id"] == "MDEwOkRlcGxveW1lbnQxNDU5ODg3NDY="
    assert run.warnings == []
    # The summary names the job that measured it.
    assert f"look-up: the time job deploy ({EXAMPLE_JOB}) ran, waits not counted" in html.unescape(
        run.summary
    )


def test_deployment_status_whose_job_has_no_runner_yet_sends_no_duration(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    """A success reported while its job still waits for a runner: the job has not run, so no
    duration, and the summary says why."""
    waiting = approved_job(status="waiting", conclusion=None, steps=[], runner_id=None, runner_name=None)
    with FakeGitHub(shipped(job=Answer(200, waiting))) as github:
        run = run_with_github(tmp_path, github, iftrue, "deployment_status", deployment_status())
    assert run.code == 0, run.stdout
    assert "deployment_duration" not in sent(iftrue)
    assert "left out: unknown: the deployment's job has not run on a runner" in html.unescape(run.summary)


def test_deployment_status_of_a_run_without_its_job_is_timed_by_the_runs_jobs(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    event = deployment_status()
    del event["check_run"]
    jobs = [
        github_job(
            1, "build", ago(days=3, minutes=4), ago(days=3, minutes=4), ago(days=3), run_id=EXAMPLE_RUN
        ),
        approved_job(),
    ]
    with FakeGitHub(shipped(jobs=jobs_pages(jobs))) as github:
        run = run_with_github(tmp_path, github, iftrue, "deployment_status", event)
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(
        ["pulls", "jobs", "deployments_by_environment", "statuses", "compare"]
    )
    assert github.only("jobs").path == f"{REPO_API}/actions/runs/{EXAMPLE_RUN}/jobs"
    assert sent(iftrue)["deployment_duration"] == 9  # 4 minutes of build and 5 of deploy


def test_third_party_deployment_is_timed_from_its_creation(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = deployment_status()
    del event["check_run"], event["workflow_run"]
    event["deployment"].update(created_at=ago(minutes=7, seconds=5), creator=github_user())
    with FakeGitHub(shipped()) as github:
        run = run_with_github(tmp_path, github, iftrue, "deployment_status", event)
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(["pulls", "deployments_by_environment", "statuses", "compare"])
    assert sent(iftrue)["deployment_duration"] == 7


@pytest.mark.parametrize(
    ("state", "conclusion"),
    [("failure", "failure"), ("error", "cancelled")],
    ids=["rejected by a reviewer", "cancelled while waiting"],
)
def test_deployment_whose_job_never_started_is_skipped(
    tmp_path: Path, iftrue: FakeIftrue, state: str, conclusion: str
) -> None:
    never = github_job(
        EXAMPLE_JOB, "deploy", ago(days=3), ago(days=3), ago(seconds=10), conclusion=conclusion, ran=False
    )
    with FakeGitHub(happy(job=Answer(200, never))) as github:
        run = run_with_github(tmp_path, github, iftrue, "deployment_status", deployment_status(state))
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(["job"])  # nothing else is worth asking
    assert iftrue.posts == []
    assert run.outputs["result"] == "skipped"
    assert run.notices == [
        f"Not a deployment: the deployment's job 'deploy' ({EXAMPLE_JOB}) never started (it ended "
        f"{conclusion}), so nothing shipped; only a deployment that ran, to success or failure, is "
        "recorded. Nothing was sent to iftrue."
    ]


def test_job_not_readable(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """Without `actions: read` the job's time is unknown: no duration (the approval wait is none)."""
    refused = Answer(403, {"message": "Resource not accessible by integration"})
    with FakeGitHub(shipped(job=refused)) as github:
        run = run_with_github(tmp_path, github, iftrue, "deployment_status", deployment_status())
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(
        ["job", "pulls", "deployments_by_environment", "statuses", "compare"]
    )
    assert "deployment_duration" not in sent(iftrue)
    [warning] = run.warnings
    assert f"job {EXAMPLE_JOB} (403 Resource not accessible by integration)" in warning
    assert "actions: read" in warning


def test_failed_job_that_ran_is_a_failed_deployment(tmp_path: Path, iftrue: FakeIftrue) -> None:
    failed = approved_job(conclusion="failure")
    with FakeGitHub(shipped(job=Answer(200, failed))) as github:
        run = run_with_github(tmp_path, github, iftrue, "deployment_status", deployment_status("failure"))
    assert run.code == 0, run.stdout
    body = sent(iftrue)
    assert (body["status"], body["deployment_duration"]) == ("fail", 5)


MATRIX = {11: "deploy (us)", 12: "deploy (eu)", 13: "deploy (ap)"}
# Each matrix job's deployment, created with the jobs (GitHub gives ids in order of creation).
MATRIX_DEPLOYMENTS = {11: 1500000701, 12: 1500000702, 13: 1500000703}


def matrix_answers(deployment_of: dict[int, int]) -> dict[str, Any]:
    """Three matrix jobs created together, each on its own runner, each with a deployment to
    production created with it, whose statuses link the job."""
    created = ago(minutes=4)
    jobs = [github_job(1, "build", ago(minutes=9), ago(minutes=9), created)] + [
        github_job(
            id_,
            name,
            created,
            ago(minutes=3),
            None,
            status="in_progress",
            runner=f"GitHub Actions {id_}",
            steps=("Set up job", "Run ./deploy.sh", "Run iftrue/track-deployment@v1"),
        )
        for id_, name in MATRIX.items()
    ]
    job_of = {deployment: job for job, deployment in deployment_of.items()}

    def statuses(request: Recorded) -> Answer:
        deployment = int(request.path.split("/")[-2])
        job = job_of[deployment]
        return Answer(
            200,
            [
                github_deployment_status(deployment + 2, deployment, "in_progress", ago(minutes=3), job),
                github_deployment_status(deployment + 1, deployment, "waiting", created, job),
            ],
        )

    return happy(
        jobs=jobs_pages(jobs),
        deployments_by_sha=Answer(
            200,
            [github_deployment(d, SHA, ago(minutes=4, seconds=-1)) for d in sorted(job_of, reverse=True)]
            + [github_deployment(1500000600, SHA, ago(days=1))],  # an earlier run's
        ),
        statuses=statuses,
    )


@pytest.mark.parametrize("job", MATRIX, ids=MATRIX.values())
def test_each_matrix_job_names_its_own_deployment(tmp_path: Path, iftrue: FakeIftrue, job: int) -> None:
    with FakeGitHub(matrix_answers(MATRIX_DEPLOYMENTS)) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"), check_run_id=str(job))
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(["pulls", "jobs", "deployments_by_sha", "statuses"])
    assert github.only("statuses").path == f"{REPO_API}/deployments/{MATRIX_DEPLOYMENTS[job]}/statuses"
    assert sent(iftrue)["deployment_node_id"] == f"DE_{MATRIX_DEPLOYMENTS[job]}"
    assert run.warnings == []
    assert f"this job's deployment: its status names job {MATRIX[job]}" in html.unescape(run.summary)


def test_matrix_job_found_by_its_runner_name(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """A runner without `job.check_run_id`: the job in progress on this runner is this job."""
    with FakeGitHub(matrix_answers(MATRIX_DEPLOYMENTS)) as github:
        run = run_with_github(
            tmp_path, github, iftrue, "push", payload("push"), {"RUNNER_NAME": "GitHub Actions 13"}
        )
    assert run.code == 0, run.stdout
    assert sent(iftrue)["deployment_node_id"] == "DE_1500000703"


def test_matrix_deployment_found_by_reading_more_statuses(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """Deployments created in another order than their jobs: the statuses tell, as the budget allows."""
    shuffled = {11: 1500000702, 12: 1500000701, 13: 1500000703}
    with FakeGitHub(matrix_answers(shuffled)) as github:
        run = run_with_github(
            tmp_path, github, iftrue, "workflow_dispatch", payload("workflow_dispatch"), check_run_id="11"
        )
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(["pulls", "jobs", "deployments_by_sha", "statuses", "statuses"])
    assert sent(iftrue)["deployment_node_id"] == "DE_1500000702"


def test_matrix_deployment_unconfirmed_within_the_budget_is_left_out(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    shuffled = {11: 1500000702, 12: 1500000701, 13: 1500000703}
    with FakeGitHub(matrix_answers(shuffled)) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"), check_run_id="11")
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(["pulls", "jobs", "deployments_by_sha", "statuses"])
    assert "deployment_node_id" not in sent(iftrue)
    assert run.warnings == [
        "3 GitHub deployments of commit 9f2c1e4 were created with this job (deploy (us)), and none of "
        "the statuses read names it, so no deployment_node_id is sent. Set `deployment_node_id` to "
        "record it."
    ]
    # The summary says the same, not that no deployment was made.
    assert (
        "left out: unknown: 3 deployments were created with this job, and none of the statuses read names it"
        in html.unescape(run.summary)
    )


def recording_job(*steps: str, others: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    this = github_job(21, "record", ago(seconds=20), ago(seconds=15), None, status="in_progress", steps=steps)
    return happy(jobs=jobs_pages([*others, this]))


ONLY_RECORDS = (
    "deployment_duration is unknown: nothing but this step ran (job 'record' is the only job that ran, "
    "and before this step it ran only Set up job, Run actions/checkout@v4), so the deployment happened "
    "elsewhere and no duration is sent. Set the `started_at` or `deployment_duration` input to give one."
)


def test_run_that_only_records_sends_no_duration(tmp_path: Path, iftrue: FakeIftrue) -> None:
    answers = recording_job("Set up job", "Run actions/checkout@v4", "Run iftrue/track-deployment@v1")
    with FakeGitHub(answers) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", payload("release"), check_run_id="21")
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(["pulls", "jobs", "releases", "compare", "deployments_by_sha"])
    assert "deployment_duration" not in sent(iftrue)
    assert ONLY_RECORDS in run.notices
    # The job summary names it as left out, and why.
    assert "left out: unknown: nothing but this step ran" in run.summary


@pytest.mark.parametrize(
    ("steps", "others"),
    [
        (("Set up job", "Run actions/checkout@v4", "Run ./deploy.sh", "Run iftrue/track-deployment@v1"), ()),
        (
            ("Set up job", "Run iftrue/track-deployment@v1"),
            (github_job(20, "deploy", ago(minutes=6), ago(minutes=6), ago(minutes=1)),),
        ),
    ],
    ids=["a deploy step before it", "a deploy job before it"],
)
def test_run_that_deploys_is_measured(
    tmp_path: Path, iftrue: FakeIftrue, steps: tuple[str, ...], others: tuple[dict[str, Any], ...]
) -> None:
    with FakeGitHub(recording_job(*steps, others=others)) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", payload("release"), check_run_id="21")
    assert run.code == 0, run.stdout
    assert "deployment_duration" in sent(iftrue)
    assert not any("nothing but this step ran" in notice for notice in run.notices)


def test_monorepo_release_counts_from_its_own_package(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """changesets published @shop/api@3.0.0 and @shop/web@1.5.0 from one commit."""
    event = payload("release")
    event["release"].update(
        id=186500010, tag_name="@shop/web@1.5.0", name="@shop/web@1.5.0", published_at=ago(seconds=30)
    )
    releases = [
        github_release(186500011, "@shop/api@3.0.0", ago(seconds=31)),
        github_release(186500010, "@shop/web@1.5.0", ago(seconds=30)),
        github_release(186400003, "@shop/api@2.9.0", ago(days=2)),
        github_release(186400002, "@shop/web@1.4.2", ago(days=5)),
    ]
    with FakeGitHub(happy(releases=Answer(200, releases))) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", event)
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(["pulls", "jobs", "releases", "compare", "deployments_by_sha"])
    # PyGithub quotes the tags' `@`.
    assert github.only("compare").path == f"{REPO_API}/compare/%40shop/web%401.4.2...%40shop/web%401.5.0"
    assert sent(iftrue)["commits_count"] == 17


@pytest.mark.parametrize(
    ("tag", "package"),
    [
        ("@shop/web@1.5.0", "@shop/web@"),
        ("@shop/web@2.0.0-rc.1", "@shop/web@"),
        ("web-v1.2.0", "web-"),
        ("web-1.3.0", "web-"),
        ("web/v1.2.0", "web/"),
        ("v1.2.3", ""),
        ("1.2.3", ""),
        ("v2.4.0-rc.1+build.5", ""),
        ("api2-v1.0.0", "api2-"),
        ("nightly", None),
    ],
)
def test_package_of_a_tag(tag: str, package: str | None) -> None:
    assert package_of(tag) == package


def test_previous_release_of_the_same_package() -> None:
    def release(id_: int, tag: str, day: int) -> Release:
        return Release(id_, tag, False, datetime(2026, 11, day, tzinfo=UTC))

    releases = [release(1, "web-v1.1.0", 1), release(2, "api-v4.0.0", 3), release(3, "v0.9.0", 4)]
    current = Release(9, "web-v1.2.0", False, datetime(2026, 11, 5, tzinfo=UTC))
    assert choose_previous_release(releases, current) == releases[0]
    plain = Release(9, "1.0.0", False, datetime(2026, 11, 5, tzinfo=UTC))
    assert choose_previous_release(releases, plain) == releases[2]  # `v0.9.0` and `1.0.0`: one package
    # A tag without a version names no package: the newest release before it, as before.
    unversioned = Release(9, "nightly", False, datetime(2026, 11, 5, tzinfo=UTC))
    assert choose_previous_release(releases, unversioned) == releases[2]


def test_jobs_lookup_records_every_job_of_the_run() -> None:
    """Facts.jobs, which the job summary's chart draws: each job of the run as read, this one marked."""
    build = github_job(1, "build", ago(minutes=9), ago(minutes=9), ago(minutes=4, seconds=30))
    waited = github_job(
        2, "deploy", ago(minutes=4), ago(minutes=4), None, status="in_progress", picked_up=ago(minutes=1)
    )
    never = github_job(3, "notify", ago(minutes=4), None, ago(minutes=2), conclusion="skipped")
    plan = Plan(jobs_of=12345678901, jobs_measure=True, check_run_id=2)
    with FakeGitHub(happy(jobs=jobs_pages([build, waited, never]))) as github:
        gh = GitHub(github.api_url, "octo-org/shop", "t", "test", time.monotonic() + 10, str)
        found, _ = look_up(plan, gh, lambda found: True, datetime.now(UTC))

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text)

    assert found.jobs == (
        Job(
            1,
            "build",
            at(ago(minutes=9)),
            at(ago(minutes=9)),
            at(ago(minutes=4, seconds=30)),
            "completed",
            "success",
        ),
        # Started when a runner took it (its first step), not when it began to wait for approval.
        Job(2, "deploy", at(ago(minutes=4)), at(ago(minutes=1)), None, "in_progress", None, this_job=True),
        Job(3, "notify", at(ago(minutes=4)), None, at(ago(minutes=2)), "completed", "skipped"),
    )
    assert (
        found.fields["deployment_duration"].source.detail == "the time the run's jobs ran, waits not counted"
    )
