"""What each event says about the deployment: one reader per row of SPEC §4. No I/O here.

A reader gives each field it knows with its Source, and for a field the event cannot give,
why; the gate has already turned away every event that is not a deployment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import MappingProxyType
from typing import Any, NamedTuple

from .errors import EventError
from .events import (
    Account,
    DeploymentEvent,
    Event,
    PullRequestEvent,
    PushEvent,
    ReleaseEvent,
    WorkflowRunEvent,
)
from .inputs import Runner
from .model import (
    Before,
    Commit,
    Deployment,
    Given,
    PullRequest,
    Reading,
    Release,
    Shipped,
    Source,
    Sourced,
    branch_of,
    first_present,
    is_bot,
    is_sha,
    is_tag,
    left_out,
    minutes_between,
    present,
    pull_request_of_title,
    short_ref,
    sourced,
    utc,
    workflow_file,
)
from .schema import STATUS_WORDS, Status, final_outcome, first_line

# GitHub lists at most this many commits in a push payload (webhook docs, push event).
PUSH_COMMITS_CAP = 2048

_ZERO_SHA = re.compile(r"0{40}|0{64}")
# A deployment whose final status came this soon after it was created was not timed by anything.
_MEASURED_SECONDS = 10
# Events whose own run is not the deployment: a deployment_status is timed by the job that
# deployed, a workflow_run by the upstream run it reports.
_NOT_RUN_BASED = ("deployment_status", "workflow_run")


def _branch_given(where: str, ref: str | None) -> Given | Source | None:
    """The event's branch, or why the ref it names is none (the default branch then stands in)."""
    if not present(ref):
        return None
    assert ref is not None
    if branch := branch_of(ref):
        return where, branch
    kind = "a tag" if is_tag(ref) else "a commit" if is_sha(ref) else "no branch"
    return Source("rule", f"{where} `{ref}` is {kind}")


def _credited(*candidates: tuple[str, Account | None]) -> tuple[str, Account] | None:
    """The first account with an id, and where the event gives it."""
    return next(((where, a) for where, a in candidates if a is not None and a.id is not None), None)


def _require(value: Any, event_name: str, part: str) -> Any:
    if value is None:
        raise EventError(
            f"The {event_name} event has no '{part}' object; the event file is not a {event_name} payload."
        )
    return value


class _Read(NamedTuple):
    """A reader's answer: the Reading and the account the event credits (None: the sender's)."""

    reading: Reading
    member: tuple[str, Account | None] | None = None


def _release(event: ReleaseEvent, runner: Runner, name: str) -> _Read:
    release = _require(event.release, name, "release")
    tag = release.tag_name or ""
    this = Release(
        id=release.id,
        tag=tag,
        prerelease=bool(release.prerelease),
        published_at=release.published_at or release.created_at,
        action=event.action,
    )
    given = sourced(
        {
            "commit_id": ("GITHUB_SHA", runner.sha),
            "branch": _branch_given("release.target_commitish", release.target_commitish),
            "title": [("release.name", release.name), ("release.tag_name", release.tag_name)],
            "changelog": ("release.body", release.body)
            if present(release.body)
            else Source("left out", "the release has no notes"),
            "url": ("release.html_url", release.html_url),
        }
    )
    reading = Reading(
        given=given,
        previous_release_of=this if tag else None,
        deployed_name=tag or None,
        release=this,
        workflow_file=workflow_file(runner.workflow_ref, runner.repository),
    )
    return _Read(reading, ("release.author", release.author))


