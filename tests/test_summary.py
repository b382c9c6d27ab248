"""The job summary: where each value came from, the run's jobs as a Mermaid gantt chart, the
reasons for flags and skips, and the same summary however the action runs."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gantt import GanttError, mermaid_blocks, parse
from support import (
    RELEASE_BODY,
    ROOT,
    SHA,
    TOKEN,
    Answer,
    FakeGitHub,
    FakeIftrue,
    collect,
    github_job,
    github_pull,
    iso,
    payload,
    run_action,
    runner_env,
)
from test_lookups import happy, run_with_github, sent

from track_deployment.inputs import Inputs
from track_deployment.jobs import job_interval
from track_deployment.model import Found, Job, Reading, Source, Sourced
from track_deployment.plan import Plan
from track_deployment.record import build_record
from track_deployment.schema import REQUEST_FIELDS
from track_deployment.summary import CHART_JOBS, SUMMARY_MAX_BYTES, gantt_text, render_summary
from track_deployment.workflow import Report

# Mermaid refuses a diagram over this many characters (its default maxTextSize).
MERMAID_MAX_TEXT = 50_000
START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    return iso(START + timedelta(minutes=minutes))


def read_jobs(listed: list[dict[str, Any]], this_job: int | None = None) -> tuple[Job, ...]:
    """The jobs as the look-up keeps them from GitHub's jobs list: started when a runner took the job."""

    def moment(value: Any) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    jobs = []
    for job in listed:
        ran = job_interval(job)
        jobs.append(
            Job(
                id=job["id"],
                name=job["name"],
                created_at=moment(job["created_at"]),
                started_at=ran[0] if ran else None,
                completed_at=moment(job["completed_at"]),
                status=job["status"],
                conclusion=job["conclusion"],
                this_job=job["id"] == this_job,
            )
        )
    return tuple(jobs)


def approval_run() -> list[dict[str, Any]]:
    """build and test in parallel; deploy waits 30 minutes for its environment's reviewers; then
    this step's job, in progress; a notification job skipped by its `if:`."""
    return [
        github_job(1, "build", at(0), at(0), at(4)),
        github_job(2, "test", at(0), at(0.5), at(3), conclusion="success"),
        github_job(3, "deploy", at(4), at(34), at(39)),
        github_job(4, "track", at(39), at(39.2), None, status="in_progress"),
        github_job(5, "notify on failure", at(39), at(39), at(39), conclusion="skipped"),
    ]


def chart_report(jobs: tuple[Job, ...], duration: float | None = 13.0, **changes: Any) -> Report:
    body = {**RELEASE_BODY, **({"deployment_duration": duration} if duration is not None else {})}
    sources = {name: Source("event", "release.name") for name in body}
    sources["deployment_duration"] = Source(
        "look-up", "the time the run's jobs ran, waits not counted", "https://github.com/o/r/actions/runs/1"
    )
    report = Report(
        result="created", payload=body, sources=sources, jobs=jobs, now=START + timedelta(minutes=40)
    )
    for name, value in changes.items():
        setattr(report, name, value)
    return report


def the_chart(summary: str) -> str:
    [block] = mermaid_blocks(summary)
    assert len(block) < MERMAID_MAX_TEXT
    return block


# 1. The run as a picture.


def test_approval_wait_is_drawn_and_said_not_to_count() -> None:
    summary = render_summary(chart_report(read_jobs(approval_run(), this_job=4)))
    chart = parse(the_chart(summary))
    assert [section.title for section in chart.sections] == [
        "build",
        "test",
        "deploy",
        "track",
        "notify on failure",
    ]
    deploy = chart.sections[2].tasks
    assert [(t.text.strip(), t.tags) for t in deploy] == [("waited", ["done"]), ("ran (success)", [])]
    assert deploy[0].end - deploy[0].start == timedelta(minutes=30)
    track = chart.sections[3].tasks
    assert [(t.text.strip(), t.tags) for t in track] == [
        ("waited", ["done"]),
        ("ran (this step)", ["active"]),
    ]
    assert track[-1].end == datetime(2026, 11, 20, 10, 40)  # in progress: up to when the run reported
    assert [(t.text.strip(), t.tags) for t in chart.sections[4].tasks] == [("skipped", ["milestone"])]
    assert (
        "deployment_duration counts the 13.0 minutes the jobs ran on runners (parallel jobs once); "
        "not counted: the 30-minute wait on deploy (queued, or waiting for approval)."
        in html.unescape(summary)
    )


