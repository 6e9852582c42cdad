"""The plugin end to end: examples run on a fake portal in a real Chromium, inside a pytest run."""

from __future__ import annotations

import json
import re
import selectors
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from plugin_project import PASSING_EXAMPLES, line_of, make_project

from executor.cli import main

pytestmark = pytest.mark.e2e
pytest_plugins = ["pytester"]

TIMEOUT_S = 240

FAILING_EXAMPLES = """\
  - name: wrong_tier
    params: {user_email: user03@acme.example, tier: Eco}
  - name: wrong_state
    params: {user_email: user03@acme.example, tier: Pro}
    expect_state:
      users: {user03@acme.example: Eco}
  - name: should_refuse
    params: {user_email: user03@acme.example, tier: Pro}
    outcome: failed
"""

WRONG_TIER = FAILING_EXAMPLES.split("  - name: wrong_state")[0]


def literal(text: str) -> str:
    """`[2026]` for fnmatch_lines, which reads brackets as a character class."""
    return text.replace("[", "[[]")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*args, timeout=TIMEOUT_S)


def test_examples_pass_in_english_and_french_with_screenshots_beside_the_report(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    result = run(
        pytester,
        "runbooks",
        "--runbook-fake-portal",
        "--runbook-dialects",
        "2026,fr-ca",
        "-v",
        "--output",
        "pw-output",
        "--junitxml",
        "junit.xml",
    )
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            literal("runbooks/check_license.yaml::pro_user[2026] PASSED*"),
            literal("runbooks/check_license.yaml::pro_user[fr-ca] PASSED*"),
            literal("runbooks/check_license.yaml::refuses_a_wrong_tier[2026] PASSED*"),
            literal("runbooks/check_license.yaml::refuses_a_wrong_tier[fr-ca] PASSED*"),
            "runbook report: reports/runbooks/report.html",
        ]
    )
    root = pytester.path / "reports" / "runbooks"
    for slug in ("check_license.pro_user.2026", "check_license.pro_user.fr-ca"):
        shots = sorted(p.name for p in (root / slug).glob("*.jpg"))
        assert any("open-the-user-page" in s for s in shots), shots
        assert any("the-user-holds-pro" in s for s in shots), shots
    report = (root / "report.html").read_text()
    assert "check_license::pro_user[fr-ca]" in report
    assert 'src="check_license.pro_user.2026/' in report  # screenshots linked relative to the report
    # pytest-playwright wipes --output at the start of a session: nothing of ours is ever there.
    assert not (pytester.path / "pw-output").exists()
    cases = ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    properties = {c.get("name"): {p.get("name"): p.get("value") for p in c.iter("property")} for c in cases}
    assert properties["pro_user[2026]"] == {
        "runbook_artifacts": "reports/runbooks/check_license.pro_user.2026",
        "runbook_report": "reports/runbooks/report.html",
    }


def test_a_failure_reads_as_the_yaml_step_not_a_traceback(pytester: pytest.Pytester) -> None:
    runbook = make_project(pytester, FAILING_EXAMPLES)
    result = run(pytester, "runbooks", "--runbook-fake-portal", "--runbook-dialects", "2026")
    result.assert_outcomes(failed=3)
    step = line_of(runbook, "  - expect:")
    result.stdout.fnmatch_lines(
        [
            (
                f"runbooks/check_license.yaml:{step}:5: step 3 'The user holds Eco' failed; "
                "the example expects the runbook to pass"
            ),
            (
                "example 'wrong_tier' (runbooks/check_license.yaml:*:5): params user_email=user03@acme.example, "
                "tier=Eco; seed demo; dialect 2026; outcome passed"
            ),
            f"*{step} |   - expect:",
            "evaluated step:",
            "checks:",
            "*FAILED*users.license_of(email=user03@acme.example)*'Eco'*Pro*",
            "*user03@acme.example does not hold Eco",
            "selectors:",
            "*users.license_of(email=user03@acme.example): found by*",
            "evidence:",
            "*page at failure*reports/runbooks/check_license.wrong_tier.2026/*-failure.jpg",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "the portal's state after the run (/_test/state) is not as expected:",
            "*key*expected*found",
            "*users.user03@acme.example*Eco*Pro",
        ]
    )
    result.stdout.fnmatch_lines(["the runbook passed; the example expects it to refuse (outcome: failed)"])
    output = result.stdout.str()
    assert "Traceback" not in output and "def runtest" not in output and "pytest_plugin.py" not in output
    shots = list((pytester.path / "reports/runbooks/check_license.wrong_tier.2026").glob("*-failure.jpg"))
    assert len(shots) == 1


