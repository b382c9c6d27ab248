"""Recovery deployments: reverts, rollbacks and redeploys, and fix flags from what shipped.

Pure functions of the event and the looked-up facts (SPEC §4, "Recovery deployments"); no
I/O here. Each rule that sets a flag gives its reason in one line, which the log and the job
summary show.
"""

from __future__ import annotations

import re

from .model import Before, Commit, PullRequest, Shipped, Source, Sourced, few_words, left_out

# GitHub's Revert button names the branch `revert-<number>-<head of the reverted PR>`, titles the
# PR `Revert "<title>"` and writes `Reverts owner/repo#<number>` as its body.
_REVERT_HEAD = re.compile(r"revert-(\d+)-")
_REAPPLY_HEAD = re.compile(r"revert-\d+-revert-\d+-")
_REVERT_TITLE = re.compile(r'Revert "(.*)"(?:\s*\(#\d+\))?\s*$', re.DOTALL)
_REVERTS_BODY = re.compile(r"\bReverts [\w.-]+/[\w.-]+#(\d+)")
# `git revert` writes `Revert "<subject>"` and `This reverts commit <sha>.`
_REVERTS_COMMIT = re.compile(r"\bThis reverts commit ([0-9a-fA-F]{7,64})\b")
_CONVENTIONAL_FIX = re.compile(r"fix(\([^)]*\))?!?:", re.IGNORECASE)
# Merges say nothing of their own; release-please and semantic-release titles name a version.
_MERGE = re.compile(r"Merge (pull request #\d+|branch '|remote-tracking branch '|[0-9a-f]{7,40} into )")
_RELEASE = re.compile(r"chore(\([^)]*\))?!?: release\b", re.IGNORECASE)

#: How a skipped redeploy's notice ends.
RECORD_REDEPLOYS = "Set the `redeploys` input to true to record redeploys too"

#: GitHub compare statuses: how the head relates to the base.
BEHIND = "behind"
IDENTICAL = "identical"


def _rule(detail: str, link: str | None = None) -> Source:
    return Source("rule", detail, link)


def ref_label(name: str | None, sha: str) -> str:
    """`v2.4.0 (9f2c1e4)`, or the short SHA alone when the name is a SHA or unknown."""
    if not name or sha.lower().startswith(name.lower()):
        return sha[:7]
    return f"{name} ({sha[:7]})"


def reapplies(subject: str) -> bool:
    """Reverting a revert lands the change again: `Reapply "…"` (git 2.43 and later writes it for
    the revert of a revert) or `Revert "Revert "…""`. No recovery."""
    return subject.startswith(('Reapply "', 'Revert "Revert "'))


def is_revert(commit: Commit) -> bool:
    if reapplies(commit.subject):
        return False
    return bool(_REVERTS_COMMIT.search(commit.message) or commit.subject.startswith('Revert "'))


def decides(commit: Commit) -> bool:
    """A commit whose message speaks for a change: not a merge, not a release commit."""
    if commit.parents is not None and commit.parents > 1:
        return False
    return not (_MERGE.match(commit.subject) or _RELEASE.match(commit.subject))


def is_conventional_fix(subject: str | None) -> bool:
    """`fix:`, `fix(scope):` or `fix!:` (Conventional Commits)."""
    return bool(_CONVENTIONAL_FIX.match((subject or "").strip()))


def _quoted(text: str) -> str:
    return f'"{few_words(text, 80)}"'


def _commit_revert_reason(commit: Commit, commit_url: str | None) -> Source:
    subject = _REVERT_TITLE.match(commit.subject)
    reverted = _REVERTS_COMMIT.search(commit.message)
    if subject:
        what = _quoted(subject.group(1))
    else:
        what = f"commit {reverted.group(1)[:7]}" if reverted else "a change"
    return _rule(f"reverts {what} ({commit.short})", _commit_at(commit_url, commit.sha))


def _commit_at(base: str | None, sha: str) -> str | None:
    return f"{base}/{sha}" if base else None


def pull_revert(pull: PullRequest | None, pull_url: str | None = None) -> Source | None:
    """The reason when the pull request is one that GitHub's Revert button made (or looks like it)."""
    if pull is None:
        return None
    # The Revert button on a revert PR names its branch `revert-<n>-revert-<m>-…`.
    if reapplies((pull.title or "").strip()) or _REAPPLY_HEAD.match(pull.head_ref or ""):
        return None
    head = _REVERT_HEAD.match(pull.head_ref or "")
    title = _REVERT_TITLE.match((pull.title or "").strip())
    body = _REVERTS_BODY.search(pull.body or "")
    if not (title or head):
        return None
    found = head or body
    number = found.group(1) if found else None
    target = f"#{number}" if number else "a change"
    what = f"{target} {_quoted(title.group(1))}" if title else target
    return _rule(f"reverts {what}", pull_url)


