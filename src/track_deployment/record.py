"""The record: what the event says, what the look-ups found and the inputs, each value with its
Source; then the flags, the fallbacks and the checks iftrue's schema makes. No I/O here.

An input always wins. A value and its Source are set together (`Draft.put`), so the summary
never guesses afterwards why a value is what it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from pydantic import ValidationError

from .errors import EventError, MissingFieldError
from .inputs import Inputs
from .model import (
    MERGE_TITLE,
    Before,
    Found,
    Job,
    PullRequest,
    Reading,
    Shipped,
    Source,
    Sourced,
    branch_of,
    few_words,
    first_present,
    minutes_between,
    web,
    web_path,
)
from .plan import NO_GITHUB_TOKEN, Plan
from .recovery import is_conventional_fix, judge
from .schema import REQUEST_FIELDS, REQUIRED_FIELDS, DeploymentRequest
from .values import describe

_HOTFIX_BRANCH = ("hotfix/", "hotfix-")
_FIX_BRANCH = ("fix/", "fix-", "bugfix/", "bugfix-")

# The input a user sets when a required field cannot be derived, and why it may be missing.
MISSING_HINTS = {
    "title": "the event gives no title",
    "branch": "the event names no branch it is sure of, and the repository's default branch is unknown",
    "commit_id": "the event gives no commit and GITHUB_SHA is empty",
    "repository_url": "the event has no repository and GITHUB_SERVER_URL or GITHUB_REPOSITORY is empty",
    "member_id": "the event has no sender and GITHUB_ACTOR_ID is empty",
}


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


class Draft:
    """The record as it is built: each field's value with its Source, and what the log says."""

    def __init__(self, reading: Reading, found: Found, plan: Plan, rules: Inputs) -> None:
        titled = reading.titled_pull[0].number if reading.titled_pull else None
        if (
            titled
            and found.pull_request
            and not found.pull_request.merged
            and found.pull_request.number != titled
        ):
            # An open PR (a back-merge of main) listed for a merge commit is not what it shipped.
            number = found.pull_request.number
            why = f"GitHub lists only the open pull request #{number} for the commit, not the one it merged"
            found = found._replace(pull_request=None, no_pull_request=Source("look-up", why))
        self.reading, self.found, self.plan, self.rules = reading, found, plan, rules
        self.values: dict[str, Sourced] = dict(reading.given)
        # A PR the payload names only by number is completed by its look-up; the payload's
        # number and branch stay.
        self.pull: PullRequest | None = found.pull_request or reading.pull_request
        # Links point at the repository the event names, whatever an input sends as repository_url.
        self.home: str | None = reading.value("repository_url")
        self.warnings: list[str] = []
        self.notices: list[str] = []

    def put(self, name: str, value: Any, source: Source) -> None:
        self.values[name] = Sourced(value, source)

    def get(self, name: str) -> Any:
        entry = self.values.get(name)
        return entry.value if entry else None

    def of_pull(self, what: str) -> Source:
        kind = "look-up" if self.found.pull_request else "event"
        number = self.pull.number if self.pull else None
        link = web_path(self.home, f"pull/{number}") if number else None
        return Source(kind, f"PR #{number} {what}".strip(), link)

    def why_no_pull(self) -> str:
        """Why no pull request is known: no look-up of it was made (the plan says why), or what the
        look-up said (GitHub knows none, or it failed)."""
        said = self.found.no_pull_request
        not_made = self.plan.why_not_made({"pull_request_of"}, "its pull request")
        return not_made or (said.detail if said else "its pull request was not looked for")


def _branch(draft: Draft) -> None:
    """The PR's head branch; else the event's, unless it is a tag; else the default branch."""
    reading, found = draft.reading, draft.found
    if reading.pull_request is None and found.pull_request and found.pull_request.head_ref:
        if head := branch_of(found.pull_request.head_ref):
            draft.put("branch", head, draft.of_pull("head branch"))
    elif reading.branch_to_check and reading.branch_to_check == draft.get("branch") and not found.is_branch:
        kind = "is a tag" if found.is_branch is False else "may be a tag (not checked)"
        draft.values["branch"] = Sourced(None, Source("rule", f"`{reading.branch_to_check}` {kind}"))
        if found.is_branch is None and "branch" not in draft.rules.fields:
            draft.notices.append(_unchecked_branch(draft))
    # The PR that GitHub's merge or squash title names, when no look-up found the commit's PR
    # (SPEC §4): a PR found is GitHub's own record and wins. GitHub lists only open PRs for a
    # commit that is not on the default branch (git-flow's merge of release/2.5 into main), so a
    # look-up that finds none does not overrule the title.
    if draft.pull is None and reading.titled_pull:
        titled, rule = reading.titled_pull
        source = Source("rule", rule, web_path(draft.home, f"pull/{titled.number}"))
        draft.put("pull_request_number", titled.number, source)
        if titled.head_ref:
            draft.put("branch", titled.head_ref, source)
    if not draft.get("branch") and reading.default_branch:
        said = draft.values.get("branch")
        because = said.source.detail if said and said.source.kind == "rule" else "the event names no branch"
        draft.put(
            "branch", reading.default_branch, Source("rule", f"the default branch stands in: {because}")
        )


