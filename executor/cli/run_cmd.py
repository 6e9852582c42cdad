"""`runbook run`: one runbook, in a real browser, with a report of every step."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from executor.cli.common import EXIT_FAILED, EXIT_INVALID, EXIT_OK, print_diagnostics, resolve_runbook
from executor.cli.engine_options import (
    add_auth_options,
    add_browser_options,
    add_evidence_options,
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

The run folder (runs/<time>-<runbook>/) gets report.html, junit.xml, run.log.jsonl and, per job,
a screenshot after every step; on failure the page's HTML, its aria snapshot and a trace.
exit codes: 0 passed, 1 a step failed, 2 invalid runbook or params
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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = resolve_runbook(args.runbook)
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
            )
        )
    finally:
        run_dir.close()
    print(f"report: {run_dir.report.path}", file=sys.stderr)
    ok = len(results) == (2 if args.login_as else 1) and all(r.status != "failed" for r in results)
    if ok and results[-1].outputs:
        for name, value in results[-1].outputs.items():
            print(f"{name}: {value}")
    return EXIT_OK if ok else EXIT_FAILED
