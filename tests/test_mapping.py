"""Each event's row of the field table, on realistic payloads, with no look-ups."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support import RELEASE_BODY, SHA, payload

from track_deployment.errors import EventError, MissingFieldError
from track_deployment.events import Event, parse_event
from track_deployment.gate import Asked, before_lookups
from track_deployment.inputs import Inputs, Runner
from track_deployment.jobs import minutes_ran
from track_deployment.model import Found, PullRequest, Reading, Source, Sourced, branch_of, workflow_file
from track_deployment.plan import NO_GITHUB_TOKEN, Plan, plan_lookups, within_budget
from track_deployment.readers import read_event
from track_deployment.record import Built, build_record, fix_reason, hotfix_reason

NOW = datetime(2026, 11, 20, 10, 10, tzinfo=UTC)
RUNNER = Runner(
    event_name="",
    repository="octo-org/shop",
    server_url="https://github.com",
    sha=SHA,
    ref="refs/heads/main",
    ref_name="main",
    run_id="12345678901",
    run_number="42",
    workflow="Deploy",
    actor_id="999",
)
RUN_URL = "https://github.com/octo-org/shop/actions/runs/12345678901"


#: No look-up was made: the record says so wherever a look-up would have filled a field.
OFF = Plan(off="GitHub look-ups are off")
#: The look-ups were made (the commit's pull request among them), and found what a Found holds.
LOOKED_UP = Plan(pull_request_of=SHA)


def read(event_name: str, data: dict[str, Any], runner: Runner = RUNNER) -> Reading:
    return read_event(event_name, parse_event(event_name, data), runner)


def record(
    reading: Reading,
    found: Found | None = None,
    plan: Plan = OFF,
    started_at: datetime | None = None,
    **fields: Any,
) -> Built:
    """The record of what the event says, what the look-ups found and the inputs (`fields`)."""
    return build_record(reading, found or Found(), plan, Inputs(fields, started_at=started_at), NOW)


def built(
    event_name: str, data: dict[str, Any], found: Found | None = None, plan: Plan = OFF, **fields: Any
) -> Built:
    event = parse_event(event_name, data)
    # The gate lets it through (states in progress too, as the status input in_progress asks).
    skip = before_lookups(Asked(event_name, event, status="in_progress"))
    assert skip is None, skip
    return record(read_event(event_name, event, RUNNER), found, plan, **fields)


def body(event_name: str, data: dict[str, Any], found: Found | None = None, **fields: Any) -> dict[str, Any]:
    return built(event_name, data, found, **fields).request.body()


def skip_reason(event_name: str, data: dict[str, Any], **asked: Any) -> str | None:
    """Why the run records nothing, as the gate says before any look-up: the note's reason."""
    event = parse_event(event_name, data)
    skip = before_lookups(Asked(event_name, event, **asked))
    if skip is None:
        read_event(event_name, event, RUNNER)
        return None
    assert skip.note.startswith("Not a deployment: ") and skip.note.endswith("."), skip.note
    return skip.note.removeprefix("Not a deployment: ").removesuffix(".")


def test_release() -> None:
    assert body("release", payload("release")) == RELEASE_BODY


@pytest.mark.parametrize("action", ["published", "released", "created", "prereleased"])
def test_release_actions_reported(action: str) -> None:
    data = payload("release") | {"action": action}
    assert skip_reason("release", data) is None


@pytest.mark.parametrize("action", ["edited", "deleted", "unpublished"])
def test_release_other_actions_skipped(action: str) -> None:
    assert action in (skip_reason("release", payload("release") | {"action": action}) or "")


def test_release_draft_skipped() -> None:
    data = payload("release")
    data["release"]["draft"] = True
    assert skip_reason("release", data) == "the release is a draft"


def test_release_without_name_uses_tag_and_sha_target_uses_default_branch() -> None:
    data = payload("release")
    data["release"].update(name="", target_commitish=SHA, body=None, author=None)
    data["repository"]["default_branch"] = "trunk"
    got = body("release", data)
    assert (got["title"], got["branch"], got["member_id"]) == ("v2.4.0", "trunk", "583231")
    assert "changelog" not in got


def test_deployment() -> None:
    assert body("deployment", payload("deployment")) == {
        "title": "Deploy 9f2c1e4 to production",
        "url": RUN_URL,
        "branch": "main",
        "commit_id": SHA,
        "repository_url": "https://github.com/octo-org/shop",
        "member_id": "1024025",
        "pull_request_number": 0,
        "deployment_node_id": "DE_kwDOKb3Q4M5ZZ3Jh",
        "status": "succes",
    }


