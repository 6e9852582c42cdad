"""The patterns real admin portals use, through `runbook run` as a user runs it, checked against the
pattern site's own state (`/_state`): native dialogs, cross-origin frames, tabs, downloads,
locale-aware numbers, bounded loops, cells found by their column, suggestions that say the fix,
and an ASP.NET-style session expiry declared in the catalogue.

The runbooks are in `procedures/`, the catalogue in `selectors/` (next to this file).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from patterns_server import PatternSite

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent
CARD = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"


def run(site: PatternSite, runbook: str, folder: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable, "-m", "executor.cli", "run", f"procedures/{runbook}.yaml",
            "--selectors", "selectors", "--base-url", site.url, "--artifacts", str(folder), *args,
        ],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})},
    )


def events(folder: Path, kind: str) -> list[dict]:
    lines = (folder / "run.log.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e.get("event") == kind]


def step(folder: Path, title: str) -> dict:
    return next(e for e in events(folder, "StepFinished") if e["title"] == title)


def test_a_confirm_then_an_alert_delete_one_license(fresh_site: PatternSite, tmp_path: Path) -> None:
    done = run(fresh_site, "delete_license", tmp_path, "-p", "tier=Pro")
    assert done.returncode == 0, done.stderr
    state = fresh_site.state()
    assert state["licenses"]["Pro"] == {"available": 2, "assigned": 4}
    assert state["deleted"] == ["Pro"]
    dialogs = step(tmp_path, "Delete one Pro license")["dialogs"]
    assert [(d["type"], d["message"], d["answer"], d["declared"]) for d in dialogs] == [
        ("confirm", "Delete one Pro license for good?", "accepted", True),
        ("alert", "1 Pro license deleted.", "accepted", True),
    ]
    report = (tmp_path / "report.html").read_text()
    assert "Delete one Pro license for good?" in report
    junit = (tmp_path / "junit.xml").read_text()
    assert "dialog: confirm &apos;Delete one Pro license for good?&apos; accepted" in junit.replace("'", "&apos;")


def test_a_confirm_raised_by_a_timer_is_waited_for(fresh_site: PatternSite, tmp_path: Path) -> None:
    done = run(fresh_site, "archive_report", tmp_path / "yes")
    assert done.returncode == 0, done.stderr
    assert fresh_site.state()["archived"] == 1
    cancelled = run(fresh_site, "archive_report", tmp_path / "no", "-p", "answer=false")
    assert cancelled.returncode == 0, cancelled.stderr
    assert fresh_site.state()["archived"] == 1  # dismissed: nothing archived


def test_an_undeclared_confirm_is_dismissed_and_fails_the_step(fresh_site: PatternSite, tmp_path: Path) -> None:
    done = run(fresh_site, "reset_statistics", tmp_path)
    assert done.returncode == 1
    assert "an undeclared confirm was dismissed: 'Reset all statistics?'" in done.stderr
    assert fresh_site.state()["resets"] == 0


def test_a_beforeunload_prompt_is_declared_or_fails(fresh_site: PatternSite, tmp_path: Path) -> None:
    left = run(fresh_site, "leave_draft", tmp_path / "declared")
    assert left.returncode == 0, left.stderr
    stayed = run(fresh_site, "leave_draft", tmp_path / "undeclared", "-p", "leave=false")
    assert stayed.returncode == 1
    assert "an undeclared beforeunload was dismissed" in stayed.stderr


@pytest.mark.parametrize("nested", ["false", "true"])
def test_a_card_typed_in_a_cross_origin_frame_pays_and_leaves_no_trace(
    fresh_site: PatternSite, tmp_path: Path, nested: str
) -> None:
    done = run(fresh_site, "pay_by_card", tmp_path, "-p", f"nested={nested}", "--trace", "on",
               env={"PATTERN_CARD_NUMBER": CARD})
    assert done.returncode == 0, done.stderr
    assert fresh_site.state()["payments"] == [{"amount": "29.00", "last4": "4242"}]
    forms = {CARD, CARD.replace(" ", ""), CARD.replace(" ", "+"), CARD.replace(" ", "%20")}
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "trace.zip" for p in files)
    for path in files:
        blobs = [path.read_bytes()]
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                blobs += [archive.read(name) for name in archive.namelist()]
        for blob in blobs:
            assert not any(f.encode() in blob for f in forms), f"the card number is in {path}"
    assert CARD not in done.stdout + done.stderr


def test_a_declined_card_buys_nothing_and_says_why(fresh_site: PatternSite, tmp_path: Path) -> None:
    done = run(fresh_site, "pay_by_card", tmp_path, env={"PATTERN_CARD_NUMBER": DECLINED})
    assert done.returncode == 1
    assert fresh_site.state()["payments"] == []
    # Pay was clicked: the summary says so plainly (the provider refused, nothing was bought).
    assert "'Pay' was performed; the check after it failed: look at the portal before running again" in done.stderr
    assert DECLINED not in done.stdout + done.stderr


def test_a_new_tab_a_download_and_an_unasked_popup(fresh_site: PatternSite, tmp_path: Path) -> None:
    done = run(fresh_site, "invoice", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "total: 1450.00" in done.stdout
    saved = tmp_path / "invoice" / "downloads" / "invoice-2026-11.csv"
    assert f"invoice_csv: {saved}" in done.stdout
    digest = hashlib.sha256(saved.read_bytes()).hexdigest()
    kept = step(tmp_path, "Keep the invoice CSV")
    download = next(a for a in kept["artifacts"] if a["kind"] == "download")
    assert (download["size"], download["sha256"]) == (saved.stat().st_size, digest)
    assert "Total,,1450.00" in saved.read_text()
    assert step(tmp_path, "Open the help")["notes"][0].startswith("a new tab opened (http")
    state = fresh_site.state()
    assert (state["invoice_views"], state["downloads"], state["help_views"]) == (1, 1, 1)
    # The step that opened the tab was checked, and pictured, on the new tab.
    assert step(tmp_path, "View the invoice")["assertions"][0]["status"] == "passed"


@pytest.mark.parametrize(("lang", "before", "after"), [("en", "1450.00", "1421.00"), ("fr", "1450.00", "1421.00")])
def test_the_bill_goes_down_by_29_in_either_locale(
    fresh_site: PatternSite, tmp_path: Path, lang: str, before: str, after: str
) -> None:
    done = run(fresh_site, "lower_bill", tmp_path, "-p", f"lang={lang}")
    assert done.returncode == 0, done.stderr
    assert f"before: {before}" in done.stdout
    assert fresh_site.state()["bill"] == after
    checks = step(tmp_path, "Every format reads as the same number")["assertions"]
    assert [a["status"] for a in checks] == ["passed"] * 7


def test_a_loop_pages_until_the_user_shows(fresh_site: PatternSite, tmp_path: Path) -> None:
    done = run(fresh_site, "select_user", tmp_path / "found", "-p", "email=user47@x.test")
    assert done.returncode == 0, done.stderr
    assert fresh_site.state()["selected"] == ["user47@x.test"]
    loop = step(tmp_path / "found", "Page until user47@x.test shows")
    assert loop["rounds"] == 2
    rounds = [e["step_id"] for e in events(tmp_path / "found", "StepFinished") if "[" in e["step_id"]]
    assert rounds == ["2[1].1", "2[1].2", "2[2].1", "2[2].2"]

    nowhere = run(fresh_site, "select_user", tmp_path / "nowhere", "-p", "email=nobody@x.test")
    assert nowhere.returncode == 1
    assert "round 3 failed at step 2[3].1 'fail'" in nowhere.stderr
    assert "nobody@x.test is on none of the pages" in nowhere.stderr

    short = run(fresh_site, "select_user_short", tmp_path / "short", "-p", "email=user47@x.test")
    assert short.returncode == 1
    assert "not reached after 1 rounds: users.row(email=user47@x.test) visible" in short.stderr
    assert fresh_site.state()["selected"] == ["user47@x.test"]


def test_cells_are_found_by_their_column(fresh_site: PatternSite, tmp_path: Path) -> None:
    done = run(fresh_site, "grid_click", tmp_path, "-p", "tier=Pro")
    assert done.returncode == 0, done.stderr
    assert "assigned: 4" in done.stdout  # the Assigned cell of the table, not the Available one (3)
    assert fresh_site.state()["clicked"] == [{"page": "grid", "tier": "Pro", "column": "Available"}]


@pytest.mark.parametrize(
    ("which", "said"),
    [
        ("label", ["closest on the page: {role: combobox, name: \"Action:\", exact: true}",
                   "hint: the label 'Action:' wraps its control"]),
        ("summary", ["hint: 'Options' is a <summary>, which has no button role: use {text: \"Options\", exact: true}"]),
        ("hidden", ["hint: the <a> 'Export' is on the page but hidden inside the closed <details> 'Options'"]),
    ],
)
def test_a_target_not_found_suggests_the_fix(
    fresh_site: PatternSite, tmp_path: Path, which: str, said: list[str]
) -> None:
    done = run(fresh_site, "form_as_written", tmp_path, "-p", f"which={which}")
    assert done.returncode == 1
    flat = " ".join(done.stderr.split())
    for text in said:
        assert text in flat
    report = " ".join((tmp_path / "report.html").read_text().split())
    assert said[-1].replace('"', "&#34;").replace("'", "&#39;").replace("<", "&lt;").replace(">", "&gt;") in report


def test_the_suggested_locators_work(fresh_site: PatternSite, tmp_path: Path) -> None:
    done = run(fresh_site, "form_apply", tmp_path)
    assert done.returncode == 0, done.stderr
    state = fresh_site.state()
    assert (state["applied"], state["exported"]) == (["Delete"], 1)


def test_an_aspnet_session_expiry_is_recognised_from_the_catalogue(fresh_site: PatternSite, tmp_path: Path) -> None:
    done = run(fresh_site, "session_expiry", tmp_path)
    assert done.returncode == 1
    assert "step 2 'End the session'" in done.stderr
    assert "session expired: run `runbook login` again" in done.stderr
    finished = events(tmp_path, "JobFinished")[-1]
    assert finished["session_expired"] is True
