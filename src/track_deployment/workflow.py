"""Workflow commands, outputs and the job summary's file: every byte the runner reads passes here.

Secrets are masked and redacted here, and untrusted text is escaped here, so no other
module has to remember to.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from .inputs import for_command
from .model import Job, Source, cut_utf8
from .redaction import redact_spans, token_parts
from .schema import log_lines, record_json, scrub

REDACTED = "***"


_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def escape_html(text: str) -> str:
    """html.escape without importing the html package's entity tables."""
    return text.translate(_HTML)


# Each character HTML or Markdown gives a meaning to within a line, as an HTML reference:
# CommonMark reads a reference as the literal character, never as syntax ("Entity and numeric
# character references", CommonMark spec 0.31), so no link, image, emphasis, code span, math,
# raw HTML or table cell can start from the text.
_MARKDOWN = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&#x27;",
        **{char: f"&#{ord(char)};" for char in "\\`*_{}[]()#!|~$"},
    }
)
# What makes a block only at a line's start: a list item (`-`, `+`, `1.`, `1)` and a space or
# the line's end), a thematic break or setext underline (`---`, `===`); `#` and `>` are escaped
# everywhere above. "10.0" or "-5" are left as they are.
_LINE_START = re.compile(r"(?m)^([ \t]*)(?:([-+=])(?=[ \t]|[-=\s]*$)|(\d{1,9})([.)])(?=[ \t]|$))")
# GitHub also links bare addresses (GFM's autolink extension: `www.`, `scheme://`, `a@b.c`),
# after references are decoded; an invisible word joiner (U+2060) in each keeps it text.
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)")


def _escape_line_start(match: re.Match[str]) -> str:
    indent, marker, number, delimiter = match.groups()
    if marker:
        return f"{indent}&#{ord(marker)};"
    return f"{indent}{number}&#{ord(delimiter)};"


# A line's indentation: four spaces (or a tab) of it make an indented code block.
_INDENT = re.compile(r"(?m)^[ \t]+")


def escape_markdown(text: str) -> str:
    """Untrusted text for the job summary: inert as Markdown and as the HTML inside it."""
    text = _AUTOLINK.sub(_JOIN, text).translate(_MARKDOWN)
    text = _LINE_START.sub(_escape_line_start, text)
    # As references, white space is text, never indentation.
    return _INDENT.sub(lambda match: "".join(f"&#{ord(char)};" for char in match.group(0)), text)


def escape_cell(text: str) -> str:
    """Untrusted text as the job summary shows it: inert Markdown and HTML, within one table cell."""
    return escape_markdown(text).replace("\r", "").replace("\n", "<br>")


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


# Where the runner finds a command (actions/runner, ActionCommandManager.TryProcessCommand tries
# both parsers on every line): `::` at the start of a line after white space (ActionCommand.TryParseV2,
# .NET TrimStart, whose white space Python's \s includes), and `##[` anywhere (ActionCommand.TryParse).
# A line also starts after the breaks str.splitlines() and some log viewers know (U+2028, U+0085, ...),
# which the runner does not: cheap to cover, and `::1`, `a::b` and URLs elsewhere stay as they are.
_COMMAND_START = re.compile(r"(?:^|(?<=[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]))\s*:(?=:)|##(?=\[)")


def could_be_command(line: str) -> bool:
    """Whether the runner might read `line` (one line, as log_lines splits) as a workflow command."""
    return _COMMAND_START.search(line) is not None


# U+2060 WORD JOINER: invisible, and no white space to .NET's TrimStart. The runner's StartsWith and
# IndexOf compare by culture, and ICU ignores U+2060, yet both parsers cut the command's name at
# fixed offsets from where the key starts: the joiner inside the key moves that cut onto its `:` or
# `[`, and no registered command is named `:error` or `[error`.
_JOIN = "\u2060"


def inert(line: str) -> str:
    """A line the runner cannot read as a command, for logs no stop-commands can guard.

    Outside GitHub Actions no workflow command is printed, yet a runner may still read the log
    (the image run from a workflow's `run:` step gets no GITHUB_ACTIONS): a leading `::` and any
    `##[` are split by an invisible character, so the text reads the same and acts on nothing.
    """
    return _COMMAND_START.sub(lambda match: match.group() + _JOIN, line)


