"""The results ledger: one line per input row, from the journal (`results.csv`), and the summary
numbers the report and `runbook status` show."""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Sequence
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


def write_results(journal: Journal, path: Path) -> Path:
    rows = sorted(journal.rows(), key=lambda r: (ORDER.get(r.status, 9), r.row))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(COLUMNS)
        for r in rows:
            shots = [os.path.relpath(p, path.parent) for p in screenshots_of(r)]
            out.writerow(
                [r.row, r.key, r.status, r.reason or "", r.before or "", r.after or "", r.worker or "", r.attempts,
                 " ".join(shots)]
            )
    return path


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
