"""Which GitHub look-ups a run makes, within its request budget (SPEC §5). No I/O here.

A look-up is planned only when its answer would be used: no input or payload gives what it
would find. A look-up left out, for the budget or because none can be made, says why here,
where that is decided.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from .gate import release_gate_needed
from .inputs import Inputs, Runner
from .model import Deployment, Interval, Reading, Release
from .values import api_url_problem

# At most this many GitHub requests per run (SPEC §5); look-ups of lower priority are
# dropped, and their fields left out, when a run would need more.
REQUEST_BUDGET = {
    "release": 6,
    "push": 4,
    "pull_request": 3,
    "pull_request_target": 3,
    "deployment": 5,
    "deployment_status": 5,
}
DEFAULT_REQUEST_BUDGET = 6

#: Plan.off when the user turned the look-ups off, or gave no token to make them.
NO_GITHUB_TOKEN = "the github_token input is empty"  # noqa: S105 - a message, not a secret

#: Why a look-up was not made when it would have been: the request budget.
FOR_THE_BUDGET = "left out to stay within the run's GitHub request budget"

#: The look-ups (by their name in Plan) that give each field only a look-up gives.
FIELDS_OF = {
    "deployment_duration": frozenset({"jobs_of", "job_of"}),
    "commits_count": frozenset(
        {"previous_release_of", "previous_deployment_of", "previous_run_of", "compare"}
    ),
    "deployment_node_id": frozenset({"deployment_of", "jobs_of"}),
}

#: What the look-ups that give each of those fields are called in a reason.
LOOKED_UP_AS = {
    "deployment_duration": "the run's jobs",
    "commits_count": "the commit count",
    "deployment_node_id": "the run's deployment",
}

# Fields a pull request can supply; when the user gave them all, no PR look-up is made.
_PULL_REQUEST_FIELDS = ("pull_request_number", "branch", "title", "is_fix", "is_hotfix")


class Plan(NamedTuple):
    """The GitHub look-ups a run needs; each is made only when its answer is used."""

    pull_request_of: str | None = None
    previous_release_of: Release | None = None
    previous_deployment_of: Deployment | None = None
    compare: tuple[str, str] | None = None
    deployment_of: str | None = None
    #: The workflow file (path, ref) that tells which of a release's runs records it.
    workflow_file: tuple[str, str] | None = None
    merger_of_pull: bool = False
    #: The pull request the payload names, read for its labels, title and people.
    pull_request_number: int | None = None
    branch_check: str | None = None
    jobs_of: int | None = None
    job_of: int | None = None
    #: (workflow file name, run id, commit) of a run-based deploy: what ran before it.
    previous_run_of: tuple[str, int, str | None, str] | None = None
    #: (run id, attempt, commit) of a re-run: whether the attempt before it deployed the commit.
    previous_attempt_of: tuple[int, int, str] | None = None
    #: The workflow file (path, ref) of the Actions run that made the reported deployment.
    deploying_workflow: tuple[str, str] | None = None
    #: The final state of the reported run's deployment: its status decides the record's.
    deployment_state: bool = False
    #: How to find this job among the jobs of `jobs_of` (its id, else its runner's name), when
    #: it is the run this step runs in.
    check_run_id: int | None = None
    runner_name: str = ""
    #: Created in this window (else: during the run attempt the jobs look-up finds).
    deployment_window: Interval | None = None
    #: Environment names or patterns the deployment look-ups keep; empty keeps all but previews.
    environments: frozenset[str] = frozenset()
    #: The jobs measure the duration, so all of them are read; else only the attempt's start is.
    jobs_measure: bool = False
    #: Pages of jobs to read at most: the first, and as many more as the budget leaves room for;
    #: the pages left unread go to deployment statuses (which deployment is this job's).
    jobs_pages: int = 1
    #: Deployments whose statuses are read at most to find the last successful one.
    statuses_reads: int = 1
    #: Why no look-up is made at all ("" when they are): decided here, said in the summary.
    off: str = ""
    #: What the user is to hear of the plan: a warning ("" for none).
    warning: str = ""
    #: Look-ups (by their name above) left out to stay within the request budget.
    over_budget: frozenset[str] = frozenset()
    #: The repository's web address the event names, for the links a look-up's Source gives.
    home: str | None = None

    def why_not_made(self, steps: Iterable[str], what: str) -> str | None:
        """Why the look-up of `what` (by its names in this Plan) was not made: none could be, or the
        budget left it out; None when it was made (or was not wanted)."""
        if self.off:
            return f"no look-up of {what} was made ({self.off})"
        if set(steps) & self.over_budget:
            return f"the look-up of {what} was {FOR_THE_BUDGET}"
        return None

    def why_not(self, field: str) -> str | None:
        """Why no look-up gave `field`, one that only a look-up gives; see why_not_made."""
        return self.why_not_made(FIELDS_OF[field], LOOKED_UP_AS[field]) if field in FIELDS_OF else None

    def steps(self) -> list[str]:
        """The look-ups this plan makes."""
        return [name for name, _ in _PRIORITY if getattr(self, name)]


def request_budget(event_name: str, reading: Reading) -> int:
    """A tag push has a release's budget (its count compares with the previous release), a
    forced push one more than a branch push (its compare tells a rollback)."""
    if event_name == "push" and reading.previous_release_of is not None:
        return REQUEST_BUDGET["release"]
    if event_name == "push" and reading.value("is_forced") is True:
        return REQUEST_BUDGET["push"] + 1
    return REQUEST_BUDGET.get(event_name, DEFAULT_REQUEST_BUDGET)


def why_none(inputs: Inputs, runner: Runner) -> str:
    """Why no GitHub look-up can be made at all; "" when they can."""
    if not runner.repository:
        return "GITHUB_REPOSITORY is empty: not a GitHub repository's run"
    if not inputs.github_token:
        return NO_GITHUB_TOKEN
    return "" if runner.api_url else "GITHUB_API_URL is empty"


def plan_lookups(event_name: str, reading: Reading, inputs: Inputs, runner: Runner | None = None) -> Plan:
    """The look-ups whose answers the record would use (SPEC §5), within the run's budget; none
    when none can be made, and why (Plan.off). Without `runner`: as if every look-up can be made."""
    if runner is not None and (off := why_none(inputs, runner)):
        return Plan(off=off)
    wanted = _wanted(reading, inputs, runner.runner_name if runner else "")
    # Telling a deployment that its own workflow records (one request), or a re-run from a
    # redeploy (its attempt before it, and what runs now: four) costs requests of their own, so
    # the fields keep the event's budget.
    extra = (1 if wanted.deploying_workflow else 0) + (4 if wanted.previous_attempt_of else 0)
    budget = request_budget(event_name, reading) + extra
    plan = within_budget(wanted, budget)
    if not plan.steps():
        return plan._replace(off="nothing was left to look up")
    if runner is not None and (problem := api_url_problem(runner.api_url)):
        # A hand-set variable (the command on GitHub Enterprise Server, say): never a reason to
        # fail the run, but a look-up was wanted, so the user hears why none was made.
        return Plan(
            off=f"GITHUB_API_URL {problem}",
            warning=f"GITHUB_API_URL {problem}, so no GitHub look-up was made and the fields they fill "
            "fall back. Set it to the API's base URL (https://api.github.com, or "
            "https://HOST/api/v3 on GitHub Enterprise Server).",
        )
    return plan


def _wants_pulls(
    reading: Reading, overrides: Mapping[str, Any], given: Callable[[str], bool]
) -> tuple[bool, bool, bool]:
    """Whether the person behind a bot, the commit's PR, or the PR the payload names is wanted."""
    # A bot's deployment is credited to the person behind its pull request.
    people_known = reading.pull_request is not None and not reading.pull_request_partial
    wants_human = bool(reading.bot_member) and "member_id" not in overrides and not people_known
    wants_pull = reading.pull_request is None and (
        wants_human or not all(given(name) for name in _PULL_REQUEST_FIELDS)
    )
    # A pull request the payload names by number: read it for labels (is_fix, is_hotfix) and people.
    wants_named_pull = reading.pull_request_partial and (
        wants_human or not all(name in overrides for name in ("is_fix", "is_hotfix"))
    )
    return wants_human, wants_pull, wants_named_pull


