"""The types every stage shares, and the small rules about GitHub's words that they all use.

A value travels with its Source: where it came from, or why it is left out, decided where the
value is. The records here are what crosses a stage's boundary; each is one thing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, NamedTuple

_SHA = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")
# GitHub's own titles for the commit that merges a pull request (Merge pull request dialog):
# "Merge pull request #412 from octo-org/feature/checkout" for a merge commit, the head named
# owner/branch, and "Add gift cards (#412)" for a squash merge. Nine digits at most: a PR number.
_MERGE_TITLE = re.compile(r"Merge pull request #([1-9][0-9]{0,8}) from [^/\s]+/(\S+)")
_SQUASH_TITLE = re.compile(r".*\S \(#([1-9][0-9]{0,8})\)")
#: The rule that names a PR by a merge commit's title.
MERGE_TITLE = "GitHub's merge commit title"

#: A span of time: when a job ran, when a deployment may have been made; an open end reaches to now.
Interval = tuple[datetime, datetime | None]


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


class Sourced(NamedTuple):
    """A value and its Source; a value of None is a field left out, and the Source says why."""

    value: Any
    source: Source


def left_out(why: str) -> Sourced:
    return Sourced(None, Source("left out", why))


#: Where the event gives a value (`release.name`) and the value; or a rule's Source and its value.
Given = tuple[str | Source, Any]


def sourced(entries: Mapping[str, Given | list[Given] | Source | None]) -> dict[str, Sourced]:
    """A reader's fields and their sources, decided together.

    Each entry is where the event gives the field (a list: the first present one wins), or a
    Source saying why the event gives none (a tag is no branch).
    """
    found: dict[str, Sourced] = {}
    for name, entry in entries.items():
        if isinstance(entry, Source):
            found[name] = Sourced(None, entry)
            continue
        for where, value in entry if isinstance(entry, list) else [entry] if entry else []:
            if present(value):
                found[name] = Sourced(value, where if isinstance(where, Source) else Source("event", where))
                break
    return found


class PullRequest(NamedTuple):
    """A pull request, from the event or a look-up."""

    number: int | None = None
    head_ref: str | None = None
    title: str | None = None
    labels: tuple[str, ...] = ()
    #: Numeric ids of the people who merged and opened it; None for a bot or when unknown.
    merged_by: str | None = None
    author: str | None = None
    #: The description: GitHub's Revert button writes `Reverts owner/repo#n`.
    body: str | None = None
    merge_commit_sha: str | None = None
    merged: bool = False


class Release(NamedTuple):
    """A GitHub release: the one deployed, or a candidate for the one before it."""

    id: int | None
    tag: str
    prerelease: bool = False
    published_at: datetime | None = None
    #: The event's action (`published`, `released`, …) for the release deployed.
    action: str | None = None
    draft: bool = False


class Deployment(NamedTuple):
    """A GitHub deployment: the one reported, or one a look-up listed."""

    id: int | None
    sha: str
    environment: str = ""
    created_at: datetime | None = None
    node_id: str | None = None
    #: The creator marked the environment as going away: a preview.
    transient: bool = False
    #: The branch or tag deployed, to name what a rollback goes back from.
    ref: str | None = None


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


class Commit(NamedTuple):
    """A commit that ships: its SHA, message and, when the source tells, how many parents it has."""

    sha: str
    message: str
    parents: int | None = None

    @property
    def subject(self) -> str:
        return self.message.strip().splitlines()[0].strip() if self.message.strip() else ""

    @property
    def short(self) -> str:
        return self.sha[:7]


class Shipped(NamedTuple):
    """The commits a deployment ships, as one source lists them; `complete` when it lists all."""

    commits: tuple[Commit, ...]
    complete: bool


class Before(NamedTuple):
    """What production ran before this deployment, and how this deployment's commit compares with it.

    The environment's last successful deployment, the workflow's last successful run, the branch
    before a forced push, or the previous release (whose compare counts the commits).
    """

    sha: str
    #: What it is, for a reason: `deployment 1499999000 to production`, `run #41 of Deploy`.
    what: str
    #: What it ran as, for a rollback's reason: `production`, `main`, `what Deploy deployed`.
    where: str
    #: Its tag or branch, when known: `v2.4.0`.
    name: str | None = None
    link: str | None = None
    #: The compare's status (ahead, behind, identical, diverged); None when not compared.
    status: str | None = None
    shipped: Shipped | None = None
    #: It is known to have succeeded: only then is the same commit again a redeploy.
    succeeded: bool = False


def workflow_file(workflow_ref: str, repository: str) -> tuple[str, str] | None:
    """(path, ref) of `owner/repo/.github/workflows/x.yml@refs/heads/main`, in this repository."""
    path, at, ref = workflow_ref.partition("@")
    prefix = f"{repository}/"
    if not at or not ref or not repository or not path.startswith(prefix):
        return None
    return path.removeprefix(prefix), ref


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters of `text` and a "…" when cut.

    Call it on redacted text only: a secret cut in half is no longer recognised by any masker.
    """
    return text if len(text) <= limit else text[:limit] + "…"


