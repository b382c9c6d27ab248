"""The GitHub look-ups a Plan asks for (SPEC §5): each fetcher, the rule that chooses among its
answers, and `look_up`, which makes them in an order that lets later ones use earlier answers.

A failed look-up never fails the run: its field falls back, and one warning says why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from .deployments import read_final_state, read_run_deployment
from .errors import LookupFailed
from .events import PullRequest as PullJSON
from .gate import release_types
from .github import LOOKUP_FAILED, GitHub, Notes
from .jobs import WINDOW_TOLERANCE, RunJobs, read_deploying_job, read_run_jobs
from .model import (
    Before,
    Deployment,
    Found,
    Interval,
    PullRequest,
    Source,
    Sourced,
    left_out,
    web,
)
from .plan import LOOKED_UP_AS, Plan
from .previous import Counted, Counting


def choose_pull(pulls: Sequence[PullRequest], sha: str) -> PullRequest | None:
    """The PR whose merge commit is `sha`, else the first merged one, else the first."""
    for pull in pulls:
        if pull.merge_commit_sha and pull.merge_commit_sha.lower() == sha.lower():
            return pull
    return next((pull for pull in pulls if pull.merged), pulls[0] if pulls else None)


def pull_of(raw: Any) -> PullRequest:
    """A pull request as GitHub's REST API gives it."""
    return PullJSON.model_validate(raw).shared()


def read_release_types(gh: GitHub, path: str, ref: str) -> frozenset[str] | None:
    def read() -> frozenset[str] | None:
        _, data = gh.get(f"/contents/{quote(path)}", {"ref": ref})
        content = data.get("content") if isinstance(data, dict) else None
        if not isinstance(content, str):
            raise LookupFailed("unexpected answer (no file content)")
        import base64

        return release_types(base64.b64decode(content).decode())

    fields = ("whether this run records the release (it records, which may count the release twice)",)
    return gh.attempt("workflow_file", f"workflow file {path}", fields, "contents: read", read)


_PULL_FIELDS = ("pull_request_number", "branch", "title", "is_fix", "is_hotfix")


def read_pull_of_commit(gh: GitHub, sha: str, merger: bool) -> PullRequest | None:
    """The PR of a commit; who merged it too when asked (the commit's PR list has no `merged_by`)."""
    pulls = gh.attempt(
        "pull_request_of",
        f"PR of commit {sha[:7]}",
        _PULL_FIELDS,
        "pull-requests: read",
        lambda: [pull_of(p)._replace(merged_by=None) for p in gh.get_list(f"/commits/{sha}/pulls")],
    )
    chosen = choose_pull(pulls or [], sha)
    # Only a merged PR has a merger: an open one's answer would be of no use.
    if chosen is not None and merger and chosen.merged and chosen.number is not None:
        detail = read_pull(gh, "merger_of_pull", chosen.number, ("member_id",))
        chosen = chosen._replace(merged_by=detail.merged_by if detail else None)
    return chosen


def read_pull(gh: GitHub, step: str, number: int, fields: tuple[str, ...]) -> PullRequest | None:
    """The PR itself: only it tells who merged it."""
    return gh.attempt(
        step, f"PR #{number}", fields, "pull-requests: read", lambda: pull_of(gh.get(f"/pulls/{number}")[1])
    )


def read_is_branch(gh: GitHub, name: str) -> bool | None:
    """Whether `name` is a branch; a 404 says it is not (a tag, or gone)."""
    from github import GithubException

    def ask() -> bool:
        try:
            gh.get(f"/branches/{quote(name)}")
        except GithubException as exc:
            if exc.status == 404:
                return False
            raise
        return True

    return gh.attempt("branch_check", f"branch {name}", ("branch",), "contents: read", ask)


