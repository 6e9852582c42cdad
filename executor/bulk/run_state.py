"""What a strategy works with during a bulk session, and the few things every strategy does the
same way: finishing a row (journal, event, circuit breaker), the canary gate, retry decisions."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from executor.bulk.journal import Journal, RowStatus
from executor.bulk.page_memory import DEFAULT_HEAP_MB
from executor.bulk.row_events import BulkNote, RowFinished, publish
from executor.bulk.rows import InputRow
from executor.bulk.rundir import BulkRunDir
from executor.bulk.safety import Ask, CircuitBreaker, Gate, confirm
from executor.bulk.workers import WorkerPool
from executor.engine import JobResult
from executor.events import Bus
from executor.model.runbook import Runbook
from executor.workspace import Workspace


@dataclass(frozen=True)
class BulkSettings:
    workers: int = 1  # in all; spread over the browsers round robin
    workers_per_server: int | None = None  # instead: this many in each browser
    recycle_every: int = 50  # a worker's context is opened afresh after this many jobs (0: never)
    recycle_heap_mb: float = DEFAULT_HEAP_MB  # ... or once its page's JS heap passes this (0: no bound)
    canary: int = 0
    yes: bool = False
    max_failures: int = 3
    max_failure_rate: float | None = None
    rate_limit: float | None = None
    attempts: int = 3  # per row / operation, when the portal shows it did not happen
    interactive: bool = False


@dataclass
class BulkRun:
    ws: Workspace
    runbook: Runbook
    rows: Mapping[int, InputRow]
    journal: Journal
    rundir: BulkRunDir
    pool: WorkerPool
    gate: Gate
    bus: Bus
    settings: BulkSettings
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    ask: Ask | None = None
    session: int = 1  # 1 for the first run, +1 per resume
    retries: int = 0  # jobs tried again (not done, or after a session expiry)
    verifications: int = 0  # unknown outcomes resolved by reading the portal
    _seq: Counter[str] = field(default_factory=Counter)

    def job_id(self, name: str) -> str:
        """Unique over the whole run (sessions included): one report section and folder per job."""
        self._seq[name] += 1
        return f"{name}-s{self.session}-{self._seq[name]}"

    def note(self, level: str, message: str) -> None:
        publish(self.bus, BulkNote(level, message))
        self.journal.event(level, message)

    def stop(self, reason: str) -> None:
        if not self.gate.stopping:
            self.note("error", f"stopping: {reason}")
        self.gate.stop(reason)

    def finish_row(
        self,
        row: int,
        status: RowStatus,
        reason: str = "",
        *,
        worker: str = "",
        before: str | None = None,
        after: str | None = None,
        artifacts: Path | None = None,
        count: bool = True,
    ) -> None:
        self.journal.finish_row(
            row, status, reason or None, before=before, after=after, artifacts=str(artifacts) if artifacts else None
        )
        key = self.rows[row].key if row in self.rows else str(row)
        publish(self.bus, RowFinished(row, key, status, reason, worker))
        if count:
            verdict = self.breaker.record(status in ("changed", "unchanged", "skipped"))
            if verdict is not None:
                self.stop(verdict)

    async def canary_passed(self, rows: Sequence[int]) -> bool:
        """After the canary rows: go on only if each passed, and with --yes or an operator's yes."""
        bad = [r for r in rows if self.journal.row(r).status not in ("changed", "unchanged")]
        if bad:
            self.stop(f"canary: {len(bad)} of {len(rows)} rows did not pass (rows {', '.join(map(str, bad[:10]))})")
            return False
        self.note("info", f"canary: all {len(rows)} rows passed")
        question = f"The {len(rows)} canary rows passed. Continue with the remaining rows?"
        if await asyncio.to_thread(confirm, question, assume_yes=self.settings.yes, ask=self.ask):
            return True
        self.stop("stopped after the canary (not confirmed)")
        return False


def failed_at_fail_step(result: JobResult) -> bool:
    """The runbook refused on its own (`fail:` precondition, in a shared piece too): trying again
    gives the same answer. The first step to fail is the cause (a `use` or `repeat` fails after it)."""
    failed = next((s for s in result.steps if s.status == "failed"), None)
    return failed is not None and failed.action == "fail"


def split_canary(rows: Sequence[int], canary: int) -> list[list[int]]:
    if canary <= 0 or canary >= len(rows):
        return [list(rows)] if rows else []
    return [list(rows[:canary]), list(rows[canary:])]
