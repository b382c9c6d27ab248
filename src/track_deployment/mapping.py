"""Pure functions: (event, inputs, looked-up facts) → the deployment record. No I/O here."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, NamedTuple

from pydantic import ValidationError

from .errors import EventError, MissingFieldError
from .events import (
    Account,
    DeploymentEvent,
    Event,
    Label,
    PullRequestEvent,
    PushEvent,
    ReleaseEvent,
    WorkflowRunEvent,
    is_bot,
)
from .gate import RELEASE_ACTIONS, release_gate_needed
from .inputs import Runner, describe
from .recovery import Attempt, Before, Commit, Shipped, Verdict, is_conventional_fix, is_redeploy, judge
from .recovery import PullRequest as RevertCheck
from .schema import (
    REQUEST_FIELDS,
    REQUIRED_FIELDS,
    STATUS_WORDS,
    DeploymentRequest,
    Status,
    first_line,
    record_size,
)

# GitHub truncates a push payload's commit list at this length.
PUSH_COMMITS_CAP = 2048

# A push changelog line, as _push writes it: "- <sha7> <first line>".
_COMMIT_LINE = re.compile(r"- [0-9a-fA-F]{7}(?: |$)")
_SHA = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")
_HOTFIX_BRANCH = ("hotfix/", "hotfix-")
_FIX_BRANCH = ("fix/", "fix-", "bugfix/", "bugfix-")
# GitHub's own titles for the commit that merges a pull request (Merge pull request dialog):
# "Merge pull request #412 from octo-org/feature/checkout" for a merge commit, the head named
# owner/branch, and "Add gift cards (#412)" for a squash merge. Nine digits at most: a PR number.
_MERGE_TITLE = re.compile(r"Merge pull request #([1-9][0-9]{0,8}) from [^/\s]+/(\S+)")
_SQUASH_TITLE = re.compile(r".*\S \(#([1-9][0-9]{0,8})\)")
_ZERO_SHA = re.compile(r"0{40}|0{64}")

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

# Events whose own run is not the deployment: a deployment_status is timed by the job that
# deployed, a workflow_run by the upstream run it reports.
_NOT_RUN_BASED = ("deployment_status", "workflow_run")

#: A span of time: when a job ran, when a deployment may have been made; an open end reaches to now.
Interval = tuple[datetime, datetime | None]

# A deployment counts as made in a run's window up to this long before the window's start:
# the start is a job's or run's time from GitHub Actions and the deployment's time comes from
# the deployments API, two services whose clocks and order of writing GitHub does not promise.
WINDOW_TOLERANCE = timedelta(seconds=60)

# The input a user sets when a required field cannot be derived, and why it may be missing.
MISSING_HINTS = {
    "title": "the event gives no title",
    "branch": "the event names no branch it is sure of, and the repository's default branch is unknown",
    "commit_id": "the event gives no commit and GITHUB_SHA is empty",
    "repository_url": "the event has no repository and GITHUB_SERVER_URL or GITHUB_REPOSITORY is empty",
    "member_id": "the event has no sender and GITHUB_ACTOR_ID is empty",
}


class Source(NamedTuple):
    """Where a field's value came from, or why it is left out; for a flag set by a rule, why.

    `kind` is one of SOURCE_KINDS; `detail` is a few words (`release.name`, `PR #412`,
    `rolls production back from v2.4.0`); `link` points at what it names, when it has an address.
    """

    kind: str
    detail: str
    link: str | None = None


#: event: the payload or the runner's variables; look-up: a GitHub request; input: the user;
#: rule: derived by a rule of the action (a fix commit, a rollback); left out: not sent, and why.
SOURCE_KINDS = ("event", "look-up", "input", "rule", "left out")

#: A value as the event gives it, and where (`release.name`, `GITHUB_SHA`); or a value a rule
#: makes of the event's (`Deploy {sha7} to {environment}`), and its Source.
Given = tuple[str | Source, Any]


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def sourced(
    entries: Mapping[str, Given | list[Given] | Source | None],
) -> tuple[dict[str, Any], dict[str, Source]]:
    """A mapper's fields and their sources, decided together.

    Each entry is where the event gives the field (a list: the first present one wins), or a
    Source saying why the event gives none (a tag is no branch).
    """
    fields: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    for name, entry in entries.items():
        if isinstance(entry, Source):
            sources[name] = entry
            continue
        for where, value in entry if isinstance(entry, list) else [entry] if entry else []:
            if _present(value):
                fields[name] = value
                sources[name] = where if isinstance(where, Source) else Source("event", where)
                break
    return fields, sources


def _branch_given(where: str, ref: str | None) -> Given | Source | None:
    """The event's branch, or why the ref it names is none (the default branch then stands in)."""
    if not ref or not ref.strip():
        return None
    branch = branch_of(ref)
    if branch:
        return where, branch
    kind = "a tag" if ref.startswith("refs/tags/") else "a commit" if _SHA.fullmatch(ref) else "no branch"
    return Source("rule", f"{where} `{ref}` is {kind}")


def _account(*candidates: tuple[str, Account | None]) -> tuple[Account | None, dict[str, Source]]:
    """The first account with an id, and member_id's source naming it."""
    for where, account in candidates:
        if account is not None and account.id is not None:
            login = f" ({account.login})" if account.login else ""
            return account, {"member_id": Source("event", f"{where}.id{login}")}
    return None, {}


class PullRequestFacts(NamedTuple):
    """A pull request, from the event or looked up by commit."""

    number: int | None = None
    head_ref: str | None = None
    title: str | None = None
    labels: tuple[str, ...] = ()
    #: Numeric ids of the people who merged and opened it; None for a bot or when unknown.
    merged_by: str | None = None
    author: str | None = None
    #: The description (the payload's PR only): GitHub's Revert button writes `Reverts owner/repo#n`.
    body: str | None = None


class ReleaseRef(NamedTuple):
    """The release being deployed, to find the one before it."""

    id: int | None
    tag: str
    prerelease: bool
    published_at: datetime | None
    action: str | None = None


class DeploymentRef(NamedTuple):
    """The GitHub deployment being reported, to find the one before it."""

    id: int | None
    sha: str
    environment: str
    created_at: datetime | None


