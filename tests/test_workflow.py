"""Outputs, annotations and the job summary: escaping, masking and the runner's parsing."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import TOKEN, parse_commands, parse_outputs

from track_deployment.workflow import (
    Console,
    could_be_command,
    escape_data,
    escape_property,
    format_outputs,
    inert,
)

HOSTILE = [
    "plain",
    "",
    "two\nlines",
    "result=created",
    "x\nresult=created\n",
    "x\nghadelimiter_0000\nresult<<EOF\ncreated\nEOF",
    "::error::boom\n::set-output name=result::created",
    "\r\n\r\n",
    "ünïcødé ✓ \u2028 \x1b[31m",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_round_trip_through_the_runner_parser(value: str) -> None:
    text = format_outputs({"result": "failed", "payload": value, "response": value})
    assert parse_outputs(text.encode()) == {"result": "failed", "payload": value, "response": value}


def test_delimiters_are_random() -> None:
    first, second = format_outputs({"a": "1"}), format_outputs({"a": "1"})
    assert first != second


def test_escaping() -> None:
    assert escape_data("50%\r\ndone") == "50%25%0D%0Adone"
    assert escape_property("a:b,c\n") == "a%3Ab%2Cc%0A"
    # The runner reads them back as they were (ActionCommand.UnescapeData / UnescapeProperty).
    data = escape_data("50%0A%\r\n")
    [command] = parse_commands(f"::error title={escape_property('a:b,c%')}::{data}")
    assert (command.properties["title"], command.message) == ("a:b,c%", "50%0A%\r\n")


def console() -> tuple[Console, io.StringIO]:
    stream = io.StringIO()
    return Console(stream), stream


def test_secret_masked_first_and_redacted_everywhere() -> None:
    con, stream = console()
    con.add_secret("s3cr3t-value")
    con.error("token s3cr3t-value refused", title="bad s3cr3t-value")
    con.info("echo s3cr3t-value")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "::add-mask::s3cr3t-value"
    assert "s3cr3t-value" not in "\n".join(lines[1:])
    assert lines[1] == "::error title=bad ***::token *** refused"


@pytest.mark.parametrize(
    "text",
    [
        '{"title": "x"}\n  ::error::injected\n::add-mask::whatever',
        "notes ##[error]injected",
        "x ##[stop-commands]abc\n::error::injected",
        "\u3000::warning::injected",
        "a\rb ##[group]injected\u2028::error::c",
    ],
)
def test_info_cannot_issue_commands(text: str) -> None:
    con, stream = console()
    con.info(text)
    con.warning("still heard")
    assert [(c.name, c.message) for c in parse_commands(stream.getvalue())] == [("warning", "still heard")]
    assert "injected" in stream.getvalue()


def test_info_without_command_text_is_printed_as_is() -> None:
    con, stream = console()
    con.info("plain ## heading\nhttps://example.com")
    assert stream.getvalue() == "plain ## heading\nhttps://example.com\n"


def test_plain_console_prints_no_commands() -> None:
    out, err = io.StringIO(), io.StringIO()
    con = Console(out, actions=False, errors=err)
    con.add_secret("s3cr3t-value")
    with con.group("Record"):
        con.info("::error::text s3cr3t-value")
    con.notice("two\nlines", title="t")
    con.warning("careful")
    con.error("broken s3cr3t-value", title="Invalid input")
    con.debug("hidden")
    # The untrusted line reads the same, but an invisible U+2060 keeps it from being a command;
    # only its leading `::` needs it.
    inert = ":\u2060:error::text ***"
    assert out.getvalue() == f"Record:\n{inert}\nNotice (t): two\n  lines\nWarning: careful\n"
    assert parse_commands(out.getvalue(), err.getvalue()) == []
    assert err.getvalue() == "Error (Invalid input): broken ***\n"


def test_runner_recognition_port() -> None:
    # Legacy syntax anywhere in a line; properties split by ";"; the V2 syntax only at the start.
    [legacy] = parse_commands("text ##[warning file=a.py;line=3]careful%5D")
    assert (legacy.name, legacy.properties, legacy.message) == (
        "warning",
        {"file": "a.py", "line": "3"},
        "careful]",
    )
    assert parse_commands("text ::error::x", "##[unknown]x", "::unknown::x") == []
    # stop-commands: a command named after the token resumes, in either syntax, also on stderr.
    log = "::stop-commands::tok123\n::error::quiet\n##[tok123]\n::error::loud"
    assert [c.message for c in parse_commands(log)] == ["loud"]
    assert [
        c.message
        for c in parse_commands("::stop-commands::tok123\n::error::quiet", "::tok123::\n::error::loud")
    ] == ["loud"]


def test_annotation_with_newlines_is_one_command() -> None:
    con, stream = console()
    con.warning("line one\n::error::two\r\n100%")
    [command] = parse_commands(stream.getvalue())
    assert (command.name, command.message) == ("warning", "line one\n::error::two\r\n100%")


def test_a_secret_cut_before_an_ellipsis_is_redacted() -> None:
    con, stream = console()
    secret = "opaque.s3cr3t-value-long"
    con.add_secret(secret)
    con.info(f"got '{secret[:20]}…' and {secret[:12]}\n… and 3 more characters; {secret[:5]}… is too short")
    printed = stream.getvalue().split("\n", 1)[1]  # after the ::add-mask:: line
    assert secret[:9] not in printed
    assert "got '***…' and ***\n… and 3 more characters; opaqu… is too short" in printed


def test_a_jwt_header_cut_before_an_ellipsis_is_anyones() -> None:
    con, stream = console()
    con.add_secret(TOKEN)
    header = TOKEN.split(".")[0]
    con.info(f"JWTs start with {header[:8]}…, ours with {TOKEN[: len(header) + 20]}… and so on")
    printed = stream.getvalue().splitlines()[-1]
    assert printed == f"JWTs start with {header[:8]}…, ours with ***… and so on"


# Lines the runner would act on: `::` after any white space .NET's TrimStart drops (U+2028 too),
# `##[` anywhere.
RUNNER_READS = [
    "::error::x",
    "  \t::warning title=t::x",
    "\u00a0\u3000\u2003::add-mask::x",
    "text ##[error]x",
    "###[warning]x",
    "\x01##[error]x",
    "\u2028::error::x",
]
# Lines it does not act on, though they come close: after characters that are white space to
# Python only, or hidden behind characters ICU ignores.
NEAR_MISSES = [
    "\x1c\x1f::set-output name=result::created",
    "\u2060::error::x",
    "::\u2060error::x",
    "#\u2060#[error]x",
    "##\u2060[error]x",
]
# Text with `::` or `##` that no parser of the runner reads: it stays exactly as it is.
COPYABLE = [
    "http://[::1]:9/v1",
    "http:// is accepted only for 127.0.0.1, ::1 and localhost",
    "std::vector a::b",
    "key: value :: more",
    "## heading ##",
    "#[not legacy]",
    "https://example.com/a::b#frag",
]


@pytest.mark.parametrize("line", RUNNER_READS)
def test_inert_defuses_what_the_runner_reads(line: str) -> None:
    assert could_be_command(line)
    for culture in (False, True):  # ordinal, and as the runner's culture-sensitive search matches
        assert parse_commands(line, culture=culture), line  # a command as written
        assert parse_commands(inert(line), culture=culture) == [], (line, culture)
    assert inert(line).replace("\u2060", "") == line  # it reads the same


@pytest.mark.parametrize("line", NEAR_MISSES)
def test_near_misses_stay_inert(line: str) -> None:
    for culture in (False, True):
        assert parse_commands(line, culture=culture) == parse_commands(inert(line), culture=culture) == []


@pytest.mark.parametrize("line", COPYABLE)
def test_inert_keeps_what_the_runner_ignores(line: str) -> None:
    assert not could_be_command(line)
    assert inert(line) == line
    assert parse_commands(line) == parse_commands(line, culture=True) == []


@given(
    st.lists(
        st.sampled_from(
            [
                ":",
                "::",
                "#",
                "##",
                "[",
                "]",
                "##[",
                " ",
                "\u00a0",
                "\u2060",
                "\x01",
                "\u2028",
                "error",
                "warning",
                "stop-commands",
                "x",
                "=",
                ",",
            ]
        ),
        max_size=12,
    ).map("".join)
)
@settings(max_examples=300, deadline=None)
def test_no_defused_line_is_a_command(line: str) -> None:
    for culture in (False, True):
        assert parse_commands(inert(line), culture=culture) == []


def test_actions_log_guards_only_lines_the_runner_reads() -> None:
    con, stream = console()
    con.info("http://[::1]:9 answered\na::b")
    assert stream.getvalue() == "http://[::1]:9 answered\na::b\n"  # no stop-commands needed
    con.info("  ::warning::x")
    assert stream.getvalue().splitlines()[2].startswith("::stop-commands::")
