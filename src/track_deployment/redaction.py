"""Where a secret is in a text, in the forms a service, a proxy or a log gives it.

The runner masks each secret registered with `::add-mask::` where it reads it whole: the log
and the job summary. This finds the rest, in whatever the action writes (its outputs too, and
everything outside Actions): a secret broken by white space or line breaks, JSON-escaped
(`\\u0041`, `\\/`, `\\n`, with any number of backslashes, so JSON in JSON reads too),
percent-encoded, base64-encoded, or cut off where a text was cut inside it.
"""

from __future__ import annotations

import base64
import functools
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence

# A run of backslashes is read from its first (`(?<!\\)`, possessive): linear on any text.
_ESCAPE = re.compile(
    r"(?<!\\)\\++(?:u(?P<u>[0-9a-fA-F]{4})|(?P<slash>/)|[nrt])"
    # One character's UTF-8 bytes, percent-encoded.
    r"|(?P<pct>%[0-7][0-9a-fA-F]|%[cdCD][0-9a-fA-F]%[89abAB][0-9a-fA-F]"
    r"|%[eE][0-9a-fA-F](?:%[89abAB][0-9a-fA-F]){2}|%[fF][0-4](?:%[89abAB][0-9a-fA-F]){3})"
)
_GAPS = re.compile(r"\s+")
_UNIT = re.compile(f"{_GAPS.pattern}|{_ESCAPE.pattern}")
#: The shortest piece of a secret redacted where a text was cut inside it.
CUT_CHARS = 8
#: The same for base64 JSON (a JWT's payload: `eyJzdWIiOi` is anyone's `{"sub":`) and for a
#: secret's base64 forms.
JSON_CUT_CHARS = 16
#: A secret this short has no base64 form searched for: one would be found by chance.
BASE64_MIN_CHARS = 8


def _decoded(match: re.Match[str]) -> str:
    """What an escape or a gap stands for: one character, "" for a gap, or the escape itself."""
    if match.group("u"):
        value = chr(int(match.group("u"), 16))
    elif match.group("slash"):
        value = "/"
    elif match.group("pct"):
        value = bytes.fromhex(match.group("pct").replace("%", "")).decode("utf-8", "replace")
    else:
        return ""
    return "" if value.isspace() else value if len(value) == 1 else match.group(0)


def read_text(text: str) -> str:
    """`text` with its escapes decoded and its gaps removed, as a reader puts a secret together."""
    return _GAPS.sub("", _ESCAPE.sub(_decoded, text))


def read(text: str) -> tuple[str, Callable[[int, int], tuple[int, int]]]:
    """read_text(text), and what maps a span of it back to the span of `text` it came from."""
    pieces: list[str] = []
    starts: list[int] = []  # where segment k starts in the reading
    #: Where it came from: a plain run maps one to one, an escape's character to all of it.
    origins: list[tuple[int, int, bool]] = []
    size = at = 0
    for match in _UNIT.finditer(text):
        value = _decoded(match)
        plain = (text[at : match.start()], at, match.start(), True)
        for piece, start, end, one_to_one in (plain, (value, *match.span(), value == match.group(0))):
            if piece:
                pieces.append(piece)
                starts.append(size)
                origins.append((start, end, one_to_one))
                size += len(piece)
        at = match.end()
    pieces.append(text[at:])
    starts.append(size)
    origins.append((at, len(text), True))

    def origin(index: int) -> tuple[int, int]:
        k = bisect_right(starts, index) - 1
        start, end, plain = origins[k]
        return (start + index - starts[k], start + index - starts[k] + 1) if plain else (start, end)

    return "".join(pieces), lambda start, end: (origin(start)[0], origin(end - 1)[1])


