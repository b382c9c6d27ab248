"""The workflows teams really write, on GitHub's own example payloads and variants of them.

One record per release however the workflow listens, the person behind a bot's deployment,
a tag never sent as a branch nor an unknown count as 0, fork pull requests without secrets,
a multi-line title, and any answer of iftrue that carries an `id`.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from support import (
    SHA,
    Answer,
    FakeGitHub,
    FakeIftrue,
    Route,
    github_bot,
    github_branch,
    github_pull,
    github_pull_detail,
    github_user,
    github_workflow_file,
    payload,
    run_action,
    runner_env,
    webhook,
)
from test_lookups import happy, run_with_github, sent

from track_deployment.errors import LookupFailed
from track_deployment.gate import RELEASE_TYPES, release_recorder, release_types

WORKFLOW_PATH = ".github/workflows/deploy.yml"
# GITHUB_WORKFLOW_REF of a run started by the release of tag 0.0.1 (GitHub's example release).
WORKFLOW_ENV = {"GITHUB_WORKFLOW_REF": f"octo-org/shop/{WORKFLOW_PATH}@refs/tags/0.0.1"}

BARE_RELEASE = """\
name: Deploy
on: release
permissions:
  contents: read
jobs:
  track:
    runs-on: ubuntu-latest
    steps:
      - uses: iftrue/track-deployment@v1
