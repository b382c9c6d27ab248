"""The iftrue deployment API: the request the action sends and the record it gets back."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator

# The runner reads a step's output with .NET's StreamReader.ReadLine, which ends a line at CR,
# LF or CRLF and nowhere else; text is split exactly there, so what this module calls a line is
# one line for the runner (str.splitlines() would also split at U+2028, U+0085, ... and print
# them as real line ends).
_LINE_END = re.compile(r"\r\n|\r|\n")


def log_lines(text: str) -> list[str]:
    """`text` split where the runner ends a line, and only there."""
    return _LINE_END.split(text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def scrub(text: str) -> str:
    """`text` with each lone surrogate (a JSON string may escape one) replaced by U+FFFD, as a
    UTF-8 decoder would: no UTF-8 file, stream or request can hold one."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def first_line(text: str | None) -> str | None:
    """The first non-blank line of `text`, lines ending where the runner ends them."""
    lines = log_lines((text or "").strip())
    return lines[0].strip() if lines and lines[0].strip() else None


Status = Literal["succes", "in_progress", "fail"]

# iftrue's status words, and what the job, run and deployment states of GitHub and of other CI
# systems mean in them, by what shipped: a deploy that ran and failed is `fail`. Keys are lower
# case with `_` for a space or a dash (status_word): Jenkins' NOT_BUILT is `not_built`.
STATUS_WORDS: dict[str, Status] = {
    "succes": "succes",
    "success": "succes",  # GitHub, GitLab, Jenkins SUCCESS, CircleCI
    "passed": "succes",  # Buildkite
    "succeeded": "succes",  # Azure Pipelines
    # Azure's SucceededWithIssues and Jenkins' UNSTABLE: the deploy ran to its end and shipped;
    # what was marked (a warning, unstable tests after it) is not a failed deployment.
    "succeededwithissues": "succes",
    "unstable": "succes",
    "successful": "succes",  # Bitbucket Pipelines
    "in_progress": "in_progress",
    "pending": "in_progress",
    "queued": "in_progress",
    "waiting": "in_progress",
    "requested": "in_progress",
    "running": "in_progress",  # GitLab, Buildkite, CircleCI
    "fail": "fail",
    "failure": "fail",  # GitHub, Jenkins FAILURE
    "failed": "fail",  # GitLab, CircleCI, Buildkite, Azure Pipelines, Bitbucket Pipelines
    "error": "fail",
    "timed_out": "fail",  # GitHub, Buildkite
    "timedout": "fail",  # CircleCI
    "infrastructure_fail": "fail",  # CircleCI
}

# States that mean nothing shipped: the work was cancelled, never started or skipped. GitHub's
# job, run and check states (startup_failure, a run awaiting approval, a check GitHub marked
# stale), and other CIs': GitLab `canceled` or a `manual` job never played, Jenkins ABORTED and
# NOT_BUILT, CircleCI `not_run`, Buildkite `blocked` (waiting on a block step), Bitbucket
# `STOPPED`. Nothing deployed is no failed deployment, so these are not recorded at all.
NOTHING_SHIPPED = (
    "cancelled",
    "canceled",
    "canceling",
    "skipped",
    "neutral",
    "startup_failure",
    "action_required",
    "stale",
    "manual",
    "aborted",
    "not_built",
    "not_run",
    "blocked",
    "stopped",
)


def final_outcome(state: str | None) -> Status | None:
    """`succes` or `fail` for a state that ends a deployment (success; failure, error, timed_out),
    else None (a state in progress, or one meaning nothing shipped)."""
    word = STATUS_WORDS.get(state or "")
    return word if word in ("succes", "fail") else None


def status_word(value: str) -> str:
    """A job state as STATUS_WORDS and NOTHING_SHIPPED spell it: `NOT_BUILT` → `not_built`."""
    return re.sub(r"[\s-]+", "_", value.strip().lower())


# A JSON number for `deployment_duration`; bool is excluded (True is an int in Python).
Minutes = StrictInt | float