class Console:
    """Prints log lines and annotations, with every known secret redacted.

    In GitHub Actions (`actions=True`) annotations are workflow commands; anywhere else they are
    plain prefixed lines (errors on stderr), secrets are redacted but never announced with
    `::add-mask::` (no runner would hide them), and no line is a workflow command.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        debug: bool = False,
        actions: bool = True,
        errors: TextIO | None = None,
        hold: Callable[[], AbstractContextManager[object]] = nullcontext,
        flags: bool = False,
    ) -> None:
        self._stream = stream or sys.stdout
        #: The inputs came as the command's flags: plain messages name flags, not variables.
        self._flags = flags
        #: Defers a cancel while a block that must stay whole is written (CancelOnSignal.held).
        self._hold = hold
        self._errors = errors or sys.stderr
        self._secrets: list[str] = []
        self.debug_enabled = debug
        self.actions = actions

    def add_secret(self, secret: str) -> None:
        """Mask a secret in the runner's log and redact it from everything printed after."""
        for part in [secret, *log_lines(secret), *token_parts(secret)]:
            part = part.strip()
            if len(part) >= 4 and part not in self._secrets:
                if self.actions:
                    # The runner unescapes the value, so a secret holding "%0A" stays one secret.
                    self._write(f"::add-mask::{escape_data(part)}")
                self._secrets.append(part)

    def redact(self, text: str) -> str:
        """`text` without any known secret, whole, broken up, encoded or cut off (a value the
        action shortened to a "…" before the secrets were known too), and without lone
        surrogates (JSON can escape one), which no UTF-8 file or stream can take.

        Each secret and its forms are found in one pass: a JWT and its parts, found together,
        are one "***".
        """
        return redact_spans(scrub(text), self._secrets, REDACTED)

    def _write(self, line: str, stream: TextIO | None = None) -> None:
        stream = stream or self._stream
        stream.write(scrub(line) + "\n")
        stream.flush()

    def info(self, text: str) -> None:
        """Print untrusted text as log lines; none of them can act as a workflow command.

        Lines that could be read as a command are printed between `::stop-commands::<token>`
        and `::<token>::`: until the runner sees a command named after the random token it
        acts on no other command in either syntax (ActionCommandManager.TryProcessCommand),
        and the text cannot guess the token.
        """
        lines = log_lines(self.redact(text).rstrip("\r\n"))
        if not self.actions:
            for line in lines:
                self._write(inert(line))
            return
        if not any(could_be_command(line) for line in lines):
            for line in lines:
                self._write(line)
            return
        token = os.urandom(16).hex()
        # A cancel between the two command lines would leave the runner deaf to every later
        # annotation, the cancel warning included: the pair is written with the cancel held.
        with self._hold():
            self._write(f"::stop-commands::{token}")
            for line in lines:
                self._write(line)
            self._write(f"::{token}::")

    def debug(self, text: str) -> None:
        if self.actions:
            self._command("debug", text)
        elif self.debug_enabled:
            self._plain("Debug", text)

    def notice(self, text: str, title: str | None = None) -> None:
        self._annotate("notice", text, title)

    def warning(self, text: str, title: str | None = None) -> None:
        self._annotate("warning", text, title)

    def error(self, text: str, title: str | None = None) -> None:
        self._annotate("error", text, title)

    def _annotate(self, name: str, text: str, title: str | None) -> None:
        if self.actions:
            self._command(name, text, title)
        else:
            self._plain(name.capitalize(), text, title, self._errors if name == "error" else None)

    def _command(self, name: str, text: str, title: str | None = None) -> None:
        # Escaping keeps the message one line and the title inside its property, so the runner
        # reads the whole line as this one command (TryParseV2 matches before the legacy
        # `##[` parser is tried): text inside it is data, whatever it holds.
        props = f" title={escape_property(self.redact(title))}" if title else ""
        self._write(f"::{name}{props}::{escape_data(self.redact(text))}")

    def _plain(self, label: str, text: str, title: str | None = None, stream: TextIO | None = None) -> None:
        """An annotation outside Actions: `Warning (title): text`, continuation lines indented.

        The text names flags and variables, not inputs or workflow syntax (for_command).
        """
        head = f"{label} ({self.redact(title)})" if title else label
        first, *rest = log_lines(self.redact(for_command(text, flags=self._flags)).rstrip("\r\n"))
        self._write(inert(f"{head}: {first}"), stream)
        for line in rest:
            self._write(inert(f"  {line}"), stream)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        if not self.actions:
            self._write(inert(f"{self.redact(title)}:"))
            yield
            return
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
    #: The run's final annotation ("error" or "warning"), its title and what follows the replay hint.
    alert: str = ""
    alert_title: str = ""
    alert_tail: str = ""
    #: The record was sent and no answer read: a replay must first look for it in iftrue.
    maybe_recorded: bool = False
    #: Field name → where its value came from, or why it was left out.
    sources: Mapping[str, Source] = field(default_factory=dict)
    #: The measured run's jobs, when the look-up read them; and when the run was reported.
    jobs: tuple[Job, ...] | None = None
    #: The address of the run the jobs belong to.
    jobs_run: str | None = None
    now: datetime | None = None
    #: What the outbox did: records queued, delivered late, or why it did not run (outbox.py).
    outbox: list[str] = field(default_factory=list)
    #: (artifact name, folder) of records the native action's upload step is to keep.
    outbox_upload: tuple[str, str] | None = None

    @property
    def payload_json(self) -> str:
        return record_json(self.payload) if self.payload is not None else ""

    def outputs(self) -> dict[str, str]:
        upload = (
            dict(zip(("outbox_name", "outbox_path"), self.outbox_upload, strict=True))
            if self.outbox_upload
            else {}
        )
        return {
            "result": self.result,
            "deployment_id": self.deployment_id,
            "payload": self.payload_json,
            "response": self.response_text,
            **upload,
        }


