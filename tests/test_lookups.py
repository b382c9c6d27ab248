"""GitHub look-ups end to end: the action as a process against a fake GitHub REST API on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support import (
    GITHUB_TOKEN,
    RELEASE_BODY,
    SHA,
    Answer,
    FakeGitHub,
    FakeIftrue,
    Route,
    Run,
    assert_minutes,
    github_deployment,
    github_job,
    github_pull,
    github_release,
    iso,
    jobs_pages,
    payload,
    run_action,
    runner_env,
    statuses_of,
)

from track_deployment.deployments import choose_run_deployment
from track_deployment.jobs import job_interval
from track_deployment.lookups import choose_pull
from track_deployment.model import Deployment, PullRequest, Release
from track_deployment.previous import choose_previous_release, newest_first

NOW = datetime.now(UTC)


def happy(**changes: Answer | Route) -> dict[str, Answer | Route]:
    """GitHub's answers for a repository where every look-up finds something; the run began 3 minutes ago."""
    now = datetime.now(UTC)  # when the answers are made: tests run long after this module loads
    started = now - timedelta(minutes=3)
    answers = {
        "pulls": Answer(
            200, [github_pull(412, SHA, "fix/rounding", title="Round totals once", labels=("bug",))]
        ),
        # A build job, then the deploy job this step runs in.
        "jobs": jobs_pages(
            [
                github_job(1, "build", iso(started), iso(started), iso(started + timedelta(minutes=1))),
                github_job(
                    2,
                    "deploy",
                    iso(started + timedelta(minutes=1)),
                    iso(started + timedelta(minutes=1, seconds=30)),
                    None,
                    status="in_progress",
                ),
            ]
        ),
        "releases": Answer(
            200,
            [
                github_release(186500002, "v2.5.0", None, draft=True),
                github_release(186500001, "v2.4.0", "2026-11-20T10:02:47Z"),
                github_release(186400009, "v2.4.0-rc.1", "2026-11-19T09:00:00Z", prerelease=True),
                github_release(186300000, "v2.3.0", "2026-11-10T12:00:00Z"),
                github_release(186200000, "v2.2.0", "2026-11-01T12:00:00Z"),
            ],
        ),
        "compare": Answer(
            200,
            {
                "url": "https://api.github.com/repos/octo-org/shop/compare/a...b",
                "status": "ahead",
                "ahead_by": 17,
                "behind_by": 0,
                "total_commits": 17,
                "commits": [],
                "files": [],
            },
        ),
        "deployments_by_sha": Answer(
            200,
            [
                github_deployment(1500000099, SHA, iso(now - timedelta(minutes=1))),
                github_deployment(1500000050, SHA, iso(now - timedelta(days=2))),
            ],
        ),
        "deployments_by_environment": Answer(
            200,
            [
                github_deployment(1500000001, SHA, "2026-11-20T10:00:00Z"),
                github_deployment(1499999000, "7" * 40, "2026-11-19T10:00:00Z"),
                github_deployment(1499998000, "6" * 40, "2026-11-18T10:00:00Z"),
            ],
        ),
        "statuses": statuses_of({}),
    }
    return answers | changes


def run_with_github(
    tmp_path: Path,
    github: FakeGitHub,
    iftrue: FakeIftrue,
    event_name: str,
    event: Any,
    runner_vars: dict[str, str] | None = None,
    **inputs: str,
) -> Run:
    env = runner_env(
        tmp_path, event_name, event, {"api_url": iftrue.url, "github_token": GITHUB_TOKEN, **inputs}
    )
    env["GITHUB_API_URL"] = github.api_url
    env.update(runner_vars or {})
    run = run_action(env)
    assert GITHUB_TOKEN not in run.everything().replace(f"::add-mask::{GITHUB_TOKEN}", "")
    return run


@pytest.fixture
def github() -> Any:
    with FakeGitHub(happy()) as server:
        yield server


def sent(iftrue: FakeIftrue) -> dict[str, Any]:
    [post] = iftrue.posts
    return post.json()