def test_deployment_description_is_title_and_tag_ref_is_not_a_branch() -> None:
    data = payload("deployment")
    data["deployment"].update(description="Roll out 2.4", ref="refs/tags/v2.4.0")
    got = body("deployment", data)
    assert (got["title"], got["branch"]) == ("Roll out 2.4", "main")


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("success", "succes"),
        ("failure", "fail"),
        ("error", "fail"),
        ("pending", "in_progress"),
        ("queued", "in_progress"),
        ("waiting", "in_progress"),
        ("in_progress", "in_progress"),
    ],
)
def test_deployment_status_states(state: str, status: str) -> None:
    data = payload("deployment_status")
    data["deployment_status"]["state"] = state
    got = body("deployment_status", data)
    assert got["status"] == status
    assert got["deployment_duration"] == 7.5  # 10:00:00 → 10:07:30
    assert got["url"] == "https://github.com/octo-org/shop/actions/runs/12345678000/job/1"
    assert got["deployment_node_id"] == "DE_kwDOKb3Q4M5ZZ3Jh"
    assert got["member_id"] == "1024025"  # the deployment's creator, not the status's bot


@pytest.mark.parametrize(
    ("urls", "expected"),
    [
        ({"log_url": "", "target_url": "https://ci.example.com/1"}, "https://ci.example.com/1"),
        (
            {"log_url": None, "target_url": "", "environment_url": "https://shop.example.com"},
            "https://shop.example.com",
        ),
        ({"log_url": None, "target_url": None, "environment_url": ""}, RUN_URL),
    ],
)
def test_deployment_status_url_fallbacks(urls: dict[str, Any], expected: str) -> None:
    data = payload("deployment_status")
    data["deployment_status"].update(urls)
    assert body("deployment_status", data)["url"] == expected


def test_push() -> None:
    assert body("push", payload("push")) == {
        "title": "Merge pull request #412 from octo-org/feature/checkout",
        "changelog": "- 1111111 feat: add gift cards\n"
        "- 9f2c1e4 Merge pull request #412 from octo-org/feature/checkout",
        "url": RUN_URL,
        # GitHub's merge title names the pull request and its head: no look-up needed.
        "branch": "feature/checkout",
        "commit_id": SHA,
        "commits_count": 2,
        "repository_url": "https://github.com/octo-org/shop",
        "member_id": "583231",
        "pull_request_number": 412,
        "status": "succes",
    }


def test_push_forced_fix_commit_and_no_head_commit() -> None:
    data = payload("push")
    data["forced"] = True
    data["head_commit"]["message"] = "fix!: stop double charging\n\nbody"
    got = body("push", data)
    assert (got["is_forced"], got["is_fix"]) == (True, True)
    data["head_commit"] = None
    data["commits"] = []
    got = body("push", data)
    assert got["title"] == "Push to main"
    # A forced push that lists no commits may go back to an ancestor: only its compare can tell.
    assert "commits_count" not in got
    assert "changelog" not in got


def test_push_deleted_skipped() -> None:
    data = payload("push") | {"deleted": True, "after": "0" * 40}
    assert skip_reason("push", data) == "the push deleted refs/heads/main"


def test_push_of_tag_uses_default_branch() -> None:
    data = payload("push") | {"ref": "refs/tags/v2.4.0"}
    data["head_commit"]["message"] = "Release 2.4.0"
    assert body("push", data)["branch"] == "main"


def test_capped_push_asks_compare() -> None:
    data = payload("push")
    data["commits"] = data["commits"][:1] * 2048
    reading = read("push", data)
    assert reading.compare == (data["before"], SHA)
    assert reading.value("commits_count") is None


def test_pull_request_merged() -> None:
    assert body("pull_request", payload("pull_request")) == {
        "title": "fix(checkout): round totals once",
        "changelog": "Rounds totals once.\n\nCloses #400",
        "url": "https://github.com/octo-org/shop/pull/412",
        "branch": "fix/rounding",
        "commit_id": SHA,
        "is_fix": True,
        "commits_count": 3,
        "repository_url": "https://github.com/octo-org/shop",
        "member_id": "1024025",
        "pull_request_number": 412,
        "status": "succes",
    }


def test_pull_request_target_is_read_the_same_way() -> None:
    assert body("pull_request_target", payload("pull_request")) == body(
        "pull_request", payload("pull_request")
    )


