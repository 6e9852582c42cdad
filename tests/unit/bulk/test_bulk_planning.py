"""The bulk downgrade's plan: per-row actions, free licenses used first, totals, the bill."""

from __future__ import annotations

from bulk_builders import rows, state

from executor.bulk.planning import checkouts, plan_downgrade, plan_lines


def test_fifty_pro_users_to_eco() -> None:
    users = {f"user{i:02d}@acme.example": "Pro" for i in range(1, 51)}
    plan = plan_downgrade(rows(*[(u, "Eco") for u in users]), state(users))
    assert plan.counts() == {"reassign": 50}
    assert plan.totals.buy == {"Eco": 50}
    assert plan.totals.remove == {"Pro": 50}
    assert plan.totals.use_free == {}
    assert plan.totals.checkouts == 1
    assert plan.totals.bill_before_cents == 50 * 2900
    assert plan.totals.bill_after_cents == 50 * 900
    assert plan.rows[0].text == "Pro → Eco: reassign to a newly bought Eco, remove 1 Pro"


def test_free_licenses_in_the_pool_are_used_before_buying() -> None:
    users = {"a@x.test": "Pro", "b@x.test": "Pro", "c@x.test": "Advanced"}
    plan = plan_downgrade(rows(("a@x.test", "Eco"), ("b@x.test", "Eco"), ("c@x.test", "Eco")), state(users, {"Eco": 2}))
    assert plan.totals.use_free == {"Eco": 2}
    assert plan.totals.buy == {"Eco": 1}
    assert plan.totals.remove == {"Pro": 2, "Advanced": 1}
    texts = [r.text for r in plan.rows]
    assert texts[0].endswith("a free Eco already in the pool, remove 1 Pro")
    assert texts[1].endswith("a free Eco already in the pool, remove 1 Pro")
    assert texts[2] == "Advanced → Eco: reassign to a newly bought Eco, remove 1 Advanced"
    # before: 2 Pro + 1 Advanced + 2 free Eco; after: 3 Eco
    assert plan.totals.bill_before_cents == 2 * 2900 + 1900 + 2 * 900
    assert plan.totals.bill_after_cents == 3 * 900


def test_rows_that_cannot_or_need_not_change() -> None:
    users = {"eco@x.test": "Eco", "none@x.test": None, "adv@x.test": "Advanced"}
    plan = plan_downgrade(
        rows(("eco@x.test", "Eco"), ("none@x.test", "Eco"), ("adv@x.test", "Advanced"), ("ghost@x.test", "Eco"),
             ("eco@x.test".replace("eco", "ec2"), "Eco")),
        state({**users, "ec2@x.test": "Eco"}),
    )
    assert [(r.action, r.text) for r in plan.rows] == [
        ("unchanged", "already Eco: skip"),
        ("fail", "holds no license: will fail"),
        ("unchanged", "already Advanced: skip"),
        ("fail", "user not found: will fail"),
        ("unchanged", "already Eco: skip"),
    ]
    assert plan.totals.buy == {} and plan.totals.remove == {}
    assert plan.totals.bill_before_cents == plan.totals.bill_after_cents


def test_an_upgrade_is_refused() -> None:
    plan = plan_downgrade(rows(("e@x.test", "Advanced")), state({"e@x.test": "Eco"}))
    assert plan.rows[0].action == "fail"
    assert "not a downgrade" in plan.rows[0].text


def test_purchases_are_split_into_checkouts_of_at_most_100() -> None:
    assert checkouts(250) == [100, 100, 50]
    assert checkouts(100) == [100]
    assert checkouts(1) == [1]
    assert checkouts(0) == []


def test_the_hash_covers_actions_and_totals_not_notes() -> None:
    users = {"a@x.test": "Pro"}
    one = plan_downgrade(rows(("a@x.test", "Eco")), state(users))
    two = plan_downgrade(rows(("a@x.test", "Advanced")), state(users))
    assert one.digest() != two.digest()
    from dataclasses import replace

    assert replace(one, notes=("probe ok",)).digest() == one.digest()
    assert one.digest() == plan_downgrade(rows(("a@x.test", "Eco")), state(users)).digest()


def test_plan_lines_show_totals_and_bill() -> None:
    users = {"a@x.test": "Pro"}
    text = "\n".join(plan_lines(plan_downgrade(rows(("a@x.test", "Eco")), state(users))))
    assert "licenses to buy: 1 Eco (1 checkout(s))" in text
    assert "licenses to remove: 1 Pro" in text
    assert "monthly bill: 29.00 CAD before, 9.00 CAD after" in text
