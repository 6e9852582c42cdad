"""`runbook demo` (`make demo`): the main job, end to end, on the embedded fake portal.

Starts the fake portal with the demo seed on a free port, logs in as the administrator, downgrades
user03@acme.example from Pro to Eco with the real runbook, then checks the portal's own state:
the user on Eco, the old Pro license gone from the pool, the monthly bill 20 CAD lower.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from executor.cli.common import EXIT_FAILED, EXIT_INVALID, EXIT_OK, print_diagnostics
from executor.cli.engine_options import engine_options
from executor.load.diagnostics import LoadError
from executor.redaction import Redactor
from executor.session import Auth, run_session
from executor.workspace import RunDirectory, Workspace

NAME = "demo"
EXAMPLES = """\
examples:
  runbook demo                    # headless, report in runs/<time>-demo/report.html
  runbook demo --headed --slow-mo 300 --dialect 2024

exit codes: 0 the downgrade happened and the portal's state checks out, 1 otherwise
"""

USER = "user03@acme.example"
ADMIN = "admin@acme.example"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        NAME,
        help="downgrade one user on the embedded fake portal, with a report",
        description="Start the fake portal, log in, downgrade user03 from Pro to Eco, and check the result.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--dialect", choices=["2026", "2024"], default="2026", help="the portal's label dialect")
    p.add_argument("--headed", action="store_true")
    p.add_argument("--slow-mo", type=int, default=0, metavar="MS")
    p.add_argument(
        "--artifacts", type=Path, metavar="DIR", help="the run folder (default: runs/<time>-demo/)"
    )
    p.set_defaults(func=run)


def state_checks(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, bool]]:
    """What must hold after the downgrade, read from the portal itself, not from the browser."""
    tier = next((u["license"] for u in after["users"] if u["email"] == USER), None)
    pro_before, pro_after = before["pool"]["Pro"], after["pool"]["Pro"]
    delta = round(after["monthly_bill"] - before["monthly_bill"], 2)
    return [
        (f"{USER} holds Eco (was Pro)", tier == "Eco"),
        (
            f"the old Pro license is deleted (Pro total {pro_before['total']} → {pro_after['total']})",
            pro_after["total"] == pro_before["total"] - 1,
        ),
        (
            f"no free Pro license left behind (available {pro_after['available']})",
            pro_after["available"] == pro_before["available"],
        ),
        (
            f"monthly bill {before['monthly_bill']:.2f} → {after['monthly_bill']:.2f} CAD (−20.00 expected)",
            delta == -20,
        ),
    ]


def run(args: argparse.Namespace) -> int:
    from fake_portal.testing import PortalServer

    try:
        ws = Workspace.open()
        plan = ws.plan("downgrade_license.yaml", {"user_email": USER, "target_tier": "Eco"})
    except LoadError as err:
        print_diagnostics(err.diagnostics)
        return EXIT_INVALID
    redactor = Redactor(plan.secrets)
    run_dir = RunDirectory.create(
        "demo", path=args.artifacts, redactor=redactor, title="Demo: downgrade Pro → Eco"
    )
    with PortalServer(seed="demo", dialect=args.dialect) as portal:
        print(f"fake portal ({args.dialect} labels) at {portal.url}; downgrading {USER} from Pro to Eco")
        before = portal.state()
        try:
            results = asyncio.run(
                run_session(
                    ws,
                    [("downgrade_license", plan)],
                    base_url=portal.url,
                    artifacts_dir=run_dir.path,
                    auth=Auth(login_as=ADMIN),
                    options=engine_options(args, redactor),
                    bus=run_dir.bus,
                )
            )
        finally:
            run_dir.close()
        after = portal.state()
    passed = len(results) == 2 and all(r.status != "failed" for r in results)
    checks = state_checks(before, after)
    print("portal state after the run:")
    for text, ok in checks:
        print(f"  {'✓' if ok else '✗'} {text}")
    print(f"report: {run_dir.report.path.resolve()}")
    if not passed or not all(ok for _, ok in checks):
        print("demo FAILED", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
