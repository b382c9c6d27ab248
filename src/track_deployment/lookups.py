"""GitHub REST look-ups through PyGithub, for what the event lacks (SPEC §5).

PyGithub is imported only when a look-up runs (it costs more than the rest of the action
to import), its objects are built lazily so no request is made whose answer is unused, and
a failed look-up never fails the run: the field falls back and one warning says why.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import LookupFailed
from .events import is_bot
from .gate import RELEASE_TYPES, in_environments, release_skip_reason
from .mapping import (
    WINDOW_TOLERANCE,
    DeploymentRef,
    Facts,
    Interval,
    Job,
    Plan,
    PullRequestFacts,
    ReleaseRef,
    utc,
)
from .recovery import BEHIND, Attempt, Before, Commit, Shipped, rerun
from .transport import LATE, Alarm, DeadlineAdapter, DeadlineExceeded, left
from .workflow import shorten

if TYPE_CHECKING:
    from github.Repository import Repository

# Seconds for each GitHub request; look-ups are never retried.
REQUEST_TIMEOUT = 10
# Characters of GitHub's words in a failure's reason.
REASON_CHARS = 200
# The most jobs GitHub lists per page.
JOBS_PER_PAGE = 100
# Runs of pull requests and merge queues test a change: they deploy nothing.
_NOT_DEPLOYING = frozenset({"pull_request", "pull_request_target", "merge_group"})


@dataclass(frozen=True)
class PullCandidate:
    number: int
    merge_commit_sha: str | None
    merged: bool
    facts: PullRequestFacts


@dataclass(frozen=True)
class ReleaseCandidate:
    id: int | None
    tag: str
    draft: bool
    prerelease: bool
    published_at: datetime | None


@dataclass(frozen=True)
class DeploymentCandidate:
    id: int | None
    sha: str
    node_id: str | None
    created_at: datetime | None
    environment: str = ""
    #: The creator marked the environment as going away: a preview.
    transient: bool = False
    #: The branch or tag deployed, to name what a rollback goes back from.
    ref: str | None = None


class Compared(NamedTuple):
    """One compare's answer: the count, how head relates to base, and the commits it listed."""

    total: int | None
    status: str | None
    base_sha: str | None
    shipped: Shipped

    @property
    def shipped_count(self) -> int | None:
        """Commits that ship: none for a rollback (GitHub's total is 0, nothing new ships)."""
        return None if self.status == BEHIND else self.total


def choose_pull(pulls: Sequence[PullCandidate], sha: str) -> PullCandidate | None:
    """The PR whose merge commit is `sha`, else the first merged one, else the first."""
    for pull in pulls:
        if pull.merge_commit_sha and pull.merge_commit_sha.lower() == sha.lower():
            return pull
    return next((pull for pull in pulls if pull.merged), pulls[0] if pulls else None)


# A tag's version at its end (`1.5.0`, `2.0.0-rc.1`), after an optional `v`; what comes before
# names the package in a monorepo (`@shop/web@`, `web-v`, `web/v`).
_TAG_VERSION = re.compile(
    r"(?P<package>.*?)v?\d+(?:\.\d+)+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?", re.IGNORECASE
)


def package_of(tag: str) -> str | None:
    """The package a release tag versions: its prefix before the version, without a `v` (`v1.2.3`
    and `1.2.3` are one package); None for a tag with no version."""
    match = _TAG_VERSION.fullmatch(tag)
    return match.group("package").lower() if match else None


def choose_previous_release(
    releases: Iterable[ReleaseCandidate], current: ReleaseRef
) -> ReleaseCandidate | None:
    """The newest non-draft release of the same package published before `current`; a
    prerelease only if it is one.

    A monorepo (changesets, release-please) tags each package (`@shop/api@3.0.0`,
    `@shop/web@1.5.0`), often from one commit: another package's tag is no previous release.
    """
    package = package_of(current.tag)
    candidates = [
        release
        for release in releases
        if not release.draft
        and release.tag != current.tag
        and (package is None or package_of(release.tag) == package)
        and (current.id is None or release.id != current.id)
        and (current.prerelease or not release.prerelease)
        and release.published_at is not None
        and (current.published_at is None or release.published_at < current.published_at)
    ]
    return max(candidates, key=lambda release: release.published_at or datetime.min, default=None)


def newest_first(
    deployments: Iterable[DeploymentCandidate], current: DeploymentRef
) -> list[DeploymentCandidate]:
    """The deployments to the same environment created before `current`, newest first."""
    earlier = [
        deployment
        for deployment in deployments
        if deployment.created_at is not None
        and (current.id is None or deployment.id != current.id)
        and (current.created_at is None or deployment.created_at < current.created_at)
    ]
    return sorted(earlier, key=lambda deployment: deployment.created_at or datetime.min, reverse=True)