class EventFacts(NamedTuple):
    """What one event says about the deployment, before inputs and look-ups."""

    fields: Mapping[str, Any] = MappingProxyType({})
    #: Where the event gives each field, or why it gives none.
    sources: Mapping[str, Source] = MappingProxyType({})
    skip_reason: str | None = None
    default_branch: str | None = None
    pull_request: PullRequestFacts | None = None
    #: The payload names its pull request by number and head only: labels and people need a request.
    pull_request_partial: bool = False
    fix_title: str | None = None
    title_fallback: str | None = None
    previous_release_of: ReleaseRef | None = None
    previous_deployment_of: DeploymentRef | None = None
    compare: tuple[str, str] | None = None
    #: The account that would become member_id; a bot is replaced by the person found.
    member: Account | None = None
    #: Set when member_id would be a bot: its login.
    bot_member: str | None = None
    #: A release run that may not be the one recording it, and its workflow file (path, ref).
    release_gate: ReleaseRef | None = None
    workflow_file: tuple[str, str] | None = None
    #: A short name the event gives as its branch that may be a tag; a request tells.
    branch_to_check: str | None = None
    #: The pull request a head commit's title names (GitHub's merge or squash title), and which title.
    titled_pull: tuple[PullRequestFacts, str] | None = None
    #: The run whose jobs (the latest execution of each) measure the duration and bound the
    #: deployment look-up.
    jobs_of: int | None = None
    #: The job a deployment_status names (its check run): it alone measures the duration.
    job_of: int | None = None
    #: jobs_of is the run this step runs in, so this job is among its jobs.
    this_run: bool = False
    #: When the reported run ran, when the payload tells (workflow_run): its deployment's window.
    deployment_window: Interval | None = None
    budget: int = DEFAULT_REQUEST_BUDGET
    #: The commits the payload lists as shipped (a push), for the recovery rules.
    shipped: Shipped | None = None
    #: The tag or branch deployed, for a rollback's reason (`v2.3.0`).
    deployed_name: str | None = None
    #: (workflow file name, run id) of a run-based deploy: what ran before it is the environment's
    #: last successful deployment, else the workflow's last successful run.
    previous_run_of: tuple[str, int] | None = None
    #: (run id, the attempt before this one) of a re-run of the run this step runs in.
    rerun_of: tuple[int, int] | None = None
    #: What the compare's base was, for a rollback's reason (a forced push: the branch before it).
    compare_base: Before | None = None


class Plan(NamedTuple):
    """The GitHub look-ups a run needs; each is made only when its answer is used."""

    pull_request_of: str | None = None
    previous_release_of: ReleaseRef | None = None
    previous_deployment_of: DeploymentRef | None = None
    compare: tuple[str, str] | None = None
    deployment_of: str | None = None
    workflow_file: tuple[str, str] | None = None
    release_gate: ReleaseRef | None = None
    merger_of_pull: bool = False
    #: The pull request the payload names, read for its labels, title and people.
    pull_request_number: int | None = None
    branch_check: str | None = None
    jobs_of: int | None = None
    job_of: int | None = None
    #: How to find this job among the jobs of `jobs_of` (its id, else its runner's name), when
    #: it is the run this step runs in.
    check_run_id: int | None = None
    runner_name: str = ""
    #: Created in this window (else: during the run attempt the jobs look-up finds).
    deployment_window: Interval | None = None
    #: Environment names or patterns the deployment look-ups keep (gate.in_environments); empty
    #: keeps every environment but previews.
    environments: frozenset[str] = frozenset()
    #: Pages of jobs to read at most: the first, and as many more as the budget leaves room for;
    #: the pages left unread go to deployment statuses (which deployment is this job's).
    jobs_pages: int = 1
    #: Look-ups left out to stay within the request budget.
    dropped: frozenset[str] = frozenset()
    #: The jobs measure the duration, so all of them are read; else only the attempt's start is.
    jobs_measure: bool = False
    #: (workflow file name, run id, commit) of a run-based deploy: what ran before it.
    previous_run_of: tuple[str, int, str] | None = None
    #: Deployments whose statuses are read at most to find the last successful one.
    statuses_reads: int = 1
    #: (run id, attempt, commit) of a re-run: whether the attempt before it deployed the commit.
    previous_attempt_of: tuple[int, int, str] | None = None

    def __bool__(self) -> bool:
        unplanned = self._replace(
            environments=frozenset(),
            jobs_pages=1,
            dropped=frozenset(),
            jobs_measure=False,
            check_run_id=None,
            runner_name="",
            statuses_reads=1,
        )
        return unplanned != Plan()


class Job(NamedTuple):
    """One job of a run, as the jobs look-up read it: for the duration, the summary's chart and
    finding this job's own deployment."""

    id: int | None
    name: str
    #: When the job was created (queued, or waiting for an environment's reviewers).
    created_at: datetime | None
    #: When it started on a runner (its first step); None when it never reached one.
    started_at: datetime | None
    completed_at: datetime | None
    status: str = ""
    conclusion: str | None = None
    #: The job that runs this step.
    this_job: bool = False


class Facts(NamedTuple):
    """The answers of the look-ups; None where a look-up was not made or failed."""

    pull_request: PullRequestFacts | None = None
    commits_count: int | None = None
    deployment_node_id: str | None = None
    #: The PR look-up answered, so no PR means the commit has none (not a missing permission).
    pull_request_searched: bool = False
    #: The release types the run's workflow listens to; None when unknown.
    release_types: frozenset[str] | None = None
    #: Whether EventFacts.branch_to_check is a branch; None when not asked or unknown.
    is_branch: bool | None = None
    #: When the measured run's jobs ran; None when unknown.
    job_intervals: tuple[Interval, ...] | None = None
    #: The measured run's jobs as read (for the job summary and this job's deployment); None when unread.
    jobs: tuple[Job, ...] | None = None
    #: What measured the duration (`the time the run's jobs ran`), for its source.
    measured_by: str | None = None
    #: Nothing but this step did work in the run (a workflow that only records): why, so no
    #: duration is sent.
    only_records: str | None = None
    #: The deployment's job never started (rejected, cancelled while waiting): nothing shipped.
    never_started: str | None = None
    #: How this job's own deployment was told from others, for its source; None for the run's newest.
    deployment_found_by: str | None = None
    #: The look-ups ran (a github_token was given and a look-up was planned).
    looked_up: bool = False
    #: Planned look-ups left out to stay within the request budget (Plan field names).
    dropped: frozenset[str] = frozenset()
    #: The (base, head) of the compare that counted the commits.
    compared: tuple[str, str] | None = None
    #: Request fields whose look-up failed.
    failed: frozenset[str] = frozenset()
    #: Why no look-up was made, when none was (NO_GITHUB_TOKEN, "GITHUB_REPOSITORY is empty", ...).
    not_made: str = ""
    #: What production ran before this deployment and how this one compares with it; None when unknown.
    before: Before | None = None
    #: The attempt of this run before a re-run; None when not read.
    earlier_attempt: Attempt | None = None


class Options(NamedTuple):
    labels_hotfix: frozenset[str] = frozenset({"hotfix"})
    labels_fix: frozenset[str] = frozenset({"bug", "fix", "bugfix"})
    environments: frozenset[str] = frozenset()
    started_at: datetime | None = None
    #: This job's id and its runner's name, to find this job among the run's jobs.
    check_run_id: int | None = None
    runner_name: str = ""
    #: Record a deployment of the commit production already runs.
    redeploys: bool = False


def first(*values: str | None) -> str | None:
    """The first value that is not None or blank."""
    for value in values:
        if value is not None and value.strip():
            return value
    return None


def branch_of(ref: str | None) -> str | None:
    """A ref shortened to its branch name; None for a tag, another ref or a commit SHA."""
    if not ref or not ref.strip():
        return None
    if ref.startswith("refs/heads/"):
        ref = ref.removeprefix("refs/heads/")
    elif ref.startswith("refs/"):
        return None
    return None if _SHA.fullmatch(ref) else ref


