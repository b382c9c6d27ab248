"""Only what shipped to production is recorded: cancelled and unfinished runs, previews, other
environments, prereleases and merge queues are skipped with a notice saying why, on GitHub's
example payloads and variants of them; every release is recorded once however the workflow
listens to the release event.
"""

from __future__ import annotations

import copy
import html
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support import (
    SHA,
    FakeGitHub,
    FakeIftrue,
    Run,
    github_deployment,
    iso,
    payload,
    run_action,
    runner_env,
    webhook,
)
from test_durations import deployments
from test_lookups import happy, run_with_github, sent

from track_deployment.deployments import choose_run_deployment
from track_deployment.events import parse_event
from track_deployment.gate import (
    RELEASE_ACTIONS,
    RELEASE_TYPES,
    Asked,
    after_lookups,
    before_lookups,
    in_environments,
)
from track_deployment.inputs import Runner
from track_deployment.model import Deployment, Found
from track_deployment.readers import read_event

# 1. Environment names and patterns.


@pytest.mark.parametrize(
    ("name", "patterns", "matches"),
    [
        # Vercel names a monorepo project's environments `Production \u2013 <project>` (an en dash).
        ("Production \u2013 shop", {"production*"}, True),
        ("Production \u2013 shop", {"Production - shop"}, True),  # typed with a hyphen
        ("Production \u2013 shop", {"production"}, False),
        ("Production", {"production*"}, True),
        ("PRODUCTION", {"production"}, True),
        ("production", {"PRODUCTION"}, True),
        ("prod-eu", {"prod-??"}, True),
        ("prod-eur", {"prod-??"}, False),
        ("prod-e", {"prod-??"}, False),
        ("Preview \u2013 shop", {"production*", "preview*"}, True),
        ("staging", {"production*", "qa"}, False),
        ("anything", set(), True),
        # Only `*` and `?` are special: brackets and dots are the characters themselves.
        ("prod[1]", {"prod[1]"}, True),
        ("prod1", {"prod[1]"}, False),
        ("production.eu", {"production?eu"}, True),
        ("productionXeu", {"production.eu"}, False),
        ("production", {" production "}, True),
    ],
)
def test_environment_patterns(name: str, patterns: set[str], matches: bool) -> None:
    assert in_environments(name, patterns) is matches


def minutes_ago(minutes: float) -> str:
    """A time this long before now: happy()'s run began 3 minutes before it is called."""
    return iso(datetime.now(UTC) - timedelta(minutes=minutes))


def candidate(id_: int, environment: str, transient: bool = False) -> Deployment:
    created = datetime(2026, 11, 20, 10, tzinfo=UTC)
    return Deployment(id_, SHA, environment, created, node_id=f"DE_{id_}", transient=transient)


WINDOW = (datetime(2026, 11, 20, 9, 59, tzinfo=UTC), None)


@pytest.mark.parametrize(
    ("environments", "chosen", "ambiguous"),
    [
        # Without the input a preview is no candidate: the production deployment is the run's.
        (frozenset(), 1, ()),
        (frozenset({"production*"}), 1, ()),
        (frozenset({"preview*"}), 2, ()),
        (frozenset({"*"}), None, ("Preview \u2013 shop", "Production \u2013 shop")),
    ],
)
def test_run_deployment_look_up_uses_the_patterns(
    environments: frozenset[str], chosen: int | None, ambiguous: tuple[str, ...]
) -> None:
    found = [candidate(1, "Production \u2013 shop"), candidate(2, "Preview \u2013 shop", transient=True)]
    deployment, names = choose_run_deployment(found, WINDOW, environments)
    assert (deployment.id if deployment else None, names) == (chosen, ambiguous)


# 2. One record per production release, however the workflow listens.