def choose_previous_run(runs: Iterable[Mapping[str, Any]], run_id: int) -> Mapping[str, Any] | None:
    """The newest successful run of the workflow other than this one that could have deployed."""
    candidates = [
        run
        for run in runs
        if run.get("id") != run_id
        and isinstance(run.get("head_sha"), str)
        and run.get("conclusion") == "success"
        and run.get("event") not in _NOT_DEPLOYING
    ]
    return max(
        candidates, key=lambda run: str(run.get("run_started_at") or run.get("created_at")), default=None
    )


def run_deployments(
    deployments: Iterable[DeploymentCandidate], window: Interval, environments: frozenset[str]
) -> list[DeploymentCandidate]:
    """The deployments created in the window (the run's), in `environments` when given, else in
    any environment but a preview's."""
    start, end = window
    return [
        d
        for d in deployments
        if d.node_id
        and d.created_at is not None
        and start - WINDOW_TOLERANCE <= d.created_at
        and (end is None or d.created_at <= end)
        and in_environments(d.environment, environments)
        and (bool(environments) or not d.transient)
    ]


def choose_run_deployment(
    deployments: Iterable[DeploymentCandidate], window: Interval, environments: frozenset[str]
) -> tuple[DeploymentCandidate | None, tuple[str, ...]]:
    """The newest deployment created in the window (an `environment:` job's own), in
    `environments` when given (else in any but a preview's); when the candidates are in several
    environments, none of them and the names of those environments.
    """
    candidates = run_deployments(deployments, window, environments)
    # GitHub's environment names are case-insensitive.
    names = tuple(sorted({d.environment.lower(): d.environment for d in candidates}.values()))
    if len(names) > 1:
        return None, names
    newest = max(candidates, key=lambda deployment: deployment.created_at or datetime.min, default=None)
    return newest, ()


def created_with(
    deployments: Iterable[DeploymentCandidate], job: Job, siblings: Sequence[Job]
) -> list[DeploymentCandidate]:
    """The deployments created when `job` was: an `environment:` job's deployment is created with
    the job, before it waits for reviewers or a runner.

    Matrix jobs (`deploy (us)`, `deploy (eu)`) are created together, so several may be; they are
    ordered most likely first: the one whose place among them (by id, which GitHub gives in order of
    creation) is this job's place among the jobs created with it. Only a deployment status that
    names the job tells for sure (`names_job`).
    """
    if job.created_at is None:
        return []
    created = job.created_at
    found = sorted(
        (
            d
            for d in deployments
            if d.created_at is not None and abs(d.created_at - created) <= WINDOW_TOLERANCE
        ),
        key=lambda d: d.id or 0,
    )
    together = sorted(
        j.id or 0
        for j in siblings
        if j.created_at is not None and abs(j.created_at - created) <= WINDOW_TOLERANCE
    )
    place = together.index(job.id) if job.id in together else 0
    return sorted(found, key=lambda d: abs(found.index(d) - place))