def utc(moment: datetime) -> datetime:
    """A time GitHub gave without a zone read as UTC, which all its API times are."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def minutes_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    minutes = (utc(end) - utc(start)).total_seconds() / 60
    return round(minutes, 2) if minutes >= 0 else None


def human_id(account: Account | None) -> str | None:
    """The account's id, unless it is a bot."""
    return str(account.id) if account is not None and account.id is not None and not account.is_bot else None


def is_zero_sha(sha: str | None) -> bool:
    """`before` of a push that created its ref."""
    return bool(sha and _ZERO_SHA.fullmatch(sha))


def workflow_file(workflow_ref: str, repository: str) -> tuple[str, str] | None:
    """(path, ref) of `owner/repo/.github/workflows/x.yml@refs/heads/main`, in this repository."""
    path, at, ref = workflow_ref.partition("@")
    prefix = f"{repository}/"
    if not at or not ref or not repository or not path.startswith(prefix):
        return None
    return path.removeprefix(prefix), ref


def fork_of(event_name: str, event: Event) -> str | None:
    """The fork a `pull_request` event comes from: GitHub gives such runs no secrets."""
    if event_name != "pull_request" or not isinstance(event, PullRequestEvent) or not event.pull_request:
        return None
    head, base = event.pull_request.head, event.pull_request.base
    base_name = base.repo.full_name if base and base.repo else None
    if not base_name:
        return None
    if head is None or head.repo is None:
        return "a deleted fork"  # GitHub sends `head.repo: null` once the fork is gone
    head_name = head.repo.full_name
    return head_name if head_name and head_name.lower() != base_name.lower() else None


# Events whose runs GitHub starts without Actions secrets when Dependabot initiated them.
DEPENDABOT_EVENTS = frozenset(
    {
        "push",
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
        "create",
        "deployment",
        "deployment_status",
    }
)


def by_dependabot(event_name: str, event: Event, actor: str) -> bool:
    """A run Dependabot initiated: GitHub gives it only Dependabot secrets, not Actions secrets."""
    sender = event.sender.login if event.sender else None
    return event_name in DEPENDABOT_EVENTS and "dependabot[bot]" in (actor.lower(), (sender or "").lower())


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


def label_names(labels: list[Label] | None) -> tuple[str, ...]:
    return tuple(label.name for label in labels or () if label.name)


def _require(value: Any, event_name: str, part: str) -> Any:
    if value is None:
        raise EventError(
            f"The {event_name} event has no '{part}' object; the event file is not a {event_name} payload."
        )
    return value


def _common(
    event: Event, runner: Runner, member: Account | None, member_source: Mapping[str, Source]
) -> tuple[dict[str, Any], dict[str, Source]]:
    """repository_url and member_id: the member's id (named by member_source), else GITHUB_ACTOR_ID."""
    repository = event.repository
    fields, sources = sourced(
        {
            "repository_url": [
                ("repository.html_url", repository.html_url if repository else None),
                ("GITHUB_SERVER_URL/GITHUB_REPOSITORY", runner.repository_url),
            ],
            "member_id": ("GITHUB_ACTOR_ID", runner.actor_id),
        }
    )
    if member is not None:
        fields["member_id"] = str(member.id)
        sources.update(member_source)
    return fields, sources


def pull_request_of_title(title: str | None) -> tuple[PullRequestFacts, str] | None:
    """The pull request GitHub's merge or squash commit title names, and which title it is."""
    line = (title or "").strip()
    if match := _MERGE_TITLE.fullmatch(line):
        return PullRequestFacts(number=int(match[1]), head_ref=match[2]), "GitHub's merge commit title"
    if match := _SQUASH_TITLE.fullmatch(line):
        return PullRequestFacts(number=int(match[1])), "GitHub's squash commit title"
    return None


def _release(event: ReleaseEvent, runner: Runner, name: str) -> EventFacts:
    release = _require(event.release, name, "release")
    if event.action not in RELEASE_ACTIONS:
        return EventFacts(skip_reason=f"release action '{event.action}' does not publish a release")
    if release.draft:
        return EventFacts(skip_reason="the release is a draft")
    tag = release.tag_name or ""
    this = ReleaseRef(
        id=release.id,
        tag=tag,
        prerelease=bool(release.prerelease),
        published_at=release.published_at or release.created_at,
        action=event.action,
    )
    # Another run of the workflow may be the one that records (gate.release_recorder).
    gate = release_gate_needed(this)
    member, member_source = _account(("release.author", release.author))
    fields, sources = sourced(
        {
            "commit_id": ("GITHUB_SHA", runner.sha),
            "branch": _branch_given("release.target_commitish", release.target_commitish),
            "title": [("release.name", release.name), ("release.tag_name", release.tag_name)],
            "changelog": ("release.body", release.body)
            if _present(release.body)
            else Source("left out", "the release has no notes"),
            "url": ("release.html_url", release.html_url),
        }
    )
    return EventFacts(
        fields=fields,
        sources={**sources, **member_source},
        previous_release_of=this if tag else None,
        deployed_name=tag or None,
        member=member,
        release_gate=this if gate else None,
        workflow_file=workflow_file(runner.workflow_ref, runner.repository) if gate else None,
    )


