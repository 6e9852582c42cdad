"""The per-row strategy: any runbook, one job per CSV row, workers taking rows from a queue.

Each destructive step of a row's job gets an intent before its act and an outcome after it
(executor.bulk.op_watch). A row is `changed` when a destructive step completed, `unchanged` when
the job passed without one (a `done` step: the effect already held). A job that fails after a
destructive step started is never re-run blindly:
- its outcome is unknown, or it completed and a later step failed: `attention` (re-running the
  runbook could repeat it), unless re-running is safe (`rerun_is_safe`);
- a session expiry before any destructive step: the worker logs in again and the row is retried.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from executor.bulk.journal import OpRecord, RowStatus
from executor.bulk.op_watch import OpWatch, step_intent
from executor.bulk.planning import BulkPlan, RowPlan
from executor.bulk.row_events import PhaseStarted, publish
from executor.bulk.run_state import BulkRun, split_canary
from executor.bulk.workers import Worker, WorkerLost
from executor.engine import JobResult
from executor.model.plan import Plan
from executor.plan import iter_steps

NAME = "per-row"
MAX_EXPIRIES = 3  # per row: a session that keeps expiring is a problem of its own
# A row's job as a crash left it: failed, nothing more known.
INTERRUPTED = JobResult(
    job_id="", runbook="", status="failed", steps=(), duration_ms=0.0, artifacts_dir=Path("."),
    error="the run was interrupted",
)


@dataclass(frozen=True)
class RowVerdict:
    status: RowStatus
    reason: str


def classify(result: JobResult, ops: Sequence[OpRecord]) -> RowVerdict:
    """A row's status from its job and the operations its destructive steps journaled. Pure."""
    done = [op for op in ops if op.outcome == "done"]
    unknown = [op for op in ops if op.outcome is None]
    if result.status != "failed":
        if done:
            return RowVerdict("changed", "; ".join(str(op.intent.get("title", "")) for op in done))
        return RowVerdict("unchanged", result.done or "no destructive step ran")
    error = result.error or "failed"
    if unknown:
        title = unknown[0].intent.get("title", "")
        return RowVerdict("attention", f"'{title}' may or may not have happened: {error}")
    if done:
        titles = ", ".join(f"'{op.intent.get('title', '')}'" for op in done)
        return RowVerdict("attention", f"stopped after {titles} completed; re-running would repeat it: {error}")
    return RowVerdict("failed", error)


def rerun_is_safe(plan: Plan) -> bool:
    """Re-running a row whose destructive step has an unknown outcome is safe when the runbook has
    one destructive step and a `done` (desired-state) check before it: if the step happened, the
    check ends the job; if not, the step runs once."""
    seen_done = False
    destructive = 0
    for planned in iter_steps(plan.steps):
        if planned.step.action == "done":
            seen_done = seen_done or destructive == 0
        if planned.step.destructive:
            destructive += 1
    return destructive == 1 and seen_done