def test_pull_request_hotfix_label() -> None:
    data = payload("pull_request")
    data["pull_request"]["labels"] = [{"name": "HotFix"}]
    data["pull_request"]["title"] = "Stop the bleeding"
    data["pull_request"]["head"]["ref"] = "urgent"
    got = body("pull_request", data)
    assert got["is_hotfix"] is True
    assert "is_fix" not in got


@pytest.mark.parametrize(
    ("action", "merged", "why"),
    [
        ("closed", False, "closed without merging"),
        ("opened", False, "'opened'"),
        ("synchronize", None, "'synchronize'"),
    ],
)
def test_pull_request_not_merged_skipped(action: str, merged: bool | None, why: str) -> None:
    data = copy.deepcopy(payload("pull_request"))
    data["action"] = action
    data["pull_request"]["merged"] = merged
    assert why in (skip_reason("pull_request", data) or "")


def test_workflow_run_completed() -> None:
    assert body("workflow_run", payload("workflow_run")) == {
        "title": "Merge pull request #412 from octo-org/fix/rounding",
        "url": "https://github.com/octo-org/shop/actions/runs/12345678000",
        "branch": "fix/rounding",
        "is_fix": True,
        "commit_id": SHA,
        "repository_url": "https://github.com/octo-org/shop",
        "member_id": "1024025",
        "pull_request_number": 412,
        "status": "succes",
    }


@pytest.mark.parametrize(
    ("action", "conclusion", "status"),
    [
        ("completed", "failure", "fail"),
        ("completed", "timed_out", "fail"),
        ("requested", None, "in_progress"),
        ("in_progress", None, "in_progress"),
    ],
)
def test_workflow_run_statuses(action: str, conclusion: str | None, status: str) -> None:
    data = payload("workflow_run") | {"action": action}
    data["workflow_run"]["conclusion"] = conclusion
    assert body("workflow_run", data)["status"] == status


@pytest.mark.parametrize(
    "conclusion", ["cancelled", "startup_failure", "skipped", "neutral", "action_required", "stale"]
)
def test_workflow_run_that_shipped_nothing_is_skipped(conclusion: str) -> None:
    data = payload("workflow_run")
    data["workflow_run"]["conclusion"] = conclusion
    assert skip_reason("workflow_run", data) == (
        f"the workflow run concluded '{conclusion}', so nothing shipped; only a deployment that ran, "
        "to success or failure, is recorded"
    )


def test_workflow_run_without_display_title_or_triggering_actor() -> None:
    data = payload("workflow_run")
    data["workflow_run"].update(display_title=None, triggering_actor=None, pull_requests=[])
    got = body("workflow_run", data)
    assert (got["title"], got["member_id"], got["pull_request_number"]) == ("Deploy", "583231", 0)


def test_workflow_dispatch() -> None:
    assert body("workflow_dispatch", payload("workflow_dispatch")) == {
        "title": "Deploy #42",
        "url": RUN_URL,
        "branch": "main",
        "commit_id": SHA,
        "repository_url": "https://github.com/octo-org/shop",
        "member_id": "583231",
        "pull_request_number": 0,
        "status": "succes",
    }


def test_other_event_with_no_repository_or_sender_uses_runner_variables() -> None:
    got = body("schedule", payload("schedule"))
    assert (got["repository_url"], got["member_id"], got["title"]) == (
        "https://github.com/octo-org/shop",
        "999",
        "Deploy #42",
    )


def test_generic_event_on_tag_without_default_branch_needs_branch_input() -> None:
    runner = RUNNER._replace(ref="refs/tags/v1", ref_name="v1")
    reading = read_event("schedule", Event(), runner)
    with pytest.raises(MissingFieldError, match=r"branch is unknown .*set the 'branch' input"):
        record(reading)
    assert record(reading, branch="main").request.branch == "main"


def test_inputs_win_over_event_and_lookups() -> None:
    counted = {"commits_count": Sourced(5, Source("look-up", "compare"))}
    found = Found(counted, pull_request=PullRequest(7, "feature/x", "Feature", ("bug",)))
    got = body(
        "release",
        payload("release"),
        found,
        title="Manual",
        pull_request_number=9,
        is_fix=False,
        commits_count=1,
    )
    assert (got["title"], got["pull_request_number"], got["is_fix"], got["commits_count"]) == (
        "Manual",
        9,
        False,
        1,
    )
    assert got["branch"] == "feature/x"