def _deployment(event: DeploymentEvent, runner: Runner, name: str) -> EventFacts:
    deployment = _require(event.deployment, name, "deployment")
    sha = first(deployment.sha)
    environment = first(deployment.environment)
    branch = branch_of(deployment.ref)
    fields, sources = sourced(
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
    if name == "deployment_status":
        status = _require(event.deployment_status, name, "deployment_status")
        state = (status.state or "").lower()
        fields["status"] = STATUS_WORDS.get(state)
        if fields["status"] is None:
            # GitHub marks the previous deployment `inactive` when a newer one succeeds.
            return EventFacts(
                skip_reason=f"the deployment status is '{status.state or ''}', not a state of a deployment "
                "being made (success, failure, error, pending, queued, waiting, in_progress)"
            )
        # An Actions job's deployment names the job and its run (GitHub adds `check_run` and
        # `workflow_run`): it is timed by the job, as the approval wait before it is no deployment.
        # A third-party deployment is timed from its creation to this status.
        job = event.check_run.id if event.check_run else None
        run = event.workflow_run.id if event.workflow_run else None
        timed = job is None and run is None
        status_fields, status_sources = sourced(
            {
                "status": (f"deployment_status.state `{status.state}`", fields["status"]),
                "url": [
                    ("deployment_status.log_url", status.log_url),
                    ("deployment_status.target_url", status.target_url),
                    ("deployment_status.environment_url", status.environment_url),
                    ("this run's URL", runner.run_url),
                ],
                "deployment_duration": (
                    "deployment_status.created_at - deployment.created_at",
                    minutes_between(deployment.created_at, status.created_at),
                )
                if timed
                else None,
            }
        )
        fields.update(status_fields)
        sources.update(status_sources)
        # The person who started the deploying run, not the app that created the deployment.
        starter = event.workflow_run.triggering_actor if event.workflow_run else None
    else:
        job = run = starter = None
    previous = (
        DeploymentRef(deployment.id, sha, environment, deployment.created_at) if sha and environment else None
    )
    short = not (deployment.ref or "").startswith("refs/")
    ref = first(deployment.ref)
    member, member_source = _account(
        ("workflow_run.triggering_actor", starter), ("deployment.creator", deployment.creator)
    )
    return EventFacts(
        fields=fields,
        sources={**sources, **member_source},
        previous_deployment_of=previous,
        deployed_name=ref.removeprefix("refs/heads/").removeprefix("refs/tags/") if ref else None,
        member=member,
        job_of=job,
        jobs_of=run if job is None else None,
        branch_to_check=branch if short and branch != _default_branch(event) else None,
    )


def _default_branch(event: Event) -> str | None:
    return first(event.repository.default_branch if event.repository else None)


def _push(event: PushEvent, runner: Runner, name: str) -> EventFacts:
    if event.deleted:
        return EventFacts(skip_reason=f"the push deleted {event.ref or 'a ref'}")
    ref = event.ref or ""
    short = ref.removeprefix("refs/heads/").removeprefix("refs/tags/") or None
    commits = [commit for commit in event.commits or () if commit is not None]
    head_line = first_line(event.head_commit.message if event.head_commit else None)
    changelog = "\n".join(
        f"- {(commit.id or '')[:7]} {first_line(commit.message) or ''}".rstrip() for commit in commits
    )
    before, after = first(event.before), first(event.after)
    created, tag = is_zero_sha(before), ref.startswith("refs/tags/")
    # A new ref's `commits` lists only what no other branch had, and a tag's lists nothing:
    # the count comes from a compare, or is left out (never a guessed 0). A new branch's first
    # push deploys nothing new against the branch it was cut from: comparing with that one would
    # send 0, so it sends none.
    count: int | None = None
    uncounted: Source | None = None
    compare: tuple[str, str] | None = None
    base: Before | None = None
    previous_release: ReleaseRef | None = None
    if tag and created:
        previous_release = ReleaseRef(id=None, tag=short or "", prerelease=False, published_at=None)
    elif created:
        uncounted = Source("left out", "a new branch's first push: no deployment of it to count from")
    elif len(commits) >= PUSH_COMMITS_CAP or tag or (event.forced and not commits):
        # A forced push back to an ancestor lists no commits: its compare says `behind`.
        compare = (before, after) if before and after else None
        where = short or "the branch"
        base = Before(before or "", f"{where} before this push", where) if compare else None
        if event.forced and not commits:
            uncounted = Source("left out", "a forced push that lists no commits: only its compare tells")
    else:
        count = len(commits)
    listed = tuple(Commit(c.id or "", c.message or "") for c in commits)
    complete = not created and not tag and len(commits) < PUSH_COMMITS_CAP
    fields, sources = sourced(
        {
            "commit_id": ("after", after),
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
            "commits_count": (f"commits ({count:,} listed)", count) if count is not None else uncounted,
        }
    )
    return EventFacts(
        fields=fields,
        sources=sources,
        fix_title=head_line,
        titled_pull=pull_request_of_title(head_line),
        compare=compare,
        compare_base=base,
        previous_release_of=previous_release if short else None,
        shipped=Shipped(listed, complete) if commits else None,
        # A branch rolls back from one commit to another; a tag names what it rolls back to.
        deployed_name=short if tag else None,
    )


def _pull_request(event: PullRequestEvent, runner: Runner, name: str) -> EventFacts:
    pull = _require(event.pull_request, name, "pull_request")
    if event.action != "closed" or not pull.merged:
        why = "was closed without merging" if event.action == "closed" else f"action is '{event.action}'"
        return EventFacts(skip_reason=f"the pull request {why}; only a merged pull request is a deployment")
    number = pull.number if pull.number is not None else event.number
    facts = PullRequestFacts(
        number=number,
        head_ref=pull.head.ref if pull.head else None,
        title=pull.title,
        labels=label_names(pull.labels),
        merged_by=human_id(pull.merged_by),
        author=human_id(pull.user),
        body=pull.body,
    )
    member, member_source = _account(("pull_request.merged_by", pull.merged_by))
    fields, sources = sourced(
        {
            "commit_id": ("pull_request.merge_commit_sha", pull.merge_commit_sha),
            "branch": _branch_given("pull_request.head.ref", facts.head_ref),
            "title": ("pull_request.title", pull.title),
            "changelog": ("pull_request.body", pull.body)
            if _present(pull.body)
            else Source("left out", "the pull request has no description"),
            "url": ("pull_request.html_url", pull.html_url),
            "pull_request_number": [("pull_request.number", pull.number), ("number", event.number)],
            "commits_count": ("pull_request.commits", pull.commits),
        }
    )
    return EventFacts(
        fields=fields,
        sources={**sources, **member_source},
        pull_request=facts,
        member=member,
    )


def _workflow_run(event: WorkflowRunEvent, runner: Runner, name: str) -> EventFacts:
    run = _require(event.workflow_run, name, "workflow_run")
    # gate.not_recorded keeps only a completed run that deployed, or one in progress when asked.
    status: Status = (
        "in_progress" if event.action != "completed" else "succes" if run.conclusion == "success" else "fail"
    )
    pulls = [p for p in run.pull_requests or () if p is not None and p.number is not None]
    head_commit = run.head_commit.message if run.head_commit else None
    # The payload's pull request gives the number and the branch; no other PR is looked up.
    pull = PullRequestFacts(pulls[0].number, pulls[0].head.ref if pulls[0].head else None) if pulls else None
    pull_head = branch_of(pull.head_ref if pull else None)
    # A release's run names its tag as head_branch; a pull request's names its head branch.
    head = None if run.event == "release" else branch_of(run.head_branch)
    known = (
        pull_head or run.event in ("pull_request", "pull_request_target") or head == _default_branch(event)
    )
    member, member_source = _account(
        ("workflow_run.triggering_actor", run.triggering_actor), ("workflow_run.actor", run.actor)
    )
    fields, sources = sourced(
        {
            "commit_id": ("workflow_run.head_sha", run.head_sha),
            "branch": [
                ("workflow_run.pull_requests[0].head.ref", pull_head),
                ("workflow_run.head_branch", head),
            ]
            if pull_head or head
            else Source("rule", f"workflow_run.head_branch `{run.head_branch}` is a release's tag")
            if run.event == "release" and run.head_branch
            else None,
            "title": [("workflow_run.display_title", run.display_title), ("workflow_run.name", run.name)],
            "changelog": Source("left out", "a workflow run has no changelog"),
            "url": ("workflow_run.html_url", run.html_url),
            "status": (
                f"workflow_run.conclusion `{run.conclusion}`"
                if event.action == "completed"
                else f"workflow_run action `{event.action}`",
                status,
            ),
            "pull_request_number": ("workflow_run.pull_requests[0].number", pull.number if pull else None),
        }
    )
    return EventFacts(
        fields=fields,
        sources={**sources, **member_source},
        pull_request=pull,
        pull_request_partial=pull is not None,
        titled_pull=None if pull else pull_request_of_title(first_line(head_commit)),
        member=member,
        branch_to_check=None if known else head,
        jobs_of=run.id,
        # A run that has not completed may still create its deployment: no end to the window.
        deployment_window=(
            utc(run.run_started_at),
            utc(run.updated_at) if run.updated_at and event.action == "completed" else None,
        )
        if run.run_started_at
        else None,
    )


def _generic(event: Event, runner: Runner, name: str) -> EventFacts:
    # The full ref tells a branch from a tag or a PR's merge ref (`refs/pull/7/merge`, whose
    # GITHUB_REF_NAME `7/merge` is no branch); the short name only when no full ref is given.
    fields, sources = sourced(
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
    workflow = workflow_file(runner.workflow_ref, runner.repository)
    return EventFacts(
        fields=fields,
        sources=sources,
        deployed_name=runner.ref_name or None,
        # The workflow's runs are listed by its file name (GitHub REST, list workflow runs).
        previous_run_of=(workflow[0].rsplit("/", 1)[-1], int(runner.run_id))
        if workflow and runner.run_id.isdigit()
        else None,
        title_fallback=f"{runner.workflow or runner.event_name or 'Deployment'} #{runner.run_number}".rstrip(
            " #"
        ),
    )


# Each mapper takes the model that events.EVENT_MODELS gives for its event name.
_MAPPERS: dict[str, Callable[[Any, Runner, str], EventFacts]] = {
    "release": _release,
    "deployment": _deployment,
    "deployment_status": _deployment,
    "push": _push,
    "pull_request": _pull_request,
    "pull_request_target": _pull_request,
    "workflow_run": _workflow_run,
}


def event_facts(event_name: str, event: Event, runner: Runner) -> EventFacts:
    """What the event says, by the rules of its row in SPEC §4."""
    mapper: Callable[[Any, Runner, str], EventFacts] = _MAPPERS.get(event_name, _generic)
    facts = mapper(event, runner, event_name)
    if facts.skip_reason:
        return facts
    if event_name not in _NOT_RUN_BASED and runner.run_id.isdigit():
        facts = facts._replace(jobs_of=int(runner.run_id), this_run=True)
        if runner.run_attempt.isdigit() and int(runner.run_attempt) > 1:
            facts = facts._replace(rerun_of=(int(runner.run_id), int(runner.run_attempt) - 1))
    member, member_source = (
        (facts.member, facts.sources) if facts.member else _account(("sender", event.sender))
    )
    if member is not None:
        bot = (member.login or "a bot account") if member.is_bot else None
    else:
        bot = runner.actor if is_bot(runner.actor, None) else None
    # The event's own values win over the common ones (sender, runner variables).
    said = {k: v for k, v in member_source.items() if k == "member_id"}
    fields, sources = _common(event, runner, member, said)
    fields.update({k: v for k, v in facts.fields.items() if v is not None})
    sources.update(facts.sources)
    return facts._replace(
        fields=fields,
        sources=sources,
        default_branch=_default_branch(event),
        member=member,
        bot_member=bot,
        budget=REQUEST_BUDGET.get(event_name, DEFAULT_REQUEST_BUDGET),
    )


# Fields a pull request can supply; when the user gave them all, no PR look-up is made.
_PULL_REQUEST_FIELDS = ("pull_request_number", "branch", "title", "is_fix", "is_hotfix")


def plan_lookups(event: EventFacts, overrides: Mapping[str, Any], options: Options | None = None) -> Plan:
    """The look-ups whose answers the record would use (SPEC §5)."""
    options = options or Options()
    known = {**event.fields, **overrides}
    commit = known.get("commit_id")

    def given(name: str) -> bool:
        # branch and is_fix/is_hotfix are decided by the PR even when the event has a value.
        return name in overrides or (name in event.fields and name not in ("branch", "is_fix", "is_hotfix"))

    # A bot's deployment is credited to the person behind its pull request.
    people_known = event.pull_request is not None and not event.pull_request_partial
    wants_human = bool(event.bot_member) and "member_id" not in overrides and not people_known
    wants_pull = event.pull_request is None and (
        wants_human or not all(given(name) for name in _PULL_REQUEST_FIELDS)
    )
    # A pull request the payload names by number: read it for labels (is_fix, is_hotfix) and people.
    wants_named_pull = event.pull_request_partial and (
        wants_human or not all(name in overrides for name in ("is_fix", "is_hotfix"))
    )
    wants_duration = "deployment_duration" not in known and options.started_at is None
    # The run's deployment is looked for in a window: the payload's, else the run attempt's.
    wants_node = "deployment_node_id" not in known and bool(commit)
    wants_node = wants_node and (event.deployment_window is not None or event.jobs_of is not None)
    # A deployment_status's job is read for its time, and, when it failed, for whether it ever
    # started (a rejected or cancelled job's deployment shipped nothing).
    wants_job = event.job_of is not None and (wants_duration or known.get("status") == "fail")
    wants_jobs = (wants_duration and event.job_of is None) or (wants_node and event.deployment_window is None)
    # What ran before tells the count, a rollback, a redeploy and the commits that ship.
    wants_count = "commits_count" not in known or not {"is_fix", "is_hotfix"} <= set(overrides)
    plan = Plan(
        pull_request_of=commit if wants_pull and commit else None,
        previous_release_of=event.previous_release_of if wants_count else None,
        previous_deployment_of=event.previous_deployment_of if wants_count else None,
        previous_run_of=(*event.previous_run_of, commit)
        if event.previous_run_of and wants_count and commit
        else None,
        compare=event.compare if wants_count else None,
        deployment_of=commit if wants_node else None,
        workflow_file=event.workflow_file if event.release_gate else None,
        release_gate=event.release_gate if event.workflow_file else None,
        merger_of_pull=wants_human and bool(commit) and event.pull_request is None,
        pull_request_number=event.pull_request.number if wants_named_pull and event.pull_request else None,
        branch_check=event.branch_to_check if "branch" not in overrides else None,
        jobs_of=event.jobs_of if wants_jobs else None,
        job_of=event.job_of if wants_job else None,
        check_run_id=options.check_run_id if event.this_run else None,
        runner_name=options.runner_name if event.this_run else "",
        deployment_window=event.deployment_window if wants_node else None,
        environments=options.environments,
        jobs_measure=wants_duration and event.job_of is None,
        # A re-run of an attempt that deployed this commit successfully is a redeploy.
        previous_attempt_of=(*event.rerun_of, commit)
        if event.rerun_of and commit and not options.redeploys
        else None,
    )
    return within_budget(plan, event.budget)


# Look-ups in the order they are kept when the budget is short, with their cost in requests:
# whether the run records at all, then the fields iftrue requires or relies on most.
_PRIORITY = (
    ("workflow_file", 1),
    ("release_gate", 0),
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
    """The plan without the look-ups that would take the run over its request budget."""
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
    # Requests the kept look-ups leave unused read further pages of a long jobs list.
    spare = budget - sum(cost for name, cost in _PRIORITY if name in kept)
    statuses = "previous_deployment_of" in kept or "previous_run_of" in kept
    return Plan(
        **kept,
        deployment_window=plan.deployment_window if "deployment_of" in kept else None,
        check_run_id=plan.check_run_id if "jobs_of" in kept else None,
        runner_name=plan.runner_name if "jobs_of" in kept else "",
        environments=plan.environments,
        jobs_pages=1 + max(0, spare) if "jobs_of" in kept else 1,
        statuses_reads=1 + max(0, spare) if statuses else 1,
        dropped=frozenset(dropped),
        jobs_measure=plan.jobs_measure and "jobs_of" in kept,
    )


def hotfix_reason(labels: tuple[str, ...], branch: str | None, options: Options) -> str | None:
    """Why the deployment is a hotfix by its labels or branch; None when it is not."""
    label = next((label for label in labels if label.lower() in options.labels_hotfix), None)
    if label is not None:
        return f"label `{label}`"
    return f"branch `{branch}`" if branch and branch.startswith(_HOTFIX_BRANCH) else None


def fix_reason(
    labels: tuple[str, ...], branch: str | None, title: Given | None, options: Options
) -> str | None:
    """Why the deployment holds fixes by its labels, branch or Conventional Commit title (where, text)."""
    label = next((label for label in labels if label.lower() in options.labels_fix), None)
    if label is not None:
        return f"label `{label}`"
    if branch and branch.startswith(_FIX_BRANCH):
        return f"branch `{branch}`"
    where, text = title or ("", "")
    if is_conventional_fix(text):
        return f"{where} `{shorten_words(text)}`"
    return None


def shorten_words(text: str, limit: int = 60) -> str:
    """A few words of untrusted text for a source's detail."""
    line = first_line(text) or ""
    return line if len(line) <= limit else line[:limit].rstrip() + "…"


def recovery_fields(
    event: EventFacts, facts: Facts, overrides: Mapping[str, Any], fields: Mapping[str, Any], home: str | None
) -> dict[str, tuple[Any, Source]]:
    """What the recovery rules (recovery.judge) set, with why: a flag no other rule or input set,
    and no count for a rollback."""
    web = home if home and home.startswith(("https://", "http://")) else None
    pull = facts.pull_request or event.pull_request
    check = RevertCheck(pull.number, pull.head_ref, pull.title, pull.body) if pull else None
    before = facts.before
    if before is not None and event.compare_base is not None:
        # The compare of a push: the event names its base.
        before = event.compare_base._replace(status=before.status, shipped=before.shipped)
    this = (str(fields.get("commit_id") or ""), event.deployed_name)
    verdict: Verdict = judge(event.shipped, check, before, this, web)
    found: dict[str, tuple[Any, Source]] = {}
    for flag, reason in (("is_hotfix", verdict.is_hotfix), ("is_fix", verdict.is_fix)):
        if reason is not None and flag not in overrides and fields.get(flag) is not True:
            found[flag] = (True, Source("rule", reason.detail, reason.link))
    if verdict.rollback and "commits_count" not in overrides:
        # Nothing new ships in a rollback; a count would be negative or a guess.
        found["commits_count"] = (None, Source("left out", "a rollback ships no new commits"))
    elif before is not None and "commits_count" not in overrides and is_redeploy(before, this[0]):
        redeployed = f"a redeploy: {before.what} already deployed {this[0][:7]}, nothing new ships"
        found["commits_count"] = (None, Source("left out", redeployed))
    return found


class Built(NamedTuple):
    request: DeploymentRequest
    warnings: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    #: Field name → where its value came from (or why it was left out), for every request field.
    sources: Mapping[str, Source] = MappingProxyType({})
    #: The measured run's jobs, as the look-up read them (for the summary's chart).
    jobs: tuple[Job, ...] | None = None
    #: The address of the run those jobs belong to (this run, or the run a workflow_run reports).
    jobs_run: str | None = None


def _web(home: str | None, path: str) -> str | None:
    """An address on the repository's own site (`pull/412`), when its address is a web one."""
    return f"{home.rstrip('/')}/{path}" if home and home.startswith(("https://", "http://")) else None


def build_request(
    event: EventFacts,
    overrides: Mapping[str, Any],
    facts: Facts,
    options: Options,
    now: datetime,
) -> Built:
    """Combine event, look-ups and inputs into the record; an input always wins.

    Each value's source is decided with the value: the event's, a look-up's, an input's or a
    rule's, and for a field left out, why.
    """
    # A PR the payload names only by number is completed by its look-up; the payload's number
    # and branch stay.
    pull = facts.pull_request or event.pull_request
    fields = dict(event.fields)
    sources = dict(event.sources)
    # Links point at the repository the event names, whatever an input sends as repository_url.
    home = event.fields.get("repository_url")
    warnings = []
    notices = []

    def put(name: str, value: Any, source: Source) -> None:
        fields[name], sources[name] = value, source

    def of_pull(what: str) -> Source:
        kind = "look-up" if facts.pull_request else "event"
        number = pull.number if pull else None
        return Source(kind, f"PR #{number} {what}".strip(), _web(home, f"pull/{number}") if number else None)

    if event.pull_request is None and facts.pull_request and facts.pull_request.head_ref:
        if head := branch_of(facts.pull_request.head_ref):
            put("branch", head, of_pull("head branch"))
    elif event.branch_to_check and event.branch_to_check == fields.get("branch") and not facts.is_branch:
        fields.pop("branch", None)  # a tag, or a name that may be one
        kind = "is a tag" if facts.is_branch is False else "may be a tag (not checked)"
        sources["branch"] = Source("rule", f"`{event.branch_to_check}` {kind}")
        if facts.is_branch is None and "branch" not in overrides:
            notices.append(_unchecked_branch(event, facts))
    # The PR that GitHub's merge or squash title names, when no look-up of the commit's PR
    # answered (SPEC §4): an answer, a PR or none, is GitHub's own record and wins.
    if pull is None and event.titled_pull and not facts.pull_request_searched:
        titled, rule = event.titled_pull
        source = Source("rule", rule, _web(home, f"pull/{titled.number}"))
        put("pull_request_number", titled.number, source)
        if titled.head_ref:
            put("branch", titled.head_ref, source)
    if not fields.get("branch") and event.default_branch:
        said = sources.get("branch")
        because = said.detail if said and said.kind == "rule" else "the event names no branch"
        put("branch", event.default_branch, Source("rule", f"the default branch stands in: {because}"))
    if "title" not in fields:
        if title := first(facts.pull_request.title if facts.pull_request else None):
            put("title", title, of_pull("title"))
        elif event.title_fallback:
            shape = (
                "the workflow's name and run number"
                if event.title_fallback != "Deployment"
                else "the default"
            )
            why = (
                "the pull request has no title"
                if pull is not None
                else _lookup_gap(facts, {"pull_request_of"}, "its pull request", facts.pull_request_searched)
                or "GitHub knows no pull request of the commit"
            )
            put("title", event.title_fallback, Source("rule", f"{shape}: no pull request title ({why})"))
    if "pull_request_number" not in fields and pull is not None and pull.number is not None:
        commit = str(fields.get("commit_id") or "")[:7]
        put("pull_request_number", pull.number, of_pull(f"of commit {commit}" if commit else ""))
    if options.started_at is not None:
        since = options.started_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        put(
            "deployment_duration",
            minutes_between(options.started_at, now),
            Source("input", f"the time since the `started_at` input: {since}"),
        )
    elif "deployment_duration" not in fields and "deployment_duration" not in overrides:
        if facts.only_records:
            notices.append(
                f"deployment_duration is unknown: nothing but this step ran ({facts.only_records}), so the "
                "deployment happened elsewhere and no duration is sent. Set the `started_at` or "
                "`deployment_duration` input to give one."
            )
            sources["deployment_duration"] = Source("left out", "unknown: nothing but this step ran")
        elif facts.job_intervals is not None:
            run = _web(home, f"actions/runs/{event.jobs_of}") if event.jobs_of else None
            put(
                "deployment_duration",
                minutes_ran(facts.job_intervals, now),
                Source("look-up", f"{facts.measured_by or 'the time the jobs ran'}, waits not counted", run),
            )
    if "commits_count" not in fields and facts.commits_count is not None:
        base, head = facts.compared or ("", "")
        put(
            "commits_count",
            facts.commits_count,
            Source(
                "look-up", f"compare {_short(base)}…{_short(head)}", _web(home, f"compare/{base}...{head}")
            )
            if facts.compared
            else Source("look-up", "compare"),
        )
    if "deployment_node_id" not in fields and facts.deployment_node_id is not None:
        commit = str(fields.get("commit_id") or "")[:7]
        put(
            "deployment_node_id",
            facts.deployment_node_id,
            Source(
                "look-up",
                facts.deployment_found_by or f"the deployment of {commit} made during this run",
                _web(home, "deployments"),
            ),
        )
    if "status" not in fields:
        put("status", "succes", Source("rule", "the default: nothing tells of a failure"))
    for name, value in overrides.items():
        put(name, value, Source("input", f"`{name}` input"))

    labels = pull.labels if pull else ()
    if pull and pull.title:
        fix_title: Given | None = (f"PR #{pull.number} title" if pull.number else "PR title", pull.title)
    else:
        fix_title = ("head commit", event.fix_title) if event.fix_title else None
    # A label or title is the pull request's: the detail names it, and links it.
    named = f", PR #{pull.number}" if pull and pull.number else ""
    pull_link = of_pull("").link
    if "is_hotfix" not in overrides and (hotfix := hotfix_reason(labels, fields.get("branch"), options)):
        put(
            "is_hotfix",
            True,
            Source("rule", hotfix + (named if hotfix.startswith("label") else ""), pull_link),
        )
    if "is_fix" not in overrides and (fix := fix_reason(labels, fields.get("branch"), fix_title, options)):
        put("is_fix", True, Source("rule", fix + (named if fix.startswith("label") else ""), pull_link))
    for name, (value, source) in recovery_fields(event, facts, overrides, fields, home).items():
        put(name, value, source)
    # Every flag a rule set says why in the log too.
    notices += [
        f"{flag}: {sources[flag].detail}"
        for flag in ("is_hotfix", "is_fix")
        if flag not in overrides and fields.get(flag) is True
    ]

    if event.bot_member and "member_id" not in overrides:
        human = pull.merged_by or pull.author if pull else None
        if pull and human:
            role = "merged" if pull.merged_by else "opened"
            source = of_pull(f"was {role} by this person ({event.bot_member} is a bot)")
            put("member_id", human, source)
        else:
            notices.append(
                f"member_id is the bot account {event.bot_member}: {_no_person(pull, facts)}. "
                "Set the member_id input to credit someone."
            )
    if fields.get("pull_request_number") is None:
        why, warning = _no_pull_request(str(fields.get("commit_id")), facts)
        put("pull_request_number", 0, Source("rule", why))
        warnings.append(warning)
    missing = [name for name in REQUIRED_FIELDS if fields.get(name) in (None, "")]
    if missing:
        raise MissingFieldError(
            "Cannot build the deployment record: "
            + "; ".join(
                f"{name} is unknown ({MISSING_HINTS.get(name, 'not derivable')}): set the '{name}' input"
                for name in missing
            )
            + "."
        )
    try:
        request = DeploymentRequest.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        raise EventError(f"The event gives a value iftrue cannot take: {describe(exc)}.") from None
    sent = request.body()
    told = {
        # Every value sets its source with it; a field an event gave without one is the event's.
        name: sources.get(name, Source("event", "the event"))
        if name in sent
        else _left_out(name, sources.get(name), event, facts, fields)
        for name in REQUEST_FIELDS
    }
    jobs_run = _web(home, f"actions/runs/{event.jobs_of}") if event.jobs_of else None
    return Built(request, tuple(warnings), tuple(notices), MappingProxyType(told), facts.jobs, jobs_run)


def _short(ref: str) -> str:
    """A compared ref as the summary names it: a SHA's first 7 characters, a tag or branch whole."""
    return ref[:7] if _SHA.fullmatch(ref) else ref


# Why an optional field the record does not send is left out, when no rule said more.
_FALSE_FLAGS = {
    "is_fix": "not a fix: no fix label, fix/ branch, `fix:` title or commit, or revert among other changes",
    "is_hotfix": "not a hotfix: no hotfix label or hotfix/ branch, no rollback or revert only",
    "is_forced": "not forced: only a forced push sets it",
}
# The look-ups (Plan field names) that would have given a field, and what the event lacks when
# it names nothing to look up.
_LOOKUPS_OF = {
    "deployment_duration": ({"jobs_of", "job_of"}, "the run's jobs", "the event names no run to time"),
    "commits_count": (
        {"previous_release_of", "previous_deployment_of", "previous_run_of", "compare"},
        "the commit count",
        "the event lists no commits and names nothing to compare with",
    ),
    "deployment_node_id": (
        {"deployment_of", "jobs_of"},
        "the run's deployment",
        "the event names no deployment and no run to find one in",
    ),
}


def _left_out(
    name: str, said: Source | None, event: EventFacts, facts: Facts, fields: Mapping[str, Any]
) -> Source:
    """Why a field is not sent: what the event or a rule said, else what the look-ups tell."""
    if said is not None and said.kind in ("left out", "rule"):
        return said if said.kind == "left out" else Source("left out", said.detail)
    if name in _FALSE_FLAGS:
        return Source("left out", _FALSE_FLAGS[name])
    if name not in _LOOKUPS_OF:
        return Source("left out", "neither the event nor an input gives it")
    steps, what, unnamed = _LOOKUPS_OF[name]
    named = {
        "deployment_duration": event.jobs_of or event.job_of,
        "commits_count": event.previous_release_of
        or event.previous_deployment_of
        or event.previous_run_of
        or event.compare,
        "deployment_node_id": event.jobs_of or event.deployment_window,
    }
    if not named[name]:
        return Source("left out", f"unknown: {unnamed}")
    if not facts.looked_up:
        return Source("left out", f"no look-up: {facts.not_made or 'GitHub look-ups are off'}")
    if steps & facts.dropped:
        return Source("left out", "left out for the request budget")
    if name in facts.failed:
        return Source("left out", f"unknown: the look-up of {what} failed (see its warning)")
    if name == "deployment_duration":
        if facts.job_intervals is None:
            return Source("left out", "unknown: no run to time, or not all its jobs were read")
        return Source("left out", "unknown: no job of the run has run yet")
    if name == "commits_count":
        found = (
            "release of this package"
            if event.previous_release_of
            else "successful deployment"
            if event.previous_deployment_of
            else "successful run of this workflow"
            if event.previous_run_of
            else "commit"
        )
        return Source("left out", f"unknown: no earlier {found} to count from, or nothing new to count")
    commit = str(fields.get("commit_id") or "")[:7]
    return Source("left out", f"unknown: no single deployment of {commit} was made during the run")


#: Facts.not_made when the user turned the look-ups off, or gave no token to make them.
NO_GITHUB_TOKEN = "the github_token input is empty"  # noqa: S105 - a message, not a secret


def _no_pull_request(commit: str, facts: Facts) -> tuple[str, str]:
    """Why pull_request_number is 0, as truly as the look-ups tell, and a warning saying how to give it."""
    if facts.pull_request_searched:
        why = f"GitHub knows no pull request of commit {commit[:7]}"
        fix = "Set the pull_request_number input if the deployment has one."
        return why, f"{why}, so pull_request_number is 0. {fix}"
    fix = "Set the pull_request_number input"
    if facts.looked_up:
        why = _lookup_gap(facts, {"pull_request_of"}, "its pull request", False) or "no pull request found"
    else:
        # Nothing was looked for: never say that nothing was found.
        why = f"no look-up of its pull request was made ({facts.not_made or 'GitHub look-ups are off'})"
        if facts.not_made == NO_GITHUB_TOKEN:
            fix += ", or give the github_token input a token with `pull-requests: read` to turn look-ups on"
    return why, f"The deployment's pull request is unknown: {why}, so pull_request_number is 0. {fix}."


def _lookup_gap(facts: Facts, steps: set[str], what: str, answered: bool) -> str | None:
    """Why the look-up of `what` gave nothing: off, left out for the budget, or failed."""
    if not facts.looked_up:
        return "GitHub look-ups are off"
    if steps & facts.dropped:
        return f"the look-up of {what} was left out to stay within the run's GitHub request budget"
    if not answered:
        return f"the look-up of {what} failed (see the look-up warning)"
    return None


def _no_person(pull: PullRequestFacts | None, facts: Facts) -> str:
    """Why no person behind a bot's deployment was found, as truly as the look-ups tell."""
    if pull is None:
        why = _lookup_gap(facts, {"pull_request_of"}, "its pull request", facts.pull_request_searched)
        return why or "GitHub knows no pull request of its commit"
    if gap := _lookup_gap(facts, {"merger_of_pull", "pull_request_number"}, "who merged it", True):
        return f"pull request #{pull.number} was opened by a bot, and {gap}"
    return f"neither who merged nor who opened pull request #{pull.number} is known to be a person"


def _unchecked_branch(event: EventFacts, facts: Facts) -> str:
    why = _lookup_gap(facts, {"branch_check"}, "the name", False)
    default = event.default_branch
    stand_in = f"the default branch {default} is sent" if default else "no branch is known"
    return (
        f"'{event.branch_to_check}' may be a tag, not a branch, and it could not be checked ({why}), "
        f"so {stand_in}. Set the branch input, or give the action a github_token with `contents: read` "
        "to check it."
    )


def fit_record(
    request: DeploymentRequest, max_bytes: int, redact: Callable[[str], str] = str
) -> tuple[DeploymentRequest, str | None]:
    """The record shortened so its JSON takes at most max_bytes, and what was shortened.

    Text is passed through `redact` before it is cut: a secret cut in half is no longer
    recognised by any masker, the runner's included.

    The changelog goes first, then the title: a push changelog loses whole commit lines and
    ends with "… and N more commits", any other text ends with "… and N more characters".
    Other fields are never cut (a shortened URL or id would be wrong); their lengths are bounded
    (DeploymentRequest), so any record fits MAX_PAYLOAD_BYTES once its changelog and title are
    cut. Under a smaller limit they alone may be too long: the record stays over it, and the
    note says so.
    """
    body = request.body()
    if record_size(body) <= max_bytes:
        return request, None
    said = []
    body.update({name: redact(body[name]) for name in ("changelog", "title") if body.get(name)})
    changelog = body.get("changelog")
    if changelog:
        lines = changelog.split("\n")
        if all(_COMMIT_LINE.match(line) for line in lines):
            kept = _longest(body, "changelog", len(lines), max_bytes, lambda k: _commits_cut(lines, k))
            body["changelog"] = _commits_cut(lines, kept)
            said.append(f"the changelog keeps {kept:,} of {len(lines):,} commits")
        else:
            kept = _longest(body, "changelog", len(changelog), max_bytes, lambda k: _chars_cut(changelog, k))
            body["changelog"] = _chars_cut(changelog, kept)
            said.append(f"the changelog keeps {kept:,} of {len(changelog):,} characters")
    title = body["title"]
    if record_size(body) > max_bytes and len(title) > 1:
        kept = _longest(body, "title", len(title) - 1, max_bytes, lambda k: title[: max(k, 1)] + "…")
        body["title"] = title[: max(kept, 1)] + "…"
        said.append(f"the title keeps {max(kept, 1):,} of {len(title):,} characters")
    size = record_size(body)
    if size > max_bytes:
        note = (
            f"The record is {size:,} bytes, more than the {max_bytes:,} the `payload` input accepts, "
            "even with its changelog and title shortened; it cannot be replayed as is"
        )
    else:
        note = (
            f"The record was shortened to the {max_bytes:,} bytes the `payload` input accepts, "
            f"so it can be replayed: {'; '.join(said)}"
        )
    return DeploymentRequest.model_validate(body), note + "."


def _commits_cut(lines: list[str], kept: int) -> str:
    return "\n".join([*lines[:kept], f"… and {len(lines) - kept} more commits"])


def _chars_cut(text: str, kept: int) -> str:
    return f"{text[:kept].rstrip()}\n… and {len(text) - kept:,} more characters"


def _longest(body: Mapping[str, Any], name: str, most: int, max_bytes: int, cut: Callable[[int], str]) -> int:
    """The largest k in 0…most for which the record with `name` = cut(k) fits (0 if none)."""
    low, high = 0, most
    while low < high:
        middle = (low + high + 1) // 2
        if record_size({**body, name: cut(middle)}) <= max_bytes:
            low = middle
        else:
            high = middle - 1
    return low
