"""Where a secret is in a text however a service, a proxy or a log broke it up or encoded it.

A text is read as a reader would put it back together: escapes decoded (`\\uXXXX`, `\\/`,
percent-encoding, HTML character references, each with any number of backslashes, so JSON
escaped twice reads too) and every gap removed (white space of any kind, zero-width and
other invisible characters, `<br>`, `&nbsp;`, escaped line breaks and tabs). A secret found in
that reading is redacted from the text where its first to its last character came from.
Decoding is repeated, at most a few times, while the reading still holds escapes, so a
percent-encoded JSON escape reads too.
"""

from __future__ import annotations

import base64
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

# Characters that show nothing: soft hyphen, Mongolian vowel separator, zero-width space,
# joiners and marks, word joiner and invisible operators, byte order mark.
_INVISIBLE_RANGES = (
    (0xAD, 0xAD),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0xFEFF, 0xFEFF),
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
_REFERENCE = r"&#(?:[xX](?P<hex>[0-9a-fA-F]{1,6})|(?P<dec>[0-9]{1,7}));"
_PERCENT = (  # one character's UTF-8 bytes
    r"%[0-7][0-9a-fA-F]|%[cdCD][0-9a-fA-F]%[89abAB][0-9a-fA-F]"
    r"|%[eE][0-9a-fA-F](?:%[89abAB][0-9a-fA-F]){2}|%[fF][0-4](?:%[89abAB][0-9a-fA-F]){3}"
)
_BREAK = r"(?i:<br\s*/?>|&nbsp;)"
_STARTS = re.sub(r"\?P<\w+>", "", f"{_BACKSLASH}|{_REFERENCE}|{_PERCENT}|{_BREAK}")
_UNIT = re.compile(
    # Plain text runs to a gap or an escape. A "\\", "%", "&" or "<" that starts none is plain
    # too, so a megabyte of near misses ("%%%", "&#&#", "\\\\ ") is one unit, not a million.
    rf"(?P<plain>(?:[^\s\\%&<{_INVISIBLE}]++|(?!{_STARTS})(?:\\++|[%&<]))++)"
    rf"|{_BACKSLASH}|{_REFERENCE}|(?P<pct>{_PERCENT})"
    rf"|(?P<gap>[\s{_INVISIBLE}]++|{_BREAK})"
    r"|(?P<other>.)",  # nothing is left for it; kept so that no character is ever skipped
    re.DOTALL,
)
#: The escapes and breaks alone, and the gaps: Reading.text without the map, at C speed.
_ESCAPE = re.compile(rf"{_BACKSLASH}|{_REFERENCE}|(?P<pct>{_PERCENT})|(?P<gap>{_BREAK})")
_GAPS = re.compile(rf"[\s{_INVISIBLE}]+")
#: What can still be decoded in a reading: then it is read once more.
_ENCODED = re.compile(r"[\\%&<]")
_ROUNDS = 3
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
    elif kind in ("hex", "dec"):
        code = int(match.group("hex"), 16) if kind == "hex" else int(match.group("dec"))
        value = chr(code) if code <= 0x10FFFF else match.group(0)
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


def secret_spans(text: str, forms: Iterable[str]) -> list[tuple[int, int]]:
    """The spans of `text` that hold one of `forms`, broken up or encoded; merged, in order."""
    forms = [form for form in forms if form]
    quick = text
    for _ in range(_ROUNDS):
        quick = read_text(quick)
        if any(form in quick for form in forms):
            break
        if not _ENCODED.search(quick):
            return []  # no form in any reading: the map need not be made
    else:
        return []
    spans: list[tuple[int, int]] = []
    readings: list[Reading] = []
    current = text
    for _ in range(_ROUNDS):
        if readings and not _ENCODED.search(current):
            break
        readings.append(read(current))
        current = readings[-1].text
        for start, end in _found(current, forms):
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
