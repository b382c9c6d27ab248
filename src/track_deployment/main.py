"""Orchestration only: inputs → event → fields → deliver → outputs; errors → exit code."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import TextIO

from . import outbox
from .cancel import CancelOnSignal
from .client import USER_AGENT, IftrueClient
from .errors import ActionError, Cancelled
from .events import load_event
from .fit import fit_record
from .gate import Asked, after_lookups, before_lookups, release_caveat, status_of
from .inputs import MAX_PAYLOAD_BYTES, Inputs, Runner, read_inputs, read_runner, read_secrets
from .model import Found, Reading, Source, web
from .plan import Plan, plan_lookups
from .readers import read_event
from .record import Built, build_record
from .schema import DeploymentRequest, record_json
from .summary import provenance_lines, render_summary
from .values import unquoted
from .workflow import Console, Report, print_block, publish

TITLE = "track-deployment"


def replay_hint(outputs: bool, summary: bool, maybe_recorded: bool = False) -> str:
    """Where the record is kept and how to send it again; names only the files written."""
    if maybe_recorded:
        where = " and ".join(
            place
            for place, written in (("the `payload` output", outputs), ("the job summary", summary))
            if written
        )
        return (
            f"The record is kept{' in ' + where if where else ' in the log above'}: if iftrue does not "
            "list this deployment, run the action again with it as the `payload` input."
        )
    kept = [
        place
        for place, written in (("the `payload` output", outputs), ("the job summary", summary))
        if written
    ]
    if not kept:
        return (
            "The deployment record printed above can be sent again as the `payload` input "
            "to record this deployment."
        )
    return (
        f"The record is kept in {' and '.join(kept)}: run the action again with it as the "
        "`payload` input to record this deployment."
    )


# The GitHub look-ups' share of `timeout`: they fill fields, the delivery is what must not be lost.
LOOKUP_SHARE = 1 / 3
LOOKUP_MAX_SECONDS = 30.0


class Budget:
    """`timeout` spent on the network: the look-ups' share first, then the delivery the rest.

    Only time waiting on a server counts. Reading the event and building the record take what
    the event's size takes, and a large event must not leave the delivery no time at all.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.spent = 0.0

    @contextmanager
    def lookups(self) -> Iterator[float]:
        """The look-ups' deadline; the time they take is spent from the delivery's."""
        start = time.monotonic()
        share = min(self.timeout * LOOKUP_SHARE, LOOKUP_MAX_SECONDS)
        try:
            yield start + share
        finally:
            # Never more than their share: what outlasts it (a slow redaction, say) is not the
            # delivery's loss.
            self.spent += min(time.monotonic() - start, share)

    def delivery(self) -> float:
        """The delivery's deadline, from now: what the look-ups left of `timeout`."""
        return time.monotonic() + self.timeout - self.spent


def derive(inputs: Inputs, runner: Runner, console: Console, now: datetime, budget: Budget) -> Built | str:
    """The record for this event and where each value came from, or a note saying why this run
    records nothing: gate → read → plan → look up → gate → record.

    The look-ups end by their share of `budget`; what they did not get falls back.
    """
    payload = load_event(runner.event_path, runner.event_name)
    asked = Asked(
        runner.event_name,
        payload,
        actor=runner.actor,
        token=bool(inputs.token) or inputs.dry_run,
        environments=inputs.environments,
        prereleases=inputs.prereleases,
        status=inputs.status,
    )
    skip = before_lookups(asked)
    if skip is None or not skip.without_secrets:
        inputs.require_token()
    if skip is not None:
        return skip.note
    reading = read_event(runner.event_name, payload, runner)
    plan = plan_lookups(runner.event_name, reading, inputs, runner)
    if plan.warning:
        console.warning(plan.warning, title="GitHub look-up failed")
    commit = inputs.fields.get("commit_id") or reading.value("commit_id")
    found = Found()
    if not plan.off:
        found = _look_up(plan, reading, inputs, runner, console, budget, commit, now)
    status = status_of(inputs.fields.get("status"), reading.value("status"), found)
    why = after_lookups(
        reading,
        found,
        commit=commit,
        status=status,
        environments=inputs.environments,
        redeploys=inputs.redeploys,
    )
    if why:
        return why
    if reading.release is not None:
        unknown = _types_unknown(reading, plan)
        if caveat := release_caveat(reading.release, found.release_types, unknown):
            console.warning(caveat, title=TITLE)
    built = build_record(reading, found, plan, inputs, now)
    for warning in built.warnings:
        console.warning(warning, title=TITLE)
    for notice in built.notices:
        console.notice(notice, title=TITLE)
    return built