def test_runbook_traceback_shows_the_python_traceback(pytester: pytest.Pytester) -> None:
    make_project(pytester, FAILING_EXAMPLES)
    result = run(
        pytester,
        "runbooks",
        "--runbook-fake-portal",
        "--runbook-dialects",
        "2026",
        "-k",
        "wrong_tier",
        "--runbook-traceback",
    )
    result.assert_outcomes(failed=1, deselected=2)
    result.stdout.fnmatch_lines(
        ["*def runtest(self)*", "*executor/pytest_plugin.py:*", "E*ExampleFailed: *step 3*"]
    )


def outcomes(junit: Path) -> dict[str, str]:
    """`{item name: passed|failed|skipped}` of a JUnit XML (pytest's or ours); every item once."""
    found: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("name") or ""
        assert name not in found, f"{name} twice in {junit}"
        kinds = {child.tag for child in case}
        found[name] = "failed" if kinds & {"failure", "error"} else ("skipped" if "skipped" in kinds else "passed")
    return found


def test_xdist_workers_make_one_report_and_one_junit_with_every_item(pytester: pytest.Pytester) -> None:
    runbook = make_project(pytester, PASSING_EXAMPLES.split("  - name: refuses")[0] + WRONG_TIER)
    result = run(
        pytester, "runbooks", "--runbook-fake-portal", "--runbook-dialects", "2026,fr-ca", "-n", "2",
        "--junitxml", "pytest-junit.xml",
    )
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["runbook report: reports/runbooks/report.html", "runbook junit: reports/runbooks/junit.xml"])
    root = pytester.path / "reports" / "runbooks"
    # The evidence stays per worker (each its own portal and folders); the reports are one.
    workers = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert workers and set(workers) <= {"gw0", "gw1"}
    assert sorted(p.name for p in root.iterdir() if p.is_file()) == ["junit.xml", "report.html"]
    examples = sorted(p.name for w in workers for p in (root / w).iterdir() if p.is_dir())
    assert examples == [f"check_license.{n}.{d}" for n in ("pro_user", "wrong_tier") for d in ("2026", "fr-ca")]
    names = [f"{n}[{d}]" for n in ("pro_user", "wrong_tier") for d in ("2026", "fr-ca")]
    report = (root / "report.html").read_text()
    for name in names:
        assert f"check_license::{name}" in report
    assert re.search(r'src="gw[01]/check_license\.pro_user\.fr-ca/[^"]+\.jpg"', report)
    ours = outcomes(root / "junit.xml")
    assert ours == {n: "failed" if n.startswith("wrong_tier") else "passed" for n in names}
    # pytest's own --junitxml is untouched: xdist merges it, with our properties.
    assert outcomes(pytester.path / "pytest-junit.xml") == ours
    failure = next(c for c in ET.parse(root / "junit.xml").getroot().iter("testcase") if c.get("name") == "wrong_tier[fr-ca]")
    text = failure.findtext("failure") or ""
    step = line_of(runbook, "  - expect:")
    assert text.startswith(f"runbooks/check_license.yaml:{step}: step 3 'The user holds Eco'")
    assert "[FAILED] users.license_of(email=user03@acme.example) text equals 'Eco'" in text


