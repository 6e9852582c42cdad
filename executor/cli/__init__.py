"""`runbook` command line: argparse, one small module per subcommand.

A subcommand module exposes `register(subparsers)`, which adds its parser and sets `func`
(args -> exit code). Adding one is a line in `COMMANDS`.
Exit codes: 0 ok, 1 a step failed, 2 invalid input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from executor.cli import (
    browser_server_cmd,
    demo_cmd,
    login_cmd,
    plan_cmd,
    report_cmd,
    resume_cmd,
    run_cmd,
    selectors_cmd,
    status_cmd,
    validate_cmd,
)
from executor.browser import RemoteOptionError
from executor.cli.common import EXIT_FAILED, EXIT_INVALID, EXIT_OK

COMMANDS: list[ModuleType] = [
    validate_cmd,
    plan_cmd,
    run_cmd,
    resume_cmd,
    status_cmd,
    login_cmd,
    selectors_cmd,
    demo_cmd,
    browser_server_cmd,
    report_cmd,
]

EXAMPLES = """\
examples:
  runbook validate                     # check every runbook and the selector catalogue
  runbook plan downgrade_license -p user_email=user03@acme.example -p target_tier=Eco

exit codes: 0 ok, 1 a step failed, 2 invalid input
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="runbook",
        description="Admin-portal procedures as YAML runbooks, run in a real browser.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits 2 on bad usage, 0 on --help
        return int(exit_.code or 0) if isinstance(exit_.code, int) else EXIT_INVALID
    try:
        code: int = args.func(args)
    except RemoteOptionError as err:
        # An option only a local browser can honour, given with a remote one: said before anything runs.
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    return code


__all__ = ["COMMANDS", "EXIT_FAILED", "EXIT_INVALID", "EXIT_OK", "build_parser", "main"]