def _deployment_status(event: DeploymentEvent, runner: Runner, name: str) -> dict[str, Sourced]:
    """What a deployment_status adds to its deployment: the state, the link and, for a deployment
    no Actions job made, the time from its creation to this status."""
    deployment = event.deployment
    status = _require(event.deployment_status, name, "deployment_status")
    # An Actions job's deployment names the job and its run (GitHub adds `check_run` and
    # `workflow_run`): it is timed by the job, as the approval wait before it is no deployment.
    timed = event.check_run is None and event.workflow_run is None
    minutes = minutes_between(deployment.created_at if deployment else None, status.created_at)
    duration: Given | Source | None = None
    if timed and minutes is not None and minutes * 60 < _MEASURED_SECONDS:
        # Argo CD notifications and scripts create a deployment with its final status: nothing
        # measured how long it took.
        duration = Source(
            "left out",
            f"created with its final status ({minutes * 60:.0f} s apart): nothing timed the deployment",
        )
    elif timed:
        duration = ("deployment_status.created_at - deployment.created_at", minutes)
    return sourced(
        {
            "status": (
                f"deployment_status.state `{status.state}`",
                STATUS_WORDS.get((status.state or "").lower()),
            ),
            "url": [
                ("deployment_status.log_url", status.log_url),
                ("deployment_status.target_url", status.target_url),
                ("deployment_status.environment_url", status.environment_url),
                ("this run's URL", runner.run_url),
            ],
            "deployment_duration": duration,
        }
    )


def _deployment(event: DeploymentEvent, runner: Runner, name: str) -> _Read:
    deployment = _require(event.deployment, name, "deployment")
    sha = first_present(deployment.sha)
    environment = first_present(deployment.environment)
    given = sourced(
        {
            "commit_id": ("deployment.sha", sha),
            "branch": _branch_given("deployment.ref", deployment.ref),
            "title": [
                ("deployment.description", deployment.description),
                (
                    Source("rule", "Deploy {sha7} to {environment}: the deployment has no description"),
                    f"Deploy {sha[:7]} to {environment or 'an environment'}" if sha else None,
                ),
            ],
            "changelog": Source("left out", "a deployment has no changelog"),
            "url": ("this run's URL", runner.run_url),
            "deployment_node_id": ("deployment.node_id", deployment.node_id),
        }
    )
    job = run = starter = None
    workflow: tuple[str, str] | None = None
    if name == "deployment_status":
        given.update(_deployment_status(event, runner, name))
        job = event.check_run.id if event.check_run else None
        run = event.workflow_run.id if event.workflow_run else None
        # The person who started the deploying run, not the app that created the deployment.
        starter = event.workflow_run.triggering_actor if event.workflow_run else None
    # A deployment an Actions run made names the run (deployment and deployment_status alike).
    made_by = event.workflow_run
    if made_by is not None and made_by.path and (made_by.head_sha or made_by.head_branch):
        workflow = (made_by.path, made_by.head_sha or made_by.head_branch or "")
    branch = branch_of(deployment.ref)
    short = not (deployment.ref or "").startswith("refs/")
    ref = first_present(deployment.ref)
    reading = Reading(
        given=given,
        previous_deployment_of=Deployment(deployment.id, sha, environment, deployment.created_at)
        if sha and environment
        else None,
        deployed_name=short_ref(ref) if ref else None,
        job_of=job,
        jobs_of=run if job is None else None,
        branch_to_check=branch if short and branch != _default_branch(event) else None,
        deploying_workflow=workflow,
    )
    member = _credited(("workflow_run.triggering_actor", starter), ("deployment.creator", deployment.creator))
    return _Read(reading, member)


def _default_branch(event: Event) -> str | None:
    return first_present(event.repository.default_branch if event.repository else None)


def _push_count(event: PushEvent, commits: list[Any]) -> tuple[Given | Source | None, Reading]:
    """A push's commit count, or what tells it: a compare, the previous release, or nothing.

    A new ref's `commits` lists only what no other branch had, and a tag's lists nothing: the
    count comes from a compare, or is left out (never a guessed 0). A new branch's first push
    deploys nothing new against the branch it was cut from: comparing with that one would send 0,
    so it sends none.
    """
    ref = event.ref or ""
    short = short_ref(ref) or None
    before, after = first_present(event.before), first_present(event.after)
    created, tag = bool(before and _ZERO_SHA.fullmatch(before)), is_tag(ref)
    if tag and created:
        release = Release(id=None, tag=short or "") if short else None
        return None, Reading(previous_release_of=release)
    if created:
        return Source("left out", "a new branch's first push: no deployment of it to count from"), Reading()
    if len(commits) >= PUSH_COMMITS_CAP or tag or (event.forced and not commits):
        # A forced push back to an ancestor lists no commits: its compare says `behind`.
        compare = (before, after) if before and after else None
        where = short or "the branch"
        base = Before(before or "", f"{where} before this push", where) if compare else None
        uncounted = (
            Source("left out", "a forced push that lists no commits: only its compare tells")
            if event.forced and not commits
            else None
        )
        return uncounted, Reading(compare=compare, compare_base=base)
    return (f"commits ({len(commits):,} listed)", len(commits)), Reading()