def base64_forms(secret: str) -> list[str]:
    """The base64 and base64url characters made of `secret`'s bits alone, at each of the 3
    places it can start in encoded data."""
    data = secret.encode("utf-8", "surrogatepass")
    forms = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode()
        core = encoded[-(-offset * 4 // 3) : (offset + len(data)) * 8 // 6]
        forms += [core, core.translate(str.maketrans("+/", "-_"))]
    return list(dict.fromkeys(forms))


_PREFIXED = re.compile(r"(?:gh[pousr]|github_pat)_(?P<body>.{16,})")


def token_parts(secret: str) -> list[str]:
    """Parts of a token that are secrets of their own: a JWT's payload and signature (its
    header is the same in every JWT of its kind), a GitHub token without its `ghs_`."""
    parts = secret.split(".")
    if len(parts) == 3:
        return [part for part in parts[1:] if len(part) >= 16]
    prefixed = _PREFIXED.fullmatch(secret)
    return [prefixed.group("body")] if prefixed else []


@functools.lru_cache(maxsize=16)
def searched(secrets: tuple[str, ...]) -> tuple[tuple[str, int, int], ...]:
    """What the reading is searched for: each secret and its base64 forms as read_text reads
    them, each with how much of its start is anyone's (a JWT's header and dot) and how many
    characters past that a piece of it needs to be its own. A whole JWT's base64 forms are
    searched for whole: a piece of one is a piece of its parts' forms, or anyone's header."""
    found = []
    for secret in filter(None, secrets):
        header, dot, _ = secret.partition(".")
        head = len(header) + 1 if dot and header.startswith("eyJ") else 0
        enough = JSON_CUT_CHARS if secret[head:].startswith("eyJ") else CUT_CHARS
        found.append((read_text(secret), head, enough))
        if len(secret) >= BASE64_MIN_CHARS:
            found += [(form, 0, len(form) if head else JSON_CUT_CHARS) for form in base64_forms(secret)]
    return tuple(found)


def _longest(text: str, at: int, form: str, low: int, forward: bool) -> int:
    """How many of `form`'s first characters `text` holds from `at` (or last, up to `at`),
    given `low` of them: a binary search."""
    high = min(len(form), len(text) - at if forward else at)
    while low < high:
        middle = (low + high + 1) // 2
        held = text.startswith(form[:middle], at) if forward else text.endswith(form[-middle:], 0, at)
        low, high = (middle, high) if held else (low, middle - 1)
    return low


def _found(text: str, forms: Sequence[tuple[str, int, int]]) -> Iterator[tuple[int, int]]:
    """The spans of `text` that hold a form whole, or its start or end cut off (anything else
    after or before it) and long enough to be its own."""
    for form, head, enough in forms:
        short = len(form) <= head + enough
        start = form if short else form[: head + enough]
        at = text.find(start)
        while at >= 0:
            size = len(form) if short else _longest(text, at, form, len(start), forward=True)
            yield at, at + size
            at = text.find(start, at + size)
        at = -1 if short else text.find(form[-enough:])
        while at >= 0:
            stop = at + enough
            yield stop - _longest(text, stop, form, enough, forward=False), stop
            at = text.find(form[-enough:], stop)


def secret_spans(text: str, secrets: Sequence[str]) -> list[tuple[int, int]]:
    """The spans of `text` that hold one of `secrets` in a form searched() names."""
    forms = searched(tuple(secrets))
    if not any(True for _ in _found(read_text(text), forms)):
        return []  # the common case: the reading's map need not be made
    reading, span = read(text)
    return [span(start, end) for start, end in _found(reading, forms)]


def redact_spans(text: str, secrets: Sequence[str], mark: str) -> str:
    """`text` with each span secret_spans finds, or run of touching ones, replaced by `mark`."""
    pieces: list[str] = []
    at = 0
    for start, end in sorted(secret_spans(text, secrets)):
        if pieces and start <= at:
            at = max(at, end)
            continue
        pieces += [text[at:start], mark]
        at = end
    return "".join([*pieces, text[at:]]) if pieces else text
