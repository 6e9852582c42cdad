"""`runbook validate` and `runbook plan`: exit codes and output (no browser)."""

from __future__ import annotations

from pathlib import Path

import pytest

from executor.cli import COMMANDS, build_parser, main

FIXTURES = Path(__file__).parent / "fixtures"
SELECTORS = ["--selectors", str(FIXTURES / "selectors")]


def test_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(FIXTURES / "valid"), *SELECTORS]) == 0
    out = capsys.readouterr().out
    assert out.startswith("5 runbooks OK (")


def test_validate_invalid_prints_every_problem_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["validate", str(FIXTURES / "invalid" / "many_problems.yaml"), str(FIXTURES / "valid"), *SELECTORS]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.count(": error: ") == 7
    assert "unknown selector 'licenses.staus'" in err and "hint: did you mean 'licenses.status'?" in err
    assert "5 of 6 runbooks OK, 7 errors" in err


def test_validate_reports_catalogue_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.yaml").write_text("page: bad\nentries:\n  x: {candidates: [{rol: button}]}\n")
    assert main(["validate", str(FIXTURES / "valid" / "check_pool.yaml"), "--selectors", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'rol'" in err and "unknown selector 'licenses.row'" in err


def test_plan_prints_redacted_steps(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_ADMIN_EMAIL", "admin@acme.example")
    monkeypatch.setenv("PORTAL_SMS_CODE", "556677")
    args = [
        "plan",
        str(FIXTURES / "valid" / "downgrade_license.yaml"),
        "-p",
        "user_email=user03@acme.example",
    ]
    assert main([*args, "--param", "target_tier=Eco", *SELECTORS]) == 0
    out = capsys.readouterr().out
    assert "556677" not in out
    assert "6.6  " in out and "click licenses.pay" in out and "destructive" in out
    assert "params.target_tier = 'Eco'" in out


def test_plan_with_params_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    params = tmp_path / "p.yaml"
    params.write_text("tier: Advanced\n")
    assert (
        main(["plan", str(FIXTURES / "valid" / "check_pool.yaml"), "--params-file", str(params), *SELECTORS])
        == 0
    )
    assert "licenses.available_count(tier=Advanced)" in capsys.readouterr().out


def test_plan_bad_params_exit_2(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTAL_ADMIN_EMAIL", raising=False)
    code = main(
        ["plan", str(FIXTURES / "valid" / "downgrade_license.yaml"), "-p", "target_tier=Pro", *SELECTORS]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "missing required param 'user_email'" in err and "must be one of Eco, Advanced" in err


def test_plan_invalid_runbook_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", str(FIXTURES / "invalid" / "unknown_selector.yaml"), *SELECTORS])
    assert code == 2
    assert "unknown selector 'licenses.avaliable_count'" in capsys.readouterr().err


def test_bad_param_syntax_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(FIXTURES / "valid" / "check_pool.yaml"), "-p", "tier", *SELECTORS]) == 2
    assert "write name=value" in capsys.readouterr().err


@pytest.mark.parametrize("command", [c.NAME for c in COMMANDS])
def test_every_help_shows_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"runbook {command}" in out


def test_top_level_help_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert "examples:" in build_parser().format_help()
    assert main([]) == 2
    assert main(["nosuchcommand"]) == 2