def test_looked_up_pull_request_fills_generic_event() -> None:
    found = Found(
        {
            "deployment_duration": Sourced(4.5, Source("look-up", "the time the run's jobs ran")),
            "deployment_node_id": Sourced("DE_x", Source("look-up", "the run's deployment")),
        },
        pull_request=PullRequest(412, "hotfix/pay", "Fix pay", ()),
    )
    got = body("workflow_dispatch", payload("workflow_dispatch"), found)
    assert got["title"] == "Fix pay"
    assert (got["pull_request_number"], got["branch"], got["is_hotfix"]) == (412, "hotfix/pay", True)
    assert (got["deployment_duration"], got["deployment_node_id"]) == (4.5, "DE_x")


def test_duration_sources() -> None:
    """A look-up's measure or its reason for none reaches the summary as decided; an input wins."""
    event = read("push", payload("push"))
    measured = Sourced(4.5, Source("look-up", "the time job deploy (7) ran, waits not counted"))
    built = record(event, Found({"deployment_duration": measured}))
    assert built.request.deployment_duration == 4.5
    assert built.sources["deployment_duration"] == measured.source
    why = "unknown: nothing but this step ran (job 'record' is the only job that ran)"
    recorder = Found({"deployment_duration": Sourced(None, Source("left out", why))})
    built = record(event, recorder)
    assert built.request.deployment_duration is None
    assert built.sources["deployment_duration"] == Source("left out", why)
    built = record(event, recorder, deployment_duration=3)
    assert (built.request.deployment_duration, built.notices) == (3, ())
    assert built.sources["deployment_duration"] == Source("input", "`deployment_duration` input")


@pytest.mark.parametrize(
    ("event_name", "part"),
    [
        ("release", "release"),
        ("deployment", "deployment"),
        ("workflow_run", "workflow_run"),
        ("pull_request", "pull_request"),
        ("deployment_status", "deployment"),
    ],
)
def test_event_of_wrong_shape(event_name: str, part: str) -> None:
    with pytest.raises(EventError, match=f"no '{part}' object"):
        read(event_name, payload("push"))


@pytest.mark.parametrize(
    ("ref", "branch"),
    [
        ("refs/heads/main", "main"),
        ("release/1.x", "release/1.x"),
        ("refs/tags/v1", None),
        ("refs/pull/1/merge", None),
        (SHA, None),
        ("a" * 64, None),
        ("", None),
        (None, None),
    ],
)
def test_branch_of(ref: str | None, branch: str | None) -> None:
    assert branch_of(ref) == branch


@pytest.mark.parametrize(
    ("labels", "branch", "title", "fix", "hotfix"),
    [
        (("BUG",), "main", None, True, False),
        (("bugfix",), None, None, True, False),
        (("enhancement",), "fix/x", None, True, False),
        ((), "fix-x", None, True, False),
        ((), "bugfix/x", None, True, False),
        ((), "bugfix-x", None, True, False),
        ((), "fixture", None, False, False),
        ((), "main", "fix: typo", True, False),
        ((), "main", "fix(api): typo", True, False),
        ((), "main", "fix!: breaking", True, False),
        ((), "main", "fixes a typo", False, False),
        ((), "main", "feat: fix later", False, False),
        (("hotfix",), "main", None, False, True),
        ((), "hotfix/pay", None, False, True),
        ((), "hotfix-pay", None, False, True),
        ((), "hotfixes", None, False, False),
    ],
)
def test_fix_and_hotfix_rules(
    labels: tuple[str, ...], branch: str | None, title: str | None, fix: bool, hotfix: bool
) -> None:
    assert bool(fix_reason(labels, branch, ("title", title or ""), Inputs())) is fix
    assert bool(hotfix_reason(labels, branch, Inputs())) is hotfix


def test_custom_labels() -> None:
    options = Inputs(hotfix_labels=frozenset({"p0"}), fix_labels=frozenset({"defect"}))
    assert hotfix_reason(("P0",), None, options) and fix_reason(("Defect",), None, None, options)
    assert not fix_reason(("bug",), None, None, options)


