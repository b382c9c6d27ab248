"""Recovery deployments: reverts, rollbacks and redeploys, and fix flags from the commits that ship.

Process tests run the action against a fake GitHub API on loopback with the payloads GitHub
writes (the Revert button's pull request, `git revert` messages, a forced push back to an
ancestor, a dispatch of an older tag); unit and property tests check the reasons and that an
input always wins.
"""

from __future__ import annotations

import copy
import html
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from support import (
    SHA,
    Answer,
    FakeGitHub,
    FakeIftrue,
    Recorded,
    github_deployment,
    github_pull,
    github_run_attempt,
    github_workflow_run,
    iso,
    payload,
    run_action,
    runner_env,
    statuses_of,
)
from test_lookups import happy, run_with_github, sent

from track_deployment.events import parse_event
from track_deployment.inputs import Inputs, Runner
from track_deployment.model import Before, Commit, Found, PullRequest, Reading, Shipped, Source, Sourced
from track_deployment.plan import Plan
from track_deployment.readers import read_event
from track_deployment.record import build_record
from track_deployment.recovery import judge, pull_revert, redeploy

# v2.3.0, the older release a rollback deploys again; SHA is v2.4.0, what production runs.
OLD = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
REVERT = "2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
FIX = "3f00a1bcccccccccccccccccccccccccccccccccc"
WORKFLOW_REF = "octo-org/shop/.github/workflows/deploy.yml@refs/heads/main"
NOW = datetime(2026, 11, 20, 10, 10, tzinfo=UTC)


def push_commit(sha: str, message: str) -> dict[str, Any]:
    """A commit as a push payload lists it."""
    return {
        "id": sha,
        "tree_id": "t" + sha[:6],
        "distinct": True,
        "message": message,
        "timestamp": "2026-11-20T09:30:00Z",
        "url": f"https://github.com/octo-org/shop/commit/{sha}",
        "author": {"name": "Mona", "email": "mona@example.com", "username": "mona"},
        "committer": {"name": "GitHub", "email": "noreply@github.com", "username": "web-flow"},
        "added": [],
        "removed": [],
        "modified": ["app.py"],
    }


def compare_commit(sha: str, message: str, parents: int = 1) -> dict[str, Any]:
    """A commit as `GET /repos/{owner}/{repo}/compare/{base}...{head}` lists it."""
    return {
        "sha": sha,
        "node_id": f"C_{sha[:8]}",
        "commit": {
            "author": {"name": "Mona", "email": "mona@example.com", "date": "2026-11-20T09:30:00Z"},
            "committer": {"name": "GitHub", "email": "noreply@github.com", "date": "2026-11-20T09:30:00Z"},
            "message": message,
            "tree": {
                "sha": "4" * 40,
                "url": "https://api.github.com/repos/octo-org/shop/git/trees/" + "4" * 40,
            },
            "comment_count": 0,
        },
        "url": f"https://api.github.com/repos/octo-org/shop/commits/{sha}",
        "html_url": f"https://github.com/octo-org/shop/commit/{sha}",
        "parents": [{"sha": f"{i}" * 40} for i in range(parents)],
    }


def comparison(status: str, commits: list[dict[str, Any]], base: str) -> Answer:
    ahead = len(commits) if status in ("ahead", "diverged") else 0
    return Answer(
        200,
        {
            "url": "https://api.github.com/repos/octo-org/shop/compare/a...b",
            "html_url": "https://github.com/octo-org/shop/compare/a...b",
            "status": status,
            "ahead_by": ahead,
            "behind_by": 5 if status in ("behind", "diverged") else 0,
            "total_commits": ahead,
            "base_commit": compare_commit(base, "base"),
            "merge_base_commit": compare_commit(base, "base"),
            "commits": commits,
            "files": [],
        },
    )


# 1. Reverts.


def revert_button_pull() -> dict[str, Any]:
    """The merged pull request GitHub's Revert button opens for PR #412 "Add gift cards"."""
    event = copy.deepcopy(payload("pull_request"))
    pull = event["pull_request"]
    pull["head"]["ref"] = "revert-412-feature/gift-cards"
    pull["head"]["label"] = "octo-org:revert-412-feature/gift-cards"
    pull["title"] = 'Revert "Add gift cards"'
    pull["body"] = "Reverts octo-org/shop#412"
    pull["labels"] = []
    pull["number"] = event["number"] = 413
    return event


