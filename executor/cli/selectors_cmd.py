"""`runbook selectors check`: visit the catalogue's pages and say, per entry, how it resolves.

QA's drift detector: run it before a bulk run (or nightly) and a renamed label shows up as
"matched by fallback 2" (still works, worth updating) or "missing" (a run would fail there).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import BrowserContext, Page
from playwright.async_api import Error as PlaywrightError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from executor.cli.common import EXIT_FAILED, EXIT_INVALID, EXIT_OK, print_diagnostics
from executor.cli.engine_options import add_auth_options, add_browser_options, browser_settings, engine_options
from executor.load.diagnostics import LoadError
from executor.engine.candidates import describe
from executor.engine.locate import LocatorAmbiguous, LocatorError, resolve
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

  runbook selectors check --base-url URL --auth-state FILE --suggest review.yaml

Statuses: matched (first candidate), fallback N/M (a later candidate matched: the portal's wording
changed or differs), missing, ambiguous (more than one element), page error (the page answered
HTTP 4xx/5xx, or none of its paths opened), skipped (shown only after an interaction, `check: false`
in the catalogue). A missing or ambiguous entry lists the closest elements on the page as
candidates; --suggest writes them to a review file (never applied by itself).
exit codes: 0 every required entry resolves, 1 one does not, 2 invalid input
"""

RESOLVE_TIMEOUT_MS = 1500


@dataclass(frozen=True)
class EntryCheck:
    entry: str
    page: str
    status: str  # matched | fallback | missing | ambiguous | page error | skipped
    detail: str
    required: bool
    proposed: tuple[str, ...] = ()  # candidates to paste (missing, ambiguous)
    hints: tuple[str, ...] = ()
    url: str = ""

    @property
    def failed(self) -> bool:
        return self.required and self.status in ("missing", "ambiguous", "page error")


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
    c.add_argument(
        "--suggest",
        type=Path,
        metavar="FILE",
        help="write proposed candidates for every missing or ambiguous entry to FILE (YAML, for review; "
        "the catalogue is never changed)",
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
        if not cat_page.paths:
            checks += [
                EntryCheck(e.name, name, "skipped", "the page has no path", e.required) for e in entries
            ]
            continue
        problem = await _open(page, cat_page.paths)
        if problem is not None:
            # One cause for every entry of the page: say it once per entry, not "missing" x 30.
            checks += [EntryCheck(e.name, name, "page error", problem, e.required) for e in entries]
            continue
        for entry in entries:
            checks.append(await _check_entry(page, catalogue, entry))
    return checks


async def _open(page: Page, paths: tuple[str, ...]) -> str | None:
    """Open the first of `paths` that answers below 400; why none did, or None."""
    answers: list[str] = []
    for path in paths:
        try:
            response = await page.goto(path)
        except PlaywrightError as err:
            answers.append(f"{path}: {err.message.splitlines()[0]}")
            continue
        status = response.status if response is not None else 200
        if status < 400:
            return None
        answers.append(f"{path}: HTTP {status}")
    return "the page did not open (" + "; ".join(answers) + ")"


async def _check_entry(page: Page, catalogue: Catalogue, entry: CatalogueEntry) -> EntryCheck:
    if not entry.check:
        return EntryCheck(
            entry.name, entry.page, "skipped", "shown only after an interaction", entry.required
        )
    ref = TargetRef(entry=entry.name, args=dict(entry.example_args))
    try:
        found = await resolve(page, catalogue, ref, timeout_ms=RESOLVE_TIMEOUT_MS)
    except LocatorError as err:
        status = "ambiguous" if isinstance(err, LocatorAmbiguous) else "missing"
        # Nothing close by name (a label reworded or translated): the elements of the wanted role
        # where it should be are the candidates to review.
        found = err.diagnosis.suggestions or err.diagnosis.same_role
        proposed = tuple(s.candidate() for s in found)
        return EntryCheck(
            entry.name, entry.page, status, str(err), entry.required, proposed, err.diagnosis.hints, page.url
        )
    if found.fallback:
        detail = f"fallback {found.candidate_index + 1} of {found.candidate_count}: {found.description}"
        return EntryCheck(entry.name, entry.page, "fallback", detail, entry.required)
    return EntryCheck(entry.name, entry.page, "matched", found.description, entry.required)


def review_file(checks: list[EntryCheck], catalogue: Catalogue) -> str:
    """The `--suggest` file: per missing or ambiguous entry, where it is defined, what was tried
    and the candidates the page offers. For a person to review; never applied by itself."""
    lines = [
        "# Proposed candidates for the entries `runbook selectors check` could not resolve.",
        "# Review each one, then add the right candidate to the entry's file (keep the old ones:",
        "# other tenants may still show them). Nothing here is applied by itself.",
    ]
    for c in checks:
        if c.status not in ("missing", "ambiguous"):
            continue
        entry = catalogue.entries[c.entry]
        lines += [
            "",
            f"{c.entry}:",
            f"  defined_at: {json.dumps(str(entry.source))}",
            f"  status: {c.status}",
            f"  seen_on: {json.dumps(c.url)}",
            "  tried:",
            *[f"    - {json.dumps(describe(cand))}" for cand in entry.candidates],
            "  proposed:" if c.proposed else "  proposed: []  # nothing close on the page",
            *[f"    - {p}" for p in c.proposed],
            *[f"  # {h}" for h in c.hints],
        ]
    return "\n".join(lines) + "\n"


STYLES = {
    "matched": "green",
    "fallback": "yellow",
    "missing": "bold red",
    "ambiguous": "bold red",
    "page error": "bold red",
    "skipped": "dim",
}


def print_checks(checks: list[EntryCheck], console: Console, *, show_skipped: bool = False) -> None:
    table = Table(title="Selector catalogue check", show_lines=False)
    for column in ("entry", "status", "detail"):
        table.add_column(column, overflow="fold")
    order = {"page error": 0, "missing": 0, "ambiguous": 0, "fallback": 1, "matched": 2, "skipped": 3}
    for c in sorted(checks, key=lambda c: (order[c.status], c.entry)):
        if c.status == "skipped" and not show_skipped:
            continue
        status = (
            c.status
            if c.required or c.status not in ("missing", "ambiguous", "page error")
            else f"{c.status} (optional)"
        )
        detail = c.detail + "".join(f"\n  try {p}" for p in c.proposed)
        table.add_row(escape(c.entry), f"[{STYLES[c.status]}]{status}[/]", escape(detail))
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
        settings=browser_settings(args),
    )
    if results and results[-1].status == "failed":
        print(f"error: login failed: {results[-1].error}")
        return EXIT_FAILED
    print_checks(checks, Console(), show_skipped=args.all)
    if args.suggest is not None:
        args.suggest.parent.mkdir(parents=True, exist_ok=True)
        args.suggest.write_text(review_file(checks, ws.catalogue), encoding="utf-8")
        print(f"proposed candidates for review: {args.suggest}")
    return EXIT_FAILED if any(c.failed for c in checks) else EXIT_OK