def _title_and_number(draft: Draft) -> None:
    """The PR's title and number where the event gives none; else the title's fallback."""
    reading, found, pull = draft.reading, draft.found, draft.pull
    merge_title = reading.titled_pull is not None and reading.titled_pull[1] == MERGE_TITLE
    if draft.get("title") is None or merge_title:
        # GitHub's merge commit title names the branch; the PR's title says what shipped.
        if title := first_present(found.pull_request.title if found.pull_request else None):
            draft.put("title", title, draft.of_pull("title"))
        elif reading.title_fallback and draft.get("title") is None:
            fallback = reading.title_fallback
            why = "the pull request has no title" if pull is not None else draft.why_no_pull()
            because = f"{fallback.source.detail}, as no pull request gives a title: {why}"
            draft.put("title", fallback.value, Source("rule", because))
    if draft.get("pull_request_number") is None and pull is not None and pull.number is not None:
        commit = str(draft.get("commit_id") or "")[:7]
        draft.put("pull_request_number", pull.number, draft.of_pull(f"of commit {commit}" if commit else ""))


def _duration(draft: Draft, now: datetime) -> None:
    """`started_at` to now; the look-ups' measure otherwise (`_looked_up`)."""
    started = draft.rules.started_at
    if started is not None:
        since = started.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        source = Source("input", f"the time since the `started_at` input: {since}")
        draft.put("deployment_duration", minutes_between(started, now), source)


def _looked_up(draft: Draft) -> None:
    """What the look-ups decided: a value the event does not give (and the deployment's final
    status over the run's), or why they found none; else the default status."""
    for name, entry in draft.found.fields.items():
        said = draft.values.get(name)
        if said is None or (entry.value is not None and (said.value is None or name == "status")):
            draft.values[name] = entry
    if draft.get("status") is None:
        draft.put("status", "succes", Source("rule", "the default: nothing tells of a failure"))


def label_reason(labels: tuple[str, ...], names: frozenset[str]) -> str | None:
    label = next((label for label in labels if label.lower() in names), None)
    return f"label `{label}`" if label is not None else None


def hotfix_reason(labels: tuple[str, ...], branch: str | None, rules: Inputs) -> str | None:
    """Why the deployment is a hotfix by its labels or branch; None when it is not."""
    if label := label_reason(labels, rules.hotfix_labels):
        return label
    return f"branch `{branch}`" if branch and branch.startswith(_HOTFIX_BRANCH) else None


def fix_reason(
    labels: tuple[str, ...], branch: str | None, title: tuple[str, str] | None, rules: Inputs
) -> str | None:
    """Why the deployment holds fixes by its labels, branch or Conventional Commit title (where, text)."""
    if label := label_reason(labels, rules.fix_labels):
        return label
    if branch and branch.startswith(_FIX_BRANCH):
        return f"branch `{branch}`"
    where, text = title or ("", "")
    if is_conventional_fix(text):
        return f"{where} `{few_words(text, 60)}`"
    return None


def _not_flagged(draft: Draft, flag: str) -> Source:
    """Why a flag no rule set is not sent: what the rules read and found nothing in, and what
    they could not read, and why (the commits that ship, what ran before, the PR's labels)."""
    name = "fix" if flag == "is_fix" else "hotfix"
    labels = _labels_unread(draft)
    shipped, before = _what_ran(draft)
    commits = bool(shipped and shipped.commits)
    found_none = [f"no {name}/ branch"] if labels else [f"no {name} label", f"no {name}/ branch"]
    unread: list[str] = []
    if flag == "is_fix":
        found_none += ["no `fix:` title"] if _fix_title(draft) else []
        (found_none if commits else unread).append(
            "no `fix:` commit or revert among what ships" if commits else "the commits that ship"
        )
    else:
        # Reverts only: by the commits that ship, else by the pull request's title and branch.
        pulled = draft.pull is not None and draft.pull.title is not None
        (found_none if commits or pulled else unread).append(
            "not reverts only" if commits or pulled else "the commits that ship"
        )
        # A push that lists the commits it adds, or a merged PR, ships only new commits.
        reading = draft.reading
        adds = reading.shipped is not None and reading.value("is_forced") is not True
        merged = reading.pull_request is not None and not reading.pull_request_partial
        rollback = adds or merged or (before is not None and before.status is not None)
        (found_none if rollback else unread).append("no rollback" if rollback else "what ran before")
    groups = [f"{' and '.join(unread)}, as {_unshipped(draft)}"] if unread else []
    groups += [f"its pull request's labels, as {labels}"] if labels else []
    why = f"not a {name}: {', '.join(found_none)}"
    return Source("left out", f"{why}; not read: {'; '.join(groups)}" if groups else why)