def test_reused_job_of_an_earlier_attempt_is_drawn_where_it_ran() -> None:
    # "Re-run failed jobs": the attempt's list keeps build from attempt 1, a day earlier.
    listed = [
        github_job(1, "build", iso(START - timedelta(days=1)), iso(START - timedelta(days=1)), at(-1436)),
        github_job(3, "deploy", at(0), at(0.5), at(5), attempt=2),
        github_job(4, "track", at(5), at(5.1), None, status="in_progress", attempt=2),
    ]
    chart = parse(the_chart(render_summary(chart_report(read_jobs(listed, this_job=4)))))
    build = chart.sections[0].tasks
    assert build[0].start == datetime(2026, 11, 19, 10, 0) and build[0].text.strip() == "ran (success)"


def test_failed_job_is_marked_critical() -> None:
    listed = [github_job(1, "migrate", at(0), at(0), at(2), conclusion="failure")]
    chart = parse(the_chart(render_summary(chart_report(read_jobs(listed)))))
    assert [(t.text.strip(), t.tags) for t in chart.sections[0].tasks] == [("ran (failure)", ["crit"])]


def test_job_cancelled_while_waiting_for_approval_ends_in_a_milestone() -> None:
    # Never reached a runner: no steps, no runner; GitHub sets started_at and completed_at anyway.
    listed = [
        github_job(3, "deploy", at(4), at(4), at(64), conclusion="cancelled", ran=False),
        github_job(4, "still queued", at(5), None, None, status="queued", conclusion=None),
    ]
    chart = parse(the_chart(render_summary(chart_report(read_jobs(listed)))))
    deploy, queued = chart.sections
    assert [(t.text.strip(), t.tags, t.end - t.start) for t in deploy.tasks] == [
        ("waited", ["done"], timedelta(hours=1)),
        ("cancelled", ["milestone"], timedelta(0)),
    ]
    assert [(t.text.strip(), t.tags) for t in queued.tasks] == [("waiting", ["done"])]
    assert queued.tasks[0].end == datetime(2026, 11, 20, 10, 40)  # up to when the run reported


def test_a_200_job_matrix_shows_the_first_jobs_and_this_one() -> None:
    listed = [
        github_job(i, f"test (ubuntu-latest, 3.{i % 4 + 10}, shard {i})", at(0), at(i / 100), at(3 + i / 100))
        for i in range(1, 200)
    ]
    listed.append(github_job(200, "track", at(5), at(5.1), None, status="in_progress"))
    summary = render_summary(chart_report(read_jobs(listed, this_job=200)))
    chart = parse(the_chart(summary))
    titles = [section.title for section in chart.sections]
    assert len(titles) == CHART_JOBS
    assert titles[0] == "test (ubuntu-latest, 3.11, shard 1)"
    assert titles[-1] == "track"  # this step's job is always shown
    assert "The chart shows 50 of the 200 jobs read; 150 more are not shown." in summary