def _look_up(
    plan: Plan,
    reading: Reading,
    inputs: Inputs,
    runner: Runner,
    console: Console,
    budget: Budget,
    commit: str | None,
    now: datetime,
) -> Found:
    """Make the plan's look-ups within their share of `budget`, and say what they could not do."""
    from .github import GitHub  # imports PyGithub: only when a look-up runs
    from .lookups import look_up

    with budget.lookups() as deadline:
        gh = GitHub(
            runner.api_url,
            runner.repository,
            inputs.github_token,
            USER_AGENT,
            deadline,
            console.redact,
            inputs.ca_bundles,
        )
        found, notes = look_up(
            # Worth the rest of the look-ups while nothing but what they find would skip the run.
            plan,
            gh,
            lambda found: after_lookups(reading, found, commit=commit, redeploys=True) is None,
            now,
        )
    if warning := notes.failure_warning():
        console.warning(warning, title="GitHub look-up failed")
    for note in notes.warnings:
        console.warning(note, title=TITLE)
    for notice in notes.notices:
        console.notice(notice, title=TITLE)
    return found


def _types_unknown(reading: Reading, plan: Plan) -> str | None:
    """Why a release run does not know its workflow's release types; None when a look-up said."""
    if reading.workflow_file is None:
        return "GITHUB_WORKFLOW_REF does not name a workflow file of this repository"
    return plan.why_not_made({"workflow_file"}, "its workflow file")


def execute(
    inputs: Inputs,
    runner: Runner,
    console: Console,
    now: datetime,
    report: Report,
    answered: Callable[[], None],
) -> None:
    """Derive the record and send it unless it is a dry run, filling `report` as it goes.

    `answered` is called the moment iftrue has answered 2xx: from then on a cancel no longer
    stops the run, which only reads the answer (the record exists: replaying it would duplicate it).
    `timeout` bounds the time on the network: look-ups and delivery share one Budget.
    """
    budget = Budget(inputs.timeout)
    if inputs.payload is not None:
        inputs.require_token()
        console.notice("Replaying the record given in the `payload` input; nothing is derived.", title=TITLE)
        request = inputs.payload
        report.sources = {name: Source("input", "`payload` input") for name in request.body()}
    else:
        derived = derive(inputs, runner, console, now, budget)
        if isinstance(derived, str):
            report.result = "skipped"
            report.note = derived
            console.notice(f"{report.note} Nothing was sent to iftrue.", title=f"{TITLE} skipped")
            return
        request, report.sources, report.jobs = derived.request, derived.sources, derived.jobs
        report.jobs_run = derived.jobs_run
    request, shortened = fit_record(request, MAX_PAYLOAD_BYTES, console.redact)
    if shortened:
        report.note = shortened
        console.notice(shortened, title=TITLE)
    report.payload = request.body()
    report.links = links(runner, request)
    with console.group("Deployment record"):
        console.info(record_json(report.payload, indent=2))
    if not console.actions:
        # Outside Actions there is no job summary to read: where each value came from is printed.
        print_block(console, "Where each value came from", provenance_lines(report.sources))
    if inputs.dry_run:
        report.result = "dry_run"
        console.notice("Dry run: the deployment record above was not sent.", title=TITLE)
        return
    deliver(inputs, runner, console, now, report, answered, budget, request)


def deliver(
    inputs: Inputs,
    runner: Runner,
    console: Console,
    now: datetime,
    report: Report,
    answered: Callable[[], None],
    budget: Budget,
    request: DeploymentRequest,
) -> None:
    """Send the record to iftrue, after what the outbox holds, and report what iftrue answered."""
    # The outbox (outbox.py): what earlier runs could not deliver goes first; an outage queues this one.
    box = outbox.drain(inputs, runner, console, report.outbox, request, now)
    budget.spent += box.seconds
    client = IftrueClient(
        inputs.api_url,
        inputs.token,
        timeout=inputs.timeout,
        redact=console.redact,
        ca_bundles=inputs.ca_bundles,
    )
    try:
        delivery = client.send(request, answered=answered, deadline=budget.delivery())
    except ActionError as exc:
        box.keep(request, exc, now)
        raise
    finally:
        report.outbox_upload = box.artifact  # the native action's upload step keeps these
    if delivery.warning:
        console.warning(delivery.warning, title=TITLE)
    report.result = "created"
    report.response_text = delivery.text
    if delivery.response is not None and delivery.response.id is not None:
        report.deployment_id = delivery.response.id
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
    return {name: url for name, url in found.items() if web(url)}


