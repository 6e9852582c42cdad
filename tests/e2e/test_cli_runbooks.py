"""The CLI against the fake portal, checked against the portal's own state (`/_test/state`).

Each test runs `runbook ...` as a user would (a subprocess, real Chromium) and asserts ground
truth: who holds which license, the pool, the bill, and the evidence files the run left.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fake_portal.testing import PortalServer

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def runbook(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "executor.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})},
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
    portal.reset("bulk:3")  # no free Eco license: one is bought
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


def test_a_free_license_of_the_target_tier_is_used_not_bought(portal: PortalServer, tmp_path: Path) -> None:
    before = portal.state()  # the demo account has one free Eco license, already billed
    result = downgrade(portal, tmp_path / "run", "user03@acme.example", "Eco")

    assert result.returncode == 0, result.stderr
    after = portal.state()
    assert tier_of(portal, "user03@acme.example") == "Eco"
    assert (after["pool"]["Eco"]["available"], after["pool"]["Pro"]["available"]) == (0, 0)
    assert [entry["kind"] for entry in after["ledger"][len(before["ledger"]) :]] == ["removal"]
    assert round(after["monthly_bill"] - before["monthly_bill"], 2) == -29


def test_the_report_shows_a_screenshot_and_the_checks_of_every_step(portal: PortalServer, tmp_path: Path) -> None:
    portal.reset("bulk:3")  # a purchase to show
    run_dir = tmp_path / "run"
    assert downgrade(portal, run_dir, "user03@acme.example", "Eco").returncode == 0

    report = (run_dir / "report.html").read_text(encoding="utf-8")
    shots = sorted((run_dir / "downgrade_license").glob("*.jpg")) + sorted((run_dir / "downgrade_license").glob("*.png"))
    assert len(shots) >= 10
    for shot in shots:
        assert shot.name in report  # every screenshot is linked from the report
    assert "Buy one Eco license" in report  # the runbook's step, and inside it (_shared/checkout_licenses):
    assert "Pay for 1 Eco license(s)" in report
    assert "page.status" in report and "licenses.payment_accepted" in report  # the assertion checked after paying
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
    portal.reset("bulk:3")
    portal.set_labels({"ml_save": "Apply changes"})  # a wording no catalogue candidate covers
    run_dir = tmp_path / "run"
    before = portal.state()
    result = downgrade(portal, run_dir, "user03@acme.example", "Eco")

    assert result.returncode == 1
    assert "users.save not found on" in result.stderr and "/users" in result.stderr
    assert "downgrade_license.yaml:" in result.stderr  # the YAML location of the step
    failure_shots = list((run_dir / "downgrade_license").glob("*failure*.jpg")) + list(
        (run_dir / "downgrade_license").glob("*failure*.png")
    )
    assert failure_shots, "a screenshot of the page where the step failed"
    assert (run_dir / "downgrade_license" / "trace.zip").exists()
    report = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "users.save" in report and failure_shots[0].name in report
    # The run stopped before the reassignment: the purchase happened, nothing was removed, and the
    # summary says so plainly.
    after = portal.state()
    assert tier_of(portal, "user03@acme.example") == "Pro"
    assert [e["kind"] for e in after["ledger"][len(before["ledger"]) :]] == ["purchase"]
    assert "'Pay for 1 Eco license(s)' was performed; the check after it failed: look at the portal before running again" in " ".join(result.stderr.split())
    assert "was performed; the check after it failed" in report


def test_selectors_check_reports_fallbacks_and_missing_entries(portal: PortalServer, tmp_path: Path) -> None:
    args = ("selectors", "check", "--base-url", portal.url, "--login-as", "admin@acme.example")
    ok = runbook(*args)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert re.search(r"users\.manage_license\s+│\s+matched", ok.stdout)

    # Every wording the portal is known to use is in the first candidate: the 2024 labels and
    # the French ones match it too.
    for dialect in ("2024", "fr-ca"):
        portal.set_dialect(dialect)
        other = runbook(*args)
        assert other.returncode == 0, other.stdout
        assert re.search(r"users\.manage_license\s+│\s+matched", other.stdout)
    portal.set_dialect("2026")

    # A new wording is caught by the stable test id: still works, reported as drift.
    portal.set_labels({"users_manage_license": "License…"})
    drifted = runbook(*args)
    assert drifted.returncode == 0
    assert re.search(r"users\.manage_license\s+│\s+fallback\s+│\s+fallback 2 of 2", drifted.stdout)

    # A wording no candidate covers: missing, the check fails, and --suggest proposes what is there.
    portal.set_labels({"users_manage_license": "License…", "users_journals": "History"})
    review = tmp_path / "review.yaml"
    broken = runbook(*args, "--suggest", str(review))
    assert broken.returncode == 1
    assert re.search(r"users\.journals\s+│\s+missing", broken.stdout)
    text = review.read_text(encoding="utf-8")
    assert "users.journals:" in text and "defined_at: \"selectors/users.yaml:" in text
    assert '{role: link, name: "History", exact: true}' in text


def test_selectors_check_says_when_a_page_does_not_open(portal: PortalServer) -> None:
    portal.set_faults(error_rate=0, maintenance=True, paths=["/billing"])
    result = runbook("selectors", "check", "--base-url", portal.url, "--login-as", "admin@acme.example", "--page", "billing")
    assert result.returncode == 1
    assert re.search(r"billing\.monthly_bill\s+│\s+page error\s+│\s+the page did not open \(/billing: HTTP 503\)", result.stdout)
    assert "missing" not in result.stdout


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


def test_a_check_of_absence_that_cannot_see_its_region_fails(portal: PortalServer, tmp_path: Path) -> None:
    """"No unpaid line in the summary" is not true when the summary itself cannot be found: a
    catalogue whose summary entry no longer matches the portal (a redesign) must not let the
    purchase go on."""
    portal.reset("bulk:3")
    selectors = tmp_path / "selectors"
    shutil.copytree(ROOT / "selectors", selectors)
    licenses = selectors / "licenses.yaml"
    text = licenses.read_text(encoding="utf-8")
    licenses.write_text(
        text.replace("name: /^(Purchase summary|Panier)$/i", "name: /^Basket$/i").replace(
            "test_id: purchase-summary", "test_id: basket"
        ),
        encoding="utf-8",
    )
    before = portal.state()
    result = downgrade(portal, tmp_path / "run", "user03@acme.example", "Eco", "--selectors", str(selectors))

    assert result.returncode == 1
    flat = " ".join(result.stderr.split())
    assert "Check the purchase summary is empty" in flat
    assert "cannot check licenses.summary_total visible: scope not found" in flat
    assert portal.state()["ledger"] == before["ledger"]  # nothing bought


@pytest.mark.parametrize("portal", ["2026", "fr-ca"], indirect=True)
def test_a_second_run_after_a_lost_payment_answer_buys_nothing(portal: PortalServer, tmp_path: Path) -> None:
    """Pay went through but its answer was lost: the run says the money moved; the next run uses
    the license it bought instead of buying another."""
    portal.reset("bulk:3")
    portal.set_faults(lost_response_rate=1.0, paths=["/licenses/pay"])
    env_card = {"PORTAL_CARD_NUMBER": "4242 4242 4242 4242"}
    first = runbook(
        "run", "downgrade_license", "--base-url", portal.url, "--login-as", "admin@acme.example",
        "-p", "user_email=user03@acme.example", "-p", "target_tier=Eco", "--artifacts", str(tmp_path / "first"),
        env=env_card,
    )  # fmt: skip
    portal.set_faults()
    assert first.returncode == 1
    flat = " ".join(first.stderr.split())
    # The portal's answer to the payment was lost: whether the click got its answer (English: Pay
    # posts) or not (French: the provider's frame sends the page on), the money may have moved.
    assert re.search(r"'Pay for 1 Eco license\(s\)( by card)?' was (performed|sent and may have gone through); "
                     r"the check after it failed: look at the portal before running again", flat), flat
    assert [e["kind"] for e in portal.state()["ledger"]] == ["purchase"]  # it did go through

    second = runbook(
        "run", "downgrade_license", "--base-url", portal.url, "--login-as", "admin@acme.example",
        "-p", "user_email=user03@acme.example", "-p", "target_tier=Eco", "--artifacts", str(tmp_path / "second"),
        env=env_card,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    state = portal.state()
    assert [e["kind"] for e in state["ledger"]] == ["purchase", "removal"]  # one purchase, never two
    assert tier_of(portal, "user03@acme.example") == "Eco"
    assert {t: p["available"] for t, p in state["pool"].items()} == {"Eco": 0, "Advanced": 0, "Pro": 0}
    assert state["monthly_bill"] == 2 * 29 + 9
