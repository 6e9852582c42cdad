"""The per-row strategy (any runbook: one job per row, each worker in its own session), and the
aggregate one when every answer to a change is lost (HTTP 502 after the change was made): each
operation is then decided from the portal's state, never repeated."""

from __future__ import annotations

from pathlib import Path

import pytest
from bulk_e2e import bulk_args, cli, journal_rows, purchases, users_of, write_csv

from fake_portal.testing import PortalServer

pytestmark = pytest.mark.e2e


def test_per_row_downgrade(bulk_portal: PortalServer, tmp_path: Path) -> None:
    """downgrade_license compares pool-wide counts, so per-row runs it on one worker (asked for 2)."""
    bulk_portal.reset("bulk:6")
    rows = [("user01@acme.example", "Eco"), ("user02@acme.example", "Advanced")]
    csv = write_csv(tmp_path / "users.csv", rows)
    result = cli(bulk_args(bulk_portal, csv, tmp_path / "run", "--strategy", "per-row", "--workers", "2", "--yes"))
    assert result.code == 0, result.text[-3000:]
    assert "using 1 worker" in result.err
    state = bulk_portal.state()
    users = users_of(state)
    assert {e: users[e] for e, _ in rows} == dict(rows)
    assert purchases(state) == {"Eco": 1, "Advanced": 1}
    assert state["pool"]["Pro"]["available"] == 0
    # One intent and one outcome per destructive step: Pay, Save, Confirm removal per row.
    assert journal_rows(tmp_path / "run", "SELECT kind, outcome, COUNT(*) FROM ops GROUP BY kind, outcome") == [
        ("step", "done", 6)
    ]
    assert journal_rows(tmp_path / "run", "SELECT status, before, after FROM rows ORDER BY row") == [
        ("changed", "Pro", "Eco"),
        ("changed", "Pro", "Advanced"),
    ]
    # The runbook's own `done` step: the same CSV again is "unchanged", nothing bought.
    again = cli(bulk_args(bulk_portal, csv, tmp_path / "again", "--strategy", "per-row", "--workers", "2", "--yes"))
    assert again.code == 0, again.text[-2000:]
    assert journal_rows(tmp_path / "again", "SELECT status, COUNT(*) FROM rows GROUP BY status") == [("unchanged", 2)]
    assert bulk_portal.state()["ledger"] == state["ledger"]


def test_every_answer_lost_every_operation_verified_once(bulk_portal: PortalServer, tmp_path: Path) -> None:
    bulk_portal.reset("bulk:6")
    bulk_portal.set_faults(lost_response_rate=1.0, paths=["/licenses/pay", "/users/license/modify", "/licenses/remove"])
    rows = [("user01@acme.example", "Eco"), ("user02@acme.example", "Advanced")]
    csv = write_csv(tmp_path / "users.csv", rows)
    try:
        result = cli(bulk_args(bulk_portal, csv, tmp_path / "run", "--workers", "2", "--yes"))
    finally:
        bulk_portal.set_faults()
    assert result.code == 0, result.text[-3000:]
    state = bulk_portal.state()
    users = users_of(state)
    assert {e: users[e] for e, _ in rows} == dict(rows)
    assert purchases(state) == {"Eco": 1, "Advanced": 1}  # each "Pay" answered 502, none repeated
    assert [e["quantity"] for e in state["ledger"] if e["kind"] == "removal"] == [2]
    assert {t: p["available"] for t, p in state["pool"].items()} == {"Eco": 0, "Advanced": 0, "Pro": 0}
    verified = journal_rows(tmp_path / "run", "SELECT kind, outcome, COUNT(*) FROM ops WHERE verified = 1 GROUP BY kind, outcome")
    assert verified == [("purchase", "done", 2), ("reassign", "done", 2), ("remove", "done", 1)]
