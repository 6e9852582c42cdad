"""Safety gates end to end: the canary runs its rows first (bought, reassigned and removed before
the rest starts), the circuit breaker stops a run whose rows keep failing, and `resume` finishes
it once the portal is healthy again, retrying the failed rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from bulk_e2e import bulk_args, changed_rows, cli, journal_rows, purchases, users_of, write_csv

from fake_portal.testing import PortalServer

pytestmark = pytest.mark.e2e

ROWS = [(f"user0{i}@acme.example", "Eco") for i in range(1, 6)]


def test_canary_rows_go_first_then_the_rest(bulk_portal: PortalServer, tmp_path: Path) -> None:
    bulk_portal.reset("bulk:6")
    csv = write_csv(tmp_path / "users.csv", ROWS[:4])
    result = cli(bulk_args(bulk_portal, csv, tmp_path / "run", "--workers", "2", "--canary", "2", "--yes",
                           "--rate-limit", "40"))  # fmt: skip
    assert result.code == 0, result.text[-3000:]
    assert "canary: all 2 rows passed" in result.text
    state = bulk_portal.state()
    assert {e: users_of(state)[e] for e, _ in ROWS[:4]} == dict(ROWS[:4])
    kinds = [(e["kind"], e["tier"], e["quantity"]) for e in sorted(state["ledger"], key=lambda e: e["id"])]
    # The canary batch is complete (bought, reassigned, removed) before the rest is bought.
    assert kinds == [("purchase", "Eco", 2), ("removal", "Pro", 2), ("purchase", "Eco", 2), ("removal", "Pro", 2)]
    assert state["pool"]["Eco"]["available"] == 0 and state["pool"]["Pro"]["available"] == 0


def test_circuit_breaker_stops_and_resume_finishes(bulk_portal: PortalServer, tmp_path: Path) -> None:
    bulk_portal.reset("bulk:6")
    csv = write_csv(tmp_path / "users.csv", ROWS)
    run_dir = tmp_path / "run"
    bulk_portal.set_faults(error_rate=1.0, paths=["/users/license/modify"])  # every reassignment refused
    try:
        stopped = cli(bulk_args(bulk_portal, csv, run_dir, "--workers", "1", "--max-failures", "1", "--yes"))
    finally:
        bulk_portal.set_faults()
    assert stopped.code == 1
    assert "circuit breaker: 1 row failed in a row" in stopped.text
    assert f"resume with: runbook resume {run_dir}" in stopped.out
    assert purchases(bulk_portal.state()) == {"Eco": 5}  # bought once, before the reassignments
    assert journal_rows(run_dir, "SELECT status, COUNT(*) FROM rows GROUP BY status") == [("failed", 1), ("pending", 4)]

    finished = cli(["resume", str(run_dir), "--workers", "2", "--yes", "--trace", "off"])
    assert finished.code == 0, finished.text[-3000:]
    state = bulk_portal.state()
    assert {e: users_of(state)[e] for e, _ in ROWS} == dict(ROWS)
    assert purchases(state) == {"Eco": 5}  # the resume bought nothing more: the licenses were there
    assert {t: p["available"] for t, p in state["pool"].items()} == {"Eco": 0, "Advanced": 0, "Pro": 0}
    assert journal_rows(run_dir, "SELECT status, COUNT(*) FROM rows GROUP BY status") == [("changed", 5)]
    # One report for the whole run, both sessions' jobs in it (built from the journal and the log).
    assert (run_dir / "report.html").is_file() and not (run_dir / "report-session1.html").exists()
    steps = "".join(p.read_text() for p in (run_dir / "report-data").glob("rows-steps-*.js"))
    assert "-s1-" in steps and "-s2-" in steps


def test_the_failure_rate_breaker_waits_for_enough_rows_then_stops(bulk_portal: PortalServer, tmp_path: Path) -> None:
    bulk_portal.reset("bulk:12")
    rows = [(f"user{i:02d}@acme.example", "Eco") for i in range(1, 13)]
    csv = write_csv(tmp_path / "users.csv", rows)
    run_dir = tmp_path / "run"
    bulk_portal.set_faults(error_rate=1.0, paths=["/users/license/modify"])  # every reassignment refused
    try:
        # No limit on failures in a row: only the rate decides, and only over 10 rows or more.
        stopped = cli(bulk_args(bulk_portal, csv, run_dir, "--workers", "1", "--max-failures", "0",
                                "--max-failure-rate", "0.5", "--yes"))  # fmt: skip
    finally:
        bulk_portal.set_faults()
    assert stopped.code == 1
    assert "circuit breaker: 10 of 10 rows failed (100% > --max-failure-rate 50%)" in stopped.text
    assert journal_rows(run_dir, "SELECT status, COUNT(*) FROM rows GROUP BY status") == [("failed", 10), ("pending", 2)]
    assert all(tier == "Pro" for email, tier in users_of(bulk_portal.state()).items() if email in dict(rows))


def test_auth_state_run_and_an_expired_saved_session(bulk_portal: PortalServer, tmp_path: Path) -> None:
    """With a saved session (`runbook login`) every worker starts from it; once it expires, a run
    without a terminal stops with the login instruction instead of failing rows."""
    bulk_portal.reset("bulk:6")
    state_file = tmp_path / "state.json"
    assert cli(["login", "--base-url", bulk_portal.url, "--save-state", str(state_file)]).code == 0
    csv = write_csv(tmp_path / "users.csv", ROWS[:2])
    args = ["run", "downgrade_license", "--input", str(csv), "--base-url", bulk_portal.url,
            "--auth-state", str(state_file), "--workers", "2", "--yes", "--trace", "off"]  # fmt: skip
    ok = cli([*args, "--run-dir", str(tmp_path / "run")])
    assert ok.code == 0, ok.text[-2000:]
    assert {e: users_of(bulk_portal.state())[e] for e, _ in ROWS[:2]} == dict(ROWS[:2])

    bulk_portal.expire_sessions()
    before = bulk_portal.state()
    expired = cli([*args, "--run-dir", str(tmp_path / "again")])
    assert expired.code == 1
    assert "runbook login --save-state FILE" in expired.text
    assert bulk_portal.state()["ledger"] == before["ledger"]


def test_ctrl_c_lets_running_rows_finish_then_resume(bulk_portal: PortalServer, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from bulk_e2e import ROOT

    bulk_portal.reset("bulk:8")
    rows = [(f"user0{i}@acme.example", "Eco") for i in range(1, 9)]
    csv = write_csv(tmp_path / "users.csv", rows)
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "executor.cli", *bulk_args(bulk_portal, csv, run_dir, "--workers", "2", "--yes")],
        cwd=ROOT, env={**os.environ, "CI": "1"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if changed_rows(run_dir) >= 1:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 1, output[-3000:]
    assert "Ctrl-C: no new row starts" in output and f"resume with: runbook resume {run_dir}" in output
    # Running rows finished: none is left half-done, no outcome is unknown.
    statuses = dict(journal_rows(run_dir, "SELECT status, COUNT(*) FROM rows GROUP BY status"))
    assert set(statuses) <= {"changed", "pending"} and statuses.get("pending", 0) >= 1
    assert journal_rows(run_dir, "SELECT COUNT(*) FROM ops WHERE outcome IS NULL")[0][0] == 0

    finished = cli(["resume", str(run_dir), "--workers", "2", "--yes", "--trace", "off"])
    assert finished.code == 0, finished.text[-3000:]
    state = bulk_portal.state()
    assert {e: users_of(state)[e] for e, _ in rows} == dict(rows)
    assert purchases(state) == {"Eco": 8}
    assert {t: p["available"] for t, p in state["pool"].items()} == {"Eco": 0, "Advanced": 0, "Pro": 0}