def test_revert_button_pull_request_is_a_hotfix(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = run_action(runner_env(tmp_path, "pull_request", revert_button_pull(), {"api_url": iftrue.url}))
    assert run.code == 0
    body = sent(iftrue)
    assert (body["is_hotfix"], body["title"], body["pull_request_number"]) == (
        True,
        'Revert "Add gift cards"',
        413,
    )
    assert "is_fix" not in body
    assert 'is_hotfix: reverts #412 "Add gift cards"' in run.notices


def revert_push(*messages: tuple[str, str]) -> dict[str, Any]:
    event = copy.deepcopy(payload("push"))
    event["commits"] = [push_commit(sha, message) for sha, message in messages]
    event["head_commit"] = event["commits"][-1]
    event["after"] = messages[-1][0]
    return event


GIT_REVERT = f'Revert "Add gift cards"\n\nThis reverts commit {"1111111" + "a" * 33}.\n'


def test_git_revert_pushed_is_a_hotfix_without_lookups(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = revert_push((REVERT, GIT_REVERT))
    run = run_action(runner_env(tmp_path, "push", event, {"api_url": iftrue.url}))
    body = sent(iftrue)
    assert (body["is_hotfix"], body["commits_count"]) == (True, 1)
    assert "is_fix" not in body
    assert 'is_hotfix: reverts "Add gift cards" (2222222)' in run.notices


def test_merged_revert_pull_request_pushed_is_a_hotfix(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # The merge commit says nothing of its own: the revert it merges decides.
    event = revert_push(
        (REVERT, GIT_REVERT),
        (
            SHA,
            'Merge pull request #413 from octo-org/revert-412-feature/gift-cards\n\nRevert "Add gift cards"',
        ),
    )
    run = run_action(runner_env(tmp_path, "push", event, {"api_url": iftrue.url}))
    assert sent(iftrue)["is_hotfix"] is True
    assert 'is_hotfix: reverts "Add gift cards" (2222222)' in run.notices


def test_revert_among_other_changes_is_a_fix(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = revert_push((REVERT, GIT_REVERT), ("4" * 40, "feat: wish lists"))
    run = run_action(runner_env(tmp_path, "push", event, {"api_url": iftrue.url}))
    body = sent(iftrue)
    assert (body["is_fix"], "is_hotfix" in body) == (True, False)
    assert 'is_fix: ships a revert among other changes: reverts "Add gift cards" (2222222)' in run.notices


def test_inputs_win_over_the_revert(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = revert_push((REVERT, GIT_REVERT), ("4" * 40, "fix: totals"))
    inputs = {"api_url": iftrue.url, "is_hotfix": "false", "is_fix": "false"}
    run = run_action(runner_env(tmp_path, "push", event, inputs))
    body = sent(iftrue)
    assert (body["is_hotfix"], body["is_fix"]) == (False, False)
    assert not any(notice.startswith(("is_fix", "is_hotfix")) for notice in run.notices)


# 2. Rollbacks.


def dispatch_of_older_tag(github: FakeGitHub, tmp_path: Path, iftrue: FakeIftrue, **inputs: str) -> Any:
    runner = {
        "GITHUB_REF": "refs/tags/v2.3.0",
        "GITHUB_REF_NAME": "v2.3.0",
        "GITHUB_SHA": OLD,
        "GITHUB_WORKFLOW_REF": WORKFLOW_REF,
    }
    return run_with_github(
        tmp_path, github, iftrue, "workflow_dispatch", payload("workflow_dispatch"), runner, **inputs
    )


def production_history(now: datetime) -> dict[str, Answer]:
    """This run's deployment of v2.3.0, made a minute ago, over v2.4.0 that production runs."""
    own = github_deployment(1500000200, OLD, iso(now - timedelta(minutes=1)))
    own["ref"] = "v2.3.0"
    current = github_deployment(1500000100, SHA, "2026-11-20T10:00:00Z")
    current["ref"] = "v2.4.0"
    return {
        "deployments_by_sha": Answer(200, [own]),
        "deployments_by_environment": Answer(
            200, [own, current, github_deployment(1499999000, "7" * 40, "2026-11-19T10:00:00Z")]
        ),
    }


def test_dispatch_of_an_older_tag_is_a_rollback(tmp_path: Path, iftrue: FakeIftrue) -> None:
    answers = happy(
        pulls=Answer(200, []), compare=comparison("behind", [], SHA), **production_history(datetime.now(UTC))
    )
    with FakeGitHub(answers) as github:
        run = dispatch_of_older_tag(github, tmp_path, iftrue)
    assert run.code == 0
    assert sorted(github.routes) == sorted(
        [
            "pulls",
            "jobs",
            "deployments_by_sha",
            "deployments_by_environment",
            "statuses",
            "compare",
        ]
    )
    assert github.only("deployments_by_environment").query["environment"] == ["production"]
    assert github.only("statuses").path == "/repos/octo-org/shop/deployments/1500000100/statuses"
    assert github.only("compare").path == f"/repos/octo-org/shop/compare/{SHA}...{OLD}"
    body = sent(iftrue)
    assert (body["is_hotfix"], body["commit_id"], body["deployment_node_id"]) == (True, OLD, "DE_1500000200")
    assert "commits_count" not in body
    assert "is_hotfix: rolls production back from v2.4.0 (9f2c1e4) to v2.3.0 (1a2b3c4)" in run.notices
    assert (
        '| `is_hotfix` | true | rule: <a href="https://github.com/octo-org/shop/compare/'
        f'{OLD}...{SHA}">rolls production back from v2.4.0 (9f2c1e4) to v2.3.0 (1a2b3c4)</a> |'
    ) in html.unescape(run.summary)
    assert "| `commits_count` | — | left out: a rollback ships no new commits |" in html.unescape(run.summary)


def test_dispatch_of_a_newer_tag_counts_from_the_last_good_deployment(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    shipped = [
        compare_commit(FIX, "fix(api): handle an empty cart"),
        compare_commit("5" * 40, "feat: wish lists"),
    ]
    answers = happy(
        pulls=Answer(200, []),
        compare=comparison("ahead", shipped, SHA),
        **production_history(datetime.now(UTC)),
    )
    with FakeGitHub(answers) as github:
        run = dispatch_of_older_tag(github, tmp_path, iftrue)
    body = sent(iftrue)
    assert (body["commits_count"], body["is_fix"], "is_hotfix" in body) == (2, True, False)
    assert "is_fix: ships fix(api): handle an empty cart (3f00a1b)" in run.notices


def test_diverged_history_is_no_rollback(tmp_path: Path, iftrue: FakeIftrue) -> None:
    answers = happy(
        pulls=Answer(200, []),
        compare=comparison("diverged", [compare_commit("5" * 40, "feat: wish lists")], SHA),
        **production_history(datetime.now(UTC)),
    )
    with FakeGitHub(answers) as github:
        dispatch_of_older_tag(github, tmp_path, iftrue)
    body = sent(iftrue)
    assert ("is_hotfix" in body, body["commits_count"]) == (False, 1)


def forced_push_to_ancestor() -> dict[str, Any]:
    """`git push --force origin 1a2b3c4:main`: main goes back to an ancestor; GitHub lists no commits."""
    event = copy.deepcopy(payload("push"))
    event.update(before=SHA, after=OLD, forced=True, commits=[])
    event["compare"] = f"https://github.com/octo-org/shop/compare/{SHA[:12]}...{OLD[:12]}"
    event["head_commit"] = push_commit(OLD, "Add search (#380)")
    return event


def test_forced_push_to_an_ancestor_is_a_rollback(tmp_path: Path, iftrue: FakeIftrue) -> None:
    answers = happy(
        pulls=Answer(200, []), deployments_by_sha=Answer(200, []), compare=comparison("behind", [], SHA)
    )
    with FakeGitHub(answers) as github:
        run = run_with_github(
            tmp_path, github, iftrue, "push", forced_push_to_ancestor(), {"GITHUB_SHA": OLD}
        )
    assert sorted(github.routes) == sorted(["pulls", "jobs", "compare", "deployments_by_sha"])
    assert github.only("compare").path == f"/repos/octo-org/shop/compare/{SHA}...{OLD}"
    body = sent(iftrue)
    assert (body["is_hotfix"], body["is_forced"], body["commit_id"]) == (True, True, OLD)
    assert "commits_count" not in body
    assert "is_hotfix: rolls main back from 9f2c1e4 to 1a2b3c4" in run.notices


def test_forced_push_without_lookups_sends_no_count(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run_action(runner_env(tmp_path, "push", forced_push_to_ancestor(), {"api_url": iftrue.url}))
    body = sent(iftrue)
    assert ("commits_count" in body, "is_hotfix" in body) == (False, False)


# 3. Redeploys.


SAME_COMMIT_BEFORE = Answer(
    200,
    [
        github_deployment(1500000001, SHA, "2026-11-20T10:00:00Z"),
        github_deployment(1499999500, SHA, "2026-11-19T12:00:00Z"),
        github_deployment(1499999000, "7" * 40, "2026-11-19T10:00:00Z"),
    ],
)


def assert_skipped_as_redeploy(run: Any, iftrue: FakeIftrue, earlier: str) -> None:
    """Skipped, nothing sent, and the one notice names the earlier deployment or run."""
    assert (run.code, run.outputs["result"], iftrue.posts) == (0, "skipped", [])
    assert run.notices == [
        f"Not a deployment: commit 9f2c1e4 is what {earlier}, so no change ships. Set the `redeploys` "
        "input to true to record redeploys too. Nothing was sent to iftrue."
    ]


def test_redeploy_of_the_commit_production_runs_is_skipped(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(happy(deployments_by_environment=SAME_COMMIT_BEFORE)) as github:
        run = run_with_github(tmp_path, github, iftrue, "deployment", payload("deployment"))
    assert sorted(github.routes) == sorted(["pulls", "jobs", "deployments_by_environment", "statuses"])
    assert github.only("statuses").path == "/repos/octo-org/shop/deployments/1499999500/statuses"
    assert_skipped_as_redeploy(
        run,
        iftrue,
        "deployment 1499999500 to production already deployed at "
        "https://github.com/octo-org/shop/actions/runs/12345678901/job/1499999500",
    )


def test_redeploy_is_recorded_with_redeploys_true(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(happy(deployments_by_environment=SAME_COMMIT_BEFORE)) as github:
        run = run_with_github(tmp_path, github, iftrue, "deployment", payload("deployment"), redeploys="true")
    assert (run.code, run.outputs["result"]) == (0, "created")
    # Nothing new ships: no count, rather than a 0 for what the earlier deployment shipped.
    assert "commits_count" not in sent(iftrue)
    assert (
        "| `commits_count` | — | left out: a redeploy: deployment 1499999500 to production already "
        "deployed 9f2c1e4, nothing new ships |"
    ) in html.unescape(run.summary)


def test_retry_after_a_failed_deployment_is_no_redeploy(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # The earlier deployment of this commit failed: this one ships it for the first time. Its
    # count needs the statuses of the one before, a sixth request: none is sent, and a warning says so.
    answers = happy(
        deployments_by_environment=SAME_COMMIT_BEFORE, statuses=statuses_of({1499999500: "failure"})
    )
    with FakeGitHub(answers) as github:
        run = run_with_github(tmp_path, github, iftrue, "deployment", payload("deployment"))
    assert (run.code, run.outputs["result"]) == (0, "created")
    assert sorted(github.routes) == sorted(["pulls", "jobs", "deployments_by_environment", "statuses"])
    assert "commits_count" not in sent(iftrue)
    assert (
        "The newest earlier deployment to production did not succeed, and the action reads no further "
        "within its budget of GitHub requests, so commits_count is left out and no rollback or redeploy "
        "is detected. Set the `commits_count` input to send one."
    ) in run.notices
    assert not any("did not succeed" in warning for warning in run.warnings)  # nothing is wrong
    assert (
        "| `commits_count` | — | left out: unknown: the newest earlier deployment did not succeed, "
        "and the budget reads no further |"
    ) in html.unescape(run.summary)


def nightly(
    tmp_path: Path,
    iftrue: FakeIftrue,
    runs: list[dict[str, Any]],
    compare: Answer | None = None,
    attempt: dict[str, Any] | None = None,
    **inputs: str,
) -> tuple[Any, FakeGitHub]:
    """A scheduled deploy of main; with `attempt`, attempt 2 of the run, GitHub answering for attempt 1."""

    def listed(request: Recorded) -> Answer:
        # `?status=success` lists only the runs that succeeded (GitHub REST, list workflow runs).
        wanted = request.query.get("status", [""])[0]
        kept = [run for run in runs if not wanted or run["conclusion"] == wanted]
        return Answer(200, {"total_count": len(kept), "workflow_runs": kept})

    extra: dict[str, Answer | Any] = {"compare": compare} if compare else {}
    runner = {"GITHUB_WORKFLOW_REF": WORKFLOW_REF, "GITHUB_REF": "refs/heads/main", "GITHUB_REF_NAME": "main"}
    if attempt is not None:
        extra["attempt"] = Answer(200, attempt)
        runner["GITHUB_RUN_ATTEMPT"] = "2"
    answers = happy(pulls=Answer(200, []), deployments_by_sha=Answer(200, []), workflow_runs=listed, **extra)
    with FakeGitHub(answers) as github:
        run = run_with_github(tmp_path, github, iftrue, "schedule", payload("schedule"), runner, **inputs)
    return run, github


def test_nightly_deploy_of_an_unchanged_main_is_skipped(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run, github = nightly(tmp_path, iftrue, [github_workflow_run(12300000000, SHA, number=41)])
    assert sorted(github.routes) == sorted(["pulls", "jobs", "deployments_by_sha", "workflow_runs"])
    assert github.only("workflow_runs").path == "/repos/octo-org/shop/actions/workflows/deploy.yml/runs"
    assert github.only("workflow_runs").query["status"] == ["success"]
    assert_skipped_as_redeploy(
        run,
        iftrue,
        "run #41 of Deploy already deployed at https://github.com/octo-org/shop/actions/runs/12300000000",
    )


def test_nightly_redeploy_is_recorded_with_redeploys_true(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run, github = nightly(
        tmp_path, iftrue, [github_workflow_run(12300000000, SHA, number=41)], redeploys="true"
    )
    assert (run.code, run.outputs["result"]) == (0, "created")
    # The same look-ups as the skipped run: the earlier run was found, and the input records it.
    assert sorted(github.routes) == sorted(["pulls", "jobs", "deployments_by_sha", "workflow_runs"])
    body = sent(iftrue)
    assert "commits_count" not in body
    assert body["title"] == "Deploy #42"
    assert (
        "| `commits_count` | — | left out: a redeploy: run #41 of Deploy already deployed 9f2c1e4, "
        "nothing new ships |"
    ) in html.unescape(run.summary)


def test_rerun_after_a_failed_attempt_is_recorded(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # Attempt 1 of this run failed at the same commit: it is recorded (the list of successful
    # runs would not show it either).
    runs = [
        {**github_workflow_run(12345678901, SHA, number=42), "conclusion": "failure"},
        github_workflow_run(12300000000, OLD, number=41),
    ]
    shipped = [compare_commit(SHA, "feat: gift cards")]
    failed = github_run_attempt(12345678901, SHA, 1, "failure")
    run, github = nightly(tmp_path, iftrue, runs, comparison("ahead", shipped, OLD), failed)
    assert (run.code, run.outputs["result"]) == (0, "created")
    # Attempt 1 costs a request of its own: the last successful run and the compare still fit.
    assert sorted(github.routes) == sorted(
        ["attempt", "pulls", "jobs", "deployments_by_sha", "workflow_runs", "compare"]
    )
    assert github.only("attempt").path == "/repos/octo-org/shop/actions/runs/12345678901/attempts/1"
    body = sent(iftrue)
    assert (body["commit_id"], body["commits_count"]) == (SHA, 1)


def test_rerun_of_an_older_successful_run_is_a_rollback(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """ "Re-run all jobs" on last week's deploy: its attempt 1 succeeded at this commit, but what
    runs now (the workflow's last successful run) is newer, so the re-run rolls production back."""
    newer = "8" * 40
    runs = [github_workflow_run(12300000000, newer, number=50)]
    succeeded = github_run_attempt(12345678901, SHA, 1, "success")
    run, _ = nightly(tmp_path, iftrue, runs, comparison("behind", [], newer), succeeded)
    assert (run.code, run.outputs["result"]) == (0, "created"), run.stdout
    body = sent(iftrue)
    assert (body["commit_id"], body["is_hotfix"], "commits_count" in body) == (SHA, True, False)
    assert "is_hotfix: rolls" in " ".join(run.notices)


RERUN_SKIPPED = (
    "Not a deployment: commit 9f2c1e4 is what attempt 1 of this run already deployed at "
    "https://github.com/octo-org/shop/actions/runs/12345678901, so no change ships. Set the `redeploys` "
    "input to true to record redeploys too. Nothing was sent to iftrue."
)


def test_rerun_of_a_deploy_that_succeeded_is_skipped(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # GitHub lists a run being re-run as in progress: only its attempt 1 tells that it deployed.
    runs = [github_workflow_run(12300000000, OLD, number=41)]
    succeeded = github_run_attempt(12345678901, SHA, 1, "success")
    run, github = nightly(tmp_path, iftrue, runs, comparison("ahead", [], OLD), succeeded)
    assert (run.code, run.outputs["result"], iftrue.posts) == (0, "skipped", [])
    # The attempt is read; the look-ups go on within the budget, as a re-run of an older run that
    # ships a commit behind what runs now is a rollback.
    attempt = github.only("attempt")
    assert attempt.path == "/repos/octo-org/shop/actions/runs/12345678901/attempts/1"
    assert attempt.query == {"exclude_pull_requests": ["true"]}
    assert run.notices == [RERUN_SKIPPED]
    assert run.warnings == []


def test_rerun_of_a_deploy_that_succeeded_is_recorded_with_redeploys_true(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    runs = [github_workflow_run(12300000000, OLD, number=41)]
    shipped = [compare_commit(SHA, "feat: gift cards")]
    succeeded = github_run_attempt(12345678901, SHA, 1, "success")
    run, github = nightly(
        tmp_path, iftrue, runs, comparison("ahead", shipped, OLD), succeeded, redeploys="true"
    )
    assert (run.code, run.outputs["result"]) == (0, "created")
    # Its attempt 1 is not asked for: the input records the re-run whatever it did.
    assert sorted(github.routes) == sorted(
        ["pulls", "jobs", "deployments_by_sha", "workflow_runs", "compare"]
    )
    assert sent(iftrue)["commit_id"] == SHA


def test_push_rerun_of_a_deploy_that_succeeded_is_skipped(tmp_path: Path, iftrue: FakeIftrue) -> None:
    answers = happy(attempt=Answer(200, github_run_attempt(12345678901, SHA, 1, "success")))
    with FakeGitHub(answers) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"), {"GITHUB_RUN_ATTEMPT": "2"})
    assert (run.code, run.outputs["result"], iftrue.posts) == (0, "skipped", [])
    assert github.routes[0] == "attempt"
    assert run.notices == [RERUN_SKIPPED]


def test_push_rerun_whose_earlier_attempt_is_unknown_is_recorded(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # Without `actions: read` the attempt cannot be read: recorded, with the warning the other look-ups give.
    answers = happy(attempt=Answer(403, {"message": "Resource not accessible by integration"}))
    with FakeGitHub(answers) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"), {"GITHUB_RUN_ATTEMPT": "2"})
    assert (run.code, run.outputs["result"]) == (0, "created")
    assert "attempt" in github.routes
    assert len(github.routes) <= 4  # the push budget
    assert sent(iftrue)["commit_id"] == SHA
    assert len(run.warnings) == 1
    assert "attempt 1 of run 12345678901 (403" in run.warnings[0]
    assert "actions: read" in run.warnings[0]


# 4. Fix flags from what shipped.


def test_release_of_fixes_under_a_release_title_is_a_fix(tmp_path: Path, iftrue: FakeIftrue) -> None:
    release_pull = github_pull(
        415,
        SHA,
        "release-please--branches--main",
        title="chore(main): release 2.4.1",
        labels=("autorelease: tagged",),
    )
    shipped = [
        compare_commit(FIX, "fix(api): handle an empty cart (#414)\n\nCloses #400"),
        compare_commit("6" * 40, "Merge branch 'main' into release-please--branches--main", parents=2),
        compare_commit(SHA, "chore(main): release 2.4.1 (#415)"),
    ]
    answers = happy(pulls=Answer(200, [release_pull]), compare=comparison("ahead", shipped, "7" * 40))
    with FakeGitHub(answers) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", payload("release"))
    assert sorted(github.routes) == sorted(["pulls", "jobs", "releases", "compare", "deployments_by_sha"])
    body = sent(iftrue)
    assert (body["is_fix"], body["commits_count"], "is_hotfix" in body) == (True, 3, False)
    assert "is_fix: ships fix(api): handle an empty cart (#414) (3f00a1b)" in run.notices


def test_release_commits_alone_decide_nothing(tmp_path: Path, iftrue: FakeIftrue) -> None:
    shipped = [
        compare_commit(SHA, "chore(main): release 2.4.1"),
        compare_commit("6" * 40, "feat: wish lists"),
    ]
    answers = happy(pulls=Answer(200, []), compare=comparison("ahead", shipped, "7" * 40))
    with FakeGitHub(answers) as github:
        run_with_github(tmp_path, github, iftrue, "release", payload("release"))
    body = sent(iftrue)
    assert ("is_fix" in body, "is_hotfix" in body) == (False, False)


# 5. Say why: the reasons in Built.sources.


#: No look-up was made: the look-ups' answers are given as a Found.
OFF = Plan(off="GitHub look-ups are off")


def built(
    event_name: str, data: dict[str, Any], found: Found, overrides: dict[str, Any] | None = None
) -> Any:
    runner = Runner(
        event_name=event_name, repository="octo-org/shop", server_url="https://github.com", sha=SHA
    )
    reading = read_event(event_name, parse_event(event_name, data), runner)
    return build_record(reading, found, OFF, Inputs(overrides or {}), NOW)


def test_rollback_reason_in_sources() -> None:
    deployment = copy.deepcopy(payload("deployment"))
    deployment["deployment"].update(sha=OLD, ref="v2.3.0")
    before = Before(SHA, "deployment 1500000100 to production", "production", "v2.4.0", status="behind")
    result = built("deployment", deployment, Found(before=before))
    assert result.request.is_hotfix is True
    assert result.sources["is_hotfix"] == Source(
        "rule",
        "rolls production back from v2.4.0 (9f2c1e4) to v2.3.0 (1a2b3c4)",
        f"https://github.com/octo-org/shop/compare/{OLD}...{SHA}",
    )
    assert result.sources["commits_count"] == Source("left out", "a rollback ships no new commits")
    assert "is_hotfix: rolls production back from v2.4.0 (9f2c1e4) to v2.3.0 (1a2b3c4)" in result.notices


def test_revert_and_fix_reasons_in_sources() -> None:
    result = built("pull_request", revert_button_pull(), Found())
    assert result.sources["is_hotfix"] == Source(
        "rule", 'reverts #412 "Add gift cards"', "https://github.com/octo-org/shop/pull/413"
    )
    shipped = Shipped((Commit(FIX, "fix(api): handle an empty cart"),), True)
    release = built(
        "release", payload("release"), Found(before=Before("7" * 40, "release v2.3.0", "x", shipped=shipped))
    )
    assert release.sources["is_fix"] == Source(
        "rule",
        "ships fix(api): handle an empty cart (3f00a1b)",
        f"https://github.com/octo-org/shop/commit/{FIX}",
    )
    # The labels' rule says why too.
    labelled = built("pull_request", payload("pull_request"), Found())
    assert labelled.sources["is_fix"] == Source(
        "rule", "label `Bug`, PR #412", "https://github.com/octo-org/shop/pull/412"
    )
    assert "is_fix: label `Bug`, PR #412" in labelled.notices


def test_pull_revert_reads_what_github_writes() -> None:
    assert (
        pull_revert(PullRequest(413, "revert-412-feature/gift-cards", 'Revert "Add gift cards"')) is not None
    )
    # The body names the reverted PR when the branch was renamed.
    reason = pull_revert(
        PullRequest(413, "undo-gift-cards", 'Revert "Add gift cards"', body="Reverts octo-org/shop#412")
    )
    assert reason is not None and reason.detail == 'reverts #412 "Add gift cards"'
    assert pull_revert(PullRequest(414, "feature/revert-button-ui", "Add a revert button")) is None


def test_a_revert_pull_request_among_other_changes_is_a_fix() -> None:
    # A deployment of main whose head commit merged the Revert button's PR, after two features.
    pull = PullRequest(413, "revert-412-feature/gift-cards", 'Revert "Add gift cards"')
    shipped = Shipped(
        (
            Commit("5" * 40, "feat: wish lists"),
            Commit("6" * 40, "feat: saved carts"),
            Commit(REVERT, 'Revert "Add gift cards" (#413)\n\nThis reverts commit 1111111.'),
        ),
        True,
    )
    verdict = judge(shipped, pull, None, (REVERT, None))
    assert "is_hotfix" not in verdict
    assert (
        verdict["is_fix"].source.detail
        == 'ships a revert among other changes: reverts "Add gift cards" (2222222)'
    )
    # Alone, it is a hotfix, named by its pull request.
    alone = judge(
        Shipped(shipped.commits[2:], True), pull, None, (REVERT, None), "https://github.com/octo-org/shop"
    )
    assert alone["is_hotfix"] == Sourced(
        True, Source("rule", 'reverts #412 "Add gift cards"', "https://github.com/octo-org/shop/pull/413")
    )
    # A list cut short never makes "reverts only".
    assert "is_hotfix" not in judge(Shipped(shipped.commits[2:], False), pull, None, (REVERT, None))


def test_redeploy_needs_a_successful_deployment_of_the_same_commit() -> None:
    good = Before(SHA, "deployment 1 to production", "production", succeeded=True)
    assert redeploy(good, SHA) is not None
    assert redeploy(good._replace(succeeded=False), SHA) is None  # a retry after a failure
    assert redeploy(good, OLD) is None


# Property tests: an input always wins; a rollback never sends a count.

MESSAGES = st.sampled_from(
    [
        "fix: totals",
        "fix(api)!: drop the v1 cart",
        'Revert "Add gift cards"\n\nThis reverts commit 1111111.',
        "feat: wish lists",
        "Merge pull request #9 from octo-org/fix/x",
        "chore(main): release 2.4.1",
        "docs: typo",
    ]
)
SHAS = st.text("0123456789abcdef", min_size=40, max_size=40)
BEFORE = st.builds(
    Before,
    sha=SHAS,
    what=st.just("deployment 1 to production"),
    where=st.just("production"),
    name=st.one_of(st.none(), st.just("v2.4.0")),
    status=st.sampled_from([None, "ahead", "behind", "identical", "diverged"]),
    shipped=st.one_of(
        st.none(), st.builds(Shipped, st.tuples(st.builds(Commit, SHAS, MESSAGES)), st.booleans())
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    before=st.one_of(st.none(), BEFORE),
    messages=st.lists(MESSAGES, min_size=1, max_size=4),
    title=st.sampled_from(['Revert "Add gift cards"', "fix: totals", "feat: cart"]),
    head=st.sampled_from(["revert-412-feature/x", "hotfix/cart", "fix/cart", "feature/cart"]),
    flags=st.fixed_dictionaries({}, optional={"is_fix": st.booleans(), "is_hotfix": st.booleans()}),
    count=st.one_of(st.none(), st.integers(0, 50)),
    event_name=st.sampled_from(["push", "deployment", "workflow_dispatch", "release"]),
)
def test_inputs_win_and_rollbacks_send_no_count(
    event_name: str,
    before: Before | None,
    messages: list[str],
    title: str,
    head: str,
    flags: dict[str, bool],
    count: int | None,
) -> None:
    data = copy.deepcopy(payload(event_name))
    if event_name == "push":
        data["commits"] = [push_commit(f"{i}" * 40, message) for i, message in enumerate(messages)]
        data["head_commit"] = data["commits"][-1]
    elif before is not None and before.shipped is None:
        # What the count's compare lists.
        commits = tuple(Commit(f"{i}" * 40, message) for i, message in enumerate(messages))
        before = before._replace(shipped=Shipped(commits, True))
    runner = Runner(
        event_name=event_name, repository="octo-org/shop", server_url="https://github.com", sha=SHA
    )
    reading = read_event(event_name, parse_event(event_name, data), runner)
    # The pull request of the head commit, as the look-up finds it: a revert, hotfix or fix branch.
    found = Found(before=before, pull_request=PullRequest(413, head, title, ("bug",)))
    overrides: dict[str, Any] = dict(flags)
    if count is not None:
        overrides["commits_count"] = count
    result = build_record(reading, found, OFF, Inputs(overrides), NOW)
    request = result.request
    for flag, value in flags.items():
        assert getattr(request, flag) is value
        assert result.sources[flag].kind == "input"
        assert not any(notice.startswith(f"{flag}:") for notice in result.notices)
    if before is not None and before.status == "behind" and "is_hotfix" not in flags:
        assert request.is_hotfix is True
    if before is not None and before.status == "behind":
        assert request.commits_count == count  # only the input's


def test_the_reading_of_a_push_lists_the_commits() -> None:
    runner = Runner(event_name="push", repository="octo-org/shop")
    reading: Reading = read_event("push", parse_event("push", payload("push")), runner)
    assert reading.shipped is not None and reading.shipped.complete
    assert [commit.subject for commit in reading.shipped.commits] == [
        "feat: add gift cards",
        "Merge pull request #412 from octo-org/feature/checkout",
    ]


def test_a_run_on_another_branch_is_not_what_runs_now(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """A newer successful run of the workflow on a feature branch deployed nothing to production:
    a re-run of main's successful attempt is a redeploy, not a rollback from that branch."""
    runs = [github_workflow_run(12300000000, "8" * 40, number=50, head_branch="feat/x")]
    succeeded = github_run_attempt(12345678901, SHA, 1, "success")
    run, github = nightly(tmp_path, iftrue, runs, comparison("behind", [], "8" * 40), succeeded)
    assert (run.code, run.outputs["result"], iftrue.posts) == (0, "skipped", []), run.stdout
    assert run.notices == [RERUN_SKIPPED]
    [listed] = [r for r in github.requests if github.route_of(r) == "workflow_runs"]
    assert listed.query["branch"] == ["main"]


def test_a_first_run_on_its_branch_says_there_is_nothing_to_count_from(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    """Only a feature branch's run succeeded before: main's first deploy has no count, and the
    summary says the look-up found no earlier run on main, not that it failed."""
    runs = [github_workflow_run(12300000000, "8" * 40, number=50, head_branch="feat/x")]
    run, _ = nightly(tmp_path, iftrue, runs)
    assert (run.code, run.outputs["result"]) == (0, "created"), run.stdout
    assert "commits_count" not in sent(iftrue)
    assert (
        "| `commits_count` | — | left out: unknown: no earlier successful run of this workflow on main "
        "to count from |"
    ) in html.unescape(run.summary)
