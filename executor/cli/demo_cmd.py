"""`runbook demo` (`make demo`): the main job, end to end, on the embedded fake portal.

Starts the fake portal with the demo seed on a free port, logs in as the administrator and
downgrades two users from Pro to Eco with the real runbook: user03 takes the free Eco license the
account already pays for (nothing is bought), user04 needs one, bought at checkout (the French
portal takes the card in its payment provider's frame). Then it checks the portal's own state:
both on Eco, both old Pro licenses deleted, no free license left behind, the bill 49.00 lower.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.numbers import format_currency

from executor.cli.common import EXIT_FAILED, EXIT_INVALID, EXIT_OK, print_diagnostics
from executor.cli.engine_options import engine_options
from executor.load.diagnostics import LoadError
from executor.redaction import Redactor
from executor.session import Auth, run_session
from executor.workspace import RunDirectory, Workspace
from fake_portal.config import ALL_DIALECTS
from fake_portal.provider import TEST_CARD

NAME = "demo"
EXAMPLES = """\
examples:
  runbook demo                    # headless, report in runs/<time>-demo/report.html
  runbook demo --headed --slow-mo 300 --dialect 2024
  runbook demo --dialect fr-ca    # the French WebForms portal: native dialogs, a card form in a frame

exit codes: 0 the downgrade happened and the portal's state checks out, 1 otherwise
"""

USERS = ("user03@acme.example", "user04@acme.example")
ADMIN = "admin@acme.example"
EXPECTED_DELTA = Decimal("-49.00")  # two Pro (29) gone, one Eco (9) bought


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        NAME,
        help="downgrade one user on the embedded fake portal, with a report",
        description="Start the fake portal, log in, downgrade user03 from Pro to Eco, and check the result.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--dialect", choices=ALL_DIALECTS, default="2026", help="the portal's dialect (fr-ca: the French WebForms portal)"
    )
    p.add_argument("--headed", action="store_true")
    p.add_argument("--slow-mo", type=int, default=0, metavar="MS")
    p.add_argument(
        "--artifacts", type=Path, metavar="DIR", help="the run folder (default: runs/<time>-demo/)"
    )
    p.set_defaults(func=run)


def money(amount: Decimal, dialect: str) -> str:
    """An amount as the portal of that dialect writes it ("380,00 $" in fr-ca, "380.00 CAD")."""
    if dialect == "fr-ca":
        return format_currency(amount, "CAD", locale="fr_CA")
    return f"{amount:.2f} CAD"


def state_checks(before: dict[str, Any], after: dict[str, Any], dialect: str = "2026") -> list[tuple[str, bool]]:
    """What must hold after the downgrades, read from the portal itself, not from the browser."""
    tiers = {u["email"]: u["license"] for u in after["users"]}
    pro_before, pro_after = before["pool"]["Pro"], after["pool"]["Pro"]
    free_before = {tier: line["available"] for tier, line in before["pool"].items()}
    free = {tier: line["available"] for tier, line in after["pool"].items()}
    bill_before = Decimal(str(before["monthly_bill"])).quantize(Decimal("0.01"))
    bill_after = Decimal(str(after["monthly_bill"])).quantize(Decimal("0.01"))
    return [
        (f"{' and '.join(USERS)} hold Eco (were Pro)", all(tiers.get(u) == "Eco" for u in USERS)),
        (
            f"the old Pro licenses are deleted (Pro total {pro_before['total']} → {pro_after['total']})",
            pro_after["total"] == pro_before["total"] - len(USERS),
        ),
        (
            "no free license left behind (free before → after: "
            + ", ".join(f"{t} {free_before[t]} → {n}" for t, n in free.items())
            + ")",
            all(n <= free_before[t] for t, n in free.items()) and free["Pro"] == 0,
        ),
        (
            f"monthly bill {money(bill_before, dialect)} → {money(bill_after, dialect)} "
            f"({money(EXPECTED_DELTA, dialect)} expected: one free Eco used, one bought)",
            bill_after - bill_before == EXPECTED_DELTA,
        ),
    ]


def run(args: argparse.Namespace) -> int:
    from fake_portal.testing import PortalServer

    # The fake payment provider's test card, for the French portal's card form (never shown).
    os.environ.setdefault("PORTAL_CARD_NUMBER", TEST_CARD)
    try:
        ws = Workspace.open()
        plans = [ws.plan("downgrade_license.yaml", {"user_email": u, "target_tier": "Eco"}) for u in USERS]
    except LoadError as err:
        print_diagnostics(err.diagnostics)
        return EXIT_INVALID
    redactor = Redactor(set().union(*(p.secrets for p in plans)))
    run_dir = RunDirectory.create(
        "demo", path=args.artifacts, redactor=redactor, title="Demo: downgrade Pro → Eco"
    )
    with PortalServer(seed="demo", dialect=args.dialect) as portal:
        print(f"fake portal ({args.dialect}) at {portal.url}; downgrading {' and '.join(USERS)} from Pro to Eco")
        before = portal.state()
        try:
            results = asyncio.run(
                run_session(
                    ws,
                    [(f"downgrade_{u.split('@')[0]}", p) for u, p in zip(USERS, plans, strict=True)],
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
    passed = len(results) == 1 + len(USERS) and all(r.status != "failed" for r in results)
    checks = state_checks(before, after, args.dialect)
    print("portal state after the run:")
    for text, ok in checks:
        print(f"  {'✓' if ok else '✗'} {text}")
    print(f"report: {run_dir.report.path.resolve()}")
    if not passed or not all(ok for _, ok in checks):
        print("demo FAILED", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
