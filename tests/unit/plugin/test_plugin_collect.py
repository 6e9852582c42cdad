"""Collection, options and skips of the pytest plugin, with pytester: nothing here starts a browser
(items are only collected, or skipped before their fixtures)."""

from __future__ import annotations

import shutil

import pytest
from plugin_project import REPO, line_of, make_project

pytest_plugins = ["pytester"]


def collected(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if "::" in line and not line.startswith(("ERROR", "FAILED"))]


def test_each_example_is_an_item_per_dialect_of_the_fake_portal(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    result = pytester.runpytest("runbooks", "--collect-only", "-q", "--runbook-fake-portal")
    assert collected(result) == [
        "runbooks/check_license.yaml::pro_user[2026]",
        "runbooks/check_license.yaml::pro_user[2024]",
        "runbooks/check_license.yaml::pro_user[fr-ca]",
        "runbooks/check_license.yaml::refuses_a_wrong_tier[2026]",
        "runbooks/check_license.yaml::refuses_a_wrong_tier[2024]",
        "runbooks/check_license.yaml::refuses_a_wrong_tier[fr-ca]",
    ]
    every = pytester.runpytest("runbooks", "--collect-only", "-q", "--runbook-fake-portal", "--runbook-dialects", "all")
    assert collected(every) == collected(result)


def test_one_dialect_or_none_on_a_real_portal(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    one = pytester.runpytest(
        "runbooks", "--collect-only", "-q", "--runbook-fake-portal", "--runbook-dialects", "2024"
    )
    assert collected(one) == [
        "runbooks/check_license.yaml::pro_user[2024]",
        "runbooks/check_license.yaml::refuses_a_wrong_tier[2024]",
    ]
    real = pytester.runpytest("runbooks", "--collect-only", "-q", "--base-url", "http://127.0.0.1:9")
    assert collected(real) == [
        "runbooks/check_license.yaml::pro_user",
        "runbooks/check_license.yaml::refuses_a_wrong_tier",
    ]


def test_an_unknown_dialect_is_a_usage_error(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    result = pytester.runpytest("runbooks", "--runbook-fake-portal", "--runbook-dialects", "2025")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--runbook-dialects: unknown dialect 2025; known: 2026, 2024, fr-ca*"])


def test_only_runbooks_with_examples_inside_a_runbooks_folder(pytester: pytest.Pytester) -> None:
    runbook = make_project(pytester)
    # A runbook without examples, and the same runbook outside `runbooks/` (like the loader's
    # test fixtures under tests/): neither is collected; nor are the shared runbooks.
    (pytester.path / "runbooks" / "no_examples.yaml").write_text(runbook.read_text().split("tests:")[0])
    shutil.copytree(pytester.path / "runbooks" / "_shared", pytester.path / "fixtures" / "_shared")
    shutil.copy(runbook, pytester.path / "fixtures" / "check_license.yaml")
    result = pytester.runpytest("--collect-only", "-q", "--runbook-fake-portal", "--runbook-dialects", "2026")
    assert collected(result) == [
        "runbooks/check_license.yaml::pro_user[2026]",
        "runbooks/check_license.yaml::refuses_a_wrong_tier[2026]",
    ]
    named = pytester.runpytest("fixtures/check_license.yaml", "--collect-only", "-q")
    assert collected(named) == [
        "fixtures/check_license.yaml::pro_user",
        "fixtures/check_license.yaml::refuses_a_wrong_tier",
    ]


def test_runbook_dirs_names_other_folders(pytester: pytest.Pytester) -> None:
    runbook = make_project(pytester)
    shutil.move(pytester.path / "runbooks", pytester.path / "procedures")
    pytester.makeini("[pytest]\nrunbook_dirs = procedures\n")
    result = pytester.runpytest("--collect-only", "-q", "--base-url", "http://127.0.0.1:9")
    assert collected(result) == [
        "procedures/check_license.yaml::pro_user",
        "procedures/check_license.yaml::refuses_a_wrong_tier",
    ]
    assert not runbook.exists()


def test_the_repo_suite_does_not_collect_runbooks(pytester: pytest.Pytester) -> None:
    """`make test` (testpaths = tests) must not pick up the loader's fixture runbooks."""
    pytester.copy_example(str(REPO / "tests" / "unit" / "executor" / "fixtures"))
    result = pytester.runpytest("--collect-only", "-q", "--runbook-fake-portal")
    assert collected(result) == []
    assert "error" not in result.stdout.str().lower()


def test_without_a_portal_every_example_is_skipped_with_the_reason(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    result = pytester.runpytest("runbooks", "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*no portal to run against: give --runbook-fake-portal, or --base-url URL*"])


def test_examples_run_on_chromium_only(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    result = pytester.runpytest("runbooks", "-rs", "--runbook-fake-portal", "--browser", "firefox")
    result.assert_outcomes(skipped=6)
    result.stdout.fnmatch_lines(["*runbooks run on Chromium only (--browser firefox)*"])


def test_destructive_examples_need_consent_on_a_real_portal(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    shutil.copy(REPO / "runbooks" / "downgrade_license.yaml", pytester.path / "runbooks")
    result = pytester.runpytest(
        "runbooks/downgrade_license.yaml", "-rs", "--base-url", "http://127.0.0.1:9", "-k", "to_eco"
    )
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(
        [
            (
                "*destructive step 'Pay for 1 Eco license(s)' (runbooks/_shared/checkout_licenses.yaml:*, "
                "used at runbooks/downgrade_license.yaml:*) against a real portal: pass --runbook-allow-destructive*"
            )
        ]
    )


def test_a_broken_runbook_is_reported_as_yaml_not_a_traceback(pytester: pytest.Pytester) -> None:
    runbook = make_project(pytester)
    runbook.write_text(runbook.read_text().replace("users.license_of", "users.licence_of"))
    result = pytester.runpytest("runbooks", "--runbook-fake-portal")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    line = line_of(runbook, "users.licence_of")
    result.stdout.fnmatch_lines(
        [
            f"runbooks/check_license.yaml:{line}:*: error: unknown selector 'users.licence_of'",
            f"*{line} |*users.licence_of*",
            "*^",
            "*hint: did you mean 'users.license_of'*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_wrong_expect_state_is_a_collection_error_at_the_example(pytester: pytest.Pytester) -> None:
    runbook = make_project(
        pytester,
        "  - name: typo\n    params: {user_email: a@acme.example, tier: Pro}\n    expect_state: {user: {}}\n",
    )
    result = pytester.runpytest("runbooks", "--runbook-fake-portal")
    line = line_of(runbook, "- name: typo")
    result.stdout.fnmatch_lines(
        [f"*check_license.yaml:{line}:5: test 'typo': unknown expect_state key 'user'*"]
    )
