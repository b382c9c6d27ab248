"""The `track-deployment` command: a flag per input, so any CI can run it.

The flags only fill the `INPUT_*` variables the action reads; everything else, including
validation, is the action's own code. Without flags (as in the container) the environment
goes to `main` untouched.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NoReturn

from . import __version__
from .cancel import CancelOnSignal
from .inputs import BOOLEAN_INPUTS, INPUT_DEFAULTS, TOKEN_VARIABLE, env_name, flag
from .main import main
from .schema import NOTHING_SHIPPED, REQUEST_FIELDS, REQUIRED_FIELDS, STATUS_WORDS

if TYPE_CHECKING:
    import argparse

PROG = "track-deployment"
# Exit code for a flag that does not exist: a configuration error, like a bad input.
USAGE_ERROR = 1

DESCRIPTION = f"""\
Record one deployment in iftrue. In a GitHub Actions job it reads the GITHUB_* variables and
the event, as the action does; elsewhere give the record's fields as flags (at least
--commit-id, --branch, --repository-url and --member-id; --title too, or the record is
titled "Deployment").

Each flag sets the input of the same name (--commit-id sets commit_id). A flag wins over the
INPUT_<NAME> variable, which wins over the value derived from the event. The token comes from
--token, INPUT_TOKEN or {TOKEN_VARIABLE}; prefer the variable, as other users of the machine can
read a process's arguments. Switches (--dry-run, --fail-on-error, --is-fix, ...) also take
true or false (--dry-run false)."""

DOCS = "https://github.com/iftrue/track-deployment"

EPILOG = f"""\
exit status: 0 when recorded, skipped, a dry run, or iftrue unreachable without
--fail-on-error; 1 for a bad flag or input, a rejected token, or an outage with
--fail-on-error true.

documentation: {DOCS}#readme
  this command on other CI systems: {DOCS}/blob/main/docs/other-ci.md
  where each field comes from:      {DOCS}/blob/main/docs/fields.md"""


def status_help() -> str:
    """The `--status` values: iftrue's words, and the CI job states that mean each."""
    means = {
        status: ", ".join(word for word, meant in STATUS_WORDS.items() if meant == status and word != status)
        for status in ("succes", "fail", "in_progress")
    }
    return (
        "how the deploy ended: succes, fail or in_progress, or your CI's job state (any case): "
        f"{means['succes']} mean succes; {means['fail']} mean fail; {means['in_progress']} mean "
        f"in_progress; {', '.join(NOTHING_SHIPPED)} mean nothing shipped: nothing is sent. "
        "Without it: succes"
    )


HELP = {
    "token": "iftrue deployment-tracking JWT",
    "api_url": "base URL of the iftrue API",
    "github_token": "GitHub look-ups token (PR, the run's jobs, commit count, ...); without it or '', none",
    "environment": (
        "comma-separated environment names or patterns (*, ?): other environments' deployment events "
        "are skipped; empty: all but previews"
    ),
    "prereleases": "record prereleases too (skipped by default: not production)",
    "started_at": "when the deployment began (ISO 8601 with a zone, or Unix seconds): duration = now - it",
    "check_run_id": "the GitHub Actions job's id (job.check_run_id), to find its own job and deployment",
    "redeploys": "record a deployment of the commit the environment already runs (skipped by default)",
    "hotfix_labels": "comma-separated PR labels that mark a hotfix",
    "fix_labels": "comma-separated PR labels that mark a fix",
    "fail_on_error": "exit 1 when iftrue is unreachable or keeps failing",
    "dry_run": "derive and print the record, send nothing",
    "payload": "a JSON deployment record to send as is (replay); nothing is derived",
    "timeout": "seconds for the whole run: look-ups get a third (30 s at most), the delivery the rest",
    "member_id": "the git provider's id of the member who deployed, one line (GitHub: the account's "
    "number; GitLab: $GITLAB_USER_ID; Bitbucket: the account id, 557058:...)",
    "deployment_duration": (
        "how long the deployment took, in minutes (4.5 is 4 min 30 s); or give --started-at"
    ),
    "status": status_help(),
}


def flag_help(name: str) -> str:
    """Help for one input's flag: what it sets, its variable and its default."""
    what = HELP.get(name) or (
        f"the record's {name} (overrides the derived value)"
        if name in REQUEST_FIELDS
        else f"the {name} input"
    )
    where = env_name(name) + (f" or {TOKEN_VARIABLE}" if name == "token" else "")
    default = INPUT_DEFAULTS[name]
    return f"{what} [{where}" + (f"; default: {default}]" if default else "]")


