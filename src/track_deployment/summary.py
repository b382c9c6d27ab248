"""The job summary: what was sent, where each value came from, and the run's jobs as a chart.

The summary is Markdown the runner uploads as is; every untrusted string reaches it through
`cell` (inside the table and the text) or `gantt_text` (inside the chart), never directly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta

from .model import Job, Source, cut_utf8, shorten, utc, web
from .schema import NOTHING_SHIPPED, REQUEST_FIELDS, final_outcome, record_json
from .workflow import Report, escape_cell, escape_html

Redact = Callable[[str], str]

_HEADINGS = {
    "created": "Deployment recorded in iftrue",
    "dry_run": "Deployment record (dry run, nothing sent)",
    "skipped": "No deployment recorded: event skipped",
    "failed": "Deployment not recorded",
}

# Fields shown as links in the summary table, and the link the value points to.
_LINKED = {"commit_id": "commit", "pull_request_number": "pull_request", "url": "url"}

# Characters of a table cell, and of a link's address: beyond it the cell is plain text (a cut
# address would lead elsewhere). Both keep everything above the JSON block small, so that block
# alone has to give way to the summary's limit.
_CELL_CHARS = 300
_HREF_CHARS = 4096

# The runner drops a step summary over 1 MiB whole, with an error ("upload aborted"):
# actions/runner, FileCommandManager, CreateStepSummaryCommand.AttachmentSizeLimit.
SUMMARY_MAX_BYTES = 1024 * 1024
# A margin below the limit, for the line that ends the summary and any later rounding.
_SUMMARY_SLACK = 1024

#: Jobs the chart shows at most: a 256-job matrix would make it unreadable, and Mermaid
#: refuses a diagram over 50,000 characters (its default maxTextSize).
CHART_JOBS = 50
# Characters of a job's name in the chart.
_NAME_CHARS = 50
# A wait shorter than this is not worth a word under the chart.
_NOTABLE_WAIT = timedelta(minutes=1)


def cell(value: object, redact: Redact = str) -> str:
    """Untrusted text as the summary shows it: redacted, then shortened, then escaped."""
    text = json.dumps(value) if isinstance(value, bool) else str(value)
    # Redacted again once cut: a secret cut at the end is then redacted by its start ("…").
    return escape_cell(redact(shorten(redact(text), _CELL_CHARS)))


def _anchor(text: str, href: str, redact: Redact) -> str:
    href = redact(href)
    return f'<a href="{escape_html(href)}">{text}</a>' if len(href) <= _HREF_CHARS else text


def _source(source: Source | None, redact: Redact) -> str:
    """A source cell: its kind, and its detail linked to what it names."""
    if source is None:
        return ""
    detail = cell(source.detail, redact)
    if link := web(source.link):
        detail = _anchor(detail, link, redact)
    return f"{cell(source.kind)}: {detail}"


def provenance_lines(sources: Mapping[str, Source]) -> list[str]:
    """Where each value came from, one plain line a field, for a log without a job summary."""
    lines = []
    for name in REQUEST_FIELDS:
        if source := sources.get(name):
            lines.append(
                f"{name}: {source.kind}: {source.detail}" + (f" <{source.link}>" if source.link else "")
            )
    return lines


def _table(report: Report, redact: Redact) -> list[str]:
    """The record, a row a field sent and then a row a field left out, each with its source."""
    payload = report.payload or {}
    sent = [name for name in REQUEST_FIELDS if name in payload]
    left_out = [name for name in REQUEST_FIELDS if name not in payload and name in report.sources]
    lines = ["| field | value | source |", "| --- | --- | --- |"]
    for name in sent:
        text = cell(payload[name], redact)
        href = report.links.get(_LINKED.get(name, ""))
        value = _anchor(text, href, redact) if href else text
        lines.append(f"| `{name}` | {value} | {_source(report.sources.get(name), redact)} |")
    for name in left_out:
        lines.append(f"| `{name}` | — | {_source(report.sources[name], redact)} |")
    return [*lines, ""]


def render_summary(report: Report, *, payload_output: bool = True, redact: Redact = str) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY, at most SUMMARY_MAX_BYTES in UTF-8.

    Only the JSON block can be long (every cell, link and chart line above it is bounded); it
    is shortened to fit, with a marker that says where the whole record is (`payload_output`:
    whether the step has a `payload` output to read). Text is redacted before anything is cut.
    """
    lines = [f"### {_HEADINGS[report.result]}", ""]
    if report.note:
        # A paragraph of its own: indented four spaces, it would read as a code block.
        lines += [cell(report.note, redact).lstrip(" \t"), ""]
    if report.error:
        lines += [f"**{cell(report.error_title, redact)}**: {cell(report.error, redact)}", ""]
    if report.payload:
        lines += _table(report, redact)
    else:
        # No record was built (a skipped event or an error before it): say what was read.
        lines += ["| | |", "| --- | --- |", f"| event | {cell(report.event_name or 'unknown', redact)} |"]
        lines += [f"| result | `{report.result}` |", ""]
    if "run" in report.links:
        lines += [f"Workflow run: {_anchor('logs', report.links['run'], redact)}", ""]
    if report.deployment_id:
        lines += [f"iftrue deployment id: {cell(report.deployment_id, redact)}", ""]
    if report.jobs:
        lines += _run_chart(report, redact)
    if report.outbox:
        lines += ["**Outbox**", "", *[f"- {cell(line, redact)}" for line in report.outbox], ""]
    if not (report.result == "failed" and report.payload):
        return "\n".join(lines) + "\n"
    head = "\n".join([*lines, "<details><summary>Payload (JSON)</summary>", "", "<pre>"])
    tail = "\n".join(
        [
            "</pre>",
            "",
            "</details>",
            "",
            (
                "iftrue may have recorded this deployment (its answer broke off after the record was "
                "sent): look for it in iftrue first. Only if it is not there, run the action again "
                "with this JSON as its `payload` input, for example from a `workflow_dispatch` workflow:"
            )
            if report.maybe_recorded
            else "To record this deployment later, run the action again with this JSON as its "
            "`payload` input, for example from a `workflow_dispatch` workflow:",
            "",
            "<pre>- uses: iftrue/track-deployment@v1\n  with:\n    token: ${{ secrets.IFTRUE_TOKEN }}"
            "\n    payload: ${{ inputs.payload }}</pre>",
            "",
        ]
    )
    where = "in the step's `payload` output" if payload_output else "printed in the log"
    marker = f"\n… shortened to fit the job summary; the whole record is {where}."
    budget = SUMMARY_MAX_BYTES - _SUMMARY_SLACK - _size(head) - _size(tail) - _size(marker)
    block = escape_html(redact(record_json(report.payload, indent=2)))
    if _size(block) > budget:
        block = _cut_html(block, budget) + marker
    return head + block + tail + "\n"


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut_html(text: str, max_bytes: int) -> str:
    """The longest start of escaped HTML within max_bytes, never ending inside an entity."""
    cut = cut_utf8(text, max_bytes)
    amp = cut.rfind("&", max(0, len(cut) - 8))
    return cut[:amp] if amp >= 0 and ";" not in cut[amp:] else cut


