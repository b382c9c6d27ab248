"""Orchestration only: inputs → event → fields → deliver → outputs; errors → exit code."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TextIO

from .client import USER_AGENT, IftrueClient
from .errors import ActionError
from .events import load_event
from .inputs import Inputs, Runner, read_inputs, read_runner, read_secrets
from .mapping import Facts, Options, build_request, event_facts, plan_lookups
from .schema import DeploymentRequest
from .workflow import Console, Report, publish

TITLE = "track-deployment"
REPLAY_HINT = (
    "The record is kept in the `payload` output and the job summary: run the action again "
    "with it as the `payload` input to record this deployment."
)


def derive(inputs: Inputs, runner: Runner, console: Console, now: datetime) -> DeploymentRequest | str:
    """The record for this event, or why the event is not a deployment."""
    event = event_facts(runner.event_name, load_event(runner.event_path, runner.event_name), runner)
    if event.skip_reason:
        return event.skip_reason
    plan = plan_lookups(event, inputs.fields)
    facts = Facts()
    if plan and inputs.github_token and runner.api_url and runner.repository:
        from .lookups import look_up  # imports PyGithub: only when a look-up runs

        outcome = look_up(
            plan,
            api_url=runner.api_url,
            repository=runner.repository,
            run_id=runner.run_id,
            token=inputs.github_token,
            user_agent=USER_AGENT,
            timeout=inputs.timeout,
        )
        facts = outcome.facts
        if warning := outcome.warning():
            console.warning(warning, title="GitHub look-up failed")
    built = build_request(event, inputs.fields, facts, Options(inputs.hotfix_labels, inputs.fix_labels), now)
    for warning in built.warnings:
        console.warning(warning, title=TITLE)
    return built.request


def execute(inputs: Inputs, runner: Runner, console: Console, now: datetime, report: Report) -> None:
    """Derive the record and send it unless it is a dry run, filling `report` as it goes."""
    if inputs.payload is not None:
        console.info("Replaying the record given in the `payload` input; nothing is derived.")
        request = inputs.payload
    else:
        derived = derive(inputs, runner, console, now)
        if isinstance(derived, str):
            report.result = "skipped"
            report.note = f"Not a deployment: {derived}."
            console.notice(f"{report.note} Nothing was sent to iftrue.", title=f"{TITLE} skipped")
            return
        request = derived
    report.payload = request.body()
    report.links = links(runner, request)
    with console.group("Deployment record"):
        console.info(json.dumps(report.payload, indent=2, ensure_ascii=False))
    if inputs.dry_run:
        report.result = "dry_run"
        console.notice("Dry run: the deployment record above was not sent.", title=TITLE)
        return
    delivery = IftrueClient(inputs.api_url, inputs.token, timeout=inputs.timeout).send(request)
    if delivery.warning:
        console.warning(delivery.warning, title=TITLE)
    report.result = "created"
    report.response_text = delivery.text
    if delivery.response is not None and delivery.response.id is not None:
        report.deployment_id = str(delivery.response.id)
    tries = f" after {delivery.attempts} attempts" if delivery.attempts > 1 else ""
    console.notice(
        f"Deployment recorded in iftrue{tries} (id {report.deployment_id or 'unknown'}).",
        title=TITLE,
    )


def links(runner: Runner, request: DeploymentRequest | None) -> dict[str, str]:
    """Links for the job summary: commit, PR, the deployment's URL and this run."""
    found = {"run": runner.run_url or ""}
    if request is not None:
        base = request.repository_url.rstrip("/")
        found["commit"] = f"{base}/commit/{request.commit_id}"
        if request.pull_request_number:
            found["pull_request"] = f"{base}/pull/{request.pull_request_number}"
        if request.url:
            found["url"] = request.url
    return {name: url for name, url in found.items() if url.startswith(("https://", "http://"))}


def fail(console: Console, report: Report, exc: ActionError, *, fail_on_error: bool) -> int:
    """Report an error; only configuration errors, or any with fail_on_error, fail the step."""
    report.result = "failed"
    report.error, report.error_title = str(exc), exc.title
    message = str(exc) + (f" {REPLAY_HINT}" if report.payload else "")
    if exc.outage and not fail_on_error:
        console.warning(message + " The step succeeds because `fail_on_error` is false.", title=exc.title)
        return 0
    console.error(message, title=exc.title)
    return 1


def format_exc() -> str:
    import traceback  # only a debug run prints one

    return traceback.format_exc()


def main(environ: Mapping[str, str], stream: TextIO | None = None, now: datetime | None = None) -> int:
    runner = read_runner(environ)
    console = Console(stream, debug=runner.debug)
    for secret in read_secrets(environ):
        if secret:
            console.add_secret(secret)
    now = now or datetime.now(UTC)
    report = Report(result="failed", event_name=runner.event_name, links=links(runner, None))
    fail_on_error = True
    try:
        inputs = read_inputs(environ, now=now)
        fail_on_error = inputs.fail_on_error
        for warning in inputs.warnings:
            console.warning(warning, title=TITLE)
        execute(inputs, runner, console, now, report)
        code = 0
    except ActionError as exc:
        if runner.debug:
            console.info(format_exc())
        code = fail(console, report, exc, fail_on_error=fail_on_error)
    except Exception as exc:  # a bug must not break the deploy unless fail_on_error says so
        if runner.debug:
            console.info(format_exc())
        error = ActionError(
            f"Internal error ({type(exc).__name__}). Please report it with the log of this step "
            "(re-run with debug logging for a traceback)."
        )
        error.outage = True
        code = fail(console, report, error, fail_on_error=fail_on_error)
    try:
        publish(report, console, runner.output_path, runner.summary_path)
    except OSError as exc:
        console.warning(f"Could not write the step's outputs or summary: {exc.strerror or exc}.", title=TITLE)
    return code
