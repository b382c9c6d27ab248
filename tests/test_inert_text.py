"""Text from events and answers stays text: secrets redacted however they are broken or
encoded, no link or image in the job summary but the action's own, and one reading of a URL."""

from __future__ import annotations

import base64
import html
import io
import json
import re
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token
from support import GITHUB_TOKEN, SHA, TOKEN
from test_hostile_servers import leaks
from urllib3.util import parse_url

from track_deployment.errors import InputError
from track_deployment.inputs import api_url_problem, parse_api_url
from track_deployment.redaction import read, read_text
from track_deployment.summary import render_summary
from track_deployment.workflow import Console, Report, escape_markdown

# --- redaction ------------------------------------------------------------------------------

# What may come between two characters of a secret: white space of any kind, invisible
# characters and HTML line breaks, raw, escaped (once or twice) or percent-encoded.
GAPS = [
    " ", "\n", "\r\n", "\t", "  \n  ", "\f", "\v", "\u2028", "\u00a0", "\u3000", "\u200b", "\ufeff",
    "\u2060", "\u00ad", "<br>", "<BR />", "&nbsp;", "&#10;", "&#xA0;", "\\n", "\\r\\n", "\\f", "\\\\n",
    "%0A", "%0d%0a", "%20", "%0C", "%C2%A0", "%E2%80%8B", "%E2%80%A8", "%5Cn", "\\u000a", "\\u0020",
    "\\u2028", "\\u200B", "\\\\u000a", "&NewLine;", "&amp;#10;", "&amp;nbsp;", "&lt;br&gt;", "&shy;",
    "&ZeroWidthSpace;", "<wbr>", "<span class='x'>", "</b>", "\x00", "\x7f", "\b", "\x1b[31m", "\\u001b[0m",
    "\ufe0f", "\u034f", "\u3164", "\U000e0041", "&nbsp", "&shy", "<!-- x -->", "\\x1b[31m", "\\033[0m",
    "\\e[1m", "\x9b31m", "\x1b]8;;https://x\x07", "\\x0a", "\\012", "\\u{a}", "%u000A", "=\r\n", "\ufff9",
    "&amp;amp;amp;#10;", "%25252520", "\\u009b31m", "%C2%9B0m", "=\\r\\n", "=%0D%0A",
    "&amp;amp;amp;amp;amp;#10;",
]  # fmt: skip


def encode_char(char: str, how: str) -> str:
    if how == "json":
        return f"\\u{ord(char):04x}"
    if how == "JSON":
        return f"\\u{ord(char):04X}"
    if how == "JSON twice":
        return f"\\\\u{ord(char):04x}"
    if how == "percent":
        return f"%{ord(char):02X}"
    if how == "entity":
        return f"&#{ord(char)};"
    if how == "named":  # the names HTML gives a JWT's and a GitHub token's punctuation
        return {".": "&period;", "_": "&lowbar;", "-": "&hyphen;"}.get(char, f"&#x{ord(char):x};")
    if how == "padded":
        return f"&#00000000{ord(char)};"
    return char


def normalized(text: str) -> str:
    """`text` with every encoding and gap above undone: what a reader could put back together."""
    for _ in range(6):
        text = re.sub(r"\\+u([0-9a-fA-F]{4})|\\+u\{([0-9a-fA-F]+)\}|%u([0-9a-fA-F]{4})|\\+x([0-9a-fA-F]{2})",
                      lambda m: chr(int(next(g for g in m.groups() if g), 16)), text)  # fmt: skip
        text = re.sub(r"\\+([0-3][0-7]{2})", lambda m: chr(int(m.group(1), 8)), text)
        text = html.unescape(urllib.parse.unquote(text))
        text = re.sub(r"(?:\x1b|\\+e)\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07", "", text)
        text = re.sub(r"</?[A-Za-z][^<>]*>|<!--.*?-->|=\r?\n|=(?:\\+r)?\\+n", "", text)
        text = re.sub(r"\\+[nrtfbv]", "", text)
    invisible = "\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u034f\u200b-\u200f\u2060-\u206f\u3164\ufe00-\ufe0f"
    invisible += "\ufeff\ufff9-\ufffb"
    return re.sub(f"[\\s{invisible}\U000e0000-\U000e0fff]", "", text)


def console() -> Console:
    console = Console(io.StringIO(), actions=False)
    console.add_secret(TOKEN)
    console.add_secret(GITHUB_TOKEN)
    return console


@settings(max_examples=150, deadline=None)
@given(
    secret=st.sampled_from([TOKEN, GITHUB_TOKEN]),
    data=st.data(),
    before=st.text(max_size=12),
    after=st.text(max_size=12),
)
def test_a_secret_split_and_encoded_anywhere_is_redacted(
    secret: str, data: Any, before: str, after: str
) -> None:
    splits = data.draw(st.dictionaries(st.integers(1, len(secret) - 1), st.sampled_from(GAPS), max_size=8))
    hows = data.draw(
        st.lists(
            st.sampled_from(
                ["plain", "plain", "json", "JSON", "JSON twice", "percent", "entity", "named", "padded"]
            ),
            min_size=len(secret),
            max_size=len(secret),
        )
    )
    text = "".join(
        splits.get(index, "") + encode_char(char, how)
        for index, (char, how) in enumerate(zip(secret, hows, strict=True))
    )
    redacted = console().redact(before + text + after)
    assert "***" in redacted
    assert not leaks(normalized(redacted), secret)


