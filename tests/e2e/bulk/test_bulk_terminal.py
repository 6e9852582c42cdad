"""What only happens at a terminal: the operator confirms the plan's totals, and logs in again when
a saved session expires mid-run. (Under CI, or without a terminal, the CLI never asks.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bulk_e2e import ADMIN, TOKEN, bulk_args, changed_rows, cli, journal_rows, purchases, users_of, write_csv
from terminal_session import Terminal

from fake_portal.testing import PortalServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    db = tmp_path_factory.mktemp("terminal") / "portal.db"
    with PortalServer(seed="bulk:20", db_path=db, test_token=TOKEN) as server:
        yield server


@pytest.fixture
def terminal() -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    yield opened
    for t in opened:
        t.close()


def _rows(n: int) -> list[tuple[str, str]]:
    return [(f"user{i:02d}@acme.example", "Advanced" if i % 3 == 0 else "Eco") for i in range(1, n + 1)]


def test_the_plan_totals_are_confirmed_by_typing_yes(portal: PortalServer, tmp_path: Path, terminal) -> None:
    portal.reset("bulk:20")
    rows = _rows(4)
    csv = write_csv(tmp_path / "users.csv", rows)
    before = portal.state()

    refused = Terminal(bulk_args(portal, csv, tmp_path / "refused", "--workers", "2"))
    terminal.append(refused)
    refused.expect("This run will buy 3 Eco, 1 Advanced, reassign 4 users, remove 4 Pro")
    refused.expect("Type 'yes' to go on:")
    refused.type("y")  # anything but "yes" is a no
    assert refused.wait() == 1
    assert "not confirmed: nothing was changed" in refused.screen
    after = portal.state()
    assert (users_of(after), after["ledger"]) == (users_of(before), before["ledger"])

    confirmed = Terminal(bulk_args(portal, csv, tmp_path / "confirmed", "--workers", "2"))
    terminal.append(confirmed)
    confirmed.expect("Type 'yes' to go on:")
    confirmed.type("yes")
    assert confirmed.wait() == 0, confirmed.screen[-3000:]
    users = users_of(portal.state())
    assert all(users[email] == tier for email, tier in rows)
    assert purchases(portal.state()) == {"Eco": 3, "Advanced": 1}


def test_a_saved_session_that_expires_mid_run_waits_for_the_operator_to_log_in_again(
    portal: PortalServer, tmp_path: Path, terminal
) -> None:
    portal.reset("bulk:20")
    rows = _rows(16)
    csv = write_csv(tmp_path / "users.csv", rows)
    state = tmp_path / "admin.json"
    assert cli(["login", "--base-url", portal.url, "--login-as", ADMIN, "--save-state", str(state)]).code == 0
    run_dir = tmp_path / "run"
    args = ["run", "downgrade_license", "--input", str(csv), "--base-url", portal.url, "--auth-state", str(state),
            "--run-dir", str(run_dir), "--trace", "off", "--workers", "2", "--yes"]  # fmt: skip
    run = Terminal(args)
    terminal.append(run)

    run.until(lambda: changed_rows(run_dir) >= 3, "3 rows reassigned")
    assert portal.expire_sessions() >= 1
    run.expect("The portal session expired")
    run.expect("then press Enter here")
    assert changed_rows(run_dir) < len(rows)  # the workers wait: no row fails meanwhile
    assert journal_rows(run_dir, "SELECT COUNT(*) FROM rows WHERE status = 'failed'")[0][0] == 0
    assert cli(["login", "--base-url", portal.url, "--login-as", ADMIN, "--save-state", str(state)]).code == 0
    run.type("")
    assert run.wait() == 0, run.screen[-3000:]

    after = portal.state()
    users = users_of(after)
    assert all(users[email] == tier for email, tier in rows)
    wanted = {"Eco": sum(t == "Eco" for _, t in rows), "Advanced": sum(t == "Advanced" for _, t in rows)}
    assert purchases(after) == wanted  # nothing bought twice across the pause
    assert journal_rows(run_dir, "SELECT COUNT(*) FROM rows WHERE status = 'failed'")[0][0] == 0