def test_two_shards_merged_equal_one_unsharded_run(pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(pytester, PASSING_EXAMPLES + WRONG_TIER)
    pytester.makeconftest(
        """
        import pytest

        def pytest_collection_modifyitems(items):
            for item in items:
                if item.name.startswith("refuses"):
                    item.add_marker(pytest.mark.skip(reason="the QA team skips it today"))
        """
    )
    common = ("runbooks", "--runbook-fake-portal", "--runbook-dialects", "2026")
    whole = run(pytester, *common, "--runbook-artifacts", "whole", "--junitxml", "whole.xml")
    whole.assert_outcomes(passed=1, failed=1, skipped=1)
    for group in ("1", "2"):
        shard = run(pytester, *common, "--splits", "2", "--group", group, "--runbook-artifacts", f"shard{group}")
        shard.stdout.fnmatch_lines([f"runbook report: shard{group}/report.html"])

    code = main(["report", "merge", str(pytester.path / "shard1"), str(pytester.path / "shard2"),
                 "--output", str(pytester.path / "merged")])
    out = capsys.readouterr().out
    assert code == 1, out  # wrong_tier failed, as in the whole run
    assert "3 items: 1 failed, 1 passed, 1 skipped (2 processes)" in out
    merged = outcomes(pytester.path / "merged" / "junit.xml")
    assert merged == outcomes(pytester.path / "whole.xml") == outcomes(pytester.path / "whole" / "junit.xml")
    assert merged == {"pro_user[2026]": "passed", "refuses_a_wrong_tier[2026]": "skipped", "wrong_tier[2026]": "failed"}
    report = (pytester.path / "merged" / "report.html").read_text()
    assert "the QA team skips it today" in report
    for src in re.findall(r'src="([^"]+)"', report):
        assert src.startswith("evidence/shard"), src
        assert (pytester.path / "merged" / src).is_file()


def test_the_login_runs_in_the_example_context_unless_a_storage_state_is_given(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    """With --runbook-auth-state no login runs: on the (freshly reset) fake portal an empty state
    is not signed in, so the example fails at the portal's login page, in YAML terms."""
    make_project(pytester, "  - name: pro_user\n    params: {user_email: user03@acme.example, tier: Pro}\n")
    state = tmp_path / "state.json"
    state.write_text('{"cookies": [], "origins": []}')
    result = run(
        pytester,
        "runbooks",
        "--runbook-fake-portal",
        "--runbook-dialects",
        "2026",
        "--runbook-auth-state",
        str(state),
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            (
                "runbooks/_shared/open_user_page.yaml:*: step 2.1 'Open the Options menu' failed; "
                "the example expects the runbook to pass"
            ),
            "*selector menu.options not found on http://127.0.0.1:*/login*",
        ]
    )
    assert not (pytester.path / "reports/runbooks/check_license.pro_user.2026/login").exists()


@pytest.fixture
def browser_server() -> Iterator[str]:
    """`runbook browser-server --port 0` on 127.0.0.1: its ws:// endpoint (first stdout line); stopped after."""
    server = subprocess.Popen(
        [sys.executable, "-m", "executor.cli", "browser-server", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        with selectors.DefaultSelector() as waiting:
            waiting.register(server.stdout, selectors.EVENT_READ)
            ready = waiting.select(timeout=60)
        assert ready, "the browser server printed no endpoint within 60 s"
        endpoint = server.stdout.readline().strip()
        assert endpoint.startswith("ws://127.0.0.1:"), endpoint + (server.stderr.read() if server.stderr else "")
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_examples_run_in_a_browser_server(
    pytester: pytest.Pytester, browser_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester, PASSING_EXAMPLES.split("  - name: refuses")[0])
    # No Chromium here for the run itself: the example passes only in the server's.
    monkeypatch.setenv("RUNBOOK_CHROMIUM", str(pytester.path / "no-chromium-here"))
    result = run(pytester, "runbooks", "--runbook-fake-portal", "--runbook-dialects", "2026", "--runbook-browser-server", browser_server)
    result.assert_outcomes(passed=1)
    root = pytester.path / "reports" / "runbooks"
    shots = list((root / "check_license.pro_user.2026").glob("*.jpg"))
    assert shots  # the evidence comes back over the connection, into the local folder
    header = json.loads((root / "runbook-results.jsonl").read_text().splitlines()[0])
    secret = browser_server.rsplit("/", 1)[1]
    assert header["browser"] == f"server {browser_server.rsplit('/', 1)[0]}/…"
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in (".jsonl", ".html", ".xml"):
            assert secret not in path.read_text(), path  # the server's address is a credential


def test_a_launch_option_that_cannot_travel_fails_fast(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    result = run(pytester, "runbooks", "--runbook-fake-portal", "--runbook-browser-server", "ws://127.0.0.1:9/x", "--headed")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--headed cannot travel to a browser server*runbook browser-server --headed*"])
    assert not (pytester.path / "reports").exists()
