"""Exactly-once decisions: an unknown outcome + a fresh read of the portal -> done / not done /
attention. Exhaustive over the states a read can show."""

from __future__ import annotations

import pytest

from executor.bulk.outcomes import decide, generic_step, pool_change, reassignment


@pytest.mark.parametrize(
    ("kind", "before", "quantity", "now", "decision"),
    [
        ("purchase", 6, 50, 56, "done"),  # the lost "Pay" went through
        ("purchase", 6, 50, 6, "not_done"),  # it did not: safe to pay again
        ("purchase", 6, 50, 106, "attention"),  # paid twice?
        ("purchase", 6, 50, 7, "attention"),  # someone else bought one
        ("purchase", 6, 50, 5, "attention"),  # someone removed one
        ("purchase", 0, 1, 1, "done"),
        ("purchase", 0, 1, 0, "not_done"),
        ("remove", 60, 50, 10, "done"),
        ("remove", 60, 50, 60, "not_done"),
        ("remove", 60, 50, 9, "attention"),
        ("remove", 60, 50, 11, "attention"),
        ("remove", 60, 50, 61, "attention"),
        ("remove", 1, 1, 0, "done"),
    ],
)
def test_pool_operations(kind: str, before: int, quantity: int, now: int, decision: str) -> None:
    intent = {"tier": "Eco", "quantity": quantity, "total_before": before}
    verdict = pool_change(kind, intent, now)
    assert verdict.decision == decision
    assert verdict == decide(kind, intent, {"total": now})
    assert "Eco" in verdict.reason


def test_every_pool_total_maps_to_exactly_one_decision() -> None:
    intent = {"tier": "Pro", "quantity": 3, "total_before": 10}
    decisions = {now: pool_change("purchase", intent, now).decision for now in range(0, 30)}
    assert [n for n, d in decisions.items() if d == "done"] == [13]
    assert [n for n, d in decisions.items() if d == "not_done"] == [10]
    assert all(d == "attention" for n, d in decisions.items() if n not in (10, 13))


@pytest.mark.parametrize(
    ("tier_now", "exists", "decision"),
    [
        ("Eco", True, "done"),
        ("Pro", True, "not_done"),
        ("Advanced", True, "attention"),
        (None, True, "attention"),  # the license was taken away
        (None, False, "attention"),  # the user was deleted
        ("Eco", False, "attention"),
    ],
)
def test_reassignment(tier_now: str | None, exists: bool, decision: str) -> None:
    intent = {"email": "u@x.test", "from": "Pro", "to": "Eco"}
    assert reassignment(intent, tier_now, exists).decision == decision
    assert decide("reassign", intent, {"tier": tier_now, "exists": exists}).decision == decision


def test_a_generic_step_always_needs_a_person() -> None:
    verdict = generic_step({"step_id": "12", "title": "Pay"})
    assert verdict.decision == "attention"
    assert "'Pay'" in verdict.reason
    assert decide("step", {"step_id": "3"}, {}).decision == "attention"
