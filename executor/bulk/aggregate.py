"""The aggregate strategy of the bulk downgrade: buy in one checkout, reassign in parallel, remove in
one go, with every operation exactly-once across failures, crashes and resumes.

Phases over a batch of rows (the canary rows, then the rest), each re-entered on resume:
1. settle: every operation whose outcome is unknown is decided from the portal first
   (executor.bulk.outcomes): nothing is computed from a journal that might be wrong.
2. purchase: per target tier, buy what the batch still needs minus what is free in the pool
   (read just before), in checkouts of at most 100. The intent records the tier's total before.
3. reassign: the batch's rows, in parallel over the workers (a free license exists for each).
4. remove: per tier, the licenses this run added to the free pool and has not removed yet:
   those it moved users off, plus any it bought and did not use (a failed row), so the run never
   leaves more billable, unused licenses than it found.

Quantities are recomputed from the portal's state and the journal each time, never carried in
memory, so a resumed run continues exactly where the portal and the journal say it is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from executor.bulk import outcomes
from executor.bulk.journal import OpRecord, Outcome
from executor.bulk.op_watch import Intent, OpWatch
from executor.bulk.planning import BulkPlan, RowPlan, checkouts, money, plan_downgrade
from executor.bulk.portal_state import PortalState, StateError, from_outputs
from executor.bulk.row_events import PhaseStarted, publish
from executor.bulk.run_state import BulkRun, failed_at_fail_step, split_canary
from executor.bulk.workers import Worker, WorkerLost
from executor.engine import JobResult
from executor.model.plan import Plan
from executor.model.runbook import Step, TargetRef
from executor.plan import iter_steps

NAME = "aggregate"
RUNBOOK = "downgrade_license"
READ = "_bulk/read_portal.yaml"
READ_POOL = "_bulk/read_pool.yaml"
CLEAR = "_bulk/clear_purchase_summary.yaml"
BUY = "_bulk/buy_licenses.yaml"
REASSIGN = "_bulk/reassign_license.yaml"
REMOVE = "_bulk/remove_free_licenses.yaml"
RUNBOOKS = (READ, READ_POOL, CLEAR, BUY, REASSIGN, REMOVE)
EMAIL, TARGET = "user_email", "target_tier"
MAX_EXPIRIES = 3  # per operation: a session that keeps expiring is a problem of its own


class StateReadFailed(Exception):
    pass


class AggregateDowngrade:
    def __init__(self, run: BulkRun, plan_rows: Mapping[int, RowPlan]) -> None:
        self.run = run
        self.plan_rows = plan_rows  # the plan as made (or as stored, on resume)

    # --- small helpers ----------------------------------------------------------------------------

    def _job_id(self, name: str) -> str:
        """Unique over the whole run (sessions included): report sections and folders per job."""
        return self.run.job_id(name)

    def _plan(self, runbook: str, params: dict[str, Any]) -> Plan:
        return self.run.ws.plan(runbook, params)

    def _watch(self, job_id: str, intent: Intent) -> OpWatch:
        return OpWatch(self.run.journal, job_id, _fixed(intent))

    async def _job(
        self,
        worker: Worker,
        job_id: str,
        plan: Plan,
        *,
        label: str,
        folder: Path | None = None,
        watch: OpWatch | None = None,
        dry_run: bool = False,
    ) -> JobResult:
        where = (folder or self.run.rundir.path / "ops") / job_id
        return await self.run.pool.run_job(
            worker,
            job_id,
            plan,
            where,
            label=label,
            hook=watch.hook if watch else None,
            listener=watch,
            dry_run=dry_run,
        )

    async def read(self, worker: Worker, *, users: bool = True) -> PortalState:
        """The portal's state (read-only, so tried again freely)."""
        runbook = READ if users else READ_POOL
        last = ""
        for _ in range(self.run.settings.attempts + 2):
            if self.run.gate.halted:
                break
            result = await self._job(worker, self._job_id("read"), self._plan(runbook, {}), label="read the portal")
            if result.session_expired:
                if not await self.run.pool.recover(worker):
                    break
                continue
            if result.status != "failed":
                try:
                    return from_outputs(result.outputs)
                except StateError as err:
                    raise StateReadFailed(f"the portal's tables look different: {err}") from None
            last = result.error or "read failed"
        raise StateReadFailed(f"cannot read the portal's state: {last or self.run.gate.stop_reason}")

    # --- plan and dry run -----------------------------------------------------------------------------

    async def make_plan(self, worker: Worker) -> tuple[BulkPlan, PortalState]:
        state = await self.read(worker)
        rows = [self.run.rows[n] for n in sorted(self.run.rows)]
        return plan_downgrade(rows, state, runbook=self.run.runbook.name), state

    async def probe(self, worker: Worker, plan: BulkPlan, state: PortalState) -> list[str]:
        """Dry run: the destructive steps' locators resolved on the live pages, nothing clicked."""
        notes: list[str] = []
        t = plan.totals
        if t.buy:
            tier, qty = next(iter(t.buy.items()))
            qty = min(qty, 100)
            amount = money(state.pool[tier].price_cents * qty)
            buy = self._plan(BUY, {"tier": tier, "quantity": qty, "amount": amount})
            result = await self._job(worker, self._job_id("probe-purchase"), buy, label="dry run: purchase", dry_run=True)
            notes.append(_probe_note("purchase", buy, result))
            # The probe added a line to the purchase summary (not a payment): take it out again.
            await self._job(worker, self._job_id("probe-cleanup"), self._plan(CLEAR, {}), label="dry run: clean up")
        first = next((r for r in plan.rows if r.action == "reassign"), None)
        if first is not None:
            row = self.run.rows[first.row]
            params = {EMAIL: row.params[EMAIL], "from_tier": first.before, "target_tier": first.target}
            reassign = self._plan(REASSIGN, params)
            result = await self._job(
                worker, self._job_id("probe-reassign"), reassign, label="dry run: reassign", dry_run=True
            )
            notes.append(_probe_note("reassignment", reassign, result))
        for tier in t.remove:
            if state.pool[tier].available > 0:
                remove = self._plan(REMOVE, {"tier": tier, "quantity": 1})
                result = await self._job(
                    worker, self._job_id("probe-remove"), remove, label="dry run: removal", dry_run=True
                )
                notes.append(_probe_note(f"{tier} removal", remove, result))
            else:
                notes.append(
                    f"{tier} removal: not checked (no free {tier} license yet to open its dialog; "
                    "the run checks it before removing)"
                )
        return notes

    # --- the run --------------------------------------------------------------------------------------

    async def on_a_worker(self, phase: Callable[[Worker], Awaitable[None]]) -> None:
        """Run a one-worker phase (read, buy, remove) on a worker whose browser is there; when that
        browser goes away mid-phase, again on another (the phase starts from the portal's state,
        and the op it left unknown is settled first). NoBrowserLeft when none is left."""
        while not self.run.gate.stopping:
            worker = self.run.pool.first()
            try:
                await phase(worker)
                return
            except WorkerLost:
                if self.run.journal.unknown_ops():
                    await self.settle(self.run.pool.first())

    async def execute(self) -> None:
        run = self.run
        await self.on_a_worker(self.settle)
        if run.gate.stopping:
            return
        todo = [
            r.row
            for r in run.journal.rows("pending", "running")
            if self.plan_rows.get(r.row) is not None and self.plan_rows[r.row].action == "reassign"
        ]
        batches = split_canary(todo, run.settings.canary if not run.journal.run_value("canary_passed") else 0)
        for index, batch in enumerate(batches):
            await self.cycle(batch)
            if run.gate.stopping:
                return
            if index == 0 and len(batches) > 1:
                if not await run.canary_passed(batch):
                    return
                run.journal.set_run({"canary_passed": True})
        # Nothing left to reassign (a resume after the reassignments): removals may still be due.
        if not batches:
            await self.on_a_worker(self.remove_phase)

    async def cycle(self, rows: list[int]) -> None:
        await self.on_a_worker(lambda worker: self.purchase_phase(worker, rows))
        if self.run.gate.stopping:
            return
        publish(self.run.bus, PhaseStarted("reassign", f"{len(rows)} rows"))
        await self.run.pool.each(rows, self.reassign_row)
        # A worker stopped mid-row, or whose browser went away, leaves an unknown reassignment.
        await self.on_a_worker(self.settle)
        if not self.run.gate.stopping:
            await self.on_a_worker(self.remove_phase)

    # --- settle ---------------------------------------------------------------------------------------

    async def settle(self, worker: Worker) -> None:
        """Decide every unknown outcome from the portal; rows left running go back to pending."""
        journal = self.run.journal
        unknown = journal.unknown_ops()
        if unknown:
            publish(self.run.bus, PhaseStarted("verify", f"{len(unknown)} unknown outcome(s)"))
            state = await self.read(worker, users=any(op.kind == "reassign" for op in unknown))
            for op in unknown:
                self._decide(op, state)
        for rec in journal.rows("running"):
            done = [op for op in journal.ops("reassign", row=rec.row) if op.outcome == "done"]
            plan = self.plan_rows.get(rec.row)
            if done and plan is not None:
                reason = f"{plan.before} → {plan.target}"
                self.run.finish_row(
                    rec.row, "changed", reason, before=plan.before, after=plan.target, count=False
                )
            else:
                journal.set_row_status(rec.row, "pending")

    def _decide(self, op: OpRecord, state: PortalState) -> outcomes.Verdict:
        if op.kind in ("purchase", "remove"):
            tier = str(op.tier)
            verdict = outcomes.decide(op.kind, op.intent, {"total": state.pool[tier].total})
        elif op.kind == "reassign":
            email = str(op.intent["email"])
            verdict = outcomes.decide("reassign", op.intent, {"tier": state.tier_of(email), "exists": state.has_user(email)})
        else:
            verdict = outcomes.generic_step(op.intent)
        self.run.verifications += 1
        outcome: Outcome = {"done": "done", "not_done": "not_done", "attention": "failed"}[verdict.decision]  # type: ignore[assignment] - the literals above
        detail = verdict.reason if verdict.decision != "attention" else f"attention: {verdict.reason}"
        self.run.journal.record_outcome(op.id, outcome, detail, verified=True)
        self.run.note("warning" if verdict.decision == "attention" else "info", f"verified op {op.id} ({op.kind}): {verdict.reason}")
        if verdict.decision == "attention":
            if op.row is not None:
                plan = self.plan_rows.get(op.row)
                self.run.finish_row(op.row, "attention", verdict.reason, before=plan.before if plan else None)
            else:
                self.run.stop(f"needs attention: {verdict.reason}")
        return verdict

    async def _verify(self, worker: Worker, op_id: int) -> outcomes.Verdict:
        op = self.run.journal.op(op_id)
        if op.outcome is not None:  # decided meanwhile (its step passed after all)
            return outcomes.Verdict("done" if op.outcome == "done" else "not_done", op.outcome_detail or "")
        state = await self.read(worker, users=op.kind == "reassign")
        return self._decide(op, state)

    # --- purchase -------------------------------------------------------------------------------------

    def _needs(self, rows: list[int]) -> Counter[str]:
        """Licenses per target tier the rows still need (those not reassigned yet)."""
        need: Counter[str] = Counter()
        for row in rows:
            plan = self.plan_rows[row]
            rec = self.run.journal.row(row)
            if rec.final or plan.target is None:
                continue
            if any(op.outcome == "done" for op in self.run.journal.ops("reassign", row=row)):
                continue
            need[plan.target] += 1
        return need

    async def purchase_phase(self, worker: Worker, rows: list[int]) -> None:
        for tier, needed in sorted(self._needs(rows).items()):
            failures = expiries = 0
            while not self.run.gate.stopping:
                state = await self.read(worker, users=False)
                missing = needed - state.pool[tier].available
                if missing <= 0:
                    break
                quantity = checkouts(missing)[0]
                outcome = await self.purchase(worker, tier, quantity, state)
                if outcome == "done":
                    failures = 0
                    continue
                if outcome == "stop":
                    self.run.stop(f"buying {quantity} {tier}: stopped")
                    break
                self.run.retries += 1
                if outcome == "expired" and expiries < MAX_EXPIRIES:
                    expiries += 1  # logged in again: not the purchase's fault
                    continue
                failures += 1
                if failures >= self.run.settings.attempts:
                    self.run.stop(f"buying {quantity} {tier}: {failures} attempts did not go through")

    async def purchase(self, worker: Worker, tier: str, quantity: int, state: PortalState) -> str:
        line = state.pool[tier]
        amount = money(line.price_cents * quantity)
        intent = {"tier": tier, "quantity": quantity, "total_before": line.total, "amount": amount}
        job_id = self._job_id(f"purchase-{tier}")
        watch = self._watch(job_id, Intent("purchase", intent, tier=tier, quantity=quantity, phase="purchase"))
        publish(self.run.bus, PhaseStarted("purchase", f"{quantity} {tier} ({amount} CAD / month)"))
        plan = self._plan(BUY, {"tier": tier, "quantity": quantity, "amount": amount})
        result = await self._job(worker, job_id, plan, label=f"buy {quantity} {tier}", watch=watch)
        return await self._after_op(worker, result, watch)

    async def _after_op(self, worker: Worker, result: JobResult, watch: OpWatch) -> str:
        """After a job with one destructive step: done / not_done / expired (logged in again, not
        done: try again without counting it against the operation) / stop."""
        expired = result.session_expired
        if expired and not await self.run.pool.recover(worker):
            return "stop"
        decision = "not_done"  # the destructive step never started
        if watch.last is not None:
            op = self.run.journal.op(watch.last)
            if op.outcome is None:
                verdict = await self._verify(worker, op.id)
                decision = {"done": "done", "not_done": "not_done", "attention": "stop"}[verdict.decision]
            else:
                decision = "done" if op.outcome == "done" else "not_done"
        return "expired" if expired and decision == "not_done" else decision

    # --- reassign -------------------------------------------------------------------------------------

    async def reassign_row(self, worker: Worker, row: int) -> None:
        run, plan = self.run, self.plan_rows[row]
        inrow = run.rows[row]
        if run.journal.row(row).final:
            return
        email = str(inrow.params[EMAIL])
        folder = run.rundir.row_dir(row, inrow.key)
        run.journal.start_row(row, worker.name)
        # Handed over by a worker whose browser went away: what it left unknown is read first.
        for op in run.journal.ops("reassign", row=row):
            if op.outcome is None and (await self._verify(worker, op.id)).decision == "done":
                run.finish_row(row, "changed", f"{plan.before} → {plan.target}", worker=worker.name,
                               before=plan.before, after=plan.target, artifacts=folder)
                return
        if run.journal.row(row).final:
            return
        params = {EMAIL: email, "from_tier": plan.before, "target_tier": plan.target}
        intent = {"email": email, "from": plan.before, "to": plan.target}
        last_error = ""
        attempts = expiries = 0
        while attempts < run.settings.attempts and not run.gate.stopping:
            attempts += 1
            job_id = self._job_id(f"reassign-r{row:04d}")
            watch = self._watch(job_id, Intent("reassign", intent, row=row, phase="reassign"))
            result = await self._job(
                worker, job_id, self._plan(REASSIGN, params), label=f"row {row} {email}", folder=folder, watch=watch
            )
            if watch.last is None and result.done is not None:
                status = "changed" if self._row_done(row) else "unchanged"
                run.finish_row(row, status, result.done, worker=worker.name, before=plan.before,
                               after=plan.target, artifacts=folder)
                return
            if watch.last is None and not result.session_expired and failed_at_fail_step(result):
                run.finish_row(row, "failed", result.error or "", worker=worker.name, before=plan.before,
                               artifacts=folder)
                return
            outcome = await self._after_op(worker, result, watch)
            if outcome == "done":
                run.finish_row(row, "changed", f"{plan.before} → {plan.target}", worker=worker.name,
                               before=plan.before, after=plan.target, artifacts=folder)
                return
            if outcome == "stop" or run.journal.row(row).final:  # stopped, or attention (finished)
                return
            last_error = result.error or "the reassignment did not go through"
            if outcome == "expired" and expiries < MAX_EXPIRIES:
                expiries += 1
                attempts -= 1  # an expiry is not the row's fault
            run.retries += 1
        if run.gate.stopping and not run.journal.row(row).final:
            run.journal.set_row_status(row, "pending", f"not finished: {run.gate.stop_reason}")
            return
        run.finish_row(row, "failed", last_error, worker=worker.name, before=plan.before, artifacts=folder)

    def _row_done(self, row: int) -> bool:
        return any(op.outcome == "done" for op in self.run.journal.ops("reassign", row=row))

    # --- remove ---------------------------------------------------------------------------------------

    def freed_not_removed(self) -> Counter[str]:
        return freed_not_removed(self.run.journal.ops())

    async def remove_phase(self, worker: Worker) -> None:
        pending = self.freed_not_removed()
        if not pending:
            return
        publish(self.run.bus, PhaseStarted("remove", ", ".join(f"{n} {t}" for t, n in pending.items())))
        for tier in sorted(pending):
            failures = expiries = 0
            while not self.run.gate.stopping:
                quantity = self.freed_not_removed().get(tier, 0)
                if quantity <= 0:
                    break
                state = await self.read(worker, users=False)
                free = state.pool[tier].available
                if free < quantity:
                    self.run.note(
                        "warning",
                        f"{tier}: this run freed {quantity} but only {free} are free now (someone used some): removing {free}",
                    )
                    quantity = free
                    if quantity <= 0:
                        break
                outcome = await self.remove(worker, tier, quantity, state)
                if outcome == "expired" and expiries < MAX_EXPIRIES:
                    expiries += 1
                    self.run.retries += 1
                    continue
                if outcome == "done":
                    failures = 0
                    if free < self.freed_not_removed().get(tier, 0) + quantity:
                        break  # the rest is in use by someone else: nothing more to remove
                    continue
                failures += 1
                self.run.retries += 1
                if outcome == "stop" or failures >= self.run.settings.attempts:
                    self.run.stop(f"removing {quantity} {tier}: did not go through")

    async def remove(self, worker: Worker, tier: str, quantity: int, state: PortalState) -> str:
        intent = {"tier": tier, "quantity": quantity, "total_before": state.pool[tier].total}
        job_id = self._job_id(f"remove-{tier}")
        watch = self._watch(job_id, Intent("remove", intent, tier=tier, quantity=quantity, phase="remove"))
        plan = self._plan(REMOVE, {"tier": tier, "quantity": quantity})
        result = await self._job(worker, job_id, plan, label=f"remove {quantity} {tier}", watch=watch)
        return await self._after_op(worker, result, watch)