def test_release_uses_every_lookup_within_five_requests(
    tmp_path: Path, github: FakeGitHub, iftrue: FakeIftrue
) -> None:
    run = run_with_github(tmp_path, github, iftrue, "release", payload("release"))
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(["pulls", "jobs", "releases", "compare", "deployments_by_sha"])
    assert github.only("pulls").path == f"/repos/octo-org/shop/commits/{SHA}/pulls"
    assert github.only("jobs").path == "/repos/octo-org/shop/actions/runs/12345678901/jobs"
    assert github.only("jobs").query == {"per_page": ["100"]}
    assert github.only("compare").path == "/repos/octo-org/shop/compare/v2.3.0...v2.4.0"
    assert github.only("deployments_by_sha").query["sha"] == [SHA]
    assert all(r.headers["authorization"] == f"token {GITHUB_TOKEN}" for r in github.requests)
    body = sent(iftrue)
    assert body["title"] == "v2.4.0"
    assert (body["pull_request_number"], body["branch"], body["is_fix"]) == (412, "fix/rounding", True)
    assert body["commits_count"] == 17
    assert body["deployment_node_id"] == "DE_1500000099"
    # The build job's minute and the deploy job's 1.5 minutes so far; the 30 s queue between does not count.
    assert_minutes(body["deployment_duration"], 2.5, NOW)
    assert run.warnings == []
    assert run.stderr == ""


def test_push_makes_three_requests(tmp_path: Path, github: FakeGitHub, iftrue: FakeIftrue) -> None:
    run = run_with_github(tmp_path, github, iftrue, "push", payload("push"))
    assert run.code == 0
    assert sorted(github.routes) == sorted(["pulls", "jobs", "deployments_by_sha"])
    assert sent(iftrue)["commits_count"] == 2
    assert sent(iftrue)["pull_request_number"] == 412


def test_capped_push_compares_before_and_after(
    tmp_path: Path, github: FakeGitHub, iftrue: FakeIftrue
) -> None:
    event = payload("push")
    event["commits"] = event["commits"][:1] * 2048
    run = run_with_github(tmp_path, github, iftrue, "push", event)
    assert run.code == 0
    assert sorted(github.routes) == sorted(["pulls", "jobs", "compare", "deployments_by_sha"])
    assert github.only("compare").path == f"/repos/octo-org/shop/compare/{event['before']}...{SHA}"
    assert sent(iftrue)["commits_count"] == 17


def test_merged_pull_request_needs_no_pull_lookup(
    tmp_path: Path, github: FakeGitHub, iftrue: FakeIftrue
) -> None:
    run = run_with_github(tmp_path, github, iftrue, "pull_request", payload("pull_request"))
    assert run.code == 0
    assert sorted(github.routes) == sorted(["jobs", "deployments_by_sha"])
    assert sent(iftrue)["commits_count"] == 3


def test_deployment_counts_commits_since_previous_deployment(
    tmp_path: Path, github: FakeGitHub, iftrue: FakeIftrue
) -> None:
    run = run_with_github(tmp_path, github, iftrue, "deployment", payload("deployment"))
    assert run.code == 0
    assert sorted(github.routes) == sorted(
        ["pulls", "jobs", "deployments_by_environment", "statuses", "compare"]
    )
    assert github.only("deployments_by_environment").query["environment"] == ["production"]
    assert github.only("statuses").path == "/repos/octo-org/shop/deployments/1499999000/statuses"
    assert github.only("compare").path == f"/repos/octo-org/shop/compare/{'7' * 40}...{SHA}"
    body = sent(iftrue)
    assert (body["commits_count"], body["deployment_node_id"]) == (17, "DE_kwDOKb3Q4M5ZZ3Jh")


def test_count_runs_from_the_last_successful_deployment(tmp_path: Path, iftrue: FakeIftrue) -> None:
    answers = happy(statuses=statuses_of({1499999000: "error"}))
    with FakeGitHub(answers) as github:
        run = run_with_github(tmp_path, github, iftrue, "deployment_status", payload("deployment_status"))
    assert run.code == 0
    # deployment_status makes no jobs look-up: its spare request reads the next deployment's statuses.
    assert sorted(github.routes) == sorted(
        ["pulls", "deployments_by_environment", "statuses", "statuses", "compare"]
    )
    assert github.only("compare").path == f"/repos/octo-org/shop/compare/{'6' * 40}...{SHA}"
    assert sent(iftrue)["commits_count"] == 17


