"""Records within the runner's limits: a job summary it keeps, a `payload` output that can be replayed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from support import SHA, Answer, FakeIftrue, RunnerRejects, parse_outputs, payload, run_action, runner_env

from track_deployment.errors import InputError
from track_deployment.fit import fit_record
from track_deployment.inputs import MAX_PAYLOAD_BYTES, read_inputs
from track_deployment.readers import PUSH_COMMITS_CAP
from track_deployment.schema import (
    MAX_LINE_CHARS,
    MAX_MEMBER_ID_CHARS,
    MAX_SHA_CHARS,
    MAX_URL_CHARS,
    DeploymentRequest,
    record_json,
    record_size,
)
from track_deployment.summary import SUMMARY_MAX_BYTES, render_summary
from track_deployment.workflow import Report

# Linux refuses one "NAME=value" environment string over MAX_ARG_STRLEN (32 pages), NUL included.
MAX_ARG_STRLEN = 32 * 4096


def test_payload_limit_fits_one_environment_variable() -> None:
    assert len(b"INPUT_PAYLOAD=") + MAX_PAYLOAD_BYTES + 1 <= MAX_ARG_STRLEN


def big_push(
    commits: int = PUSH_COMMITS_CAP, line: str = "ünïcødé fix “quoted” <b>&amp;</b> "
) -> dict[str, Any]:
    """A push that GitHub capped at 2,048 commits, each with a long first line."""
    data = payload("push")
    template = data["commits"][0]
    data["commits"] = []
    for i in range(commits):
        commit = copy.deepcopy(template)
        commit["id"] = f"{i:07x}" + "a" * 33
        commit["message"] = f"{i}: " + line * 12 + "\n\nbody"
        data["commits"].append(commit)
    data["head_commit"] = copy.deepcopy(data["commits"][-1])
    data["after"] = data["head_commit"]["id"]
    return data


def test_big_push_under_an_outage_is_kept_and_replays(tmp_path: Path) -> None:
    data = big_push()
    full = sum(len(c["message"].splitlines()[0].encode()) + 10 for c in data["commits"])
    assert full > 4 * MAX_PAYLOAD_BYTES  # the whole changelog could never be replayed
    (tmp_path / "failed").mkdir()
    with FakeIftrue(*[Answer(503, {"message": "maintenance"})] * 5) as down:
        run = run_action(runner_env(tmp_path / "failed", "push", data, {"api_url": down.url, "timeout": "1"}))
    assert run.code == 0, run.stdout
    assert run.outputs["result"] == "failed"
    kept = run.outputs["payload"]
    assert len(kept.encode()) <= MAX_PAYLOAD_BYTES
    assert run.summary_size <= SUMMARY_MAX_BYTES
    record = json.loads(kept)
    assert record == down.posts[0].json()  # what was sent is what is kept
    lines = record["changelog"].split("\n")
    assert lines[-1] == f"… and {PUSH_COMMITS_CAP - (len(lines) - 1)} more commits"
    assert lines[0].startswith("- 0000000 0: ünïcødé")
    assert 10 < len(lines) < PUSH_COMMITS_CAP
    [notice] = [n for n in run.notices if "shortened" in n]
    assert f"the changelog keeps {len(lines) - 1:,} of 2,048 commits" in notice
    assert "the changelog keeps" in run.summary.split("| field |")[0]  # said above the table
    assert "<details><summary>Payload (JSON)</summary>" in run.summary

    # Replay: the output goes back in through the `payload` input, as an environment variable.
    (tmp_path / "replay").mkdir()
    with FakeIftrue() as up:
        env = runner_env(
            tmp_path / "replay", "workflow_dispatch", payload("workflow_dispatch"), {"api_url": up.url}
        )
        env["INPUT_PAYLOAD"] = kept
        replay = run_action(env)
    assert replay.code == 0, replay.stdout
    assert replay.outputs["result"] == "created"
    assert up.posts[0].json() == record
    assert replay.outputs["payload"] == kept


def test_summary_stays_within_the_limit_whatever_the_record() -> None:
    # A record no run would keep this long (fit_record shortens it first), escaped to grow 6-fold.
    body = {"title": "t", "changelog": '"<&>' * 400_000, "commit_id": SHA}
    report = Report(result="failed", payload=body, error="iftrue answered 503", error_title="x")
    summary = render_summary(report)
    assert len(summary.encode()) <= SUMMARY_MAX_BYTES
    assert (
        "… shortened to fit the job summary; the whole record is in the step's `payload` output." in summary
    )
    block = summary.split("<pre>")[1]
    assert "&quo\n" not in block and not block.split("\n…")[0].endswith("&")  # no entity cut in half
    assert summary.rstrip().endswith("payload: ${{ inputs.payload }}</pre>")
    elsewhere = render_summary(report, payload_output=False)
    assert "the whole record is printed in the log." in elsewhere


def request(**fields: Any) -> DeploymentRequest:
    base = {
        "title": "Deploy",
        "branch": "main",
        "commit_id": SHA,
        "repository_url": "https://github.com/octo-org/shop",
        "member_id": "1",
        "pull_request_number": 0,
    }
    return DeploymentRequest.model_validate({**base, **fields})


def test_fit_record_leaves_a_small_record_alone() -> None:
    small = request(changelog="- abcdef0 one")
    assert fit_record(small, MAX_PAYLOAD_BYTES) == (small, None)


def test_fit_record_cuts_text_by_characters() -> None:
    fitted, note = fit_record(request(changelog="x" * 5000), 1000)
    assert len(record_json(fitted.body()).encode()) <= 1000
    assert fitted.changelog is not None
    kept, marker = fitted.changelog.split("\n")
    assert marker == f"… and {5000 - len(kept):,} more characters"
    assert note is not None and f"the changelog keeps {len(kept):,} of 5,000 characters" in note


def test_fit_record_cuts_the_title_when_the_changelog_is_not_enough() -> None:
    fitted, note = fit_record(request(title="T" * 3000, changelog="- abcdef0 one\n- bcdef01 two"), 1000)
    assert len(record_json(fitted.body()).encode()) <= 1000
    assert fitted.changelog == "… and 2 more commits"
    assert fitted.title.endswith("…")
    assert note is not None and "the title keeps" in note


def test_fit_record_says_when_it_cannot_fit() -> None:
    fitted, note = fit_record(request(url="https://example.com/" + "a" * 2000), 1000)
    assert note is not None and "cannot be replayed as is" in note
    assert fitted.url == "https://example.com/" + "a" * 2000  # a URL is never cut


def test_payload_input_over_the_limit_is_refused() -> None:
    text = json.dumps({"title": "é" * (MAX_PAYLOAD_BYTES // 2)})  # fewer characters than bytes
    with pytest.raises(
        InputError, match=f"Input 'payload' is [0-9,]+ bytes long; at most {MAX_PAYLOAD_BYTES:,}"
    ):
        read_inputs({"INPUT_TOKEN": "x", "INPUT_PAYLOAD": text})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"result\n", "Invalid format 'result'"),
        (b"<<EOF\nx\nEOF\n", "Name must not be empty and delimiter must not be empty"),
        (b"result<<\nx\n\n", "Name must not be empty and delimiter must not be empty"),
        (b"result<<EOF\nx\n", "Matching delimiter not found 'EOF'"),
        (b"result<<EOF\nx", "EOF marker missing new line"),
        (b"result<<EOF\nx\r\nEOF\r\n", "Matching delimiter not found 'EOF'"),  # CR is no line end
    ],
)
def test_output_file_errors_the_runner_fails_on(data: bytes, message: str) -> None:
    with pytest.raises(RunnerRejects, match=message):
        parse_outputs(data)


def test_output_lines_the_runner_accepts_but_the_action_never_writes() -> None:
    # The runner checks the whole line, not the name, so `=x` sets an output named "".
    with pytest.raises(AssertionError, match="empty name") as raised:
        parse_outputs(b"=x\n")
    assert not isinstance(raised.value, RunnerRejects)


def test_output_file_read_as_the_runner_does() -> None:
    data = b"a=1\n\nb<<D\nline\r\nmore\n\nD\nc<<D\nD\nd<<E\nx\nE"
    assert parse_outputs(data) == {"a": "1", "b": "line\r\nmore\n", "c": "", "d": "x"}
    assert parse_outputs(b"r<<EOF\r\nx\r\nEOF\r\n") == {"r": "x\r"}
    assert parse_outputs(b"r<<EOF\nbad \xff byte\nEOF\n") == {"r": "bad \ufffd byte"}


def test_any_valid_record_fits_the_payload_input() -> None:
    # Every field the record never cuts at its longest, of characters JSON writes in 6 bytes.
    worst = "\x01" * 10_000
    fitted, note = fit_record(
        request(
            title=worst,
            changelog=worst * 10,
            url="https://x/" + "\x01" * (MAX_URL_CHARS - 10),
            repository_url="https://x/" + "\x01" * (MAX_URL_CHARS - 10),
            branch="\x01" * MAX_LINE_CHARS,
            deployment_node_id="\x01" * MAX_LINE_CHARS,
            commit_id="\x01" * MAX_SHA_CHARS,
            member_id="9" * MAX_MEMBER_ID_CHARS,
        ),
        MAX_PAYLOAD_BYTES,
    )
    assert record_size(fitted.body()) <= MAX_PAYLOAD_BYTES
    assert note is not None and note.startswith("The record was shortened")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "url",
            "https://example.com/" + "a" * 90_000,
            "Input 'url' must be a URL of at most 2,048 characters",
        ),
        (
            "repository_url",
            "https://example.com/" + "a" * 2029,
            "Input 'repository_url' must be a URL of at most",
        ),
        (
            "member_id",
            "1" * 256,
            "Input 'member_id' must be the git provider's id of a member, one line of at most 255 characters",
        ),
    ],
)
def test_inputs_the_record_never_cuts_are_bounded(
    tmp_path: Path, iftrue: FakeIftrue, name: str, value: str, message: str
) -> None:
    run = run_action(
        runner_env(tmp_path, "release", payload("release"), {"api_url": iftrue.url, name: value})
    )
    assert run.code == 1
    [error] = run.errors
    assert error.startswith(message)
    assert iftrue.requests == []


def test_an_event_value_the_record_never_cuts_is_bounded(tmp_path: Path, iftrue: FakeIftrue) -> None:
    data = payload("release")
    data["release"]["html_url"] = "https://example.com/" + "a" * 90_000
    run = run_action(runner_env(tmp_path, "release", data, {"api_url": iftrue.url}))
    assert run.code == 1
    [error] = run.errors
    assert error.startswith(
        "The event gives a value iftrue cannot take: url: string should have at most 2048"
    )
    assert iftrue.requests == []
    # The input overrides it.
    (tmp_path / "again").mkdir()
    again = run_action(
        runner_env(
            tmp_path / "again", "release", data, {"api_url": iftrue.url, "url": "https://example.com/r"}
        )
    )
    assert again.code == 0, again.stdout
    assert iftrue.posts[0].json()["url"] == "https://example.com/r"


def test_summary_of_any_report_stays_within_the_limit() -> None:
    # Everything shown above the JSON block at its longest, of characters HTML escaping grows.
    huge = '"' * 99_000
    body = dict.fromkeys(
        ["title", "changelog", "url", "branch", "commit_id", "repository_url", "member_id"], huge
    )
    report = Report(
        result="failed",
        payload=body,
        error=huge,
        error_title=huge,
        note=huge,
        deployment_id=huge,
        links={"commit": "https://x/" + huge, "pull_request": "https://x/" + huge, "url": huge, "run": huge},
    )
    summary = render_summary(report)
    assert len(summary.encode()) <= SUMMARY_MAX_BYTES
    assert "<details><summary>Payload (JSON)</summary>" in summary
    assert summary.rstrip().endswith("payload: ${{ inputs.payload }}</pre>")


def test_summary_with_the_longest_links_the_inputs_allow(tmp_path: Path) -> None:
    long_url = "https://example.com/?" + "&" * (MAX_URL_CHARS - 21)
    inputs = {"url": long_url, "repository_url": long_url, "pull_request_number": "1", "timeout": "1"}
    with FakeIftrue(*[Answer(503, {"message": "down"})] * 5) as down:
        run = run_action(runner_env(tmp_path, "release", payload("release"), {**inputs, "api_url": down.url}))
    assert run.outputs["result"] == "failed"
    assert run.summary_size <= SUMMARY_MAX_BYTES
    assert f'<a href="{long_url.replace("&", "&amp;")}">' in run.summary