def freed_not_removed(ops: Iterable[OpRecord]) -> Counter[str]:
    """Per tier: licenses the run added to the free pool (users moved off it, or bought and not
    used by a reassignment) minus those it removed; done operations only. Pure.

    A tier whose free licenses the run used (pre-existing ones) counts below zero: not removable."""
    net: Counter[str] = Counter()
    for op in ops:
        if op.outcome != "done":
            continue
        if op.kind == "purchase" and op.tier:
            net[op.tier] += int(op.quantity or 0)
        elif op.kind == "reassign":
            net[str(op.intent["from"])] += 1
            net[str(op.intent["to"])] -= 1
        elif op.kind == "remove" and op.tier:
            net[op.tier] -= int(op.quantity or 0)
    return Counter({t: n for t, n in net.items() if n > 0})


def _fixed(intent: Intent) -> Any:
    def describe(step_id: str, step: Step) -> Intent:
        return intent

    return describe


def _probe_note(what: str, plan: Plan, result: JobResult) -> str:
    """Which of the plan's destructive targets the dry run found on the page (as the target of a
    step, or in an assertion before a step that could not go on without the run's changes)."""
    wanted = {
        p.step.args.target.entry
        for p in iter_steps(plan.steps)
        if p.step.destructive and isinstance(getattr(p.step.args, "target", None), TargetRef)
    }
    found = {m for s in result.steps for m in s.matches if m.entry in wanted}
    found |= {a.match for s in result.steps for a in s.assertions if a.match is not None and a.match.entry in wanted}
    seen = sorted({f"{m.target} ({m.label})" for m in found})
    missing = sorted(wanted - {m.entry for m in found})
    text = f"{what}: " + (f"found {', '.join(seen)}, not clicked" if seen else "nothing found")
    if missing:
        text += f"; not checked: {', '.join(missing)} ({result.error or 'not reached'})"
    return text


__all__ = ["NAME", "RUNBOOK", "RUNBOOKS", "AggregateDowngrade", "StateReadFailed"]