def _push(event: PushEvent, runner: Runner, name: str) -> _Read:
    ref = event.ref or ""
    short = short_ref(ref) or None
    commits = [commit for commit in event.commits or () if commit is not None]
    head_line = first_line(event.head_commit.message if event.head_commit else None)
    changelog = "\n".join(
        f"- {(commit.id or '')[:7]} {first_line(commit.message) or ''}".rstrip() for commit in commits
    )
    created, tag = bool(event.before and _ZERO_SHA.fullmatch(event.before)), is_tag(ref)
    count, counting = _push_count(event, commits)
    given = sourced(
        {
            # `after` of an annotated tag's push is the tag object, not a commit.
            "commit_id": [
                ("head_commit.id", event.head_commit.id if event.head_commit else None),
                ("after", first_present(event.after)),
            ],
            # A tag or a new branch has no branch merged into it: the PR's head or the default branch.
            "branch": Source("rule", f"the push created {short or 'its ref'}: no branch was merged into it")
            if created
            else _branch_given("ref", ref),
            "title": [
                ("head_commit.message (first line)", head_line),
                (Source("rule", "Push to {ref}: no head commit"), f"Push to {short or 'the repository'}"),
            ],
            "changelog": ("commits, a line each", changelog)
            if changelog
            else Source("left out", "the push lists no commits"),
            "url": ("this run's URL", runner.run_url),
            "is_forced": ("forced", True)
            if event.forced
            else Source("left out", "not forced: not a forced push"),
            "commits_count": count,
        }
    )
    listed = tuple(Commit(c.id or "", c.message or "") for c in commits)
    complete = not created and not tag and len(commits) < PUSH_COMMITS_CAP
    reading = counting._replace(
        given=given,
        fix_title=head_line,
        titled_pull=pull_request_of_title(head_line),
        shipped=Shipped(listed, complete) if commits else None,
        # A branch rolls back from one commit to another; a tag names what it rolls back to.
        deployed_name=short if tag else None,
    )
    return _Read(reading)


def _pull_request(event: PullRequestEvent, runner: Runner, name: str) -> _Read:
    pull = _require(event.pull_request, name, "pull_request")
    facts = pull.shared()
    facts = facts._replace(number=pull.number if pull.number is not None else event.number)
    given = sourced(
        {
            "commit_id": ("pull_request.merge_commit_sha", pull.merge_commit_sha),
            "branch": _branch_given("pull_request.head.ref", facts.head_ref),
            "title": ("pull_request.title", pull.title),
            "changelog": ("pull_request.body", pull.body)
            if present(pull.body)
            else Source("left out", "the pull request has no description"),
            "url": ("pull_request.html_url", pull.html_url),
            "pull_request_number": [("pull_request.number", pull.number), ("number", event.number)],
            "commits_count": ("pull_request.commits", pull.commits),
        }
    )
    return _Read(Reading(given=given, pull_request=facts), ("pull_request.merged_by", pull.merged_by))


