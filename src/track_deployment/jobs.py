"""A run's jobs and deployments: when they ran, which job is this one, which deployment is its own.

The rules are pure functions over the jobs list GitHub gives; the fetchers read it through
`GitHub.attempt`, so a failure falls back like every look-up.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, NamedTuple

from .errors import LookupFailed
from .gate import nothing_shipped
from .github import GitHub, Notes, next_page
from .model import Found, Interval, Job, Source, Sourced, left_out, utc, web_path
from .plan import Plan
from .schema import final_outcome

# The most jobs GitHub lists per page.
JOBS_PER_PAGE = 100

# A deployment counts as made in a run's window up to this long before the window's start:
# the start is a job's or run's time from GitHub Actions and the deployment's time comes from
# the deployments API, two services whose clocks and order of writing GitHub does not promise.
WINDOW_TOLERANCE = timedelta(seconds=60)

# Steps that prepare a job and ship nothing: the runner's own, and a checkout of the code.
_SET_UP_STEP = re.compile(r"set up job|.*\bcheck ?out\b.*", re.IGNORECASE)


def minutes_ran(intervals: tuple[Interval, ...], now: datetime) -> float | None:
    """Minutes covered by the union of the intervals, a running one up to now; None if none.

    Waits between jobs (a queue, an environment's required reviewers) are not covered by any
    job, so they do not count; parallel jobs count once.
    """
    spans = sorted((utc(start), max(utc(start), utc(end or now))) for start, end in intervals)
    if not spans:
        return None
    total = 0.0
    current_start, current_end = spans[0]
    for start, end in spans[1:]:
        if start > current_end:
            total += (current_end - current_start).total_seconds()
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    total += (current_end - current_start).total_seconds()
    return round(total / 60, 2)


def time_of(value: Any) -> datetime | None:
    return utc(datetime.fromisoformat(value)) if isinstance(value, str) and value else None


def job_interval(job: Mapping[str, Any]) -> Interval | None:
    """When a job ran on a runner, as the jobs list gives it: a running one is open-ended; one
    that never reached a runner (queued, waiting for an environment's reviewers, cancelled or
    rejected while waiting) has none.

    A job's own `started_at` may be when it was queued, not when a runner took it: GitHub's
    documented example has `started_at` equal to `created_at`, and a job that goes from queued
    to in_progress keeps its `started_at`. Its first step ("Set up job") starts on the runner,
    so that step's start is taken; the job's `started_at` only for a job that had a runner and
    lists no steps.
    """
    steps = job.get("steps")
    step_starts = (time_of(step.get("started_at")) for step in steps or () if isinstance(step, dict))
    started = min((moment for moment in step_starts if moment is not None), default=None)
    if started is None and (job.get("runner_id") or job.get("runner_name")):
        started = time_of(job.get("started_at"))
    if started is None:
        return None
    if job.get("status") == "in_progress":
        return started, None
    if job.get("status") == "completed":
        return started, time_of(job.get("completed_at")) or started
    return None


def job_of(raw: Mapping[str, Any], this: bool = False) -> Job:
    ran = job_interval(raw)
    return Job(
        id=raw.get("id") if isinstance(raw.get("id"), int) else None,
        name=str(raw.get("name") or ""),
        created_at=time_of(raw.get("created_at")),
        started_at=ran[0] if ran else None,
        completed_at=time_of(raw.get("completed_at")),
        status=str(raw.get("status") or ""),
        conclusion=raw.get("conclusion") if isinstance(raw.get("conclusion"), str) else None,
        this_job=this,
    )


def find_this_job(
    jobs: Sequence[Job], check_run_id: int | None, runner_name: str, listed: Sequence[Mapping[str, Any]]
) -> int | None:
    """The index of the job this step runs in: by its id, else the one job in progress on this
    step's runner (a runner runs one job at a time)."""
    if check_run_id is not None:
        return next((i for i, job in enumerate(jobs) if job.id == check_run_id), None)
    if not runner_name:
        return None
    mine = [
        i
        for i, (job, raw) in enumerate(zip(jobs, listed, strict=True))
        if job.status == "in_progress" and raw.get("runner_name") == runner_name
    ]
    return mine[0] if len(mine) == 1 else None


def only_records(listed: Sequence[Mapping[str, Any]], this: int) -> str | None:
    """Why nothing but this step did work in the run, or None when something else did (or it
    cannot be told): no other job ran on a runner, and this job's steps before the running one
    (this step) only set the job up or checked out code (`Set up job`, `Run actions/checkout@v4`).
    """
    if any(job_interval(job) is not None for i, job in enumerate(listed) if i != this):
        return None
    steps = [step for step in listed[this].get("steps") or () if isinstance(step, dict)]
    before = []
    for step in steps:
        if step.get("status") != "completed":
            break
        before.append(str(step.get("name") or ""))
    if not before or len(before) == len(steps) or not all(_SET_UP_STEP.fullmatch(name) for name in before):
        return None
    name = listed[this].get("name")
    return f"job '{name}' is the only job that ran, and before this step it ran only {', '.join(before)}"


class RunJobs(NamedTuple):
    """A run's jobs as the jobs look-up read them."""

    jobs: tuple[Job, ...]
    #: When the first of them was created: the run's start, bounding its deployments.
    began: datetime | None
    #: The index of this step's job in `jobs`, when found.
    this: int | None
    pages: int
    #: The time they ran (None when they do not measure it), or why it is unknown.
    duration: Sourced | None = None
    #: A job failed without ever starting and none that ran failed: why nothing shipped.
    rejected: str | None = None

    @property
    def this_job(self) -> Job | None:
        return self.jobs[self.this] if self.this is not None else None


def _run_duration(
    listed: list[dict[str, Any]],
    unread: int | None,
    this: int | None,
    plan: Plan,
    now: datetime,
    notes: Notes,
) -> Sourced:
    """The time the run's jobs ran, waits not counted; else why it is unknown, told the user too."""
    if unread:
        notes.warnings.append(
            f"Run {plan.jobs_of} has {unread} more jobs than the action reads within its budget of "
            "GitHub requests, so no deployment_duration is sent. Set the `started_at` input (e.g. from "
            "`date +%s` in the first step of the deploy job) to measure the deployment."
        )
        return left_out(f"unknown: the run has {unread} more jobs than the action reads within its budget")
    if this is not None and (recorder := only_records(listed, this)):
        why = f"unknown: nothing but this step ran ({recorder})"
        notes.notices.append(
            f"deployment_duration is {why}, so the deployment happened elsewhere and no duration is sent. "
            "Set the `started_at` or `deployment_duration` input to give one."
        )
        return left_out(why)
    ran = tuple(interval for interval in map(job_interval, listed) if interval is not None)
    if not ran:
        return left_out("unknown: no job of the run has run yet")
    run = web_path(plan.home, f"actions/runs/{plan.jobs_of}")
    detail = "the time the run's jobs ran, waits not counted"
    return Sourced(minutes_ran(ran, now), Source("look-up", detail, run))


def _run_jobs(
    listed: list[dict[str, Any]], unread: int | None, pages: int, plan: Plan, now: datetime, notes: Notes
) -> RunJobs:
    jobs = [job_of(raw) for raw in listed]
    this = find_this_job(jobs, plan.check_run_id, plan.runner_name, listed)
    if this is not None:
        jobs[this] = jobs[this]._replace(this_job=True)
    created = (
        job.created_at or time_of(raw.get("started_at")) for job, raw in zip(jobs, listed, strict=True)
    )
    began = min((moment for moment in created if moment is not None), default=None)
    duration = _run_duration(listed, unread, this, plan, now, notes) if plan.jobs_measure else None
    return RunJobs(tuple(jobs), began, this, pages, duration, None if unread else rejected(listed))


def _failed(job: Mapping[str, Any]) -> bool:
    """The job failed, or one of its steps did (this job, still running, has no conclusion yet)."""
    steps = [step for step in job.get("steps") or () if isinstance(step, dict)]
    return final_outcome(job.get("conclusion")) == "fail" or any(
        s.get("conclusion") == "failure" for s in steps
    )


def rejected(listed: Sequence[Mapping[str, Any]]) -> str | None:
    """Why a failed run shipped nothing: a job that failed without ever reaching a runner (its
    environment's reviewers rejected it, or their approval timed out), and no job that ran failed."""
    ran_and_failed = any(job_interval(job) is not None and _failed(job) for job in listed)
    never = [
        job
        for job in listed
        if job.get("status") == "completed"
        and job_interval(job) is None
        and job.get("conclusion") == "failure"
    ]
    if ran_and_failed or not never:
        return None
    return nothing_shipped(
        f"the run's job '{never[0].get('name')}' failed without ever starting (its environment's reviewers "
        "rejected it, or their approval timed out), and no job that ran failed"
    )


def _pages(gh: GitHub, plan: Plan) -> Iterator[tuple[list[dict[str, Any]], Any]]:
    path = f"/actions/runs/{plan.jobs_of}/jobs"
    parameters: dict[str, Any] | None = {"per_page": JOBS_PER_PAGE}
    for _ in range(plan.jobs_pages):
        headers, data = gh.get(path, parameters)
        if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
            raise LookupFailed("unexpected answer (no jobs list)")
        yield [job for job in data["jobs"] if isinstance(job, dict)], data.get("total_count")
        following = next_page(headers)
        if following is None:
            return
        gh.spare -= 1
        path, parameters = following, None  # the next link carries the parameters


def read_run_jobs(gh: GitHub, plan: Plan, now: datetime) -> RunJobs | None:
    """The run's jobs: the latest execution of each, so a job that "re-run failed jobs" carried
    over from an earlier attempt counts (the list's default `filter=latest`; GitHub docs, "List
    jobs for a workflow run").

    All pages are read when they measure the duration and fit in `plan.jobs_pages` (the first
    page's `total_count` tells); else pages are read only until they give the run's start and
    this job. The run's `run_started_at` would cost one more request (the run), which this list
    replaced; its first job is created moments after it, before any deployment a job makes.
    """
    readable = plan.jobs_pages * JOBS_PER_PAGE
    finding = plan.check_run_id is not None or bool(plan.runner_name)

    def read() -> RunJobs:
        listed: list[dict[str, Any]] = []
        unread: int | None = None
        read_pages = 0
        for jobs, total in _pages(gh, plan):
            listed += jobs
            read_pages += 1
            if isinstance(total, int) and total > readable:
                unread = total - readable
            found = not finding or (
                find_this_job([job_of(j) for j in listed], plan.check_run_id, plan.runner_name, listed)
                is not None
            )
            if listed and found and (unread is not None or not plan.jobs_measure):
                break
        return _run_jobs(listed, unread, read_pages, plan, now, gh.notes)

    # Name only the fields this list would have given.
    fields: tuple[str, ...] = ("deployment_duration",) if plan.jobs_measure else ()
    if plan.deployment_of and plan.deployment_window is None:
        fields += ("deployment_node_id",)
    return gh.attempt("jobs_of", f"jobs of run {plan.jobs_of}", fields, "actions: read", read)


def read_deploying_job(gh: GitHub, job_id: int, now: datetime) -> Found:
    """The job a deployment_status names (its check run id is the job's id): when it ran, and
    whether it never started (nothing shipped)."""

    def read() -> dict[str, Any]:
        _, data = gh.get(f"/actions/jobs/{job_id}")
        if not isinstance(data, dict):
            raise LookupFailed("unexpected answer (no job)")
        return data

    raw = gh.attempt("job_of", f"job {job_id}", ("deployment_duration",), "actions: read", read)
    if raw is None:
        return Found()
    job = job_of(raw)
    ran = job_interval(raw)
    if ran is None:
        duration = left_out("unknown: the deployment's job has not run on a runner")
    else:
        detail = f"the time job {job.name} ({job.id}) ran, waits not counted"
        duration = Sourced(minutes_ran((ran,), now), Source("look-up", detail))
    why = None
    if ran is None and job.status == "completed":
        # Rejected by a reviewer or cancelled while it waited: it never had a runner or a step.
        ended = f" (it ended {job.conclusion})" if job.conclusion else ""
        why = nothing_shipped(f"the deployment's job '{job.name}' ({job_id}) never started{ended}")
    return Found(MappingProxyType({"deployment_duration": duration}), jobs=(job,), never_started=why)
