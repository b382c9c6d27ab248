"""GitHub REST look-ups through PyGithub, for what the event lacks (SPEC §5).

PyGithub is imported only when a look-up runs (it costs more than the rest of the action
to import), its objects are built lazily so no request is made whose answer is unused, and
a failed look-up never fails the run: the field falls back and one warning says why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import LookupFailed
from .events import is_bot
from .mapping import (
    RELEASE_TYPES,
    WINDOW_TOLERANCE,
    DeploymentRef,
    Facts,
    Interval,
    Plan,
    PullRequestFacts,
    ReleaseRef,
    release_skip_reason,
    utc,
)
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


def choose_pull(pulls: Sequence[PullCandidate], sha: str) -> PullCandidate | None:
    """The PR whose merge commit is `sha`, else the first merged one, else the first."""
    for pull in pulls:
        if pull.merge_commit_sha and pull.merge_commit_sha.lower() == sha.lower():
            return pull
    return next((pull for pull in pulls if pull.merged), pulls[0] if pulls else None)


def choose_previous_release(
    releases: Iterable[ReleaseCandidate], current: ReleaseRef
) -> ReleaseCandidate | None:
    """The newest non-draft release published before `current`; a prerelease only if it is one."""
    candidates = [
        release
        for release in releases
        if not release.draft
        and release.tag != current.tag
        and (current.id is None or release.id != current.id)
        and (current.prerelease or not release.prerelease)
        and release.published_at is not None
        and (current.published_at is None or release.published_at < current.published_at)
    ]
    return max(candidates, key=lambda release: release.published_at or datetime.min, default=None)


def choose_previous_deployment(
    deployments: Iterable[DeploymentCandidate], current: DeploymentRef
) -> DeploymentCandidate | None:
    """The newest deployment to the same environment created before `current`."""
    candidates = [
        deployment
        for deployment in deployments
        if deployment.created_at is not None
        and (current.id is None or deployment.id != current.id)
        and (current.created_at is None or deployment.created_at < current.created_at)
    ]
    return max(candidates, key=lambda deployment: deployment.created_at or datetime.min, default=None)


def choose_run_deployment(
    deployments: Iterable[DeploymentCandidate], window: Interval, environments: frozenset[str]
) -> tuple[DeploymentCandidate | None, tuple[str, ...]]:
    """The newest deployment created in the window (an `environment:` job's own), in
    `environments` when given; when the candidates are in several environments, none of them
    and the names of those environments.
    """
    start, end = window
    candidates = [
        d
        for d in deployments
        if d.node_id
        and d.created_at is not None
        and start - WINDOW_TOLERANCE <= d.created_at
        and (end is None or d.created_at <= end)
        and (not environments or d.environment.lower() in environments)
    ]
    # GitHub's environment names are case-insensitive.
    names = tuple(sorted({d.environment.lower(): d.environment for d in candidates}.values()))
    if len(names) > 1:
        return None, names
    newest = max(candidates, key=lambda deployment: deployment.created_at or datetime.min, default=None)
    return newest, ()


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


@dataclass
class Outcome:
    facts: Facts = field(default_factory=Facts)
    failures: list[Failure] = field(default_factory=list)
    #: Warnings about answers that were read but could not be used.
    notes: list[str] = field(default_factory=list)

    def warning(self) -> str | None:
        """One warning for all failed look-ups, naming the permissions to add."""
        if not self.failures:
            return None
        details = "; ".join(f"{f.what} ({f.reason}): {f.fields} fell back" for f in self.failures)
        permissions = ", ".join(sorted({f.permission for f in self.failures}))
        return (
            f"GitHub look-ups failed, so some fields use their fallback: {details}. "
            f"Grant the job `permissions:` {permissions} "
            "(or set the `github_token` input to '' to turn look-ups off)."
        )


class _Session:
    """Runs look-ups one by one, recording failures; after a fatal one the rest are not tried.

    Each runs under an alarm at the look-ups' deadline, which ends even a read that a server
    keeps alive a byte at a time.
    """

    def __init__(self, repo: Repository, deadline: float, redact: Callable[[str], str]) -> None:
        self.repo = repo
        self.deadline = deadline
        self.redact = redact
        self.outcome = Outcome()
        self.stopped: str | None = None
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
            reason = str(exc)
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
        self.outcome.failures.append(Failure(what, fields, permission, reason))
        return None


def _classify(exc: Exception) -> LookupFailed:
    """Turn what PyGithub or requests raised into a short reason."""
    from github import BadCredentialsException, GithubException, RateLimitExceededException

    if isinstance(exc, BadCredentialsException):
        return LookupFailed("401 bad credentials", stop=True)
    if isinstance(exc, RateLimitExceededException):
        return LookupFailed(f"{exc.status} rate limit exceeded", stop=True)
    if isinstance(exc, GithubException):
        message = exc.data.get("message") if isinstance(exc.data, dict) else None
        return LookupFailed(f"{exc.status} {message or 'error'}")
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
    session = _Session(_repository(api_url, repository, token, user_agent, deadline), deadline, redact)
    repo = session.repo
    pull: PullRequestFacts | None = None
    searched = False
    intervals: tuple[Interval, ...] | None = None
    window = plan.deployment_window
    count: int | None = None
    node_id: str | None = None
    is_branch: bool | None = None

    listened = _listened(session, *plan.workflow_file) if plan.workflow_file else None
    if plan.release_gate and release_skip_reason(plan.release_gate, listened):
        session.outcome.facts = Facts(release_types=listened, looked_up=True, dropped=plan.dropped)
        return session.outcome  # another run records the release: nothing else is needed

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
        jobs = _jobs_of_run(session, plan.jobs_of, plan)
        if jobs is not None:
            intervals, began = jobs
            window = window or ((began, None) if began else None)

    if plan.branch_check and not (pull and pull.head_ref):
        is_branch = _is_branch(session, plan.branch_check)

    if plan.previous_release_of:
        count = _count_since_release(session, plan.previous_release_of)
    elif plan.previous_deployment_of:
        count = _count_since_deployment(session, plan.previous_deployment_of)
    elif plan.compare:
        count = _compare(session, *plan.compare)

    if plan.deployment_of and window is not None:
        node_id = _run_deployment(session, plan.deployment_of, window, plan.environments)

    session.outcome.facts = Facts(
        pull_request=pull,
        commits_count=count,
        deployment_node_id=node_id,
        pull_request_searched=searched,
        release_types=listened,
        is_branch=is_branch,
        job_intervals=intervals,
        looked_up=True,
        dropped=plan.dropped,
        compared=session.compared if count is not None else None,
        failed=frozenset(name for failure in session.outcome.failures for name in failure.fields.split(", ")),
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


def _jobs_of_run(
    session: _Session, run: tuple[int, int], plan: Plan
) -> tuple[tuple[Interval, ...] | None, datetime | None] | None:
    """When the jobs of a run attempt ran, and when the attempt began (its first job was created).

    PyGithub lists the jobs of a run's latest attempt only, so the attempt's own list is read
    through its requester. An attempt's list also holds the jobs an earlier attempt ran that a
    re-run of failed jobs kept: only the attempt's own count. All pages are read when they
    measure the duration and fit in `plan.jobs_pages` (the first page's `total_count` tells);
    else pages are read only until one of the attempt's jobs gives its start.

    The attempt's `run_started_at` would cost one more request (the run), which this list
    replaced; its first job is created moments after it, before any deployment a job makes.
    """
    run_id, attempt = run
    readable = plan.jobs_pages * JOBS_PER_PAGE

    def pages() -> Iterator[tuple[list[dict[str, Any]], Any]]:
        url = f"{session.repo.url}/actions/runs/{run_id}/attempts/{attempt}/jobs"
        parameters: dict[str, Any] | None = {"per_page": JOBS_PER_PAGE}
        for _ in range(plan.jobs_pages):
            headers, data = session.repo.requester.requestJsonAndCheck("GET", url, parameters=parameters)
            if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
                raise LookupFailed("unexpected answer (no jobs list)")
            jobs = [job for job in data["jobs"] if isinstance(job, dict)]
            yield [job for job in jobs if job.get("run_attempt") in (None, attempt)], data.get("total_count")
            following = _next_page(headers)
            if following is None:
                return
            url, parameters = following, None  # the next link carries the parameters

    def when() -> tuple[tuple[Interval, ...], datetime | None, int | None]:
        listed: list[dict[str, Any]] = []
        unread: int | None = None
        began: datetime | None = None
        for jobs, total in pages():
            listed += jobs
            created = (_time(job.get("created_at")) or _time(job.get("started_at")) for job in listed)
            began = min((moment for moment in created if moment is not None), default=None)
            if isinstance(total, int) and total > readable:
                unread = total - readable
            if began is not None and (unread is not None or not plan.jobs_measure):
                break
        ran = (job_interval(job) for job in listed)
        return tuple(interval for interval in ran if interval is not None), began, unread

    # Name only the fields this list would have given.
    fields = ["deployment_duration"] if plan.jobs_measure else []
    if plan.deployment_of and plan.deployment_window is None:
        fields.append("deployment_node_id")
    answer = session.attempt(
        f"jobs of run {run_id} attempt {attempt}", ", ".join(fields), "actions: read", when
    )
    if answer is None:
        return None
    intervals, began, unread = answer
    if unread and plan.jobs_measure:
        session.outcome.notes.append(
            f"Run {run_id} has {unread} more jobs than the action reads within its budget of GitHub "
            "requests, so no deployment_duration is sent. Set the `started_at` input (e.g. from "
            "`date +%s` in the first step of the deploy job) to measure the deployment."
        )
        return None, began
    return intervals, began


def _next_page(headers: dict[str, Any]) -> str | None:
    import requests

    links = requests.utils.parse_header_links(headers.get("link") or "")
    return next((link["url"] for link in links if link.get("rel") == "next" and link.get("url")), None)


def _time(value: Any) -> datetime | None:
    return utc(datetime.fromisoformat(value)) if isinstance(value, str) and value else None


def _run_deployment(
    session: _Session, sha: str, window: Interval, environments: frozenset[str]
) -> str | None:
    chosen = session.attempt(
        f"deployments of commit {sha[:7]}",
        "deployment_node_id",
        "deployments: read",
        lambda: choose_run_deployment(
            (_deployment(d) for d in session.repo.get_deployments(sha=sha).get_page(0)), window, environments
        ),
    )
    if chosen is None:
        return None
    deployment, ambiguous = chosen
    if ambiguous:
        session.outcome.notes.append(
            f"GitHub deployments of commit {sha[:7]} were made during the run to several environments "
            f"({', '.join(ambiguous)}), so no deployment_node_id is sent. Set the `environment` input to "
            "the environment this step reports (in a matrix, e.g. `environment: ${{ matrix.environment }}`), "
            "or set `deployment_node_id`."
        )
    return deployment.node_id if deployment else None


def _compare(session: _Session, base: str, head: str) -> int | None:
    result = session.attempt(
        f"compare {base[:12]}...{head[:12]}",
        "commits_count",
        "contents: read",
        lambda: session.repo.compare(base, head).total_commits,
    )
    if not isinstance(result, int):
        return None
    session.compared = (base, head)
    return result


def _count_since_release(session: _Session, current: ReleaseRef) -> int | None:
    previous = session.attempt(
        "releases",
        "commits_count",
        "contents: read",
        lambda: choose_previous_release(
            (_release(r) for r in session.repo.get_releases().get_page(0)), current
        ),
    )
    return _compare(session, previous.tag, current.tag) if previous else None


def _count_since_deployment(session: _Session, current: DeploymentRef) -> int | None:
    previous = session.attempt(
        f"deployments to {current.environment}",
        "commits_count",
        "deployments: read",
        lambda: choose_previous_deployment(
            (
                _deployment(d)
                for d in session.repo.get_deployments(environment=current.environment).get_page(0)
            ),
            current,
        ),
    )
    if previous is None:
        return None
    if previous.sha.lower() == current.sha.lower():
        # A redeploy of the same commit: 0 new commits only if that deployment succeeded, which
        # this list does not tell (a retry after a failure ships them for the first time).
        return None
    return _compare(session, previous.sha, current.sha)


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
    )