"""
RELEASED_ONLY = BARE_RELEASE.replace("on: release", "on:\n  release:\n    types: [released]")

MERGER = github_user("hubot", 1024025)
AUTHOR = github_user("octocat", 583231)


def workflow(text: str) -> Answer:
    return Answer(200, github_workflow_file(WORKFLOW_PATH, text))


def merged_pull(user: dict[str, Any] = AUTHOR) -> dict[str, Any]:
    return github_pull(412, SHA, "fix/rounding", title="Round totals once", user=user)


def with_pull(
    user: dict[str, Any] = AUTHOR, merged_by: dict[str, Any] | None = MERGER
) -> dict[str, Answer | Route]:
    """GitHub's answers where the commit's PR was opened by `user` and merged by `merged_by`."""
    return happy(
        pulls=Answer(200, [merged_pull(user)]),
        pull=Answer(200, github_pull_detail(merged_pull(user), merged_by)),
    )


# 1. One record per release, however the workflow listens.


def test_bare_on_release_records_each_release_once(tmp_path: Path, iftrue: FakeIftrue) -> None:
    routes: dict[str, list[str]] = {}
    runs = {}
    for action in ("created", "published", "released"):
        with FakeGitHub(happy(contents=workflow(BARE_RELEASE))) as github:
            folder = tmp_path / action
            folder.mkdir()
            runs[action] = run_with_github(
                folder, github, iftrue, "release", webhook(f"release.{action}"), WORKFLOW_ENV
            )
            routes[action] = github.routes
    assert len(iftrue.posts) == 1
    assert iftrue.posts[0].json()["url"] == "https://github.com/Codertocat/Hello-World/releases/tag/0.0.1"
    assert {action: run.outputs["result"] for action, run in runs.items()} == {
        "created": "skipped",
        "published": "skipped",
        "released": "created",
    }
    assert all(run.code == 0 for run in runs.values())
    # A run that does not record asks only for the workflow file; `released` never needs it.
    assert {action: sorted(made) for action, made in routes.items()} == {
        "created": ["contents"],
        "published": ["contents"],
        "released": sorted(["pulls", "jobs", "releases", "deployments_by_sha"]),
    }
    [notice] = runs["created"].notices
    assert notice == (
        "Not recorded by this run: this workflow listens to the release types published, released, "
        "created, prereleased, and its run for `released` records release 0.0.1. "
        "Nothing was sent to iftrue."
    )


def test_workflow_file_is_read_at_the_run_ref(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(happy(contents=workflow(BARE_RELEASE))) as github:
        run_with_github(tmp_path, github, iftrue, "release", webhook("release.created"), WORKFLOW_ENV)
    [request] = github.requests
    assert request.path == f"/repos/octo-org/shop/contents/{WORKFLOW_PATH}"
    assert request.query == {"ref": ["refs/tags/0.0.1"]}


def test_released_run_records_without_reading_the_workflow(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # `released` is the first choice whatever else the workflow listens to: no request tells more.
    with FakeGitHub(happy(contents=workflow(RELEASED_ONLY))) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", webhook("release.released"), WORKFLOW_ENV)
    assert run.code == 0
    assert run.outputs["result"] == "created"
    assert sorted(github.routes) == sorted(["pulls", "jobs", "releases", "deployments_by_sha"])
    assert sent(iftrue)["title"] == "0.0.1"
    assert run.warnings == []


def test_release_with_every_lookup_stays_within_six_requests(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = payload("release")
    event["action"] = "published"
    env = {"GITHUB_WORKFLOW_REF": f"octo-org/shop/{WORKFLOW_PATH}@refs/tags/v2.4.0"}
    with FakeGitHub(happy(contents=workflow(PUBLISHED_ONLY))) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", event, env)
    assert run.code == 0
    assert sorted(github.routes) == sorted(
        ["contents", "pulls", "jobs", "releases", "compare", "deployments_by_sha"]
    )
    assert sent(iftrue)["commits_count"] == 17


def test_without_permission_to_read_the_workflow_the_run_records(tmp_path: Path, iftrue: FakeIftrue) -> None:
    denied = Answer(403, {"message": "Resource not accessible by integration"})
    with FakeGitHub(happy(contents=denied)) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", webhook("release.created"), WORKFLOW_ENV)
    assert run.code == 0
    assert run.outputs["result"] == "created"
    assert sorted(github.routes) == sorted(["contents", "pulls", "jobs", "releases", "deployments_by_sha"])
    [warning] = run.warnings
    assert warning.startswith("GitHub look-ups failed")
    assert f"workflow file {WORKFLOW_PATH} (403 Resource not accessible by integration)" in warning
    assert "whether this run records the release (it records, which may count the release twice)" in warning
    assert "contents: read" in warning


def test_failed_workflow_lookup_does_not_blame_the_pull_request_lookup(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    denied = Answer(403, {"message": "Resource not accessible by integration"})
    with FakeGitHub(happy(contents=denied, pulls=Answer(200, []))) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", webhook("release.created"), WORKFLOW_ENV)
    assert any(w.startswith("GitHub knows no pull request of commit 9f2c1e4") for w in run.warnings)


def test_without_a_workflow_ref_the_run_records(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(happy(contents=workflow(BARE_RELEASE))) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", webhook("release.published"))
    assert run.outputs["result"] == "created"
    assert "contents" not in github.routes
    [warning] = run.warnings
    assert warning.startswith(
        "This run records release 0.0.1, but GITHUB_WORKFLOW_REF does not name a workflow file of this "
        "repository: a workflow that listens to several release types records each release once per type."
    )
    assert "`on: release: types: [released]`" in warning and "`contents: read`" in warning


def test_workflow_of_another_repository_records_with_a_warning(tmp_path: Path, iftrue: FakeIftrue) -> None:
    env = {"GITHUB_WORKFLOW_REF": f"octo-org/shared/{WORKFLOW_PATH}@refs/heads/main"}
    with FakeGitHub(happy()) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", webhook("release.published"), env)
    assert run.outputs["result"] == "created"
    assert any("GITHUB_WORKFLOW_REF does not name a workflow file" in w for w in run.warnings)


def test_release_run_with_lookups_off_records_with_a_warning(tmp_path: Path, iftrue: FakeIftrue) -> None:
    env = runner_env(tmp_path, "release", webhook("release.created"), {"api_url": iftrue.url})
    env.update(WORKFLOW_ENV)
    run = run_action(env)
    assert run.outputs["result"] == "created"
    assert len(iftrue.posts) == 1
    assert any(
        w.startswith("This run records release 0.0.1, but no look-up of its workflow file was made")
        for w in run.warnings
    )


def test_released_run_needs_no_warning(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = run_action(runner_env(tmp_path, "release", webhook("release.released"), {"api_url": iftrue.url}))
    assert run.outputs["result"] == "created"
    assert not any("records release" in w for w in run.warnings)


@pytest.mark.parametrize(
    ("text", "types"),
    [
        ("on: release", RELEASE_TYPES),
        ("on: [push, release]", RELEASE_TYPES),
        ('"on":\n  release:\n', RELEASE_TYPES),
        ("on:\n  release: {}\n  push:\n", RELEASE_TYPES),
        ("on:\n  release:\n    types: [published, released]\n", {"published", "released"}),
        ("on:\n  release:\n    types: published\n", {"published"}),
        ("on:\n  release:\n    types:\n      - prereleased\n", {"prereleased"}),
        ("true: release", RELEASE_TYPES),
        ("on: push", None),
        ("on:\n  workflow_call:\n", None),
        ("on:\n  release:\n    types: 3\n", None),
        ("just text", None),
    ],
)
def test_release_types_of_a_workflow(text: str, types: set[str] | None) -> None:
    assert release_types(text) == (frozenset(types) if types is not None else None)


def test_a_workflow_that_is_not_yaml_is_a_failed_lookup() -> None:
    with pytest.raises(LookupFailed, match="not valid YAML"):
        release_types("on: [release\n")


@pytest.mark.parametrize(
    ("listened", "prerelease", "recorder"),
    [
        (RELEASE_TYPES, False, "released"),
        (RELEASE_TYPES, True, "published"),
        ({"released"}, False, "released"),
        ({"created", "released"}, False, "released"),
        ({"created", "released"}, True, "created"),
        ({"released", "prereleased"}, True, "prereleased"),
        ({"published", "released"}, False, "released"),
        ({"published", "created"}, False, "published"),
        ({"published", "prereleased"}, True, "published"),
        ({"created"}, False, "created"),
        ({"prereleased"}, False, None),
        ({"released"}, True, None),
        ({"edited"}, False, None),
    ],
)
def test_release_recorder(listened: set[str], prerelease: bool, recorder: str | None) -> None:
    assert release_recorder(frozenset(listened), prerelease) == recorder


PUBLISHED_ONLY = RELEASED_ONLY.replace("[released]", "[published]")
PUBLISHED_AND_RELEASED = RELEASED_ONLY.replace("[released]", "[published, released]")


def prerelease_of_staging() -> dict[str, Any]:
    """GitHub's `published` example as a prerelease (which also fires `prereleased`)."""
    event = webhook("release.published")
    event["release"]["prerelease"] = True
    return event


