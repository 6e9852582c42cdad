"""`runbook run`: one runbook, in a real browser, with a report of every step."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from executor.bulk.runner import run_bulk
from executor.cli.bulk_options import add_bulk_options, bulk_request
from executor.cli.common import EXIT_FAILED, EXIT_INVALID, EXIT_OK, print_diagnostics, resolve_runbook
from executor.cli.engine_options import (
    add_auth_options,
    add_browser_options,
    add_evidence_options,
    browser_settings,
    engine_options,
)
from executor.cli.plan_cmd import add_param_options, collect_params
from executor.load.diagnostics import LoadError
from executor.load.runbook_loader import infer_runbooks_root
from executor.plan import PlanError
from executor.redaction import Redactor
from executor.session import Auth, run_session
from executor.workspace import RunDirectory, Workspace

NAME = "run"
EXAMPLES = """\
examples:
  runbook run downgrade_license --base-url http://127.0.0.1:8080 --login-as admin@acme.example \\
      -p user_email=user03@acme.example -p target_tier=Eco
  runbook run downgrade_license --base-url https://portal.example --auth-state ~/.se-state.json \\
      -p user_email=jane@corp.example -p target_tier=Advanced --trace on

bulk (one job per CSV row; docs/bulk.md):
  runbook run downgrade_license --input users.csv --base-url URL --login-as admin@acme.example \\
      --workers 4 --dry-run                 # read the portal, print and write the plan
  runbook run downgrade_license --input users.csv --base-url URL --login-as admin@acme.example \\
      --workers 4 --canary 5 --yes          # 5 rows first, then the rest if they all passed
  runbook resume runs/<run>/   ·   runbook status runs/<run>/

The run folder (runs/<time>-<runbook>/) gets report.html, junit.xml, run.log.jsonl and, per job,
a screenshot after every step; on failure the page's HTML, its aria snapshot and a trace. A bulk
run adds run.json, plan.json/plan.txt, journal.sqlite and results.csv.
exit codes: 0 passed (bulk: every row changed or unchanged), 1 a step or row failed or the run
stopped early, 2 invalid runbook, params or input (nothing was run)
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        NAME,
        help="run a runbook in a real browser",
        description="Run one runbook against a portal, with a screenshot and checked assertions after every step.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("runbook", metavar="RUNBOOK", help="a runbook file, or a name in runbooks/")
    add_param_options(p)
    add_browser_options(p)
    add_auth_options(p)
    add_evidence_options(p)
    p.add_argument(
        "--selectors", type=Path, metavar="DIR", help="the selector catalogue (default: selectors/)"
    )
    add_bulk_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = resolve_runbook(args.runbook)
    if args.input is not None:
        return _run_bulk(args, path)
    if args.dry_run:
        print("error: --dry-run goes with --input (a bulk run); a single run can be planned with `runbook plan`",
              file=sys.stderr)
        return EXIT_INVALID
    try:
        ws = Workspace.open(infer_runbooks_root(path), args.selectors)
        plan = ws.plan(path, collect_params(args))
        if args.login_as:
            ws.login_plan(args.login_as)
    except LoadError as err:
        print_diagnostics(err.diagnostics)
        return EXIT_INVALID
    except PlanError as err:
        print(f"error: cannot plan {path}:", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_INVALID
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    if args.auth_state is not None and not args.auth_state.is_file():
        print(
            f"error: --auth-state {args.auth_state}: no such file (make one with `runbook login`)",
            file=sys.stderr,
        )
        return EXIT_INVALID

    settings = browser_settings(args)  # before the run folder: a refused option leaves nothing behind
    redactor = Redactor(plan.secrets)
    run_dir = RunDirectory.create(plan.runbook.name, path=args.artifacts, redactor=redactor, quiet=args.quiet)
    try:
        results = asyncio.run(
            run_session(
                ws,
                [(plan.runbook.name, plan)],
                base_url=args.base_url,
                artifacts_dir=run_dir.path,
                auth=Auth(state_file=args.auth_state, login_as=args.login_as),
                options=engine_options(args, redactor),
                bus=run_dir.bus,
                settings=settings,
            )
        )
    finally:
        run_dir.close()
    print(f"report: {run_dir.report.path}", file=sys.stderr)
    ok = len(results) == (2 if args.login_as else 1) and all(r.status != "failed" for r in results)
    if ok and results[-1].outputs:
        for name, value in results[-1].outputs.items():
            print(f"{name}: {value}")
    for result in results:
        if result.performed:
            # Said last, where the operator's eyes are: running again blindly could pay twice.
            print(
                f"error: {'; '.join(result.performed)}; the check after it failed: look at the portal "
                "before running again",
                file=sys.stderr,
            )
    return EXIT_OK if ok else EXIT_FAILED


def _run_bulk(args: argparse.Namespace, path: Path) -> int:
    try:
        params = collect_params(args)
    except (LoadError, ValueError) as err:
        if isinstance(err, LoadError):
            print_diagnostics(err.diagnostics)
        else:
            print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    return run_bulk(bulk_request(args, runbook=path, dry_run=args.dry_run, params=params))