def _unshipped(draft: Draft) -> str:
    """Why the commits that ship, and what ran before, are unknown: why the count is (the same
    look-ups tell both), or, when the event gives the count alone, that it lists none."""
    said = draft.values.get("commits_count")
    if said is not None and said.value is not None:
        return "the event gives their number only"
    return _why_left_out("commits_count", draft).detail.removeprefix("unknown: ")


def _labels_unread(draft: Draft) -> str | None:
    """Why the labels the flag rules read are unknown; None when they were read, or when GitHub
    knows no pull request to have any."""
    said, reading = draft.found.no_pull_request, draft.reading
    if draft.pull is None:
        not_made = draft.plan.why_not_made({"pull_request_of"}, "its pull request")
        if not_made or (said is not None and said.kind == "left out"):
            return not_made or (said.detail if said else None)
        titled = reading.titled_pull[0].number if reading.titled_pull else None
        return f"pull request #{titled}, which the commit's title names, is not read" if titled else None
    if reading.pull_request_partial and draft.found.pull_request is None:
        not_made = draft.plan.why_not_made({"pull_request_number"}, "the pull request")
        return not_made or "the look-up of the pull request failed (see the look-up warning)"
    return None


def _fix_title(draft: Draft) -> tuple[str, str] | None:
    """Where a Conventional Commit `fix:` is looked for, and its text: the PR's title, else the
    head commit's, else (outside GitHub, where neither is known) the `title` input."""
    pull, title = draft.pull, draft.rules.fields.get("title")
    if pull and pull.title:
        return (f"PR #{pull.number} title" if pull.number else "PR title", pull.title)
    if draft.reading.fix_title:
        return ("head commit", draft.reading.fix_title)
    return ("`title` input", title) if title else None


def _what_ran(draft: Draft) -> tuple[Shipped | None, Before | None]:
    """What the recovery rules read: the commits that ship, and what ran before (a push's compare
    names its base)."""
    before = draft.found.before
    if before is not None and draft.reading.compare_base is not None:
        before = draft.reading.compare_base._replace(status=before.status, shipped=before.shipped)
    return draft.reading.shipped or (before.shipped if before else None), before


def _flags(draft: Draft) -> None:
    """is_hotfix and is_fix by labels, branch and title; then by what ships (recovery.judge)."""
    pull, overrides = draft.pull, draft.rules.fields
    labels = pull.labels if pull else ()
    fix_title = _fix_title(draft)
    # A label or title is the pull request's: the detail names it, and links it.
    named = f", PR #{pull.number}" if pull and pull.number else ""
    link = draft.of_pull("").link
    branch = draft.get("branch")
    if "is_hotfix" not in overrides and (hotfix := hotfix_reason(labels, branch, draft.rules)):
        draft.put(
            "is_hotfix", True, Source("rule", hotfix + (named if hotfix.startswith("label") else ""), link)
        )
    if "is_fix" not in overrides and (fix := fix_reason(labels, branch, fix_title, draft.rules)):
        draft.put("is_fix", True, Source("rule", fix + (named if fix.startswith("label") else ""), link))
    _recovery(draft)
    for flag in ("is_hotfix", "is_fix"):
        if flag not in overrides and draft.get(flag) is not True:
            draft.values[flag] = Sourced(None, _not_flagged(draft, flag))
    # Every flag a rule set says why in the log too.
    draft.notices += [
        f"{flag}: {draft.values[flag].source.detail}"
        for flag in ("is_hotfix", "is_fix")
        if flag not in overrides and draft.get(flag) is True
    ]


def _recovery(draft: Draft) -> None:
    """What the recovery rules decide, with why: a flag no other rule or input set, and no count
    for a rollback or a redeploy."""
    reading, overrides = draft.reading, draft.rules.fields
    shipped, before = _what_ran(draft)
    sha = str(draft.get("commit_id") or "")
    decided = judge(shipped, draft.pull, before, (sha, reading.deployed_name), web(draft.home))
    for name, entry in decided.items():
        if name not in overrides and (name == "commits_count" or draft.get(name) is not True):
            draft.values[name] = entry