def test_deployment_status_needs_no_run_lookup(
    tmp_path: Path, github: FakeGitHub, iftrue: FakeIftrue
) -> None:
    run = run_with_github(tmp_path, github, iftrue, "deployment_status", payload("deployment_status"))
    assert run.code == 0
    assert sorted(github.routes) == sorted(["pulls", "deployments_by_environment", "statuses", "compare"])
    assert sent(iftrue)["deployment_duration"] == 7.5


def test_workflow_dispatch_takes_the_pull_request_title(
    tmp_path: Path, github: FakeGitHub, iftrue: FakeIftrue
) -> None:
    run = run_with_github(tmp_path, github, iftrue, "workflow_dispatch", payload("workflow_dispatch"))
    assert run.code == 0
    assert sorted(github.routes) == sorted(["pulls", "jobs", "deployments_by_sha"])
    assert sent(iftrue)["title"] == "Round totals once"


def test_lookups_off(tmp_path: Path, github: FakeGitHub, iftrue: FakeIftrue) -> None:
    run = run_with_github(tmp_path, github, iftrue, "release", payload("release"), github_token="")
    assert run.code == 0
    assert github.requests == []
    assert sent(iftrue)["pull_request_number"] == 0
    assert "Set the pull_request_number input" in run.warnings[0]


def test_no_lookups_when_inputs_cover_them(tmp_path: Path, github: FakeGitHub, iftrue: FakeIftrue) -> None:
    covering = dict(
        pull_request_number="5",
        branch="main",
        is_fix="false",
        is_hotfix="false",
        deployment_duration="2",
        commits_count="3",
        deployment_node_id="DE_x",
    )
    run = run_with_github(tmp_path, github, iftrue, "release", payload("release"), **covering)
    assert run.code == 0
    assert github.requests == []