def append_file(path: str | None, text: str) -> None:
    """Append to a runner file command file, whole or not at all; a run outside a runner has none.

    Written as UTF-8 with LF line ends, untranslated: the runner ends a line only at LF
    (FileCommandManager.ReadLine on Linux).
    """
    if not path:
        return
    data = memoryview(text.encode("utf-8"))
    with open(path, "ab", buffering=0) as handle:  # unbuffered: each write is known written
        size = handle.seek(0, os.SEEK_END)
        try:
            while data:
                data = data[handle.write(data) :]
        except OSError:
            # A full disk may have taken part of it: an entry cut off would stop the runner
            # reading the whole file, so the file goes back to what it held.
            handle.truncate(size)
            raise


# The `response` output's limit: the step's outputs are meant for a few values, not documents.
MAX_RESPONSE_BYTES = 64 * 1024


def fit_response(text: str) -> str:
    """iftrue's answer for the `response` output: at most MAX_RESPONSE_BYTES, marked where cut."""
    data = text.encode("utf-8")
    if len(data) <= MAX_RESPONSE_BYTES:
        return text
    # No count: what was read may be less than iftrue sent (1 MiB at most), and bytes that were
    # not UTF-8 are not the text they became.
    marker = "\n… shortened to fit the `response` output (64 KiB at most)."
    return cut_utf8(text, MAX_RESPONSE_BYTES - len(marker.encode())) + marker


def publish(
    report: Report,
    console: Console,
    output_path: str | None,
    summary_path: str | None,
    summary: Callable[[bool], str],
) -> tuple[bool, bool]:
    """Write the outputs and the job summary where their files are given, redacted.

    `summary` renders the job summary, told whether the outputs were written. Each file is
    written on its own, so a file that cannot be written loses nothing else; the answer says
    which were written.
    """
    values = {name: console.redact(value) for name, value in report.outputs().items()}
    values["response"] = fit_response(values["response"])
    outputs = _append(console, "outputs", output_path, lambda: format_outputs(values))
    written = _append(console, "job summary", summary_path, lambda: console.redact(summary(outputs)))
    return outputs, written


def _append(console: Console, what: str, path: str | None, text: Callable[[], str]) -> bool:
    if not path:
        return False
    try:
        append_file(path, text())
    except OSError as exc:
        console.warning(
            f"Could not write the step's {what} ({path}): {exc.strerror or exc}; none of it was written.",
            title="track-deployment",
        )
        return False
    return True


def print_block(console: Console, title: str, lines: Iterable[str]) -> None:
    """Lines under a title; outside Actions the inputs they name are given as flags and variables."""
    text = "\n".join(lines)
    with console.group(title):
        console.info(text if console.actions else for_command(text, flags=console._flags))