def _person_behind_bot(draft: Draft) -> None:
    """The person behind a bot's deployment: who merged its PR, else who opened it."""
    bot, pull = draft.reading.bot_member, draft.pull
    if not bot or "member_id" in draft.rules.fields:
        return
    human = pull.merged_by or pull.author if pull else None
    if pull and human:
        role = "merged" if pull.merged_by else "opened"
        draft.put("member_id", human, draft.of_pull(f"was {role} by this person ({bot} is a bot)"))
    else:
        draft.notices.append(
            f"member_id is the bot account {bot}: {_no_person(draft)}. "
            "Set the member_id input to credit someone."
        )


def _no_person(draft: Draft) -> str:
    """Why no person behind a bot's deployment was found, as truly as the look-ups tell."""
    pull = draft.pull
    if pull is None:
        return draft.why_no_pull()
    if not_made := draft.plan.why_not_made({"merger_of_pull", "pull_request_number"}, "who merged it"):
        return f"pull request #{pull.number} was opened by a bot, and {not_made}"
    return f"neither who merged nor who opened pull request #{pull.number} is known to be a person"


def _unchecked_branch(draft: Draft) -> str:
    name, default = draft.reading.branch_to_check, draft.reading.default_branch
    not_made = draft.plan.why_not_made({"branch_check"}, "the name")
    why = not_made or "the look-up of the name failed (see the look-up warning)"
    stand_in = f"the default branch {default} is sent" if default else "no branch is known"
    return (
        f"'{name}' may be a tag, not a branch, and it could not be checked: {why}; so {stand_in}. Set the "
        "branch input, or give the action a github_token with `contents: read` to check it."
    )


def _no_pull_request(draft: Draft) -> None:
    """pull_request_number 0, when nothing gives one, with why as truly as the look-ups tell and
    a warning saying how to give it."""
    if draft.get("pull_request_number") is not None:
        return
    why = draft.why_no_pull()
    said = draft.found.no_pull_request
    if said is not None and said.kind == "look-up":  # GitHub knows none
        fix = "Set the pull_request_number input if the deployment has one."
        warning = f"{why}, so pull_request_number is 0. {fix}"
    else:
        fix = "Set the pull_request_number input"
        if draft.plan.off == NO_GITHUB_TOKEN:
            fix += ", or give the github_token input a token with `pull-requests: read` to turn look-ups on"
        warning = f"The deployment's pull request is unknown: {why}, so pull_request_number is 0. {fix}."
    draft.put("pull_request_number", 0, Source("rule", why))
    draft.warnings.append(warning)


def _why_left_out(name: str, draft: Draft) -> Source:
    """Why a field is not sent, as it was decided: by the reader or a rule, by the plan (no
    look-up, or the budget), or by the look-ups (failed, or found nothing)."""
    said = draft.values.get(name)
    if said is not None and said.source.kind in ("left out", "rule"):
        return said.source._replace(kind="left out")
    return Source("left out", draft.plan.why_not(name) or "neither the event nor an input gives it")


def _validated(draft: Draft) -> DeploymentRequest:
    fields = {name: entry.value for name, entry in draft.values.items() if entry.value is not None}
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
        return DeploymentRequest.model_validate(fields)
    except ValidationError as exc:
        raise EventError(f"The event gives a value iftrue cannot take: {describe(exc)}.") from None


def build_record(reading: Reading, found: Found, plan: Plan, rules: Inputs, now: datetime) -> Built:
    """Combine event, look-ups and inputs into the record; an input always wins."""
    draft = Draft(reading, found, plan, rules)
    _branch(draft)
    _title_and_number(draft)
    _duration(draft, now)
    _looked_up(draft)
    for name, value in rules.fields.items():
        draft.put(name, value, Source("input", f"`{name}` input"))
    _flags(draft)
    _person_behind_bot(draft)
    _no_pull_request(draft)
    request = _validated(draft)
    sent = request.body()
    sources = {
        # Every value sets its source with it; a field an event gave without one is the event's.
        name: draft.values[name].source if name in sent else _why_left_out(name, draft)
        for name in REQUEST_FIELDS
    }
    jobs_run = web_path(draft.home, f"actions/runs/{reading.jobs_of}") if reading.jobs_of else None
    return Built(
        request, tuple(draft.warnings), tuple(draft.notices), MappingProxyType(sources), found.jobs, jobs_run
    )
