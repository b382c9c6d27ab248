"""Text from events and answers stays text: no link or image in the job summary but the
action's own, and one reading of a URL (secrets: test_secrets.py)."""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token
from support import SHA
from urllib3.util import parse_url

from track_deployment.errors import InputError
from track_deployment.summary import render_summary
from track_deployment.values import api_url_problem, parse_api_url
from track_deployment.workflow import Report, escape_markdown

# --- Markdown -------------------------------------------------------------------------------

PIECES = [
    "![pixel](https://evil.example/p.png)",
    "[Re-authenticate iftrue](https://evil.example/login)",
    "<https://evil.example>",
    "https://evil.example/x",
    "www.evil.example",
    "mail@evil.example",
    "[a]: https://evil.example",
    "[a]",
    "# ",
    "\n# heading\n",
    "\n- item\n",
    "\n1. item\n",
    "\n> quote\n",
    "\n---\n",
    "\n===\n",
    "| a | b |",
    "`code`",
    "```",
    "*em* _em_ **strong** ~~del~~",
    "<img src=x>",
    "<a href='https://evil.example'>x</a>",
    "&#91;x&#93;(y)",
    "\\[x\\](https://evil.example)",
    "$x$",
    "</details>",
    "\r",
    "    indented",
    "\n    indented\n",
    "\t\tindented",
    "\n \t  indented",
]
EVENT_TEXT = st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=8).map("".join)
LINKS = {
    "run": "https://github.com/octo-org/shop/actions/runs/1",
    "commit": f"https://github.com/octo-org/shop/commit/{SHA}",
    "pull_request": "https://github.com/octo-org/shop/pull/412",
}
# GFM links bare addresses after parsing (its autolink extension), which CommonMark does not.
AUTOLINKABLE = re.compile(r"(?i)[a-z][a-z0-9+.-]*://|www\.|[a-z0-9]@[a-z0-9]")


def walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        yield from walk(token.children or [])


@settings(max_examples=150, deadline=None)
@given(
    title=EVENT_TEXT,
    changelog=EVENT_TEXT,
    branch=EVENT_TEXT,
    message=EVENT_TEXT,
    result=st.sampled_from(["created", "failed", "dry_run"]),
)
# A note that starts with a line break and four spaces: once the break is gone, a code block.
@example(title="", changelog="", branch="", message="\r    indented", result="created")
def test_event_text_makes_no_link_image_heading_or_cell(
    title: str, changelog: str, branch: str, message: str, result: str
) -> None:
    report = Report(
        result=result,
        payload={
            "title": title or "t",
            "changelog": changelog,
            "branch": branch or "b",
            "commit_id": SHA,
            "pull_request_number": 412,
        },
        error=message if result == "failed" else "",
        error_title="iftrue rejected the deployment",
        note=message,
        deployment_id=message if result == "created" else "",
        links=LINKS,
    )
    summary = render_summary(report)
    tokens = list(walk(MarkdownIt("commonmark").enable("table").parse(summary)))
    assert not [t for t in tokens if t.type in ("link_open", "image", "em_open", "s_open")]
    # No code block: the report here has no jobs, so the chart's fence is not drawn either.
    assert not [t for t in tokens if t.type in ("code_block", "fence")]
    # The action's own code spans (field names, the replay hint's words) and bold (the error's
    # title) only.
    own = {*(report.payload or {}), "payload", "workflow_dispatch"}
    assert {t.content for t in tokens if t.type == "code_inline"} <= own
    assert len([t for t in tokens if t.type == "strong_open"]) == (1 if report.error else 0)
    assert [t.tag for t in tokens if t.type == "heading_open"] == ["h3"]  # the action's own
    built = {f'<a href="{html.escape(href)}">' for href in LINKS.values()}
    for token in tokens:
        if token.type == "html_inline":
            assert token.content in built | {"</a>", "<br>"}
        if token.type == "text":
            assert not AUTOLINKABLE.search(token.content)
    # No cell split off or added by event text: every row has its table's header's cells.
    widths: list[int] = []
    for token in tokens:
        if token.type == "tr_open":
            widths.append(0)
        elif token.type in ("td_open", "th_open"):
            widths[-1] += 1
        elif token.type == "table_open" and widths:
            assert len(set(widths)) == 1, widths
            widths = []
    assert len(set(widths)) <= 1, widths


@pytest.mark.parametrize(
    "text",
    ["Fix ![pixel](https://evil.example/p.png) <b>&</b> #1 | 2 `x` www.a.b", "    four spaces, then\ta tab"],
)
def test_escape_markdown_reads_as_the_text(text: str) -> None:
    rendered = MarkdownIt("commonmark").renderInline(escape_markdown(text))
    assert html.unescape(rendered).replace("\u2060", "") == text


# --- one URL parser -------------------------------------------------------------------------

# Each read differently by urllib.parse and urllib3 (which connects), or able to be.
CONFUSING = [
    "http://192.0.2.2\\@127.0.0.1:9",  # urllib.parse: 127.0.0.1; urllib3: 192.0.2.2
    "http://127.0.0.1:9\\@192.0.2.2",
    "http://192.0.2.2%5c@127.0.0.1:9",
    "http://user@127.0.0.1:9",
    "http://user:pass@127.0.0.1:9",
    "http://127.0.0.1:9@192.0.2.2",
    "http://127.0.0.1\t:9",
    "http://127.0.0.1\n.evil:9",
    "http://127.0.0.1:9/\x00",
    "http://127.0.0.1:9/a\\b",
    "http:\\\\127.0.0.1:9",
    "http://127.0.0.1:9#@192.0.2.2",
    "http://127.0.0.1:9?@192.0.2.2",
    "http://[::1",
    "http://127.0.0.1:99999",
]
# Loopback to the resolver, perhaps, but not by their name: plain http is refused to them.
NOT_LOOPBACK_BY_NAME = [
    "http://127.1:9",
    "http://0x7f.0.0.1:9",
    "http://localhost.:9",
    "http://[::ffff:7f00:1]:9",
]
PLAIN = [
    "https://api.iftrue.co",
    "http://127.0.0.1:9",
    "http://[::1]:9",
    "http://LOCALHOST:9/v1/",
    "https://x.example/api/",
]


@pytest.mark.parametrize("url", CONFUSING)
def test_a_url_read_two_ways_is_refused(url: str) -> None:
    with pytest.raises(InputError, match=r"^Input 'api_url' must be an http:// or https:// URL") as error:
        parse_api_url(url)
    if re.match(r"[^/]*//[^/?#]*@", url):
        assert url not in str(error.value)  # what may be a password is not repeated
    assert api_url_problem(url) is not None  # nor used for GitHub look-ups


@pytest.mark.parametrize("url", NOT_LOOPBACK_BY_NAME)
def test_plain_http_only_to_a_loopback_name(url: str) -> None:
    with pytest.raises(InputError, match=r"http:// is accepted only for 127\.0\.0\.1, ::1 and localhost"):
        parse_api_url(url)


@pytest.mark.parametrize("url", PLAIN)
def test_an_accepted_url_is_where_urllib3_connects(url: str) -> None:
    accepted = parse_api_url(url)
    connects = parse_url(accepted)
    seen = urllib.parse.urlsplit(accepted)
    assert connects.host is not None
    assert connects.host.strip("[]") == (seen.hostname or "")
    assert connects.port == seen.port
    assert connects.auth is None
    if connects.scheme == "http":
        assert connects.host in ("127.0.0.1", "[::1]", "localhost")
    assert api_url_problem(url) is None