# What GitHub fires for each kind of release (webhook docs, release event): `created` only for
# one published without first being saved as a draft (a draft fires it when saved, as a draft).
RELEASE_KINDS: dict[str, list[tuple[str, bool, bool]]] = {
    # (action, prerelease, draft)
    "release": [("created", False, False), ("published", False, False), ("released", False, False)],
    "release published from a draft": [
        ("created", False, True),
        ("published", False, False),
        ("released", False, False),
    ],
    "prerelease": [("created", True, False), ("published", True, False), ("prereleased", True, False)],
    "prerelease promoted to a release": [("released", False, False)],
}
LISTENED = [
    frozenset(types) for size in range(1, 5) for types in itertools.combinations(RELEASE_ACTIONS, size)
] + [RELEASE_TYPES]
RELEASE_RUNNER = Runner(
    repository="octo-org/shop",
    server_url="https://github.com",
    sha=SHA,
    workflow_ref="octo-org/shop/.github/workflows/deploy.yml@refs/tags/0.0.1",
)


def records(action: str, prerelease: bool, draft: bool, listened: frozenset[str], prereleases: bool) -> bool:
    """Whether the run for this release action records, as `derive` decides with the workflow read."""
    data = webhook("release.published")
    data["action"] = action
    data["release"].update(prerelease=prerelease, draft=draft)
    event = parse_event("release", data)
    if before_lookups(Asked("release", event, prereleases=prereleases)):
        return False
    reading = read_event("release", event, RELEASE_RUNNER)
    return after_lookups(reading, Found(release_types=listened), commit=SHA) is None


@pytest.mark.parametrize("prereleases", [False, True])
@pytest.mark.parametrize("listened", LISTENED, ids=lambda types: "+".join(sorted(types)))
def test_every_release_is_recorded_once(listened: frozenset[str], prereleases: bool) -> None:
    for kind, fired in RELEASE_KINDS.items():
        runs = [(action, pre, draft) for action, pre, draft in fired if action in listened]
        recorded = [
            action for action, pre, draft in runs if records(action, pre, draft, listened, prereleases)
        ]
        # The workflow runs for the release at all: one of the runs records it, whichever they are.
        runs_for_it = any(not draft for _, _, draft in runs)
        production = kind != "prerelease" or prereleases
        assert len(recorded) == (1 if runs_for_it and production else 0), (kind, recorded)
    if "released" in listened:
        # `released` alone sees every production release: nothing depends on the other types.
        assert records("released", False, False, listened, prereleases)


# 3. Nothing shipped, or not yet: the action as a process on GitHub's example payloads.


def assert_skipped(run: Run, iftrue: FakeIftrue, reason: str, github: FakeGitHub | None = None) -> None:
    """Skipped as a user sees it: exit 0, result skipped, the notice, the summary, nothing sent."""
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["result"] == "skipped"
    assert iftrue.requests == []
    assert github is None or github.requests == []
    assert run.notices == [f"Not a deployment: {reason}. Nothing was sent to iftrue."]
    assert run.errors == [] and run.warnings == []
    assert f"Not a deployment: {reason}." in html.unescape(run.summary)


def lookups_off(tmp_path: Path, iftrue: FakeIftrue, event_name: str, event: Any, **inputs: str) -> Run:
    return run_action(runner_env(tmp_path, event_name, event, {"api_url": iftrue.url, **inputs}))


NOTHING_SHIPPED = "so nothing shipped; only a deployment that ran, to success or failure, is recorded"


@pytest.mark.parametrize("word", ["cancelled", "Cancelled", "skipped"])
def test_cancelled_job_status_is_no_failure(tmp_path: Path, iftrue: FakeIftrue, word: str) -> None:
    # `if: always()` + `status: ${{ job.status }}` in a job cancelled by `concurrency` or a person.
    with FakeGitHub(happy()) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"), status=word)
    assert_skipped(
        run,
        iftrue,
        f"the status input is '{word.lower()}', so nothing shipped (a job cancelled, aborted, stopped or "
        "never run; a GitHub job stopped by its timeout-minutes reads as cancelled); a job that ran to "
        "success or failure is recorded",
        github,
    )