def read_attempt(gh: GitHub, run_id: int, number: int) -> Before | None:
    """Attempt `number` of run `run_id`: at which commit, and whether it succeeded.

    A re-run's own run is listed as in progress, so the list of successful runs never shows the
    attempt that succeeded before it (GitHub REST, get a workflow run attempt, asks for it alone).
    """

    def read() -> Before:
        # Its pull requests: a list of up to 50 that nothing here reads.
        _, data = gh.get(f"/actions/runs/{run_id}/attempts/{number}", {"exclude_pull_requests": "true"})
        if not isinstance(data, dict) or not isinstance(data.get("head_sha"), str):
            raise LookupFailed("unexpected answer (no head_sha)")
        return Before(
            data["head_sha"],
            f"attempt {number} of this run",
            "this run",
            link=web(data.get("html_url")),
            succeeded=data.get("conclusion") == "success",
        )

    fields = ("whether this re-run is a redeploy",)
    return gh.attempt(
        "previous_attempt_of", f"attempt {number} of run {run_id}", fields, "actions: read", read
    )


def _counting(plan: Plan, gh: GitHub) -> Counting:
    step = ("previous_release_of", "previous_deployment_of", "compare", "previous_run_of")
    return Counting(gh, next((s for s in step if getattr(plan, s)), ""), plan.home)


def _count(counting: Counting, plan: Plan) -> Counted | None:
    """The commit count and what ran before, by the counting look-up of the event's own kind."""
    if plan.previous_release_of:
        return counting.since_release(plan.previous_release_of)
    if plan.previous_deployment_of:
        return counting.since_deployment(plan.previous_deployment_of)
    if plan.compare:
        return counting.compare(*plan.compare)
    return None


def _deciding(gh: GitHub, plan: Plan, recording: Callable[[Found], bool], now: datetime) -> Found:
    """The look-ups that tell whether the run records at all, each only while it still may:
    which run records a release, the attempt before a re-run, whether a deployment's job started."""
    found = Found()
    if plan.workflow_file:
        found = found._replace(release_types=read_release_types(gh, *plan.workflow_file))
    if plan.deploying_workflow and recording(found):
        found = found._replace(recorded_by=read_recorded_by(gh, *plan.deploying_workflow))
    if plan.previous_attempt_of and recording(found):
        found = found._replace(earlier_attempt=read_attempt(gh, *plan.previous_attempt_of[:2]))
    if plan.job_of and recording(found):
        job = read_deploying_job(gh, plan.job_of, now)
        found = found._replace(fields=job.fields, jobs=job.jobs, never_started=job.never_started)
    return found


# A step that uses this action, in either of its forms: `uses: iftrue/track-deployment@v1`.
_USES_THIS_ACTION = re.compile(
    r"^\s*-?\s*uses:\s*['\"]?iftrue/track-deployment(/native)?@", re.MULTILINE | re.IGNORECASE
)


def read_recorded_by(gh: GitHub, path: str, ref: str) -> str | None:
    """The workflow that made a reported deployment, when it records its deployments itself with
    this action: that run records this deployment, and this one would count it twice."""

    def read() -> str | None:
        _, data = gh.get(f"/contents/{quote(path)}", {"ref": ref})
        content = data.get("content") if isinstance(data, dict) else None
        if not isinstance(content, str):
            raise LookupFailed("unexpected answer (no file content)")
        import base64

        text = base64.b64decode(content).decode(errors="replace")
        return path if _USES_THIS_ACTION.search(text) else None

    fields = ("whether the workflow that deployed records it itself (it may be recorded twice)",)
    return gh.attempt("deploying_workflow", f"workflow file {path}", fields, "contents: read", read)


def _run_deployment(
    gh: GitHub, plan: Plan, run_jobs: RunJobs | None, window: Interval | None
) -> tuple[Found, Deployment | None]:
    """This run's (or the reported run's) deployment: its node id, where it deployed, and for a
    reported run the state its deployment ended in; and the deployment itself."""
    if not plan.deployment_of:
        return Found(), None
    if window is None:
        why = "unknown: the run lists no jobs, so when it ran, and its deployment, are unknown"
        return Found(MappingProxyType({"deployment_node_id": left_out(why)})), None
    found, deployment = read_run_deployment(gh, plan, window, run_jobs)
    if deployment and plan.deployment_state and (state := read_final_state(gh, deployment)):
        found = found._replace(fields=MappingProxyType({**found.fields, "status": state}))
    return found, deployment