def fail(report: Report, exc: ActionError, *, fail_on_error: bool, actions: bool = True) -> int:
    """Record an error; only configuration errors, or any with fail_on_error, fail the step."""
    report.result = "failed"
    report.error, report.error_title = str(exc), exc.title
    report.maybe_recorded = getattr(exc, "maybe_recorded", False)
    report.alert_title = exc.title
    if exc.outage and not fail_on_error:
        report.alert = "warning"
        report.alert_tail = (
            "The step succeeds because `fail_on_error` is false."
            if actions
            else "The exit code is 0 because the `fail_on_error` input is not true."
        )
        return 0
    report.alert = "error"
    return 1


def format_exc() -> str:
    import traceback  # only a debug run prints one

    return traceback.format_exc()


def cancelled(report: Report, exc: Cancelled, actions: bool = True) -> int:
    """Record a cancelled run: the record is kept, and the step fails as the runner expects."""
    name = signal.Signals(exc.signum).name
    report.result = "failed"
    report.error_title = "Cancelled"
    report.alert, report.alert_title = "warning", "track-deployment cancelled"
    what = "The step was" if actions else "track-deployment was"
    report.maybe_recorded = exc.maybe_recorded
    if exc.maybe_recorded:
        report.error = (
            f"{what} cancelled ({name}) while the record was being delivered, before iftrue's "
            "answer was read: iftrue may have recorded the deployment."
        )
    elif report.payload:
        report.error = f"{what} cancelled ({name}) before iftrue confirmed the deployment."
    else:
        report.error = f"{what} cancelled ({name}) before the deployment record was built."
        report.alert_tail = "Nothing was sent to iftrue."
    return 128 + exc.signum


def announce(console: Console, report: Report, hint: str) -> None:
    """The run's final annotation, once it is known where the record was kept."""
    if report.alert:
        parts = [report.error, hint if report.payload else "", report.alert_tail]
        text = " ".join(part for part in parts if part)
        if report.alert == "error":
            console.error(text, title=report.alert_title)
        else:
            console.warning(text, title=report.alert_title)


def run(
    environ: Mapping[str, str],
    runner: Runner,
    console: Console,
    now: datetime,
    report: Report,
    answered: Callable[[], None],
) -> int:
    """Read the inputs and record the deployment; every error becomes an exit code here."""
    fail_on_error = True
    try:
        inputs = read_inputs(environ, now=now)
        fail_on_error = inputs.fail_on_error
        for warning in inputs.warnings:
            console.warning(warning, title=TITLE)
        for notice in inputs.notices:
            console.notice(notice, title=TITLE)
        execute(inputs, runner, console, now, report, answered)
        return 0
    except ActionError as exc:
        if runner.debug:
            console.info(format_exc())
        return fail(report, exc, fail_on_error=fail_on_error, actions=runner.actions)
    except Exception as exc:  # a bug must not break the deploy unless fail_on_error says so
        if runner.debug:
            console.info(format_exc())
        error = ActionError(
            f"Internal error ({type(exc).__name__}). Please report it with the log of this step "
            "(re-run with debug logging for a traceback)."
        )
        error.outage = True
        return fail(report, error, fail_on_error=fail_on_error, actions=runner.actions)


def main(
    environ: Mapping[str, str],
    stream: TextIO | None = None,
    now: datetime | None = None,
    *,
    errors: TextIO | None = None,
    cancel: CancelOnSignal | None = None,
    flags: bool = False,
) -> int:
    runner = read_runner(environ)
    cancel = cancel or CancelOnSignal()
    console = Console(
        stream, debug=runner.debug, actions=runner.actions, errors=errors, hold=cancel.held, flags=flags
    )
    for secret in read_secrets(environ):
        if secret:
            console.add_secret(secret)
    now = now or datetime.now(UTC)
    report = Report(result="failed", event_name=runner.event_name, links=links(runner, None))
    try:
        cancel.arm()
        with unquoted() if flags else nullcontext():
            code = run(environ, runner, console, now, report, cancel.disarm)
        cancel.disarm()
    except Cancelled as exc:  # only the first signal raises, so none can interrupt this report
        code = cancelled(report, exc, runner.actions)
    report.now = now
    outputs, summary = publish(
        report,
        console,
        runner.output_path,
        runner.summary_path,
        lambda written: render_summary(report, payload_output=written, redact=console.redact),
    )
    announce(console, report, replay_hint(outputs, summary, report.maybe_recorded))
    if not console.actions:
        # Outside Actions no runner reads the outputs: one line tells a CI log or a script.
        console.info(
            f"result={report.result}"
            + (f" deployment_id={report.deployment_id}" if report.deployment_id else "")
        )
    return code