def test_first_release_has_no_commit_count(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(
        happy(releases=Answer(200, [github_release(186500001, "v2.4.0", "2026-11-20T10:02:47Z")]))
    ) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", payload("release"))
    assert run.code == 0
    assert sorted(github.routes) == sorted(["pulls", "jobs", "releases", "deployments_by_sha"])
    assert "commits_count" not in sent(iftrue)


def test_prerelease_counts_from_previous_prerelease(
    tmp_path: Path, github: FakeGitHub, iftrue: FakeIftrue
) -> None:
    event = payload("release")
    event["action"] = "published"  # a prerelease fires `published` and `prereleased`, never `released`
    event["release"].update(
        tag_name="v2.5.0-rc.1", name="rc", prerelease=True, id=186600000, published_at="2026-11-21T10:00:00Z"
    )
    run = run_with_github(tmp_path, github, iftrue, "release", event, prereleases="true")
    assert run.code == 0
    assert github.only("compare").path == "/repos/octo-org/shop/compare/v2.4.0...v2.5.0-rc.1"


def test_commit_without_pull_request(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = payload("push")
    event["head_commit"]["message"] = "Add gift cards"  # no merge title to name a pull request
    with FakeGitHub(happy(pulls=Answer(200, []))) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", event)
    assert run.code == 0
    assert sent(iftrue)["pull_request_number"] == 0
    assert sent(iftrue)["branch"] == "main"
    assert run.warnings == [
        "GitHub knows no pull request of commit 9f2c1e4, so pull_request_number is 0. "
        "Set the pull_request_number input if the deployment has one."
    ]


def test_deployment_from_before_the_run_is_ignored(tmp_path: Path, iftrue: FakeIftrue) -> None:
    old = Answer(200, [github_deployment(1500000050, SHA, iso(NOW - timedelta(days=2)))])
    with FakeGitHub(happy(deployments_by_sha=old)) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"))
    assert run.code == 0
    assert "deployment_node_id" not in sent(iftrue)


def test_github_enterprise_server_base_url(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(happy(), prefix="/api/v3") as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"))
    assert run.code == 0
    assert [r.path.split("/")[1:3] for r in github.requests] == [["api", "v3"]] * 3
    assert sent(iftrue)["pull_request_number"] == 412


@pytest.mark.parametrize(
    ("route", "answer", "routes", "advice", "reason"),
    [
        (
            "pulls",
            Answer(401, {"message": "Bad credentials"}),
            ["pulls"],
            "Give the `github_token` input a valid token",
            "401 Bad credentials",
        ),
        (
            "pulls",
            Answer(401, {"message": "Requires authentication"}),
            ["pulls"],
            "Give the `github_token` input a valid token",
            "401 Requires authentication",
        ),
        (
            "pulls",
            Answer(403, {"message": "Resource not accessible by integration"}),
            ["pulls", "jobs", "releases", "compare", "deployments_by_sha"],
            "pull-requests: read",
            "403 Resource not accessible by integration",
        ),
        (
            "pulls",
            Answer(
                403,
                {"message": "API rate limit exceeded for installation ID 1."},
                {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9999999999"},
            ),
            ["pulls"],
            "No permission is missing",
            "rate limit exceeded",
        ),
        (
            "jobs",
            Answer(404, {"message": "Not Found"}),
            ["pulls", "jobs", "releases", "compare"],
            "actions: read",
            "404 Not Found",
        ),
        (
            "releases",
            Answer(403, {"message": "Resource not accessible by integration"}),
            ["pulls", "jobs", "releases", "deployments_by_sha"],
            "contents: read",
            "403",
        ),
        (
            "compare",
            Answer(500, {"message": "Server Error"}),
            ["pulls", "jobs", "releases", "compare", "deployments_by_sha"],
            "No permission is missing",
            "500",
        ),
        (
            "deployments_by_sha",
            Answer(403, {"message": "Resource not accessible by integration"}),
            ["pulls", "jobs", "releases", "compare", "deployments_by_sha"],
            "deployments: read",
            "403",
        ),
        (
            "pulls",
            Answer(200, "<html>not json</html>"),
            ["pulls", "jobs", "releases", "compare", "deployments_by_sha"],
            "No permission is missing",
            "unexpected answer",
        ),
    ],
)
def test_failed_lookup_degrades_with_one_warning(
    tmp_path: Path,
    iftrue: FakeIftrue,
    route: str,
    answer: Answer,
    routes: list[str],
    advice: str,
    reason: str,
) -> None:
    with FakeGitHub(happy(**{route: answer})) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", payload("release"))
    assert run.code == 0, run.stdout
    assert sorted(github.routes) == sorted(routes)
    lookup_warnings = [w for w in run.warnings if w.startswith("GitHub look-ups failed")]
    assert len(lookup_warnings) == 1
    assert advice in lookup_warnings[0] and reason in lookup_warnings[0]
    # Only GitHub refusing (401, 403, 404) is a permission or token to fix in the workflow.
    assert ("permissions:" in lookup_warnings[0]) == (advice.endswith(": read"))
    assert run.outputs["result"] == "created"


def test_slow_github_times_out_and_stops_lookups(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(happy(pulls=Answer(200, [], delay=5))) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", payload("release"), timeout="2")
    assert run.code == 0
    assert sorted(github.routes) == sorted(["pulls"])
    assert "timed out" in run.warnings[0]
    assert sent(iftrue)["pull_request_number"] == 0


def test_unreachable_github(tmp_path: Path, iftrue: FakeIftrue) -> None:
    env = runner_env(
        tmp_path, "release", payload("release"), {"api_url": iftrue.url, "github_token": GITHUB_TOKEN}
    )
    env["GITHUB_API_URL"] = "http://127.0.0.1:9"
    run = run_action(env)
    assert run.code == 0
    assert "network error" in run.warnings[0]
    assert len(iftrue.posts) == 1


# Choice rules, unit level.


def pull(number: int, sha: str | None, merged: bool) -> PullRequest:
    return PullRequest(number=number, merge_commit_sha=sha, merged=merged)


def test_choose_pull() -> None:
    assert choose_pull([], SHA) is None
    assert (
        choose_pull([pull(1, None, False), pull(2, "a" * 40, True), pull(3, SHA.upper(), True)], SHA).number
        == 3
    )  # type: ignore[union-attr]
    assert choose_pull([pull(1, None, False), pull(2, "a" * 40, True)], SHA).number == 2  # type: ignore[union-attr]
    assert choose_pull([pull(1, None, False), pull(2, None, False)], SHA).number == 1  # type: ignore[union-attr]


def release(id_: int, tag: str, day: int | None, *, draft: bool = False, pre: bool = False) -> Release:
    published = datetime(2026, 11, day, tzinfo=UTC) if day else None
    return Release(id=id_, tag=tag, draft=draft, prerelease=pre, published_at=published)


def test_choose_previous_release() -> None:
    releases = [
        release(5, "v5", None, draft=True),
        release(4, "v4", 20),
        release(3, "v4-rc", 19, pre=True),
        release(2, "v3", 10),
        release(1, "v2", 1),
    ]
    current = Release(4, "v4", False, datetime(2026, 11, 20, tzinfo=UTC))
    assert choose_previous_release(releases, current).tag == "v3"  # type: ignore[union-attr]
    pre = Release(6, "v5-rc", True, datetime(2026, 11, 21, tzinfo=UTC))
    assert choose_previous_release(releases, pre).tag == "v4"  # type: ignore[union-attr]
    pre_early = Release(7, "v4-rc2", True, datetime(2026, 11, 19, 12, tzinfo=UTC))
    assert choose_previous_release(releases, pre_early).tag == "v4-rc"  # type: ignore[union-attr]
    assert choose_previous_release([release(4, "v4", 20)], current) is None


def deployment(id_: int, day: int, node: str | None = "DE", environment: str = "production") -> Deployment:
    created = datetime(2026, 11, day, tzinfo=UTC)
    return Deployment(id=id_, sha=f"{id_:040d}", environment=environment, created_at=created, node_id=node)


def test_earlier_deployments_and_run_deployment() -> None:
    deployments = [deployment(1, 18), deployment(3, 20), deployment(2, 19)]
    current = Deployment(3, SHA, "production", datetime(2026, 11, 20, tzinfo=UTC))
    assert [d.id for d in newest_first(deployments, current)] == [2, 1]
    assert newest_first([deployment(3, 20)], current) == []
    since = (datetime(2026, 11, 19, tzinfo=UTC), None)
    assert choose_run_deployment(deployments, since, frozenset())[0].id == 3  # type: ignore[union-attr]
    assert choose_run_deployment([deployment(4, 21, None), deployment(1, 18)], since, frozenset()) == (
        None,
        (),
    )


def test_choose_run_deployment_in_a_window_and_environments() -> None:
    window = (datetime(2026, 11, 19, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC))
    # Before the window (an earlier run), inside it, after it (a later run).
    assert choose_run_deployment(
        [deployment(1, 18), deployment(2, 20), deployment(3, 22)], window, frozenset()
    ) == (
        deployment(2, 20),
        (),
    )
    matrix = [deployment(5, 20, environment="Production"), deployment(6, 20, environment="staging")]
    assert choose_run_deployment(matrix, window, frozenset()) == (None, ("Production", "staging"))
    assert choose_run_deployment(matrix, window, frozenset({"production"})) == (matrix[0], ())
    assert choose_run_deployment(matrix, window, frozenset({"staging", "qa"})) == (matrix[1], ())
    assert choose_run_deployment(matrix, window, frozenset({"qa"})) == (None, ())
    # The same environment twice (a re-deploy in one run): the newest.
    again = [deployment(7, 19, environment="production"), deployment(8, 20, environment="PRODUCTION")]
    assert choose_run_deployment(again, window, frozenset()) == (again[1], ())


def at(minute: int) -> datetime:
    return datetime(2026, 11, 20, 10, minute, tzinfo=UTC)


def shaped_job(started: int | None, completed: int | None, **shape: Any) -> dict[str, Any]:
    return github_job(
        1, "deploy", iso(at(0)), iso(at(started)) if started is not None else None,
        iso(at(completed)) if completed is not None else None, **shape,
    )  # fmt: skip


def without_steps(job: dict[str, Any]) -> dict[str, Any]:
    return {**job, "steps": []}


@pytest.mark.parametrize(
    ("job", "interval"),
    [
        (shaped_job(1, 3), (at(1), at(3))),
        (shaped_job(1, None, status="in_progress"), (at(1), None)),
        # Its started_at is when it was queued, days before reviewers approved it; its steps ran.
        (shaped_job(0, None, status="in_progress", picked_up=iso(at(7))), (at(7), None)),
        (shaped_job(0, 9, picked_up=iso(at(7))), (at(7), at(9))),
        # A runner but no steps listed: the job's own times.
        (without_steps(shaped_job(1, 3)), (at(1), at(3))),
        ({**shaped_job(1, 3), "completed_at": None}, (at(1), at(1))),
        (shaped_job(1, None, status="queued"), None),
        (shaped_job(1, None, status="waiting"), None),  # held by an environment's required reviewers
        # Cancelled or rejected while it waited: it never had a runner.
        (shaped_job(0, 9, conclusion="cancelled", ran=False), None),
        (shaped_job(5, 5, conclusion="skipped"), None),
        (shaped_job(None, None, conclusion="cancelled"), None),
        # GitHub's times are UTC; one without a zone is read so.
        (without_steps(shaped_job(1, 3)) | {"started_at": "2026-11-20T10:01:00"}, (at(1), at(3))),
    ],
    ids=[
        "completed", "running", "approval wait, running", "approval wait, completed", "no steps",
        "no end", "queued", "waiting", "cancelled while waiting", "skipped", "never started", "no zone",
    ],
)  # fmt: skip
def test_job_interval(job: dict[str, Any], interval: Any) -> None:
    assert job_interval(job) == interval


@pytest.mark.parametrize("overlap", [8, 12, 30])
def test_github_message_cut_across_the_token_is_still_redacted(
    tmp_path: Path, iftrue: FakeIftrue, overlap: int
) -> None:
    # The reason is cut at 200 characters: a token GitHub echoes across the cut must not leak in part.
    message = "x" * (200 - len("403 ") - overlap) + GITHUB_TOKEN
    with FakeGitHub({**happy(), "pulls": Answer(403, {"message": message})}) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", payload("release"))
    assert run.code == 0, run.stdout + run.stderr
    assert any("x" * 20 in warning for warning in run.warnings)
    assert GITHUB_TOKEN[:overlap] not in run.everything().replace(f"::add-mask::{GITHUB_TOKEN}", "")


@pytest.mark.parametrize(
    "api_url", ["github.example.com/api/v3", "ftp://github.example.com", "http://[::1", "https://h:99999"]
)
def test_unusable_api_url_turns_lookups_off_and_records(
    tmp_path: Path, iftrue: FakeIftrue, api_url: str
) -> None:
    env = runner_env(
        tmp_path, "release", payload("release"), {"api_url": iftrue.url, "github_token": GITHUB_TOKEN}
    )
    env["GITHUB_API_URL"] = api_url
    run = run_action(env)
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["result"] == "created"
    assert sent(iftrue)["title"] == RELEASE_BODY["title"]
    assert any(w.startswith(f"GITHUB_API_URL is {api_url!r}, not an http") for w in run.warnings)


def test_githubs_merge_title_stands_in_when_the_pull_request_look_up_fails(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    forbidden = Answer(403, {"message": "Resource not accessible by integration"})
    with FakeGitHub(happy(pulls=forbidden)) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"))
    assert run.code == 0, run.stdout
    assert "pulls" in github.routes  # the look-up was made, as without the title
    assert (sent(iftrue)["pull_request_number"], sent(iftrue)["branch"]) == (412, "feature/checkout")
    assert not [w for w in run.warnings if "pull_request_number is 0" in w]


def test_the_pull_request_look_up_wins_over_githubs_merge_title(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(happy()) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"))
    assert run.code == 0, run.stdout
    assert (sent(iftrue)["pull_request_number"], sent(iftrue)["branch"]) == (412, "fix/rounding")
