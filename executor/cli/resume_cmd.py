"""`runbook resume RUN_DIR`: continue a bulk run where it stopped."""

from __future__ import annotations

import argparse
from pathlib import Path

from executor.bulk.runner import resume_bulk
from executor.cli.bulk_options import add_bulk_options, bulk_request
from executor.cli.engine_options import add_auth_options, add_browser_options, add_evidence_options

NAME = "resume"
EXAMPLES = """\
examples:
  runbook resume runs/20260101-120000-downgrade_license-bulk --yes
  runbook resume runs/<run> --auth-state ~/.se-state.json --workers 2 --yes

The runbook, the input and the portal's address come from the run's run.json; resume refuses when
the runbook or the input changed since. Rows done stay done; an operation whose outcome is unknown
(a "Pay" whose answer was lost) is decided from the portal's state before anything else, never
repeated blindly. Failed rows are tried again; rows needing attention are left to a person.
exit codes: 0 every row changed or unchanged, 1 a row failed or needs attention, or the run stopped
again, 2 nothing to resume (not a bulk run folder, changed runbook or input, run in use)
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        NAME,
        help="continue a bulk run where it stopped",
        description="Continue a bulk run from its journal, exactly where it stopped.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="the run folder (holds run.json and journal.sqlite)")
    p.add_argument("--base-url", metavar="URL", help="the portal (default: the one in run.json)")
    add_browser_options(p, base_url=False)  # resume on other browser servers when the first ones are gone
    add_auth_options(p)
    add_evidence_options(p)
    add_bulk_options(p, resume=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    req = bulk_request(args, runbook=Path(), dry_run=False, params={})
    req.run_dir = args.run_dir
    return resume_bulk(args.run_dir, req)