HOSTILE_NAMES = [
    "deploy: production",
    "build #1; test",
    "say \"hi\" 'there'",
    "two\nlines\r\nand\u2028more",
    "100% %% comment",
    "%%{init: {'theme': 'dark'}}%%",
    "section injected",
    "title Owned",
    "dateFormat YYYY",
    'click build href "https://evil.example"',
    "call alert(1)",
    "after build",
    "crit",
    "done, 2026-01-01, 1d",
    "active milestone",
    "2026-01-01 rollout",
    "accTitle: x",
    "gantt",
    "<img src=x onerror=alert(1)> </details>",
    "```\n## not a heading",
    "\u202eevil\u200b",
    "",
    "   ",
    "x" * 5000,
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_no_job_name_breaks_or_injects_into_the_chart(name: str) -> None:
    listed = [
        github_job(1, name, at(0), at(1), at(3)),
        github_job(2, "track", at(3), at(3), None, status="in_progress"),
    ]
    summary = render_summary(chart_report(read_jobs(listed, this_job=2)))
    chart = parse(the_chart(summary))
    assert [section.title for section in chart.sections] == [gantt_text(name), "track"]
    title = chart.sections[0].title
    assert not set(title) & set('#:;%\n\r"<>`')
    assert len(title) <= 52
    assert [task.text.strip() for task in chart.sections[0].tasks] == ["waited", "ran (success)"]
    # The block opens and closes once: no name starts a line, so none can end it.
    assert [line for line in summary.splitlines() if line.lstrip().startswith("```")] == ["```mermaid", "```"]


def one_task_chart(section: str, task: str) -> str:
    return (
        f"gantt\n    dateFormat YYYY-MM-DD HH:mm:ss\n    section {section}\n"
        f"    {task} :2026-11-20 10:00:00, 2026-11-20 10:01:00"
    )


@pytest.mark.parametrize(
    ("where", "name"),
    [
        ("section", "deploy: production"),
        ("section", "build # 1"),
        ("section", "a; b"),
        ("task", "click build call alert()"),
        ("task", "title Owned"),
        ("task", "section injected"),
        ("task", "%% hidden"),
        ("task", "2026-01-01 rollout"),
        ("task", "Gantt chart job"),
    ],
)
def test_the_grammar_check_catches_a_name_written_unescaped(where: str, name: str) -> None:
    """Written raw, each name breaks the chart or is misread; escaped, it reads back as itself,
    as a section's title or as a task's text."""

    def read(text: str) -> tuple[str, str] | None:
        chart = one_task_chart(text, "ran") if where == "section" else one_task_chart("job", text)
        try:
            [section] = parse(chart).sections
            [task] = section.tasks
        except (GanttError, ValueError):
            return None
        return section.title, task.text.strip()

    expected = (name, "ran") if where == "section" else ("job", name)
    assert read(name) != expected
    escaped = gantt_text(name)
    assert read(escaped) == ((escaped, "ran") if where == "section" else ("job", escaped))


def test_no_chart_when_no_jobs_were_read() -> None:
    for jobs in (None, ()):
        summary = render_summary(chart_report(jobs))  # type: ignore[arg-type]
        assert "```mermaid" not in summary
        assert "#### The run" not in summary


def test_duration_from_an_input_is_said_so() -> None:
    report = chart_report(read_jobs(approval_run(), this_job=4), duration=12.5)
    report.sources = {**report.sources, "deployment_duration": Source("input", "`deployment_duration` input")}
    assert (
        "deployment_duration is 12.5 minutes, from input: `deployment_duration` input; "
        "the chart shows the run for reference." in html.unescape(render_summary(report))
    )


def test_summary_with_a_huge_run_stays_within_the_limit() -> None:
    # 200 jobs whose names grow when escaped, a record at its longest, an outage to show the JSON.
    listed = [github_job(i, '"<&>:#;%' * 600, at(0), at(1), at(2)) for i in range(1, 201)]
    body = {"title": '"<&>' * 20_000, "changelog": '"<&>' * 200_000, "commit_id": SHA}
    report = chart_report(read_jobs(listed), result="failed", payload=body, error="iftrue answered 503")
    summary = render_summary(report)
    assert len(summary.encode()) <= SUMMARY_MAX_BYTES
    parse(the_chart(summary))
    assert summary.rstrip().endswith("payload: ${{ inputs.payload }}</pre>")


# 2. Where each value came from.


def table(summary: str) -> dict[str, tuple[str, str]]:
    """The summary's record table: field → (value cell, source cell), as they read."""
    rows = {}
    for line in summary.splitlines():
        if line.startswith("| `"):
            name, value, source = (html.unescape(cell.strip()) for cell in line.strip("|").split(" | "))
            rows[name.strip("`")] = (value, source)
    return rows


def test_source_column_matches_the_fields_sent(tmp_path: Path, iftrue: FakeIftrue) -> None:
    with FakeGitHub(happy()) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", payload("release"))
    assert run.code == 0, run.stdout
    body = sent(iftrue)
    rows = table(run.summary)
    assert list(rows) == [*[name for name in REQUEST_FIELDS if name in body], "is_hotfix", "is_forced"]
    assert {name for name, (value, _) in rows.items() if value != "—"} == set(body)
    assert all(source for _, source in rows.values())
    home = "https://github.com/octo-org/shop"
    assert rows["title"][1] == "event: release.name"
    assert rows["commit_id"][1] == "event: GITHUB_SHA"
    assert rows["commits_count"][1] == (
        f'look-up: <a href="{home}/compare/v2.3.0...v2.4.0">compare v2.3.0…v2.4.0</a>'
    )
    assert (
        rows["pull_request_number"][1] == f'look-up: <a href="{home}/pull/412">PR #412 of commit 9f2c1e4</a>'
    )
    assert rows["branch"][1] == f'look-up: <a href="{home}/pull/412">PR #412 head branch</a>'
    assert rows["is_fix"][1] == f'rule: <a href="{home}/pull/412">label `bug`, PR #412</a>'
    assert rows["deployment_duration"][1].startswith(f'look-up: <a href="{home}/actions/runs/12345678901">')
    assert rows["is_hotfix"] == (
        "—",
        "left out: not a hotfix: no hotfix label, no hotfix/ branch, not reverts only, no rollback",
    )


def test_fields_left_out_say_why(tmp_path: Path, iftrue: FakeIftrue) -> None:
    run = run_action(runner_env(tmp_path, "release", payload("release"), {"api_url": iftrue.url}))
    rows = table(run.summary)
    off = "was made (the github_token input is empty)"
    assert rows["deployment_duration"] == ("—", f"left out: no look-up of the run's jobs {off}")
    assert rows["commits_count"] == ("—", f"left out: no look-up of the commit count {off}")
    assert rows["pull_request_number"] == (
        "0",
        "rule: no look-up of its pull request was made (the github_token input is empty)",
    )
    assert rows["status"] == ("succes", "rule: the default: nothing tells of a failure")
    # No label was read, so none is said to be missing: the flags say what they could not read.
    assert rows["is_fix"] == (
        "—",
        f"left out: not a fix: no fix/ branch; not read: the commits that ship, as no look-up of the "
        f"commit count {off}; its pull request's labels, as no look-up of its pull request {off}",
    )


def test_inputs_and_compares_are_named(tmp_path: Path, iftrue: FakeIftrue) -> None:
    data = payload("push")
    data["commits"] = data["commits"] * 1024  # 2,048 commits: GitHub's cap, so the count needs a compare
    with FakeGitHub(happy()) as github:
        run = run_with_github(tmp_path, github, iftrue, "push", data, title="Ship it", is_hotfix="true")
    rows = table(run.summary)
    assert rows["title"] == ("Ship it", "input: `title` input")
    assert rows["is_hotfix"] == ("true", "input: `is_hotfix` input")
    before, after = data["before"], data["after"]
    assert rows["commits_count"] == (
        "17",
        f'look-up: <a href="https://github.com/octo-org/shop/compare/{before}...{after}">'
        f"compare {before[:7]}…{after[:7]}</a>",
    )


def test_a_failed_look_up_is_named_where_its_field_is_left_out(tmp_path: Path, iftrue: FakeIftrue) -> None:
    denied = Answer(403, {"message": "Resource not accessible by integration"})
    with FakeGitHub(happy(compare=denied)) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", payload("release"))
    assert "commits_count" not in sent(iftrue)
    assert table(run.summary)["commits_count"] == (
        "—",
        "left out: unknown: the look-up of compare v2.3.0...v2.4.0 failed (see its warning)",
    )


def test_a_field_left_out_names_the_look_up_that_failed(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """The jobs list bounds the run's deployment look-up: when it is refused, the node id says so,
    not that a deployments look-up (never made) failed."""
    denied = Answer(403, {"message": "Resource not accessible by integration"})
    with FakeGitHub(happy(jobs=denied)) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", payload("release"))
    assert "deployments_by_sha" not in github.routes
    why = "left out: unknown: the look-up of jobs of run 12345678901 failed (see its warning)"
    rows = table(run.summary)
    assert rows["deployment_node_id"] == ("—", why)
    assert rows["deployment_duration"] == ("—", why)


def test_a_look_up_left_out_for_the_budget_is_named() -> None:
    given = {"commit_id": SHA, "branch": "main", "title": "t", "repository_url": "https://github.com/o/r"}
    reading = Reading(
        given={name: Sourced(value, Source("event", name)) for name, value in given.items()},
        compare=("a" * 40, SHA),
    )
    plan = Plan(pull_request_of=SHA, over_budget=frozenset({"compare"}))
    built = build_record(reading, Found(), plan, Inputs({"member_id": "1"}), START)
    assert built.sources["commits_count"] == Source(
        "left out",
        "the look-up of the commit count was left out to stay within the run's GitHub request budget",
    )
    assert set(built.sources) == set(REQUEST_FIELDS)


def test_every_flag_set_by_a_rule_names_its_reason(tmp_path: Path, iftrue: FakeIftrue) -> None:
    pull = github_pull(412, SHA, "hotfix/totals", title="fix: round totals once", labels=("P0", "bug"))
    with FakeGitHub(happy(pulls=Answer(200, [pull]))) as github:
        run = run_with_github(tmp_path, github, iftrue, "workflow_dispatch", payload("workflow_dispatch"))
    body = sent(iftrue)
    assert body["is_hotfix"] is True and body["is_fix"] is True
    rows = table(run.summary)
    link = '<a href="https://github.com/octo-org/shop/pull/412">'
    assert rows["is_hotfix"] == ("true", f"rule: {link}branch `hotfix/totals`</a>")
    assert rows["is_fix"] == ("true", f"rule: {link}label `bug`, PR #412</a>")


def test_skipped_run_says_why_in_one_line(tmp_path: Path, iftrue: FakeIftrue) -> None:
    data = payload("pull_request")
    data["pull_request"]["merged"] = False
    run = run_action(runner_env(tmp_path, "pull_request", data, {"api_url": iftrue.url}))
    assert run.outputs["result"] == "skipped"
    lines = run.summary.splitlines()
    assert lines[:3] == [
        "### No deployment recorded: event skipped",
        "",
        "Not a deployment: the pull request was closed without merging; only a merged pull request "
        "is a deployment.",
    ]


def test_replayed_payload_is_from_the_input(tmp_path: Path, iftrue: FakeIftrue) -> None:
    env = runner_env(tmp_path, "workflow_dispatch", payload("workflow_dispatch"), {"api_url": iftrue.url})
    env["INPUT_PAYLOAD"] = sent_body = '{"title": "t", "branch": "main", "commit_id": "abc", ' + (
        '"repository_url": "https://github.com/octo-org/shop", "member_id": "1", "pull_request_number": 3}'
    )
    run = run_action(env)
    assert json.loads(run.outputs["payload"]) == json.loads(sent_body)
    assert {source for _, source in table(run.summary).values()} == {"input: `payload` input"}


# 3. The same summary everywhere; plain lines outside Actions.


def test_docker_entrypoint_and_command_write_the_same_summary(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """The container's entry point and the `track-deployment` command with flags share the code
    that writes the summary (the native action runs the same package: tests/test_native.py
    compares its summary with the entry point's)."""
    inputs = {"api_url": iftrue.url, "title": "Release 2.4", "is_fix": "true"}
    (tmp_path / "docker").mkdir()
    docker = run_action(runner_env(tmp_path / "docker", "release", payload("release"), inputs))
    (tmp_path / "command").mkdir()
    env = runner_env(tmp_path / "command", "release", payload("release"))
    flags = [f"--{name.replace('_', '-')}={value}" for name, value in inputs.items()]
    proc = subprocess.run(
        [sys.executable, "-m", "track_deployment", *flags],
        env={**env, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        timeout=60,
        check=False,
    )
    command = collect(
        proc.returncode, proc.stdout, proc.stderr, env["GITHUB_OUTPUT"], env["GITHUB_STEP_SUMMARY"]
    )
    assert docker.code == command.code == 0, command.stderr
    assert "| `title` | Release 2.4 | input: `title` input |" in html.unescape(docker.summary)
    assert command.summary == docker.summary


def test_the_command_prints_where_each_value_came_from(tmp_path: Path) -> None:
    flags = [
        "--dry-run",
        "--commit-id",
        SHA,
        "--branch",
        "main",
        "--member-id",
        "42",
        "--title",
        "Release 2.4",
    ]
    flags += ["--repository-url", "https://gitlab.example/octo/shop", "--pull-request-number", "412"]
    proc = subprocess.run(
        [sys.executable, "-m", "track_deployment", *flags],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    start = lines.index("Where each value came from:")
    assert lines[start + 1 : start + 3] == [
        "title: input: --title",
        "changelog: left out: no event to read",
    ]
    assert "status: rule: the default: nothing tells of a failure" in lines


def test_outside_actions_the_sources_are_printed_under_the_record(tmp_path: Path, iftrue: FakeIftrue) -> None:
    env = runner_env(tmp_path, "release", payload("release"), {"api_url": iftrue.url})
    del env["GITHUB_ACTIONS"]
    data = payload("release")
    data["release"]["name"] = "v2.4.0 ::error::owned ##[error]owned"
    (tmp_path / "event.json").write_text(json.dumps(data))
    run = run_action(env)
    assert run.code == 0, run.stderr
    assert run.commands == []
    lines = run.stdout.splitlines()
    start = lines.index("Where each value came from:")
    assert lines.index("}") < start  # under the record
    assert lines[start + 1 : start + 3] == [
        "title: event: release.name",
        "changelog: event: release.body",
    ]
    off = "deployment_duration: left out: no look-up of the run's jobs was made (INPUT_GITHUB_TOKEN"
    assert f"{off} (--github-token) is empty)" in lines
    assert TOKEN not in run.stdout


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
    assert "| `title` | &lt;script&gt;alert&#40;1&#41;&lt;/script&gt; &#124; x<br>y |  |" in summary
    assert '| `commit_id` | <a href="https://github.com/o/r/commit/abc1234">abc1234</a> |  |' in summary
    assert "<details><summary>Payload (JSON)</summary>" in summary
    assert "**iftrue unavailable**: iftrue answered 503" in summary


@pytest.mark.parametrize(
    ("result", "heading"),
    [("created", "recorded"), ("dry_run", "dry run"), ("skipped", "skipped"), ("failed", "not recorded")],
)
def test_summary_heading_for_every_result(result: str, heading: str) -> None:
    assert heading in render_summary(Report(result=result)).splitlines()[0]


def test_what_the_rules_did_not_read_is_never_said_missing(tmp_path: Path, iftrue: FakeIftrue) -> None:
    """As a runner runs it, look-ups off: a schedule's fallback title says how it was made and why
    no PR gave one; a workflow_run whose PR the payload names by number alone claims no revert
    check, and no flag row says a label is missing that was never read."""
    (tmp_path / "schedule").mkdir()
    run = run_action(runner_env(tmp_path / "schedule", "schedule", {}, {"api_url": iftrue.url}))
    rows = table(html.unescape(run.summary))
    off = "no look-up of its pull request was made (the github_token input is empty)"
    assert rows["title"] == (
        "Deploy #42",
        f"rule: the workflow's name and the run number, as no pull request gives a title: {off}",
    )
    (tmp_path / "workflow_run").mkdir()
    event = payload("workflow_run")
    run = run_action(runner_env(tmp_path / "workflow_run", "workflow_run", event, {"api_url": iftrue.url}))
    rows = table(html.unescape(run.summary))
    assert "not reverts only" not in rows["is_hotfix"][1]
    assert "not read: the commits that ship and what ran before" in rows["is_hotfix"][1]
    assert "label" not in rows["is_hotfix"][1].split("; not read:")[0]