def _run_branch(
    run: Any, pull: PullRequest | None, default_branch: str | None
) -> tuple[list[Given] | Source | None, str | None]:
    """A run's branch (its PR's head, else its head_branch, which for a release's run is its tag),
    and a name that may be a tag for a look-up to check."""
    pull_head = branch_of(pull.head_ref if pull else None)
    # A release's run names its tag as head_branch; a pull request's names its head branch.
    head = None if run.event == "release" else branch_of(run.head_branch)
    known = pull_head or run.event in ("pull_request", "pull_request_target") or head == default_branch
    branch: list[Given] | Source | None = (
        [("workflow_run.pull_requests[0].head.ref", pull_head), ("workflow_run.head_branch", head)]
        if pull_head or head
        else Source("rule", f"workflow_run.head_branch `{run.head_branch}` is a release's tag")
        if run.event == "release" and run.head_branch
        else None
    )
    return branch, None if known else head


def _workflow_run(event: WorkflowRunEvent, runner: Runner, name: str) -> _Read:
    run = _require(event.workflow_run, name, "workflow_run")
    # The gate keeps only a completed run that deployed, or one in progress when asked.
    status: Status = "in_progress" if event.action != "completed" else final_outcome(run.conclusion) or "fail"
    pulls = [p for p in run.pull_requests or () if p is not None and p.number is not None]
    head_commit = run.head_commit.message if run.head_commit else None
    # The payload's pull request gives the number and the branch; no other PR is looked up.
    pull = PullRequest(pulls[0].number, pulls[0].head.ref if pulls[0].head else None) if pulls else None
    branch, to_check = _run_branch(run, pull, _default_branch(event))
    completed = event.action == "completed"
    given = sourced(
        {
            "commit_id": ("workflow_run.head_sha", run.head_sha),
            "branch": branch,
            "title": [("workflow_run.display_title", run.display_title), ("workflow_run.name", run.name)],
            "changelog": Source("left out", "a workflow run has no changelog"),
            "url": ("workflow_run.html_url", run.html_url),
            "status": (
                f"workflow_run.conclusion `{run.conclusion}`"
                if completed
                else f"workflow_run action `{event.action}`",
                status,
            ),
            "pull_request_number": ("workflow_run.pull_requests[0].number", pull.number if pull else None),
        }
    )
    attempt = run.run_attempt or 1
    reading = Reading(
        given=given,
        # What ran before the reported run: its environment's last successful deployment, else the
        # workflow's last successful run; a re-run's attempt before it.
        previous_run_of=(
            run.path.rsplit("/", 1)[-1],
            run.id,
            None if run.event == "release" else branch_of(run.head_branch),
        )
        if run.path and run.id
        else None,
        rerun_of=(run.id, attempt - 1) if run.id and attempt > 1 else None,
        pull_request=pull,
        pull_request_partial=pull is not None,
        titled_pull=None if pull else pull_request_of_title(first_line(head_commit)),
        branch_to_check=to_check,
        jobs_of=run.id,
        # A run that has not completed may still create its deployment: no end to the window.
        deployment_window=(
            utc(run.run_started_at),
            utc(run.updated_at) if run.updated_at and completed else None,
        )
        if run.run_started_at
        else None,
    )
    member = _credited(
        ("workflow_run.triggering_actor", run.triggering_actor), ("workflow_run.actor", run.actor)
    )
    return _Read(reading, member)


def _previous_run(runner: Runner) -> tuple[str, int, str | None] | None:
    """This run's workflow (its file name: GitHub lists a workflow's runs by it), run id and branch."""
    workflow = workflow_file(runner.workflow_ref, runner.repository)
    if not workflow or not runner.run_id.isdigit():
        return None
    return workflow[0].rsplit("/", 1)[-1], int(runner.run_id), branch_of(runner.ref)