class TestPlan:
    def plan(self, event_name: str, data: dict[str, Any], **overrides: Any):  # type: ignore[no-untyped-def]
        return plan_lookups(event_name, read(event_name, data), Inputs(overrides))

    def test_release_plans_every_lookup(self) -> None:
        plan = self.plan("release", payload("release"))
        assert plan.pull_request_of == SHA and plan.deployment_of == SHA
        assert plan.jobs_of == 12345678901 and plan.deployment_window is None
        assert plan.previous_release_of is not None and plan.previous_release_of.tag == "v2.4.0"

    def test_pull_request_event_needs_no_pull_lookup(self) -> None:
        plan = self.plan("pull_request", payload("pull_request"))
        assert plan.pull_request_of is None and plan.previous_release_of is None
        assert plan.jobs_of == 12345678901 and plan.deployment_of == SHA

    def test_inputs_covering_pull_fields_skip_pull_lookup(self) -> None:
        covering = dict(pull_request_number=1, branch="main", is_fix=False, is_hotfix=False)
        assert self.plan("push", payload("push"), **covering).pull_request_of is None
        assert self.plan("workflow_dispatch", payload("workflow_dispatch"), **covering).pull_request_of == SHA
        assert (
            self.plan(
                "workflow_dispatch", payload("workflow_dispatch"), title="t", **covering
            ).pull_request_of
            is None
        )

    def test_inputs_covering_everything_plan_nothing(self) -> None:
        plan = self.plan(
            "release",
            payload("release"),
            pull_request_number=1,
            branch="main",
            is_fix=False,
            is_hotfix=False,
            deployment_duration=3,
            commits_count=2,
            deployment_node_id="DE_1",
        )
        assert (plan.steps(), plan.off) == ([], "nothing was left to look up")

    def test_deployment_status_plans_no_run_lookup(self) -> None:
        plan = self.plan("deployment_status", payload("deployment_status"))
        assert plan.jobs_of is None and plan.deployment_of is None
        assert plan.previous_deployment_of is not None

    def test_started_at_needs_jobs_only_for_the_node_id(self) -> None:
        started_at = NOW - timedelta(minutes=5)
        reading = read("push", payload("push"))
        assert plan_lookups("push", reading, Inputs({}, started_at=started_at)).jobs_of == 12345678901
        plan = plan_lookups("push", reading, Inputs({"deployment_node_id": "DE_1"}, started_at=started_at))
        assert plan.jobs_of is None and plan.deployment_of is None

    def test_a_forced_push_by_a_bot_keeps_its_compare(self) -> None:
        """Its pull request, who merged it, its jobs and its deployment take a push's 4 requests:
        a forced push has a fifth, for the compare that tells a rollback."""
        data = payload("push") | {"forced": True, "commits": []}  # back to an ancestor: lists none
        data["sender"] = data["sender"] | {"login": "renovate[bot]", "type": "Bot"}
        plan = self.plan("push", data)
        assert plan.merger_of_pull and plan.jobs_of and plan.deployment_of
        assert plan.compare is not None and not plan.over_budget

    def test_rerun_reads_the_runs_latest_jobs(self) -> None:
        reading = read("push", payload("push"), RUNNER._replace(run_attempt="3"))
        assert plan_lookups("push", reading, Inputs({})).jobs_of == 12345678901

    def test_workflow_run_measures_the_upstream_run(self) -> None:
        data = payload("workflow_run")
        data["workflow_run"]["run_attempt"] = 2
        plan = self.plan("workflow_run", data)
        assert plan.jobs_of == 12345678000 and plan.deployment_of == SHA
        start, end = (
            datetime(2026, 11, 20, 10, 0, 15, tzinfo=UTC),
            datetime(2026, 11, 20, 10, 6, 45, tzinfo=UTC),
        )
        assert plan.deployment_window == (start, end)
        running = data | {"action": "in_progress"}
        assert self.plan("workflow_run", running).deployment_window == (start, None)
        # The window comes from the payload: the node id alone needs no jobs.
        assert self.plan("workflow_run", data, deployment_duration=3).jobs_of is None

    def test_environments_reach_the_plan_and_alone_plan_nothing(self) -> None:
        reading = read("push", payload("push"))
        production = frozenset({"production"})
        assert plan_lookups("push", reading, Inputs({}, production)).environments == {"production"}
        covering = dict(
            pull_request_number=1, branch="main", is_fix=False, is_hotfix=False, deployment_duration=3
        )
        plan = plan_lookups("push", reading, Inputs(covering | {"deployment_node_id": "DE_1"}, production))
        assert plan.steps() == []

    def test_spare_requests_page_the_jobs(self) -> None:
        release, push = self.plan("release", payload("release")), self.plan("push", payload("push"))
        merged = self.plan("pull_request", payload("pull_request"))
        assert set(release.steps()) == {
            "pull_request_of",
            "jobs_of",
            "deployment_of",
            "previous_release_of",
        }
        assert set(push.steps()) == {"pull_request_of", "jobs_of", "deployment_of"}
        assert set(merged.steps()) == {"jobs_of", "deployment_of"}
        # Each fits its budget: nothing is left out.
        assert not any(plan.over_budget for plan in (release, push, merged))
        # A capped push compares instead, and still fits.
        capped = payload("push")
        capped["commits"] = capped["commits"][:1] * 2048
        assert "compare" in self.plan("push", capped).steps()


