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
import functools
import html
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
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
    (0xFFF9, 0xFFFB),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_INVISIBLE = "".join(f"{chr(first)}-{chr(last)}" for first, last in _INVISIBLE_RANGES)
_INVISIBLE_CHARS = frozenset(
    chr(code) for first, last in _INVISIBLE_RANGES for code in range(first, last + 1)
)
#: Escapes of a line break, a tab, a form feed, a backspace or a vertical tab: gaps once decoded.
_ESCAPED_GAPS = frozenset("nrtfbv")

# The escapes a secret's characters may be written in, and the gaps that may break it.
# Any number of backslashes, from the first of them: a search never starts inside a run.
# JSON's `\uXXXX`, and the `\u{…}`, `\UXXXXXXXX`, `\xXX` and octal escapes of other languages.
_BACKSLASH = (
    r"(?<!\\)\\++(?:u(?P<u>[0-9a-fA-F]{4})|u\{(?P<ub>[0-9a-fA-F]{1,6})\}|U(?P<U>[0-9a-fA-F]{8})"
    r"|x(?P<x>[0-9a-fA-F]{2})|(?P<oct>[0-3][0-7]{2})|(?P<esc>[nrtfbv/]))"
)
# HTML character references as html.unescape reads them, with or without their `;`: numeric
# (8 digits at most after any zeros: no number is too long to read) or named (`&NewLine;`).
_REFERENCE = r"(?P<ref>&(?:#(?:[xX]0*[0-9a-fA-F]{1,8}|0*[0-9]{1,8})|[A-Za-z][A-Za-z0-9]{1,31}+);?)"
_PERCENT = (  # one character's UTF-8 bytes, or JavaScript's old `%uXXXX`
    r"%[uU][0-9a-fA-F]{4}|%[0-7][0-9a-fA-F]|%[cdCD][0-9a-fA-F]%[89abAB][0-9a-fA-F]"
    r"|%[eE][0-9a-fA-F](?:%[89abAB][0-9a-fA-F]){2}|%[fF][0-4](?:%[89abAB][0-9a-fA-F]){3}"
)
# An HTML tag (`<br>`, `<wbr/>`, `<span class=x>`) or comment, a terminal's colour code
# (ESC [ … m, its ESC raw or escaped, or the 8-bit CSI) or hyperlink (ESC ] … BEL), or a
# quoted-printable soft line break (`=` at a line's end).
_BREAK = (
    r"</?[A-Za-z][A-Za-z0-9-]*+(?:[\s/][^<>]*+)?>|<![^>]{0,256}+>"
    r"|(?:(?:\x1b|(?<!\\)\\++(?:u001[bB]|x1[bB]|033|e)|%1[bB])\[|\x9b|(?<!\\)\\++u009[bB]|%[cC]2%9[bB])"
    r"[0-?]*+[ -/]*+[@-~]"
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]{0,512}+(?:\x07|\x1b\\|\x9c)"
    r"|=\r?\n|=(?:(?<!\\)\\++r)?(?<!\\)\\++n|=(?:%0[dD])?%0[aA]"
)
_STARTS = re.sub(r"\?P<\w+>", "", f"{_BACKSLASH}|{_REFERENCE}|{_PERCENT}|{_BREAK}")
_UNIT = re.compile(
    # Plain text runs to a gap or an escape. A "\\", "%", "&" or "<" that starts none is plain
    # too, so a megabyte of near misses ("%%%", "&#&#", "\\\\ ") is one unit, not a million.
    rf"(?P<plain>(?:[^\s\\%&<={_INVISIBLE}]++|(?!{_STARTS})(?:\\++|[%&<=]))++)"
    rf"|(?P<gap>{_BREAK}|[\s{_INVISIBLE}]++)"
    rf"|{_BACKSLASH}|{_REFERENCE}|(?P<pct>{_PERCENT})"
    r"|(?P<other>.)",  # nothing is left for it; kept so that no character is ever skipped
    re.DOTALL,
)
_ZEROS = re.compile(r"(?<=&#)0+(?=[0-9])|(?<=&#[xX])0+(?=[0-9a-fA-F])")
#: The escapes and breaks alone, and the gaps: Reading.text without the map, at C speed.
_ESCAPE = re.compile(rf"(?P<gap>{_BREAK})|{_BACKSLASH}|{_REFERENCE}|(?P<pct>{_PERCENT})")
_GAPS = re.compile(rf"[\s{_INVISIBLE}]+")
#: What can still be decoded in a reading: then it is read once more.
_ENCODED = re.compile(r"[\\%&<]")
_ROUNDS = 6
#: The shortest start or end of a secret that is redacted where a text was cut in the secret.
CUT_CHARS = 8
#: A base64 form of a secret is searched for only when its secret is this long: a shorter
#: one's form is short enough to occur by chance.
BASE64_MIN_CHARS = 8


def _decoded(match: re.Match[str]) -> str:
    """What one unit of text stands for: a character, or "" for a gap."""
    kind = match.lastgroup
    if kind in ("u", "ub", "U", "x", "oct"):
        code = int(match.group(kind), 8 if kind == "oct" else 16)
        value = chr(code) if code <= 0x10FFFF else match.group(0)
    elif kind == "esc":
        value = "" if match.group("esc") in _ESCAPED_GAPS else "/"
    elif kind == "ref":  # zeros dropped: int() refuses over 4,300 digits
        value = html.unescape(_ZEROS.sub("", match.group(0)))
    elif kind == "pct" and match.group(0)[1] in "uU":
        value = chr(int(match.group(0)[2:], 16))
    elif kind == "pct":
        value = bytes.fromhex(match.group(0).replace("%", "")).decode("utf-8", "replace")
    elif kind == "gap":
        value = ""
    else:
        value = match.group(0)
    if len(value) == 1:
        return "" if value.isspace() or value in _INVISIBLE_CHARS else value
    return _GAPS.sub("", value)  # "&nbspx" is a no-break space and an x


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


