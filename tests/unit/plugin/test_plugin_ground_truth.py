"""expect_state against two /_test/state snapshots (no portal, no browser)."""

from __future__ import annotations

import copy
from typing import Any

from executor.qa import ground_truth
from executor.qa.ground_truth import Mismatch
from executor.qa.verdict import state_mismatches


def state(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "users": [
            {"email": "user03@acme.example", "license": "Pro"},
            {"email": "user08@acme.example", "license": "Advanced"},
            {"email": "new@acme.example", "license": None},
        ],
        "pool": {
            "Eco": {"total": 10, "assigned": 9, "available": 1},
            "Pro": {"total": 5, "assigned": 5, "available": 0},
        },
        "ledger": [{"id": 1, "kind": "purchase", "tier": "Pro", "quantity": 5}],
        "monthly_bill": 380,
    }
    base.update(changes)
    return base


def downgraded() -> dict[str, Any]:
    """user03 from Pro to Eco, done right: one Eco bought and assigned, the Pro removed."""
    after = copy.deepcopy(state())
    after["users"][0]["license"] = "Eco"
    after["pool"] = {
        "Eco": {"total": 11, "assigned": 10, "available": 1},
        "Pro": {"total": 4, "assigned": 4, "available": 0},
    }
    after["ledger"] += [
        {"id": 2, "kind": "purchase", "tier": "Eco", "quantity": 1},
        {"id": 3, "kind": "removal", "tier": "Pro", "quantity": 1},
    ]
    after["monthly_bill"] = 360
    return after


def test_a_correct_downgrade_meets_every_kind_of_expectation() -> None:
    expect = {
        "users": {"user03@acme.example": "Eco", "new@acme.example": None},
        "pool": {"Eco": {"total": 11, "available": 1}, "Pro": {"assigned": 4}},
        "monthly_bill": 360,
        "monthly_bill_delta": -20,
        "ledger_delta": {"purchase": 1, "removal": 1, "upgrade": 0},
    }
    assert ground_truth.check(expect, state(), downgraded()) == []


def test_each_departure_is_one_row_with_expected_and_found() -> None:
    expect = {
        "users": {"user03@acme.example": "Advanced", "ghost@acme.example": "Eco"},
        "pool": {"Pro": {"total": 5}},
        "monthly_bill_delta": -10,
        "ledger_delta": {"removal": 0},
    }
    found = ground_truth.check(expect, state(), downgraded())
    assert found == [
        Mismatch("users.user03@acme.example", "Advanced", "Eco"),
        Mismatch("users.ghost@acme.example", "Eco", "no such user"),
        Mismatch("pool.Pro.total", "5", "4"),
        Mismatch("monthly_bill_delta", "-10", "-20", "380 -> 360"),
        Mismatch("ledger_delta.removal", "0", "1"),
    ]


def test_a_new_free_license_is_flagged_unless_the_example_states_it() -> None:
    after = downgraded()
    after["pool"]["Pro"] = {"total": 5, "assigned": 4, "available": 1}  # the old license was left in the pool
    found = ground_truth.check({}, state(), after)
    assert [(m.key, m.expected, m.found) for m in found] == [("pool.Pro.available", "<= 0", "1")]
    assert "billable" in found[0].note
    assert ground_truth.check({"pool": {"Pro": {"available": 1}}}, state(), after) == []


def test_a_refusal_must_leave_users_pool_and_ledger_alone() -> None:
    assert state_mismatches({}, "failed", state(), copy.deepcopy(state())) == []
    found = state_mismatches({}, "failed", state(), downgraded())
    keys = [m.key for m in found]
    assert "users.user03@acme.example" in keys
    assert "pool.Eco.total" in keys
    assert keys[-1] == "ledger"
    assert "purchase Eco × 1" in found[-1].found


def test_a_refusal_may_state_what_it_changes() -> None:
    found = state_mismatches({"users": {"user03@acme.example": "Eco"}}, "failed", state(), downgraded())
    assert "users.user03@acme.example" not in [m.key for m in found]


def test_problems_in_the_expectation_itself() -> None:
    assert ground_truth.problems_in({"users": {"a@b.c": "Eco"}, "monthly_bill_delta": -20}) == []
    problems = ground_truth.problems_in(
        {
            "user": {},
            "pool": {"Eco": {"free": 1}},
            "monthly_bill": "lots",
            "ledger_delta": {"purchase": "one"},
        }
    )
    assert problems == [
        "unknown expect_state key 'user' (known: users, pool, monthly_bill, monthly_bill_delta, ledger_delta)",
        "expect_state.pool.Eco.free: want one of total, assigned, available with a number",
        "expect_state.monthly_bill must be a number",
        "expect_state.ledger_delta must map ledger kinds (purchase, removal, upgrade) to counts",
    ]


def test_the_table_lines_up() -> None:
    text = ground_truth.table(
        [
            Mismatch("users.user03@acme.example", "Eco", "Pro"),
            Mismatch("monthly_bill_delta", "-20", "0", "380 -> 380"),
        ]
    )
    assert text.splitlines() == [
        "key                        expected  found",
        "users.user03@acme.example  Eco       Pro",
        "monthly_bill_delta         -20       0      380 -> 380",
    ]


def test_a_user_stated_absent_must_be_gone() -> None:
    before = state()
    deleted = state(users=[u for u in state()["users"] if u["email"] != "new@acme.example"])
    expect = {"users": {"new@acme.example": "absent"}}
    assert ground_truth.problems_in(expect) == []
    assert ground_truth.check(expect, before, deleted) == []
    assert ground_truth.check(expect, before, before) == [
        Mismatch("users.new@acme.example", "no such user", "the user exists (null)")
    ]