@settings(max_examples=100, deadline=None)
@given(
    secret=st.sampled_from([TOKEN, GITHUB_TOKEN]),
    before=st.binary(max_size=7),
    after=st.binary(max_size=4),
    alphabet=st.sampled_from(["standard", "urlsafe"]),
    lines=st.sampled_from([None, 76, 64, 1]),
)
def test_a_secret_base64_encoded_at_any_alignment_is_redacted(
    secret: str, before: bytes, after: bytes, alphabet: str, lines: int | None
) -> None:
    encoded = base64.b64encode(before + secret.encode() + after).decode()
    if alphabet == "urlsafe":
        encoded = encoded.translate(str.maketrans("+/", "-_"))
    if lines:
        encoded = "\n".join(encoded[i : i + lines] for i in range(0, len(encoded), lines))
    redacted = console().redact(f"data: {encoded} end")
    assert "***" in redacted
    assert not leaks(redacted.replace("\n", ""), secret)


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


@pytest.mark.parametrize(
    "gap",
    ["\\u2028", "\\u00a0", "\\f", "\u200b", "<br>", "\\\\n", "\\\\u000a", "%5Cu000A", "\u2028", "&nbsp;"],
)
def test_the_text_around_a_broken_secret_is_kept(gap: str) -> None:
    half = len(TOKEN) // 2
    text = f'{{"message": "token {TOKEN[:half]}{gap}{TOKEN[half:]} refused", "next": "ok"}}'
    assert console().redact(text) == '{"message": "token *** refused", "next": "ok"}'


def test_a_doubly_escaped_secret_is_redacted() -> None:
    once = json.dumps({"message": f"bad {TOKEN[:10]}\n{TOKEN[10:]}"})
    twice = json.dumps({"error": once}, ensure_ascii=True)
    assert TOKEN[:10] in twice and "\\\\n" in twice
    redacted = console().redact(twice)
    assert "***" in redacted and not leaks(normalized(redacted), TOKEN)


TRICKY = st.lists(
    st.sampled_from(
        ["\\", "\\\\", "u", "0", "0a", "2028", "41", "n", "/", "%", "%2", "%0A", "%C2", "%A0", "%E2%80",
         "&", "&#", "x", "10", ";", "&nbsp;", "<", "<br", ">", " /", " ", "\n", "\u200b", "\u00a0", "a", "é"]
    ),
    max_size=30,
).map("".join)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(text=TRICKY)
def test_the_quick_reading_is_the_mapped_one(text: str) -> None:
    # The quick reading decides whether the mapped one is made at all: they must agree.
    reading = read(text)
    assert read_text(text) == reading.text
    for index in range(len(reading.text)):
        start, end = reading.origin(index)
        assert 0 <= start < end <= len(text)


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (f"token {TOKEN[:90]}", "token ***"),  # an answer cut off inside the token
        (f"{TOKEN[-40:]} was refused", "*** was refused"),  # a line the token went on to
        (f"token {TOKEN[:30]}\\u000a{TOKEN[30:60]}", "token ***"),
        (f"token {TOKEN[:7]}", f"token {TOKEN[:7]}"),  # 7 characters could be anyone's
        (f"invalid signature {TOKEN.split('.')[2]}", "invalid signature ***"),
        (f"claims {TOKEN.split('.')[1]} expired", "claims *** expired"),
        (TOKEN.replace(".", ""), TOKEN.split(".")[0] + "***"),  # the header is every HS256 JWT's
        (TOKEN.replace(".", " . "), "***"),
        (TOKEN.replace(".", "&period;"), "***"),
        (f"x &#{ord(TOKEN[0])}{TOKEN[1:]} y", "x *** y"),  # a reference without its `;`
        (f"invalid token {TOKEN[:75]}... (truncated)", "invalid token ***... (truncated)"),
        (f"token {GITHUB_TOKEN[:26]}... is expired", "token ***... is expired"),
        (f"token {TOKEN[:60]}\\n{TOKEN[60:70]}\\", "token ***\\"),  # cut after an escape's `\\`
        (f"token {GITHUB_TOKEN[:20]}\n(next)", "token ***\n(next)"),
        (f"token {GITHUB_TOKEN[4:]} refused", "token *** refused"),  # without `ghs_`
        (
            f"Basic {base64.b64encode(GITHUB_TOKEN.encode()).decode()[:52]}… (truncated)",
            "Basic ***… (truncated)",
        ),
        # Anyone's JWT: the header every HS256 JWT has is kept, and so is their payload.
        ("see eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJuYW1lIjoiSm9obiJ9.abc", None),
        ("&#" + "1" * 5000 + "; and &#x" + "f" * 5000, None),  # no number too long to read
        ("see &#" + "0" * 5000 + "65; &amp;#" + "0" * 5000 + "66;", None),
        # Anyone's: the jwt.io example, a payload's first keys, the header in base64.
        (
            "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
            None,
        ),
        ("eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0", None),
        ("ZXlKaGJHY2lPaUpJVXpJMU5pSXNJblI1Y0NJNklrcFhWQ0o5", None),
        ("R&D, a=1&b=2, &copy; 50%, <b>bold</b> C:\\x\\new", None),
    ],
)
def test_what_is_left_of_a_secret_is_redacted(text: str, redacted: str | None) -> None:
    assert console().redact(text) == (text if redacted is None else redacted)
