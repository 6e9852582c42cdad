"""Journals a job's destructive steps: the intent just before the act, the outcome after.

The intent is written from the engine's before-action hook, awaited after the step's `when` held
and right before the action: if the write fails the step fails without acting. The outcome comes
from the step's `StepFinished` (a bus listener): passed (its checks saw the effect) -> done;
skipped -> not done; failed -> left unknown, and the strategy reads the portal to decide.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from executor.bulk.journal import Journal, OpKind
from executor.events import Event, StepFinished
from executor.model.runbook import Step


@dataclass(frozen=True)
class Intent:
    kind: OpKind
    intent: Mapping[str, Any]
    row: int | None = None
    tier: str | None = None
    quantity: int | None = None
    phase: str | None = None


Describe = Callable[[str, Step], Intent]


@dataclass
class OpWatch:
    journal: Journal
    job_id: str
    describe: Describe
    ops: list[int] = field(default_factory=list)  # ids, in the order the steps started
    _open: dict[str, int] = field(default_factory=dict)  # step id -> op id

    async def hook(self, step_id: str, step: Step) -> None:
        if not step.destructive:
            return
        spec = self.describe(step_id, step)
        op_id = self.journal.record_intent(
            spec.kind, spec.intent, row=spec.row, tier=spec.tier, quantity=spec.quantity, phase=spec.phase
        )
        self.ops.append(op_id)
        self._open[step_id] = op_id

    def on_event(self, event: Event) -> None:
        if not isinstance(event, StepFinished) or event.job_id != self.job_id:
            return
        op_id = self._open.pop(event.step_id, None)
        if op_id is None:
            return
        if event.status == "passed":
            self.journal.record_outcome(op_id, "done", f"seen on the page: {event.title}")
        elif event.status == "skipped":
            self.journal.record_outcome(op_id, "not_done", event.reason or "skipped")
        # failed / warned: unknown until the portal is read

    @property
    def last(self) -> int | None:
        return self.ops[-1] if self.ops else None


def step_intent(row: int) -> Describe:
    """Per-row runs: any destructive step of any runbook."""

    def describe(step_id: str, step: Step) -> Intent:
        return Intent(
            "step",
            {"step_id": step_id, "title": step.title(), "source": str(step.source)},
            row=row,
            phase="row",
        )

    return describe