def _wanted(reading: Reading, wants: Inputs, runner_name: str) -> Plan:
    overrides = wants.fields
    known = {**{k: v.value for k, v in reading.given.items() if v.value is not None}, **overrides}
    commit = known.get("commit_id")

    def given(name: str) -> bool:
        # branch and is_fix/is_hotfix are decided by the PR even when the event has a value.
        return name in overrides or (name in known and name not in ("branch", "is_fix", "is_hotfix"))

    wants_human, wants_pull, wants_named_pull = _wants_pulls(reading, overrides, given)
    wants_duration = "deployment_duration" not in known and wants.started_at is None
    # The run's deployment is looked for in a window: the payload's, else the run attempt's.
    wants_node = "deployment_node_id" not in known and bool(commit)
    wants_node = wants_node and (reading.deployment_window is not None or reading.jobs_of is not None)
    # A deployment_status's job is read for its time, and, when it failed, for whether it ever
    # started (a rejected or cancelled job's deployment shipped nothing).
    failed = known.get("status") == "fail"
    wants_job = reading.job_of is not None and (wants_duration or failed)
    jobs_measure = wants_duration and reading.job_of is None
    # A failed run's jobs tell whether the deployment's job ever started (a rejected approval).
    wants_jobs = jobs_measure or (wants_node and reading.deployment_window is None) or failed
    # A failed run's status is its deployment's, when it made one (a job after it may have failed).
    wants_state = wants_node and not reading.this_run and failed and "status" not in overrides
    # What ran before tells the count, a rollback, a redeploy and the commits that ship.
    wants_count = "commits_count" not in known or not {"is_fix", "is_hotfix"} <= set(overrides)
    # Another run of the workflow may be the one that records a release.
    gated = reading.release is not None and release_gate_needed(reading.release)
    return Plan(
        pull_request_of=commit if wants_pull and commit else None,
        previous_release_of=reading.previous_release_of if wants_count else None,
        previous_deployment_of=reading.previous_deployment_of if wants_count else None,
        previous_run_of=(*reading.previous_run_of, commit)
        if reading.previous_run_of and wants_count and commit
        else None,
        compare=reading.compare if wants_count else None,
        # This job's deployment is made at the run's commit, whatever commit it deploys.
        deployment_of=(reading.run_sha or commit) if wants_node else None,
        deployment_state=wants_state,
        deploying_workflow=reading.deploying_workflow,
        workflow_file=reading.workflow_file if gated else None,
        merger_of_pull=wants_human and bool(commit) and reading.pull_request is None,
        pull_request_number=reading.pull_request.number
        if wants_named_pull and reading.pull_request
        else None,
        branch_check=reading.branch_to_check if "branch" not in overrides else None,
        jobs_of=reading.jobs_of if wants_jobs else None,
        job_of=reading.job_of if wants_job else None,
        check_run_id=wants.check_run_id if reading.this_run else None,
        runner_name=runner_name if reading.this_run else "",
        deployment_window=reading.deployment_window if wants_node else None,
        environments=wants.environments,
        jobs_measure=jobs_measure,
        # A re-run of an attempt that deployed this commit successfully is a redeploy.
        previous_attempt_of=(*reading.rerun_of, commit)
        if reading.rerun_of and commit and not wants.redeploys
        else None,
        home=reading.value("repository_url"),
    )


