"""Crash and resume: the runner is SIGKILLed at 7 moments of one run (RUNBOOK_CRASH_AT, see
executor/bulk/crash.py), including right after a "Pay" click before its outcome is journaled, and
resumed each time. The end state is the uninterrupted run's, with nothing bought twice.

Also here, on the same small portal: the dry run changes nothing, and resume refuses a changed input.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from bulk_e2e import PRICES, bulk_args, cli, journal_rows, purchases, users_of, write_csv

from fake_portal.testing import PortalServer

pytestmark = pytest.mark.e2e

ROWS = [
    ("user01@acme.example", "Eco"),
    ("user02@acme.example", "Advanced"),
    ("user03@acme.example", "Eco"),
    ("user04@acme.example", "Eco"),
    ("user05@acme.example", "Advanced"),
]
# In the order the run meets them; each kill is followed by `runbook resume`.
CRASH_POINTS = [
    "planned",  # plan and journal written, nothing done
    "intent:purchase",  # the first purchase's intent committed, "Pay" not clicked
    "before-outcome:purchase",  # "Pay" clicked and accepted, its outcome not journaled
    "intent:reassign#2",  # a reassignment about to be saved
    "before-outcome:reassign",  # a reassignment saved, not journaled
    "intent:remove",  # the removal about to be confirmed
    "before-outcome:remove",  # removed, not journaled
]


@pytest.fixture
def small_portal(bulk_portal: PortalServer) -> PortalServer:
    bulk_portal.reset("bulk:8")
    return bulk_portal


def test_dry_run_plans_and_changes_nothing(small_portal: PortalServer, tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "users.csv", ROWS + [("nobody@acme.example", "Eco")])
    before = small_portal.state()
    result = cli(
        ["plan", "downgrade_license", "--input", str(csv), "--base-url", small_portal.url,
         "--login-as", "admin@acme.example", "--run-dir", str(tmp_path / "plan")]
    )  # fmt: skip
    assert result.code == 0, result.text[-2000:]
    after = small_portal.state()
    assert after["users"] == before["users"] and after["pool"] == before["pool"] and after["ledger"] == []
    text = (tmp_path / "plan" / "plan.txt").read_text()
    assert "row    1 user01@acme.example: Pro → Eco: reassign to a newly bought Eco, remove 1 Pro" in text
    assert "row    6 nobody@acme.example: user not found: will fail" in text
    assert "licenses to buy: 3 Eco, 2 Advanced" in text and "licenses to remove: 5 Pro" in text
    assert "monthly bill: 232.00 CAD before, 152.00 CAD after" in text
    # The destructive steps' locators were resolved on the live pages, not clicked.
    assert "note: purchase: found licenses.pay (first candidate), not clicked" in text
    assert "note: reassignment: found users.save (first candidate), not clicked" in text
    assert not (tmp_path / "plan" / "journal.sqlite").exists()


def test_sigkill_at_seven_points_then_resume_ends_as_an_uninterrupted_run(
    small_portal: PortalServer, tmp_path: Path
) -> None:
    csv = write_csv(tmp_path / "users.csv", ROWS)
    run_dir = tmp_path / "run"
    first, *rest = CRASH_POINTS
    killed = cli(bulk_args(small_portal, csv, run_dir, "--workers", "2", "--yes"), env={"RUNBOOK_CRASH_AT": first})
    assert killed.code == -signal.SIGKILL, killed.text[-2000:]
    for point in rest:
        killed = cli(["resume", str(run_dir), "--workers", "2", "--yes", "--trace", "off"], env={"RUNBOOK_CRASH_AT": point})
        assert killed.code == -signal.SIGKILL, f"{point}: {killed.text[-2000:]}"
        assert f"crash point {point}" in killed.err
        if point == "before-outcome:purchase":
            # Killed right after "Pay" went through: bought, and the journal does not know it yet.
            assert purchases(small_portal.state()).get("Advanced") == 2
            assert journal_rows(run_dir, "SELECT COUNT(*) FROM ops WHERE kind = 'purchase' AND outcome IS NULL")[0][0] == 1
    status = cli(["status", str(run_dir)])
    assert status.code == 1 and "rows: 5 total" in status.out  # not finished yet
    final = cli(["resume", str(run_dir), "--workers", "2", "--yes", "--trace", "off"])
    assert final.code == 0, final.text[-3000:]

    state = small_portal.state()
    users = users_of(state)
    assert {e: users[e] for e, _ in ROWS} == dict(ROWS)
    assert all(users[f"user0{i}@acme.example"] == "Pro" for i in (6, 7, 8))
    assert purchases(state) == {"Eco": 3, "Advanced": 2}  # nothing bought twice
    removed = sum(e["quantity"] for e in state["ledger"] if e["kind"] == "removal")
    assert removed == 5
    assert {t: p["available"] for t, p in state["pool"].items()} == {"Eco": 0, "Advanced": 0, "Pro": 0}
    assert state["monthly_bill"] == 3 * PRICES["Eco"] + 2 * PRICES["Advanced"] + 3 * PRICES["Pro"]
    # Every unknown outcome was read from the portal, none is left.
    assert journal_rows(run_dir, "SELECT COUNT(*) FROM ops WHERE outcome IS NULL")[0][0] == 0
    # One verification per kill after an intent (at least; a second worker's row may add one).
    assert journal_rows(run_dir, "SELECT COUNT(*) FROM ops WHERE verified = 1")[0][0] >= 6
    assert journal_rows(run_dir, "SELECT status, COUNT(*) FROM rows GROUP BY status") == [("changed", 5)]
    assert "rows: 5 total, 5 finished (100%)" in cli(["status", str(run_dir)]).out


def test_resume_refuses_a_changed_input(small_portal: PortalServer, tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "users.csv", ROWS[:1])
    run_dir = tmp_path / "run"
    killed = cli(bulk_args(small_portal, csv, run_dir, "--yes"), env={"RUNBOOK_CRASH_AT": "planned"})
    assert killed.code == -signal.SIGKILL
    write_csv(csv, ROWS[:2])
    refused = cli(["resume", str(run_dir), "--yes"])
    assert refused.code == 2
    assert "the input changed since the run started" in refused.err
    assert small_portal.state()["ledger"] == []
