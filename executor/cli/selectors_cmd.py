"""`runbook selectors check`: visit the catalogue's pages and say, per entry, how it resolves.

QA's drift detector: run it before a bulk run (or nightly) and a renamed label shows up as
"matched by fallback 2" (still works, worth updating) or "missing" (a run would fail there).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import BrowserContext
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from executor.cli.common import EXIT_FAILED, EXIT_INVALID, EXIT_OK, print_diagnostics
from executor.cli.engine_options import add_auth_options, add_browser_options, engine_options
from executor.load.diagnostics import LoadError
from executor.locate import LocatorAmbiguous, LocatorError, resolve
from executor.model.catalogue import Catalogue, CatalogueEntry
from executor.model.runbook import TargetRef
from executor.redaction import Redactor
from executor.session import Auth, run_in_scratch
from executor.workspace import Workspace

NAME = "selectors"
EXAMPLES = """\
examples:
  runbook selectors check --base-url http://127.0.0.1:8080 --login-as admin@acme.example
  runbook selectors check --base-url https://portal.example --auth-state ~/.se-state.json --page licenses

Statuses: matched (first candidate), fallback N/M (a later candidate matched: the portal's wording
changed or differs), missing, ambiguous (more than one element), skipped (shown only after an
interaction, `check: false` in the catalogue).
exit codes: 0 every required entry resolves, 1 one does not, 2 invalid input
"""

RESOLVE_TIMEOUT_MS = 1500


@dataclass(frozen=True)
class EntryCheck:
    entry: str
    page: str
    status: str  # matched | fallback | missing | ambiguous | skipped
    detail: str
    required: bool

    @property
    def failed(self) -> bool:
        return self.required and self.status in ("missing", "ambiguous")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        NAME,
        help="check the selector catalogue against a portal",
        description="Work with the selector catalogue.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    inner = p.add_subparsers(dest="selectors_command", metavar="ACTION", required=True)
    c = inner.add_parser(
        "check",
        help="visit the catalogue's pages and report how every entry resolves",
        description="Visit each catalogue page and resolve its entries: matched, fallback N, missing, ambiguous.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_browser_options(c)
    add_auth_options(c)
    c.add_argument(
        "--page", action="append", default=[], metavar="NAME", help="only these pages (repeatable)"
    )
    c.add_argument("--selectors", type=Path, metavar="DIR")
    c.add_argument(
        "--all", action="store_true", help="also list the entries skipped (shown only after an interaction)"
    )
    c.set_defaults(func=run)


async def check_catalogue(
    context: BrowserContext, catalogue: Catalogue, pages: list[str]
) -> list[EntryCheck]:
    page = context.pages[0] if context.pages else await context.new_page()
    checks: list[EntryCheck] = []
    for name, cat_page in catalogue.pages.items():
        if pages and name not in pages:
            continue
        entries = [e for e in catalogue.entries.values() if e.page == name]
        if cat_page.path is None:
            checks += [
                EntryCheck(e.name, name, "skipped", "the page has no path", e.required) for e in entries
            ]
            continue
        await page.goto(cat_page.path)
        for entry in entries:
            checks.append(await _check_entry(page, catalogue, entry))
    return checks


async def _check_entry(page, catalogue: Catalogue, entry: CatalogueEntry) -> EntryCheck:  # type: ignore[no-untyped-def]
    if not entry.check:
        return EntryCheck(
            entry.name, entry.page, "skipped", "shown only after an interaction", entry.required
        )
    ref = TargetRef(entry=entry.name, args=dict(entry.example_args))
    try:
        found = await resolve(page, catalogue, ref, timeout_ms=RESOLVE_TIMEOUT_MS)
    except LocatorAmbiguous as err:
        return EntryCheck(entry.name, entry.page, "ambiguous", str(err), entry.required)
    except LocatorError as err:
        return EntryCheck(entry.name, entry.page, "missing", str(err), entry.required)
    if found.fallback:
        detail = f"fallback {found.candidate_index + 1} of {found.candidate_count}: {found.description}"
        return EntryCheck(entry.name, entry.page, "fallback", detail, entry.required)
    return EntryCheck(entry.name, entry.page, "matched", found.description, entry.required)


STYLES = {
    "matched": "green",
    "fallback": "yellow",
    "missing": "bold red",
    "ambiguous": "bold red",
    "skipped": "dim",
}


def print_checks(checks: list[EntryCheck], console: Console, *, show_skipped: bool = False) -> None:
    table = Table(title="Selector catalogue check", show_lines=False)
    for column in ("entry", "status", "detail"):
        table.add_column(column, overflow="fold")
    order = {"missing": 0, "ambiguous": 0, "fallback": 1, "matched": 2, "skipped": 3}
    for c in sorted(checks, key=lambda c: (order[c.status], c.entry)):
        if c.status == "skipped" and not show_skipped:
            continue
        status = (
            c.status if c.required or c.status not in ("missing", "ambiguous") else f"{c.status} (optional)"
        )
        table.add_row(escape(c.entry), f"[{STYLES[c.status]}]{status}[/]", escape(c.detail))
    console.print(table)
    counts: dict[str, int] = {}
    for c in checks:
        counts[c.status] = counts.get(c.status, 0) + 1
    console.print(", ".join(f"{n} {status}" for status, n in sorted(counts.items())))


def run(args: argparse.Namespace) -> int:
    try:
        ws = Workspace.open(selectors=args.selectors)
    except LoadError as err:
        print_diagnostics(err.diagnostics)
        return EXIT_INVALID
    unknown = [p for p in args.page if p not in ws.catalogue.pages]
    if unknown:
        print(f"error: unknown page(s) {', '.join(unknown)}; pages: {', '.join(ws.catalogue.pages)}")
        return EXIT_INVALID
    checks: list[EntryCheck] = []

    async def after(context: BrowserContext) -> None:
        checks.extend(await check_catalogue(context, ws.catalogue, args.page))

    results = run_in_scratch(
        ws,
        name="selectors",
        base_url=args.base_url,
        auth=Auth(state_file=args.auth_state, login_as=args.login_as),
        options=engine_options(args, Redactor()),
        after=after,
    )
    if results and results[-1].status == "failed":
        print(f"error: login failed: {results[-1].error}")
        return EXIT_FAILED
    print_checks(checks, Console(), show_skipped=args.all)
    return EXIT_FAILED if any(c.failed for c in checks) else EXIT_OK