@pytest.mark.parametrize(
    ("ref", "repository", "expected"),
    [
        (
            "octo-org/shop/.github/workflows/deploy.yml@refs/heads/main",
            "octo-org/shop",
            (".github/workflows/deploy.yml", "refs/heads/main"),
        ),
        (
            "octo-org/shop/.github/workflows/deploy.yml@refs/tags/v1",
            "octo-org/shop",
            (".github/workflows/deploy.yml", "refs/tags/v1"),
        ),
        ("other/repo/.github/workflows/deploy.yml@refs/heads/main", "octo-org/shop", None),
        ("octo-org/shop/.github/workflows/deploy.yml", "octo-org/shop", None),
        ("", "octo-org/shop", None),
    ],
)
def test_workflow_file(ref: str, repository: str, expected: tuple[str, str] | None) -> None:
    assert workflow_file(ref, repository) == expected


def kept(plan: Plan, budget: int) -> tuple[set[str], frozenset[str]]:
    """The look-ups the plan keeps within the budget, and those it leaves out for it."""
    within = within_budget(plan, budget)
    return set(within.steps()), within.over_budget


def test_budget_keeps_the_most_needed_lookups() -> None:
    full = Plan(
        pull_request_of=SHA,
        jobs_of=12345678901,
        deployment_of=SHA,
        compare=("a", "b"),
        merger_of_pull=True,
    )
    everything = {"pull_request_of", "jobs_of", "deployment_of", "compare", "merger_of_pull"}
    assert kept(full, 5) == (everything, frozenset())
    # The person behind a bot's deployment (member_id is required) before the commit count.
    assert kept(full, 4) == (everything - {"compare"}, {"compare"})
    assert kept(full, 3) == (everything - {"compare", "deployment_of"}, {"compare", "deployment_of"})
    # The run's deployment is found by the run's start; the merger by the PR.
    assert kept(Plan(jobs_of=1, deployment_of=SHA), 1) == ({"jobs_of"}, {"deployment_of"})
    # Unless the payload gives the window (workflow_run).
    window = (NOW, None)
    within = within_budget(Plan(deployment_of=SHA, deployment_window=window), 1)
    assert (within.steps(), within.deployment_window, within.over_budget) == (
        ["deployment_of"],
        window,
        set(),
    )
    assert kept(Plan(merger_of_pull=True), 6) == (set(), frozenset())


def test_bot_sender_plans_the_person_lookup() -> None:
    data = copy.deepcopy(payload("push"))
    data["sender"].update(login="github-merge-queue[bot]", type="Bot")
    reading = read("push", data)
    assert reading.bot_member == "github-merge-queue[bot]"
    assert plan_lookups("push", reading, Inputs({})).merger_of_pull
    assert not plan_lookups("push", reading, Inputs({"member_id": "7"})).merger_of_pull


T0 = datetime(2026, 11, 20, 10, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("intervals", "now", "minutes"),
    [
        # A build job, then a deploy job that waited three days for approval.
        (((at(0), at(4)), (at(3 * 24 * 60), at(3 * 24 * 60 + 6))), at(3 * 24 * 60 + 7), 10),
        # Parallel jobs count once; the gap before the last one does not count.
        (((at(0), at(5)), (at(1), at(3)), (at(2), at(6)), (at(10), at(11))), at(12), 7),
        # The current job is still running: it counts up to now.
        (((at(0), at(2)), (at(3), None)), at(4.5), 3.5),
        # Seconds are kept, to 2 decimals.
        (((at(0), T0 + timedelta(seconds=20)),), at(1), 0.33),
        # A runner clock behind GitHub's: the current job counts as 0, never negative.
        (((at(0), at(1)), (at(2), None)), at(1.5), 1),
        ((), at(1), None),
    ],
)
def test_minutes_ran(intervals: tuple[Any, ...], now: datetime, minutes: float | None) -> None:
    assert minutes_ran(intervals, now) == minutes


def test_duration_sources_in_order() -> None:
    event = read("push", payload("push"))
    jobs = Found({"deployment_duration": Sourced(2, Source("look-up", "the time the run's jobs ran"))})
    started = NOW - timedelta(minutes=30)
    assert record(event, jobs).request.deployment_duration == 2
    assert record(event, jobs, started_at=started).request.deployment_duration == 30
    assert record(event, jobs, started_at=started, deployment_duration=1.5).request.deployment_duration == 1.5
    assert record(event).request.deployment_duration is None
    status = read("deployment_status", payload("deployment_status"))
    assert record(status).request.deployment_duration == 7.5
    assert record(status, started_at=started).request.deployment_duration == 30