def judge(
    shipped: Shipped | None,
    pull: PullRequest | None,
    before: Before | None,
    this: tuple[str, str | None],
    repository_url: str | None = None,
) -> dict[str, Sourced]:
    """What the recovery rules decide for a deployment of `this` (sha, its tag or branch), each
    with why: the flag they set, and why no commits_count is sent when nothing new ships.

    A rollback (behind what ran before) is a hotfix and ships nothing; a redeploy ships nothing;
    a deployment of reverts only is a hotfix; a revert or a Conventional Commit fix among the
    shipped commits is a fix.
    """
    sha = this[0]
    decided: dict[str, Sourced] = {}
    if flag := _flag(shipped, pull, before, this, repository_url):
        decided[flag[0]] = Sourced(True, flag[1])
    if before is not None and before.status == BEHIND:
        decided["commits_count"] = left_out("a rollback ships no new commits")
    elif before is not None and is_redeploy(before, sha):
        redeployed = f"a redeploy: {before.what} already deployed {sha[:7]}, nothing new ships"
        decided["commits_count"] = left_out(redeployed)
    return decided


def _flag(
    shipped: Shipped | None,
    pull: PullRequest | None,
    before: Before | None,
    this: tuple[str, str | None],
    repository_url: str | None,
) -> tuple[str, Source] | None:
    """The one flag the recovery rules set (is_hotfix or is_fix), and why; None for neither."""
    sha, name = this
    if before is not None and before.status == BEHIND:
        detail = (
            f"rolls {before.where} back from {ref_label(before.name, before.sha)} to {ref_label(name, sha)}"
        )
        compare = f"{repository_url}/compare/{sha}...{before.sha}" if repository_url else None
        # The compare shows what the rollback takes out; without an address, what ran before.
        return "is_hotfix", _rule(detail, compare or before.link)
    commit_url = f"{repository_url}/commit" if repository_url else None
    pull_url = f"{repository_url}/pull/{pull.number}" if repository_url and pull and pull.number else None
    reverting = pull_revert(pull, pull_url)
    if shipped is None and before is not None:
        shipped = before.shipped
    if shipped is None or not shipped.commits:
        # Nothing lists what ships (a merged pull request): the pull request is the change.
        return ("is_hotfix", reverting) if reverting else None
    # The pull request of the head commit is one change of those that ship: the commits decide.
    deciding = [commit for commit in shipped.commits if decides(commit)]
    reverts = [commit for commit in deciding if is_revert(commit)]
    others = len(deciding) - len(reverts)
    if shipped.complete and not others and (reverts or reverting):
        first = reverting or _commit_revert_reason(reverts[0], commit_url)
        more = f" and {len(reverts) - 1} more" if len(reverts) > 1 else ""
        return "is_hotfix", _rule(first.detail + more, first.link)
    fixes = [commit for commit in deciding if is_conventional_fix(commit.subject)]
    if fixes:
        more = f" and {len(fixes) - 1} more fixes" if len(fixes) > 1 else ""
        detail = f"ships {few_words(fixes[0].subject, 100)} ({fixes[0].short}){more}"
        return "is_fix", _rule(detail, _commit_at(commit_url, fixes[0].sha))
    reason = _commit_revert_reason(reverts[0], commit_url) if reverts else reverting
    if reason is None:
        return None
    return "is_fix", _rule(f"ships a revert among other changes: {reason.detail}", reason.link)


def is_redeploy(before: Before | None, sha: str | None) -> bool:
    """This deployment's commit is the one production already runs, by a deployment or run that succeeded."""
    if before is None or not sha or not before.succeeded:
        return False
    return before.sha.lower() == sha.lower() or before.status == IDENTICAL


def redeploy(before: Before | None, sha: str | None) -> str | None:
    """Why this deployment is a redeploy of the commit production already runs; None when it is not."""
    if before is None or not sha or not is_redeploy(before, sha):
        return None
    at = f" at {before.link}" if before.link else ""
    return (
        f"commit {sha[:7]} is what {before.what} already deployed{at}, so no change ships. {RECORD_REDEPLOYS}"
    )
