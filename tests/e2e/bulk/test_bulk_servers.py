"""Bulk runs on Playwright browser servers (`runbook browser-server`), surviving the loss of one:
40 users downgraded by the aggregate strategy over two servers with 4 workers each, one server
SIGKILLed in the middle of the reassignments; then a run that loses its only server stops
cleanly and `runbook resume` finishes it on a new one. Ground truth from /_test/state: purchases
as planned, no free license left, the bill as planned, every row changed once."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from browser_servers import BrowserServer, browser_servers, start_server
from bulk_e2e import PRICES, bulk_args, changed_rows, cli, journal_rows, purchases, users_of, write_csv

from fake_portal.testing import PortalServer

pytestmark = pytest.mark.e2e

USERS = [f"user{i:02d}@acme.example" for i in range(1, 41)]
TARGETS = {email: ("Advanced" if i % 4 == 0 else "Eco") for i, email in enumerate(USERS, start=1)}


def _kill_when(run_dir: Path, rows: int, server: BrowserServer, done: threading.Event, box: dict[str, Any]) -> None:
    while not done.is_set():
        if changed_rows(run_dir) >= rows:
            box["at"] = changed_rows(run_dir)
            server.kill()
            return
        time.sleep(0.1)


def _check_ground_truth(state: dict[str, Any], run_dir: Path) -> None:
    users = users_of(state)
    assert {email: users[email] for email in USERS} == TARGETS
    want = {tier: sum(1 for t in TARGETS.values() if t == tier) for tier in ("Eco", "Advanced")}
    assert purchases(state) == want  # nothing bought twice
    assert {t: p["available"] for t, p in state["pool"].items()} == {"Eco": 0, "Advanced": 0, "Pro": 0}
    assert state["monthly_bill"] == sum(PRICES[t] for t in TARGETS.values())
    assert journal_rows(run_dir, "SELECT status, COUNT(*) FROM rows GROUP BY status") == [("changed", 40)]
    # Every row was reassigned exactly once on the portal, wherever its worker was.
    done = journal_rows(run_dir, "SELECT row, COUNT(*) FROM ops WHERE kind = 'reassign' AND outcome = 'done' GROUP BY row")
    assert len(done) == 40 and all(n == 1 for _, n in done)


def _run_killing(portal: PortalServer, args: list[str], run_dir: Path, victim: BrowserServer, at: int) -> tuple[Any, int]:
    done, box = threading.Event(), {"at": 0}
    watcher = threading.Thread(target=_kill_when, args=(run_dir, at, victim, done, box), daemon=True)
    watcher.start()
    try:
        result = cli(args, timeout=600)
    finally:
        done.set()
        watcher.join()
    return result, box["at"]


def test_a_run_survives_losing_one_of_two_servers(bulk_portal: PortalServer, tmp_path: Path) -> None:
    bulk_portal.reset("bulk:40")
    csv = write_csv(tmp_path / "users.csv", list(TARGETS.items()))
    run_dir = tmp_path / "run"
    with browser_servers(2) as (first, second):
        args = bulk_args(bulk_portal, csv, run_dir, "--browser-server", first.endpoint, "--browser-server",
                         second.endpoint, "--workers-per-server", "4", "--yes")  # fmt: skip
        result, killed_at = _run_killing(bulk_portal, args, run_dir, first, at=10)
    assert result.code == 0, result.text[-4000:]
    assert 10 <= killed_at < 40, "the server was not killed in the middle of the reassignments"
    assert "is gone" in result.text  # the operator is told
    _check_ground_truth(bulk_portal.state(), run_dir)
    # The server's address is a secret: never in the run's output or files beyond run.json's args.
    assert first.endpoint.rsplit("/", 1)[1] not in result.text


def test_a_run_that_loses_every_server_stops_and_resumes_on_a_new_one(bulk_portal: PortalServer, tmp_path: Path) -> None:
    bulk_portal.reset("bulk:40")
    csv = write_csv(tmp_path / "users.csv", list(TARGETS.items()))
    run_dir = tmp_path / "run"
    only = start_server()
    try:
        args = bulk_args(bulk_portal, csv, run_dir, "--browser-server", only.endpoint, "--workers", "4", "--yes")
        stopped, killed_at = _run_killing(bulk_portal, args, run_dir, only, at=10)
    finally:
        only.stop()
    assert stopped.code == 1, stopped.text[-4000:]
    assert killed_at >= 10
    assert "every browser is gone: resume the run" in stopped.text
    assert journal_rows(run_dir, "SELECT COUNT(*) FROM ops WHERE outcome IS NULL")[0][0] <= 4  # in flight

    with browser_servers(1) as (fresh,):
        resumed = cli(["resume", str(run_dir), "--browser-server", fresh.endpoint, "--login-as", "admin@acme.example",
                       "--workers", "4", "--yes", "--trace", "off"], timeout=600)  # fmt: skip
    assert resumed.code == 0, resumed.text[-4000:]
    _check_ground_truth(bulk_portal.state(), run_dir)


def test_a_launch_option_that_cannot_travel_is_refused(bulk_portal: PortalServer, tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "users.csv", [(USERS[0], "Eco")])
    result = cli(bulk_args(bulk_portal, csv, tmp_path / "run", "--browser-server", "ws://127.0.0.1:9/x", "--headed"))
    assert result.code == 2
    assert "--headed cannot travel to a remote browser" in result.err
    assert not (tmp_path / "run").exists()  # refused before anything ran