# Mermaid's gantt lexer (packages/mermaid/src/diagrams/gantt/parser/gantt.jison): a section's
# title runs to the first `#` (a comment follows), `:` (task data follows), `;` or line end; a
# `%` after any character starts a comment; its rules are case-insensitive and tried in order
# at the start of every token, so a title that begins with a keyword (`click`, `section`,
# `title`, a date …) would be read as that statement if it ever stood at a token's start.
_GANTT_CHARS = str.maketrans(
    {
        ":": "\u2236",  # RATIO, which reads as a colon
        "#": "\uff03",  # FULLWIDTH NUMBER SIGN
        ";": "\uff1b",  # FULLWIDTH SEMICOLON
        "%": "\uff05",  # FULLWIDTH PERCENT SIGN
        '"': "'",
        "<": "\u2039",  # SINGLE LEFT-POINTING ANGLE QUOTATION MARK: no tag, no `<br>` for Mermaid
        ">": "\u203a",
        "`": "'",
    }
)
_GANTT_SPACE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]+")
_GANTT_KEYWORD = re.compile(
    r"(gantt|dateformat|inclusiveenddates|topaxis|axisformat|tickinterval|includes|excludes|"
    r"todaymarker|weekday|weekend|title|accdescription|acctitle|accdescr|section|click|href|call|"
    r"after|until|active|done|crit|milestone|vert)|\d{4}-\d\d-\d\d",
    re.IGNORECASE,
)


def gantt_text(name: str) -> str:
    """A job's name as one section title of a Mermaid gantt chart, and nothing more.

    The characters the grammar reads are replaced by look-alikes it does not; line breaks,
    control and invisible formatting characters become one space; a name that begins with a
    keyword or a date is preceded by a WORD JOINER (invisible; not white space to the lexer),
    so no rule that reads a statement's start can match it.
    """
    text = _GANTT_SPACE.sub(" ", name.translate(_GANTT_CHARS)).strip()
    text = shorten(text, _NAME_CHARS)
    if not text:
        return "(unnamed job)"
    return "\u2060" + text if _GANTT_KEYWORD.match(text) else text


def _failed(conclusion: str | None) -> bool:
    """A job that failed, or was stopped: the chart marks it."""
    return final_outcome(conclusion) == "fail" or (conclusion in NOTHING_SHIPPED and conclusion != "skipped")