def cut_utf8(text: str, max_bytes: int) -> str:
    """The longest start of `text` within `max_bytes` in UTF-8, never half a character."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def few_words(text: str, limit: int) -> str:
    """Untrusted text as a reason quotes it: its first line, on one line, at most `limit` characters."""
    line = " ".join((text.strip().splitlines() or [""])[0].split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def present(value: Any) -> bool:
    """Whether a value is given: not None, and not blank text."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def first_present(*values: str | None) -> str | None:
    """The first value that is not None or blank."""
    return next((value for value in values if present(value)), None)


def is_sha(text: str) -> bool:
    """A full commit SHA (SHA-1 or SHA-256)."""
    return bool(_SHA.fullmatch(text))


def short_ref(ref: str) -> str:
    """`refs/heads/main` → `main`, `refs/tags/v1` → `v1`; any other text as it is."""
    return ref.removeprefix("refs/heads/").removeprefix("refs/tags/")


def is_tag(ref: str) -> bool:
    """A full ref naming a tag: `refs/tags/v1`."""
    return ref.startswith("refs/tags/")


def branch_of(ref: str | None) -> str | None:
    """A ref shortened to its branch name; None for a tag, another ref or a commit SHA."""
    if not present(ref):
        return None
    assert ref is not None
    if ref.startswith("refs/heads/"):
        ref = ref.removeprefix("refs/heads/")
    elif ref.startswith("refs/"):
        return None
    return None if is_sha(ref) else ref


def web(url: Any) -> str | None:
    """The address when it is a web one (http or https): only those become links."""
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


def web_path(home: str | None, path: str) -> str | None:
    """An address on the repository's own site (`pull/412`), when its address is a web one."""
    return f"{home.rstrip('/')}/{path}" if home and web(home) else None