def _the_rest(gh: GitHub, plan: Plan, found: Found, now: datetime) -> Found:
    """The look-ups that fill the record's fields, once the run is known to record."""
    pull: PullRequest | None = None
    if plan.pull_request_of:
        pull = read_pull_of_commit(gh, plan.pull_request_of, plan.merger_of_pull)
    elif plan.pull_request_number is not None:
        pull = read_pull(
            gh, "pull_request_number", plan.pull_request_number, ("member_id", "is_fix", "is_hotfix")
        )
    run_jobs: RunJobs | None = read_run_jobs(gh, plan, now) if plan.jobs_of else None
    window = plan.deployment_window or ((run_jobs.began, None) if run_jobs and run_jobs.began else None)
    is_branch = None
    if plan.branch_check and not (pull and pull.head_ref):
        is_branch = read_is_branch(gh, plan.branch_check)
    counting = _counting(plan, gh)
    counted = _count(counting, plan)
    deployed, deployment = _run_deployment(gh, plan, run_jobs, window)
    if plan.previous_run_of:
        # Deployments made earlier in this run (a `migrate` job before `deploy`) are not what ran
        # before it: what counts is what the environment ran when the run began.
        began = window[0] - WINDOW_TOLERANCE if window else None
        counted = counting.since_run(plan.previous_run_of, deployment, began)
    fields = {**found.fields, **deployed.fields}
    if run_jobs is not None and run_jobs.duration is not None:
        fields["deployment_duration"] = run_jobs.duration
    if counted is not None:
        fields["commits_count"] = counted[0]
    return deployed._replace(
        fields=MappingProxyType(_after_failures(fields, gh)),
        never_started=found.never_started,
        release_types=found.release_types,
        earlier_attempt=found.earlier_attempt,
        recorded_by=found.recorded_by,
        rejected=run_jobs.rejected if run_jobs else None,
        pull_request=pull,
        no_pull_request=_why_no_pull(gh, plan, pull),
        is_branch=is_branch,
        jobs=run_jobs.jobs if run_jobs else found.jobs,
        before=counted[1] if counted else None,
    )


def _why_no_pull(gh: GitHub, plan: Plan, pull: PullRequest | None) -> Source | None:
    """What the look-up of the commit's pull request says when it gives none: GitHub knows none
    (a look-up's answer), or it failed (its warning says why)."""
    if not plan.pull_request_of or pull is not None:
        return None
    if "pull_request_of" in gh.failed_steps:
        return Source("left out", "the look-up of its pull request failed (see the look-up warning)")
    return Source("look-up", f"GitHub knows no pull request of commit {plan.pull_request_of[:7]}")


def _after_failures(fields: dict[str, Sourced], gh: GitHub) -> dict[str, Sourced]:
    """A field that a failed look-up would have given, and no other gave: which look-up failed
    (the jobs list, say, whose run bounds the deployment look-up); its warning says why."""
    for failure in gh.notes.failures:
        for name in set(failure.fields) & set(LOOKED_UP_AS):
            if name not in fields or fields[name].value is None:
                fields[name] = left_out(LOOKUP_FAILED.format(failure.what))
    return fields


def look_up(plan: Plan, gh: GitHub, recording: Callable[[Found], bool], now: datetime) -> tuple[Found, Notes]:
    """Make the planned look-ups by the GitHub session's deadline: a look-up still under way then
    fails, and those after it are not tried. A duration is measured up to `now`.

    The look-ups that decide whether the run records come first; `recording` (the gate) tells
    whether the rest are worth their requests.
    """
    gh.spare = plan.statuses_reads - 1
    found = _deciding(gh, plan, recording, now)
    if recording(found):
        found = _the_rest(gh, plan, found, now)
    return found, gh.notes