def _moment(value: datetime) -> str:
    return utc(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _task(text: str, tags: Iterable[str], start: datetime, end: datetime) -> str:
    data = ", ".join([*tags, _moment(start), _moment(max(start, end))])
    return f"    {text} :{data}"


def _job_tasks(job: Job, now: datetime | None) -> list[str]:
    """A job's bars: from creation until a runner took it (queued, or waiting for approval), then
    running; a job that never reached a runner (skipped, rejected, cancelled while waiting) ends
    in a milestone naming how it ended."""
    created = job.created_at or job.started_at
    if created is None:
        return []
    started = job.started_at if job.conclusion != "skipped" else None
    ended = job.completed_at if job.status == "completed" or job.completed_at else None
    waited_until = started or ended or now
    tasks = []
    if waited_until is not None and utc(waited_until) > utc(created):
        tasks.append(_task("waited" if started or ended else "waiting", ["done"], created, waited_until))
    if started is None:
        if ended is not None:
            tasks.append(_task(gantt_text(job.conclusion or "never ran"), ["milestone"], ended, ended))
        return tasks
    tags = ["active"] if job.this_job else ["crit"] if _failed(job.conclusion) else []
    if job.this_job:
        text = "ran (this step)"
    else:
        text = f"ran ({gantt_text(job.conclusion)})" if job.conclusion else "running"
    return [*tasks, _task(text, tags, started, ended or now or started)]


def _run_chart(report: Report, redact: Redact) -> list[str]:
    """The run's jobs as a Mermaid gantt chart, and a sentence on what the duration counted."""
    jobs = [job for job in report.jobs or () if job.created_at or job.started_at]
    if not jobs:
        return []
    jobs.sort(key=lambda job: utc(job.created_at or job.started_at or datetime.min))
    shown = jobs[:CHART_JOBS]
    mine = next((job for job in jobs[CHART_JOBS:] if job.this_job), None)
    if mine is not None:
        shown[-1] = mine  # this step's job is always shown
    run = report.jobs_run
    named = f"Jobs of {_anchor('run ' + cell(run.rsplit('/', 1)[-1], redact), run, redact)}" if run else ""
    chart = [
        "#### The run",
        "",
        *(
            [f"{named}, from when each was created (queued or waiting) to when it ended:", ""]
            if named
            else []
        ),
        "```mermaid",
        "gantt",
        "    title Jobs of the run, in UTC",
        "    dateFormat YYYY-MM-DD HH:mm:ss",
        "    axisFormat %H:%M",
        "    todayMarker off",
    ]
    for job in shown:
        if tasks := _job_tasks(job, report.now):
            chart += [f"    section {gantt_text(redact(job.name))}", *tasks]
    chart += ["```", ""]
    hidden = len(report.jobs or ()) - len(shown)
    if hidden:
        chart += [
            f"The chart shows {len(shown)} of the {len(report.jobs or ()):,} jobs read; "
            f"{hidden:,} more are not shown.",
            "",
        ]
    return [*chart, _duration_sentence(report, jobs, redact), ""]


def _minutes(span: timedelta) -> str:
    seconds = round(span.total_seconds())
    return f"{seconds}-second" if seconds < 60 else f"{round(seconds / 60)}-minute"


def _duration_sentence(report: Report, jobs: list[Job], redact: Redact) -> str:
    """What counted as deployment_duration, and what was left out."""
    source = report.sources.get("deployment_duration")
    value = (report.payload or {}).get("deployment_duration")
    if value is None:
        why = f" ({cell(source.detail, redact)})" if source else ""
        return f"No deployment_duration is sent{why}."
    if source is None or source.kind != "look-up":
        told = f", from {cell(source.kind)}: {cell(source.detail, redact)}" if source else ""
        return f"deployment_duration is {cell(value)} minutes{told}; the chart shows the run for reference."
    waits = sorted(
        (
            (utc(job.started_at) - utc(job.created_at), job.name)
            for job in jobs
            if job.started_at
            and job.created_at
            and utc(job.started_at) - utc(job.created_at) >= _NOTABLE_WAIT
        ),
        reverse=True,
    )
    counted = (
        f"deployment_duration counts the {cell(value)} minutes the jobs ran on runners (parallel jobs once)"
    )
    if not waits:
        return f"{counted}; no job waited a minute or more to start."
    named = [f"the {_minutes(span)} wait on {cell(name, redact)}" for span, name in waits[:3]]
    more = f", and {len(waits) - 3} shorter waits" if len(waits) > 3 else ""
    return f"{counted}; not counted: {', '.join(named)}{more} (queued, or waiting for approval)."
