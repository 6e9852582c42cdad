"""`runbook status RUN_DIR`: where a bulk run stands, from its journal (no browser)."""

from __future__ import annotations

import argparse
from pathlib import Path

from executor.bulk.report_page import write_report
from executor.bulk.runner import status

NAME = "status"
EXAMPLES = """\
examples:
  runbook status runs/20260101-120000-downgrade_license-bulk
  runbook status runs/20260101-120000-downgrade_license-bulk --report

Prints rows by status, operations (purchases, reassignments, removals) with their outcomes, the
ones whose outcome is unknown, failed rows and the last events. Safe while the run is going.
--report also (re)builds report.html and report-data/ from the journal and run.log.jsonl: the
report of a run that is still going, or of one that was killed before it could write its own.
exit codes: 0 every row changed or unchanged, 1 otherwise, 2 not a bulk run folder
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        NAME,
        help="show the progress of a bulk run",
        description="Show where a bulk run stands, from its journal.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    p.add_argument("--report", action="store_true", help="also build report.html from the run folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    code = status(args.run_dir)
    if args.report and code != 2:  # 2: not a bulk run folder, nothing to build from
        written = write_report(args.run_dir)
        print(f"report: {written.path} ({written.html_bytes:,} bytes + {written.data.bytes:,} bytes of data)")
    return code
