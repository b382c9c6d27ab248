"""Fitting the record into what the `payload` input can take again: the changelog first, then the title."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .schema import DeploymentRequest, record_size

# A push changelog line, as the push reader writes it: "- <sha7> <first line>".
_COMMIT_LINE = re.compile(r"- [0-9a-fA-F]{7}(?: |$)")
# Characters read past the limit before text is redacted and cut: more than any secret is long,
# so a secret that straddles the first cut is whole in what is redacted.
_MARGIN = 8192


def fit_record(
    request: DeploymentRequest, max_bytes: int, redact: Callable[[str], str] = str
) -> tuple[DeploymentRequest, str | None]:
    """The record shortened so its JSON takes at most max_bytes, and what was shortened.

    Text is passed through `redact` before it is cut to size: a secret cut in half is no longer
    recognised by any masker, the runner's included. Only what can fit is redacted (a JSON
    character takes at least a byte), so a 40 MB changelog costs what its first 64 kB cost.

    The changelog goes first, then the title: a push changelog loses whole commit lines and
    ends with "… and N more commits", any other text ends with "… and N more characters".
    Other fields are never cut (a shortened URL or id would be wrong); their lengths are bounded
    (DeploymentRequest), so any record fits once its changelog and title are cut. Under a smaller
    limit they alone may be too long: the record stays over it, and the note says so.
    """
    body = request.body()
    # Each character takes a byte of JSON at least: a text this long cannot fit, unencoded.
    short = sum(len(value) for value in body.values() if isinstance(value, str)) <= max_bytes
    if short and record_size(body) <= max_bytes:
        return request, None
    said = []
    title = body["title"] = redact(body["title"][: max_bytes + _MARGIN])
    if changelog := body.get("changelog"):
        body["changelog"], done = _fit_changelog(body, changelog, max_bytes, redact)
        said.append(done)
    if record_size(body) > max_bytes and len(title) > 1:
        kept = _longest_fit(body, "title", len(title) - 1, max_bytes, lambda k: title[: max(k, 1)] + "…")
        body["title"] = title[: max(kept, 1)] + "…"
        said.append(f"the title keeps {max(kept, 1):,} of {len(request.title):,} characters")
    size = record_size(body)
    if size > max_bytes:
        note = (
            f"The record is {size:,} bytes, more than the {max_bytes:,} the `payload` input accepts, "
            "even with its changelog and title shortened; it cannot be replayed as is"
        )
    else:
        note = (
            f"The record was shortened to the {max_bytes:,} bytes the `payload` input accepts, "
            f"so it can be replayed: {'; '.join(said)}"
        )
    return DeploymentRequest.model_validate(body), note + "."


def _fit_changelog(
    body: dict[str, Any], changelog: str, max_bytes: int, redact: Callable[[str], str]
) -> tuple[str, str]:
    """The changelog cut to fit beside the other fields, and what was cut."""
    lines = changelog.split("\n")
    if all(_COMMIT_LINE.match(line) for line in lines):
        readable, size = [], 0
        for line in lines:
            if size > max_bytes:
                break
            readable.append(line[: max_bytes + 1])  # a longer line cannot fit: no need to read on
            size += len(line) + 1
        shown = redact("\n".join(readable)).split("\n")

        def commits(kept: int) -> str:
            return "\n".join([*shown[:kept], f"… and {len(lines) - kept} more commits"])

        kept = _longest_fit(body, "changelog", len(shown), max_bytes, commits)
        return commits(kept), f"the changelog keeps {kept:,} of {len(lines):,} commits"
    text = redact(changelog[: max_bytes + _MARGIN])
    more = len(changelog) - len(text)

    def characters(kept: int) -> str:
        return f"{text[:kept].rstrip()}\n… and {len(text) - kept + more:,} more characters"

    kept = _longest_fit(body, "changelog", len(text), max_bytes, characters)
    return characters(kept), f"the changelog keeps {kept:,} of {len(changelog):,} characters"


def _longest_fit(
    body: Mapping[str, Any], name: str, most: int, max_bytes: int, cut: Callable[[int], str]
) -> int:
    """The largest k in 0…most for which the record with `name` = cut(k) fits (0 if none)."""
    low, high = 0, most
    while low < high:
        middle = (low + high + 1) // 2
        if record_size({**body, name: cut(middle)}) <= max_bytes:
            low = middle
        else:
            high = middle - 1
    return low