def test_published_and_released_records_the_promotion_not_the_prerelease(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    # Prerelease to staging, then promotion to production: only the promotion is a deployment.
    runs = []
    for name, event in (("prerelease", prerelease_of_staging()), ("promotion", webhook("release.released"))):
        (tmp_path / name).mkdir()
        with FakeGitHub(happy(contents=workflow(PUBLISHED_AND_RELEASED))) as github:
            runs.append(run_with_github(tmp_path / name, github, iftrue, "release", event, WORKFLOW_ENV))
            # The prerelease is skipped before any request.
            assert sorted(github.routes) == (
                [] if name == "prerelease" else sorted(["pulls", "jobs", "releases", "deployments_by_sha"])
            )
    assert [run.outputs["result"] for run in runs] == ["skipped", "created"]
    assert [run.code for run in runs] == [0, 0]
    assert runs[0].notices == [
        "Not a deployment: release 0.0.1 is a prerelease, not a production release; its promotion to a full "
        "release is recorded by a run for `released`, or set the prereleases input to true to record "
        "prereleases. Nothing was sent to iftrue."
    ]
    [post] = iftrue.posts
    assert post.json()["title"] == "0.0.1"


def test_published_and_released_records_a_full_release_once(tmp_path: Path, iftrue: FakeIftrue) -> None:
    results = []
    for action in ("published", "released"):
        (tmp_path / action).mkdir()
        with FakeGitHub(happy(contents=workflow(PUBLISHED_AND_RELEASED))) as github:
            run = run_with_github(
                tmp_path / action, github, iftrue, "release", webhook(f"release.{action}"), WORKFLOW_ENV
            )
        results.append(run.outputs["result"])
    assert results == ["skipped", "created"]
    assert len(iftrue.posts) == 1


def test_prereleases_input_records_a_prerelease_once(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # A prerelease fires `published` and `prereleased`: the run for `published` records it.
    runs = {}
    for action in ("published", "prereleased"):
        event = webhook("release.prereleased") if action == "prereleased" else prerelease_of_staging()
        (tmp_path / action).mkdir()
        with FakeGitHub(happy(contents=workflow(BARE_RELEASE))) as github:
            runs[action] = run_with_github(
                tmp_path / action, github, iftrue, "release", event, WORKFLOW_ENV, prereleases="true"
            )
    assert {action: run.outputs["result"] for action, run in runs.items()} == {
        "published": "created",
        "prereleased": "skipped",
    }
    assert "its run for `published` records release 0.0.1" in runs["prereleased"].notices[0]
    assert len(iftrue.posts) == 1


# 4. The person behind a deployment.


def bot_push() -> dict[str, Any]:
    """A merge queue's push: GitHub's push example with the queue's bot as sender."""
    event = payload("push")
    event["sender"] = github_bot()
    event["pusher"] = {"name": "github-merge-queue[bot]", "email": None}
    return event


def test_merge_queue_push_credits_who_merged_the_pull_request(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(with_pull()) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", bot_push())
    assert run.code == 0
    assert sorted(github.routes) == sorted(["pulls", "pull", "jobs", "deployments_by_sha"])
    assert github.only("pull").path == "/repos/octo-org/shop/pulls/412"
    assert sent(iftrue)["member_id"] == "1024025"
    assert run.notices[-1].startswith("Deployment recorded")


def test_pull_request_author_stands_in_when_a_bot_merged(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(with_pull(merged_by=github_bot("renovate[bot]", 29139614))) as github:
        run_with_github(tmp_path, github, iftrue, "push", bot_push())
    assert sent(iftrue)["member_id"] == "583231"


def test_bot_stays_with_a_notice_when_no_person_is_found(tmp_path: Path, iftrue: FakeIftrue) -> None:
    dependabot = github_bot("dependabot[bot]", 49699333)
    with FakeGitHub(with_pull(user=dependabot, merged_by=dependabot)) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", bot_push())
    assert sent(iftrue)["member_id"] == "118344674"
    assert (
        "member_id is the bot account github-merge-queue[bot]: neither who merged nor who opened pull "
        "request #412 is known to be a person. Set the member_id input to credit someone."
    ) in run.notices


def test_bot_notice_says_the_pull_request_lookup_failed(tmp_path: Path, iftrue: FakeIftrue) -> None:
    denied = Answer(403, {"message": "Resource not accessible by integration"})
    with FakeGitHub(happy(pulls=denied)) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", bot_push())
    assert sent(iftrue)["member_id"] == "118344674"
    assert (
        "member_id is the bot account github-merge-queue[bot]: the look-up of its pull request failed "
        "(see the look-up warning). Set the member_id input to credit someone."
    ) in run.notices


def test_open_pull_request_has_no_merger_to_ask_for(tmp_path: Path, iftrue: FakeIftrue) -> None:
    listed = github_pull(412, None, "fix/rounding", title="Round totals once", merged=False)
    with FakeGitHub(happy(pulls=Answer(200, [listed]))) as github:
        run_with_github(tmp_path, github, iftrue, "push", bot_push())
    # merged_at is null: GET /pulls/412 could not name a merger, so it is not made.
    assert sorted(github.routes) == sorted(["pulls", "jobs", "deployments_by_sha"])
    assert sent(iftrue)["member_id"] == "583231"


def test_bot_with_lookups_off_is_kept_with_a_notice(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = run_action(runner_env(tmp_path, "push", bot_push(), {"api_url": iftrue.url}))
    assert sent(iftrue)["member_id"] == "118344674"
    assert any(n.startswith("member_id is the bot account github-merge-queue[bot]") for n in run.notices)


def test_member_id_input_needs_no_person_lookup(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(with_pull()) as github:
        run_with_github(tmp_path, github, iftrue, "push", bot_push(), member_id="7")
    assert "pull" not in github.routes
    assert sent(iftrue)["member_id"] == "7"


def test_release_cut_by_an_app(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = webhook("release.released")
    event["release"]["author"] = github_bot("release-please[bot]", 55107282)
    with FakeGitHub(with_pull()) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", event)
    assert sorted(github.routes) == sorted(["pulls", "pull", "jobs", "releases", "deployments_by_sha"])
    assert sent(iftrue)["member_id"] == "1024025"
    assert run.warnings == []


def test_merger_comes_before_the_count_in_the_release_budget(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # release-please: the app opens the release PR and cuts the release; a person merges the PR.
    event = payload("release")
    event["action"] = "published"
    event["release"]["author"] = github_bot("release-please[bot]", 55107282)
    env = {"GITHUB_WORKFLOW_REF": f"octo-org/shop/{WORKFLOW_PATH}@refs/tags/v2.4.0"}
    app = github_bot("release-please[bot]", 55107282)
    with FakeGitHub(with_pull(user=app) | {"contents": workflow(PUBLISHED_ONLY)}) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", event, env)
    # The count (releases + compare) would take the run to seven requests: it is left out.
    assert sorted(github.routes) == sorted(["contents", "pulls", "pull", "jobs", "deployments_by_sha"])
    body = sent(iftrue)
    assert body["member_id"] == "1024025"
    assert "commits_count" not in body
    assert not any(n.startswith("member_id is the bot") for n in run.notices)


def test_deployment_created_through_the_api(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # GitHub's example: a deployment of gh-pages created by the github-pages app.
    event = webhook("deployment.created-by-app")
    with FakeGitHub(with_pull()) as github:
        run_with_github(tmp_path, github, iftrue, "deployment", event)
    assert {"pulls", "pull"} <= set(github.routes)
    assert sent(iftrue)["member_id"] == "1024025"


def test_workflow_run_triggered_by_a_bot(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # The payload names PR #2 (head `changes`): it is the PR, read once for its people and labels.
    event = webhook("workflow_run.completed")
    event["workflow_run"]["triggering_actor"] = github_bot("dependabot[bot]", 49699333)
    named = github_pull(2, SHA, "changes", title="Update the README", labels=("bug",))
    with FakeGitHub(happy(pull=Answer(200, github_pull_detail(named, MERGER)))) as github:
        run_with_github(tmp_path, github, iftrue, "workflow_run", event)
    # Then the run's jobs, its deployment, and the workflow's last successful run (a redeploy?).
    assert sorted(github.routes) == sorted(["pull", "jobs", "deployments_by_sha", "workflow_runs"])
    assert github.only("pull").path == "/repos/octo-org/shop/pulls/2"
    body = sent(iftrue)
    assert (body["member_id"], body["branch"], body["pull_request_number"]) == ("1024025", "changes", 2)
    assert body["is_fix"] is True


def test_auto_merged_pull_request_credits_its_author_without_a_request(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    event = merged_webhook_pull_request()
    event["pull_request"]["merged_by"] = github_bot("renovate[bot]", 29139614)
    with FakeGitHub(happy()) as github:
        run_with_github(tmp_path, github, iftrue, "pull_request", event)
    assert sorted(github.routes) == sorted(["jobs", "deployments_by_sha"])
    assert sent(iftrue)["member_id"] == str(event["pull_request"]["user"]["id"])


# 5. A tag is never a branch, an unknown count never 0.


def test_new_tag_push_sends_the_pull_request_head(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = webhook("push.new-tag")
    with FakeGitHub(happy()) as github:
        run_with_github(tmp_path, github, iftrue, "push", event)
    # A tag push has a release's budget: the count from the previous release fits.
    assert set(github.routes) == {"pulls", "jobs", "releases", "compare", "deployments_by_sha"}
    body = sent(iftrue)
    assert body["branch"] == "fix/rounding"
    compare = next(r for r in github.requests if github.route_of(r) == "compare")
    assert compare.path.endswith("...simple-tag")  # counted from the previous release's tag
    assert isinstance(body["commits_count"], int)


def test_new_tag_push_without_pull_request_sends_the_default_branch(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    with FakeGitHub(happy(pulls=Answer(200, []))) as github:
        run_with_github(tmp_path, github, iftrue, "push", webhook("push.new-tag"))
    assert sent(iftrue)["branch"] == "master"


def test_new_tag_push_counts_from_the_previous_release_within_budget(
    tmp_path: Path, iftrue: FakeIftrue
) -> None:
    event = webhook("push.new-tag")
    with FakeGitHub(happy()) as github:
        run_with_github(
            tmp_path, github, iftrue, "push", event, deployment_duration="3", deployment_node_id="DE_1"
        )
    assert sorted(github.routes) == sorted(["pulls", "releases", "compare"])
    assert github.only("compare").path == "/repos/octo-org/shop/compare/v2.4.0...simple-tag"
    assert sent(iftrue)["commits_count"] == 17


def test_new_branch_first_push_sends_no_count(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # Compared with the branch it was cut from, a new branch ships nothing: never a 0 from that.
    event = webhook("push.new-branch")
    event["ref"] = "refs/heads/release/2.4"
    with FakeGitHub(happy(pulls=Answer(200, []))) as github:
        run_with_github(tmp_path, github, iftrue, "push", event)
    assert sorted(github.routes) == sorted(["pulls", "jobs", "deployments_by_sha"])
    body = sent(iftrue)
    assert body["branch"] == "master"
    assert "commits_count" not in body


def test_first_push_of_the_default_branch_sends_no_count(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run_action(runner_env(tmp_path, "push", webhook("push.new-branch"), {"api_url": iftrue.url}))
    assert "commits_count" not in sent(iftrue)


def tag_deployment(ref: str) -> dict[str, Any]:
    event = copy.deepcopy(payload("deployment"))
    event["deployment"]["ref"] = ref
    return event


def test_deployment_of_a_tag_is_not_sent_as_the_branch(tmp_path: Path, iftrue: FakeIftrue) -> None:
    not_found = Answer(404, {"message": "Branch not found"})
    with FakeGitHub(happy(pulls=Answer(200, []), branch=not_found)) as github:
        run = run_with_github(tmp_path, github, iftrue, "deployment", tag_deployment("v2.4.0"))
    # Within the budget of 5, what production ran before (a rollback?) goes before the check of a
    # name shaped like a version.
    assert sorted(github.routes) == sorted(
        ["pulls", "jobs", "deployments_by_environment", "statuses", "compare"]
    )
    assert sent(iftrue)["branch"] == "main"
    assert not any("look-ups failed" in w for w in run.warnings)
    assert any("'v2.4.0' may be a tag" in notice for notice in run.notices)


def test_unchecked_deployment_ref_is_not_sent_as_the_branch(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # Look-ups off: `v2.4.0` may be a tag, so the payload's default branch stands in, with a notice.
    run = run_action(runner_env(tmp_path, "deployment", tag_deployment("v2.4.0"), {"api_url": iftrue.url}))
    assert run.code == 0
    assert sent(iftrue)["branch"] == "main"
    assert (
        "'v2.4.0' may be a tag, not a branch, and it could not be checked: no look-up of the name was made "
        "(the github_token input is empty); so the default branch main is sent. Set the branch input, or "
        "give the action a github_token with `contents: read` to check it."
    ) in run.notices


def test_deployment_ref_whose_check_is_refused(tmp_path: Path, iftrue: FakeIftrue) -> None:
    denied = Answer(403, {"message": "Resource not accessible by integration"})
    with FakeGitHub(happy(pulls=Answer(200, []), branch=denied)) as github:
        run = run_with_github(tmp_path, github, iftrue, "deployment", tag_deployment("stable"))
    assert "branch" in github.routes
    assert sent(iftrue)["branch"] == "main"
    assert any("could not be checked: the look-up of the name failed" in n for n in run.notices)


def test_unchecked_ref_without_a_default_branch_fails_clearly(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = tag_deployment("v2.4.0")
    del event["repository"]["default_branch"]
    run = run_action(runner_env(tmp_path, "deployment", event, {"api_url": iftrue.url}))
    assert run.code == 1
    assert iftrue.requests == []
    assert "branch is unknown" in run.errors[0] and "set the 'branch' input" in run.errors[0]


def test_branch_input_needs_no_check(tmp_path: Path, iftrue: FakeIftrue) -> None:
    inputs = {"api_url": iftrue.url, "branch": "release/2.4"}
    run = run_action(runner_env(tmp_path, "deployment", tag_deployment("v2.4.0"), inputs))
    assert sent(iftrue)["branch"] == "release/2.4"
    assert not any("may be a tag" in n for n in run.notices)


def test_workflow_run_of_a_tag_push_with_lookups_off(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = webhook("workflow_run.completed")
    event["workflow_run"].update(event="push", head_branch="v2.4.0", pull_requests=[])
    run = run_action(runner_env(tmp_path, "workflow_run", event, {"api_url": iftrue.url}))
    assert sent(iftrue)["branch"] == "master"
    assert any(n.startswith("'v2.4.0' may be a tag") for n in run.notices)


def test_deployment_of_a_branch_keeps_it(tmp_path: Path, iftrue: FakeIftrue) -> None:
    branch = Answer(200, github_branch("release/2.4"))
    with FakeGitHub(happy(pulls=Answer(200, []), branch=branch)) as github:
        run_with_github(tmp_path, github, iftrue, "deployment", tag_deployment("release/2.4"))
    assert "branch" in github.routes
    assert sent(iftrue)["branch"] == "release/2.4"


def test_deployment_with_a_pull_request_needs_no_branch_request(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(happy()) as github:
        run_with_github(tmp_path, github, iftrue, "deployment", tag_deployment("v2.4.0"))
    assert "branch" not in github.routes
    assert sent(iftrue)["branch"] == "fix/rounding"


def test_workflow_run_of_a_release_names_no_tag_as_branch(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = webhook("workflow_run.completed")
    run = event["workflow_run"]
    run.update(event="release", head_branch="0.0.1", pull_requests=[])
    with FakeGitHub(happy(pulls=Answer(200, []))) as github:
        run_with_github(tmp_path, github, iftrue, "workflow_run", event)
    assert "branch" not in github.routes
    assert sent(iftrue)["branch"] == "master"


def test_workflow_run_takes_its_pull_request_head_first(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = webhook("workflow_run.completed")
    run_action(runner_env(tmp_path, "workflow_run", event, {"api_url": iftrue.url}))
    body = sent(iftrue)
    assert (body["branch"], body["pull_request_number"]) == ("changes", 2)


# 6. Fork pull requests run without secrets.


def merged_webhook_pull_request() -> dict[str, Any]:
    event = webhook("pull_request.closed")
    event["pull_request"].update(merged=True, merged_by=github_user("Codertocat", 21031067))
    return event


def fork_pull_request() -> dict[str, Any]:
    event = merged_webhook_pull_request()
    head_repo = event["pull_request"]["head"]["repo"]
    head_repo.update(full_name="contributor/Hello-World", fork=True, id=9999)
    return event


def test_fork_pull_request_without_token_is_skipped(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = run_action(
        runner_env(tmp_path, "pull_request", fork_pull_request(), {"api_url": iftrue.url, "token": ""})
    )
    assert run.code == 0
    assert run.outputs["result"] == "skipped"
    assert iftrue.requests == []
    assert run.errors == []
    [notice] = run.notices
    assert notice.startswith("This pull request comes from contributor/Hello-World")
    assert "`pull_request_target`" in notice and "needs no checkout" in notice


def test_pull_request_of_a_deleted_fork_without_token_is_skipped(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # A fork deleted after the PR was opened: GitHub sends `head.repo: null`.
    event = fork_pull_request()
    event["pull_request"]["head"]["repo"] = None
    run = run_action(runner_env(tmp_path, "pull_request", event, {"api_url": iftrue.url, "token": ""}))
    assert (run.code, run.outputs["result"], iftrue.requests) == (0, "skipped", [])
    assert "`pull_request_target`" in run.notices[0]


def test_fork_pull_request_dry_run_needs_no_token(tmp_path: Path, iftrue: FakeIftrue) -> None:
    inputs = {"api_url": iftrue.url, "token": "", "dry_run": "true"}
    run = run_action(runner_env(tmp_path, "pull_request", fork_pull_request(), inputs))
    assert (run.code, run.outputs["result"]) == (0, "dry_run")
    assert run.payload["commit_id"] == "c4295bd74fb0f4fda03689c3df3f2803b658fd85"


def test_fork_pull_request_with_a_token_is_recorded(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = run_action(runner_env(tmp_path, "pull_request", fork_pull_request(), {"api_url": iftrue.url}))
    assert run.outputs["result"] == "created"


@pytest.mark.parametrize("event_name", ["pull_request", "pull_request_target"])
def test_missing_token_is_still_an_error(tmp_path: Path, iftrue: FakeIftrue, event_name: str) -> None:
    event = merged_webhook_pull_request() if event_name == "pull_request" else fork_pull_request()
    run = run_action(runner_env(tmp_path, event_name, event, {"api_url": iftrue.url, "token": ""}))
    assert run.code == 1
    assert run.errors[0].startswith("Input 'token' is required")
    assert iftrue.requests == []


# 7. A multi-line title.


@pytest.mark.parametrize(
    "title",
    [
        "Fix rounding (#412)\n\nTotals were rounded twice.\n",
        "Fix rounding (#412)\r\nTotals were rounded twice.",
        "Fix rounding (#412)\rTotals were rounded twice.",  # a lone CR ends a line in the log too
    ],
)
def test_multi_line_title_sends_its_first_line(tmp_path: Path, iftrue: FakeIftrue, title: str) -> None:
    run = run_action(runner_env(tmp_path, "push", payload("push"), {"api_url": iftrue.url, "title": title}))
    assert run.code == 0
    assert sent(iftrue)["title"] == "Fix rounding (#412)"
    assert "Input 'title' has several lines; its first line is sent: 'Fix rounding (#412)'." in run.notices


def test_title_with_an_unusual_line_break_is_one_line(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # U+2028 is no line end for the runner's log: the title is sent whole, not cut there.
    title = "Fix rounding\u2028(#412)\nbody"
    run = run_action(runner_env(tmp_path, "push", payload("push"), {"api_url": iftrue.url, "title": title}))
    assert run.code == 0
    assert sent(iftrue)["title"] == "Fix rounding\u2028(#412)"


# 8. iftrue's answer.


@pytest.mark.parametrize(
    ("answer_id", "output"), [(917, "917"), ("d-1", "d-1"), (917.0, "917"), (1.5, "1.5")]
)
def test_any_answer_with_an_id_sets_deployment_id(tmp_path: Path, answer_id: object, output: str) -> None:
    odd = {"id": answer_id, "status": 3, "node_id": {"x": 1}, "created_at": None, "commits_count": "many"}
    with FakeIftrue(Answer(201, odd)) as iftrue:
        run = run_action(runner_env(tmp_path, "release", payload("release"), {"api_url": iftrue.url}))
    assert run.code == 0
    assert (run.outputs["result"], run.outputs["deployment_id"]) == ("created", output)
    assert not any("unexpected type" in w for w in run.warnings)


def test_deeply_nested_answer_is_still_created(tmp_path: Path) -> None:
    # iftrue stored the record: a body too deep to parse must not fail the step (a replay would duplicate).
    deep = '{"id": 1, "x": ' + "[" * 100000 + "]" * 100000 + "}"
    with FakeIftrue(Answer(201, deep)) as iftrue:
        run = run_action(runner_env(tmp_path, "release", payload("release"), {"api_url": iftrue.url}))
    assert run.code == 0
    assert run.outputs["result"] == "created"
    assert run.outputs.get("deployment_id", "") == ""
    assert any("its id is unknown" in w for w in run.warnings)
    assert len(iftrue.posts) == 1


# Dependabot's runs get no Actions secrets.


@pytest.mark.parametrize(
    ("event_name", "event"),
    [
        ("push", "push"),
        ("pull_request", "pull_request.closed"),
        ("deployment", "deployment.created-by-app"),
    ],
)
def test_dependabot_run_without_token_is_skipped(
    tmp_path: Path, iftrue: FakeIftrue, event_name: str, event: str
) -> None:
    data = payload("push") if event == "push" else webhook(event)
    if event_name == "pull_request":
        data["pull_request"].update(merged=True)
    data["sender"] = github_bot("dependabot[bot]", 49699333)
    env = runner_env(tmp_path, event_name, data, {"api_url": iftrue.url, "token": ""})
    run = run_action(env)
    assert (run.code, run.outputs["result"]) == (0, "skipped")
    assert run.errors == []
    assert iftrue.requests == []
    [notice] = run.notices
    assert notice.startswith("Dependabot started this run, and GitHub gives the runs Dependabot starts no")
    assert "Dependabot secret" in notice


def test_dependabot_actor_is_read_from_the_runner(tmp_path: Path, iftrue: FakeIftrue) -> None:
    env = runner_env(tmp_path, "push", payload("push"), {"api_url": iftrue.url, "token": ""})
    env["GITHUB_ACTOR"] = "dependabot[bot]"
    run = run_action(env)
    assert (run.code, run.outputs["result"]) == (0, "skipped")


def test_person_without_token_is_still_an_error(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = run_action(runner_env(tmp_path, "push", payload("push"), {"api_url": iftrue.url, "token": ""}))
    assert run.code == 1
    assert run.errors[0].startswith("Input 'token' is required")


def test_push_title_ends_where_the_runner_ends_a_line(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # A commit message's first line ends at CR or LF only, not at U+2028 as str.splitlines() would.
    data = payload("push")
    data["head_commit"]["message"] = "Fix rounding\u2028of totals\n\nBody"
    run = run_action(runner_env(tmp_path, "push", data, {"api_url": iftrue.url}))
    assert run.code == 0, run.stdout + run.stderr
    assert sent(iftrue)["title"] == "Fix rounding\u2028of totals"


def test_merge_ref_of_another_event_is_not_a_branch(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # A workflow on `issue_comment` (and the like) runs on refs/pull/N/merge: "7/merge" is no branch.
    env = runner_env(
        tmp_path, "issue_comment", {"repository": payload("push")["repository"]}, {"api_url": iftrue.url}
    )
    env.update(GITHUB_REF="refs/pull/7/merge", GITHUB_REF_NAME="7/merge")
    run = run_action(env)
    assert run.code == 0, run.stdout + run.stderr
    assert sent(iftrue)["branch"] == payload("push")["repository"]["default_branch"]
