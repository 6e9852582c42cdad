"""Row statuses of per-row runs, safe re-runs, and what the aggregate strategy still has to remove."""

from __future__ import annotations

from pathlib import Path

from bulk_builders import op

from executor.bulk.aggregate import freed_not_removed
from executor.bulk.per_row import before_after, classify, rerun_is_safe
from executor.engine import JobResult
from executor.model.plan import Plan, PlannedStep
from executor.model.runbook import DoneArgs, NoArgs, Runbook, Step


def _result(status: str = "passed", done: str | None = None, error: str | None = None) -> JobResult:
    return JobResult("j", "rb", status, (), 0.0, Path("."), error=error, done=done)  # type: ignore[arg-type]


def test_classify() -> None:
    pay = op("step", "done", intent={"title": "Pay"})
    unknown = op("step", None, intent={"title": "Pay"})
    skipped = op("step", "not_done", intent={"title": "Pay"})
    assert classify(_result(), [pay]).status == "changed"
    assert classify(_result(done="already Eco"), []) == classify(_result(done="already Eco"), [])
    assert classify(_result(done="already Eco"), []).reason == "already Eco"
    assert classify(_result(), [skipped]).status == "unchanged"
    assert classify(_result("failed", error="boom"), []).status == "failed"
    assert classify(_result("failed", error="boom"), [unknown]).status == "attention"
    verdict = classify(_result("failed", error="boom"), [pay])
    assert verdict.status == "attention" and "re-running would repeat it" in verdict.reason


def _plan(*steps: Step) -> Plan:
    return Plan(
        runbook=Runbook(name="x"),
        steps=tuple(PlannedStep(id=str(i), step=s, runbook="x") for i, s in enumerate(steps, 1)),
    )


def test_rerun_is_safe_only_with_a_check_before_a_single_destructive_step() -> None:
    check = Step(action="done", args=DoneArgs(message="already"))
    act = Step(action="expect", args=NoArgs(), destructive=True)
    other = Step(action="expect", args=NoArgs())
    assert rerun_is_safe(_plan(other, check, act, other))
    assert not rerun_is_safe(_plan(other, act))  # no check
    assert not rerun_is_safe(_plan(act, check))  # the check comes after
    assert not rerun_is_safe(_plan(check, act, act))  # two destructive steps


def test_before_after_from_outputs() -> None:
    assert before_after({"user": "a", "old_tier": "Pro", "new_tier": "Eco"}) == ("Pro", "Eco")
    assert before_after({}) == (None, None)


def test_freed_not_removed() -> None:
    ops = [
        op("purchase", tier="Eco", quantity=3),
        op("reassign", intent={"from": "Pro", "to": "Eco"}),
        op("reassign", intent={"from": "Pro", "to": "Eco"}),
        op("reassign", None, intent={"from": "Pro", "to": "Eco"}),  # unknown: not counted
        op("reassign", intent={"from": "Advanced", "to": "Eco"}),
        op("remove", tier="Pro", quantity=1),
        op("remove", "not_done", tier="Pro", quantity=1),
    ]
    # Eco: bought 3, used 3 -> 0; Pro: 2 freed, 1 removed -> 1; Advanced: 1 freed
    assert freed_not_removed(ops) == {"Pro": 1, "Advanced": 1}
    # A failed row leaves a bought license unused: it is removed too.
    assert freed_not_removed(ops[:2]) == {"Eco": 2, "Pro": 1}
    # Free licenses that were already in the pool and got used are not the run's to remove.
    assert freed_not_removed([op("reassign", intent={"from": "Pro", "to": "Eco"})]) == {"Pro": 1}