# Look-ups in the order they are kept when the budget is short, with their cost in requests:
# whether the run records at all, then the fields iftrue requires or relies on most.
_PRIORITY = (
    ("workflow_file", 1),
    # The workflow that made a reported deployment: whether it records the deployment itself.
    ("deploying_workflow", 1),
    # A re-run's attempt before it: whether this run records at all.
    ("previous_attempt_of", 1),
    # A deployment_status's job: whether anything shipped, and how long it took.
    ("job_of", 1),
    ("pull_request_of", 1),
    ("pull_request_number", 1),
    # member_id is required: the person behind a bot's deployment before the other fields.
    ("merger_of_pull", 1),
    ("jobs_of", 1),
    ("deployment_of", 1),
    ("deployment_state", 1),
    ("branch_check", 1),
    ("previous_release_of", 2),
    # The deployments list, the statuses of the newest earlier one, the compare (a run without
    # GitHub deployments: its workflow's last successful run and the compare).
    ("previous_deployment_of", 3),
    ("previous_run_of", 3),
    ("compare", 1),
)
# A name shaped like a version (`v2.3.0`, a rollback deployed by its tag) is checked last: if it
# is no branch, the default branch stands in as it would without the check.
_VERSION_NAME = re.compile(r"v?\d+(\.\d+)+([-+].*)?", re.IGNORECASE)


def within_budget(plan: Plan, budget: int) -> Plan:
    """The plan without the look-ups that would take the run over its request budget; each
    one left out says so."""
    kept: dict[str, Any] = {}
    dropped = set()
    used = 0
    priority: tuple[tuple[str, int], ...] = _PRIORITY
    if plan.branch_check and _VERSION_NAME.fullmatch(plan.branch_check):
        priority = (*(step for step in _PRIORITY if step[0] != "branch_check"), ("branch_check", 1))
    for name, cost in priority:
        value = getattr(plan, name)
        if value and used + cost <= budget:
            kept[name] = value
            used += cost
        elif value:
            dropped.add(name)
    if not kept.get("jobs_of") and plan.deployment_window is None:
        kept.pop("deployment_of", None)  # the run attempt's start tells which deployment is its own
    if not kept.get("pull_request_of"):
        kept.pop("merger_of_pull", None)
    if not kept.get("deployment_of"):
        kept.pop("deployment_state", None)
    # Requests the kept look-ups leave unused read further pages of a long jobs list.
    spare = max(0, budget - sum(cost for name, cost in _PRIORITY if name in kept))
    jobs = "jobs_of" in kept
    return Plan(
        **kept,
        deployment_window=plan.deployment_window if "deployment_of" in kept else None,
        check_run_id=plan.check_run_id if jobs else None,
        runner_name=plan.runner_name if jobs else "",
        environments=plan.environments,
        jobs_pages=1 + spare if jobs else 1,
        statuses_reads=1 + spare if "previous_deployment_of" in kept or "previous_run_of" in kept else 1,
        over_budget=frozenset(dropped),
        jobs_measure=plan.jobs_measure and jobs,
        home=plan.home,
    )