def utc(moment: datetime) -> datetime:
    """A time GitHub gave without a zone read as UTC, which all its API times are."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def minutes_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    minutes = (utc(end) - utc(start)).total_seconds() / 60
    return round(minutes, 2) if minutes >= 0 else None


def is_bot(login: str | None, kind: str | None) -> bool:
    """A GitHub App or other bot account: `type: Bot`, or a login ending in `[bot]`."""
    return kind == "Bot" or (login or "").endswith("[bot]")


def is_dependabot(*logins: str | None) -> bool:
    """Dependabot started the run: GitHub gives its runs no Actions secrets and a read-only token."""
    return any((login or "").lower() == "dependabot[bot]" for login in logins)


def person(account: Any) -> str | None:
    """The numeric id of an account (anything with `id`, `login`, `type`), unless it is a bot or unknown."""
    if account is None or not isinstance(getattr(account, "id", None), int):
        return None
    return None if is_bot(account.login, account.type) else str(account.id)


class Reading(NamedTuple):
    """What one event says about the deployment, before inputs and look-ups."""

    #: Each field the event gives, with its Source; a value of None: why the event gives none.
    given: Mapping[str, Sourced] = MappingProxyType({})
    default_branch: str | None = None
    pull_request: PullRequest | None = None
    #: The payload names its pull request by number and head only: labels and people need a request.
    pull_request_partial: bool = False
    #: The text a Conventional Commit `fix:` is looked for in when no PR title is known.
    fix_title: str | None = None
    #: The title when no pull request gives one, and the rule that made it.
    title_fallback: Sourced | None = None
    previous_release_of: Release | None = None
    previous_deployment_of: Deployment | None = None
    compare: tuple[str, str] | None = None
    #: What the compare's base was, for a rollback's reason (a forced push: the branch before it).
    compare_base: Before | None = None
    #: Set when member_id would be a bot: its login; the person behind its PR is looked for.
    bot_member: str | None = None
    #: The release deployed, and the workflow file (path, ref) that tells which of its runs records it.
    release: Release | None = None
    workflow_file: tuple[str, str] | None = None
    #: A short name the event gives as its branch that may be a tag; a request tells.
    branch_to_check: str | None = None
    #: The pull request a head commit's title names (GitHub's merge or squash title), and which title.
    titled_pull: tuple[PullRequest, str] | None = None
    #: The run whose jobs measure the duration and bound the deployment look-up.
    jobs_of: int | None = None
    #: The job a deployment_status names (its check run): it alone measures the duration.
    job_of: int | None = None
    #: jobs_of is the run this step runs in, so this job is among its jobs.
    this_run: bool = False
    #: When the reported run ran, when the payload tells (workflow_run): its deployment's window.
    deployment_window: Interval | None = None
    #: The commits the payload lists as shipped (a push), for the recovery rules.
    shipped: Shipped | None = None
    #: The tag or branch deployed, for a rollback's reason (`v2.3.0`).
    deployed_name: str | None = None
    #: (workflow file name, run id, branch) of a run-based deploy: what ran before it is the
    #: workflow's last successful run on the same branch (a feature branch's run deployed nothing).
    previous_run_of: tuple[str, int, str | None] | None = None
    #: (run id, the attempt before this one) of a re-run of the run that deployed.
    rerun_of: tuple[int, int] | None = None
    #: The commit the run's own deployments are made at (GITHUB_SHA), whatever commit_id says.
    run_sha: str | None = None
    #: The workflow file (path, ref) of the Actions run that made a reported deployment: when it
    #: records its deployments itself, this run does not.
    deploying_workflow: tuple[str, str] | None = None

    def value(self, name: str) -> Any:
        entry = self.given.get(name)
        return entry.value if entry else None


class Found(NamedTuple):
    """What the GitHub look-ups found; None where a look-up was not made or gave nothing."""

    #: The record's fields a look-up decides (deployment_duration, commits_count,
    #: deployment_node_id, status), each with its Source; a value of None: why the look-up that
    #: was made gave none (it failed, or what it read holds none).
    fields: Mapping[str, Sourced] = MappingProxyType({})
    pull_request: PullRequest | None = None
    #: Why the look-up of the commit's PR gave none: GitHub knows none (kind `look-up`), or the
    #: look-up failed (`left out`); None when it found one, or none was made.
    no_pull_request: Source | None = None
    #: The release types the run's workflow listens to; None when unknown.
    release_types: frozenset[str] | None = None
    #: Whether Reading.branch_to_check is a branch; None when not asked or unknown.
    is_branch: bool | None = None
    #: The measured run's jobs, for the summary's chart.
    jobs: tuple[Job, ...] | None = None
    #: The deployment's job never started (rejected, cancelled while waiting): why nothing shipped.
    never_started: str | None = None
    #: What production ran before this deployment and how this one compares with it.
    before: Before | None = None
    #: The attempt of this run before a re-run: what ran before it, in the same run.
    earlier_attempt: Before | None = None
    #: The environments this job (or the reported run) deployed to, by its own GitHub
    #: deployments; None when unknown.
    deployed_to: tuple[str, ...] | None = None
    #: A job of the run failed without ever starting (rejected, its approval timed out) and none
    #: that ran failed: why a failure shipped nothing.
    rejected: str | None = None
    #: The workflow that made the reported deployment records it itself: which.
    recorded_by: str | None = None

    def value(self, name: str) -> Any:
        entry = self.fields.get(name)
        return entry.value if entry else None


def pull_request_of_title(title: str | None) -> tuple[PullRequest, str] | None:
    """The pull request GitHub's merge or squash commit title names, and which title it is."""
    line = (title or "").strip()
    if match := _MERGE_TITLE.fullmatch(line):
        return PullRequest(number=int(match[1]), head_ref=match[2]), MERGE_TITLE
    if match := _SQUASH_TITLE.fullmatch(line):
        return PullRequest(number=int(match[1])), "GitHub's squash commit title"
    return None