def names_job(statuses: Iterable[Mapping[str, Any]], job_id: int) -> bool:
    """Whether a deployment's statuses link to the job: GitHub sets an Actions deployment's
    `log_url` (and `target_url`) to its job's page, `…/actions/runs/<run>/job/<job id>`."""
    pattern = re.compile(rf"/job/{job_id}(?![0-9])")
    return any(
        isinstance(value, str) and pattern.search(value)
        for status in statuses
        if isinstance(status, dict)
        for value in (status.get("log_url"), status.get("target_url"))
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


# Steps that prepare a job and ship nothing: the runner's own, and a checkout of the code.
_SET_UP_STEP = re.compile(r"set up job|.*\bcheck ?out\b.*", re.IGNORECASE)


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
    step_starts = (_time(step.get("started_at")) for step in steps or () if isinstance(step, dict))
    started = min((moment for moment in step_starts if moment is not None), default=None)
    if started is None and (job.get("runner_id") or job.get("runner_name")):
        started = _time(job.get("started_at"))
    if started is None:
        return None
    if job.get("status") == "in_progress":
        return started, None
    if job.get("status") == "completed":
        return started, _time(job.get("completed_at")) or started
    return None


def release_types(workflow: str) -> frozenset[str] | None:
    """The release action types a workflow file listens to; None when it does not say."""
    import yaml  # only a release run that may not be the recording one reads its workflow

    try:
        document = yaml.safe_load(workflow)
    except yaml.YAMLError:
        raise LookupFailed("the workflow file is not valid YAML") from None
    if not isinstance(document, dict):
        return None
    # YAML 1.1 reads the key `on` as the boolean true.
    triggers = document.get("on", document.get(True))
    if isinstance(triggers, str):
        triggers = [triggers]
    if isinstance(triggers, list):
        return RELEASE_TYPES if "release" in triggers else None
    if not isinstance(triggers, dict) or "release" not in triggers:
        return None
    release = triggers["release"]
    types = release.get("types") if isinstance(release, dict) else None
    if release is None or (isinstance(release, dict) and types is None):
        return RELEASE_TYPES
    if isinstance(types, str):
        types = [types]
    if isinstance(types, list) and all(isinstance(t, str) for t in types):
        return frozenset(types)
    return None


@dataclass(frozen=True)
class Failure:
    """A look-up that failed: what it would have given and the permission it needs."""

    what: str
    fields: str
    permission: str
    reason: str
    #: LookupFailed.cause: what the warning advises.
    cause: str = ""


@dataclass
class Outcome:
    facts: Facts = field(default_factory=Facts)
    failures: list[Failure] = field(default_factory=list)
    #: Warnings about answers that were read but could not be used.
    notes: list[str] = field(default_factory=list)
    #: What the answers leave unknown, though nothing is wrong (a field left out, and why).
    notices: list[str] = field(default_factory=list)

    def warning(self) -> str | None:
        """One warning for all failed look-ups; only a refusal advises a permission or a token."""
        if not self.failures:
            return None
        details = "; ".join(f"{f.what} ({f.reason}): {f.fields} fell back" for f in self.failures)
        advice = []
        if permissions := ", ".join(sorted({f.permission for f in self.failures if f.cause == "permission"})):
            advice.append(f"Grant the job `permissions:` {permissions}")
        if any(f.cause == "token" for f in self.failures):
            advice.append(
                "Give the `github_token` input a valid token (the default `${{ github.token }}` is)"
            )
        off = " (or set the `github_token` input to '' to turn look-ups off)." if advice else ""
        return f"GitHub look-ups failed, so some fields use their fallback: {details}. " + (
            "; ".join(advice) + off
            if advice
            else "No permission is missing; only this run's fields fell back."
        )


class _Session:
    """Runs look-ups one by one, recording failures; after a fatal one the rest are not tried.

    Each runs under an alarm at the look-ups' deadline, which ends even a read that a server
    keeps alive a byte at a time.
    """

    def __init__(
        self, repo: Repository, deadline: float, redact: Callable[[str], str], spare: int = 0
    ) -> None:
        self.repo = repo
        self.deadline = deadline
        self.redact = redact
        self.outcome = Outcome()
        self.stopped: str | None = None
        #: Requests the plan leaves unused, for more jobs pages or deployment statuses.
        self.spare = spare
        #: The (base, head) of the compare that counted the commits.
        self.compared: tuple[str, str] | None = None

    def attempt(self, what: str, fields: str, permission: str, call: Any) -> Any:
        if self.stopped:
            self.outcome.failures.append(Failure(what, fields, permission, f"not tried after {self.stopped}"))
            return None
        try:
            with Alarm().until(self.deadline):
                return call()
        except LookupFailed as exc:
            failed, reason = exc, str(exc)
            if exc.stop:
                self.stopped = reason
        except Exception as exc:  # a look-up must never fail the run
            failed = _classify(exc)
            if left(self.deadline) <= 0:  # whatever broke off, it was the deadline that did
                failed = LookupFailed("timed out: the look-ups' share of `timeout` was used up", stop=True)
            # Redacted before it is cut: a cut secret, or a broken one, is no longer recognised.
            reason = shorten(self.redact(str(failed)), REASON_CHARS)
            if failed.stop:
                self.stopped = reason
        self.outcome.failures.append(Failure(what, fields, permission, reason, failed.cause))
        return None


def _classify(exc: Exception) -> LookupFailed:
    """Turn what PyGithub or requests raised into a short reason."""
    from github import BadCredentialsException, GithubException, RateLimitExceededException

    if isinstance(exc, RateLimitExceededException):
        return LookupFailed(f"{exc.status} rate limit exceeded", stop=True)
    if isinstance(exc, GithubException):
        message = exc.data.get("message") if isinstance(exc.data, dict) else None
        if isinstance(exc, BadCredentialsException) or exc.status == 401:  # every look-up would fail so
            return LookupFailed(f"401 {message or 'bad credentials'}", stop=True, cause="token")
        # GitHub answers 404 for what the token may not see, as for what does not exist.
        cause = "permission" if exc.status in (403, 404) else ""
        return LookupFailed(f"{exc.status} {message or 'error'}", cause=cause)
    import requests

    if isinstance(exc, (requests.Timeout, DeadlineExceeded)):
        return LookupFailed("timed out", stop=True)
    if isinstance(exc, requests.RequestException):
        return LookupFailed("network error", stop=True)
    return LookupFailed(f"unexpected answer ({type(exc).__name__})")


def _refuse_202(response: Any) -> None:
    """A 202 is GitHub still computing the answer (a large compare, statistics): PyGithub would
    sleep 2 s and ask again with no limit (Requester.__requestRaw), so it ends the look-up."""
    if response.status_code == 202:
        response.close()
        raise LookupFailed("202: GitHub was still computing the answer")


def _bounded(requester: Any, deadline: float) -> None:
    """Make every request of `requester` end by `deadline` and read at most 1 MiB of each answer.

    PyGithub opens its sessions itself, one per connection object of the class the requester
    keeps (a private attribute): a subclass mounts the bounded adapter on each session it opens.
    """
    from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass

    def session_of(base: type[Any]) -> type[Any]:
        class Bounded(base):  # type: ignore[misc]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.session.mount(f"{self.protocol}://", DeadlineAdapter(deadline, _refuse_202))
                # No compressed answers: the bound counts the bytes as they come.
                self.session.headers["Accept-Encoding"] = "identity"
                self.session.hooks["response"].append(_refuse_cut)

        return Bounded

    https = requester._Requester__connectionClass is HTTPSRequestsConnectionClass
    base = HTTPSRequestsConnectionClass if https else HTTPRequestsConnectionClass
    requester._Requester__connectionClass = session_of(base)


def _refuse_cut(response: Any, *args: Any, **kwargs: Any) -> None:
    if cut := getattr(response, "cut", None):
        raise LookupFailed(f"answer {cut}", stop=cut == LATE)  # no time is left for the others


def _repository(api_url: str, repository: str, token: str, user_agent: str, deadline: float) -> Repository:
    from github import Auth, Github

    # PyGithub logs redirects and retries as warnings; the action reports failures itself.
    logging.getLogger("github").addHandler(logging.NullHandler())
    logging.getLogger("github").propagate = False
    client = Github(
        auth=Auth.Token(token),
        base_url=api_url,
        timeout=REQUEST_TIMEOUT,  # each request gets less when the deadline is nearer (_bounded)
        user_agent=user_agent,
        retry=None,  # never sleep on rate limits: a look-up is not worth delaying a deploy
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,
    )
    repo = client.get_repo(repository)
    _bounded(repo.requester, deadline)
    return repo


def look_up(
    plan: Plan,
    *,
    api_url: str,
    repository: str,
    token: str,
    user_agent: str,
    deadline: float,
    redact: Callable[[str], str] = str,
) -> Outcome:
    """Make the planned look-ups, in an order that lets later ones use earlier answers, all by
    `deadline`: a look-up still under way then fails, and those after it are not tried."""
    session = _Session(
        _repository(api_url, repository, token, user_agent, deadline),
        deadline,
        redact,
        plan.statuses_reads - 1,
    )
    repo = session.repo
    pull: PullRequestFacts | None = None
    searched = False
    intervals: tuple[Interval, ...] | None = None
    window = plan.deployment_window
    count: int | None = None
    node_id: str | None = None
    found_by: str | None = None
    is_branch: bool | None = None
    run_jobs: RunJobs | None = None
    job: Job | None = None
    never_started: str | None = None
    before: Before | None = None

    listened = _listened(session, *plan.workflow_file) if plan.workflow_file else None
    if plan.release_gate and release_skip_reason(plan.release_gate, listened):
        session.outcome.facts = Facts(release_types=listened, looked_up=True, dropped=plan.dropped)
        return session.outcome  # another run records the release: nothing else is needed
    if plan.previous_attempt_of:
        run_id, number, sha = plan.previous_attempt_of
        earlier = _earlier_attempt(session, run_id, number)
        if rerun(earlier, sha):
            session.outcome.facts = Facts(earlier_attempt=earlier, looked_up=True, dropped=plan.dropped)
            return session.outcome  # a redeploy: nothing is recorded, so nothing else is needed
    if plan.job_of:
        job, intervals, never_started = _deploying_job(session, plan.job_of)
        if never_started:
            session.outcome.facts = Facts(
                jobs=(job,) if job else None,
                never_started=never_started,
                looked_up=True,
                dropped=plan.dropped,
            )
            return session.outcome  # nothing shipped: nothing else is needed

    if plan.pull_request_of:
        sha = plan.pull_request_of
        failed_before = len(session.outcome.failures)
        chosen = session.attempt(
            f"PR of commit {sha[:7]}",
            "pull_request_number, branch, title, is_fix, is_hotfix",
            "pull-requests: read",
            lambda: choose_pull([_pull(p) for p in repo.get_commit(sha).get_pulls().get_page(0)], sha),
        )
        pull = chosen.facts if chosen else None
        searched = len(session.outcome.failures) == failed_before
        # Only a merged PR has a merger: an open one's answer would be of no use.
        if pull is not None and plan.merger_of_pull and chosen.merged:
            detail = _pull_detail(session, chosen.number, "member_id")
            pull = pull._replace(merged_by=detail.merged_by if detail else None)
    elif plan.pull_request_number is not None:
        pull = _pull_detail(session, plan.pull_request_number, "member_id, is_fix, is_hotfix")

    if plan.jobs_of:
        run_jobs = _jobs_of_run(session, plan.jobs_of, plan)
        if run_jobs is not None:
            intervals = run_jobs.intervals
            began = run_jobs.began
            window = window or ((began, None) if began else None)

    if plan.branch_check and not (pull and pull.head_ref):
        is_branch = _is_branch(session, plan.branch_check)

    if plan.previous_release_of:
        count, before = _since_release(session, plan.previous_release_of)
    elif plan.previous_deployment_of:
        count, before = _since_deployment(session, plan.previous_deployment_of)
    elif plan.compare:
        compared = _compare(session, *plan.compare)
        if compared is not None:
            count = compared.shipped_count
            base = compared.base_sha or plan.compare[0]
            before = Before(base, base[:7], base[:7], status=compared.status, shipped=compared.shipped)

    run_deployment = None
    if plan.deployment_of and window is not None:
        spare = plan.jobs_pages - (run_jobs.pages if run_jobs else 1)
        run_deployment, found_by = _run_deployment(
            session, plan.deployment_of, window, plan.environments, run_jobs, spare
        )
        node_id = run_deployment.node_id if run_deployment else None

    if plan.previous_run_of:
        count, before = _since_run(session, plan.previous_run_of, run_deployment)

    session.outcome.facts = Facts(
        pull_request=pull,
        commits_count=count,
        deployment_node_id=node_id,
        pull_request_searched=searched,
        release_types=listened,
        is_branch=is_branch,
        job_intervals=intervals,
        jobs=run_jobs.jobs if run_jobs else (job,) if job else None,
        measured_by=(
            "the time the run's jobs ran"
            if plan.jobs_of
            else f"the time job {job.name} ({job.id}) ran"
            if job
            else None
        ),
        only_records=run_jobs.only_records if run_jobs and plan.jobs_measure else None,
        never_started=never_started,
        deployment_found_by=found_by,
        looked_up=True,
        dropped=plan.dropped,
        compared=session.compared if count is not None else None,
        failed=frozenset(name for failure in session.outcome.failures for name in failure.fields.split(", ")),
        before=before,
    )
    return session.outcome


def _listened(session: _Session, path: str, ref: str) -> frozenset[str] | None:
    result = session.attempt(
        f"workflow file {path}",
        "whether this run records the release (it records, which may count the release twice)",
        "contents: read",
        lambda: release_types(session.repo.get_contents(path, ref=ref).decoded_content.decode()),  # type: ignore[union-attr]
    )
    return result if isinstance(result, frozenset) else None


def _pull_detail(session: _Session, number: int, fields: str) -> PullRequestFacts | None:
    """The PR itself: only it tells who merged it (the commit's PR list has no `merged_by`)."""

    def read() -> PullRequestFacts:
        pull = session.repo.get_pull(number)
        return _pull(pull).facts._replace(merged_by=_person(pull.merged_by))

    result = session.attempt(f"PR #{number}", fields, "pull-requests: read", read)
    return result if isinstance(result, PullRequestFacts) else None


def _person(user: Any) -> str | None:
    """The account's numeric id, unless it is a bot or unknown."""
    if user is None or user.id is None or is_bot(user.login, user.type):
        return None
    return str(user.id)


def _is_branch(session: _Session, name: str) -> bool | None:
    """Whether `name` is a branch; a 404 says it is not (a tag, or gone)."""
    from github import GithubException

    def ask() -> bool:
        try:
            session.repo.get_branch(name)
        except GithubException as exc:
            if exc.status == 404:
                return False
            raise
        return True

    result = session.attempt(f"branch {name}", "branch", "contents: read", ask)
    return result if isinstance(result, bool) else None


@dataclass(frozen=True)
class RunJobs:
    """A run's jobs as the jobs look-up read them."""

    jobs: tuple[Job, ...]
    #: When they ran; None when more jobs than the budget reads would measure the duration.
    intervals: tuple[Interval, ...] | None
    #: When the first of them was created: the run's start, bounding its deployments.
    began: datetime | None
    #: The index of this step's job in `jobs`, when found.
    this: int | None
    #: Why nothing but this step did work in the run, when so.
    only_records: str | None
    pages: int
    #: Jobs beyond the pages the budget reads.
    unread: int | None = None


def _job(raw: Mapping[str, Any], this: bool = False) -> Job:
    ran = job_interval(raw)
    return Job(
        id=raw.get("id") if isinstance(raw.get("id"), int) else None,
        name=str(raw.get("name") or ""),
        created_at=_time(raw.get("created_at")),
        started_at=ran[0] if ran else None,
        completed_at=_time(raw.get("completed_at")),
        status=str(raw.get("status") or ""),
        conclusion=raw.get("conclusion") if isinstance(raw.get("conclusion"), str) else None,
        this_job=this,
    )


def _jobs_of_run(session: _Session, run_id: int, plan: Plan) -> RunJobs | None:
    """The run's jobs: the latest execution of each, so a job that "re-run failed jobs" carried
    over from an earlier attempt counts (the list's default `filter=latest`; GitHub docs, "List
    jobs for a workflow run").

    All pages are read when they measure the duration and fit in `plan.jobs_pages` (the first
    page's `total_count` tells); else pages are read only until they give the run's start and
    this job. The run's `run_started_at` would cost one more request (the run), which this list
    replaced; its first job is created moments after it, before any deployment a job makes.
    """
    readable = plan.jobs_pages * JOBS_PER_PAGE
    wanted = plan.check_run_id is not None or bool(plan.runner_name)

    def pages() -> Iterator[tuple[list[dict[str, Any]], Any]]:
        url = f"{session.repo.url}/actions/runs/{run_id}/jobs"
        parameters: dict[str, Any] | None = {"per_page": JOBS_PER_PAGE}
        for _ in range(plan.jobs_pages):
            headers, data = session.repo.requester.requestJsonAndCheck("GET", url, parameters=parameters)
            if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
                raise LookupFailed("unexpected answer (no jobs list)")
            yield [job for job in data["jobs"] if isinstance(job, dict)], data.get("total_count")
            following = _next_page(headers)
            if following is None:
                return
            session.spare -= 1
            url, parameters = following, None  # the next link carries the parameters

    def read() -> RunJobs:
        listed: list[dict[str, Any]] = []
        unread: int | None = None
        read_pages = 0
        for jobs, total in pages():
            listed += jobs
            read_pages += 1
            if isinstance(total, int) and total > readable:
                unread = total - readable
            found = (
                not wanted
                or find_this_job([_job(j) for j in listed], plan.check_run_id, plan.runner_name, listed)
                is not None
            )
            if listed and found and (unread is not None or not plan.jobs_measure):
                break
        return _run_jobs(listed, unread, read_pages)

    def _run_jobs(listed: list[dict[str, Any]], unread: int | None, read_pages: int) -> RunJobs:
        jobs = [_job(raw) for raw in listed]
        this = find_this_job(jobs, plan.check_run_id, plan.runner_name, listed)
        if this is not None:
            jobs[this] = jobs[this]._replace(this_job=True)
        created = (
            job.created_at or _time(raw.get("started_at")) for job, raw in zip(jobs, listed, strict=True)
        )
        began = min((moment for moment in created if moment is not None), default=None)
        ran = (job_interval(job) for job in listed)
        intervals = None if unread else tuple(interval for interval in ran if interval is not None)
        recorder = only_records(listed, this) if this is not None and not unread else None
        return RunJobs(tuple(jobs), intervals, began, this, recorder, read_pages, unread)

    # Name only the fields this list would have given.
    fields = ["deployment_duration"] if plan.jobs_measure else []
    if plan.deployment_of and plan.deployment_window is None:
        fields.append("deployment_node_id")
    answer = session.attempt(f"jobs of run {run_id}", ", ".join(fields), "actions: read", read)
    if not isinstance(answer, RunJobs):
        return None
    if answer.unread and plan.jobs_measure:
        session.outcome.notes.append(
            f"Run {run_id} has {answer.unread} more jobs than the action reads within its budget of GitHub "
            "requests, so no deployment_duration is sent. Set the `started_at` input (e.g. from "
            "`date +%s` in the first step of the deploy job) to measure the deployment."
        )
    return answer


def _deploying_job(
    session: _Session, job_id: int
) -> tuple[Job | None, tuple[Interval, ...] | None, str | None]:
    """The job a deployment_status names (its check run id is the job's id): when it ran, and
    whether it never started (nothing shipped)."""

    def read() -> dict[str, Any]:
        url = f"{session.repo.url}/actions/jobs/{job_id}"
        _, data = session.repo.requester.requestJsonAndCheck("GET", url)
        if not isinstance(data, dict):
            raise LookupFailed("unexpected answer (no job)")
        return data

    raw = session.attempt(f"job {job_id}", "deployment_duration", "actions: read", read)
    if raw is None:
        return None, None, None
    job = _job(raw)
    ran = job_interval(raw)
    if ran is None and job.status == "completed":
        # Rejected by a reviewer or cancelled while it waited: it never had a runner or a step.
        ended = f" (it ended {job.conclusion})" if job.conclusion else ""
        return (
            job,
            None,
            f"the deployment's job '{job.name}' ({job_id}) never started{ended}, so nothing shipped; only a "
            "deployment that ran, to success or failure, is recorded",
        )
    return job, (ran,) if ran else None, None


def _next_page(headers: dict[str, Any]) -> str | None:
    import requests

    links = requests.utils.parse_header_links(headers.get("link") or "")
    return next((link["url"] for link in links if link.get("rel") == "next" and link.get("url")), None)


def _time(value: Any) -> datetime | None:
    return utc(datetime.fromisoformat(value)) if isinstance(value, str) and value else None


def _run_deployment(
    session: _Session,
    sha: str,
    window: Interval,
    environments: frozenset[str],
    run_jobs: RunJobs | None,
    spare: int,
) -> tuple[DeploymentCandidate | None, str | None]:
    """This run's deployment of the commit, and how it was told from others: this job's own (its
    status names the job, or it was created with the job), else the newest made during the run."""
    listed = session.attempt(
        f"deployments of commit {sha[:7]}",
        "deployment_node_id",
        "deployments: read",
        lambda: [_deployment(d) for d in session.repo.get_deployments(sha=sha).get_page(0)],
    )
    if listed is None:
        return None, None
    candidates = run_deployments(listed, window, environments)
    this = run_jobs.jobs[run_jobs.this] if run_jobs and run_jobs.this is not None else None
    if this is not None and this.id is not None:
        own = created_with(candidates, this, run_jobs.jobs if run_jobs else ())
        if len(own) == 1:
            return own[0], f"this job's deployment: created with job {this.name}"
        for deployment in own[: max(0, spare)]:
            session.spare -= 1
            statuses = _statuses(session, deployment)
            if statuses is None:
                break
            if names_job(statuses, this.id):
                return deployment, f"this job's deployment: its status names job {this.name}"
        if own:
            why = (
                "none of the statuses read names it"
                if spare > 0
                else "no request was left in the budget to read their statuses"
            )
            session.outcome.notes.append(
                f"{len(own)} GitHub deployments of commit {sha[:7]} were created with this job "
                f"({this.name}), and {why}, so no deployment_node_id is sent. Set `deployment_node_id` "
                "to record it."
            )
            return None, None
    newest, ambiguous = choose_run_deployment(candidates, window, environments)
    if ambiguous:
        session.outcome.notes.append(
            f"GitHub deployments of commit {sha[:7]} were made during the run to several environments "
            f"({', '.join(ambiguous)}), so no deployment_node_id is sent. Set the `environment` input to "
            "the environment this step reports (in a matrix, e.g. `environment: ${{ matrix.environment }}`), "
            "or set `deployment_node_id`."
        )
    return newest, None


def _statuses(
    session: _Session, deployment: DeploymentCandidate, fields: str = "deployment_node_id"
) -> list[Any] | None:
    def read() -> list[Any]:
        url = f"{session.repo.url}/deployments/{deployment.id}/statuses"
        _, data = session.repo.requester.requestJsonAndCheck("GET", url)
        if not isinstance(data, list):
            raise LookupFailed("unexpected answer (no list of statuses)")
        return data

    result = session.attempt(f"statuses of deployment {deployment.id}", fields, "deployments: read", read)
    return result if isinstance(result, list) else None


def _compare(session: _Session, base: str, head: str) -> Compared | None:
    def read() -> Compared:
        comparison = session.repo.compare(base, head)
        data = comparison.raw_data
        # Only the commits this one answer lists (up to 250): `Comparison.commits` would page on.
        listed = data.get("commits")
        commits = tuple(_commit(item) for item in listed or () if isinstance(item, dict))
        total = data.get("total_commits")
        base_commit = data.get("base_commit")
        return Compared(
            total=total if isinstance(total, int) else None,
            status=data.get("status") if isinstance(data.get("status"), str) else None,
            base_sha=base_commit.get("sha") if isinstance(base_commit, dict) else None,
            shipped=Shipped(commits, isinstance(total, int) and len(commits) >= total),
        )

    result = session.attempt(f"compare {base[:12]}...{head[:12]}", "commits_count", "contents: read", read)
    if not isinstance(result, Compared):
        return None
    session.compared = (base, head)
    return result


def _commit(item: Mapping[str, Any]) -> Commit:
    commit = item.get("commit")
    message = commit.get("message") if isinstance(commit, dict) else None
    parents = item.get("parents")
    return Commit(
        str(item.get("sha") or ""),
        message if isinstance(message, str) else "",
        len(parents) if isinstance(parents, list) else None,
    )


Counted = tuple[int | None, Before | None]


def _since(session: _Session, before: Before, head: str) -> Counted:
    """The count since what ran before, and how `head` compares with it (no compare for the same commit)."""
    if before.sha.lower() == head.lower():
        return None, before
    compared = _compare(session, before.sha, head)
    if compared is None:
        return None, None
    return compared.shipped_count, before._replace(status=compared.status, shipped=compared.shipped)


def _since_release(session: _Session, current: ReleaseRef) -> Counted:
    previous = session.attempt(
        "releases",
        "commits_count",
        "contents: read",
        lambda: choose_previous_release(
            (_release(r) for r in session.repo.get_releases().get_page(0)), current
        ),
    )
    if not previous:
        return None, None
    compared = _compare(session, previous.tag, current.tag)
    if compared is None:
        return None, None
    base = compared.base_sha or previous.tag
    where = "the released version"
    release = Before(base, f"release {previous.tag}", where, previous.tag, status=compared.status)
    return compared.shipped_count, release._replace(shipped=compared.shipped)


def _since_deployment(session: _Session, current: DeploymentRef) -> Counted:
    listed = session.attempt(
        f"deployments to {current.environment}",
        "commits_count",
        "deployments: read",
        lambda: newest_first(
            (
                _deployment(d)
                for d in session.repo.get_deployments(environment=current.environment).get_page(0)
            ),
            current,
        ),
    )
    previous = _last_successful(session, listed or [], current.environment)
    return _since(session, previous, current.sha) if previous else (None, None)


def _last_successful(
    session: _Session, deployments: Sequence[DeploymentCandidate], environment: str
) -> Before | None:
    """The newest of the deployments whose statuses hold a `success`, read within the budget.

    GitHub lists a deployment without its state: a failed one ships nothing, so the count runs
    from the last one that succeeded (which GitHub marks `inactive` once a newer one succeeds).
    """
    for index, deployment in enumerate(deployments):
        if index > 0:
            if session.spare <= 0:
                newest = (
                    "The newest earlier deployment"
                    if index == 1
                    else f"The {index} newest earlier deployments"
                )
                session.outcome.notices.append(
                    f"{newest} to {environment} did not succeed, and the action reads no further within its "
                    "budget of GitHub requests, so commits_count is left out and no rollback or redeploy is "
                    "detected. Set the `commits_count` input to send one."
                )
                return None
            session.spare -= 1
        statuses = _statuses(session, deployment, "commits_count, is_hotfix")
        if statuses is None:
            return None
        success = next(
            (status for status in statuses if isinstance(status, dict) and status.get("state") == "success"),
            None,
        )
        if success is not None:
            link = next(
                (
                    url
                    for url in (success.get("log_url"), success.get("target_url"))
                    if isinstance(url, str) and url.startswith(("https://", "http://"))
                ),
                None,
            )
            what = f"deployment {deployment.id} to {environment}"
            return Before(deployment.sha, what, environment, deployment.ref, link, succeeded=True)
    return None


def _earlier_attempt(session: _Session, run_id: int, number: int) -> Attempt | None:
    """Attempt `number` of run `run_id`: how it concluded, and at which commit.

    A re-run's own run is listed as in progress, so the list of successful runs never shows the
    attempt that succeeded before it (GitHub REST, get a workflow run attempt, asks for it alone).
    """

    def read() -> Attempt:
        url = f"{session.repo.url}/actions/runs/{run_id}/attempts/{number}"
        parameters = {"exclude_pull_requests": "true"}  # a list of up to 50 that nothing here reads
        _, data = session.repo.requester.requestJsonAndCheck("GET", url, parameters=parameters)
        if not isinstance(data, dict) or not isinstance(data.get("head_sha"), str):
            raise LookupFailed("unexpected answer (no head_sha)")
        conclusion = data.get("conclusion")
        link = data.get("html_url")
        return Attempt(
            number,
            data["head_sha"],
            conclusion if isinstance(conclusion, str) else None,
            link if isinstance(link, str) and link.startswith(("https://", "http://")) else None,
        )

    answer: Attempt | None = session.attempt(
        f"attempt {number} of run {run_id}", "whether this re-run is a redeploy", "actions: read", read
    )
    return answer


def _since_run(
    session: _Session, workflow_run: tuple[str, int, str], deployment: DeploymentCandidate | None
) -> Counted:
    """What this run deploys over: its environment's last successful deployment when the run made
    a GitHub deployment, else the head of the workflow's last successful run."""
    workflow, run_id, sha = workflow_run
    if deployment is not None and deployment.environment:
        current = DeploymentRef(deployment.id, sha, deployment.environment, deployment.created_at)
        return _since_deployment(session, current)

    def read() -> Mapping[str, Any] | None:
        url = f"{session.repo.url}/actions/workflows/{workflow}/runs"
        parameters = {"status": "success", "per_page": 10, "exclude_pull_requests": "true"}
        _, data = session.repo.requester.requestJsonAndCheck("GET", url, parameters=parameters)
        runs = data.get("workflow_runs") if isinstance(data, dict) else None
        if not isinstance(runs, list):
            raise LookupFailed("unexpected answer (no workflow_runs list)")
        return choose_previous_run((run for run in runs if isinstance(run, dict)), run_id)

    run = session.attempt(
        f"successful runs of workflow {workflow}", "commits_count, is_hotfix", "actions: read", read
    )
    if not isinstance(run, Mapping):
        return None, None
    name = run.get("name") or workflow
    link = run.get("html_url") if isinstance(run.get("html_url"), str) else None
    what = f"run #{run.get('run_number')} of {name}" if run.get("run_number") else f"the last run of {name}"
    where = f"what {name} deployed"
    previous = Before(str(run["head_sha"]), what, where, run.get("head_branch") or None, link, succeeded=True)
    return _since(session, previous, sha)


def _pull(pull: Any) -> PullCandidate:
    return PullCandidate(
        number=pull.number,
        merge_commit_sha=pull.merge_commit_sha,
        merged=pull.merged_at is not None,
        facts=PullRequestFacts(
            number=pull.number,
            head_ref=pull.head.ref if pull.head else None,
            title=pull.title,
            labels=tuple(label.name for label in pull.labels or () if label.name),
            author=_person(pull.user),
        ),
    )


def _release(release: Any) -> ReleaseCandidate:
    return ReleaseCandidate(
        id=release.id,
        tag=release.tag_name,
        draft=bool(release.draft),
        prerelease=bool(release.prerelease),
        published_at=release.published_at,
    )


def _deployment(deployment: Any) -> DeploymentCandidate:
    return DeploymentCandidate(
        id=deployment.id,
        sha=deployment.sha,
        node_id=deployment.node_id,
        created_at=utc(deployment.created_at) if deployment.created_at else None,
        environment=deployment.environment or "",
        ref=deployment.ref or None,
        # As listed: GitHub leaves the field out of some answers (its schema does not require it),
        # and PyGithub would fetch the deployment again to read a field the list lacks.
        transient=deployment._rawData.get("transient_environment") is True,
    )