@pytest.mark.parametrize("state", ["inactive", "INACTIVE", "destroyed", "", None])
def test_deployment_status_not_a_deployment_state_is_skipped(state: str | None) -> None:
    data = payload("deployment_status")
    data["deployment_status"]["state"] = state
    reason = skip_reason("deployment_status", data) or ""
    assert f"the deployment status is '{state or ''}', not a state of a deployment being made" in reason


@pytest.mark.parametrize(
    ("event_name", "environment", "names", "skipped"),
    [
        ("deployment", "production", "production", False),
        ("deployment", "Production", "production", False),
        ("deployment_status", "production", "PRODUCTION", False),
        ("deployment_status", "production", "staging, Production", False),
        ("deployment", "preview/pr-12", "production", True),
        ("deployment_status", "staging", "production,prod-eu", True),
        ("deployment", None, "production", True),
        ("deployment", "preview/pr-12", "", False),
    ],
)
def test_environment_filter(event_name: str, environment: str | None, names: str, skipped: bool) -> None:
    data = payload(event_name)
    data["deployment"]["environment"] = environment
    patterns = frozenset(name.strip() for name in names.split(",") if name.strip())
    reason = skip_reason(event_name, data, environments=patterns)
    if skipped:
        assert reason is not None and f"environment '{environment or ''}'" in reason
        assert "not to one named in the `environment` input" in reason
    else:
        assert reason is None


def test_environment_filter_leaves_other_events_alone() -> None:
    assert skip_reason("push", payload("push"), environments=frozenset({"production"})) is None


PR_LINK = "https://github.com/octo-org/shop/pull/"


@pytest.mark.parametrize(
    ("title", "number", "branch", "rule"),
    [
        ("Merge pull request #412 from octo-org/feature/checkout", 412, "feature/checkout", "merge"),
        ("Merge pull request #7 from a-fork/fix-typo\n\nFix the typo", 7, "fix-typo", "merge"),
        ("Add gift cards (#412)", 412, "main", "squash"),
        ("fix(cart): round once (#12) (#15)", 15, "main", "squash"),  # GitHub appends the last
    ],
)
def test_push_of_githubs_merge_or_squash_title_names_the_pull_request(
    title: str, number: int, branch: str, rule: str
) -> None:
    data = payload("push")
    data["head_commit"]["message"] = title
    result = built("push", data)
    got = result.request.body()
    assert (got["pull_request_number"], got["branch"]) == (number, branch)
    source = Source("rule", f"GitHub's {rule} commit title", f"{PR_LINK}{number}")
    assert result.sources["pull_request_number"] == source
    assert result.sources["branch"] == (source if rule == "merge" else Source("event", "ref"))
    assert result.warnings == ()


@pytest.mark.parametrize(
    "title",
    [
        "Merge pull request #412",  # no head
        "Merge branch 'main' into feature",
        "Merge pull request #0 from o/b",
        "Add gift cards (#0)",
        "Add gift cards (#1234567890)",  # no PR number
        "(#412)",
        "Revert (#412) and more",
        "Add gift cards #412",
    ],
)
def test_other_titles_name_no_pull_request(title: str) -> None:
    data = payload("push")
    data["head_commit"]["message"] = title
    result = built("push", data)
    assert result.request.pull_request_number == 0
    assert result.request.branch == "main"
    assert result.sources["pull_request_number"].kind == "rule"


def test_a_look_up_of_the_commits_pull_request_wins_over_the_title() -> None:
    found = PullRequest(number=413, head_ref="feature/other", merged=True)
    result = built("push", payload("push"), Found(pull_request=found), LOOKED_UP)
    assert (result.request.pull_request_number, result.request.branch) == (413, "feature/other")
    assert result.sources["pull_request_number"].kind == "look-up"
    # GitHub lists no PR of the commit (it lists only open ones for a commit off the default
    # branch, as in git-flow's merge of release/2.5 into main): the merge title still names it.
    none = Source("look-up", "GitHub knows no pull request of commit 9f2c1e4")
    result = built("push", payload("push"), Found(no_pull_request=none), LOOKED_UP)
    assert (result.request.pull_request_number, result.request.branch) == (412, "feature/checkout")
    assert result.sources["pull_request_number"].detail == "GitHub's merge commit title"
    assert result.warnings == ()