# argparse's errors about one flag: "argument -h/--help: ignored explicit argument 'x'".
_ABOUT_FLAG = re.compile(r"argument ([-a-z/]+): ([a-z ]+)")
_FLAG_LIKE = re.compile(r"--?[a-z][a-z-]{0,30}")


class Parser:
    """argparse with one flag per input of INPUT_DEFAULTS, so a new input gets its flag."""

    def __init__(self) -> None:
        import argparse  # not needed when the runner starts the action without flags

        self.parser = argparse.ArgumentParser(
            prog=PROG,
            usage=f"{PROG} [--help] [--version] [--INPUT VALUE ...]",
            description=DESCRIPTION,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            allow_abbrev=False,
        )
        self.parser.error = self.error  # type: ignore[method-assign]
        self.parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
        for name in INPUT_DEFAULTS:
            if name in BOOLEAN_INPUTS:
                self.parser.add_argument(
                    flag(name), dest=name, nargs="?", const="true", metavar="true|false", help=flag_help(name)
                )
            else:
                self.parser.add_argument(flag(name), dest=name, metavar=name.upper(), help=flag_help(name))

    def error(self, message: str) -> NoReturn:
        # argparse quotes what was typed, in single quotes, double quotes or none (its repr): it
        # may be the token, or text a runner would read as a command, and no secret is known yet.
        # So only a flag of this command and argparse's own words before the value are kept.
        about = _ABOUT_FLAG.match(message)
        known = {flag(name) for name in INPUT_DEFAULTS} | {"-h", "--help", "--version"}
        if about and set(about.group(1).split("/")) <= known:
            hidden = " (the value given is not shown)" if message[about.end() :].strip() else ""
            self.fail(f"argument {about.group(1)}: {about.group(2).strip()}{hidden}.")
        self.fail("the flags could not be read (the values given are not shown).")

    def fail(self, message: str) -> NoReturn:
        end = "" if message.endswith((".", "?")) else "."
        sys.stderr.write(f"{PROG}: {message}{end} Run `{PROG} --help` for the flags.\n")  # one line
        raise SystemExit(USAGE_ERROR)

    def parse(self, argv: Sequence[str]) -> argparse.Namespace:
        args, unknown = self.parser.parse_known_args(argv)
        if unknown:
            self.fail(self.explain(unknown[0]))
        return args

    def explain(self, word: str) -> str:
        # A stray value is never repeated: it may be the token, passed where a flag was meant.
        if not word.startswith("-"):
            return (
                "unexpected argument (its value is not shown): every value follows its flag "
                "(--title 'Release 2.4')."
            )
        import difflib

        name = word.partition("=")[0]  # `--tokn=<value>`: only the flag's name is shown
        # Compared without the dashes, which every flag shares.
        known = [flag(name)[2:] for name in INPUT_DEFAULTS] + ["help", "version"]
        close = difflib.get_close_matches(name.lstrip("-"), known, n=1)
        # Shown only when it looks like a flag: `--token<value>` (a missing space) is not.
        shown = repr(name) if _FLAG_LIKE.fullmatch(name) else "(not shown)"
        return f"unknown flag {shown}" + (f"; did you mean --{close[0]}?" if close else ".")


def environment(argv: Sequence[str], environ: Mapping[str, str]) -> dict[str, str]:
    """The environment with each flag given set as its INPUT_ variable."""
    parser = Parser()
    args = parser.parse(argv)
    given = {env_name(name): value for name in INPUT_DEFAULTS if (value := getattr(args, name)) is not None}
    # `--commit-id "$CI_COMMIT_SHA"` with the variable unset: the record cannot do without it,
    # and "set --commit-id" would answer a command that did.
    if empty := [flag(name) for name in REQUIRED_FIELDS if given.get(env_name(name), "x").strip() == ""]:
        parser.fail(
            f"{' and '.join(empty)} {'is' if len(empty) == 1 else 'are'} empty: give the value, or leave "
            "the flag out in a GitHub Actions job, which derives it (an empty value is often a CI "
            "variable that is not set)."
        )
    return {**environ, **given}


def run_cli(argv: Sequence[str] | None = None, cancel: CancelOnSignal | None = None) -> int:
    if cancel is None:  # the entry point installs it earlier, before the heavier imports
        cancel = CancelOnSignal()
        cancel.install()
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        return main(os.environ, cancel=cancel)
    try:
        environ = environment(args, os.environ)
    except SystemExit as exit_:  # --help, --version, or a flag error already printed
        return exit_.code if isinstance(exit_.code, int) else USAGE_ERROR
    return main(environ, cancel=cancel, flags=True)