# Bounds on the fields the record never shortens (a cut URL or id would be wrong), so that the
# changelog and the title can always be cut until the record fits the `payload` input: even
# escaped at 6 bytes a character, these fields stay under 52,000 bytes of JSON.
MAX_URL_CHARS = 2048  # what browsers and proxies reliably carry
MAX_LINE_CHARS = 2048  # a branch, a node id, a one-line input
MAX_SHA_CHARS = 64  # SHA-256 repositories
# A member's id as its git provider writes it: GitHub's is a number, Bitbucket's
# `557058:6f1c…`, others a UUID (SPEC §2); 255 is what a database's varchar(255) holds.
MAX_MEMBER_ID_CHARS = 255


class DeploymentRequest(BaseModel):
    """Body of `POST /v1/organization/deployment`; unset optional fields are not sent."""

    model_config = ConfigDict(extra="forbid", strict=True)

    title: StrictStr = Field(min_length=1)
    changelog: StrictStr | None = None
    url: StrictStr | None = Field(default=None, max_length=MAX_URL_CHARS)
    branch: StrictStr = Field(min_length=1, max_length=MAX_LINE_CHARS)
    commit_id: StrictStr = Field(min_length=1, max_length=MAX_SHA_CHARS)
    deployment_duration: Minutes | None = Field(default=None, ge=0)
    is_fix: StrictBool | None = None
    is_hotfix: StrictBool | None = None
    is_forced: StrictBool | None = None
    commits_count: StrictInt | None = Field(default=None, ge=0)
    repository_url: StrictStr = Field(min_length=1, max_length=MAX_URL_CHARS)
    member_id: StrictStr = Field(min_length=1, max_length=MAX_MEMBER_ID_CHARS)
    pull_request_number: StrictInt = Field(ge=0)
    deployment_node_id: StrictStr | None = Field(default=None, max_length=MAX_LINE_CHARS)
    status: Status | None = None

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


# `##[name]` and the like (`##vso[`, `##teamcity[`) are commands anywhere in a line of a CI log:
# GitHub's runner reads the legacy `##[name]` syntax wherever it appears (actions/runner,
# ActionCommand.TryParse). In a JSON string `#` may be written `\u0023`: same record, inert text.
# U+0085, U+2028 and U+2029 end a line for many log readers (Python's str.splitlines, some CI
# log viewers) though not for JSON: escaped, they cannot start a line that reads as a command.
_LOG_UNSAFE = re.compile("##(?=[A-Za-z-]*\\[)|[\x85\u2028\u2029]")


def _escape_unsafe(match: re.Match[str]) -> str:
    found = match.group()
    return "#\\u0023" if found == "##" else f"\\u{ord(found):04x}"


def record_json(body: Mapping[str, Any], indent: int | None = None) -> str:
    """The record as JSON for the `payload` output, the log and the summary.

    Text stays UTF-8 and any `##…[` and unusual line break is escaped, so the record can be
    printed in a log (by this action or by a later step) without forming a command;
    `json.loads` gives the record back.
    """
    return _LOG_UNSAFE.sub(_escape_unsafe, json.dumps(body, ensure_ascii=False, indent=indent))


def record_size(body: Mapping[str, Any]) -> int:
    """Bytes of the `payload` output for this record."""
    return len(record_json(body).encode("utf-8"))


REQUEST_FIELDS: tuple[str, ...] = tuple(DeploymentRequest.model_fields)
REQUIRED_FIELDS: tuple[str, ...] = tuple(
    name for name, info in DeploymentRequest.model_fields.items() if info.is_required()
)


#: What an id iftrue gives may be: printable, no white space or line break, 200 characters at most.
_ID = re.compile(r"[^\s\x00-\x1f\x7f]{1,200}")


class DeploymentResponse(BaseModel):
    """The record iftrue returns. Only `id` is read; its documentation is incomplete, so every
    other field may be missing, null or of any type, and is kept as given."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    #: The id as the `deployment_id` output shows it: a number without a fraction is written
    #: as an integer (917.0 → "917").
    id: StrictStr | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return value  # not an id: left for the type check to refuse
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float) and math.isfinite(value):
            return str(int(value)) if value.is_integer() else repr(value)
        return value

    @field_validator("id")
    @classmethod
    def _one_word(cls, value: str | None) -> str | None:
        # An id is one short word: text with a line break or a space would add lines to the log,
        # the `deployment_id` output and the command's `result=` line.
        if value is not None and not _ID.fullmatch(value):
            raise ValueError("not one word of at most 200 characters")
        return value
