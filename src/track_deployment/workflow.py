"""Workflow commands, outputs and the job summary: every byte the runner reads passes here.

Secrets are masked and redacted here, and untrusted text is escaped here, so no other
module has to remember to.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

REDACTED = "***"


_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def escape_html(text: str) -> str:
    """html.escape without importing the html package's entity tables."""
    return text.translate(_HTML)


def escape_data(text: str) -> str:
    """Escape an annotation message so it stays one workflow command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape an annotation property (such as `title=`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_outputs(values: Mapping[str, str]) -> str:
    """Text for $GITHUB_OUTPUT: each value in the heredoc form with its own random delimiter."""
    chunks = []
    for name, value in values.items():
        delimiter = f"ghadelimiter_{os.urandom(16).hex()}"
        while delimiter in value:  # pragma: no cover - 128 random bits
            delimiter = f"ghadelimiter_{os.urandom(16).hex()}"
        chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(chunks)


class Console:
    """Prints workflow commands and log lines, with every known secret redacted."""

    def __init__(self, stream: TextIO | None = None, *, debug: bool = False) -> None:
        self._stream = stream or sys.stdout
        self._secrets: list[str] = []
        self.debug_enabled = debug

    def add_secret(self, secret: str) -> None:
        """Mask a secret in the runner's log and redact it from everything printed after."""
        for part in [secret, *secret.splitlines()]:
            part = part.strip()
            if len(part) >= 4 and part not in self._secrets:
                # The runner unescapes the value, so a secret holding "%0A" stays one secret.
                self._write(f"::add-mask::{escape_data(part)}")
                self._secrets.append(part)
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets.sort(key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def _write(self, line: str) -> None:
        self._stream.write(line + "\n")
        self._stream.flush()

    def info(self, text: str) -> None:
        """Print untrusted text; a line that looks like a workflow command is not run."""
        text = self.redact(text)
        lines = text.splitlines() or [""]
        if any(line.lstrip().startswith("::") for line in lines):
            token = os.urandom(16).hex()
            self._write(f"::stop-commands::{token}")
            for line in lines:
                self._write(line)
            self._write(f"::{token}::")
        else:
            for line in lines:
                self._write(line)

    def debug(self, text: str) -> None:
        self._command("debug", text)

    def notice(self, text: str, title: str | None = None) -> None:
        self._command("notice", text, title)

    def warning(self, text: str, title: str | None = None) -> None:
        self._command("warning", text, title)

    def error(self, text: str, title: str | None = None) -> None:
        self._command("error", text, title)

    def _command(self, name: str, text: str, title: str | None = None) -> None:
        props = f" title={escape_property(self.redact(title))}" if title else ""
        self._write(f"::{name}{props}::{escape_data(self.redact(text))}")

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self._write(f"::group::{escape_data(self.redact(title))}")
        try:
            yield
        finally:
            self._write("::endgroup::")


@dataclass
class Report:
    """What a run did, for the outputs and the job summary."""

    result: str
    payload: dict[str, Any] | None = None
    response_text: str = ""
    deployment_id: str = ""
    error: str = ""
    error_title: str = ""
    note: str = ""
    event_name: str = ""
    links: dict[str, str] = field(default_factory=dict)

    @property
    def payload_json(self) -> str:
        return json.dumps(self.payload, ensure_ascii=False) if self.payload is not None else ""

    def outputs(self) -> dict[str, str]:
        return {
            "result": self.result,
            "deployment_id": self.deployment_id,
            "payload": self.payload_json,
            "response": self.response_text,
        }


_HEADINGS = {
    "created": "Deployment recorded in iftrue",
    "dry_run": "Deployment record (dry run, nothing sent)",
    "skipped": "No deployment recorded: event skipped",
    "failed": "Deployment not recorded",
}

# Fields shown as links in the summary table, and the link the value points to.
_LINKED = {"commit_id": "commit", "pull_request_number": "pull_request", "url": "url"}


def _cell(value: object) -> str:
    text = json.dumps(value) if isinstance(value, bool) else str(value)
    if len(text) > 300:
        text = text[:300] + "…"
    return escape_html(text).replace("|", "&#124;").replace("\r", "").replace("\n", "<br>")


def _link(text: str, href: str) -> str:
    return f'<a href="{escape_html(href)}">{text}</a>'


def render_summary(report: Report) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY."""
    lines = [f"### {_HEADINGS[report.result]}", ""]
    if report.note:
        lines += [_cell(report.note), ""]
    if report.error:
        lines += [f"**{_cell(report.error_title)}**: {_cell(report.error)}", ""]
    if report.payload:
        lines += ["| field | value |", "| --- | --- |"]
        for name, value in report.payload.items():
            cell = _cell(value)
            href = report.links.get(_LINKED.get(name, ""))
            lines.append(f"| `{name}` | {_link(cell, href) if href else cell} |")
        lines.append("")
    else:
        # No record was built (a skipped event or an error before it): say what was read.
        lines += ["| | |", "| --- | --- |", f"| event | `{_cell(report.event_name or 'unknown')}` |"]
        lines += [f"| result | `{report.result}` |", ""]
    if "run" in report.links:
        lines += [f"Workflow run: {_link('logs', report.links['run'])}", ""]
    if report.deployment_id:
        lines += [f"iftrue deployment id: `{_cell(report.deployment_id)}`", ""]
    if report.result == "failed" and report.payload:
        lines += [
            "<details><summary>Payload (JSON)</summary>",
            "",
            "<pre>" + escape_html(json.dumps(report.payload, indent=2, ensure_ascii=False)) + "</pre>",
            "",
            "</details>",
            "",
            "To record this deployment later, run the action again with this JSON as its "
            "`payload` input, for example from a `workflow_dispatch` workflow:",
            "",
            "<pre>- uses: iftrue/track-deployment@v1\n  with:\n    token: ${{ secrets.IFTRUE_TOKEN }}"
            "\n    payload: ${{ inputs.payload }}</pre>",
            "",
        ]
    return "\n".join(lines) + "\n"


def append_file(path: str | None, text: str) -> None:
    """Append to a runner file command file; a run outside a runner has none."""
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def publish(report: Report, console: Console, output_path: str | None, summary_path: str | None) -> None:
    """Write the outputs and the job summary, redacted."""
    values = {name: console.redact(value) for name, value in report.outputs().items()}
    append_file(output_path, format_outputs(values))
    append_file(summary_path, console.redact(render_summary(report)))


def print_block(console: Console, title: str, lines: Iterable[str]) -> None:
    with console.group(title):
        console.info("\n".join(lines))