def test_failed_job_status_is_still_a_failure(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = lookups_off(tmp_path, iftrue, "push", payload("push"), status="failure")
    assert (run.code, run.outputs["result"]) == (0, "created")
    assert sent(iftrue)["status"] == "fail"


def workflow_run(conclusion: str | None, action: str = "completed") -> dict[str, Any]:
    event = webhook("workflow_run.completed")
    event["action"] = action
    event["workflow_run"]["conclusion"] = conclusion
    return event


@pytest.mark.parametrize(
    "conclusion", ["cancelled", "startup_failure", "skipped", "neutral", "action_required"]
)
def test_workflow_run_that_shipped_nothing(tmp_path: Path, iftrue: FakeIftrue, conclusion: str) -> None:
    with FakeGitHub(happy()) as github:
        run = run_with_github(tmp_path, github, iftrue, "workflow_run", workflow_run(conclusion))
    assert_skipped(run, iftrue, f"the workflow run concluded '{conclusion}', {NOTHING_SHIPPED}", github)


@pytest.mark.parametrize(
    ("conclusion", "status"), [("failure", "fail"), ("timed_out", "fail"), ("success", "succes")]
)
def test_workflow_run_that_ran_is_recorded(
    tmp_path: Path, iftrue: FakeIftrue, conclusion: str, status: str
) -> None:
    run = lookups_off(tmp_path, iftrue, "workflow_run", workflow_run(conclusion))
    assert run.outputs["result"] == "created"
    body = sent(iftrue)
    assert (body["status"], body["commit_id"]) == (
        status,
        webhook("workflow_run.completed")["workflow_run"]["head_sha"],
    )


NOT_FINAL = (
    "not a final state; the run for {final} records the deployment, or set the status input to "
    "in_progress to record states in progress too"
)


def test_requested_workflow_run_is_not_final(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # GitHub's example of a run just requested (conclusion null).
    event = webhook("workflow_run.requested")
    with FakeGitHub(happy()) as github:
        run = run_with_github(tmp_path, github, iftrue, "workflow_run", event)
    reason = "the workflow run is 'requested', " + NOT_FINAL.format(final="`completed`")
    assert_skipped(run, iftrue, reason, github)


@pytest.mark.parametrize("word", ["in_progress", "queued"])
def test_status_input_in_progress_records_a_run_in_progress(
    tmp_path: Path, iftrue: FakeIftrue, word: str
) -> None:
    event = webhook("workflow_run.requested")
    run = lookups_off(tmp_path, iftrue, "workflow_run", event, status=word)
    assert run.outputs["result"] == "created"
    body = sent(iftrue)
    assert (body["status"], body["commit_id"]) == ("in_progress", event["workflow_run"]["head_sha"])


def test_status_success_does_not_record_a_run_in_progress(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # `status: ${{ job.status }}` is the recording job's own success, not the upstream run's.
    run = lookups_off(tmp_path, iftrue, "workflow_run", webhook("workflow_run.requested"), status="success")
    assert run.outputs["result"] == "skipped"
    assert iftrue.requests == []


def deployment_status(state: str, **check_run: Any) -> dict[str, Any]:
    """GitHub's example of an Actions job's deployment status (it names the job as `check_run`)."""
    event = copy.deepcopy(webhook("deployment_status.in-progress"))
    event["deployment_status"]["state"] = state
    event["check_run"].update(check_run)
    return event


@pytest.mark.parametrize("state", ["in_progress", "waiting", "queued", "pending"])
def test_deployment_status_that_is_not_final(tmp_path: Path, iftrue: FakeIftrue, state: str) -> None:
    # One environment job sends four statuses; only its final one is the deployment.
    with FakeGitHub(happy()) as github:
        run = run_with_github(tmp_path, github, iftrue, "deployment_status", deployment_status(state))
    reason = f"the deployment status is '{state}', " + NOT_FINAL.format(final="its final status")
    assert_skipped(run, iftrue, reason, github)


def test_deployment_status_in_progress_when_asked(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = deployment_status("in_progress")
    run = lookups_off(tmp_path, iftrue, "deployment_status", event, status="in_progress")
    assert run.outputs["result"] == "created"
    body = sent(iftrue)
    assert (body["status"], body["deployment_node_id"]) == ("in_progress", event["deployment"]["node_id"])


@pytest.mark.parametrize(
    ("state", "job", "run_conclusion"),
    [
        ("failure", "cancelled", None),  # cancelled by `concurrency` or a person
        ("error", "skipped", None),
        ("failure", None, "cancelled"),  # no job named: its run says
        ("failure", None, "startup_failure"),
    ],
)
def test_deployment_whose_job_shipped_nothing(
    tmp_path: Path, iftrue: FakeIftrue, state: str, job: str | None, run_conclusion: str | None
) -> None:
    event = deployment_status(state, status="completed", conclusion=job)
    if job is None:
        event["check_run"] = None
        event["workflow_run"].update(status="completed", conclusion=run_conclusion)
    with FakeGitHub(happy()) as github:
        run = run_with_github(tmp_path, github, iftrue, "deployment_status", event)
    which = f"job concluded '{job}'" if job else f"run concluded '{run_conclusion}'"
    reason = f"the deployment status is '{state}', but its {which}, {NOTHING_SHIPPED}"
    assert_skipped(run, iftrue, reason, github)


@pytest.mark.parametrize(
    ("state", "job"), [("failure", "failure"), ("error", "timed_out"), ("failure", None)]
)
def test_deployment_whose_job_ran_and_failed(
    tmp_path: Path, iftrue: FakeIftrue, state: str, job: str | None
) -> None:
    event = deployment_status(state, status="completed", conclusion=job)
    run = lookups_off(tmp_path, iftrue, "deployment_status", event)
    assert run.outputs["result"] == "created"
    body = sent(iftrue)
    assert (body["status"], body["commit_id"]) == ("fail", event["deployment"]["sha"])


# 4. Production, not previews.


def vercel(environment: str, *, transient: bool, state: str = "success") -> dict[str, Any]:
    """A Vercel deployment status: no job behind it, and Vercel's environment names."""
    event = payload("deployment_status")
    event["deployment"].update(environment=environment, transient_environment=transient)
    event["deployment_status"].update(state=state, environment=environment)
    return event


PREVIEW = (
    "environment 'Preview \u2013 shop' is a preview (transient_environment); name it in the environment "
    "input to record previews"
)


def test_preview_is_skipped_without_the_environment_input(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(happy()) as github:
        run = run_with_github(
            tmp_path, github, iftrue, "deployment_status", vercel("Preview \u2013 shop", transient=True)
        )
    assert_skipped(run, iftrue, PREVIEW, github)


def test_preview_named_by_the_environment_input_is_recorded(tmp_path: Path, iftrue: FakeIftrue) -> None:
    event = vercel("Preview \u2013 shop", transient=True)
    run = lookups_off(tmp_path, iftrue, "deployment_status", event, environment="preview*")
    assert run.outputs["result"] == "created"
    assert sent(iftrue)["deployment_node_id"] == event["deployment"]["node_id"]


@pytest.mark.parametrize("environment", ["", "production*", "Production*, staging", "production ? shop"])
def test_vercel_production_is_recorded(tmp_path: Path, iftrue: FakeIftrue, environment: str) -> None:
    event = vercel("Production \u2013 shop", transient=False)
    run = lookups_off(tmp_path, iftrue, "deployment_status", event, environment=environment)
    assert run.outputs["result"] == "created", run.notices
    body = sent(iftrue)
    assert (body["status"], body["title"]) == ("succes", "Deploy 9f2c1e4 to Production \u2013 shop")


def test_vercel_preview_is_not_production(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = lookups_off(
        tmp_path,
        iftrue,
        "deployment_status",
        vercel("Preview \u2013 shop", transient=True),
        environment="production*",
    )
    assert_skipped(
        run,
        iftrue,
        "the deployment is to environment 'Preview \u2013 shop', not to one named in the `environment` input "
        "(production*); add it there to record its deployments",
    )


def test_run_deployment_look_up_skips_previews(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # One run deployed a preview and production: without the input, production is its deployment.
    made = deployments(
        {
            **github_deployment(1500000602, SHA, minutes_ago(1), "Preview \u2013 shop"),
            "transient_environment": True,
        },
        github_deployment(1500000601, SHA, minutes_ago(1), "Production \u2013 shop"),
    )
    with FakeGitHub(happy(deployments_by_sha=made)) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"))
    assert run.code == 0
    assert sorted(github.routes) == sorted(["pulls", "jobs", "deployments_by_sha"])
    assert sent(iftrue)["deployment_node_id"] == "DE_1500000601"
    assert run.warnings == []


# 5. A merge queue's checks are no deployment.


def test_merge_group_is_not_a_deployment(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(happy()) as github:
        run = run_with_github(
            tmp_path, github, iftrue, "merge_group", webhook("merge_group.checks-requested")
        )
    assert_skipped(
        run,
        iftrue,
        "a merge queue's run (merge_group) checks commits that are not on the branch yet; record the push "
        "the merge queue makes to the branch instead",
        github,
    )


def test_deployment_listed_without_transient_environment(tmp_path: Path, iftrue: FakeIftrue) -> None:
    # GitHub's schema does not require the field: its absence is no preview, and no request more.
    listed = github_deployment(1500000601, SHA, minutes_ago(1), "production")
    del listed["transient_environment"]
    with FakeGitHub(happy(deployments_by_sha=deployments(listed))) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", payload("push"))
    assert sorted(github.routes) == sorted(["pulls", "jobs", "deployments_by_sha"])
    assert sent(iftrue)["deployment_node_id"] == "DE_1500000601"
    assert run.warnings == []


# The release table of docs/triggers.md, as the action decides it.
TABLE_COLUMNS = (
    ("a release", "release", False),
    ("a release first saved as a draft", "release published from a draft", False),
    ("a prerelease", "prerelease", False),
    ("a prerelease, `prereleases: true`", "prerelease", True),
    ("a prerelease promoted to a release", "prerelease promoted to a release", False),
)
_PREFERENCE = ("released", "published", "created", "prereleased")


def release_table() -> str:
    """Who records each kind of release, for each set of listened types: a run's type, `skipped`
    when the workflow runs but records nothing, `no run` when GitHub starts none."""
    rows = sorted(
        (types for types in LISTENED if types != RELEASE_TYPES),
        key=lambda types: (
            min(_PREFERENCE.index(t) for t in types),
            len(types),
            sorted(map(_PREFERENCE.index, types)),
        ),
    )
    lines = [
        "| listens to | " + " | ".join(title for title, _, _ in TABLE_COLUMNS) + " |",
        "|---|" + "---|" * len(TABLE_COLUMNS),
    ]
    for types in [RELEASE_TYPES, *rows]:
        name = (
            "every type (`on: release`)"
            if types == RELEASE_TYPES
            else ", ".join(f"`{t}`" for t in sorted(types, key=_PREFERENCE.index))
        )
        cells = []
        for _, kind, prereleases in TABLE_COLUMNS:
            runs = [(a, pre, draft) for a, pre, draft in RELEASE_KINDS[kind] if a in types and not draft]
            recorded = [a for a, pre, draft in runs if records(a, pre, draft, types, prereleases)]
            cells.append(f"`{recorded[0]}`" if recorded else "skipped" if runs else "no run")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def test_release_table_in_the_docs_is_what_the_action_does() -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "triggers.md").read_text()
    assert release_table() in docs, release_table()


# 6. The reasons, as pure decisions.


def reason(event_name: str, data: dict[str, Any], **options: Any) -> str | None:
    """The reason the notice gives, without its "Not a deployment: " and full stop."""
    skip = before_lookups(Asked(event_name, parse_event(event_name, data), **options))
    return skip.note.removeprefix("Not a deployment: ").removesuffix(".") if skip else None


@pytest.mark.parametrize("status", ["success", "failure", "in_progress", ""])
def test_no_status_input_turns_a_cancelled_run_into_a_deployment(status: str) -> None:
    assert reason("workflow_run", workflow_run("cancelled"), status=status) is not None


def test_deployment_event_of_a_preview() -> None:
    data = payload("deployment")
    data["deployment"].update(environment="pr-412", transient_environment=True)
    assert reason("deployment", data) == (
        "environment 'pr-412' is a preview (transient_environment); name it in the environment input to "
        "record previews"
    )
    assert reason("deployment", data, environments=frozenset({"pr-*"})) is None
    data["deployment"]["transient_environment"] = None  # unset, as some creators leave it
    assert reason("deployment", data) is None


def test_success_status_of_a_job_is_recorded_whatever_its_run_says() -> None:
    # The run may be cancelled later: the job that deployed succeeded.
    event = deployment_status("success", status="completed", conclusion="success")
    event["workflow_run"].update(status="completed", conclusion="cancelled")
    assert reason("deployment_status", event) is None
