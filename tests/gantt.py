"""A checker for Mermaid's gantt grammar, so tests can tell a chart GitHub would draw from one it
would refuse or misread, without a browser or Node.

A port of packages/mermaid/src/diagrams/gantt/parser/gantt.jison (Mermaid 10/11): its lexer
(rules tried in order at each position, the first that matches wins, case-insensitive, as
jison's default lexer does) and its grammar, plus the part of ganttDb.parseData that reads a
task's data (tags, then a start and an end, each a date in the chart's dateFormat).
Interactive and accessibility statements (`click`, `href`, `call`, `accTitle`, `accDescr`,
directives) are reported as injections: the action never writes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

_FLAGS = re.IGNORECASE

# (pattern, token); None skips what it matched. In the order of gantt.jison's INITIAL state.
_RULES: list[tuple[re.Pattern[str], str | None]] = [
    (re.compile(p, _FLAGS), token)
    for p, token in [
        (r"%%\{", "INJECTION directive"),
        (r"accTitle\s*:\s*", "INJECTION accTitle"),
        (r"accDescr\s*:\s*", "INJECTION accDescr"),
        (r"accDescr\s*\{\s*", "INJECTION accDescr"),
        (r"%%[^\n]*", None),  # \%\%(?!\{)*[^\n]*
        (r"[^}]%+[^\n]*", None),  # [^\}]\%\%*[^\n]*: any character, then a percent sign
        (r"%+[^\n]*\n*", None),
        (r"\n+", "NL"),
        (r"\s+", None),
        (r"#[^\n]*", None),
        (r"href\s+\"", "INJECTION href"),
        (r"call\s+", "INJECTION call"),
        (r"click\s+", "INJECTION click"),
        (r"gantt", "gantt"),
        (r"dateFormat\s[^#\n;]+", "dateFormat"),
        (r"inclusiveEndDates", "inclusiveEndDates"),
        (r"topAxis", "topAxis"),
        (r"axisFormat\s[^#\n;]+", "axisFormat"),
        (r"tickInterval\s[^#\n;]+", "tickInterval"),
        (r"includes\s[^#\n;]+", "includes"),
        (r"excludes\s[^#\n;]+", "excludes"),
        (r"todayMarker\s[^\n;]+", "todayMarker"),
        (r"weekday\s[^#\n;]+", "weekday"),
        (r"\d\d\d\d-\d\d-\d\d", "date"),
        (r"title\s[^#\n;]+", "title"),
        (r"accDescription\s[^#\n;]+", "accDescription"),
        (r"section\s[^#:\n;]+", "section"),
        (r"[^#:\n;]+", "taskTxt"),
        (r":[^#\n;]+", "taskData"),
        (r":", ":"),
        (r".", "INVALID"),
    ]
]

_SETTINGS = {
    "dateFormat",
    "inclusiveEndDates",
    "topAxis",
    "axisFormat",
    "tickInterval",
    "includes",
    "excludes",
    "todayMarker",
    "weekday",
    "title",
    "accDescription",
}
_TAGS = ("active", "done", "crit", "milestone", "vert")
# dayjs format tokens the action uses, as Python reads them (dayjs parses strictly).
_DAYJS = {"YYYY-MM-DD HH:mm:ss": ("%Y-%m-%d %H:%M:%S", re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"))}


class GanttError(AssertionError):
    """Mermaid would refuse this chart, or read something the action did not mean to write."""


def tokens(text: str) -> list[tuple[str, str]]:
    found = []
    position = 0
    while position < len(text):
        for pattern, token in _RULES:
            match = pattern.match(text, position)
            if match and match.end() > position:
                if token is not None:
                    found.append((token, match.group()))
                position = match.end()
                break
    return found


@dataclass
class Task:
    text: str
    tags: list[str]
    start: datetime
    end: datetime


@dataclass
class Section:
    title: str
    tasks: list[Task] = field(default_factory=list)


@dataclass
class Chart:
    settings: dict[str, str] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)


def parse(text: str) -> Chart:
    """The chart as Mermaid reads it; GanttError where Mermaid would fail or be injected into."""
    found = tokens(text)
    if not found or found[0][0] != "gantt":
        raise GanttError(f"a gantt chart starts with `gantt`, not {found[:1]}")
    chart = Chart()
    index = 1
    while index < len(found):
        token, value = found[index]
        if token == "NL":
            index += 1
            continue
        if token.startswith("INJECTION") or token in ("INVALID", ":", "date", "gantt"):
            raise GanttError(f"unexpected {token} {value!r}")
        if token in _SETTINGS:
            name, _, rest = value.partition(" ")
            chart.settings[token] = rest if rest else name
        elif token == "section":
            chart.sections.append(Section(value[8:]))  # yy.addSection($1.substr(8))
        elif token == "taskTxt":
            if index + 1 >= len(found) or found[index + 1][0] != "taskData":
                raise GanttError(f"task {value!r} has no data")
            if not chart.sections:
                chart.sections.append(Section(""))
            chart.sections[-1].tasks.append(_task(value, found[index + 1][1], chart.settings))
            index += 1
        else:
            raise GanttError(f"unexpected {token} {value!r}")
        index += 1
        if index < len(found) and found[index][0] != "NL":
            raise GanttError(f"{found[index]} follows a statement on its line")
    return chart


def _task(text: str, data: str, settings: dict[str, str]) -> Task:
    """ganttDb.parseData: leading tags, then [id,] start, end."""
    parts = data[1:].split(",")
    tags = []
    while parts and parts[0].strip().lower() in _TAGS:
        tags.append(parts.pop(0).strip().lower())
    parts = [part.strip() for part in parts]
    if len(parts) not in (2, 3):
        raise GanttError(f"task {text!r} has data {data!r}: the action writes a start and an end")
    start, end = (_date(part, settings) for part in parts[-2:])
    if end < start:
        raise GanttError(f"task {text!r} ends before it starts")
    return Task(text, tags, start, end)


def _date(value: str, settings: dict[str, str]) -> datetime:
    python, shape = _DAYJS[settings.get("dateFormat", "").strip()]
    if not shape.fullmatch(value):
        raise GanttError(f"{value!r} is not a date in the chart's format")
    return datetime.strptime(value, python)


def mermaid_blocks(markdown: str) -> list[str]:
    """The text of each ```mermaid block, as GitHub hands it to Mermaid."""
    return re.findall(r"^```mermaid\n(.*?)^```$", markdown, re.MULTILINE | re.DOTALL)
