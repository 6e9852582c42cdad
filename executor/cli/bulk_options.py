"""Options of bulk runs (`run --input`, `plan --input`, `resume`), and the request they build."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from executor.bulk.page_memory import DEFAULT_HEAP_MB
from executor.bulk.run_state import BulkSettings
from executor.bulk.runner import BulkRequest
from executor.bulk.safety import interactive
from executor.cli.engine_options import browser_settings, engine_options
from executor.redaction import Redactor


def _rate(text: str) -> float:
    """0.1, 10% -> 0.1."""
    value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("a failure rate is between 0 and 1 (or 0% and 100%)")
    return value


INPUT_HELP = (
    "one job per row; columns named after the runbook's params give its params, other columns are kept "
    "in results.csv. A CSV (UTF-8 with or without BOM, or Windows-1252 with a warning; ',', ';' or tab; "
    "CRLF or LF) or an .xlsx workbook (values, not formulas; the first sheet, or --sheet). docs/bulk.md"
)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def add_bulk_options(p: argparse.ArgumentParser, *, resume: bool = False) -> None:
    g = p.add_argument_group("bulk runs")
    if not resume:
        g.add_argument("--input", type=Path, metavar="FILE", help=INPUT_HELP)
        g.add_argument("--sheet", metavar="NAME", help="the sheet of an .xlsx --input (default: the first)")
        g.add_argument(
            "--strategy",
            choices=["aggregate", "per-row"],
            help="aggregate: buy, reassign and remove in bulk (downgrade_license); per-row: one job per row "
            "(default: aggregate when the runbook has one)",
        )
        g.add_argument("--run-dir", type=Path, metavar="DIR", help="the run folder (default: runs/<time>-<runbook>-bulk/)")
        g.add_argument("--dry-run", action="store_true", help="read the portal and print the plan; change nothing")
        g.add_argument("--canary", type=int, default=0, metavar="K", help="run K rows first, then stop for confirmation")
    g.add_argument(
        "--workers", type=_positive, default=1, metavar="N",
        help="browser contexts working in parallel, spread over the browser servers if several",
    )
    g.add_argument(
        "--workers-per-server", type=_positive, metavar="N", help="instead of --workers: N contexts in each browser server"
    )
    g.add_argument(
        "--recycle-every", type=int, default=50, metavar="N",
        help="open a worker's browser context afresh after N jobs, at a row boundary (default 50; 0: never): "
        "a long-lived page keeps growing",
    )
    g.add_argument(
        "--recycle-heap-mb", type=float, default=DEFAULT_HEAP_MB, metavar="MB",
        help=f"... or as soon as its page's JavaScript heap passes MB (default {DEFAULT_HEAP_MB:g}; 0: no bound)",
    )
    g.add_argument(
        "--trace-snapshots", action="store_true",
        help="a failed row's trace also holds DOM snapshots, network and screencast (default: actions, "
        "console and errors only; the full trace makes a run about 1.6x slower)",
    )
    g.add_argument("--yes", action="store_true", help="confirm the plan (and a passed canary) without asking")
    g.add_argument(
        "--max-failures", type=int, default=3, metavar="N", help="stop after N rows failed in a row (default 3; 0: never)"
    )
    g.add_argument(
        "--max-failure-rate", type=_rate, metavar="R", help="stop when more than R of the rows failed (after 10 rows)"
    )
    g.add_argument(
        "--attempts", type=_positive, default=3, metavar="N",
        help="tries per row and per purchase or removal, when the portal shows the last one did not happen (default 3)",
    )  # fmt: skip
    g.add_argument("--rate-limit", type=float, metavar="PER_S", help="at most this many page actions per second")


def bulk_request(args: argparse.Namespace, *, runbook: Path, dry_run: bool, params: dict[str, Any]) -> BulkRequest:
    engine = replace(engine_options(args, Redactor()), trace_snapshots=getattr(args, "trace_snapshots", False))
    return BulkRequest(
        runbook=runbook,
        input=getattr(args, "input", None) or Path(),
        base_url=getattr(args, "base_url", None) or "",
        params=dict(params),
        sheet=getattr(args, "sheet", None),
        settings=BulkSettings(
            workers=args.workers,
            workers_per_server=getattr(args, "workers_per_server", None),
            recycle_every=getattr(args, "recycle_every", 50),
            recycle_heap_mb=getattr(args, "recycle_heap_mb", DEFAULT_HEAP_MB),
            canary=getattr(args, "canary", 0),
            yes=args.yes,
            max_failures=args.max_failures,
            attempts=getattr(args, "attempts", 3),
            max_failure_rate=args.max_failure_rate,
            rate_limit=args.rate_limit,
            interactive=interactive(),
        ),
        dry_run=dry_run,
        strategy=getattr(args, "strategy", None),
        run_dir=getattr(args, "run_dir", None) or getattr(args, "artifacts", None),
        login_as=getattr(args, "login_as", None),
        auth_state=getattr(args, "auth_state", None),
        selectors=getattr(args, "selectors", None),
        engine=engine,
        browser=browser_settings(args),
    )
