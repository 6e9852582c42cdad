"""The CLI against the fake portal, checked against the portal's own state (`/_test/state`).

Each test runs `runbook ...` as a user would (a subprocess, real Chromium) and asserts ground
truth: who holds which license, the pool, the bill, and the evidence files the run left.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fake_portal.testing import PortalServer

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def runbook(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "executor.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )


def downgrade(portal: PortalServer, run_dir: Path, user: str, tier: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return runbook(
        "run",
        "downgrade_license",
        "--base-url",
        portal.url,
        "--login-as",
        "admin@acme.example",
        "-p",
        f"user_email={user}",
        "-p",
        f"target_tier={tier}",
        "--artifacts",
        str(run_dir),
        *extra,
    )


def tier_of(portal: PortalServer, email: str) -> str | None:
    return portal.user(email)["license"]


@pytest.mark.parametrize("portal", ["2026", "2024"], indirect=True)
def test_downgrade_through_the_cli_changes_the_portal_as_planned(portal: PortalServer, tmp_path: Path) -> None:
    before = portal.state()
    result = downgrade(portal, tmp_path / "run", "user03@acme.example", "Eco")

    assert result.returncode == 0, result.stderr
    after = portal.state()
    assert tier_of(portal, "user03@acme.example") == "Eco"
    assert after["pool"]["Pro"]["total"] == before["pool"]["Pro"]["total"] - 1
    assert after["pool"]["Pro"]["available"] == before["pool"]["Pro"]["available"]  # nothing left billable
    assert after["pool"]["Eco"]["available"] == before["pool"]["Eco"]["available"]
    assert round(after["monthly_bill"] - before["monthly_bill"], 2) == -20
    kinds = [entry["kind"] for entry in after["ledger"][len(before["ledger"]) :]]
    assert kinds == ["purchase", "removal"]  # one purchase, never two


def test_the_report_shows_a_screenshot_and_the_checks_of_every_step(portal: PortalServer, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    assert downgrade(portal, run_dir, "user03@acme.example", "Eco").returncode == 0

    report = (run_dir / "report.html").read_text(encoding="utf-8")
    shots = sorted((run_dir / "downgrade_license").glob("*.jpg")) + sorted((run_dir / "downgrade_license").glob("*.png"))
    assert len(shots) >= 10
    for shot in shots:
        assert shot.name in report  # every screenshot is linked from the report
    assert "Buy one Eco license" in report  # the runbook's step, and inside it (_shared/checkout_licenses):
    assert "Pay for 1 Eco license(s)" in report
    assert "page.status" in report and "Payment accepted" in report  # the assertion checked after paying
    assert (run_dir / "junit.xml").read_text(encoding="utf-8").count("<testcase") == 2
    assert '"event": "StepFinished"' in (run_dir / "run.log.jsonl").read_text(encoding="utf-8")


def test_a_refused_downgrade_changes_nothing_and_says_why(portal: PortalServer, tmp_path: Path) -> None:
    before = portal.state()
    result = downgrade(portal, tmp_path / "run", "user15@acme.example", "Advanced")  # Eco -> Advanced is no downgrade

    assert result.returncode == 1
    assert "holds Eco, which is not higher than Advanced; nothing was changed" in result.stderr
    after = portal.state()
    assert after["pool"] == before["pool"] and after["ledger"] == before["ledger"]


def test_a_drifted_label_fails_at_its_step_naming_the_selector_and_page(portal: PortalServer, tmp_path: Path) -> None:
    portal.set_labels({"ml_modify": "Change plan"})  # a wording no catalogue candidate covers
    run_dir = tmp_path / "run"
    before = portal.state()
    result = downgrade(portal, run_dir, "user03@acme.example", "Eco")

    assert result.returncode == 1
    assert "users.modify not found on" in result.stderr and "/users" in result.stderr
    assert "downgrade_license.yaml:" in result.stderr  # the YAML location of the step
    failure_shots = list((run_dir / "downgrade_license").glob("*failure*.jpg")) + list(
        (run_dir / "downgrade_license").glob("*failure*.png")
    )
    assert failure_shots, "a screenshot of the page where the step failed"
    assert (run_dir / "downgrade_license" / "trace.zip").exists()
    report = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "users.modify" in report and failure_shots[0].name in report
    # The run stopped before the reassignment: the purchase happened, nothing was removed.
    after = portal.state()
    assert tier_of(portal, "user03@acme.example") == "Pro"
    assert [e["kind"] for e in after["ledger"][len(before["ledger"]) :]] == ["purchase"]


def test_selectors_check_reports_fallbacks_and_missing_entries(portal: PortalServer) -> None:
    args = ("selectors", "check", "--base-url", portal.url, "--login-as", "admin@acme.example")
    ok = runbook(*args)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert re.search(r"users\.manage_license\s+│\s+matched", ok.stdout)

    portal.set_dialect("2024")
    old = runbook(*args)
    assert old.returncode == 0
    assert re.search(r"users\.manage_license\s+│\s+fallback\s+│\s+fallback 2 of 4", old.stdout)

    # A new wording is caught by the stable test id: still works, reported as drift.
    portal.set_labels({"users_manage_license": "License…"})
    drifted = runbook(*args)
    assert drifted.returncode == 0
    assert re.search(r"users\.manage_license\s+│\s+fallback\s+│\s+fallback 4 of 4", drifted.stdout)

    # A wording no candidate covers: missing, and the check fails.
    portal.set_labels({"users_manage_license": "License…", "users_edit": "Modify profile"})
    broken = runbook(*args)
    assert broken.returncode == 1
    assert re.search(r"users\.edit\s+│\s+missing", broken.stdout)


def test_login_saves_a_private_state_that_later_runs_reuse(portal: PortalServer, tmp_path: Path) -> None:
    state = tmp_path / "auth" / "admin.json"
    saved = runbook("login", "--base-url", portal.url, "--save-state", str(state))
    assert saved.returncode == 0, saved.stderr
    assert stat.S_IMODE(state.stat().st_mode) == 0o600

    result = runbook(
        "run",
        "downgrade_license",
        "--base-url",
        portal.url,
        "--auth-state",
        str(state),
        "-p",
        "user_email=user08@acme.example",
        "-p",
        "target_tier=Eco",
        "--artifacts",
        str(tmp_path / "run"),
    )
    assert result.returncode == 0, result.stderr
    assert tier_of(portal, "user08@acme.example") == "Eco"
    assert not (tmp_path / "run" / "login").exists()  # no second login


def test_an_expired_session_stops_the_run_with_the_login_instruction(portal: PortalServer, tmp_path: Path) -> None:
    state = tmp_path / "admin.json"
    assert runbook("login", "--base-url", portal.url, "--save-state", str(state)).returncode == 0
    portal.expire_sessions()
    result = runbook(
        "run", "downgrade_license", "--base-url", portal.url, "--auth-state", str(state),
        "-p", "user_email=user03@acme.example", "-p", "target_tier=Eco", "--artifacts", str(tmp_path / "run"),
    )  # fmt: skip
    assert result.returncode == 1
    assert "session expired: run `runbook login` again" in result.stderr
    assert tier_of(portal, "user03@acme.example") == "Pro"


def test_invalid_params_exit_2_before_any_browser(portal: PortalServer, tmp_path: Path) -> None:
    result = downgrade(portal, tmp_path / "run", "not-an-email", "Platinum")
    assert result.returncode == 2
    assert "user_email" in result.stderr and "target_tier" in result.stderr
    assert not (tmp_path / "run").exists()


def _every_text(folder: Path) -> list[tuple[str, bytes]]:
    texts = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            texts.append((str(path), data))
            if path.suffix == ".zip":
                with zipfile.ZipFile(path) as archive:
                    texts += [(f"{path}!{name}", archive.read(name)) for name in archive.namelist()]
    return texts


def test_a_two_factor_code_never_appears_in_any_artifact(portal: PortalServer, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    result = runbook(
        "run", "downgrade_license", "--base-url", portal.url, "--login-as", "secops@acme.example",
        "-p", "user_email=user03@acme.example", "-p", "target_tier=Eco",
        "--artifacts", str(run_dir), "--trace", "on",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    code = portal.sms_code("secops@acme.example")
    assert (run_dir / "login" / "trace.zip").exists()
    leaks = [name for name, data in _every_text(run_dir) if code.encode() in data]
    assert leaks == []
    assert code not in result.stdout + result.stderr
