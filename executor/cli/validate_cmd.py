"""`runbook validate`: every problem in the runbooks and the catalogue, before any browser starts."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from executor.cli.common import (
    DEFAULT_RUNBOOKS,
    EXIT_INVALID,
    EXIT_OK,
    add_selectors_option,
    print_diagnostics,
    selectors_dir,
)
from executor.load.catalogue_loader import read_catalogue_report
from executor.load.runbook_loader import infer_runbooks_root, validate_files

NAME = "validate"
EXAMPLES = """\
examples:
  runbook validate                                   # every runbook in runbooks/
  runbook validate runbooks/downgrade_license.yaml   # one file
  runbook validate runbooks/ --selectors selectors/

exit codes: 0 all valid, 2 a runbook or the catalogue has errors
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        NAME,
        help="check runbooks and the selector catalogue (no browser)",
        description="Check runbooks (files or folders) and the selector catalogue; report every problem.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help=f"runbook files or folders (default: {DEFAULT_RUNBOOKS}/)",
    )
    p.add_argument(
        "--runbooks-root",
        type=Path,
        metavar="DIR",
        help="the folder holding _shared/ (default: found from each file)",
    )
    add_selectors_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    paths: list[Path] = args.paths or [DEFAULT_RUNBOOKS]
    root = args.runbooks_root or infer_runbooks_root(paths[0] / "x.yaml" if paths[0].is_dir() else paths[0])
    report = read_catalogue_report(selectors_dir(args.selectors, root))
    catalogue = report.catalogue
    result = validate_files(paths, catalogue, runbooks_root=args.runbooks_root, broken_entry=report.is_broken)
    diagnostics = report.diagnostics + result.diagnostics
    print_diagnostics(diagnostics)
    elapsed = time.perf_counter() - started
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    total = len(result.files)
    ok = total - len(result.failed)
    summary = f"{ok} of {total} runbooks OK" if result.failed else f"{total} runbooks OK"
    if errors:
        summary += f", {errors} error{'s' if errors != 1 else ''}"
    if warnings:
        summary += f", {warnings} warning{'s' if warnings != 1 else ''}"
    summary += f" ({len(catalogue.entries)} selectors) in {elapsed:.2f}s"
    print(summary, file=sys.stderr if errors else sys.stdout)
    return EXIT_INVALID if errors else EXIT_OK
