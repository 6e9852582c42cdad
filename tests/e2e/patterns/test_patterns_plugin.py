"""The same patterns through the QA plugin: the procedures' `tests:` examples as pytest items
against the pattern site as a "real" portal (`--base-url`), in a pytest run inside pytest, then the
site's own state checked."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from patterns_server import PatternSite

pytestmark = pytest.mark.e2e
pytest_plugins = ["pytester"]

HERE = Path(__file__).resolve().parent


def test_every_pattern_example_runs_as_a_pytest_item(
    pytester: pytest.Pytester, fresh_site: PatternSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(HERE / "procedures", pytester.path / "runbooks")
    shutil.copytree(HERE / "selectors", pytester.path / "selectors")
    monkeypatch.setenv("PATTERN_CARD_NUMBER", "4242 4242 4242 4242")
    result = pytester.runpytest_subprocess(
        "runbooks",
        "--base-url",
        fresh_site.url,
        "--runbook-allow-destructive",  # a "real" portal: deleting and paying need consent
        "--junitxml",
        "junit.xml",
        "-v",
        timeout=600,
    )
    result.assert_outcomes(passed=15)
    result.stdout.fnmatch_lines(
        [
            "runbooks/delete_license.yaml::delete_one_pro PASSED*",
            "runbooks/form_as_written.yaml::wrapping_label PASSED*",
            "runbooks/reset_statistics.yaml::undeclared_confirm_fails PASSED*",
            "runbooks/select_user.yaml::nowhere PASSED*",
        ]
    )
    state = fresh_site.state()
    assert state["deleted"] == ["Pro"]
    assert state["payments"] == [{"amount": "29.00", "last4": "4242"}]
    assert state["resets"] == 0  # the undeclared confirm was dismissed
    assert state["archived"] == 1  # archived once, cancelled once
    assert state["bill"] == "1392.00"  # two examples, each lowered it by 29.00
    assert (state["downloads"], state["selected"], state["exported"]) == (1, ["user47@x.test"], 1)
    report = (pytester.path / "reports" / "runbooks" / "report.html").read_text()
    assert "Delete one Pro license for good?" in report and "invoice-2026-11.csv" in report
    cases = ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    assert len(list(cases)) == 15
    assert "4242 4242" not in "".join(p.read_text(errors="ignore") for p in (pytester.path / "reports").rglob("*.html"))