def before_after(outputs: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The ledger's "before" and "after": outputs named old_* / new_* (or before / after)."""
    before = next((str(v) for k, v in outputs.items() if (k.startswith("old_") or k == "before") and v), None)
    after = next((str(v) for k, v in outputs.items() if (k.startswith("new_") or k == "after") and v), None)
    return before, after


def dry_run_plan(row: int, key: str, result: JobResult) -> RowPlan:
    """What a row will do, from its dry-run job."""
    skipped = [s for s in result.steps if s.destructive and (s.reason or "").startswith("dry run")]
    if result.done is not None:
        return RowPlan(row, key, "unchanged", f"unchanged: {result.done}")
    if result.status == "failed" and not skipped:
        return RowPlan(row, key, "fail", f"will fail: {result.error}")
    titles = ", ".join(s.title for s in skipped) or "no destructive step"
    text = f"will run: {titles}"
    if result.status == "failed":
        text += f" (the dry run stopped at step {result.failed_step}, which needs the changes before it)"
    return RowPlan(row, key, "run", text)


class PerRow:
    def __init__(self, run: BulkRun, plans: Mapping[int, Plan]) -> None:
        self.run = run
        self.plans = plans  # a plan per row, made when the input was validated

    async def dry_run(self) -> BulkPlan:
        rows: dict[int, RowPlan] = {}

        async def one(worker: Worker, row: int) -> None:
            key = self.run.rows[row].key
            result = await self._job(worker, row, dry_run=True)
            if result.session_expired and await self.run.pool.recover(worker):
                result = await self._job(worker, row, dry_run=True)
            rows[row] = dry_run_plan(row, key, result)

        publish(self.run.bus, PhaseStarted("dry run", f"{len(self.plans)} rows"))
        await self.run.pool.each(sorted(self.plans), one)
        return BulkPlan(self.run.runbook.name, NAME, tuple(rows[r] for r in sorted(rows)))

    async def _job(self, worker: Worker, row: int, *, dry_run: bool = False, watch: OpWatch | None = None) -> JobResult:
        inrow = self.run.rows[row]
        rec = self.run.journal.row(row) if not dry_run else None
        attempt = rec.attempts if rec else 0
        job_id = f"row-{row:04d}-s{self.run.session}-a{attempt}{'-dry' if dry_run else ''}"
        if watch is not None:
            watch.job_id = job_id
        return await self.run.pool.run_job(
            worker,
            job_id,
            self.plans[row],
            self.run.rundir.row_dir(row, inrow.key) / job_id,
            label=f"row {row} {inrow.key}",
            hook=watch.hook if watch else None,
            listener=watch,
            dry_run=dry_run,
        )

    def settle(self) -> None:
        """Resume: rows left running by a crash are decided before anything runs."""
        journal = self.run.journal
        for rec in journal.rows("running"):
            ops = journal.ops(row=rec.row)
            unknown = [op for op in ops if op.outcome is None]
            done = [op for op in ops if op.outcome == "done"]
            if unknown and not done and rerun_is_safe(self.plans[rec.row]):
                for op in unknown:
                    # Still unknown; the re-run's own `done` check decides (see rerun_is_safe).
                    journal.record_outcome(op.id, "failed", "unknown: the run stopped here; re-run with its done check")
                journal.set_row_status(rec.row, "pending", "re-run: the runbook checks whether it is already done")
            elif unknown or done:
                verdict = classify(INTERRUPTED, ops)
                self.run.finish_row(rec.row, verdict.status, f"interrupted: {verdict.reason}", count=False)
            else:
                journal.set_row_status(rec.row, "pending")

    def _lost(self, row: int, watch: OpWatch) -> None:
        """The row's browser went away mid-job. Nothing destructive started: the row goes back to
        the queue as it is. Something did and its outcome is unknown: the row is re-run only when
        its runbook checks first whether it is already done (as on resume); else it needs a person,
        and is not handed over (`WorkerLost` still propagates; the row is final so it is skipped)."""
        journal = self.run.journal
        unknown = [journal.op(op_id) for op_id in watch.ops if journal.op(op_id).outcome is None]
        if not unknown:
            journal.set_row_status(row, "pending")
        elif rerun_is_safe(self.plans[row]):
            for op in unknown:
                journal.record_outcome(op.id, "failed", "unknown: its browser went away; re-run with its done check")
            journal.set_row_status(row, "pending", "re-run: the runbook checks whether it is already done")
        else:
            verdict = classify(INTERRUPTED, [journal.op(op_id) for op_id in watch.ops])
            self.run.finish_row(row, verdict.status, f"its browser went away: {verdict.reason}", count=False)

    async def execute(self) -> None:
        self.settle()
        todo = [r.row for r in self.run.journal.rows("pending") if r.row in self.plans]
        batches = split_canary(todo, self.run.settings.canary if not self.run.journal.run_value("canary_passed") else 0)
        for index, batch in enumerate(batches):
            publish(self.run.bus, PhaseStarted("rows", f"{len(batch)} rows"))
            await self.run.pool.each(batch, self.run_row)
            if self.run.gate.stopping:
                return
            if index == 0 and len(batches) > 1:
                if not await self.run.canary_passed(batch):
                    return
                self.run.journal.set_run({"canary_passed": True})

    async def run_row(self, worker: Worker, row: int) -> None:
        run = self.run
        if run.journal.row(row).final:  # handed back by a lost worker, and decided there
            return
        folder = run.rundir.row_dir(row, run.rows[row].key)
        expiries = 0
        while not run.gate.stopping:
            run.journal.start_row(row, worker.name)
            watch = OpWatch(run.journal, "", step_intent(row))
            try:
                result = await self._job(worker, row, watch=watch)
            except WorkerLost:
                self._lost(row, watch)
                raise
            ops = [run.journal.op(op_id) for op_id in watch.ops]
            if result.session_expired and all(op.outcome == "not_done" for op in ops):
                expiries += 1
                if expiries <= MAX_EXPIRIES and await run.pool.recover(worker):
                    run.retries += 1
                    continue  # nothing happened yet: the row starts over once logged in
                run.journal.set_row_status(row, "pending", "session expired")
                return
            verdict = classify(result, ops)
            before, after = before_after(result.outputs)
            run.finish_row(row, verdict.status, verdict.reason, worker=worker.name, before=before, after=after,
                           artifacts=folder)
            return
        run.journal.set_row_status(row, "pending", f"not started: {run.gate.stop_reason}")