def _other_event(event: Event, runner: Runner, name: str) -> _Read:
    # The full ref tells a branch from a tag or a PR's merge ref (`refs/pull/7/merge`, whose
    # GITHUB_REF_NAME `7/merge` is no branch); the short name only when no full ref is given.
    given = sourced(
        {
            "commit_id": ("GITHUB_SHA", runner.sha),
            "branch": _branch_given("GITHUB_REF", runner.ref)
            if runner.ref
            else _branch_given("GITHUB_REF_NAME", runner.ref_name),
            "changelog": Source(
                "left out",
                f"a {runner.event_name} event has no changelog" if runner.event_name else "no event to read",
            ),
            "url": ("this run's URL", runner.run_url),
        }
    )
    title = f"{runner.workflow or runner.event_name or 'Deployment'} #{runner.run_number}".rstrip(" #")
    named = "the workflow's name" if runner.workflow else "the event's name" if runner.event_name else ""
    shape = f"{named or '`Deployment`'}{' and the run number' if runner.run_number else ''}"
    reading = Reading(
        given=given,
        deployed_name=runner.ref_name or None,
        previous_run_of=_previous_run(runner),
        title_fallback=Sourced(title, Source("rule", shape)),
    )
    return _Read(reading)


# Each reader takes the model that events.EVENT_MODELS gives for its event name.
_READERS: dict[str, Callable[[Any, Runner, str], _Read]] = {
    "release": _release,
    "deployment": _deployment,
    "deployment_status": _deployment,
    "push": _push,
    "pull_request": _pull_request,
    "pull_request_target": _pull_request,
    "workflow_run": _workflow_run,
}


def _common(event: Event, runner: Runner, member: tuple[str, Account] | None) -> dict[str, Sourced]:
    """repository_url and member_id: the member's id (where the event gives it), else GITHUB_ACTOR_ID."""
    repository = event.repository
    given = sourced(
        {
            "repository_url": [
                ("repository.html_url", repository.html_url if repository else None),
                ("GITHUB_SERVER_URL/GITHUB_REPOSITORY", runner.repository_url),
            ],
            "member_id": ("GITHUB_ACTOR_ID", runner.actor_id),
        }
    )
    if member is not None:
        where, account = member
        login = f" ({account.login})" if account.login else ""
        given["member_id"] = Sourced(str(account.id), Source("event", f"{where}.id{login}"))
    return given


def _nothing_to_look_up(reading: Reading) -> dict[str, str]:
    """The fields only a look-up gives, for which the event names nothing to start one from."""
    why = {}
    if not (reading.jobs_of or reading.job_of):
        why["deployment_duration"] = "the event names no run to time"
    if not (
        reading.previous_release_of
        or reading.previous_deployment_of
        or reading.previous_run_of
        or reading.compare
    ):
        why["commits_count"] = "the event lists no commits and names nothing to compare with"
    if not (reading.jobs_of or reading.deployment_window):
        why["deployment_node_id"] = "the event names no deployment and no run to find one in"
    return why


def read_event(event_name: str, event: Event, runner: Runner) -> Reading:
    """What the event says, by the rules of its row in SPEC §4."""
    reader: Callable[[Any, Runner, str], _Read] = _READERS.get(event_name, _other_event)
    reading, member = reader(event, runner, event_name)
    if event_name not in _NOT_RUN_BASED and runner.run_id.isdigit():
        reading = reading._replace(jobs_of=int(runner.run_id), this_run=True, run_sha=runner.sha or None)
        if runner.run_attempt.isdigit() and int(runner.run_attempt) > 1:
            reading = reading._replace(rerun_of=(int(runner.run_id), int(runner.run_attempt) - 1))
            # What runs now tells a re-run of an older run (a rollback) from a redeploy.
            reading = reading._replace(previous_run_of=reading.previous_run_of or _previous_run(runner))
    credited = _credited(member or ("", None), ("sender", event.sender))
    if credited is not None:
        bot = (credited[1].login or "a bot account") if credited[1].is_bot else None
    else:
        bot = runner.actor if is_bot(runner.actor, None) else None
    # The event's own values win over the common ones (sender, runner variables).
    given = _common(event, runner, credited)
    given.update({k: v for k, v in reading.given.items() if v.value is not None or k not in given})
    for name, why in _nothing_to_look_up(reading).items():
        given.setdefault(name, left_out(f"unknown: {why}"))
    given.setdefault("is_forced", left_out("not forced: only a forced push sets it"))
    return reading._replace(
        given=MappingProxyType(given), default_branch=_default_branch(event), bot_member=bot
    )
