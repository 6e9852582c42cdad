"""The plugin end to end: examples run on a fake portal in a real Chromium, inside a pytest run."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from plugin_project import line_of, make_project

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


def test_xdist_workers_each_have_a_portal_a_report_and_their_own_folders(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    result = run(pytester, "runbooks", "--runbook-fake-portal", "--runbook-dialects", "2026,2024", "-n", "2")
    result.assert_outcomes(passed=4)
    root = pytester.path / "reports" / "runbooks"
    workers = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert workers and set(workers) <= {"gw0", "gw1"}
    examples = sorted(p.name for w in workers for p in (root / w).iterdir())
    assert examples == [
        "check_license.pro_user.2024",
        "check_license.pro_user.2026",
        "check_license.refuses_a_wrong_tier.2024",
        "check_license.refuses_a_wrong_tier.2026",
    ]
    index = (root / "report.html").read_text()
    for worker in workers:
        assert (root / f"report-{worker}.html").is_file()
        assert f'href="report-{worker}.html"' in index
    result.stdout.fnmatch_lines(["runbook report: reports/runbooks/report.html"])


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
