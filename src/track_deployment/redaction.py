"""Where a secret is in a text however a service, a proxy or a log broke it up or encoded it.

A text is read as a reader would put it back together: escapes decoded (`\\uXXXX`, `\\/`,
each with any number of backslashes, so JSON escaped twice reads too; percent-encoding; HTML
character references) and every gap removed (white space of any kind, control and invisible
characters, HTML tags, terminal colour codes, escaped line breaks and tabs). Decoding is
repeated, at most a few times, while the reading still holds escapes (`&amp;#10;`). A secret
found in a reading, whole or cut off where the text ends or begins, is redacted from the text
where its first to its last character came from.
"""

from __future__ import annotations

import base64
import html
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

# Characters that show nothing: control characters (C0 but white space, DEL, C1) and Unicode's
# default-ignorable ones (soft hyphen, joiners, zero-width space, bidi marks, variation
# selectors, fillers, tags).
_INVISIBLE_RANGES = (
    (0x00, 0x08),
    (0x0E, 0x1F),
    (0x7F, 0x9F),
    (0xAD, 0xAD),
    (0x34F, 0x34F),
    (0x61C, 0x61C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_INVISIBLE = "".join(f"{chr(first)}-{chr(last)}" for first, last in _INVISIBLE_RANGES)
_INVISIBLE_CHARS = frozenset(
    chr(code) for first, last in _INVISIBLE_RANGES for code in range(first, last + 1)
)
#: JSON's escapes of a line break, a tab, a form feed or a backspace: gaps once decoded.
_ESCAPED_GAPS = frozenset("nrtfb")

# The escapes a secret's characters may be written in, and the gaps that may break it.
# Any number of backslashes, from the first of them: a search never starts inside a run.
_BACKSLASH = r"(?<!\\)\\++(?:u(?P<u>[0-9a-fA-F]{4})|(?P<esc>[nrtfb/]))"
# HTML character references as html.unescape reads them: numeric with or without their `;`,
# named (`&NewLine;`, `&period;`, `&amp;`) with it.
_REFERENCE = r"(?P<ref>&(?:#(?:[xX][0-9a-fA-F]++|[0-9]++);?|[A-Za-z][A-Za-z0-9]{1,31}+;))"
_PERCENT = (  # one character's UTF-8 bytes
    r"%[0-7][0-9a-fA-F]|%[cdCD][0-9a-fA-F]%[89abAB][0-9a-fA-F]"
    r"|%[eE][0-9a-fA-F](?:%[89abAB][0-9a-fA-F]){2}|%[fF][0-4](?:%[89abAB][0-9a-fA-F]){3}"
)
# An HTML tag (`<br>`, `<wbr/>`, `<span class=x>`), or a terminal's colour code (ESC [ … m),
# its ESC raw or escaped.
_BREAK = (
    r"</?[A-Za-z][A-Za-z0-9-]*+(?:[\s/][^<>]*+)?>"
    r"|(?:\x1b|(?<!\\)\\++u001[bB]|%1[bB])\[[0-?]*+[ -/]*+[@-~]"
)
_STARTS = re.sub(r"\?P<\w+>", "", f"{_BACKSLASH}|{_REFERENCE}|{_PERCENT}|{_BREAK}")
_UNIT = re.compile(
    # Plain text runs to a gap or an escape. A "\\", "%", "&" or "<" that starts none is plain
    # too, so a megabyte of near misses ("%%%", "&#&#", "\\\\ ") is one unit, not a million.
    rf"(?P<plain>(?:[^\s\\%&<{_INVISIBLE}]++|(?!{_STARTS})(?:\\++|[%&<]))++)"
    rf"|(?P<gap>{_BREAK}|[\s{_INVISIBLE}]++)"
    rf"|{_BACKSLASH}|{_REFERENCE}|(?P<pct>{_PERCENT})"
    r"|(?P<other>.)",  # nothing is left for it; kept so that no character is ever skipped
    re.DOTALL,
)
#: The escapes and breaks alone, and the gaps: Reading.text without the map, at C speed.
_ESCAPE = re.compile(rf"(?P<gap>{_BREAK})|{_BACKSLASH}|{_REFERENCE}|(?P<pct>{_PERCENT})")
_GAPS = re.compile(rf"[\s{_INVISIBLE}]+")
#: What can still be decoded in a reading: then it is read once more.
_ENCODED = re.compile(r"[\\%&<]")
_ROUNDS = 3
#: The shortest start or end of a secret that is redacted where a text was cut in the secret.
CUT_CHARS = 8
#: A base64 form of a secret is searched for only when its secret is this long: a shorter
#: one's form is short enough to occur by chance.
BASE64_MIN_CHARS = 8


def _decoded(match: re.Match[str]) -> str:
    """What one unit of text stands for: a character, or "" for a gap."""
    kind = match.lastgroup
    if kind == "u":
        value = chr(int(match.group("u"), 16))
    elif kind == "esc":
        value = "" if match.group("esc") in _ESCAPED_GAPS else "/"
    elif kind == "ref":
        value = html.unescape(match.group(0))
    elif kind == "pct":
        value = bytes.fromhex(match.group(0).replace("%", "")).decode("utf-8", "replace")
    elif kind == "gap":
        value = ""
    else:
        value = match.group(0)
    return "" if len(value) == 1 and (value.isspace() or value in _INVISIBLE_CHARS) else value


@dataclass
class Reading:
    """A text put back together, and where each of its characters came from in the text read.

    Segment k starts at `starts[k]` in the reading: a run of plain text maps character for
    character from `origins[k]`, a decoded unit maps to the whole of `origins[k]`…`ends[k]`.
    """

    text: str = ""
    starts: list[int] = field(default_factory=list)
    origins: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    plain: list[bool] = field(default_factory=list)

    def origin(self, index: int) -> tuple[int, int]:
        """Where the reading's character at `index` came from: a span of the text read."""
        k = bisect_right(self.starts, index) - 1
        if self.plain[k]:
            at = self.origins[k] + index - self.starts[k]
            return at, at + 1
        return self.origins[k], self.ends[k]

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.origin(start)[0], self.origin(end - 1)[1]


def read(text: str) -> Reading:
    """`text` with its escapes decoded and its gaps removed, once."""
    reading = Reading()
    pieces: list[str] = []
    size = 0
    for match in _UNIT.finditer(text):
        plain = match.lastgroup == "plain"
        value = match.group(0) if plain else _decoded(match)
        if not value:
            continue
        reading.starts.append(size)
        reading.origins.append(match.start())
        reading.ends.append(match.end())
        # An escape that decodes to nothing readable is kept as it was: character for character.
        reading.plain.append(plain or value == match.group(0))
        pieces.append(value)
        size += len(value)
    reading.text = "".join(pieces)
    return reading


def read_text(text: str) -> str:
    """What read(text).text is, without where each character came from: a quick first look."""
    return _GAPS.sub("", _ESCAPE.sub(_decoded, text))


def base64_forms(secret: str) -> list[str]:
    """The stretches of base64 that encode `secret` wherever it starts in the encoded data.

    Base64 encodes 3 bytes as 4 characters, so a secret encodes 3 ways depending on its
    offset; only the characters made of the secret's bits alone are the same every time.
    """
    data = secret.encode("utf-8", "surrogatepass")
    forms = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode()
        core = encoded[-(-offset * 4 // 3) : (offset + len(data)) * 8 // 6]
        forms += [core, core.translate(str.maketrans("+/", "-_"))]
    return list(dict.fromkeys(forms))


def secret_forms(secret: str) -> list[str]:
    """What is searched for a secret: itself, and its base64 forms when it is long enough."""
    return [secret, *(base64_forms(secret) if len(secret) >= BASE64_MIN_CHARS else [])]


def _found(text: str, forms: Iterable[str]) -> Iterable[tuple[int, int]]:
    for form in forms:
        at = text.find(form)
        while at >= 0:
            yield at, at + len(form)
            at = text.find(form, at + 1)


def token_parts(secret: str) -> list[str]:
    """A JWT's parts, each a secret of its own (an answer may quote one, or all without dots)."""
    parts = secret.split(".")
    return [part for part in parts if len(part) >= 16] if len(parts) == 3 else []


def _cut(text: str, forms: Iterable[str]) -> Iterable[tuple[int, int]]:
    """A form's start that ends `text`, or its end that begins it: what is left of a secret
    where an answer was cut off, or where a line a secret went on to the next one begins."""
    for form in forms:
        if len(form) <= CUT_CHARS:
            continue
        head, tail = form[:CUT_CHARS], form[-CUT_CHARS:]
        at = text.find(head, max(0, len(text) - len(form) + 1))
        while at >= 0 and not form.startswith(text[at:]):
            at = text.find(head, at + 1)
        if at >= 0:
            yield at, len(text)
        at = text.find(tail, 0, len(form) - 1)
        while at >= 0 and not form.endswith(text[: at + CUT_CHARS]):
            at = text.find(tail, at + 1, len(form) - 1)
        if at >= 0:
            yield 0, at + CUT_CHARS


def _holds(text: str, forms: list[str]) -> bool:
    return any(form in text for form in forms) or any(True for _ in _cut(text, forms))


def secret_spans(text: str, forms: Iterable[str]) -> list[tuple[int, int]]:
    """The spans of `text` that hold one of `forms`, broken up or encoded; merged, in order."""
    forms = [form for form in forms if form]
    quick = text
    for _ in range(_ROUNDS):
        before, quick = quick, read_text(quick)
        if _holds(quick, forms):
            break
        if quick == before or not _ENCODED.search(quick):
            return []  # no form in any reading, and no other reading: the map need not be made
    else:
        return []
    spans: list[tuple[int, int]] = []
    readings: list[Reading] = []
    current = text
    for _ in range(_ROUNDS):
        if readings and (current == before or not _ENCODED.search(current)):
            break
        before = current
        readings.append(read(current))
        current = readings[-1].text
        for start, end in [*_found(current, forms), *_cut(current, forms)]:
            for reading in reversed(readings):
                start, end = reading.span(start, end)
            spans.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def redact_spans(text: str, forms: Iterable[str], mark: str) -> str:
    """`text` with every span that holds one of `forms` (secret_spans) replaced by `mark`."""
    spans = secret_spans(text, forms)
    if not spans:
        return text
    pieces, at = [], 0
    for start, end in spans:
        pieces += [text[at:start], mark]
        at = end
    pieces.append(text[at:])
    return "".join(pieces)