_PREFIXED = re.compile(r"(?:gh[pousr]|github_pat)_(?P<body>.{16,})")


def token_parts(secret: str) -> list[str]:
    """Parts of a token that are secrets of their own: a JWT's payload and signature (its
    header is the same in every JWT of its kind), a GitHub token without its `ghs_`."""
    parts = secret.split(".")
    if len(parts) == 3:
        return [part for part in parts[1:] if len(part) >= 16]
    prefixed = _PREFIXED.fullmatch(secret)
    return [prefixed.group("body")] if prefixed else []


#: What is left of a piece of base64 JSON (a JWT's payload) to be told from anyone's: its
#: first characters are JSON's keys (`eyJzdWIiOi` is `{"sub":`).
_JSON_PIECE_CHARS = 16


def piece_bounds(secret: str) -> tuple[int, int]:
    """How much of a secret's start may be anyone's (a JWT's header and its dot), and how many
    characters past it are enough to tell a cut-off piece of it from anyone's."""
    header, dot, _ = secret.partition(".")
    head = len(header) + 1 if dot and header.startswith("eyJ") else 0
    return head, _JSON_PIECE_CHARS if secret[head:].startswith("eyJ") else CUT_CHARS


def _longest(match: Callable[[int], bool], low: int, high: int) -> int:
    """The largest m in low…high with match(m), given match(low) and that match holds for
    every m below one for which it holds (a common prefix or suffix): a binary search."""
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if match(middle) else (low, middle - 1)
    return low


@functools.lru_cache(maxsize=64)
def pieces(secret: str) -> tuple[tuple[str, int, int], ...]:
    """What a cut-off piece of `secret` is searched for in, each with piece_bounds: the secret,
    and its base64 forms (16 characters of them past nothing public) unless it starts with
    something public (a whole JWT: its parts' base64 forms come with the parts)."""
    head, enough = piece_bounds(secret)
    if head or len(secret) < BASE64_MIN_CHARS:
        return ((secret, head, enough),)
    return ((secret, head, enough), *((form, 0, _JSON_PIECE_CHARS) for form in base64_forms(secret)))


def _cut(text: str, secrets: Iterable[str]) -> Iterable[tuple[int, int]]:
    """What is left of a secret where a text was cut in it: its start followed by anything else
    ("eyJ…Zk… (truncated)", an answer cut off), or its end after anything else (a line the
    secret went on to), long enough past anything public to be its own (piece_bounds)."""
    for secret, head, enough in (piece for each in secrets for piece in pieces(each)):
        if len(secret) <= head + enough:
            continue
        start, end = secret[: head + enough], secret[-enough:]
        at = text.find(start)
        while at >= 0:
            size = _longest(functools.partial(_starts, text, at, secret), head + enough, len(secret))
            yield at, at + size
            at = text.find(start, at + size)
        at = text.find(end)
        while at >= 0:
            stop = at + enough
            size = _longest(functools.partial(_ends, text, stop, secret), enough, len(secret))
            yield stop - size, stop
            at = text.find(end, stop)


def _starts(text: str, at: int, form: str, size: int) -> bool:
    return text.startswith(form[:size], at)


def _ends(text: str, stop: int, form: str, size: int) -> bool:
    return text.endswith(form[-size:], 0, stop)


def _holds(text: str, forms: list[str], secrets: list[str]) -> bool:
    return any(form in text for form in forms) or any(True for _ in _cut(text, secrets))


def secret_spans(text: str, forms: Iterable[str], cut: Iterable[str] = ()) -> list[tuple[int, int]]:
    """The spans of `text` that hold one of `forms`, broken up or encoded, or what is left of one."""
    forms = [form for form in forms if form]
    secrets = [secret for secret in cut if secret]  # whose cut-off pieces are searched for too
    quick = text
    for _ in range(_ROUNDS):
        before, quick = quick, read_text(quick)
        if _holds(quick, forms, secrets):
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
        for start, end in [*_found(current, forms), *_cut(current, secrets)]:
            for reading in reversed(readings):
                start, end = reading.span(start, end)
            spans.append((start, end))
    return spans


def replace_spans(text: str, spans: Iterable[tuple[int, int]], mark: str) -> str:
    """`text` with each of `spans` replaced by `mark`; overlapping or touching spans are one."""
    pieces: list[str] = []
    at = 0
    for start, end in sorted(spans):
        if pieces and start <= at:  # within or touching the span just replaced
            at = max(at, end)
            continue
        pieces += [text[at:start], mark]
        at = end
    return "".join([*pieces, text[at:]]) if pieces else text


def redact_spans(text: str, forms: Iterable[str], mark: str, cut: Iterable[str] = ()) -> str:
    """`text` with every span that holds one of `forms`, or a cut-off piece of one of the
    secrets `cut` (secret_spans), replaced by `mark`."""
    return replace_spans(text, secret_spans(text, forms, cut), mark)
