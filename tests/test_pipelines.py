"""The records the pipelines teams run make (round 3): tag pipelines, CI-shaped workflow_runs,
environments, approvals, re-runs, and one record when two trackers see one deploy.

Each test runs the action as a process on GitHub's example payloads (or the bundled ones) against
loopback fakes of iftrue and the GitHub API, and checks what a user sees: the body sent, or the
skip and its notice.
"""

from __future__ import annotations

import base64
import copy
import html
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
    github_pull,
    github_run_attempt,
    github_workflow_run,
    jobs_pages,
    payload,
    run_action,
    runner_env,
    webhook,
)
from test_durations import EARLIER_COMMIT, NAMED_PULL, minutes_ago, upstream_run
from test_lookups import happy, run_with_github, sent
from test_recovery import comparison, push_commit

TAG_OBJECT = "a1" * 20
NEWER = "8" * 40


def skipped(run: Any, iftrue: FakeIftrue, why: str) -> None:
    assert (run.code, run.outputs["result"], iftrue.posts) == (0, "skipped", []), run.stdout
    assert any(why in notice for notice in run.notices), run.notices


# 1. An annotated tag's push names the tag object in `after`: the commit is head_commit.id.


def test_annotated_tag_push_sends_the_tagged_commit(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = webhook("push.new-tag")
    event["after"] = TAG_OBJECT
    run = run_action(runner_env(tmp_path, "push", event, {"api_url": iftrue.url, "github_token": ""}))
    assert run.code == 0, run.stdout
    assert sent(iftrue)["commit_id"] == event["head_commit"]["id"] != TAG_OBJECT


# 2. A workflow_run tracker on a CI/CD workflow that also runs for pull requests and merge queues.


@pytest.mark.parametrize("trigger", ["pull_request", "pull_request_target", "merge_group"])
def test_workflow_run_of_unmerged_code_is_skipped(tmp_path: Path, iftrue: FakeIftrue, trigger: str) -> None:
    event = webhook("workflow_run.completed")
    event["workflow_run"].update(event=trigger, conclusion="failure")
    run = run_action(runner_env(tmp_path, "workflow_run", event, {"api_url": iftrue.url, "github_token": ""}))
    skipped(run, iftrue, f"started by a {trigger} event")


def test_workflow_run_of_a_push_is_recorded(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = webhook("workflow_run.completed")
    event["workflow_run"]["event"] = "push"
    run = run_action(runner_env(tmp_path, "workflow_run", event, {"api_url": iftrue.url, "github_token": ""}))
    assert (run.code, run.outputs["result"]) == (0, "created"), run.stdout


# 3. The `environment` input against where this job, or the reported run, deployed.


def matrix(environments: dict[int, str]) -> dict[str, Any]:
    """A matrix over environments, each job (id) with its deployment created with it, whose
    statuses name the job."""
    created = minutes_ago(4)
    jobs = [
        github_job(
            job, f"deploy ({env})", created, minutes_ago(3), None, status="in_progress", runner=f"R{job}"
        )
        for job, env in environments.items()
    ]
    deployments = [
        github_deployment(1500000700 + job, SHA, created, environment=env)
        for job, env in environments.items()
    ]

    def statuses(request: Recorded) -> Answer:
        deployment = int(request.path.split("/")[-2])
        job = deployment - 1500000700
        return Answer(
            200, [github_deployment_status(deployment + 1, deployment, "in_progress", created, job)]
        )

    return happy(jobs=jobs_pages(jobs), deployments_by_sha=Answer(200, deployments), statuses=statuses)


def test_matrix_job_that_deployed_elsewhere_is_skipped(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(matrix({11: "staging", 12: "production"})) as github:
        run = run_with_github(
            tmp_path, github, iftrue, "push", payload("push"), check_run_id="11", environment="production"
        )
    skipped(
        run, iftrue, "this job deployed to 'staging', not to an environment named in the `environment` input"
    )


def test_matrix_job_that_deployed_to_the_environment_sends_its_own_deployment(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    with FakeGitHub(matrix({11: "staging", 12: "production"})) as github:
        run = run_with_github(
            tmp_path, github, iftrue, "push", payload("push"), check_run_id="12", environment="production"
        )
    assert run.code == 0, run.stdout
    assert sent(iftrue)["deployment_node_id"] == "DE_1500000712"


def upstream_jobs() -> Any:
    """The upstream run's jobs: a build, then a deploy job created 25 minutes ago."""
    return jobs_pages(
        [
            github_job(1, "build", minutes_ago(30), minutes_ago(29), minutes_ago(26), run_id=12345678000),
            github_job(2, "deploy", minutes_ago(25), minutes_ago(24), minutes_ago(10), run_id=12345678000),
        ]
    )


def test_workflow_run_that_deployed_elsewhere_is_skipped(tmp_path: Path, iftrue: FakeIftrue) -> None:
    staging = Answer(200, [github_deployment(1500000401, SHA, minutes_ago(25), environment="staging")])
    with FakeGitHub(happy(pull=NAMED_PULL, jobs=upstream_jobs(), deployments_by_sha=staging)) as github:
        run = run_with_github(
            tmp_path, github, iftrue, "workflow_run", upstream_run(), environment="production"
        )
    skipped(run, iftrue, "the workflow run deployed to 'staging'")


# 4. A dispatch that deploys a version: this job's deployment is made at GITHUB_SHA.


def test_dispatch_of_a_version_sends_this_jobs_deployment(tmp_path: Path, iftrue: FakeIftrue) -> None:
    version = "c0ffee" + "0" * 34
    with FakeGitHub(happy()) as github:
        run = run_with_github(
            tmp_path, github, iftrue, "workflow_dispatch", payload("workflow_dispatch"), commit_id=version
        )
    assert run.code == 0, run.stdout
    body = sent(iftrue)
    assert (body["commit_id"], body["deployment_node_id"]) == (version, "DE_1500000099")
    [asked] = [r for r in github.requests if github.route_of(r) == "deployments_by_sha"]
    assert asked.query["sha"] == [SHA]


# 5 and 6. A workflow_run's status is its deployment's; a rejected approval shipped nothing.


def failed_run() -> dict[str, Any]:
    event = upstream_run()
    event["workflow_run"]["conclusion"] = "failure"
    return event


def test_workflow_run_failed_after_its_deployment_succeeded(tmp_path: Path, iftrue: FakeIftrue) -> None:
    jobs = [
        github_job(1, "deploy", minutes_ago(30), minutes_ago(29), minutes_ago(20), run_id=12345678000),
        github_job(2, "notify", minutes_ago(20), minutes_ago(19), minutes_ago(18), conclusion="failure"),
    ]
    answers = happy(
        pull=NAMED_PULL,
        jobs=jobs_pages(jobs),
        deployments_by_environment=EARLIER_COMMIT,
        deployments_by_sha=Answer(200, [github_deployment(1500000401, SHA, minutes_ago(29))]),
    )
    with FakeGitHub(answers) as github:
        run = run_with_github(tmp_path, github, iftrue, "workflow_run", failed_run())
    assert run.code == 0, run.stdout
    assert sent(iftrue)["status"] == "succes"
    assert "the run&#x27;s deployment 1500000401 to production: its final status" in run.summary


def test_workflow_run_whose_approval_was_rejected_is_skipped(tmp_path: Path, iftrue: FakeIftrue) -> None:
    jobs = [
        github_job(1, "build", minutes_ago(30), minutes_ago(29), minutes_ago(25), run_id=12345678000),
        github_job(2, "deploy", minutes_ago(25), None, minutes_ago(10), conclusion="failure", ran=False),
    ]
    with FakeGitHub(
        happy(pull=NAMED_PULL, jobs=jobs_pages(jobs), deployments_by_sha=Answer(200, []))
    ) as github:
        run = run_with_github(tmp_path, github, iftrue, "workflow_run", failed_run())
    skipped(run, iftrue, "job 'deploy' failed without ever starting")


def test_track_job_fed_a_rejected_deploy_jobs_result_is_skipped(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """`status: ${{ needs.deploy.result }}` in a `track` job, when the deploy job was rejected."""
    jobs = [
        github_job(1, "deploy", minutes_ago(30), None, minutes_ago(10), conclusion="failure", ran=False),
        github_job(2, "track", minutes_ago(10), minutes_ago(9), None, status="in_progress"),
    ]
    with FakeGitHub(happy(jobs=jobs_pages(jobs))) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"), status="failure")
    skipped(run, iftrue, "job 'deploy' failed without ever starting")


# 8. Redeploys a workflow_run tracker sees: a nightly run of an unchanged main, a re-run.


def listed_runs(*runs: dict[str, Any]) -> Answer:
    return Answer(200, {"total_count": len(runs), "workflow_runs": list(runs)})


def test_workflow_run_of_an_unchanged_main_is_skipped(tmp_path: Path, iftrue: FakeIftrue) -> None:
    answers = happy(
        pull=NAMED_PULL,
        deployments_by_sha=Answer(200, []),
        workflow_runs=listed_runs(github_workflow_run(12300000000, SHA, number=41)),
    )
    with FakeGitHub(answers) as github:
        run = run_with_github(tmp_path, github, iftrue, "workflow_run", upstream_run())
    skipped(run, iftrue, "is what run #41 of Deploy already deployed")


def test_rerun_of_a_successful_upstream_run_is_skipped(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = upstream_run()
    event["workflow_run"]["run_attempt"] = 2
    answers = happy(
        pull=NAMED_PULL,
        deployments_by_sha=Answer(200, []),
        attempt=Answer(200, github_run_attempt(event["workflow_run"]["id"], SHA, 1, "success")),
        workflow_runs=listed_runs(github_workflow_run(12300000000, "7" * 40, number=41)),
    )
    with FakeGitHub(answers) as github:
        run = run_with_github(tmp_path, github, iftrue, "workflow_run", event)
    skipped(run, iftrue, "commit 9f2c1e4 is what attempt 1 of this run already deployed")


# 9. Two production jobs in one run: `migrate`, then `deploy`.


def test_earlier_deployment_of_the_same_run_is_not_the_previous_one(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    jobs = [
        github_job(1, "migrate", minutes_ago(10), minutes_ago(9), minutes_ago(6)),
        github_job(2, "deploy", minutes_ago(6), minutes_ago(5), None, status="in_progress"),
    ]
    migrate = github_deployment(1500000801, SHA, minutes_ago(10))
    deploy = github_deployment(1500000802, SHA, minutes_ago(6))
    earlier = github_deployment(1499999000, "7" * 40, minutes_ago(60 * 24))
    answers = happy(
        jobs=jobs_pages(jobs),
        deployments_by_sha=Answer(200, [deploy, migrate]),
        deployments_by_environment=Answer(200, [deploy, migrate, earlier]),
    )
    workflow = {"GITHUB_WORKFLOW_REF": "octo-org/shop/.github/workflows/deploy.yml@refs/heads/main"}
    with FakeGitHub(answers) as github:
        event = payload("workflow_dispatch")
        run = run_with_github(
            tmp_path, github, iftrue, "workflow_dispatch", event, workflow, check_run_id="2"
        )
    assert (run.code, run.outputs["result"]) == (0, "created"), run.stdout
    body = sent(iftrue)
    assert body["deployment_node_id"] == "DE_1500000802"
    assert body["commits_count"] == 17  # counted from the earlier commit, not from `migrate`'s deployment


# 10. Reapplying a reverted change is no recovery.


@pytest.mark.parametrize(
    "message",
    [
        'Reapply "Add gift cards"\n\nThis reverts commit 2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.',
        'Revert "Revert "Add gift cards""\n\nThis reverts commit 2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.',
    ],
)
def test_reapplying_a_reverted_change_is_no_hotfix(tmp_path: Path, iftrue: FakeIftrue, message: str) -> None:
    event = payload("push")
    event["commits"] = [push_commit(SHA, message)]
    event["head_commit"] = copy.deepcopy(event["commits"][0])
    run = run_action(runner_env(tmp_path, "push", event, {"api_url": iftrue.url, "github_token": ""}))
    assert run.code == 0, run.stdout
    body = sent(iftrue)
    assert "is_hotfix" not in body and "is_fix" not in body


def test_the_revert_button_on_a_revert_pull_request_is_no_hotfix(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """Reverting the revert of #412 lands its change again: a merged PR, no recovery."""
    event = payload("pull_request")
    event["pull_request"].update(
        title='Revert "Revert "Add gift cards""', body="Reverts octo-org/shop#413", labels=[]
    )
    event["pull_request"]["head"]["ref"] = "revert-414-revert-413-gift-cards"
    run = run_action(runner_env(tmp_path, "pull_request", event, {"api_url": iftrue.url, "github_token": ""}))
    assert run.code == 0, run.stdout
    body = sent(iftrue)
    assert "is_hotfix" not in body and "is_fix" not in body


# 11. git-flow: GitHub lists only open pull requests of a commit off the default branch.


def test_git_flow_merge_title_names_the_pull_request(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = payload("push")
    event["repository"]["default_branch"] = "develop"
    event["head_commit"]["message"] = "Merge pull request #500 from octo-org/release/2.5\n\nRelease 2.5"
    with FakeGitHub(happy(pulls=Answer(200, []))) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", event)
    assert run.code == 0, run.stdout
    body = sent(iftrue)
    assert (body["pull_request_number"], body["branch"]) == (500, "release/2.5")
    assert run.warnings == []


# 12. One deploy, two trackers: a deployment its own workflow records is not recorded again.


def workflow_file(text: str) -> Answer:
    content = base64.b64encode(text.encode()).decode()
    return Answer(
        200,
        {"type": "file", "encoding": "base64", "path": ".github/workflows/deploy.yml", "content": content},
    )


def actions_deployment_status() -> dict[str, Any]:
    event = payload("deployment_status")
    event["workflow_run"] = {
        "id": 12345678000,
        "path": ".github/workflows/deploy.yml",
        "head_sha": SHA,
        "conclusion": None,
        "triggering_actor": {"login": "octocat", "id": 583231, "type": "User"},
    }
    return event


@pytest.mark.parametrize(
    ("workflow", "recorded"),
    [
        ("jobs:\n  deploy:\n    steps:\n      - uses: iftrue/track-deployment@v1\n", False),
        ("jobs:\n  deploy:\n    steps:\n      - run: ./deploy.sh\n", True),
    ],
)
def test_deployment_made_by_a_workflow_that_records_itself(
    tmp_path: Path, iftrue: FakeIftrue, workflow: str, recorded: bool
) -> None:
    with FakeGitHub(happy(contents=workflow_file(workflow))) as github:
        run = run_with_github(tmp_path, github, iftrue, "deployment_status", actions_deployment_status())
    assert github.routes[0] == "contents"
    if recorded:
        assert (run.code, run.outputs["result"]) == (0, "created"), run.stdout
    else:
        skipped(run, iftrue, "which records its deployments itself with this action")


# 15. A deployment created together with its final status was timed by nothing.


def test_deployment_created_with_its_final_status_sends_no_duration(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    event = payload("deployment_status")
    event["deployment_status"]["created_at"] = "2026-11-20T10:00:02Z"  # 2 s after the deployment
    run = run_action(
        runner_env(tmp_path, "deployment_status", event, {"api_url": iftrue.url, "github_token": ""})
    )
    assert run.code == 0, run.stdout
    assert "deployment_duration" not in sent(iftrue)
    assert "created with its final status (2 s apart)" in html.unescape(run.summary)


# Found in review: the same rules where a first version missed them.

WORKFLOW_REF = {"GITHUB_WORKFLOW_REF": "octo-org/shop/.github/workflows/deploy.yml@refs/heads/main"}


def test_rerun_of_an_older_push_run_is_a_rollback(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """ "Re-run all jobs" on last week's push run: what runs now is newer, so it rolls back."""
    answers = happy(
        attempt=Answer(200, github_run_attempt(12345678901, SHA, 1, "success")),
        deployments_by_sha=Answer(200, []),
        workflow_runs=listed_runs(github_workflow_run(12300000000, NEWER, number=50)),
        compare=comparison("behind", [], NEWER),
    )
    with FakeGitHub(answers) as github:
        runner = {**WORKFLOW_REF, "GITHUB_RUN_ATTEMPT": "2"}
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"), runner)
    assert (run.code, run.outputs["result"]) == (0, "created"), run.stdout
    body = sent(iftrue)
    assert (body["is_hotfix"], "commits_count" in body) == (True, False)


def test_a_failed_job_beside_a_rejected_one_is_a_failed_deployment(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    jobs = [
        github_job(1, "deploy (eu)", minutes_ago(9), None, minutes_ago(5), conclusion="failure", ran=False),
        github_job(2, "deploy (us)", minutes_ago(9), minutes_ago(8), None, status="in_progress"),
    ]
    jobs[1]["steps"][0]["conclusion"] = "failure"  # this job's deploy step failed
    with FakeGitHub(happy(jobs=jobs_pages(jobs))) as github:
        run = run_with_github(
            tmp_path, github, iftrue, "push", payload("push"), status="failure", check_run_id="2"
        )
    assert (run.code, run.outputs["result"]) == (0, "created"), run.stdout
    assert sent(iftrue)["status"] == "fail"


def test_deployment_event_made_by_a_workflow_that_records_itself(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = payload("deployment")
    event["workflow_run"] = actions_deployment_status()["workflow_run"]
    workflow = "jobs:\n  deploy:\n    steps:\n      - uses: iftrue/track-deployment@v1\n"
    with FakeGitHub(happy(contents=workflow_file(workflow))) as github:
        run = run_with_github(tmp_path, github, iftrue, "deployment", event)
    skipped(run, iftrue, "which records its deployments itself with this action")


def test_open_back_merge_pull_request_does_not_beat_the_merge_title(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    """git-flow: GitHub lists the open back-merge of main into develop for the merge commit."""
    event = payload("push")
    event["head_commit"]["message"] = "Merge pull request #500 from octo-org/release/2.5"
    back_merge = github_pull(501, None, "main", title="Back-merge main into develop")
    back_merge["merged_at"] = None
    with FakeGitHub(happy(pulls=Answer(200, [back_merge]))) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", event)
    assert run.code == 0, run.stdout
    body = sent(iftrue)
    assert (body["pull_request_number"], body["branch"]) == (500, "release/2.5")
    # The title names the PR; its labels were not read, and the flags say so.
    assert "pull request #500, which the commit's title names, is not read" in html.unescape(run.summary)


def test_a_count_left_out_says_what_the_look_up_found(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """The reason is the look-up's own: no earlier release, not a guess between two causes."""
    with FakeGitHub(happy(releases=Answer(200, []))) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", payload("release"))
    assert "commits_count" not in sent(iftrue)
    assert (
        "| `commits_count` | — | left out: unknown: no earlier release of this package to count from |"
        in (html.unescape(run.summary))
    )


# Found in the final audit: a job's own deployment, a sibling's, and a preview the input names.


def test_a_deploy_job_that_failed_beside_a_rejected_sibling_is_a_failure(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    """deploy (us) failed (a `continue-on-error` step passes the outcome on) while deploy (eu) was
    rejected: this job made its own deployment, so its failure shipped."""
    answers = matrix({11: "production", 12: "production"})
    created = minutes_ago(4)
    rejected = github_job(11, "deploy (eu)", created, None, minutes_ago(1), conclusion="failure", ran=False)
    this = github_job(12, "deploy (us)", created, minutes_ago(3), None, status="in_progress", runner="R12")
    answers["jobs"] = jobs_pages([rejected, this])
    with FakeGitHub(answers) as github:
        run = run_with_github(
            tmp_path, github, iftrue, "push", payload("push"), status="failure", check_run_id="12"
        )
    assert (run.code, run.outputs["result"]) == (0, "created"), run.stdout
    body = sent(iftrue)
    assert (body["status"], body["deployment_node_id"]) == ("fail", "DE_1500000712")


def test_a_parallel_jobs_deployment_is_not_this_jobs(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """deploy-staging (environment: staging) and deploy-prod (this job, no environment:) start
    together: the one deployment created then is staging's, as its status says."""
    answers = matrix({11: "staging"})
    created = minutes_ago(4)
    staging = github_job(11, "deploy-staging", created, minutes_ago(3), minutes_ago(2))
    this = github_job(12, "deploy-prod", created, minutes_ago(3), None, status="in_progress", runner="R12")
    answers["jobs"] = jobs_pages([staging, this])
    with FakeGitHub(answers) as github:
        run = run_with_github(
            tmp_path, github, iftrue, "push", payload("push"), check_run_id="12", environment="production"
        )
    assert (run.code, run.outputs["result"]) == (0, "created"), run.stdout
    assert "deployment_node_id" not in sent(iftrue)


def test_a_preview_the_environment_input_names_is_recorded(tmp_path: Path, iftrue: FakeIftrue) -> None:
    preview = github_deployment(1500000401, SHA, minutes_ago(25), environment="pr-412")
    preview["transient_environment"] = True
    answers = happy(
        pull=NAMED_PULL,
        jobs=upstream_jobs(),
        deployments_by_sha=Answer(200, [preview]),
        deployments_by_environment=EARLIER_COMMIT,
    )
    with FakeGitHub(answers) as github:
        run = run_with_github(tmp_path, github, iftrue, "workflow_run", upstream_run(), environment="pr-*")
    assert (run.code, run.outputs["result"]) == (0, "created"), run.stdout
    assert sent(iftrue)["deployment_node_id"] == "DE_1500000401"
