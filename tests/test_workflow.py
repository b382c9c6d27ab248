"""Outputs, annotations and the job summary: escaping, masking and the runner's parsing."""

from __future__ import annotations

import io

import pytest
from support import parse_commands, parse_outputs

from track_deployment.workflow import (
    Console,
    Report,
    escape_data,
    escape_property,
    format_outputs,
    render_summary,
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


def test_info_cannot_issue_commands() -> None:
    con, stream = console()
    con.info('{"title": "x"}\n  ::error::injected\n::add-mask::whatever')
    con.info("safe line")
    assert [c.name for c in parse_commands(stream.getvalue())] == []
    assert "  ::error::injected" in stream.getvalue()


def test_annotation_with_newlines_is_one_command() -> None:
    con, stream = console()
    con.warning("line one\n::error::two\r\n100%")
    [command] = parse_commands(stream.getvalue())
    assert (command.name, command.message) == ("warning", "line one\n::error::two\r\n100%")


def test_summary_escapes_html_and_table_cells() -> None:
    report = Report(
        result="failed",
        payload={"title": "<script>alert(1)</script> | x\ny", "commit_id": "abc1234"},
        error="iftrue answered 503",
        error_title="iftrue unavailable",
        links={
            "commit": "https://github.com/o/r/commit/abc1234",
            "run": "https://github.com/o/r/actions/runs/1",
        },
    )
    summary = render_summary(report)
    assert "<script>" not in summary
    assert "| `title` | &lt;script&gt;alert(1)&lt;/script&gt; &#124; x<br>y |" in summary
    assert '| `commit_id` | <a href="https://github.com/o/r/commit/abc1234">abc1234</a> |' in summary
    assert "<details><summary>Payload (JSON)</summary>" in summary
    assert "**iftrue unavailable**: iftrue answered 503" in summary


@pytest.mark.parametrize(
    ("result", "heading"),
    [("created", "recorded"), ("dry_run", "dry run"), ("skipped", "skipped"), ("failed", "not recorded")],
)
def test_summary_heading_for_every_result(result: str, heading: str) -> None:
    assert heading in render_summary(Report(result=result)).splitlines()[0]
