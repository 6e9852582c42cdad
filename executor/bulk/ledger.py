"""The results ledger: one line per input row, from the journal (`results.csv`), and the summary
numbers the report and `runbook status` show.

results.csv also carries the input's extra columns (those that name no param: a name, a
department), after its own, so a person reads each row's outcome beside what identifies it. The
journal holds params only; the extra cells are read again from the run folder's copy of the input.
"""

from __future__ import annotations

import csv
import os
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from executor.bulk.journal import Journal, RowRecord

COLUMNS = ("row", "key", "status", "reason", "before", "after", "worker", "attempts", "screenshots")
# Failures first: a person reads the top of the file.
ORDER = {"attention": 0, "failed": 1, "pending": 2, "running": 3, "skipped": 4, "changed": 5, "unchanged": 6}


def screenshots_of(rec: RowRecord) -> list[Path]:
    if not rec.artifacts:
        return []
    folder = Path(rec.artifacts)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in (".png", ".jpg", ".jpeg"))


@dataclass(frozen=True)
class Extras:
    """The input's extra columns and, per row number, their cells."""

    columns: tuple[str, ...] = ()
    cells: Mapping[int, Sequence[str]] = field(default_factory=dict)


def input_extras(run_folder: Path) -> Extras:
    """The extra columns of the run's input, read again from its copy (`input.csv`) with the
    runbook and the `--param`/`--sheet` values of `run.json`. Extras() when there is nothing to
    read; a warning on stderr when reading fails (results.csv is written anyway)."""
    # Imported here: the runner imports this module, and these bring the loaders and the workspace.
    from executor.bulk.rows import InputError, read_rows
    from executor.bulk.rundir import BulkRunDir
    from executor.load.diagnostics import LoadError
    from executor.workspace import Workspace

    rundir = BulkRunDir(run_folder)
    if not rundir.has_run() or not rundir.input_copy.is_file():
        return Extras()
    try:
        info = rundir.read_run()
        runbook = Workspace.open().runbook(info.runbook)  # the runner's own lookup (resume does the same)
        rowset = read_rows(rundir.input_copy, runbook, info.params, sheet=info.sheet, notify=None)
    except (OSError, ValueError, TypeError, LoadError, InputError) as err:
        print(f"warning: results.csv without the input's extra columns: {err}", file=sys.stderr)
        return Extras()
    return Extras(rowset.extra_columns, {r.number: r.extra for r in rowset.rows})


def _extra_names(columns: Sequence[str]) -> list[str]:
    # An input column named like one of the ledger's ("status") must not pass for it.
    return [f"input.{name}" if name in COLUMNS else name for name in columns]


def write_results(journal: Journal, path: Path, extras: Extras | None = None) -> Path:
    """results.csv at `path`: the ledger's columns, then the input's extra columns (default: read
    from the run folder `path` is in, see input_extras)."""
    if extras is None:
        extras = input_extras(path.parent)
    blank = [""] * len(extras.columns)
    rows = sorted(journal.rows(), key=lambda r: (ORDER.get(r.status, 9), r.row))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow([*COLUMNS, *_extra_names(extras.columns)])
        for r in rows:
            shots = [os.path.relpath(p, path.parent) for p in screenshots_of(r)]
            out.writerow(
                [r.row, r.key, r.status, r.reason or "", r.before or "", r.after or "", r.worker or "", r.attempts,
                 " ".join(shots), *map(inert, extras.cells.get(r.row, blank))]  # fmt: skip
            )
    return path


# A cell a spreadsheet would run as a formula when results.csv is opened (CSV injection, OWASP):
# the input's extra columns are someone else's text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(cell: str) -> str:
    """The cell as text a spreadsheet shows rather than computes: a leading ' when it starts like
    a formula (a number such as -3 stays a number)."""
    text = str(cell)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Summary:
    rows: int
    counts: Counter[str]
    ops: Counter[str] = field(default_factory=Counter)  # "purchase done", "remove unknown", ...
    bought: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    verified: int = 0
    unknown: int = 0

    @property
    def finished(self) -> int:
        return sum(self.counts[s] for s in ("changed", "unchanged", "failed", "attention", "skipped"))

    @property
    def ok(self) -> bool:
        return (
            self.finished == self.rows
            and not (self.counts["failed"] or self.counts["attention"])
            and self.unknown == 0
        )


def summarize(journal: Journal) -> Summary:
    rows = journal.rows()
    ops = journal.ops()
    op_counts: Counter[str] = Counter(f"{op.kind} {op.outcome or 'unknown'}" for op in ops)
    bought: Counter[str] = Counter()
    removed: Counter[str] = Counter()
    for op in ops:
        if op.outcome == "done" and op.tier:
            if op.kind == "purchase":
                bought[op.tier] += int(op.quantity or 0)
            elif op.kind == "remove":
                removed[op.tier] += int(op.quantity or 0)
    return Summary(
        rows=len(rows),
        counts=Counter(r.status for r in rows),
        ops=op_counts,
        bought=dict(bought),
        removed=dict(removed),
        verified=sum(1 for op in ops if op.verified),
        unknown=sum(1 for op in ops if op.outcome is None),
    )


def status_lines(journal: Journal, *, events: int = 10) -> Sequence[str]:
    """What `runbook status` prints."""
    s = summarize(journal)
    done = s.finished
    lines = [
        f"rows: {s.rows} total, {done} finished ({done * 100 // max(s.rows, 1)}%)",
        "  " + ", ".join(f"{n} {k}" for k, n in sorted(s.counts.items(), key=lambda kv: ORDER.get(kv[0], 9))),
    ]
    if s.ops:
        lines.append("operations: " + ", ".join(f"{n} {k}" for k, n in sorted(s.ops.items())))
    if s.bought or s.removed:
        lines.append(
            "licenses: bought "
            + (", ".join(f"{n} {t}" for t, n in s.bought.items()) or "none")
            + "; removed "
            + (", ".join(f"{n} {t}" for t, n in s.removed.items()) or "none")
        )
    lines.append(f"outcomes read from the portal: {s.verified}; unknown now: {s.unknown}")
    for op in journal.unknown_ops():
        lines.append(f"  unknown: op {op.id} {op.kind} {op.tier or ''} {op.quantity or ''} row {op.row or '-'}: {dict(op.intent)}")
    for rec in journal.rows("failed", "attention")[:20]:
        lines.append(f"  row {rec.row} {rec.key}: {rec.status}: {rec.reason or ''}")
    recent = journal.events(events)
    if recent:
        lines.append("last events:")
        import time

        for at, kind, row, detail in recent:
            stamp = time.strftime("%H:%M:%S", time.localtime(at))
            lines.append(f"  {stamp} {kind}{f' row {row}' if row else ''}: {detail}")
    return lines