def test_an_input_wins_over_the_title() -> None:
    result = built("push", payload("push"), pull_request_number=9, branch="release")
    assert (result.request.pull_request_number, result.request.branch) == (9, "release")
    assert result.sources["pull_request_number"] == Source("input", "`pull_request_number` input")
    assert result.sources["branch"] == Source("input", "`branch` input")


def test_workflow_run_of_a_push_reads_its_head_commit_title() -> None:
    data = payload("workflow_run")
    data["workflow_run"]["pull_requests"] = []
    data["workflow_run"]["head_commit"]["message"] = "Add gift cards (#420)\n\n* feat: gift cards"
    result = built("workflow_run", data)
    assert result.request.pull_request_number == 420
    assert result.sources["pull_request_number"].detail == "GitHub's squash commit title"


FAILED_PULL = Source("left out", "the look-up of its pull request failed (see the look-up warning)")


@pytest.mark.parametrize(
    ("plan", "why", "fix"),
    [
        (
            Plan(off=NO_GITHUB_TOKEN),
            "no look-up of its pull request was made (the github_token input is empty)",
            "Set the pull_request_number input, or give the github_token input a token with "
            "`pull-requests: read` to turn look-ups on.",
        ),
        (
            Plan(off="GITHUB_REPOSITORY is empty: not a GitHub repository's run"),
            "no look-up of its pull request was made (GITHUB_REPOSITORY is empty: not a GitHub "
            "repository's run)",
            "Set the pull_request_number input.",
        ),
        (
            LOOKED_UP,
            FAILED_PULL.detail,
            "Set the pull_request_number input.",
        ),
        (
            Plan(jobs_of=12345678901, over_budget=frozenset({"pull_request_of"})),
            "the look-up of its pull request was left out to stay within the run's GitHub request budget",
            "Set the pull_request_number input.",
        ),
    ],
)
def test_an_unknown_pull_request_says_what_was_looked_for(plan: Plan, why: str, fix: str) -> None:
    # Never "no pull request is associated" when nothing was looked for.
    found = Found(no_pull_request=FAILED_PULL if plan is LOOKED_UP else None)
    [warning] = built("release", payload("release"), found, plan=plan).warnings
    assert warning == f"The deployment's pull request is unknown: {why}, so pull_request_number is 0. {fix}"


@pytest.mark.parametrize(
    ("workflow", "event_name", "run_number", "title", "shape"),
    [
        ("Deploy", "schedule", "42", "Deploy #42", "the workflow's name and the run number"),
        ("", "schedule", "42", "schedule #42", "the event's name and the run number"),
        ("", "", "", "Deployment", "`Deployment`"),
    ],
)
def test_a_fallback_title_names_how_it_was_made(
    workflow: str, event_name: str, run_number: str, title: str, shape: str
) -> None:
    """The reader that makes the fallback title says its shape; the record adds why no PR gave one."""
    runner = RUNNER._replace(workflow=workflow, event_name=event_name, run_number=run_number)
    built = record(read_event(event_name or "schedule", Event(), runner), member_id="1")
    assert built.request.title == title
    why = "no look-up of its pull request was made (GitHub look-ups are off)"
    assert built.sources["title"] == Source("rule", f"{shape}, as no pull request gives a title: {why}")
    # A flag no rule set, and a run that is no push, each say why they are not sent.
    assert built.sources["is_forced"] == Source("left out", "not forced: only a forced push sets it")
    # Nothing that was not read is said to be missing: the labels and what ships are named unread.
    # The schedule names no earlier run here (no GITHUB_WORKFLOW_REF): nothing to compare with.
    unshipped = "the event lists no commits and names nothing to compare with"
    assert built.sources["is_fix"].detail == (
        f"not a fix: no fix/ branch; not read: the commits that ship, as {unshipped}; its pull "
        f"request's labels, as {why}"
    )
    assert built.sources["is_hotfix"].detail == (
        f"not a hotfix: no hotfix/ branch; not read: the commits that ship and what ran before, as "
        f"{unshipped}; its pull request's labels, as {why}"
    )


def test_a_workflow_runs_pull_request_named_by_number_decides_no_revert_check() -> None:
    """A workflow_run's payload names its PR by number and branch only: without its title or the
    commits that ship, "not reverts only" was never checked, and the reason says so."""
    built = record(read("workflow_run", payload("workflow_run")))
    hotfix = built.sources["is_hotfix"].detail
    assert "not reverts only" not in hotfix
    assert hotfix.startswith(
        "not a hotfix: no hotfix/ branch; not read: the commits that ship and what ran before"
    )
