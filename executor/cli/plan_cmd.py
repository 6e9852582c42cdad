"""`runbook plan`: the evaluated, redacted steps a run would take, with no browser."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from executor.cli.engine_options import add_auth_options
from executor.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    add_selectors_option,
    print_diagnostics,
    resolve_runbook,
    selectors_dir,
)
from executor.load.catalogue_loader import load_catalogue
from executor.load.diagnostics import LoadError
from executor.load.runbook_loader import infer_runbooks_root, load_runbook, plain
from executor.load.yaml_source import read_yaml
from executor.plan import PlanError, build_plan, describe_plan, plan_table
from executor.redaction import MASK, Redactor

NAME = "plan"
EXAMPLES = """\
examples:
  runbook plan downgrade_license --param user_email=user03@acme.example --param target_tier=Eco
  runbook plan runbooks/downgrade_license.yaml --params-file params.yaml --table

Secret params are shown as ***. Params with `env:` are read from the environment when not given.
exit codes: 0 planned, 2 invalid runbook or params
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        NAME,
        help="show the steps a run would take, params evaluated (no browser)",
        description="Load a runbook, check and evaluate its params, and print the planned steps.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("runbook", metavar="RUNBOOK", help="a runbook file, or a name in runbooks/")
    add_param_options(p)
    p.add_argument(
        "--runbooks-root",
        type=Path,
        metavar="DIR",
        help="the folder holding _shared/ (default: found from the file)",
    )
    p.add_argument(
        "--table", action="store_true", help="print a table (default when the output is a terminal)"
    )
    add_selectors_option(p)
    bulk = p.add_argument_group("a bulk plan (--input): reads the portal, changes nothing")
    bulk.add_argument(
        "--input",
        type=Path,
        metavar="FILE",
        help="plan a bulk run of these rows (needs --base-url): a CSV or an .xlsx, as for `run --input`",
    )
    bulk.add_argument("--sheet", metavar="NAME", help="the sheet of an .xlsx --input (default: the first)")
    bulk.add_argument("--base-url", metavar="URL", help="the portal to read")
    bulk.add_argument("--workers", type=int, default=1, metavar="N")
    bulk.add_argument("--strategy", choices=["aggregate", "per-row"])
    bulk.add_argument("--run-dir", type=Path, metavar="DIR", help="where the plan is written")
    add_auth_options(p)
    p.set_defaults(func=run)


def add_param_options(p: argparse.ArgumentParser) -> None:
    """--param k=v (repeatable) and --params-file: shared with `run`."""
    p.add_argument(
        "--param", "-p", action="append", default=[], metavar="K=V", help="a param value (repeatable)"
    )
    p.add_argument(
        "--params-file", type=Path, metavar="FILE", help="a YAML mapping of param values (--param wins)"
    )


def collect_params(args: argparse.Namespace) -> dict[str, Any]:
    """Params from --params-file then --param; raises ValueError with a message for the user."""
    params: dict[str, Any] = {}
    if args.params_file is not None:
        doc = read_yaml(args.params_file)
        if not doc.ok:
            raise LoadError(doc.problems)
        if doc.data is not None and not isinstance(doc.data, dict):
            raise ValueError(f"{args.params_file}: a params file is a mapping of name: value")
        params.update(plain(doc.data or {}))
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--param {item!r}: write name=value")
        params[name.strip()] = value
    return params


def run(args: argparse.Namespace) -> int:
    path = resolve_runbook(args.runbook)
    if args.input is not None:
        return _bulk_plan(args, path)
    root = args.runbooks_root or infer_runbooks_root(path)
    try:
        catalogue = load_catalogue(selectors_dir(args.selectors, root))
        runbook = load_runbook(path, catalogue, runbooks_root=root)
        params = collect_params(args)
        plan = build_plan(runbook, params, catalogue=catalogue, runbooks_root=root, env=os.environ)
    except LoadError as err:
        print_diagnostics(err.diagnostics)
        return EXIT_INVALID
    except PlanError as err:
        print(f"error: cannot plan {path}:", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_INVALID
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    redactor = Redactor(plan.secrets)
    print(f"Plan for {runbook.name} ({path})")
    for p in runbook.params:
        value = plan.params.get(p.name)
        shown = MASK if p.secret and value not in (None, "") else repr(value)
        print(f"  params.{p.name} = {redactor.redact(shown)}")
    if args.table or sys.stdout.isatty():
        from rich.console import Console

        Console().print(plan_table(plan, redactor))
    else:
        print("\n".join(describe_plan(plan, redactor)))
    if plan.outputs:
        print("outputs: " + ", ".join(plan.outputs))
    return EXIT_OK


def _bulk_plan(args: argparse.Namespace, path: Path) -> int:
    """`runbook plan RUNBOOK --input rows.csv --base-url URL` = `runbook run ... --dry-run`."""
    from executor.bulk.runner import run_bulk
    from executor.cli.bulk_options import bulk_request

    if not args.base_url:
        print("error: a bulk plan reads the portal: give --base-url", file=sys.stderr)
        return EXIT_INVALID
    try:
        params = collect_params(args)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    for name, value in {"yes": False, "max_failures": 3, "max_failure_rate": None, "rate_limit": None,
                        "canary": 0, "timeout": 10_000, "screenshots": "every_step", "trace": "retain-on-failure",
                        "headed": False, "slow_mo": 0}.items():
        if not hasattr(args, name):
            setattr(args, name, value)
    return run_bulk(bulk_request(args, runbook=path, dry_run=True, params=params))
