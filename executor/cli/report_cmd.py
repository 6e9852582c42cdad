"""`runbook report merge DIR...`: the results of QA runs (xdist workers, shards from other machines)
as one HTML report and one JUnit XML.

Reads every `runbook-results.jsonl` under the folders given (the pytest plugin's
`--runbook-artifacts` folders, as copied from each shard), applies the merge rules
(`executor.listeners.results_merge`: every item once, shards of one run), links the evidence into
`--output` and writes `report.html` and `junit.xml` there.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from executor.cli.common import EXIT_FAILED, EXIT_INVALID, EXIT_OK
from executor.listeners.results_file import ResultsFileError
from executor.listeners.results_merge import (
    MergeError,
    durations,
    find_results,
    merge,
    place_evidence,
    read_all,
    write_reports,
)

NAME = "report"
DEFAULT_OUTPUT = Path("reports/merged")
EXAMPLES = """\
examples:
  # CI, one job per shard (each its own artifacts folder, stored by the CI):
  pytest runbooks/ --runbook-fake-portal --splits 2 --group 1 --runbook-artifacts shard1
  pytest runbooks/ --runbook-fake-portal --splits 2 --group 2 --runbook-artifacts shard2
  # then one job with every shard's folder:
  runbook report merge shard1/ shard2/ --output reports/merged
  runbook report merge shard*/ --store-durations .test_durations   # pytest-split's timings, from this run

exit codes: 0 every example passed or was skipped, 1 an example failed, 2 invalid input
(no results, an unreadable file, an example in two runs, folders that are not shards of one run)
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        NAME,
        help="QA reports: merge the results of pytest runs (xdist workers, shards) into one",
        description="Reports of QA runs (the pytest plugin's results files).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="report_command", metavar="ACTION", required=True)
    m = actions.add_parser(
        "merge",
        help="one HTML report and one JUnit XML from the results in DIR...",
        description="Merge the runbook results found in DIR... (recursively) into one HTML report and one "
        "JUnit XML, every example once; the evidence is hard-linked (or copied) into --output.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    m.add_argument("inputs", nargs="+", type=Path, metavar="DIR", help="folders (or results files) to merge")
    m.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        metavar="DIR",
        help=f"where report.html, junit.xml and evidence/ go (default {DEFAULT_OUTPUT})",
    )
    m.add_argument(
        "--store-durations",
        type=Path,
        default=None,
        metavar="FILE",
        help="also update pytest-split's durations file (node id -> seconds) with the merged examples' times",
    )
    m.set_defaults(func=run)


def _invalid(message: str, hint: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    if hint:
        print(f"  hint: {hint}", file=sys.stderr)
    return EXIT_INVALID


def _store_durations(path: Path, times: dict[str, float]) -> None:
    """Merged into the file's entries (pytest-split keeps the tests it did not see)."""
    try:
        known = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except ValueError:
        known = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({**(known if isinstance(known, dict) else {}), **times}, sort_keys=True, indent=4)
    )


def run(args: argparse.Namespace) -> int:
    output: Path = args.output
    try:
        merged = merge(read_all(find_results(args.inputs)))
    except ResultsFileError as err:
        return _invalid(str(err), err.hint)
    except MergeError as err:
        return _invalid(str(err), err.hint)
    merged = place_evidence(merged, output)
    report, junit = output / "report.html", output / "junit.xml"
    write_reports(merged, report, junit)
    if args.store_durations is not None:
        _store_durations(args.store_durations, durations(merged))
    for warning in merged.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    failed = [i for i in merged.items if i.outcome == "failed"]
    for item in failed:
        print(f"FAILED {item.nodeid} - {item.message}")
    print(merged.summary())
    print(f"report: {report}\njunit: {junit}")
    return EXIT_FAILED if failed else EXIT_OK
